/*
 * rd-replay - send captured requests again, at a controlled and adaptive
 * rate, only while the downstream is healthy.
 *
 * This file holds the command line, the output formats (NDJSON outcomes,
 * the progress line, the summary, --dry-run renderings) and the exit
 * codes.  The loop itself is lib/replay.c.
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

#include "buf.h"
#include "cli.h"
#include "cli_http.h"
#include "compl.h"
#include "creq.h"
#include "dest.h"
#include "dryrun.h"
#include "http.h"
#include "idin.h"
#include "journal.h"
#include "json.h"
#include "msg.h"
#include "num.h"
#include "pend.h"
#include "rec.h"
#include "redact.h"
#include "replay.h"
#include "replay_ctl.h"
#include "sel.h"
#include "xalloc.h"
#include "banned.h"

static const char usage_text[] =
"Usage: rd-replay [OPTIONS]\n"
"       rd-replay --stdin [OPTIONS] < IDS\n"
"       rd-replay --set-rate RATE [--spool LOCATION]\n"
"Send pending requests from the spool again, paced, gated and retried.\n"
"\n"
"Pace:\n"
"      --rate RATE          most requests per second to each host, e.g. 200/s,\n"
"                           50/m, or max; HOST=RATE for one host (repeatable)\n"
"                           (default 100/s)\n"
"      --burst N            tokens the bucket holds (default 20ms of the rate, at least 2)\n"
"  -c, --concurrency N      most requests in flight to each host (default 16);\n"
"                           HOST=N for one host (repeatable)\n"
"      --adaptive           follow the downstream: start low, grow while healthy,\n"
"                           cut on errors, 429, 503 and queueing; at most --rate\n"
"      --adaptive-start RATE first rate for --adaptive or --ramp (default rate/10)\n"
"      --ramp DUR           rise in a straight line to --rate over DUR\n"
"      --latency-target DUR --adaptive: cut when p95 latency exceeds DUR\n"
"      --latency-tolerance X --adaptive: latency above X times the lowest seen\n"
"                           is queueing (default 1.5; off: no such check)\n"
"      --error-target PCT   --adaptive: cut when errors exceed PCT (default 1%)\n"
"Gate:\n"
"      --gate COMMAND       send only while COMMAND (run with /bin/sh -c) exits 0\n"
"      --gate-every DUR     re-run the gate this often (default 5s)\n"
"      --gate-timeout DUR   a gate running longer counts as closed (default 30s)\n"
"Retries:\n"
"      --max-attempts N     attempts before a record goes dead (default 5)\n"
"      --backoff DUR        base of the exponential backoff (default 1s)\n"
"      --backoff-max DUR    cap of the backoff (default 5m)\n"
"      --success SET        statuses that count as delivered (default 2xx)\n"
"      --max-age DUR        records captured longer ago go dead, unsent\n"
"      --response-bytes N   of a failed response's body, keep N bytes in its\n"
"                           attempt event (default 1K; 0: none)\n"
"Selection:\n"
"      --where FILTER       jq predicate over the stored record\n"
"      --match-url REGEX    PCRE2 pattern the URL must match\n"
"      --since TIME         captured at or after TIME (RFC 3339, or a duration ago)\n"
"      --until TIME         captured before TIME\n"
"      --failure PATTERN    failure type, shell pattern (e.g. 'http_5*'); repeatable\n"
"      --limit N            at most N records this run\n"
"      --stdin              only the records or ids given on standard input\n"
"      --revive             revive selected dead records and send them again\n"
"      --reason TEXT        --revive: why, recorded with who revived\n"
"      --max-revives N      --revive: skip records revived N times already\n"
"                           (default 3)\n"
"      --force              --revive: revive them anyway\n"
"Request:\n"
"      --target URL         send to this base URL instead (canary, failover)\n"
"  -H, --header 'N: V'      set a header, replacing the captured one; repeatable\n"
"      --drop-header NAME   do not send this captured header; repeatable\n"
"      --idempotency-header NAME  header carrying the record's key\n"
"                           (default Idempotency-Key)\n"
"      --no-idempotency-key send no idempotency header\n"
"      --allow-host HOST    hosts that may be sent to (default: each record's own\n"
"                           host); '*.example.com' matches subdomains; repeatable\n"
"      --timeout DUR        whole-request timeout (default 30s)\n"
"      --connect-timeout DUR connect timeout (default 10s)\n"
"  -k, --insecure           do not verify TLS certificates\n"
"      --cacert FILE        verify TLS with the CA certificates in FILE\n"
"      --http1.1            use HTTP/1.1 only\n"
"      --http2-prior-knowledge  use HTTP/2 without upgrade, also over http://\n"
"Run:\n"
"      --max-time DUR       stop starting requests after DUR\n"
"      --grace DUR          after a stop, wait DUR for requests in flight\n"
"                           (default 10s)\n"
"      --dry-run[=FORMAT]   print what would be sent, as curl commands (default)\n"
"                           or raw HTTP; send nothing, record nothing\n"
"      --set-rate RATE      change the rate limit of the replay running on the\n"
"                           spool within a second, and exit (max lifts it)\n"
"      --spool LOCATION     the spool: a directory (default $RD_SPOOL, then\n"
"                           $XDG_STATE_HOME/redrive/spool)\n"
"      --trust-spool        use the spool even if another user owns it or can\n"
"                           write to it (refused otherwise)\n"
"Output:\n"
"      --json               one JSON object per outcome on stdout\n"
"      --no-redact          show secrets (credential headers, a URL's user:pass@\n"
"                           and credential query values) in --dry-run, --json\n"
"                           and -v output\n"
"  -q, --quiet              no summary, progress or warnings\n"
"  -v, --verbose            more detail on stderr\n"
"  -h, --help               show this help\n"
"  -V, --version            show the version\n"
"\n"
"Exit status: 0 nothing selected is left pending; 1 work remains (gate\n"
"closed, time spent, retries scheduled, refused hosts); 2 error; 3 another\n"
"rd-replay holds the spool; 4 this run moved records to dead letters.\n"
"The first that applies of 2, 3, 4, 1.\n"
"See rd-replay(1) and redrive-spool(5).\n";

enum {
	OPT_RATE = CLI_OPT_TOOL, OPT_BURST, OPT_ADAPTIVE, OPT_ADAPTIVE_START,
	OPT_LAT_TARGET, OPT_ERR_TARGET, OPT_LAT_TOLERANCE, OPT_RAMP,
	OPT_GATE, OPT_GATE_EVERY,
	OPT_GATE_TIMEOUT, OPT_MAX_ATTEMPTS, OPT_BACKOFF, OPT_BACKOFF_MAX,
	OPT_SUCCESS, OPT_WHERE, OPT_MATCH_URL, OPT_SINCE, OPT_UNTIL,
	OPT_FAILURE, OPT_LIMIT, OPT_STDIN, OPT_REVIVE, OPT_TARGET,
	OPT_DROP_HEADER, OPT_IDEM_HEADER, OPT_NO_IDEM, OPT_ALLOW_HOST,
	OPT_TIMEOUT, OPT_MAX_TIME, OPT_GRACE, OPT_DRY_RUN, OPT_MAX_AGE, OPT_RESPONSE_BYTES,
	OPT_REASON, OPT_MAX_REVIVES, OPT_FORCE, OPT_NO_REDACT, OPT_SET_RATE
};

static const char short_opts[] = CLI_COMMON_SHORT CLI_HTTP_SHORT "c:H:";
static const struct option long_opts[] = {
	CLI_COMMON_LONG,
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "concurrency", required_argument, NULL, 'c' },
	{ "adaptive", no_argument, NULL, OPT_ADAPTIVE },
	{ "adaptive-start", required_argument, NULL, OPT_ADAPTIVE_START },
	{ "latency-target", required_argument, NULL, OPT_LAT_TARGET },
	{ "error-target", required_argument, NULL, OPT_ERR_TARGET },
	{ "latency-tolerance", required_argument, NULL, OPT_LAT_TOLERANCE },
	{ "ramp", required_argument, NULL, OPT_RAMP },
	{ "gate", required_argument, NULL, OPT_GATE },
	{ "gate-every", required_argument, NULL, OPT_GATE_EVERY },
	{ "gate-timeout", required_argument, NULL, OPT_GATE_TIMEOUT },
	{ "max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS },
	{ "backoff", required_argument, NULL, OPT_BACKOFF },
	{ "backoff-max", required_argument, NULL, OPT_BACKOFF_MAX },
	{ "success", required_argument, NULL, OPT_SUCCESS },
	{ "where", required_argument, NULL, OPT_WHERE },
	{ "match-url", required_argument, NULL, OPT_MATCH_URL },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "failure", required_argument, NULL, OPT_FAILURE },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "stdin", no_argument, NULL, OPT_STDIN },
	{ "revive", no_argument, NULL, OPT_REVIVE },
	{ "set-rate", required_argument, NULL, OPT_SET_RATE },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "header", required_argument, NULL, 'H' },
	{ "drop-header", required_argument, NULL, OPT_DROP_HEADER },
	{ "idempotency-header", required_argument, NULL, OPT_IDEM_HEADER },
	{ "no-idempotency-key", no_argument, NULL, OPT_NO_IDEM },
	{ "allow-host", required_argument, NULL, OPT_ALLOW_HOST },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	CLI_HTTP_LONG,
	{ "max-time", required_argument, NULL, OPT_MAX_TIME },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "dry-run", optional_argument, NULL, OPT_DRY_RUN },
	{ "no-redact", no_argument, NULL, OPT_NO_REDACT },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "response-bytes", required_argument, NULL, OPT_RESPONSE_BYTES },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "max-revives", required_argument, NULL, OPT_MAX_REVIVES },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ NULL, 0, NULL, 0 }
};

/* What option values complete to (compl.h). */
static const struct compl_hint hints[] = {
	{ "spool", "@dir" },
	{ "cacert", "@file" },
	{ "gate", "@command" },
	{ "rate", "max 10/s 100/s 1000/s" },
	{ "set-rate", "max 10/s 100/s 1000/s" },
	{ "latency-tolerance", "1.5 2 3 off" },
	{ "failure", "timeout connect dns tls network http_429 http_500 http_502 http_503 http_504 unknown" },
	{ "dry-run", "curl raw" },
	{ NULL, NULL }
};

