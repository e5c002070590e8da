/*
 * rd-audit - summarize and verify a spool: what failed, what came back,
 * what is dead, and how much traffic replay added.
 *
 * This file holds the command line, the text, JSON and Prometheus
 * formats, --list and --show, --verify's report, --fail-if and the exit
 * codes.  The fold is lib/audit.c, the HTML report lib/report.c.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "audit.h"
#include "buf.h"
#include "cli.h"
#include "json.h"
#include "msg.h"
#include "redact.h"
#include "report.h"
#include "rx.h"
#include "sel.h"
#include "spool.h"
#include "thr.h"
#include "xalloc.h"
#include "banned.h"

static const char usage_text[] =
"Usage: rd-audit [OPTIONS]                  summary of the spool\n"
"       rd-audit --list [OPTIONS]           requests as NDJSON\n"
"       rd-audit --show ID [OPTIONS]        one request and its events\n"
"       rd-audit --verify [OPTIONS]         check every member and the index\n"
"Summarize and verify a redrive spool.\n"
"\n"
"Selection (summary and --list):\n"
"      --where FILTER       jq predicate over the stored request\n"
"      --match-url REGEX    PCRE2 pattern the URL must match\n"
"      --since TIME         captured at or after TIME (RFC 3339, or a duration ago)\n"
"      --until TIME         captured before TIME\n"
"      --route-rule 'REGEX=NAME'  fold URL parts matching REGEX into NAME for\n"
"                           routes; repeatable; runs before the built-in rules\n"
"      --max-groups N       groups shown per dimension, the rest in (other)\n"
"                           (default 50)\n"
"Formats:\n"
"      --json               the summary as one JSON object\n"
"      --prom               Prometheus text, for node_exporter's textfile collector\n"
"      --html FILE          write a self-contained HTML report to FILE\n"
"      --list               every selected request as NDJSON, with its state\n"
"      --show ID            one request, then its events, as NDJSON\n"
"Redaction (on by default):\n"
"      --redact REGEX       also hide headers whose name matches, and matches\n"
"                           in URLs and bodies; repeatable\n"
"      --no-redact          show secrets as stored\n"
"Checks:\n"
"      --verify             walk every member, check CRC and size, cross-check\n"
"                           the index; exit 1 on any finding\n"
"      --fail-if EXPR       exit 1 when EXPR holds, e.g. 'pending>1000',\n"
"                           'dead>0', 'oldest_pending>1h'; repeatable\n"
"  -d, --dir DIR            spool directory (default $RD_DIR, then\n"
"                           $XDG_STATE_HOME/redrive/spool)\n"
"  -q, --quiet              no warnings\n"
"  -v, --verbose            more detail on stderr\n"
"  -h, --help               show this help\n"
"  -V, --version            show the version\n"
"\n"
"Exit status: 0 ok; 1 a --fail-if condition holds or --verify found damage;\n"
"2 error.  See rd-audit(1).\n";

enum {
	OPT_WHERE = CLI_OPT_TOOL, OPT_MATCH_URL, OPT_SINCE, OPT_UNTIL,
	OPT_ROUTE_RULE, OPT_MAX_GROUPS, OPT_PROM, OPT_HTML, OPT_LIST, OPT_SHOW,
	OPT_REDACT, OPT_NO_REDACT, OPT_VERIFY, OPT_FAIL_IF
};

static const char short_opts[] = CLI_COMMON_SHORT;
static const struct option long_opts[] = {
	CLI_COMMON_LONG,
	{ "where", required_argument, NULL, OPT_WHERE },
	{ "match-url", required_argument, NULL, OPT_MATCH_URL },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "route-rule", required_argument, NULL, OPT_ROUTE_RULE },
	{ "max-groups", required_argument, NULL, OPT_MAX_GROUPS },
	{ "prom", no_argument, NULL, OPT_PROM },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "show", required_argument, NULL, OPT_SHOW },
	{ "redact", required_argument, NULL, OPT_REDACT },
	{ "no-redact", no_argument, NULL, OPT_NO_REDACT },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "fail-if", required_argument, NULL, OPT_FAIL_IF },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	struct cli_common c;
	struct sel_opts so;
	const char *since, *until, *html, *show;
	const char **rules_txt, **redacts;
	size_t nrules, nredacts;
	struct thr *fails;
	size_t nfails;
	uint64_t max_groups;
	int prom, list, verify, no_redact;
};

struct app {
	struct msg m;
	struct opts o;
	char dir[4096];
	struct audit_rule *rules;
	struct redact *red;
	struct sel *sel;
	struct spool *sp;
	struct buf out;
	struct rec_parser rp;      /* for --list and --show */
	int out_broken;
};

