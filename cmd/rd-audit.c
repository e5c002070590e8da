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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"
#include "audit.h"
#include "ckpt.h"
#include "buf.h"
#include "cli.h"
#include "compl.h"
#include "idin.h"
#include "json.h"
#include "msg.h"
#include "redact.h"
#include "replay_status.h"
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
"Selection (summary and --list), as rd-replay takes it:\n"
"      --where FILTER       jq predicate over the stored request\n"
"      --match-url REGEX    PCRE2 pattern the URL must match\n"
"      --failure PATTERN    failure type, shell pattern ('http_5*'); repeatable\n"
"      --limit N            the first N selected requests, in log order\n"
"      --stdin              only the records named on standard input (ids,\n"
"                           or --list lines); unknown ids are named\n"
"      --since TIME         captured at or after TIME (RFC 3339, or a duration ago)\n"
"      --until TIME         captured before TIME\n"
"      --route-rule 'REGEX=NAME'  fold URL parts matching REGEX into NAME for\n"
"                           routes; repeatable; runs before the built-in rules\n"
"      --max-groups N       groups shown per dimension, the rest in (other)\n"
"                           (default 50)\n"
"Formats:\n"
"      --json               the summary as one JSON object\n"
"      --prom               Prometheus text, for node_exporter's textfile collector\n"
"      --prom-label K=V     a label on every --prom series (default\n"
"                           spool=NAME, the spool's directory name); repeatable\n"
"      --html FILE          write a self-contained HTML report to FILE\n"
"      --title TEXT         the report's title, e.g. an incident tag\n"
"                           (default 'redrive audit')\n"
"      --list               every selected request as NDJSON, with its state\n"
"      --show ID            one request, then its events, as NDJSON\n"
"Redaction (on by default):\n"
"      --redact REGEX       also hide headers whose name matches, and matches\n"
"                           in URLs and bodies; repeatable\n"
"      --no-redact          show secrets as stored\n"
"Checks:\n"
"      --verify             walk every member, check CRC and size, cross-check\n"
"                           the index (a nats:// stream: its replicas); exit 1\n"
"                           on any finding\n"
"      --nats-monitor URL   with --verify: a NATS server's monitoring endpoint\n"
"                           (http://host:8222), whose replica is compared with\n"
"                           the leader's; repeatable, one per server\n"
"      --fail-if EXPR       exit 1 when EXPR holds, e.g. 'pending>1000',\n"
"                           'dead>0', 'oldest_pending>1h'; repeatable\n"
"      --spool LOCATION     the spool: a directory (default $RD_SPOOL, then\n"
"                           $XDG_STATE_HOME/redrive/spool)\n"
"      --trust-spool        use the spool even if another user owns it or can\n"
"                           write to it (refused otherwise)\n"
"  -q, --quiet              no summary and no warnings: only errors, the\n"
"                           formats asked for, and why --fail-if failed\n"
"  -v, --verbose            more detail on stderr\n"
"  -h, --help               show this help\n"
"  -V, --version            show the version\n"
"\n"
"Exit status: 0 ok; 1 a --fail-if condition holds, --verify found damage or\n"
"--show found no such record; 2 error.  See rd-audit(1).\n";

enum {
	OPT_WHERE = CLI_OPT_TOOL, OPT_MATCH_URL, OPT_SINCE, OPT_UNTIL,
	OPT_ROUTE_RULE, OPT_MAX_GROUPS, OPT_PROM, OPT_HTML, OPT_LIST, OPT_SHOW,
	OPT_REDACT, OPT_NO_REDACT, OPT_VERIFY, OPT_FAIL_IF, OPT_FAILURE,
	OPT_LIMIT, OPT_PROM_LABEL, OPT_STDIN, OPT_TITLE, OPT_NATS_MONITOR
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
	{ "failure", required_argument, NULL, OPT_FAILURE },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "prom-label", required_argument, NULL, OPT_PROM_LABEL },
	{ "stdin", no_argument, NULL, OPT_STDIN },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "nats-monitor", required_argument, NULL, OPT_NATS_MONITOR },
	{ NULL, 0, NULL, 0 }
};