struct opts {
	struct cli_common c;
	struct replay_opts r;
	struct sel_opts so;
	const char **failures, **drops, **allows;
	size_t nfailures, ndrops, nallows;
	struct hdr *sets;
	int use_stdin;
	const char *since, *until;
	char user[128];
	const char *max_age;      /* as typed */
	int no_redact;
	int set_rate;             /* --set-rate given: set_rate_to, then exit */
	struct dest_limit *limits; /* --rate/--concurrency HOST=... */
	size_t nlimits;
	double set_rate_to;
};

struct app {
	struct msg m;
	struct opts *o;
	struct buf out;
	int tty, out_broken;
	char gate_said[8][GATE_LINE_MAX + 1]; /* the gate's recent lines */
	unsigned gate_next;
	struct redact *red;       /* NULL with --no-redact */
	struct buf url;           /* scratch: a URL as shown */
};

static volatile sig_atomic_t stop_flag;

/* --set-rate: tell the replay running on dir, and wait for it to say it
 * took it. */
static int set_rate(struct app *a, const char *dir)
{
	struct spool_opts so;
	struct spool *sp = NULL;
	struct replay_status st;
	struct rd_err err;
	char user[128], n[64];
	int ret;

	if (access(dir, F_OK) < 0) {
		msg_error(&a->m, "no replay is running on '%s': it does not exist", dir);
		return RD_EXIT_PARTIAL;
	}
	spool_opts_init(&so);
	so.trust = a->o->c.trust_spool;
	journal_user(user, sizeof(user));
	if ((ret = spool_open(dir, &so, &sp, &err)) >= 0)
		ret = replay_ctl_set(sp, a->o->set_rate_to, user, 5000, &st, &err);
	spool_close(sp);
	if (ret < 0) {
		msg_error(&a->m, "%s", err.msg);
		return RD_EXIT_ERROR;
	}
	if (ret == REPLAY_CTL_NOT_RUNNING) {
		msg_error(&a->m, "no replay is running on '%s'", dir);
		return RD_EXIT_PARTIAL;
	}
	if (ret == REPLAY_CTL_NOT_TAKEN) {
		msg_error(&a->m, "the replay running on '%s' (pid %ld) did not take the new rate within 5s",
			  dir, st.pid);
		return RD_EXIT_PARTIAL;
	}
	if (a->o->c.verbosity >= 0) {
		if (a->o->set_rate_to > 0)
			msg_warn(&a->m, "the replay running on '%s' (pid %ld) now sends at most %s/s",
				 dir, st.pid, num_fmt(a->o->set_rate_to, NUM_TEXT, n, sizeof(n)));
		else
			msg_warn(&a->m, "the replay running on '%s' (pid %ld) has no rate limit now",
				 dir, st.pid);
	}
	return RD_EXIT_OK;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int bad(struct msg *m, const char *opt, const struct rd_err *err)
{
	msg_usage(m, "%s: %s", opt, err->msg);
	return RD_E_INVAL;
}

static int parse_header(struct opts *o, const char *arg, struct msg *m)
{
	struct rd_err err;
	struct hdr h;

	if (creq_parse_header(arg, &h, &err) < 0) {
		msg_usage(m, "%s", err.msg);
		return RD_E_INVAL;
	}
	if (!rec_hdr_name_valid(h.name, h.name_len) ||
	    !rec_hdr_value_valid(h.value, h.value_len)) {
		msg_usage(m, "header '%s': bad name, or a control character in the value", arg);
		return RD_E_INVAL;
	}
	o->sets = xrealloc(o->sets, (o->r.rules.nset + 1) * sizeof(*o->sets));
	o->sets[o->r.rules.nset++] = h;
	return 0;
}

static int parse_dur(const char *opt, const char *arg, uint64_t *out,
		     struct msg *m)
{
	struct rd_err err;

	if (cli_parse_duration(arg, out, &err) < 0)
		return bad(m, opt, &err);
	return 0;
}

static int parse_pct(const char *arg, double *out, struct msg *m)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || errno || v < 0 || v > 100 ||
	    !(*end == '\0' || (end[0] == '%' && end[1] == '\0'))) {
		msg_usage(m, "--error-target: '%s' is not a percentage like 1%%", arg);
		return RD_E_INVAL;
	}
	*out = v / 100;
	return 0;
}