static const char **push(const char **v, size_t *n, const char *s)
{
	v = xrealloc(v, (*n + 1) * sizeof(*v));
	v[(*n)++] = s;
	return v;
}

static int bad(struct msg *m, const char *opt, const struct rd_err *err)
{
	msg_usage(m, "%s: %s", opt, err->msg);
	return RD_E_INVAL;
}

static const char *const fail_metrics[] = {
	"requests", "pending", "due", "backing_off", "ok", "dead", "attempts",
	"replayed", "revived", "amplification", "oldest_pending", "success_rate",
	"p50", "p90", "p99", NULL
};

static int parse_opts(int argc, char **argv, struct opts *o, struct msg *m)
{
	struct rd_err err;
	int c;

	opterr = 0;
	o->max_groups = 50;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (cli_common_opt(&o->c, c, optarg))
			continue;
		switch (c) {
		case OPT_WHERE: o->so.where = optarg; break;
		case OPT_MATCH_URL: o->so.match_url = optarg; break;
		case OPT_SINCE: o->since = optarg; break;
		case OPT_UNTIL: o->until = optarg; break;
		case OPT_ROUTE_RULE:
			if (!strchr(optarg, '=')) {
				msg_usage(m, "--route-rule: '%s' is not REGEX=NAME", optarg);
				return RD_E_INVAL;
			}
			o->rules_txt = push(o->rules_txt, &o->nrules, optarg);
			break;
		case OPT_MAX_GROUPS:
			if (cli_parse_u64(optarg, 1, 10000, &o->max_groups, &err) < 0)
				return bad(m, "--max-groups", &err);
			break;
		case OPT_PROM: o->prom = 1; break;
		case OPT_HTML: o->html = optarg; break;
		case OPT_LIST: o->list = 1; break;
		case OPT_SHOW:
			if (!rec_id_valid(optarg, strlen(optarg))) {
				msg_usage(m, "--show: '%s' is not a record id", optarg);
				return RD_E_INVAL;
			}
			o->show = optarg;
			break;
		case OPT_REDACT: o->redacts = push(o->redacts, &o->nredacts, optarg); break;
		case OPT_NO_REDACT: o->no_redact = 1; break;
		case OPT_VERIFY: o->verify = 1; break;
		case OPT_FAIL_IF: {
			struct thr t;
			size_t i;

			if (thr_parse(optarg, &t, &err) < 0) {
				msg_usage(m, "--fail-if: %s", err.msg);
				return RD_E_INVAL;
			}
			for (i = 0; fail_metrics[i]; i++)
				if (strcmp(fail_metrics[i], t.metric) == 0)
					break;
			if (!fail_metrics[i]) {
				msg_usage(m, "--fail-if '%s': unknown quantity '%s' (pending, due, backing_off, ok, dead, requests, attempts, replayed, revived, amplification, oldest_pending, success_rate, p50, p90, p99)",
					  optarg, t.metric);
				return RD_E_INVAL;
			}
			o->fails = xrealloc(o->fails, (o->nfails + 1) * sizeof(*o->fails));
			o->fails[o->nfails++] = t;
			break;
		}
		default: {
			char why[256];

			msg_usage(m, "%s", cli_opt_error(c, argv, why, sizeof(why)));
			return RD_E_INVAL;
		}
		}
	}
	if (o->c.help) {
		fputs(usage_text, stdout);
		return fflush(stdout) == 0 ? 1 : RD_E_IO;
	}
	if (o->c.version) {
		cli_print_version("rd-audit");
		return fflush(stdout) == 0 ? 1 : RD_E_IO;
	}
	if (optind < argc) {
		msg_usage(m, "unexpected argument '%s'", argv[optind]);
		return RD_E_INVAL;
	}
	if (o->list + (o->show != NULL) + o->verify + o->prom > 1 ||
	    (o->c.json && (o->list || o->show || o->prom))) {
		msg_usage(m, "choose one of --list, --show, --verify, --prom and --json (--json goes with --verify)");
		return RD_E_INVAL;
	}
	if (o->no_redact && o->nredacts) {
		msg_usage(m, "--redact and --no-redact exclude each other");
		return RD_E_INVAL;
	}
	if (o->since && sel_parse_time(o->since, rec_now_ms(), &o->so.since_ms, &err) < 0)
		return bad(m, "--since", &err);
	if (o->until && sel_parse_time(o->until, rec_now_ms(), &o->so.until_ms, &err) < 0)
		return bad(m, "--until", &err);
	return 0;
}

