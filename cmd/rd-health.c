/*
 * rd-health - evaluate a downstream's health against thresholds: exit 0
 * when healthy, 1 when not.  The gate in front of every replay.
 *
 * This file holds the command line, the breaker's state file, the three
 * output formats (one human line, --json, --nagios) and the exit codes.
 * Sources and checks are lib/health.c, the pieces of the plugin line
 * lib/nagios.c.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brkfile.h"
#include "breaker.h"
#include "buf.h"
#include "cli.h"
#include "cli_http.h"
#include "compl.h"
#include "creq.h"
#include "health.h"
#include "json.h"
#include "msg.h"
#include "nagios.h"
#include "num.h"
#include "rec.h"
#include "thr.h"
#include "xalloc.h"
#include "banned.h"

static const char usage_text[] =
"Usage: rd-health [OPTIONS] --url URL... [--check THRESHOLD]...\n"
"       rd-health [OPTIONS] --prom URL --promql EXPR --check THRESHOLD\n"
"       rd-health [OPTIONS] --metrics URL --metric SELECTOR --check THRESHOLD\n"
"       rd-health [OPTIONS] --from-spool --check THRESHOLD\n"
"       curl -s URL | rd-health --jq FILTER [--check THRESHOLD]\n"
"Evaluate a service's health against thresholds: exit 0 healthy, 1 not.\n"
"\n"
"HTTP probes:\n"
"  -u, --url URL            probe URL; repeatable\n"
"  -n, --samples N          requests per URL, sent at once (default 5)\n"
"      --timeout DUR        per request (default 5s)\n"
"      --expect SET         statuses that count as up (default 2xx)\n"
"  -H, --header 'N: V'      send this header; repeatable\n"
"      --jq FILTER          jq predicate every body must satisfy; without\n"
"                           --url, over JSON on standard input: true, false\n"
"                           or null is a check, a number the value; else unhealthy\n"
"      --match REGEX        PCRE2 pattern every body must match\n"
"      --connect-timeout DUR connect timeout (default 5s, at most --timeout)\n"
"  -k, --insecure           do not verify TLS certificates\n"
"      --cacert FILE        verify TLS with the CA certificates in FILE\n"
"      --http1.1            use HTTP/1.1 only\n"
"      --http2-prior-knowledge  use HTTP/2 without upgrade, also over http://\n"
"Prometheus:\n"
"      --prom URL           a Prometheus server (its HTTP query API)\n"
"      --promql EXPR        a PromQL query; every series is a 'value'; repeatable\n"
"      --metrics URL        a text exposition endpoint (/metrics)\n"
"      --metric SELECTOR    name{label=\"v\"}: gives 'value' and, with --state,\n"
"                           'rate' per second; repeatable\n"
"Spool:\n"
"      --from-spool         rd-replay's attempts in the spool (--spool)\n"
"      --window DUR         how far back --from-spool looks (default 5m)\n"
"      --spool LOCATION     the spool: a directory (default $RD_SPOOL, then\n"
"                           $XDG_STATE_HOME/redrive/spool)\n"
"      --trust-spool        use the spool even if another user owns it or can\n"
"                           write to it (refused otherwise)\n"
"Thresholds:\n"
"      --check THRESHOLD    METRIC OP VALUE: p99<250ms, error_rate<=1%,\n"
"                           value>=0.99, rate<100; repeatable\n"
"Circuit breaker:\n"
"      --state FILE         keep the breaker (and counters) in FILE\n"
"      --open-after K       open after K unhealthy evaluations (default 3)\n"
"      --cooldown DUR       stay open this long (default 60s)\n"
"      --close-after M      close after M healthy ones in a row (default 3)\n"
"Output:\n"
"      --json               the whole evaluation as JSON\n"
"      --nagios             a Nagios status line with perfdata; exit 0/1/2/3\n"
"      --no-data POLICY     a check with no data yet (no series, no rate yet):\n"
"                           unhealthy (default), healthy or unknown\n"
"  -w, --warning M=RANGE    --nagios: warn when metric M leaves RANGE\n"
"  -c, --critical M=RANGE   --nagios: critical when metric M leaves RANGE\n"
"  -q, --quiet              print nothing; the exit status says it (--nagios\n"
"                           and --json still print what they were asked for)\n"
"  -v, --verbose            more detail on stderr\n"
"  -h, --help               show this help\n"
"  -V, --version            show the version\n"
"\n"
"Exit status: 0 healthy; 1 unhealthy (unreachable counts); 2 usage,\n"
"configuration or system error (such as a breaker file that cannot be\n"
"saved).  --nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
"See rd-health(1).\n";

enum {
	OPT_TIMEOUT = CLI_OPT_TOOL, OPT_EXPECT, OPT_JQ, OPT_MATCH,
	OPT_PROM, OPT_PROMQL, OPT_METRICS, OPT_METRIC, OPT_FROM_SPOOL, OPT_WINDOW,
	OPT_CHECK, OPT_STATE, OPT_OPEN_AFTER, OPT_COOLDOWN, OPT_CLOSE_AFTER,
	OPT_NAGIOS, OPT_NO_DATA
};

static const char short_opts[] = CLI_COMMON_SHORT CLI_HTTP_SHORT "u:n:H:w:c:";
static const struct option long_opts[] = {
	CLI_COMMON_LONG,
	{ "url", required_argument, NULL, 'u' },
	{ "samples", required_argument, NULL, 'n' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "header", required_argument, NULL, 'H' },
	{ "jq", required_argument, NULL, OPT_JQ },
	{ "match", required_argument, NULL, OPT_MATCH },
	CLI_HTTP_LONG,
	{ "prom", required_argument, NULL, OPT_PROM },
	{ "promql", required_argument, NULL, OPT_PROMQL },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "metric", required_argument, NULL, OPT_METRIC },
	{ "from-spool", no_argument, NULL, OPT_FROM_SPOOL },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "check", required_argument, NULL, OPT_CHECK },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "open-after", required_argument, NULL, OPT_OPEN_AFTER },
	{ "cooldown", required_argument, NULL, OPT_COOLDOWN },
	{ "close-after", required_argument, NULL, OPT_CLOSE_AFTER },
	{ "nagios", no_argument, NULL, OPT_NAGIOS },
	{ "no-data", required_argument, NULL, OPT_NO_DATA },
	{ "warning", required_argument, NULL, 'w' },
	{ "critical", required_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 }
};

/* What option values complete to (compl.h). */
static const struct compl_hint hints[] = {
	{ "spool", "@dir" },
	{ "state", "@file" },
	{ "cacert", "@file" },
	{ "no-data", "unhealthy healthy unknown" },
	{ "check", "p99<250ms p50<100ms error_rate<1% value>=0.99 rate<100" },
	{ NULL, NULL }
};