/* --latency-tolerance: a factor above 1, or off (0). */
static int parse_tolerance(const char *arg, double *out, struct msg *m)
{
	char *end;
	double v;

	if (strcmp(arg, "off") == 0) {
		*out = 0;
		return 0;
	}
	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end || errno || !(v > 1 && v <= 100)) {
		msg_usage(m, "--latency-tolerance: '%s' is not a factor above 1 "
			  "(like 1.5) or off", arg);
		return RD_E_INVAL;
	}
	*out = v;
	return 0;
}

/* The options of dead letters and their age: 1 when c was one of them
 * (0 or RD_E_INVAL in *ret), 0 when not. */
static int parse_dead_opt(struct opts *o, int c, const char *arg,
			  struct msg *m, int *ret)
{
	struct rd_err err;
	uint64_t v;

	*ret = 0;
	switch (c) {
	case OPT_MAX_AGE:
		o->max_age = arg;
		if (parse_dur("--max-age", arg, &o->r.max_age_ms, m) < 0) {
			*ret = RD_E_INVAL;
		} else if (!o->r.max_age_ms) {
			msg_usage(m, "--max-age: must be above zero");
			*ret = RD_E_INVAL;
		}
		return 1;
	case OPT_RESPONSE_BYTES:
		if (cli_parse_size(arg, &v, &err) < 0) {
			*ret = bad(m, "--response-bytes", &err);
		} else if (v > 65536) {
			msg_usage(m, "--response-bytes: at most 64K");
			*ret = RD_E_INVAL;
		} else {
			o->r.response_bytes = (size_t)v;
		}
		return 1;
	case OPT_REASON:
		if (!*arg || strlen(arg) > 500 || json_utf8_check(arg, strlen(arg)) >= 0 ||
		    !rec_hdr_value_valid(arg, strlen(arg))) {
			msg_usage(m, "--reason: 1 to 500 bytes of text on one line");
			*ret = RD_E_INVAL;
		}
		o->r.revive_reason = arg;
		return 1;
	case OPT_MAX_REVIVES:
		if (cli_parse_u64(arg, 0, PEND_REVIVES_MAX, &v, &err) < 0)
			*ret = bad(m, "--max-revives", &err);
		else
			o->r.max_revives = (unsigned)v;
		return 1;
	case OPT_FORCE:
		o->r.force = 1;
		return 1;
	}
	return 0;
}