static void flush_out(struct app *a)
{
	size_t done;

	if (a->out_broken || !a->out.len)
		return;
	if (buf_write_fd(&a->out, STDOUT_FILENO, &done) < 0)
		a->out_broken = 1;
	buf_reset(&a->out);
}

static void on_notice(void *ctx, const struct spool_notice *n)
{
	struct app *a = ctx;

	msg_warn(&a->m, "%s at byte %llu: %s (%llu bytes skipped%s)", n->where,
		 (unsigned long long)n->offset, n->reason,
		 (unsigned long long)n->bytes,
		 n->lost > 0 ? ", records lost" : "");
}

/* --- the summary ----------------------------------------------------- */

static double metric(const struct audit_summary *s, const char *name, int64_t now)
{
	struct hist h = s->latency;

	if (!strcmp(name, "requests")) return (double)s->requests;
	if (!strcmp(name, "pending")) return (double)s->pending;
	if (!strcmp(name, "due")) return (double)s->due;
	if (!strcmp(name, "backing_off")) return (double)s->backing_off;
	if (!strcmp(name, "ok")) return (double)s->ok;
	if (!strcmp(name, "dead")) return (double)s->dead;
	if (!strcmp(name, "attempts")) return (double)s->attempts;
	if (!strcmp(name, "replayed")) return (double)s->replayed;
	if (!strcmp(name, "revived")) return (double)s->revived;
	if (!strcmp(name, "amplification"))
		return audit_amplification(s->attempts, s->replayed);
	if (!strcmp(name, "oldest_pending"))
		return s->oldest_pending_ms ? (double)(now - s->oldest_pending_ms) : 0;
	if (!strcmp(name, "success_rate"))
		return s->attempts ? (double)s->attempts_ok / (double)s->attempts : NAN;
	if (!strcmp(name, "p50")) return hist_pct(&h, 50);
	if (!strcmp(name, "p90")) return hist_pct(&h, 90);
	if (!strcmp(name, "p99")) return hist_pct(&h, 99);
	return NAN;
}

static void fmt_age(int64_t ms, char *buf, size_t n)
{
	int64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(buf, n, "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, n, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, n, "%lldm %llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, n, "%llds", (long long)s);
}

static void bar(struct buf *b, uint64_t v, uint64_t max, int width, int tty)
{
	static const char *const blocks[] = { "", "\u258f", "\u258e", "\u258d", "\u258c",
					      "\u258b", "\u258a", "\u2589" };
	int eighths;

	if (!tty || !max)
		return;
	eighths = (int)((double)v / (double)max * width * 8 + 0.5);
	buf_addc(b, ' ');
	for (int i = 0; i < eighths / 8; i++)
		buf_adds(b, "\u2588");
	buf_adds(b, blocks[eighths % 8]);
}

static void spark(struct buf *b, const uint64_t *v, size_t n)
{
	static const char *const s[] = { "\u2581", "\u2582", "\u2583", "\u2584",
					 "\u2585", "\u2586", "\u2587", "\u2588" };
	uint64_t max = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	for (size_t i = 0; i < n; i++)
		buf_adds(b, v[i] == 0 ? " " : s[max ? (v[i] * 7 + max - 1) / max : 0]);
}

static int cmp_group(const void *x, const void *y)
{
	const struct audit_group *a = x, *b = y;

	return a->requests < b->requests ? 1 : a->requests > b->requests ? -1 :
	       strcmp(a->name, b->name);
}

static void group_name(struct app *a, const char *name, struct buf *out)
{
	if (a->red)
		redact_text(a->red, name, strlen(name), out);
	else
		buf_adds(out, name);
}

static void human_dim(struct app *a, const char *title, struct audit_dim *d,
		      int tty, int amp)
{
	struct buf *b = &a->out;
	uint64_t max = 0;

	if (!d->n)
		return;
	qsort(d->g, d->n, sizeof(*d->g), cmp_group);
	for (size_t i = 0; i < d->n; i++)
		if (d->g[i].requests > max)
			max = d->g[i].requests;
	buf_addf(b, "\n%s\n", title);
	for (size_t i = 0; i < d->n; i++) {
		const struct audit_group *g = &d->g[i];
		size_t start = b->len, w;

		buf_adds(b, "  ");
		group_name(a, g->name, b);
		w = b->len - start;
		buf_addf(b, "%*s", w < 46 ? (int)(46 - w) : 1, "");
		buf_addf(b, "%8llu  ok %llu  pending %llu  dead %llu",
			 (unsigned long long)g->requests, (unsigned long long)g->ok,
			 (unsigned long long)g->pending, (unsigned long long)g->dead);
		if (amp && g->replayed)
			buf_addf(b, "  amplification %.2f",
				 audit_amplification(g->attempts, g->replayed));
		bar(b, g->requests, max, 12, tty);
		buf_addc(b, '\n');
	}
}