struct opts {
	struct cli_common c;
	struct health_opts h;
	const char **urls, **promql, **sels;
	size_t nurls, npromql, nsel;
	struct hdr *hdrs;
	struct thr *checks;
	struct nagios_range *ranges;
	size_t nranges;
	const char *state;
	unsigned open_after, close_after;
	uint64_t cooldown_ms;
	int nagios, use_spool;
	char dir[4096];
};

/* An option's error is kept in *u (cli_opt_bad) for main to print: as a
 * usage message, or as the UNKNOWN status line of --nagios. */

/* -H 'N: V': appended to the probe's headers. */
static int add_header(struct opts *o, const char *arg, struct rd_err *u)
{
	/* its errors name --header */
	return creq_header_add(arg, &o->hdrs, &o->h.probe.nhdrs, u);
}

/* The HTTP probes: --url, --samples, --timeout, --expect, --header, --jq
 * and --match.  1 when c is one of these, 0 when not, RD_E_INVAL. */
static int probe_opt(struct opts *o, int c, const char *arg, struct rd_err *u)
{
	struct rd_err err;
	uint64_t v;

	switch (c) {
	case 'u':
		if (cli_http_url("--url", arg, u) < 0)
			return RD_E_INVAL;
		cli_list_add(&o->urls, &o->nurls, arg);
		return 1;
	case 'n':
		if (cli_parse_u64(arg, 1, 1000, &v, &err) < 0)
			return cli_opt_bad(u, "--samples", &err);
		o->h.probe.samples = (unsigned)v;
		return 1;
	case OPT_TIMEOUT:
		if (cli_parse_duration(arg, &v, &err) < 0)
			return cli_opt_bad(u, "--timeout", &err);
		if (!v)
			return rd_err_set(u, RD_E_INVAL, "--timeout: must be above zero");
		o->h.probe.http.timeout_ms = v;
		if (o->h.probe.http.connect_timeout_ms > v)
			o->h.probe.http.connect_timeout_ms = v;
		return 1;
	case OPT_EXPECT:
		if (http_okset_parse(arg, &o->h.probe.expect, &err) < 0)
			return cli_opt_bad(u, "--expect", &err);
		return 1;
	case 'H':
		if (add_header(o, arg, u) < 0)
			return RD_E_INVAL;
		return 1;
	case OPT_JQ: o->h.probe.jq = arg; return 1;
	case OPT_MATCH: o->h.probe.match = arg; return 1;
	}
	return 0;
}