/* Returns 0 to run, 1 when done (help, version), negative on error. */
/* How fast: --rate, --set-rate, --burst, -c, the adaptive controller and --ramp.  1 when c is one of these, 0 when not, RD_E_INVAL. */
static int pace_opt(struct opts *o, int c, const char *arg, struct msg *m)
{
	struct rd_err err;
	uint64_t v;
	int ret;

	switch (c) {
	case OPT_RATE:
		if ((ret = dest_limit_parse(arg, 1, &o->limits, &o->nlimits,
					    &err)) != 0) {
			if (ret < 0)
				return bad(m, "--rate", &err);
		} else if (strcmp(arg, "max") == 0)
			o->r.rate = 0;
		else if (cli_parse_rate(arg, &o->r.rate, &err) < 0)
			return bad(m, "--rate", &err);
		return 1;
	case OPT_SET_RATE:
		o->set_rate = 1;
		if (strcmp(arg, "max") == 0)
			o->set_rate_to = 0;
		else if (cli_parse_rate(arg, &o->set_rate_to, &err) < 0)
			return bad(m, "--set-rate", &err);
		return 1;
	case OPT_BURST:
		if (cli_parse_u64(arg, 1, 1000000, &v, &err) < 0)
			return bad(m, "--burst", &err);
		o->r.burst = (double)v;
		return 1;
	case 'c':
		if ((ret = dest_limit_parse(arg, 0, &o->limits, &o->nlimits,
					    &err)) != 0) {
			if (ret < 0)
				return bad(m, "--concurrency", &err);
		} else if (cli_parse_u64(arg, 1, 10000, &v, &err) < 0) {
			return bad(m, "--concurrency", &err);
		} else {
			o->r.concurrency = (unsigned)v;
		}
		return 1;
	case OPT_ADAPTIVE: o->r.adaptive = 1; return 1;
	case OPT_ADAPTIVE_START:
		if (cli_parse_rate(arg, &o->r.adaptive_start, &err) < 0)
			return bad(m, "--adaptive-start", &err);
		return 1;
	case OPT_LAT_TARGET:
		if (parse_dur("--latency-target", arg, &v, m) < 0)
			return RD_E_INVAL;
		o->r.latency_target_ms = (double)v;
		return 1;
	case OPT_ERR_TARGET:
		if (parse_pct(arg, &o->r.error_target, m) < 0)
			return RD_E_INVAL;
		return 1;
	case OPT_LAT_TOLERANCE:
		if (parse_tolerance(arg, &o->r.latency_tolerance, m) < 0)
			return RD_E_INVAL;
		return 1;
	case OPT_RAMP:
		if (parse_dur("--ramp", arg, &o->r.ramp_ms, m) < 0)
			return RD_E_INVAL;
		return 1;
	}
	return 0;
}