static void human(struct app *a, struct audit_summary *s, int64_t now)
{
	struct buf *b = &a->out;
	int tty = isatty(STDOUT_FILENO);
	char age[32], t[REC_TIME_LEN + 1];

	buf_addf(b, "spool %s: %llu requests\n", a->dir, (unsigned long long)s->requests);
	buf_addf(b, "  pending %llu (due %llu, backing off %llu)   ok %llu   dead %llu\n",
		 (unsigned long long)s->pending, (unsigned long long)s->due,
		 (unsigned long long)s->backing_off, (unsigned long long)s->ok,
		 (unsigned long long)s->dead);
	if (s->oldest_pending_ms) {
		fmt_age(now - s->oldest_pending_ms, age, sizeof(age));
		rec_time_fmt(s->oldest_pending_ms, t);
		buf_addf(b, "  oldest pending: %s (captured %s)\n", age, t);
	}
	buf_addf(b, "replay: %llu attempts for %llu requests: ok %llu, retry %llu, permanent %llu",
		 (unsigned long long)s->attempts, (unsigned long long)s->replayed,
		 (unsigned long long)s->attempts_ok, (unsigned long long)s->attempts_retry,
		 (unsigned long long)s->attempts_permanent);
	if (s->revived)
		buf_addf(b, ", revived %llu", (unsigned long long)s->revived);
	buf_addc(b, '\n');
	if (s->attempts) {
		buf_addf(b, "  success rate %.1f%%   latency p50 %.1fms  p90 %.1fms  p99 %.1fms\n",
			 100.0 * (double)s->attempts_ok / (double)s->attempts,
			 hist_pct(&s->latency, 50), hist_pct(&s->latency, 90),
			 hist_pct(&s->latency, 99));
		buf_addf(b, "  amplification %.2f (attempts per replayed request; 1.00 = each sent once)\n",
			 audit_amplification(s->attempts, s->replayed));
	}
	human_dim(a, "by failure type", &s->by_failure, tty, 0);
	human_dim(a, "by host", &s->by_host, tty, 0);
	human_dim(a, "by route", &s->by_route, tty, 1);
	human_dim(a, "by last replay status", &s->by_status, tty, 0);
	buf_adds(b, "\nby replay attempts\n ");
	for (int i = 0; i < 7; i++)
		buf_addf(b, "  %s%d: %llu", i == 6 ? ">=" : "", i,
			 (unsigned long long)s->by_attempts[i]);
	buf_addc(b, '\n');
	if (s->first_ms && tty) {
		char t2[REC_TIME_LEN + 1];

		rec_time_fmt(s->first_ms, t);
		rec_time_fmt(s->last_ms, t2);
		buf_addf(b, "\ntimeline %s .. %s\n  captures |", t, t2);
		spark(b, s->tl_captures, AUDIT_TIMELINE);
		buf_adds(b, "|\n  replays  |");
		spark(b, s->tl_attempts, AUDIT_TIMELINE);
		buf_adds(b, "|\n");
	} else if (s->first_ms) {
		rec_time_fmt(s->first_ms, t);
		buf_addf(b, "\ntimeline from %s, %d buckets: captures", t, AUDIT_TIMELINE);
		for (int i = 0; i < AUDIT_TIMELINE; i++)
			buf_addf(b, " %llu", (unsigned long long)s->tl_captures[i]);
		buf_adds(b, "; replays");
		for (int i = 0; i < AUDIT_TIMELINE; i++)
			buf_addf(b, " %llu", (unsigned long long)s->tl_attempts[i]);
		buf_addc(b, '\n');
	}
	if (s->bad_lines)
		buf_addf(b, "\n%llu lines could not be parsed (see --verify)\n",
			 (unsigned long long)s->bad_lines);
}

static void json_numv(struct buf *b, double v)
{
	if (isfinite(v))
		buf_addf(b, "%.6g", v);
	else
		buf_adds(b, "null");
}