/* The other sources: Prometheus, a /metrics endpoint and the spool.  1
 * when c is one of these, 0 when not, RD_E_INVAL. */
static int source_opt(struct opts *o, int c, const char *arg, struct rd_err *u)
{
	struct rd_err err;

	switch (c) {
	case OPT_PROM:
		if (cli_http_url("--prom", arg, u) < 0)
			return RD_E_INVAL;
		o->h.prom = arg;
		return 1;
	case OPT_PROMQL: cli_list_add(&o->promql, &o->npromql, arg); return 1;
	case OPT_METRICS:
		if (cli_http_url("--metrics", arg, u) < 0)
			return RD_E_INVAL;
		o->h.metrics_url = arg;
		return 1;
	case OPT_METRIC: cli_list_add(&o->sels, &o->nsel, arg); return 1;
	case OPT_FROM_SPOOL: o->use_spool = 1; return 1;
	case OPT_WINDOW:
		if (cli_parse_duration(arg, &o->h.window_ms, &err) < 0)
			return cli_opt_bad(u, "--window", &err);
		return 1;
	}
	return 0;
}

/* The thresholds and the circuit breaker.  1 when c is one of these, 0
 * when not, RD_E_INVAL. */
static int verdict_opt(struct opts *o, int c, const char *arg, struct rd_err *u)
{
	struct rd_err err;
	uint64_t v;

	switch (c) {
	case OPT_CHECK:
		o->checks = xrealloc(o->checks, (o->h.nchecks + 1) * sizeof(*o->checks));
		if (thr_parse(arg, &o->checks[o->h.nchecks], &err) < 0) {
			char known[160];

			/* a metric no source measures is the first thing wrong */
			if (o->checks[o->h.nchecks].metric[0] &&
			    !health_metric_known(o->checks[o->h.nchecks].metric,
						 known, sizeof(known)))
				rd_err_set(&err, RD_E_INVAL, "'%s': unknown metric '%s' (%s)",
					   arg, o->checks[o->h.nchecks].metric, known);
			return cli_opt_bad(u, "--check", &err);
		}
		o->h.nchecks++;
		return 1;
	case OPT_STATE: o->state = arg; return 1;
	case OPT_OPEN_AFTER: case OPT_CLOSE_AFTER:
		if (cli_parse_u64(arg, 1, 1000000, &v, &err) < 0)
			return cli_opt_bad(u, c == OPT_OPEN_AFTER ? "--open-after" :
				   "--close-after", &err);
		*(c == OPT_OPEN_AFTER ? &o->open_after : &o->close_after) = (unsigned)v;
		return 1;
	case OPT_COOLDOWN:
		if (cli_parse_duration(arg, &o->cooldown_ms, &err) < 0)
			return cli_opt_bad(u, "--cooldown", &err);
		return 1;
	}
	return 0;
}

/* The output: --nagios, its ranges and --no-data.  1 when c is one of
 * these, 0 when not, RD_E_INVAL. */
static int output_opt(struct opts *o, int c, const char *arg, struct rd_err *u)
{
	struct rd_err err;

	switch (c) {
	case OPT_NAGIOS: o->nagios = 1; return 1;
	case OPT_NO_DATA:
		if (strcmp(arg, "unhealthy") == 0)
			o->h.no_data = HEALTH_NODATA_UNHEALTHY;
		else if (strcmp(arg, "healthy") == 0)
			o->h.no_data = HEALTH_NODATA_HEALTHY;
		else if (strcmp(arg, "unknown") == 0)
			o->h.no_data = HEALTH_NODATA_UNKNOWN;
		else
			return rd_err_set(u, RD_E_INVAL,
					  "--no-data: '%s' is not unhealthy, healthy or unknown",
					  arg);
		return 1;
	case 'w': case 'c':
		if (nagios_range_add(&o->ranges, &o->nranges, arg, c == 'c', &err) < 0)
			return cli_opt_bad(u, c == 'c' ? "--critical" : "--warning", &err);
		return 1;
	}
	return 0;
}