/* When to send and retry: the gate, attempts, backoff and what counts as success.  1 when c is one of these, 0 when not, RD_E_INVAL. */
static int retry_opt(struct opts *o, int c, const char *arg, struct msg *m)
{
	struct rd_err err;
	uint64_t v;

	switch (c) {
	case OPT_GATE: o->r.gate = arg; return 1;
	case OPT_GATE_EVERY:
		if (parse_dur("--gate-every", arg, &o->r.gate_every_ms, m) < 0)
			return RD_E_INVAL;
		if (o->r.gate_every_ms < 10) {
			msg_usage(m, "--gate-every: at least 10ms");
			return RD_E_INVAL;
		}
		return 1;
	case OPT_GATE_TIMEOUT:
		if (parse_dur("--gate-timeout", arg, &o->r.gate_timeout_ms, m) < 0)
			return RD_E_INVAL;
		return 1;
	case OPT_MAX_ATTEMPTS:
		if (cli_parse_u64(arg, 1, 1000, &v, &err) < 0)
			return bad(m, "--max-attempts", &err);
		o->r.max_attempts = (unsigned)v;
		return 1;
	case OPT_BACKOFF:
		if (parse_dur("--backoff", arg, &o->r.backoff_ms, m) < 0)
			return RD_E_INVAL;
		return 1;
	case OPT_BACKOFF_MAX:
		if (parse_dur("--backoff-max", arg, &o->r.backoff_max_ms, m) < 0)
			return RD_E_INVAL;
		return 1;
	case OPT_SUCCESS:
		if (http_okset_parse(arg, &o->r.ok, &err) < 0)
			return bad(m, "--success", &err);
		return 1;
	}
	return 0;
}

/* Which records: the selection and --revive.  1 when c is one of these, 0 when not, RD_E_INVAL. */
static int select_opt(struct opts *o, int c, const char *arg, struct msg *m)
{
	struct rd_err err;

	switch (c) {
	case OPT_WHERE: o->so.where = arg; return 1;
	case OPT_MATCH_URL: o->so.match_url = arg; return 1;
	case OPT_SINCE: o->since = arg; return 1;
	case OPT_UNTIL: o->until = arg; return 1;
	case OPT_FAILURE: cli_list_add(&o->failures, &o->nfailures, arg); return 1;
	case OPT_LIMIT:
		if (cli_parse_u64(arg, 1, UINT64_MAX, &o->r.limit, &err) < 0)
			return bad(m, "--limit", &err);
		return 1;
	case OPT_STDIN: o->use_stdin = 1; return 1;
	case OPT_REVIVE: o->r.revive = 1; return 1;
	}
	return 0;
}

/* What is sent: the target, headers, the idempotency key, the allow-list and --timeout.  1 when c is one of these, 0 when not, RD_E_INVAL. */
static int request_opt(struct opts *o, int c, const char *arg, struct msg *m)
{

	switch (c) {
	case OPT_TARGET:
		if (strncmp(arg, "http://", 7) != 0 &&
		    strncmp(arg, "https://", 8) != 0) {
			msg_usage(m, "--target: '%s' is not an http or https URL", arg);
			return RD_E_INVAL;
		}
		o->r.rules.target = arg;
		return 1;
	case 'H':
		if (parse_header(o, arg, m) < 0)
			return RD_E_INVAL;
		return 1;
	case OPT_DROP_HEADER: cli_list_add(&o->drops, &o->ndrops, arg); return 1;
	case OPT_IDEM_HEADER:
		if (!rec_hdr_name_valid(arg, strlen(arg))) {
			msg_usage(m, "--idempotency-header: '%s' is not a header name", arg);
			return RD_E_INVAL;
		}
		o->r.rules.idem_header = arg;
		return 1;
	case OPT_NO_IDEM: o->r.rules.idem_header = NULL; return 1;
	case OPT_ALLOW_HOST: cli_list_add(&o->allows, &o->nallows, arg); return 1;
	case OPT_TIMEOUT:
		if (parse_dur("--timeout", arg, &o->r.http.timeout_ms, m) < 0)
			return RD_E_INVAL;
		if (!o->r.http.timeout_ms) {
			msg_usage(m, "--timeout: must be above zero");
			return RD_E_INVAL;
		}
		return 1;
	}
	return 0;
}

/* The run itself: --max-time, --grace, --no-redact and --dry-run.  1 when c is one of these, 0 when not, RD_E_INVAL. */
static int run_opt(struct opts *o, int c, const char *arg, struct msg *m)
{

	switch (c) {
	case OPT_MAX_TIME:
		if (parse_dur("--max-time", arg, &o->r.max_time_ms, m) < 0)
			return RD_E_INVAL;
		return 1;
	case OPT_GRACE:
		if (parse_dur("--grace", arg, &o->r.grace_ms, m) < 0)
			return RD_E_INVAL;
		return 1;
	case OPT_NO_REDACT: o->no_redact = 1; return 1;
	case OPT_DRY_RUN:
		if (!arg || strcmp(arg, "curl") == 0) {
			o->r.dry = REPLAY_DRY_CURL;
		} else if (strcmp(arg, "raw") == 0) {
			o->r.dry = REPLAY_DRY_RAW;
		} else {
			msg_usage(m, "--dry-run: format must be curl or raw");
			return RD_E_INVAL;
		}
		return 1;
	}
	return 0;
}