static void json_dim(struct app *a, const char *key, struct audit_dim *d)
{
	struct buf *b = &a->out, name;

	buf_init(&name);
	if (d->n)
		qsort(d->g, d->n, sizeof(*d->g), cmp_group);
	buf_addf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < d->n; i++) {
		const struct audit_group *g = &d->g[i];

		buf_reset(&name);
		group_name(a, g->name, &name);
		buf_adds(b, i ? ",{\"name\":" : "{\"name\":");
		json_add_str(b, name.data, name.len);
		buf_addf(b, ",\"requests\":%llu,\"pending\":%llu,\"ok\":%llu,\"dead\":%llu,"
			 "\"attempts\":%llu,\"replayed\":%llu,\"amplification\":",
			 (unsigned long long)g->requests, (unsigned long long)g->pending,
			 (unsigned long long)g->ok, (unsigned long long)g->dead,
			 (unsigned long long)g->attempts, (unsigned long long)g->replayed);
		json_numv(b, audit_amplification(g->attempts, g->replayed));
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
	buf_release(&name);
}

static void as_json(struct app *a, struct audit_summary *s, int64_t now)
{
	struct buf *b = &a->out;
	char t[REC_TIME_LEN + 1];

	buf_addf(b, "{\"spool\":");
	json_add_str(b, a->dir, strlen(a->dir));
	buf_addf(b, ",\"requests\":%llu,\"state\":{\"pending\":%llu,\"due\":%llu,"
		 "\"backing_off\":%llu,\"ok\":%llu,\"dead\":%llu}",
		 (unsigned long long)s->requests, (unsigned long long)s->pending,
		 (unsigned long long)s->due, (unsigned long long)s->backing_off,
		 (unsigned long long)s->ok, (unsigned long long)s->dead);
	buf_adds(b, ",\"oldest_pending\":");
	if (s->oldest_pending_ms) {
		rec_time_fmt(s->oldest_pending_ms, t);
		buf_addf(b, "{\"captured_at\":\"%s\",\"age_s\":%lld}", t,
			 (long long)((now - s->oldest_pending_ms) / 1000));
	} else {
		buf_adds(b, "null");
	}
	buf_addf(b, ",\"replay\":{\"attempts\":%llu,\"ok\":%llu,\"retry\":%llu,"
		 "\"permanent\":%llu,\"replayed\":%llu,\"revived\":%llu,\"success_rate\":",
		 (unsigned long long)s->attempts, (unsigned long long)s->attempts_ok,
		 (unsigned long long)s->attempts_retry,
		 (unsigned long long)s->attempts_permanent,
		 (unsigned long long)s->replayed, (unsigned long long)s->revived);
	json_numv(b, metric(s, "success_rate", now));
	buf_adds(b, ",\"amplification\":");
	json_numv(b, audit_amplification(s->attempts, s->replayed));
	buf_adds(b, ",\"latency_ms\":{\"p50\":");
	json_numv(b, hist_pct(&s->latency, 50));
	buf_adds(b, ",\"p90\":");
	json_numv(b, hist_pct(&s->latency, 90));
	buf_adds(b, ",\"p99\":");
	json_numv(b, hist_pct(&s->latency, 99));
	buf_adds(b, "}}");
	json_dim(a, "by_failure", &s->by_failure);
	json_dim(a, "by_host", &s->by_host);
	json_dim(a, "by_route", &s->by_route);
	json_dim(a, "by_status", &s->by_status);
	buf_adds(b, ",\"by_attempts\":[");
	for (int i = 0; i < 7; i++)
		buf_addf(b, "%s%llu", i ? "," : "", (unsigned long long)s->by_attempts[i]);
	buf_adds(b, "],\"timeline\":{");
	if (s->first_ms) {
		rec_time_fmt(s->first_ms, t);
		buf_addf(b, "\"from\":\"%s\",", t);
		rec_time_fmt(s->last_ms, t);
		buf_addf(b, "\"to\":\"%s\",", t);
	}
	buf_adds(b, "\"captures\":[");
	for (int i = 0; i < AUDIT_TIMELINE; i++)
		buf_addf(b, "%s%llu", i ? "," : "", (unsigned long long)s->tl_captures[i]);
	buf_adds(b, "],\"replays\":[");
	for (int i = 0; i < AUDIT_TIMELINE; i++)
		buf_addf(b, "%s%llu", i ? "," : "", (unsigned long long)s->tl_attempts[i]);
	buf_addf(b, "]},\"bad_lines\":%llu}\n", (unsigned long long)s->bad_lines);
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void prom_label(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n') {
			buf_adds(b, "\\n");
			continue;
		}
		buf_addc(b, *s);
	}
}