/* What option values complete to (compl.h). */
static const struct compl_hint hints[] = {
	{ "spool", "@dir" },
	{ "html", "@file" },
	{ "failure", "timeout connect dns tls network http_429 http_500 http_502 http_503 http_504 unknown" },
	{ "fail-if", "pending>1000 dead>0 oldest_pending>1h amplification>1.2" },
	{ NULL, NULL }
};

struct opts {
	struct cli_common c;
	struct sel_opts so;
	const char *since, *until, *html, *show, *title;
	const char **rules_txt, **redacts, **failures, **labels, **monitors;
	size_t nrules, nredacts, nfailures, nlabels, nmonitors;
	uint64_t limit;
	struct thr *fails;
	size_t nfails;
	uint64_t max_groups;
	int prom, list, verify, no_redact, use_stdin;
};

struct app {
	struct msg m;
	struct opts o;
	char dir[4096];
	char shown[4096];    /* dir as it may be shown: no password */
	struct audit_rule *rules;
	struct redact *red;
	struct sel *sel;
	struct spool *sp;
	struct buf out;
	struct rec_parser rp;      /* for --list and --show */
	int out_broken;
};

static const char *const fail_metrics[] = {
	"requests", "pending", "due", "backing_off", "ok", "dead", "attempts",
	"replayed", "revived", "amplification", "oldest_pending", "success_rate",
	"p50", "p90", "p99", NULL
};