/* What the options say together; then the lists into the evaluation's
 * options. */
static int check_opts(struct opts *o, struct rd_err *u)
{
	struct rd_err err;

	if (o->nranges && !o->nagios)
		return rd_err_set(u, RD_E_INVAL, "--warning and --critical apply to --nagios");
	if ((o->h.probe.match || o->h.probe.nhdrs) && !o->nurls)
		return rd_err_set(u, RD_E_INVAL, "--match and --header apply to --url");
	o->h.probe.urls = o->urls;
	o->h.probe.nurls = o->nurls;
	o->h.probe.hdrs = o->hdrs;
	o->h.promql = o->promql;
	o->h.npromql = o->npromql;
	o->h.selectors = o->sels;
	o->h.nsel = o->nsel;
	o->h.checks = o->checks;
	/* --jq without a URL reads JSON from stdin */
	if (o->h.probe.jq && !o->nurls) {
		o->h.stdin_jq = o->h.probe.jq;
		o->h.probe.jq = NULL;
		o->h.stdin_fd = STDIN_FILENO;
	}
	if (o->use_spool) {
		if (cli_spool_location(o->c.spool, o->dir, sizeof(o->dir), &err) < 0)
			return cli_opt_bad(u, "--spool", &err);
		o->h.spool = o->dir;
		o->h.trust_spool = o->c.trust_spool;
	}
	o->h.keeps_state = o->state != NULL;
	if (health_validate(&o->h, &err) < 0)
		return rd_err_set(u, RD_E_INVAL, "%s", err.msg);
	for (size_t i = 0; i < o->nranges; i++) {
		o->h.value_ranged |= strcmp(o->ranges[i].metric, "value") == 0;
		if (!health_measures(&o->h, o->ranges[i].metric)) {
			char have[128];

			health_measured(&o->h, have, sizeof(have));
			return rd_err_set(u, RD_E_INVAL, "%s '%s=%s': no source given measures '%s' (they measure %s)",
					  o->ranges[i].critical ? "--critical" : "--warning",
					  o->ranges[i].metric, o->ranges[i].r.text,
					  o->ranges[i].metric, have);
		}
	}
	return 0;
}

/* Returns 0 to run, 1 when done (help, version), negative on error. */
static int parse_opts(int argc, char **argv, struct opts *o, struct rd_err *u)
{
	int (*const groups[])(struct opts *, int, const char *, struct rd_err *) = {
		probe_opt, source_opt, verdict_opt, output_opt
	};
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		size_t g;

		if (cli_common_opt(&o->c, c, optarg))
			continue;
		if ((ret = cli_http_opt(&o->h.probe.http, c, optarg, u)) != 0) {
			if (ret < 0)
				return ret;
			continue;
		}
		for (g = 0, ret = 0; g < sizeof(groups) / sizeof(groups[0]) && !ret; g++)
			ret = groups[g](o, c, optarg, u);
		if (ret < 0)
			return ret;
		if (!ret) {
			char why[256];

			return rd_err_set(u, RD_E_INVAL, "%s",
					  cli_opt_error(c, argv, why, sizeof(why)));
		}
	}
	if ((c = cli_help_version(&o->c, "rd-health", usage_text)) != 0)
		return c;
	if (cli_extra_arg(argc, argv, optind, "", u) < 0)
		return RD_E_INVAL;
	return check_opts(o, u);
}

/* The defaults, as --help states them. */
static void opts_init(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	cli_common_init(&o->c);
	http_opts_init(&o->h.probe.http);
	o->h.probe.http.timeout_ms = 5000;
	o->h.probe.http.connect_timeout_ms = 5000;
	o->h.probe.samples = 5;
	http_okset_default(&o->h.probe.expect);
	o->h.window_ms = 300000;
	o->open_after = 3;
	o->close_after = 3;
	o->cooldown_ms = 60000;
}