static void prom_dim(struct app *a, const char *metric_name, const char *label,
		     const char *help, struct audit_dim *d, int amp)
{
	struct buf *b = &a->out, name;

	buf_init(&name);
	buf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n", metric_name, help, metric_name);
	for (size_t i = 0; i < d->n; i++) {
		const struct audit_group *g = &d->g[i];

		if (amp && !g->replayed)
			continue;
		buf_reset(&name);
		group_name(a, g->name, &name);
		buf_addf(b, "%s{%s=\"", metric_name, label);
		prom_label(b, name.data ? name.data : "");
		if (amp)
			buf_addf(b, "\"} %.6g\n", audit_amplification(g->attempts, g->replayed));
		else
			buf_addf(b, "\"} %llu\n", (unsigned long long)g->requests);
	}
	buf_release(&name);
}

static void as_prom(struct app *a, struct audit_summary *s, int64_t now)
{
	struct buf *b = &a->out;
	static const double q[] = { 0.5, 0.9, 0.99 };
	double sum = 0;

	buf_adds(b, "# HELP redrive_requests Requests in the spool by state.\n"
		 "# TYPE redrive_requests gauge\n");
	buf_addf(b, "redrive_requests{state=\"due\"} %llu\n", (unsigned long long)s->due);
	buf_addf(b, "redrive_requests{state=\"backing_off\"} %llu\n",
		 (unsigned long long)s->backing_off);
	buf_addf(b, "redrive_requests{state=\"ok\"} %llu\n", (unsigned long long)s->ok);
	buf_addf(b, "redrive_requests{state=\"dead\"} %llu\n", (unsigned long long)s->dead);
	buf_adds(b, "# HELP redrive_oldest_pending_age_seconds Age of the oldest pending request.\n"
		 "# TYPE redrive_oldest_pending_age_seconds gauge\n");
	buf_addf(b, "redrive_oldest_pending_age_seconds %.3f\n",
		 s->oldest_pending_ms ? (double)(now - s->oldest_pending_ms) / 1000 : 0.0);
	buf_adds(b, "# HELP redrive_replay_attempts Replay attempts recorded in the spool, by outcome.\n"
		 "# TYPE redrive_replay_attempts gauge\n");
	buf_addf(b, "redrive_replay_attempts{outcome=\"ok\"} %llu\n",
		 (unsigned long long)s->attempts_ok);
	buf_addf(b, "redrive_replay_attempts{outcome=\"retry\"} %llu\n",
		 (unsigned long long)s->attempts_retry);
	buf_addf(b, "redrive_replay_attempts{outcome=\"permanent\"} %llu\n",
		 (unsigned long long)s->attempts_permanent);
	buf_adds(b, "# HELP redrive_replay_amplification Replay attempts per replayed request.\n"
		 "# TYPE redrive_replay_amplification gauge\n");
	buf_addf(b, "redrive_replay_amplification %.6g\n",
		 audit_amplification(s->attempts, s->replayed));
	for (size_t i = 0; i < s->latency.n; i++)
		sum += s->latency.v[i];
	buf_adds(b, "# HELP redrive_replay_latency_seconds Latency of replay attempts that got a response.\n"
		 "# TYPE redrive_replay_latency_seconds summary\n");
	for (int i = 0; i < 3; i++) {
		double v = hist_pct(&s->latency, q[i] * 100);

		buf_addf(b, "redrive_replay_latency_seconds{quantile=\"%g\"} ", q[i]);
		if (isfinite(v))
			buf_addf(b, "%.6g\n", v / 1000);
		else
			buf_adds(b, "NaN\n");
	}
	buf_addf(b, "redrive_replay_latency_seconds_sum %.6g\n", sum / 1000);
	buf_addf(b, "redrive_replay_latency_seconds_count %zu\n", s->latency.n);
	prom_dim(a, "redrive_failure_requests", "type",
		 "Requests by the failure that got them captured.", &s->by_failure, 0);
	prom_dim(a, "redrive_route_requests", "route",
		 "Requests by normalised route.", &s->by_route, 0);
	prom_dim(a, "redrive_route_amplification", "route",
		 "Replay attempts per replayed request, by route.", &s->by_route, 1);
}

/* --- records --------------------------------------------------------- */

static int each_line(struct app *a, void (*fn)(struct app *a, struct audit *au,
					      const struct spool_item *it),
		     struct audit *au, struct rd_err *err)
{
	struct spool_iter *it = NULL;
	struct spool_item item;
	int ret;

	if ((ret = spool_iter_new(a->sp, NULL, &it, err)) < 0)
		return ret;
	while ((ret = spool_iter_next(it, &item, err)) > 0) {
		fn(a, au, &item);
		if (a->out.len > 65536)
			flush_out(a);
	}
	spool_iter_free(it);
	return ret;
}