/* What the options say together; then the lists into the run's options. */
static int check_opts(struct opts *o, struct msg *m)
{
	struct rd_err err;

	if (o->r.ramp_ms && o->r.rate <= 0) {
		msg_usage(m, "--ramp needs a --rate to rise to, not max");
		return RD_E_INVAL;
	}
	if (o->set_rate && (o->use_stdin || o->r.revive || o->r.dry != REPLAY_DRY_OFF)) {
		msg_usage(m, "--set-rate changes the replay that runs; it does not replay itself");
		return RD_E_INVAL;
	}
	if (o->r.backoff_max_ms < o->r.backoff_ms) {
		msg_usage(m, "--backoff-max must not be below --backoff");
		return RD_E_INVAL;
	}
	if (!o->r.revive && (o->r.revive_reason || o->r.force)) {
		msg_usage(m, "%s applies to --revive only",
			  o->r.force ? "--force" : "--reason");
		return RD_E_INVAL;
	}
	if (o->since && sel_parse_time(o->since, rec_now_ms(), &o->so.since_ms, &err) < 0)
		return bad(m, "--since", &err);
	if (o->until && sel_parse_time(o->until, rec_now_ms(), &o->so.until_ms, &err) < 0)
		return bad(m, "--until", &err);
	o->so.failures = o->failures;
	o->so.nfailures = o->nfailures;
	o->r.limits = o->limits;
	o->r.nlimits = o->nlimits;
	o->r.rules.drop_hdrs = o->drops;
	o->r.rules.ndrop = o->ndrops;
	o->r.rules.allow_hosts = o->allows;
	o->r.rules.nallow = o->nallows;
	o->r.rules.set_hdrs = o->sets;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o, struct msg *m)
{
	int (*const groups[])(struct opts *, int, const char *, struct msg *) = {
		pace_opt, retry_opt, select_opt, request_opt, run_opt
	};
	struct rd_err err;
	int c, ret;

	memset(o, 0, sizeof(*o));
	cli_common_init(&o->c);
	replay_opts_init(&o->r);
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		size_t g;

		if (cli_common_opt(&o->c, c, optarg))
			continue;
		if ((ret = cli_http_opt(&o->r.http, c, optarg, &err)) != 0) {
			if (ret < 0) {
				msg_usage(m, "%s", err.msg);
				return ret;
			}
			continue;
		}
		if (parse_dead_opt(o, c, optarg, m, &ret)) {
			if (ret < 0)
				return ret;
			continue;
		}
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
	if ((c = cli_help_version(&o->c, "rd-replay", usage_text)) != 0)
		return c;
	if (optind < argc) {
		msg_usage(m, "unexpected argument '%s'", argv[optind]);
		return RD_E_INVAL;
	}
	return check_opts(o, m);
}

static void opts_release(struct opts *o)
{
	free(o->failures);
	free(o->drops);
	free(o->allows);
	free(o->sets);
	free(o->limits);
}

static void flush_out(struct app *a)
{
	size_t done;

	if (a->out_broken || a->out.len == 0)
		return;
	if (buf_write_fd(&a->out, STDOUT_FILENO, &done) < 0)
		a->out_broken = 1;
	buf_reset(&a->out);
}

/* A URL as the output shows it: its secrets masked unless --no-redact. */
static const char *shown_url(struct app *a, const char *u)
{
	if (!a->red)
		return u;
	buf_reset(&a->url);
	redact_url(a->red, u, strlen(u), &a->url);
	return a->url.data ? a->url.data : "";
}

static void on_outcome(void *ctx, const struct replay_outcome *oc)
{
	struct app *a = ctx;
	const char *url = shown_url(a, oc->url);
	char ms[NUM_LEN];

	if (a->m.verbosity > 0) {
		msg_info(&a->m, "%s %s %s: %s%s%d %sms%s%s", oc->id, oc->method,
			 url, oc->outcome, oc->status ? " HTTP " : "",
			 oc->status, num_fixed(oc->latency_ms, 1, ms, sizeof(ms)),
			 *oc->error ? " " : "", oc->error);
	}
	if (!a->o->c.json)
		return;
	buf_adds(&a->out, "{\"id\":\"");
	buf_adds(&a->out, oc->id);
	buf_addf(&a->out, "\",\"attempt\":%lld,\"outcome\":\"%s\",\"status\":%d,"
		 "\"latency_ms\":", oc->attempt, oc->outcome, oc->status);
	/* microseconds are all a latency needs; the number is then the
	 * shortest that reads back */
	num_add(&a->out, round(oc->latency_ms * 1000) / 1000, NUM_JSON);
	buf_adds(&a->out, ",\"method\":");
	json_add_str(&a->out, oc->method, strlen(oc->method));
	buf_adds(&a->out, ",\"url\":");
	json_add_str(&a->out, url, strlen(url));
	if (*oc->error) {
		buf_adds(&a->out, ",\"error\":");
		json_add_str(&a->out, oc->error, strlen(oc->error));
	}
	if (oc->next_due_ms) {
		char t[REC_TIME_LEN + 1];

		rec_time_fmt(oc->next_due_ms, t);
		buf_addf(&a->out, ",\"next_due\":\"%s\"", t);
	}
	if (*oc->reason) {
		buf_adds(&a->out, ",\"reason\":");
		json_add_str(&a->out, oc->reason, strlen(oc->reason));
	}
	buf_adds(&a->out, "}\n");
	if (a->out.len > 65536)
		flush_out(a);
}

