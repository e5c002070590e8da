/*
 * rd-replay - send captured requests again, at a controlled and adaptive
 * rate, only while the downstream is healthy.
 *
 * This file holds the command line, the output formats (NDJSON outcomes,
 * the progress line, the summary, --dry-run renderings) and the exit
 * codes.  The values of its own options are read and checked by
 * lib/replay_cli.c; the loop itself is lib/replay.c.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "cli_http.h"
#include "compl.h"
#include "dryrun.h"
#include "http.h"
#include "idin.h"
#include "journal.h"
#include "json.h"
#include "msg.h"
#include "num.h"
#include "rec.h"
#include "redact.h"
#include "replay.h"
#include "replay_cli.h"
#include "replay_ctl.h"
#include "sel.h"
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
"      --stdin              only the records or ids given on standard input;\n"
"                           an id no pending record carries is named\n"
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
"closed, time spent, retries scheduled, refused hosts; --set-rate: no replay\n"
"took it); 2 error; 3 another rd-replay holds the spool;\n"
"4 this run moved records to dead letters.\n"
"The first that applies of 2, 3, 4, 1.\n"
"See rd-replay(1) and redrive-spool(5).\n";

static const char short_opts[] = CLI_COMMON_SHORT CLI_HTTP_SHORT "c:H:";
static const struct option long_opts[] = {
	CLI_COMMON_LONG,
	{ "rate", required_argument, NULL, REPLAY_OPT_RATE },
	{ "burst", required_argument, NULL, REPLAY_OPT_BURST },
	{ "concurrency", required_argument, NULL, 'c' },
	{ "adaptive", no_argument, NULL, REPLAY_OPT_ADAPTIVE },
	{ "adaptive-start", required_argument, NULL, REPLAY_OPT_ADAPTIVE_START },
	{ "latency-target", required_argument, NULL, REPLAY_OPT_LAT_TARGET },
	{ "error-target", required_argument, NULL, REPLAY_OPT_ERR_TARGET },
	{ "latency-tolerance", required_argument, NULL, REPLAY_OPT_LAT_TOLERANCE },
	{ "ramp", required_argument, NULL, REPLAY_OPT_RAMP },
	{ "gate", required_argument, NULL, REPLAY_OPT_GATE },
	{ "gate-every", required_argument, NULL, REPLAY_OPT_GATE_EVERY },
	{ "gate-timeout", required_argument, NULL, REPLAY_OPT_GATE_TIMEOUT },
	{ "max-attempts", required_argument, NULL, REPLAY_OPT_MAX_ATTEMPTS },
	{ "backoff", required_argument, NULL, REPLAY_OPT_BACKOFF },
	{ "backoff-max", required_argument, NULL, REPLAY_OPT_BACKOFF_MAX },
	{ "success", required_argument, NULL, REPLAY_OPT_SUCCESS },
	{ "where", required_argument, NULL, REPLAY_OPT_WHERE },
	{ "match-url", required_argument, NULL, REPLAY_OPT_MATCH_URL },
	{ "since", required_argument, NULL, REPLAY_OPT_SINCE },
	{ "until", required_argument, NULL, REPLAY_OPT_UNTIL },
	{ "failure", required_argument, NULL, REPLAY_OPT_FAILURE },
	{ "limit", required_argument, NULL, REPLAY_OPT_LIMIT },
	{ "stdin", no_argument, NULL, REPLAY_OPT_STDIN },
	{ "revive", no_argument, NULL, REPLAY_OPT_REVIVE },
	{ "set-rate", required_argument, NULL, REPLAY_OPT_SET_RATE },
	{ "target", required_argument, NULL, REPLAY_OPT_TARGET },
	{ "header", required_argument, NULL, 'H' },
	{ "drop-header", required_argument, NULL, REPLAY_OPT_DROP_HEADER },
	{ "idempotency-header", required_argument, NULL, REPLAY_OPT_IDEM_HEADER },
	{ "no-idempotency-key", no_argument, NULL, REPLAY_OPT_NO_IDEM },
	{ "allow-host", required_argument, NULL, REPLAY_OPT_ALLOW_HOST },
	{ "timeout", required_argument, NULL, REPLAY_OPT_TIMEOUT },
	CLI_HTTP_LONG,
	{ "max-time", required_argument, NULL, REPLAY_OPT_MAX_TIME },
	{ "grace", required_argument, NULL, REPLAY_OPT_GRACE },
	{ "dry-run", optional_argument, NULL, REPLAY_OPT_DRY_RUN },
	{ "no-redact", no_argument, NULL, REPLAY_OPT_NO_REDACT },
	{ "max-age", required_argument, NULL, REPLAY_OPT_MAX_AGE },
	{ "response-bytes", required_argument, NULL, REPLAY_OPT_RESPONSE_BYTES },
	{ "reason", required_argument, NULL, REPLAY_OPT_REASON },
	{ "max-revives", required_argument, NULL, REPLAY_OPT_MAX_REVIVES },
	{ "force", no_argument, NULL, REPLAY_OPT_FORCE },
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
	struct replay_cli cli;   /* rd-replay's own options */
	char user[128];
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

	if (spool_is_dir(dir) && access(dir, F_OK) < 0) {
		msg_error(&a->m, "no replay is running on '%s': it does not exist", dir);
		return RD_EXIT_PARTIAL;
	}
	spool_opts_init(&so);
	so.trust = a->o->c.trust_spool;
	journal_user(user, sizeof(user));
	if ((ret = spool_open(dir, &so, &sp, &err)) >= 0)
		ret = replay_ctl_set(sp, a->o->cli.set_rate_to, user, 5000, &st, &err);
	spool_close(sp);
	if (ret < 0) {
		msg_error(&a->m, "%s", err.msg);
		return RD_EXIT_ERROR;
	}
	if (ret == REPLAY_CTL_NOT_RUNNING) {
		char shown[4096];

		cli_spool_shown(dir, shown, sizeof(shown));
		msg_error(&a->m, "no replay is running on '%s'", shown);
		return RD_EXIT_PARTIAL;
	}
	if (ret == REPLAY_CTL_NOT_TAKEN) {
		msg_error(&a->m, "the replay running on '%s' (pid %ld) did not take the new rate within 5s",
			  dir, st.pid);
		return RD_EXIT_PARTIAL;
	}
	if (a->o->c.verbosity >= 0) {
		if (a->o->cli.set_rate_to > 0)
			msg_warn(&a->m, "the replay running on '%s' (pid %ld) now sends at most %s/s",
				 dir, st.pid, num_fmt(a->o->cli.set_rate_to, NUM_TEXT, n, sizeof(n)));
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

/* Returns 0 to run, 1 when done (help, version), negative on error. */
static int parse_opts(int argc, char **argv, struct opts *o, struct msg *m)
{
	struct rd_err err;
	int c, ret;

	memset(o, 0, sizeof(*o));
	cli_common_init(&o->c);
	replay_cli_init(&o->cli);
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (cli_common_opt(&o->c, c, optarg))
			continue;
		if ((ret = cli_http_opt(&o->cli.r.http, c, optarg, &err)) == 0)
			ret = replay_cli_opt(&o->cli, c, optarg, &err);
		if (ret < 0) {
			msg_usage(m, "%s", err.msg);
			return ret;
		}
		if (!ret) {
			char why[256];

			msg_usage(m, "%s", cli_opt_error(c, argv, why, sizeof(why)));
			return RD_E_INVAL;
		}
	}
	if ((c = cli_help_version(&o->c, "rd-replay", usage_text)) != 0)
		return c;
	if (cli_extra_arg(argc, argv, optind, "", &err) < 0) {
		msg_usage(m, "%s", err.msg);
		return RD_E_INVAL;
	}
	if ((ret = replay_cli_check(&o->cli, &err)) < 0)
		msg_usage(m, "%s", err.msg);
	return ret;
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
		char st[16] = "";

		/* no status: the request got no answer ("retry", not "retry0") */
		if (oc->status)
			snprintf(st, sizeof(st), " HTTP %d", oc->status);
		msg_info(&a->m, "%s %s %s: %s%s %sms%s%s", oc->id, oc->method,
			 url, oc->outcome, st, num_fixed(oc->latency_ms, 1, ms, sizeof(ms)),
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

/* An id given on standard input that no pending record carried. */
static void not_pending(void *ctx, const char *id)
{
	struct app *a = ctx;

	msg_warn(&a->m, "standard input: no pending record %s in the spool (unknown, delivered%s); not sent",
		 id, a->o->cli.r.revive ? "" : ", or dead: --revive sends those");
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

	if (a->o->cli.r.dry == REPLAY_DRY_RAW)
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
	const struct replay_opts *ro = &a->o->cli.r;
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
		 "%s %llu, refused %llu; %llu pending; %ss%s",
		 failed ? "stopped by an error after " : "",
		 ro->dry ? "would send" : "sent",
		 (unsigned long long)st->sent, (unsigned long long)st->ok,
		 (unsigned long long)st->retried, (unsigned long long)st->dead,
		 ro->dry ? "would revive" : "revived",
		 (unsigned long long)st->revived, (unsigned long long)st->refused,
		 (unsigned long long)st->remaining,
		 num_fixed(st->elapsed_s, 1, secs, sizeof(secs)),
		 failed ? "" : st->stopped ? "; stopped by a signal" :
		 st->out_of_time == 2 ? "; the next retry is due after --max-time" :
		 st->out_of_time ? "; --max-time reached" : "");
	if (st->gate_closed_ms || st->gate == GATE_CLOSED)
		msg_warn(&a->m, "the gate was closed for %ss (last: %s)",
			 num_fixed((double)st->gate_closed_ms / 1000, 1, secs,
				   sizeof(secs)), st->gate_why);
	if (st->aged)
		msg_warn(&a->m, "%llu of the dead %s captured more than %s ago (--max-age)",
			(unsigned long long)st->aged, ro->dry ? "would be" : "were",
			a->o->cli.max_age);
	if (st->revive_skipped)
		msg_warn(&a->m, "%llu dead records not revived: revived %u times already (--max-revives); --force revives them anyway",
			(unsigned long long)st->revive_skipped, ro->max_revives);
	if (st->yielded)
		msg_warn(&a->m, "%llu record%s not sent: another rd-replay on the spool had recorded the same attempt first, and sends it",
			 (unsigned long long)st->yielded, st->yielded == 1 ? "" : "s");
}

/* What a run that ended says: the ids given that no pending record
 * carried, the summary, the records --where could not judge. */
static void said_after(struct app *a, struct sel *sel, const struct replay_stats *st)
{
	const struct opts *o = a->o;

	/* Only after a whole run: one cut short (a signal, --max-time,
	 * --limit), or a dry run (one pass over what is due now), left
	 * records it never looked at. */
	if (o->cli.use_stdin && !st->stopped && !st->out_of_time && !o->cli.r.limit &&
	    o->cli.r.dry == REPLAY_DRY_OFF && o->c.verbosity >= 0)
		sel_unseen(sel, not_pending, a);
	summary(a, st, 0);
	if (st->where_failed)
		msg_error(&a->m, "--where failed on %llu record%s, not sent (each is named above, unless -q)",
			  (unsigned long long)st->where_failed, st->where_failed == 1 ? "" : "s");
}

/* 2 error > 3 locked > 4 dead > 1 work remains > 0, as documented. */
static int exit_status(const struct app *a, int ret,
		       const struct replay_stats *st)
{
	if (ret == RD_E_LOCKED)
		return RD_EXIT_LOCKED;
	if (ret < 0 || st->where_failed)
		return RD_EXIT_ERROR;
	if (a->o->cli.r.dry)
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
	int ret;

	if (sel_new(&o->cli.so, sel, &err) < 0) {
		msg_usage(&a->m, "%s", err.msg);
		return -1;
	}
	if (o->cli.use_stdin) {
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
	if (cli_spool_missing(dir)) {
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
	struct sigaction sa, hup;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a terminal that hangs up (an ssh session dropped) stops the run
	 * as SIGTERM does; under nohup it stays ignored */
	if (sigaction(SIGHUP, NULL, &hup) == 0 && hup.sa_handler != SIG_IGN)
		sigaction(SIGHUP, &sa, NULL);
	o->cli.r.dir = dir;
	o->cli.r.trust_spool = o->c.trust_spool;
	o->cli.r.sel = sel;
	o->cli.r.stop = &stop_flag;
	o->cli.r.ctx = a;
	o->cli.r.on_outcome = on_outcome;
	o->cli.r.on_progress = on_progress;
	o->cli.r.on_notice = on_notice;
	o->cli.r.on_dry = on_dry;
	o->cli.r.on_gate_line = on_gate_line;
	if (o->cli.r.revive) {
		journal_user(o->user, sizeof(o->user));
		o->cli.r.revive_user = o->user;
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
		replay_cli_release(&o.cli);
		return ret < 0 ? RD_EXIT_ERROR : RD_EXIT_OK;
	}
	a.o = &o;
	a.m.verbosity = o.c.verbosity;
	a.tty = isatty(STDERR_FILENO) && o.c.verbosity >= 0;
	buf_init(&a.out);
	buf_init(&a.url);
	if (!o.cli.no_redact && redact_new(NULL, 0, &a.red, &err) < 0) {
		msg_error(&a.m, "%s", err.msg);
		goto out;
	}
	memset(&st, 0, sizeof(st));
	if (cli_spool_location(o.c.spool, dir, sizeof(dir), &err) < 0) {
		msg_usage(&a.m, "%s", err.msg);
		goto out;
	}
	if (o.cli.set_rate) {
		status = set_rate(&a, dir);
		goto out;
	}
	if ((ret = prepare(&a, dir, &sel)) != 0) {
		status = ret > 0 ? RD_EXIT_OK : RD_EXIT_ERROR;
		goto out;
	}
	wire(&a, dir, sel);
	ret = replay_run(&o.cli.r, &st, &err);
	flush_out(&a);
	status = exit_status(&a, ret, &st);
	if (ret < 0) {
		/* Locked at the start: err names the holder, and nothing was
		 * done (under -q exit 3 says it, so cron mails nothing for an
		 * overlap); a claim lost later stops a run that did work. */
		int at_start = ret == RD_E_LOCKED && !st.sent && !st.dead && !st.refused;

		if (!at_start || o.c.verbosity >= 0)
			msg_error(&a.m, "%s", err.msg);
		if (!at_start)
			summary(&a, &st, 1);
		goto out;
	}
	said_after(&a, sel, &st);
	if (a.out_broken && errno != EPIPE) {
		msg_error(&a.m, "cannot write to standard output");
		status = RD_EXIT_ERROR;
	}
out:
	sel_free(sel);
	redact_free(a.red);
	buf_release(&a.out);
	buf_release(&a.url);
	replay_cli_release(&o.cli);
	return status;
}