static void opts_release(struct opts *o)
{
	free(o->urls);
	free(o->promql);
	free(o->sels);
	free(o->hdrs);
	free(o->checks);
	free(o->ranges);
}

/* ---- output -------------------------------------------------------- */

static void human(struct buf *out, const struct health_eval *ev,
		  const struct breaker *b, int verdict)
{
	size_t fails = 0;
	char v[64];

	buf_adds(out, verdict ? "healthy" : "unhealthy");
	for (size_t i = 0; i < ev->nres; i++) {
		const struct health_result *r = &ev->res[i];
		const struct health_source *s = &ev->src[r->src];

		if (r->ok)
			continue;
		buf_adds(out, fails++ ? "; " : ": ");
		if (r->t && (r->nodata || isnan(r->value)))
			buf_addf(out, "%s: no data (want %s)", r->t->metric, r->text);
		else if (r->t)
			buf_addf(out, "%s=%s (want %s)", r->t->metric,
				 thr_fmt(r->value, r->unit, v, sizeof(v)), r->text);
		else if (strcmp(r->text, "--jq") == 0)
			buf_adds(out, "--jq is false");
		else if (strcmp(r->text, "readable") == 0)
			buf_adds(out, "no data");
		else
			buf_addf(out, "error_rate=%s (want 0%%)",
				 thr_fmt(r->value, THR_FRACTION, v, sizeof(v)));
		/* "at stdin", not "at stdin stdin" */
		buf_addf(out, " at %s", health_kind_name(s->kind));
		if (strcmp(s->target, health_kind_name(s->kind)))
			buf_addf(out, " %s", s->target);
		if (s->why[0])
			buf_addf(out, " [%s]", s->why);
	}
	if (!fails) {
		if (ev->healthy)
			buf_addf(out, ": %zu check%s passed", ev->nres, ev->nres == 1 ? "" : "s");
		else
			buf_adds(out, ": a source could not be read");
	}
	if (b) {
		buf_addf(out, "; breaker %s", breaker_state_name(b->state));
		if (b->state == BREAKER_HALF_OPEN)
			buf_addf(out, " (%u of %u healthy evaluations)", b->good,
				 b->close_after);
		else if (b->state == BREAKER_OPEN)
			buf_addf(out, " (%u unhealthy evaluations)", b->bad);
	}
	buf_addc(out, '\n');
}

static void as_json(struct buf *out, const struct health_eval *ev,
		    const struct breaker *b, int verdict)
{
	buf_addf(out, "{\"healthy\":%s,\"checks_passed\":%s,\"breaker\":",
		 verdict ? "true" : "false", ev->healthy ? "true" : "false");
	if (b)
		buf_addf(out, "{\"state\":\"%s\",\"unhealthy_in_a_row\":%u,\"healthy_in_a_row\":%u,\"close_after\":%u}",
			 breaker_state_name(b->state), b->bad, b->good, b->close_after);
	else
		buf_adds(out, "null");
	buf_adds(out, ",\"sources\":[");
	for (size_t i = 0; i < ev->nsrc; i++) {
		const struct health_source *s = &ev->src[i];

		buf_addf(out, "%s{\"kind\":\"%s\",\"target\":", i ? "," : "",
			 health_kind_name(s->kind));
		json_add_str(out, s->target, strlen(s->target));
		buf_addf(out, ",\"readable\":%s,\"metrics\":{", s->failed ? "false" : "true");
		for (size_t k = 0; k < s->nm; k++) {
			buf_addf(out, "%s\"%s\":", k ? "," : "", s->m[k].name);
			num_add(out, s->m[k].value, NUM_JSON);
		}
		buf_adds(out, "}");
		if (s->why[0]) {
			buf_adds(out, ",\"note\":");
			json_add_str(out, s->why, strlen(s->why));
		}
		buf_adds(out, "}");
	}
	buf_adds(out, "],\"checks\":[");
	for (size_t i = 0; i < ev->nres; i++) {
		const struct health_result *r = &ev->res[i];

		buf_addf(out, "%s{\"check\":", i ? "," : "");
		json_add_str(out, r->text, strlen(r->text));
		buf_addf(out, ",\"source\":%zu,\"value\":", r->src);
		num_add(out, r->value, NUM_JSON);
		buf_addf(out, ",\"ok\":%s%s}", r->ok ? "true" : "false",
			 r->nodata ? ",\"no_data\":true" : "");
	}
	buf_adds(out, "]}\n");
}