static void on_progress(void *ctx, const struct replay_stats *st)
{
	struct app *a = ctx;
	char rate[NUM_LEN];
	struct buf line;

	flush_out(a);
	if (!a->tty)
		return;
	buf_init(&line);
	buf_addf(&line, "sent %llu  ok %llu  retry %llu  dead %llu  rate %s/s%s  "
		 "pending %llu", (unsigned long long)st->sent,
		 (unsigned long long)st->ok, (unsigned long long)st->retried,
		 (unsigned long long)st->dead,
		 num_fixed(st->achieved, 0, rate, sizeof(rate)),
		 st->rate > 0 ? "" : " (max)", (unsigned long long)st->remaining);
	if (st->hosts_paused)
		buf_addf(&line, "  %llu of %llu hosts paused",
			 (unsigned long long)st->hosts_paused,
			 (unsigned long long)st->hosts);
	/* While the gate is closed nothing moves, so no ETA; why it is
	 * closed is what matters then. */
	if (st->gate == GATE_CLOSED)
		buf_addf(&line, "  gate closed (%s)", st->gate_why);
	else if (st->eta_s >= 0)
		buf_addf(&line, "  ETA %llds  gate %s", (long long)st->eta_s,
			 gate_state_name(st->gate));
	else
		buf_addf(&line, "  ETA -  gate %s", gate_state_name(st->gate));
	/* (bytes from the gate's stderr reach the terminal only as '?') */
	msg_status(&a->m, line.data);
	buf_release(&line);
}

static void on_notice(void *ctx, const char *msg)
{
	struct app *a = ctx;

	msg_warn(&a->m, "%s", msg);
}

/* The gate's stderr, said once: a gate that repeats itself every few
 * seconds is shown again only when it says something new (or with -v). */
static void on_gate_line(void *ctx, const char *line)
{
	struct app *a = ctx;
	size_t n = sizeof(a->gate_said) / sizeof(a->gate_said[0]);

	for (size_t i = 0; i < n && a->m.verbosity < 1; i++)
		if (strcmp(line, a->gate_said[i]) == 0)
			return;
	snprintf(a->gate_said[a->gate_next++ % n], sizeof(a->gate_said[0]),
		 "%s", line);
	msg_warn(&a->m, "gate: %s", line);
}

static void on_dry(void *ctx, const struct http_req *q)
{
	struct app *a = ctx;

	if (a->o->r.dry == REPLAY_DRY_RAW)
		dryrun_raw(&a->out, q, a->red);
	else
		dryrun_curl(&a->out, q, a->red);
	if (a->out.len > 65536)
		flush_out(a);
}

/* failed: the run ended in an error, already printed; say so first, so
 * the counts are never read as a normal end. */
static void summary(struct app *a, const struct replay_stats *st, int failed)
{
	const struct replay_opts *ro = &a->o->r;
	char secs[NUM_LEN];

	/* Under -q, the one thing still said: the reason for exit 4, so a
	 * cron job mails about dead letters and about nothing else. */
	if (a->m.verbosity < 0 && st->dead && !ro->dry && !failed)
		msg_error(&a->m, "%llu record%s moved to dead letters in this run; rd-audit --list shows why",
			  (unsigned long long)st->dead, st->dead == 1 ? "" : "s");
	if (a->m.verbosity < 0)
		return;
	msg_status_clear();
	msg_warn(&a->m, "%s%s %llu, ok %llu, retry %llu, dead %llu, "
		 "revived %llu, refused %llu; %llu pending; %ss%s",
		 failed ? "stopped by an error after " : "",
		 ro->dry ? "would send" : "sent",
		 (unsigned long long)st->sent, (unsigned long long)st->ok,
		 (unsigned long long)st->retried, (unsigned long long)st->dead,
		 (unsigned long long)st->revived, (unsigned long long)st->refused,
		 (unsigned long long)st->remaining,
		 num_fixed(st->elapsed_s, 1, secs, sizeof(secs)),
		 failed ? "" : st->stopped ? "; stopped by a signal" :
		 st->out_of_time ? "; --max-time reached" : "");
	if (st->gate_closed_ms || st->gate == GATE_CLOSED)
		msg_warn(&a->m, "the gate was closed for %ss (last: %s)",
			 num_fixed((double)st->gate_closed_ms / 1000, 1, secs,
				   sizeof(secs)), st->gate_why);
	if (st->aged)
		msg_warn(&a->m, "%llu of the dead %s captured more than %s ago (--max-age)",
			(unsigned long long)st->aged, ro->dry ? "would be" : "were",
			a->o->max_age);
	if (st->revive_skipped)
		msg_warn(&a->m, "%llu dead records not revived: revived %u times already (--max-revives); --force revives them anyway",
			(unsigned long long)st->revive_skipped, ro->max_revives);
}