static void print_request(struct app *a, const struct rec_req *q, int state,
			  uint32_t attempts)
{
	struct buf *b = &a->out;

	if (a->red)
		redact_req_to_json(a->red, q, b);
	else
		rec_req_to_json(b, q);
	if (state < 0)
		return;
	/* the canonical line ends in "}\n": add the state before it */
	b->len -= 2;
	buf_addf(b, ",\"state\":\"%s\",\"replay_attempts\":%u}\n",
		 audit_state_name(state), attempts);
}

static void list_one(struct app *a, struct audit *au, const struct spool_item *it)
{
	struct rec_req q;
	struct rd_err err;
	uint32_t att = 0;
	int st;

	if (rec_kind_peek(it->line, it->len) != REC_REQUEST ||
	    rec_req_parse(&a->rp, it->line, it->len, 1, &q, &err) < 0)
		return;
	if ((st = audit_state_of(au, q.id, &att)) < 0)
		return;
	print_request(a, &q, st, att);
}

static void show_one(struct app *a, struct audit *au, const struct spool_item *it)
{
	enum rec_kind k = rec_kind_peek(it->line, it->len);
	const char *id = a->o.show;
	struct rd_err err;

	(void)au;
	if (k == REC_REQUEST) {
		struct rec_req q;

		if (rec_req_parse(&a->rp, it->line, it->len, 1, &q, &err) == 0 &&
		    strcmp(q.id, id) == 0)
			print_request(a, &q, -1, 0);
	} else if (k != REC_UNKNOWN) {
		struct rec_event e;

		if (rec_event_parse(&a->rp, it->line, it->len, &e, &err) == 0 &&
		    strcmp(e.ref, id) == 0) {
			buf_add(&a->out, it->line, it->len);
			buf_addc(&a->out, '\n');
		}
	}
}

static void fold_one(struct app *a, struct audit *au, const struct spool_item *it)
{
	(void)a;
	audit_fold(au, it);
}

/* --- verify ---------------------------------------------------------- */

static void on_finding(void *ctx, const struct spool_finding *f)
{
	struct app *a = ctx;

	if (a->o.c.json) {
		buf_adds(&a->out, "{\"file\":");
		json_add_str(&a->out, f->file, strlen(f->file));
		buf_addf(&a->out, ",\"offset\":%llu,\"bytes\":%llu,\"records_lost\":",
			 (unsigned long long)f->offset, (unsigned long long)f->bytes);
		if (f->lost >= 0)
			buf_addf(&a->out, "%lld", (long long)f->lost);
		else
			buf_adds(&a->out, "null");
		buf_adds(&a->out, ",\"problem\":");
		json_add_str(&a->out, f->what, strlen(f->what));
		buf_adds(&a->out, "}\n");
		return;
	}
	buf_addf(&a->out, "%s at byte %llu: %s", f->file,
		 (unsigned long long)f->offset, f->what);
	if (f->bytes)
		buf_addf(&a->out, " (%llu bytes)", (unsigned long long)f->bytes);
	if (f->lost > 0)
		buf_addf(&a->out, "; %lld records cannot be read", (long long)f->lost);
	else if (f->lost < 0)
		buf_adds(&a->out, "; records lost: unknown (no index entry)");
	buf_addc(&a->out, '\n');
}

static int do_verify(struct app *a)
{
	struct spool_verify_stats st;
	struct rd_err err;

	if (spool_verify(a->sp, on_finding, a, &st, &err) < 0) {
		flush_out(a);
		msg_error(&a->m, "%s", err.msg);
		return RD_EXIT_ERROR;
	}
	if (!a->o.c.json && a->o.c.verbosity >= 0)
		buf_addf(&a->out, "%s: %llu segments, %llu members, %llu records, %llu bytes checked: %llu finding%s\n",
			 a->dir, (unsigned long long)st.segments,
			 (unsigned long long)st.members, (unsigned long long)st.records,
			 (unsigned long long)st.bytes, (unsigned long long)st.findings,
			 st.findings == 1 ? "" : "s");
	return st.findings ? RD_EXIT_PARTIAL : RD_EXIT_OK;
}

/* --- main ------------------------------------------------------------ */

static int setup(struct app *a, struct rd_err *err)
{
	struct opts *o = &a->o;
	struct spool_opts so;
	int ret;

	if ((ret = cli_spool_dir(o->c.dir, a->dir, sizeof(a->dir), err)) < 0)
		return ret;
	if ((ret = sel_new(&o->so, &a->sel, err)) < 0)
		return ret;
	a->rules = xcalloc(o->nrules ? o->nrules : 1, sizeof(*a->rules));
	for (size_t i = 0; i < o->nrules; i++) {
		char *pat = xstrdup(o->rules_txt[i]), *eq = strrchr(pat, '=');

		*eq = '\0';
		ret = rx_new(pat, &a->rules[i].rx, err);
		free(pat);
		if (ret < 0)
			return ret;
		a->rules[i].repl = strrchr(o->rules_txt[i], '=') + 1;
	}
	if (!o->no_redact &&
	    (ret = redact_new(o->redacts, o->nredacts, &a->red, err)) < 0)
		return ret;
	spool_opts_init(&so);
	so.notice = on_notice;
	so.notice_ctx = a;
	return spool_open(a->dir, &so, &a->sp, err);
}