/* ---- --nagios: the monitoring-plugins output --------------------------- */

/* The label of metric k of source i: its name, after KIND N_ when there
 * are several sources, and before _K when the source gives the metric
 * more than once (several PromQL series): labels must be unique. */
static void perf_label(struct buf *b, const struct health_eval *ev, size_t i,
		       size_t k)
{
	const struct health_source *s = &ev->src[i];
	size_t nth = 0, of = 0;

	for (size_t j = 0; j < s->nm; j++)
		if (strcmp(s->m[j].name, s->m[k].name) == 0) {
			of++;
			nth += j <= k;
		}
	if (ev->nsrc > 1)
		buf_addf(b, "%s%zu_", health_kind_name(s->kind), i + 1);
	buf_adds(b, s->m[k].name);
	if (of > 1)
		buf_addf(b, "_%zu", nth);
}

/* 1 when every failed check had no data and every source was read. */
static int only_nodata(const struct health_eval *ev)
{
	for (size_t i = 0; i < ev->nres; i++)
		if (!ev->res[i].ok && !ev->res[i].nodata)
			return 0;
	for (size_t i = 0; i < ev->nsrc; i++)
		if (ev->src[i].failed)
			return 0;
	return 1;
}

/* Nagios status line with perfdata; returns the plugin exit code.  Failed
 * checks, unreadable sources and a breaker that holds are CRITICAL; the
 * ranges add WARNING or CRITICAL.  The text says what made the status:
 * at CRITICAL the failures and the critical ranges breached, at WARNING
 * the warning ranges breached. */
static int nagios(struct buf *out, const struct opts *o,
		  const struct health_eval *ev, const struct breaker *b,
		  int verdict)
{
	int code = verdict ? 0 : 2;
	struct buf perf, label, warn, crit, text;

	buf_init(&perf);
	buf_init(&label);
	buf_init(&warn);
	buf_init(&crit);
	buf_init(&text);
	for (size_t i = 0; i < ev->nsrc; i++)
		for (size_t k = 0; k < ev->src[i].nm; k++) {
			const struct health_metric *hm = &ev->src[i].m[k];
			const struct thr_range
				*w = nagios_range_find(o->ranges, o->nranges, hm->name, 0),
				*c = nagios_range_find(o->ranges, o->nranges, hm->name, 1);
			double pv = nagios_perf_value(hm->value, hm->unit);
			int st = thr_status(w, c, pv);

			buf_reset(&label);
			perf_label(&label, ev, i, k);
			if (st)
				nagios_breach(st == 2 ? &crit : &warn, &label, pv,
					      hm->unit, st == 2 ? c : w, st == 2);
			if (st > code)
				code = st;
			nagios_perf_item(&perf, &label, pv, hm->unit, w, c);
		}
	/* Nothing failed but checks that had no data, and --no-data unknown:
	 * the plugin cannot tell, which is what UNKNOWN is for; unless the
	 * breaker holds, which is CRITICAL whatever the checks said. */
	if (code == 2 && ev->unknown && !crit.len && only_nodata(ev) &&
	    !(b && b->state != BREAKER_CLOSED))
		code = 3;
	if (code >= 2 && !verdict) {
		human(&text, ev, b, verdict);
		if (text.len && text.data[text.len - 1] == '\n')
			text.len--;
	}
	if (code == 2 && crit.len) {
		if (text.len)
			buf_adds(&text, "; ");
		buf_add(&text, crit.data, crit.len);
	} else if (code == 1) {
		buf_add(&text, warn.data, warn.len);
	} else if (code == 0) {
		buf_adds(&text, "all checks passed");
		if (b)
			buf_addf(&text, "; breaker %s", breaker_state_name(b->state));
	}
	nagios_status_line(out, code, text.data ? text.data : "", text.len);
	if (perf.len) {
		buf_adds(out, " |");
		buf_add(out, perf.data, perf.len);
	}
	buf_addc(out, '\n');
	buf_release(&perf);
	buf_release(&label);
	buf_release(&warn);
	buf_release(&crit);
	buf_release(&text);
	return code;
}