/* 2 error > 3 locked > 4 dead > 1 work remains > 0, as documented. */
static int exit_status(const struct app *a, int ret,
		       const struct replay_stats *st)
{
	if (ret == RD_E_LOCKED)
		return RD_EXIT_LOCKED;
	if (ret < 0)
		return RD_EXIT_ERROR;
	if (a->o->r.dry)
		return RD_EXIT_OK;
	if (st->dead)
		return RD_EXIT_DEAD;
	return ret == 0 ? RD_EXIT_OK : RD_EXIT_PARTIAL;
}

/* The selection, and whether there is anything to do: 0 go on, 1 nothing
 * to do (said), -1 an error (said). */
static int prepare(struct app *a, const char *dir, struct sel **sel)
{
	struct opts *o = a->o;
	struct rd_err err;
	struct stat sb;
	int ret;

	if (sel_new(&o->so, sel, &err) < 0) {
		msg_usage(&a->m, "%s", err.msg);
		return -1;
	}
	if (o->use_stdin) {
		if ((ret = idin_read(STDIN_FILENO, *sel, &err)) < 0) {
			msg_error(&a->m, "standard input%s %s",
				  ret == RD_E_INVAL ? "," : ":", err.msg);
			return -1;
		}
		if (sel_nids(*sel) == 0) {
			if (o->c.verbosity >= 0)
				msg_warn(&a->m, "no ids on standard input; nothing to do");
			return 1;
		}
	}
	if (stat(dir, &sb) < 0 && errno == ENOENT) {
		if (o->c.verbosity >= 0)
			msg_warn(&a->m, "spool '%s' does not exist yet; nothing to replay", dir);
		return 1;
	}
	return 0;
}

/* Signals, and the run's callbacks into this tool. */
static void wire(struct app *a, const char *dir, struct sel *sel)
{
	struct opts *o = a->o;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	o->r.dir = dir;
	o->r.trust_spool = o->c.trust_spool;
	o->r.sel = sel;
	o->r.stop = &stop_flag;
	o->r.ctx = a;
	o->r.on_outcome = on_outcome;
	o->r.on_progress = on_progress;
	o->r.on_notice = on_notice;
	o->r.on_dry = on_dry;
	o->r.on_gate_line = on_gate_line;
	if (o->r.revive) {
		journal_user(o->user, sizeof(o->user));
		o->r.revive_user = o->user;
	}
}

int main(int argc, char **argv)
{
	struct compl_tool ct = { "rd-replay", long_opts, short_opts, usage_text, hints };
	struct opts o;
	struct app a;
	struct replay_stats st;
	struct rd_err err;
	struct sel *sel = NULL;
	char dir[4096];
	int ret, status = RD_EXIT_ERROR;

	/* completions/ asks the tool itself (compl.h) */
	if ((ret = cli_completion(&ct, argc, argv)) >= 0)
		return ret;
	memset(&a, 0, sizeof(a));
	msg_init(&a.m, "rd-replay");
	signal(SIGPIPE, SIG_IGN);
	if ((ret = parse_opts(argc, argv, &o, &a.m)) != 0) {
		opts_release(&o);
		return ret < 0 ? RD_EXIT_ERROR : RD_EXIT_OK;
	}
	a.o = &o;
	a.m.verbosity = o.c.verbosity;
	a.tty = isatty(STDERR_FILENO) && o.c.verbosity >= 0;
	buf_init(&a.out);
	buf_init(&a.url);
	if (!o.no_redact && redact_new(NULL, 0, &a.red, &err) < 0) {
		msg_error(&a.m, "%s", err.msg);
		goto out;
	}
	memset(&st, 0, sizeof(st));
	if (cli_spool_location(o.c.spool, dir, sizeof(dir), &err) < 0) {
		msg_usage(&a.m, "%s", err.msg);
		goto out;
	}
	if (o.set_rate) {
		status = set_rate(&a, dir);
		goto out;
	}
	if ((ret = prepare(&a, dir, &sel)) != 0) {
		status = ret > 0 ? RD_EXIT_OK : RD_EXIT_ERROR;
		goto out;
	}
	wire(&a, dir, sel);
	ret = replay_run(&o.r, &st, &err);
	flush_out(&a);
	status = exit_status(&a, ret, &st);
	if (ret < 0) {
		/* Locked: err names the holder; nothing was done. */
		msg_error(&a.m, "%s", err.msg);
		if (ret != RD_E_LOCKED)
			summary(&a, &st, 1);
		goto out;
	}
	summary(&a, &st, 0);
	if (a.out_broken && errno != EPIPE) {
		msg_error(&a.m, "cannot write to standard output");
		status = RD_EXIT_ERROR;
	}
out:
	sel_free(sel);
	redact_free(a.red);
	buf_release(&a.out);
	buf_release(&a.url);
	opts_release(&o);
	return status;
}