int main(int argc, char **argv)
{
	struct app a;
	struct audit au;
	struct audit_opts ao;
	struct rd_err err;
	int ret, status = RD_EXIT_ERROR, have_audit = 0;
	int64_t now;

	memset(&a, 0, sizeof(a));
	msg_init(&a.m, "rd-audit");
	signal(SIGPIPE, SIG_IGN);
	cli_common_init(&a.o.c);
	buf_init(&a.out);
	rec_parser_init(&a.rp);
	if ((ret = parse_opts(argc, argv, &a.o, &a.m)) != 0) {
		status = ret > 0 ? RD_EXIT_OK : RD_EXIT_ERROR;
		goto out;
	}
	a.m.verbosity = a.o.c.verbosity;
	if ((ret = setup(&a, &err)) < 0) {
		if (ret == RD_E_INVAL && !a.sp && err.msg[0] && strstr(err.msg, "does not exist"))
			msg_error(&a.m, "%s", err.msg);
		else if (ret == RD_E_INVAL)
			msg_usage(&a.m, "%s", err.msg);
		else
			msg_error(&a.m, "%s", err.msg);
		goto out;
	}
	if (a.o.verify) {
		status = do_verify(&a);
		goto out;
	}
	now = rec_now_ms();
	memset(&ao, 0, sizeof(ao));
	ao.sel = a.sel;
	ao.rules = a.rules;
	ao.nrules = a.o.nrules;
	ao.max_groups = a.o.max_groups;
	ao.now_ms = now;
	audit_init(&au, &ao);
	have_audit = 1;
	if (a.o.show) {
		if (each_line(&a, show_one, &au, &err) < 0)
			goto fail;
		if (!a.out.len) {
			msg_error(&a.m, "no record %s in %s", a.o.show, a.dir);
			status = RD_EXIT_PARTIAL;
			goto out;
		}
		status = RD_EXIT_OK;
		goto out;
	}
	if (each_line(&a, fold_one, &au, &err) < 0)
		goto fail;
	audit_finish(&au);
	if (a.o.list) {
		if (each_line(&a, list_one, &au, &err) < 0)
			goto fail;
	} else if (a.o.prom) {
		as_prom(&a, &au.s, now);
	} else if (a.o.c.json) {
		as_json(&a, &au.s, now);
	} else if (a.o.c.verbosity >= 0 || !a.o.html) {
		human(&a, &au.s, now);
	}
	if (a.o.html) {
		struct buf h;

		buf_init(&h);
		report_html(&h, &au.s, a.dir, now, a.red);
		if (afile_write(a.o.html, h.data, h.len, &err) < 0) {
			buf_release(&h);
			goto fail;
		}
		buf_release(&h);
		if (a.o.c.verbosity >= 0)
			fprintf(stderr, "rd-audit: report written to %s\n", a.o.html);
	}
	status = RD_EXIT_OK;
	for (size_t i = 0; i < a.o.nfails; i++) {
		const struct thr *t = &a.o.fails[i];
		double v = metric(&au.s, t->metric, now);
		char vb[64];

		if (thr_holds(t, v)) {
			/* the reason for the exit status: said even with -q */
			msg_error(&a.m, "--fail-if '%s' holds: %s is %s", t->text,
				 t->metric, thr_fmt(v, t->unit, vb, sizeof(vb)));
			status = RD_EXIT_PARTIAL;
		}
	}
	goto out;
fail:
	flush_out(&a);
	msg_error(&a.m, "%s", err.msg);
	status = RD_EXIT_ERROR;
out:
	flush_out(&a);
	if (a.out_broken && errno != EPIPE)
		status = RD_EXIT_ERROR;
	if (have_audit)
		audit_release(&au);
	rec_parser_release(&a.rp);
	for (size_t i = 0; a.rules && i < a.o.nrules; i++)
		rx_free(a.rules[i].rx);
	free(a.rules);
	redact_free(a.red);
	sel_free(a.sel);
	spool_close(a.sp);
	buf_release(&a.out);
	free(a.o.rules_txt);
	free(a.o.redacts);
	free(a.o.fails);
	return status;
}