/* Whether --nagios is given, read before getopt so that a usage error
 * met before it is UNKNOWN too.  As getopt_long reads it: the full name
 * or an unambiguous abbreviation, and nothing after "--". */
static int nagios_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i] + 2;
		size_t n = strcspn(a, "="), hits = 0;

		if (strncmp(argv[i], "--", 2) != 0 || n == 0 || n > 6 ||
		    strncmp(a, "nagios", n) != 0)
			continue;
		for (const struct option *lo = long_opts; lo->name; lo++)
			hits += strncmp(lo->name, a, n) == 0;
		if (n == 6 || hits == 1)
			return 1;
	}
	return 0;
}

/* An error instead of a verdict.  With --nagios it is the UNKNOWN status
 * line on standard output, and nothing on standard error, which Nagios
 * does not read; otherwise one line on standard error. */
static int report_error(const struct msg *m, int nagios_mode, int usage, const char *why)
{
	struct buf out;
	size_t done;

	if (!nagios_mode) {
		if (usage)
			msg_usage(m, "%s", why);
		else
			msg_error(m, "%s", why);
		return RD_EXIT_ERROR;
	}
	buf_init(&out);
	nagios_status_line(&out, 3, why, strlen(why));
	buf_addc(&out, '\n');
	/* nowhere left to say it if this fails: the status says UNKNOWN */
	(void)buf_write_fd(&out, STDOUT_FILENO, &done);
	buf_release(&out);
	return 3;
}

int main(int argc, char **argv)
{
	struct compl_tool ct = { "rd-health", long_opts, short_opts, usage_text, hints };
	struct opts o;
	struct msg m;
	struct health_eval ev;
	struct breaker brk, *b = NULL;
	struct rd_err err;
	struct buf out;
	int ret, verdict, status;
	size_t done;

	/* completions/ asks the tool itself (compl.h) */
	if ((ret = cli_completion(&ct, argc, argv)) >= 0)
		return ret;
	msg_init(&m, "rd-health");
	signal(SIGPIPE, SIG_IGN);
	opts_init(&o);
	memset(&ev, 0, sizeof(ev));
	buf_init(&out);
	o.nagios = nagios_wanted(argc, argv);
	if ((ret = parse_opts(argc, argv, &o, &err)) != 0) {
		if (ret > 0)
			status = RD_EXIT_OK;
		else if (ret == RD_E_INVAL)
			status = report_error(&m, o.nagios, 1, err.msg);
		else
			status = o.nagios ? 3 : RD_EXIT_ERROR;
		goto out;
	}
	m.verbosity = o.c.verbosity;
	o.h.now_ms = rec_now_ms();
	if (o.state) {
		breaker_init(&brk, o.open_after, o.close_after, (int64_t)o.cooldown_ms);
		b = &brk;
		if (brkfile_load(o.state, b, &err) < 0)
			goto fail;
		o.h.brk = b;
	}
	if (health_evaluate(&o.h, &ev, &err) < 0)
		goto fail;
	verdict = ev.healthy;
	if (b && brkfile_commit(o.state, b, ev.healthy, o.h.now_ms, &verdict,
				&err) < 0) {
		char why[sizeof(err.msg)];

		snprintf(why, sizeof(why), "%s", err.msg);
		rd_err_set(&err, RD_E_IO, "cannot save the breaker: %s", why);
		goto fail;
	}
	/* --nagios prints its status line even with -q: a plugin that says
	 * nothing shows as "(No output returned from plugin)" */
	if (o.nagios)
		status = nagios(&out, &o, &ev, b, verdict);
	else
		status = verdict ? RD_EXIT_OK : RD_EXIT_PARTIAL;
	if (!o.nagios && o.c.json)
		as_json(&out, &ev, b, verdict);
	else if (!o.nagios && o.c.verbosity >= 0)
		human(&out, &ev, b, verdict);
	if (buf_write_fd(&out, STDOUT_FILENO, &done) < 0 && errno != EPIPE) {
		msg_error(&m, "cannot write to standard output");
		status = o.nagios ? 3 : RD_EXIT_ERROR;
	}
	goto out;
fail:
	status = report_error(&m, o.nagios, 0, err.msg);
out:
	if (b)
		breaker_release(b);
	health_eval_release(&ev);
	buf_release(&out);
	opts_release(&o);
	return status;
}