/* NAME=VALUE, NAME a Prometheus label name, not reserved (__). */
static int prom_label_ok(const char *s)
{
	size_t n = strcspn(s, "=");

	if (!s[n] || n == 0 || (s[0] >= '0' && s[0] <= '9') ||
	    strncmp(s, "__", 2) == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* --fail-if EXPR: a threshold over one of the summary's quantities. */
static int add_fail_if(struct opts *o, const char *arg, struct msg *m)
{
	struct rd_err err;
	struct thr t;
	int bad = thr_parse(arg, &t, &err) < 0;
	size_t i;

	for (i = 0; fail_metrics[i]; i++)
		if (strcmp(fail_metrics[i], t.metric) == 0)
			break;
	/* an unknown name is the first thing wrong, whatever follows it */
	if (bad && (!t.metric[0] || fail_metrics[i])) {
		msg_usage(m, "--fail-if: %s", err.msg);
		return RD_E_INVAL;
	}
	if (!fail_metrics[i]) {
		msg_usage(m, "--fail-if '%s': unknown quantity '%s' (pending, due, backing_off, ok, dead, requests, attempts, replayed, revived, amplification, oldest_pending, success_rate, p50, p90, p99)",
			  arg, t.metric);
		return RD_E_INVAL;
	}
	o->fails = xrealloc(o->fails, (o->nfails + 1) * sizeof(*o->fails));
	o->fails[o->nfails++] = t;
	return 0;
}

/* Which records, as rd-replay takes them, and how routes group.  1 when
 * c is one of these, 0 when not, RD_E_INVAL. */
static int select_opt(struct opts *o, int c, const char *arg, struct msg *m)
{
	struct rd_err err;

	switch (c) {
	case OPT_WHERE: o->so.where = arg; return 1;
	case OPT_MATCH_URL: o->so.match_url = arg; return 1;
	case OPT_SINCE: o->since = arg; return 1;
	case OPT_UNTIL: o->until = arg; return 1;
	case OPT_FAILURE: cli_list_add(&o->failures, &o->nfailures, arg); return 1;
	case OPT_STDIN: o->use_stdin = 1; return 1;
	case OPT_LIMIT:
		if (cli_parse_u64(arg, 1, UINT64_MAX, &o->limit, &err) < 0)
			return msg_usage_opt(m, "--limit", &err);
		return 1;
	case OPT_ROUTE_RULE:
		if (!strchr(arg, '=')) {
			msg_usage(m, "--route-rule: '%s' is not REGEX=NAME", arg);
			return RD_E_INVAL;
		}
		cli_list_add(&o->rules_txt, &o->nrules, arg);
		return 1;
	case OPT_MAX_GROUPS:
		if (cli_parse_u64(arg, 1, 10000, &o->max_groups, &err) < 0)
			return msg_usage_opt(m, "--max-groups", &err);
		return 1;
	}
	return 0;
}

/* The formats: --prom and its labels, --html and its title, --list and
 * --show.  1 when c is one of these, 0 when not, RD_E_INVAL. */
static int format_opt(struct opts *o, int c, const char *arg, struct msg *m)
{
	switch (c) {
	case OPT_PROM: o->prom = 1; return 1;
	case OPT_PROM_LABEL:
		if (!prom_label_ok(arg)) {
			msg_usage(m, "--prom-label: '%s' is not NAME=VALUE with a Prometheus label name", arg);
			return RD_E_INVAL;
		}
		cli_list_add(&o->labels, &o->nlabels, arg);
		return 1;
	case OPT_HTML: o->html = arg; return 1;
	case OPT_TITLE: o->title = arg; return 1;
	case OPT_LIST: o->list = 1; return 1;
	case OPT_SHOW:
		if (!rec_id_valid(arg, strlen(arg))) {
			msg_usage(m, "--show: '%s' is not a record id", arg);
			return RD_E_INVAL;
		}
		o->show = arg;
		return 1;
	}
	return 0;
}

/* Redaction and the checks: --redact, --no-redact, --verify and
 * --fail-if.  1 when c is one of these, 0 when not, RD_E_INVAL. */
static int check_opt(struct opts *o, int c, const char *arg, struct msg *m)
{
	switch (c) {
	case OPT_REDACT: cli_list_add(&o->redacts, &o->nredacts, arg); return 1;
	case OPT_NO_REDACT: o->no_redact = o->so.show_secrets = 1; return 1;
	case OPT_VERIFY: o->verify = 1; return 1;
	case OPT_NATS_MONITOR: {
		struct rd_err err;

		if (cli_http_url("--nats-monitor", arg, &err) < 0) {
			msg_usage(m, "%s", err.msg);
			return RD_E_INVAL;
		}
		cli_list_add(&o->monitors, &o->nmonitors, arg);
		return 1;
	}
	case OPT_FAIL_IF:
		if (add_fail_if(o, arg, m) < 0)
			return RD_E_INVAL;
		return 1;
	}
	return 0;
}

static int refuse(struct msg *m, int bad, const char *why)
{
	if (bad)
		msg_usage(m, "%s", why);
	return bad;
}

/* What the options say together; then the lists into the selection. */
static int check_opts(struct opts *o, struct msg *m)
{
	struct rd_err err;

	if (o->list + (o->show != NULL) + o->verify + o->prom > 1 ||
	    (o->c.json && (o->list || o->show || o->prom))) {
		msg_usage(m, "choose one of --list, --show, --verify, --prom and --json (--json goes with --verify)");
		return RD_E_INVAL;
	}
	/* --verify and --show judge no summary: a --fail-if beside them
	 * would never hold, and a cron job would never hear of it */
	if (refuse(m, o->nfails && o->verify, "--fail-if goes with the summary, --list, --prom or --json, not with --verify") ||
	    refuse(m, o->nfails && o->show, "--fail-if goes with the summary, --list, --prom or --json, not with --show") ||
	    refuse(m, o->no_redact && o->nredacts, "--redact and --no-redact exclude each other") ||
	    refuse(m, o->nlabels && !o->prom, "--prom-label goes with --prom") ||
	    refuse(m, o->nmonitors && !o->verify, "--nats-monitor goes with --verify") ||
	    refuse(m, o->title && !o->html, "--title goes with --html"))
		return RD_E_INVAL;
	o->so.failures = o->failures;
	o->so.nfailures = o->nfailures;
	if (o->since && sel_parse_time(o->since, rec_now_ms(), &o->so.since_ms, &err) < 0)
		return msg_usage_opt(m, "--since", &err);
	if (o->until && sel_parse_time(o->until, rec_now_ms(), &o->so.until_ms, &err) < 0)
		return msg_usage_opt(m, "--until", &err);
	return 0;
}

/* Returns 0 to run, 1 when done (help, version), negative on error. */
static int parse_opts(int argc, char **argv, struct opts *o, struct msg *m)
{
	int (*const groups[])(struct opts *, int, const char *, struct msg *) = {
		select_opt, format_opt, check_opt
	};
	struct rd_err err;
	int c, ret;

	opterr = 0;
	o->max_groups = 50;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		size_t g;

		if (cli_common_opt(&o->c, c, optarg))
			continue;
		for (g = 0, ret = 0; g < sizeof(groups) / sizeof(groups[0]) && !ret; g++)
			ret = groups[g](o, c, optarg, m);
		if (ret < 0)
			return ret;
		if (!ret) {
			char why[256];

			msg_usage(m, "%s", cli_opt_error(c, argv, why, sizeof(why)));
			return RD_E_INVAL;
		}
	}
	if ((c = cli_help_version(&o->c, "rd-audit", usage_text)) != 0)
		return c;
	if (cli_extra_arg(argc, argv, optind, "", &err) < 0) {
		msg_usage(m, "%s", err.msg);
		return RD_E_INVAL;
	}
	return check_opts(o, m);
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

	char text[1024];

	msg_warn(&a->m, "%s", spool_notice_text(n, text, sizeof(text)));
}

/* --- the summary ----------------------------------------------------- */

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
	struct rd_err err;
	struct rec_req q;
	struct rec_event e;

	(void)au;
	if (k == REC_REQUEST) {
		if (rec_req_parse(&a->rp, it->line, it->len, 1, &q, &err) == 0 &&
		    strcmp(q.id, a->o.show) == 0)
			print_request(a, &q, -1, 0);
	} else if (k != REC_UNKNOWN &&
		   rec_event_parse(&a->rp, it->line, it->len, &e, &err) == 0 &&
		   strcmp(e.ref, a->o.show) == 0) {
		if (a->red)
			redact_event_to_json(a->red, &e, &a->out);
		else
			buf_addf(&a->out, "%.*s\n", (int)it->len, it->line);
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
		json_add_str(&a->out, f->where, strlen(f->where));
		if (f->no_offset)
			buf_adds(&a->out, ",\"offset\":null");
		else
			buf_addf(&a->out, ",\"offset\":%llu", (unsigned long long)f->offset);
		buf_addf(&a->out, ",\"bytes\":%llu,\"records_lost\":",
			 (unsigned long long)f->bytes);
		if (f->lost >= 0)
			buf_addf(&a->out, "%lld", (long long)f->lost);
		else
			buf_adds(&a->out, "null");
		buf_adds(&a->out, ",\"problem\":");
		json_add_str(&a->out, f->what, strlen(f->what));
		buf_adds(&a->out, "}\n");
		return;
	}
	if (f->no_offset)
		buf_addf(&a->out, "%s: %s", f->where, f->what);
	else
		buf_addf(&a->out, "%s at byte %llu: %s", f->where,
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
	if (!a->o.c.json && a->o.c.verbosity >= 0 && !spool_is_dir(a->dir))
		buf_addf(&a->out, "%s: %llu records, %llu bytes; %llu replica%s compared: %llu finding%s\n",
			 a->shown, (unsigned long long)st.records,
			 (unsigned long long)st.bytes, (unsigned long long)st.replicas,
			 st.replicas == 1 ? "" : "s", (unsigned long long)st.findings,
			 st.findings == 1 ? "" : "s");
	else if (!a->o.c.json && a->o.c.verbosity >= 0)
		buf_addf(&a->out, "%s: %llu segments, %llu members, %llu records, %llu bytes checked: %llu finding%s\n",
			 a->shown, (unsigned long long)st.segments,
			 (unsigned long long)st.members, (unsigned long long)st.records,
			 (unsigned long long)st.bytes, (unsigned long long)st.findings,
			 st.findings == 1 ? "" : "s");
	if (st.unindexed)
		msg_warn(&a->m, "%llu complete members past the newest segment's index: a writer died before indexing them, and the next reader or writer will (they are whole)",
			 (unsigned long long)st.unindexed);
	return st.findings ? RD_EXIT_PARTIAL : RD_EXIT_OK;
}

/* --- beside the log -------------------------------------------------- */

/* What the log does not hold: the last replay's status and the size. */
static int beside_log(struct app *a, struct audit_summary *s,
		      struct rd_err *err)
{
	int ret;

	if ((ret = replay_status_read(a->sp, &s->replay, err)) < 0)
		return ret;
	s->have_replay = ret == 1;
	return spool_usage(a->sp, &s->spool_bytes, err);
}

/* --stdin named an id that no record in the spool has. */
static void unknown_id(void *ctx, const char *id)
{
	struct app *a = ctx;

	msg_warn(&a->m, "standard input: no record %s in the spool", id);
}

/* spool="NAME" unless --prom-label names spool, then every --prom-label. */
static void prom_labels(const struct app *a, struct buf *l)
{
	const char *base = strrchr(a->shown, '/');
	int own = 0;

	for (size_t i = 0; i < a->o.nlabels; i++)
		own |= strncmp(a->o.labels[i], "spool=", 6) == 0;
	if (!own) {
		base = base && base[1] ? base + 1 : a->shown;
		buf_adds(l, "spool=\"");
		report_prom_label(l, base, strlen(base));
		buf_addc(l, '"');
	}
	for (size_t i = 0; i < a->o.nlabels; i++) {
		const char *v = strchr(a->o.labels[i], '=') + 1;

		buf_addf(l, "%s%.*s=\"", l->len ? "," : "",
			 (int)(v - 1 - a->o.labels[i]), a->o.labels[i]);
		report_prom_label(l, v, strlen(v));
		buf_addc(l, '"');
	}
}

/* --- main ------------------------------------------------------------ */

static int setup(struct app *a, struct rd_err *err)
{
	struct opts *o = &a->o;
	struct spool_opts so;
	int ret;

	if ((ret = cli_spool_location(o->c.spool, a->dir, sizeof(a->dir), err)) < 0)
		return ret;
	cli_spool_shown(a->dir, a->shown, sizeof(a->shown));
	if ((ret = sel_new(&o->so, &a->sel, err)) < 0)
		return ret;
	if (o->use_stdin && (ret = idin_read(STDIN_FILENO, a->sel, err)) < 0)
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
	so.trust = o->c.trust_spool;
	so.notice = on_notice;
	so.notice_ctx = a;
	if (o->nmonitors && spool_is_dir(a->dir))
		return rd_err_set(err, RD_E_INVAL, "--nats-monitor goes with a nats:// spool");
	so.nats.monitors = o->monitors;
	so.nats.nmonitors = o->nmonitors;
	return spool_open(a->dir, &so, &a->sp, err);
}

/* The formats asked for, from a finished fold. */
static int write_formats(struct app *a, struct audit *au, int64_t now,
			 struct rd_err *err)
{
	if (a->o.list) {
		if (each_line(a, list_one, au, err) < 0)
			return -1;
	} else if (a->o.prom) {
		struct buf l;

		buf_init(&l);
		prom_labels(a, &l);
		report_prom(&a->out, &au->s, now, a->red, l.data ? l.data : "");
		buf_release(&l);
	} else if (a->o.c.json) {
		report_json(&a->out, &au->s, a->shown, now, a->red);
	} else if (a->o.c.verbosity >= 0) {
		/* -q: the summary is not asked for; the exit status and the
		 * --fail-if line say what matters */
		report_text(&a->out, &au->s, a->shown, now, a->red, isatty(STDOUT_FILENO));
	}
	if (a->o.html) {
		struct buf h;
		int ret;

		buf_init(&h);
		report_html(&h, &au->s, a->shown, a->o.title, now, a->red);
		ret = afile_write(a->o.html, h.data, h.len, err);
		buf_release(&h);
		if (ret < 0)
			return ret;
		if (a->o.c.verbosity >= 0)
			msg_warn(&a->m, "report written to %s", a->o.html);
	}
	return 0;
}

/* RD_EXIT_PARTIAL when a --fail-if holds, each one said even with -q;
 * RD_EXIT_ERROR when --where failed on records, which are left out of
 * everything above (a cron job must not trust such a count). */
static int verdict(struct app *a, struct audit *au, int64_t now)
{
	int status = RD_EXIT_OK;

	for (size_t i = 0; i < a->o.nfails; i++) {
		const struct thr *t = &a->o.fails[i];
		double v = report_metric(&au->s, t->metric, now);
		char vb[64];

		if (thr_holds(t, v)) {
			msg_error(&a->m, "--fail-if '%s' holds: %s is %s", t->text,
				  t->metric, thr_fmt(v, t->unit, vb, sizeof(vb)));
			status = RD_EXIT_PARTIAL;
		}
	}
	if (au->where_failed) {
		msg_error(&a->m, "--where failed on %llu record%s, left out (the first, %s: %s)",
			  (unsigned long long)au->where_failed,
			  au->where_failed == 1 ? "" : "s", au->where_first, au->where_why);
		status = RD_EXIT_ERROR;
	}
	return status;
}

static void app_release(struct app *a)
{
	rec_parser_release(&a->rp);
	for (size_t i = 0; a->rules && i < a->o.nrules; i++)
		rx_free(a->rules[i].rx);
	free(a->rules);
	redact_free(a->red);
	sel_free(a->sel);
	spool_close(a->sp);
	buf_release(&a->out);
	free(a->o.rules_txt);
	free(a->o.redacts);
	free(a->o.fails);
	free(a->o.failures);
	free(a->o.labels);
	free(a->o.monitors);
}

/* The replay checkpoint, when there is a valid one: audit then says what
 * rd-replay says about the records it covers.  One that cannot be used
 * costs only that, said with -v. */
static void use_ckpt(struct app *a, struct pend *ck, struct audit_opts *ao)
{
	struct rd_err err;
	int ret = ckpt_read(a->sp, ck, &ao->ckpt_at, &err);

	if (ret == 1)
		ao->ckpt = ck;
	else if (ret < 0)
		msg_info(&a->m, "not using the replay checkpoint: %s", err.msg);
}

static void setup_error(struct app *a, int ret, const struct rd_err *err)
{
	if (ret == RD_E_INVAL && !a->sp && err->msg[0] && strstr(err->msg, "does not exist"))
		msg_error(&a->m, "%s", err->msg);
	else if (ret == RD_E_INVAL)
		msg_usage(&a->m, "%s", err->msg);
	else
		msg_error(&a->m, "%s", err->msg);
}

int main(int argc, char **argv)
{
	struct compl_tool ct = { "rd-audit", long_opts, short_opts, usage_text, hints };
	struct app a;
	struct audit au;
	struct audit_opts ao;
	struct pend ck;
	struct rd_err err;
	int ret, status = RD_EXIT_ERROR, have_audit = 0;
	int64_t now;

	/* completions/ asks the tool itself (compl.h) */
	if ((ret = cli_completion(&ct, argc, argv)) >= 0)
		return ret;
	memset(&a, 0, sizeof(a));
	pend_init(&ck);
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
		setup_error(&a, ret, &err);
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
	ao.limit = a.o.limit;
	ao.now_ms = now;
	use_ckpt(&a, &ck, &ao);
	audit_init(&au, &ao);
	have_audit = 1;
	if (a.o.show) {
		if (each_line(&a, show_one, &au, &err) < 0)
			goto fail;
		status = a.out.len ? RD_EXIT_OK : RD_EXIT_PARTIAL;
		if (!a.out.len)
			msg_error(&a.m, "no record %s in %s", a.o.show, a.shown);
		goto out;
	}
	if (each_line(&a, fold_one, &au, &err) < 0 || beside_log(&a, &au.s, &err) < 0)
		goto fail;
	audit_finish(&au);
	if (a.o.use_stdin)
		sel_unseen(a.sel, unknown_id, &a);
	if (write_formats(&a, &au, now, &err) < 0)
		goto fail;
	status = verdict(&a, &au, now);
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
	pend_release(&ck);
	app_release(&a);
	return status;
}
