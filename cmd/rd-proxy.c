/*
 * rd-proxy - a reverse proxy in front of one upstream: forward every
 * request, and capture into the spool the ones whose upstream attempt
 * failed, answering their clients 202 once the record is durable.
 *
 * This file holds the command line, the signals (SIGTERM and SIGINT
 * drain and stop, SIGHUP reopens the access log) and the exit status; the
 * proxy itself is lib/proxy*.c.  It runs in the foreground, as a service
 * manager runs it.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "cli_http.h"
#include "cli_store.h"
#include "compl.h"
#include "msg.h"
#include "proxy.h"
#include "rec.h"
#include "redact.h"
#include "spool.h"
#include "xalloc.h"
#include "banned.h"

static const char usage_text[] =
"Usage: rd-proxy --listen ADDR:PORT --upstream URL [OPTIONS]\n"
"Forward every request to one upstream; capture the ones it fails into the spool.\n"
"\n"
"Proxy:\n"
"      --listen ADDR:PORT   where clients connect: 127.0.0.1:8080, [::1]:8080,\n"
"                           :8080 for every address (port 0 picks one)\n"
"      --upstream URL       the service: http(s)://host[:port][/prefix]\n"
"      --breaker FILE       the breaker state file rd-health keeps: while it says\n"
"                           open, capture without forwarding\n"
"      --metrics-listen ADDR:PORT  serve Prometheus metrics at /metrics there\n"
"      --access-log FILE    one JSON line per request (- for standard output);\n"
"                           reopened on SIGHUP\n"
"Capture:\n"
"      --capture-status SET upstream statuses that are captured\n"
"                           (default 502,503,504)\n"
"      --capture-methods LIST methods that are captured\n"
"                           (default POST,PUT,PATCH,DELETE)\n"
"      --answer ANSWER      a captured request's answer: 202 (default), or\n"
"                           upstream (its own error; 502 or 504 without one)\n"
"      --idempotency-header NAME  header carrying the key (default\n"
"                           Idempotency-Key), stored with the record: replayed\n"
"      --no-idempotency-key add no key where the client sent none, announce none\n"
"      --retry-after DUR    Retry-After of rd-proxy's own 503s (default 5s)\n"
"Upstream:\n"
"      --upstream-timeout DUR  longest wait for an answer's head, and between two\n"
"                           pieces of its body (default 30s)\n"
"      --connect-timeout DUR connect timeout (default 5s)\n"
"      --upstream-concurrency N  requests at the upstream at once (default 256)\n"
"  -k, --insecure           do not verify TLS certificates\n"
"      --cacert FILE        verify TLS with the CA certificates in FILE\n"
"      --http1.1            use HTTP/1.1 only\n"
"      --http2-prior-knowledge  use HTTP/2 without upgrade, also over http://\n"
"Limits:\n"
"      --max-connections N  client connections at once (default 4096)\n"
"      --connection-memory SIZE  memory of one connection, its request head\n"
"                           included (default 32KiB)\n"
"      --header-timeout DUR a request head must arrive within DUR of the\n"
"                           connection or of its previous answer (default 10s)\n"
"      --body-timeout DUR   a request body within DUR of its head (default 30s)\n"
"      --idle-timeout DUR   close a connection silent for DUR (default 60s)\n"
"      --max-buffer SIZE    request bodies held at once, in all (default 256MiB);\n"
"                           503 beyond\n"
"      --capture-queue N    records waiting for the spool writer (default 4096);\n"
"                           503 beyond\n"
"      --threads N          worker threads, each serving clients and talking to\n"
"                           the upstream (default half the processors, at\n"
"                           least 1)\n"
"Spool:\n"
"      --spool LOCATION     the spool: a directory (default $RD_SPOOL, then\n"
"                           $XDG_STATE_HOME/redrive/spool)\n"
"      --trust-spool        use the spool even if another user owns it or can\n"
"                           write to it (refused otherwise)\n"
"      --fsync POLICY       always, batch (default), interval or never\n"
"      --fsync-interval DUR sync period for --fsync interval (default 1s)\n"
"      --segment-size SIZE  roll segments at SIZE (default 64MiB)\n"
"      --max-spool-size SIZE refuse records beyond SIZE on disk (503)\n"
"      --max-record-size SIZE  request body size; 413 beyond (default 16MiB)\n"
"Run:\n"
"      --grace DUR          on SIGTERM or SIGINT, refuse new connections and\n"
"                           wait DUR for requests in flight (default 10s); then\n"
"                           capture, or answer 503, those still at the upstream\n"
"  -q, --quiet              only errors\n"
"  -v, --verbose            also the server's notices\n"
"  -h, --help               show this help\n"
"  -V, --version            show the version\n"
"\n"
"Exit status: 0 after a clean stop (SIGTERM or SIGINT); 2 error: usage,\n"
"configuration, a socket or the spool that cannot be opened.\n"
"See rd-proxy(1) and redrive-spool(5).\n";

enum {
	OPT_LISTEN = CLI_OPT_TOOL, OPT_UPSTREAM, OPT_BREAKER, OPT_METRICS,
	OPT_ACCESS_LOG, OPT_CAP_STATUS, OPT_CAP_METHODS, OPT_ANSWER,
	OPT_IDEM_HEADER, OPT_NO_IDEM, OPT_RETRY_AFTER, OPT_UP_TIMEOUT,
	OPT_UP_CONC, OPT_MAX_CONN, OPT_CONN_MEM, OPT_HEADER_TIMEOUT, OPT_BODY_TIMEOUT,
	OPT_IDLE_TIMEOUT, OPT_MAX_BUFFER, OPT_CAP_QUEUE, OPT_THREADS, OPT_GRACE
};

static const char short_opts[] = CLI_COMMON_SHORT CLI_HTTP_SHORT;
static const struct option long_opts[] = {
	CLI_COMMON_LONG_NO_JSON,
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "upstream", required_argument, NULL, OPT_UPSTREAM },
	{ "breaker", required_argument, NULL, OPT_BREAKER },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS },
	{ "access-log", required_argument, NULL, OPT_ACCESS_LOG },
	{ "capture-status", required_argument, NULL, OPT_CAP_STATUS },
	{ "capture-methods", required_argument, NULL, OPT_CAP_METHODS },
	{ "answer", required_argument, NULL, OPT_ANSWER },
	{ "idempotency-header", required_argument, NULL, OPT_IDEM_HEADER },
	{ "no-idempotency-key", no_argument, NULL, OPT_NO_IDEM },
	{ "retry-after", required_argument, NULL, OPT_RETRY_AFTER },
	{ "upstream-timeout", required_argument, NULL, OPT_UP_TIMEOUT },
	{ "upstream-concurrency", required_argument, NULL, OPT_UP_CONC },
	CLI_HTTP_LONG,
	{ "max-connections", required_argument, NULL, OPT_MAX_CONN },
	{ "connection-memory", required_argument, NULL, OPT_CONN_MEM },
	{ "header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT },
	{ "body-timeout", required_argument, NULL, OPT_BODY_TIMEOUT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "max-buffer", required_argument, NULL, OPT_MAX_BUFFER },
	{ "capture-queue", required_argument, NULL, OPT_CAP_QUEUE },
	{ "threads", required_argument, NULL, OPT_THREADS },
	CLI_STORE_LONG,
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ NULL, 0, NULL, 0 }
};

/* What option values complete to (compl.h). */
static const struct compl_hint hints[] = {
	{ "spool", "@dir" },
	{ "breaker", "@file" },
	{ "access-log", "@file" },
	{ "cacert", "@file" },
	{ "fsync", "always batch interval never" },
	{ "answer", "202 upstream" },
	{ "capture-methods", "POST,PUT,PATCH,DELETE POST" },
	{ "capture-status", "502,503,504 5xx" },
	{ NULL, NULL }
};

struct opts {
	struct cli_common c;
	struct proxy_opts po;
	struct spool_opts so;
	const char **methods;
	size_t nmethods;
	char *methods_text;
	uint64_t grace_ms;
};

/* A duration option into *ms; 0 refused where it makes no sense. */
static int dur(struct msg *m, const char *opt, const char *arg, uint64_t *ms,
	       int zero_ok)
{
	struct rd_err err;

	if (cli_parse_duration(arg, ms, &err) < 0)
		return msg_usage_opt(m, opt, &err);
	if (!*ms && !zero_ok) {
		msg_usage(m, "%s: must be above zero", opt);
		return RD_E_INVAL;
	}
	return 0;
}

static int count(struct msg *m, const char *opt, const char *arg,
		 uint64_t max, unsigned *out)
{
	struct rd_err err;
	uint64_t v;

	if (cli_parse_u64(arg, 1, max, &v, &err) < 0)
		return msg_usage_opt(m, opt, &err);
	*out = (unsigned)v;
	return 0;
}

static int size(struct msg *m, const char *opt, const char *arg, uint64_t *out)
{
	struct rd_err err;

	if (cli_parse_size(arg, out, &err) < 0)
		return msg_usage_opt(m, opt, &err);
	if (*out == 0) {
		msg_usage(m, "%s: must be above zero", opt);
		return RD_E_INVAL;
	}
	return 0;
}

/* "POST,PUT": each a method token. */
static int methods(struct opts *o, const char *arg, struct msg *m)
{
	char *save = NULL, *t;

	free(o->methods_text);
	free(o->methods);
	o->methods = NULL;
	o->nmethods = 0;
	o->methods_text = xstrdup(arg);
	for (t = strtok_r(o->methods_text, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (!rec_method_valid(t, strlen(t))) {
			msg_usage(m, "--capture-methods: '%s' is not a method", t);
			return RD_E_INVAL;
		}
		/* methods are case-sensitive: "post" would match no POST */
		if (strpbrk(t, "abcdefghijklmnopqrstuvwxyz")) {
			msg_usage(m, "--capture-methods: '%s' has lower-case letters, and methods are case-sensitive: a POST is not a 'post'", t);
			return RD_E_INVAL;
		}
		cli_list_add(&o->methods, &o->nmethods, t);
	}
	if (!o->nmethods) {
		msg_usage(m, "--capture-methods: name at least one method");
		return RD_E_INVAL;
	}
	o->po.capture_methods = o->methods;
	o->po.ncapture_methods = o->nmethods;
	return 0;
}

/* The spool's options, as rd-capture takes them.  1, 0 or RD_E_INVAL. */
static int spool_option(struct opts *o, int c, const char *arg, struct msg *m)
{
	struct rd_err err;
	int k;

	if ((k = cli_store_opt(&o->so, &o->po.max_record, c, arg, &err)) < 0)
		msg_usage(m, "%s", err.msg);
	return k;
}

/* The limits of the service.  1, 0 or RD_E_INVAL. */
static int limit_option(struct opts *o, int c, const char *arg, struct msg *m)
{
	struct proxy_opts *p = &o->po;
	uint64_t v;
	int r = 0;

	switch (c) {
	case OPT_MAX_CONN: r = count(m, "--max-connections", arg, 1000000, &p->max_connections); break;
	case OPT_CONN_MEM:
		if ((r = size(m, "--connection-memory", arg, &v)) == 0 &&
		    (v < 4096 || v > (64ULL << 20))) {
			msg_usage(m, "--connection-memory: from 4KiB to 64MiB");
			r = RD_E_INVAL;
		}
		p->connection_memory = (size_t)v;
		break;
	case OPT_HEADER_TIMEOUT: r = dur(m, "--header-timeout", arg, &p->header_timeout_ms, 0); break;
	case OPT_BODY_TIMEOUT: r = dur(m, "--body-timeout", arg, &p->body_timeout_ms, 0); break;
	case OPT_IDLE_TIMEOUT:
		r = dur(m, "--idle-timeout", arg, &p->idle_timeout_ms, 0);
		if (r == 0 && p->idle_timeout_ms < 1000) {
			msg_usage(m, "--idle-timeout: at least 1s");
			r = RD_E_INVAL;
		}
		break;
	case OPT_MAX_BUFFER: r = size(m, "--max-buffer", arg, &p->max_buffer); break;
	case OPT_CAP_QUEUE: r = count(m, "--capture-queue", arg, 10000000, &p->capture_queue); break;
	case OPT_THREADS: r = count(m, "--threads", arg, 64, &p->threads); break;
	case OPT_UP_CONC: r = count(m, "--upstream-concurrency", arg, 100000, &p->upstream_concurrency); break;
	default: return 0;
	}
	return r < 0 ? RD_E_INVAL : 1;
}

/* The upstream transport.  1, 0 or RD_E_INVAL. */
static int upstream_option(struct opts *o, int c, const char *arg,
			   struct msg *m)
{
	struct http_opts *h = &o->po.http;
	struct rd_err err;
	uint64_t v;
	int ret;

	if (c == OPT_UP_TIMEOUT) {
		if (dur(m, "--upstream-timeout", arg, &v, 0) < 0)
			return RD_E_INVAL;
		h->stream_head_timeout_ms = h->stream_idle_timeout_ms = v;
		return 1;
	}
	if ((ret = cli_http_opt(h, c, arg, &err)) < 0)
		msg_usage(m, "%s", err.msg);
	return ret;
}

/* What to capture and how to answer.  1, 0 or RD_E_INVAL. */
static int capture_option(struct opts *o, int c, const char *arg,
			  struct msg *m)
{
	struct rd_err err;
	const char *why;

	switch (c) {
	case OPT_CAP_STATUS:
		if (http_okset_parse(arg, &o->po.capture_status, &err) < 0)
			return msg_usage_opt(m, "--capture-status", &err);
		return 1;
	case OPT_CAP_METHODS:
		return methods(o, arg, m) < 0 ? RD_E_INVAL : 1;
	case OPT_ANSWER:
		if (strcmp(arg, "202") && strcmp(arg, "upstream")) {
			msg_usage(m, "--answer: '%s' is not 202 or upstream", arg);
			return RD_E_INVAL;
		}
		o->po.answer_upstream = strcmp(arg, "upstream") == 0;
		return 1;
	case OPT_IDEM_HEADER:
		if ((why = proxy_idem_header_why(arg))) {
			msg_usage(m, "--idempotency-header: '%s' %s", arg, why);
			return RD_E_INVAL;
		}
		o->po.idem_header = arg;
		return 1;
	case OPT_NO_IDEM: o->po.idem_header = NULL; return 1;
	case OPT_RETRY_AFTER: {
		uint64_t ms;

		if (dur(m, "--retry-after", arg, &ms, 1) < 0)
			return RD_E_INVAL;
		o->po.retry_after_s = (ms + 999) / 1000;
		return 1;
	}
	}
	return 0;
}

static int own_option(struct opts *o, int c, const char *arg, struct msg *m)
{
	switch (c) {
	case OPT_LISTEN: o->po.listen = arg; return 1;
	case OPT_UPSTREAM: o->po.upstream = arg; return 1;
	case OPT_BREAKER: o->po.breaker = arg; return 1;
	case OPT_METRICS: o->po.metrics_listen = arg; return 1;
	case OPT_ACCESS_LOG: o->po.access_log = arg; return 1;
	case OPT_GRACE: return dur(m, "--grace", arg, &o->grace_ms, 1) < 0 ? RD_E_INVAL : 1;
	}
	return 0;
}

/* 0 to run, 1 when done (help, version), negative on a usage error. */
static int parse_opts(int argc, char **argv, struct opts *o, struct msg *m)
{
	char why[256];
	struct rd_err err;
	int c, k;

	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (cli_common_opt(&o->c, c, optarg))
			continue;
		if ((k = own_option(o, c, optarg, m)) == 0 &&
		    (k = capture_option(o, c, optarg, m)) == 0 &&
		    (k = upstream_option(o, c, optarg, m)) == 0 &&
		    (k = limit_option(o, c, optarg, m)) == 0 &&
		    (k = spool_option(o, c, optarg, m)) == 0) {
			msg_usage(m, "%s", cli_opt_error(c, argv, why, sizeof(why)));
			return RD_E_INVAL;
		}
		if (k < 0)
			return RD_E_INVAL;
	}
	if ((c = cli_help_version(&o->c, "rd-proxy", usage_text)) != 0)
		return c;
	if (cli_extra_arg(argc, argv, optind, "", &err) < 0) {
		msg_usage(m, "%s", err.msg);
		return RD_E_INVAL;
	}
	if (!o->po.listen || !o->po.upstream) {
		msg_usage(m, "give --listen ADDR:PORT and --upstream URL");
		return RD_E_INVAL;
	}
	if (cli_listen_addr("--listen", o->po.listen, &err) < 0 ||
	    (o->po.metrics_listen &&
	     cli_listen_addr("--metrics-listen", o->po.metrics_listen, &err) < 0)) {
		msg_usage(m, "%s", err.msg);
		return RD_E_INVAL;
	}
	return 0;
}

static void on_notice(void *ctx, enum proxy_notice_level lvl, const char *text)
{
	const struct msg *m = ctx;

	if (lvl == PROXY_ERROR)
		msg_error(m, "%s", text);
	else if (lvl == PROXY_WARN)
		msg_warn(m, "%s", text);
	else
		msg_info(m, "%s", text);
}

static void on_spool_notice(void *ctx, const struct spool_notice *n)
{
	const struct msg *m = ctx;
	char text[1024];

	msg_warn(m, "%s", spool_notice_text(n, text, sizeof(text)));
}

/* Room for --max-connections descriptors, when the hard limit allows. */
static void raise_nofile(unsigned conns)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < (rlim_t)conns + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)conns + 64 ? rl.rlim_max :
			      (rlim_t)conns + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Serve until SIGTERM or SIGINT, reopening the log on SIGHUP. */
static void serve(struct proxy *px, const struct opts *o, struct msg *m,
		  const sigset_t *set)
{
	struct rd_err err;
	unsigned left;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			if (proxy_reopen_log(px, &err) < 0)
				msg_error(m, "%s", err.msg);
			else
				msg_info(m, "access log reopened");
			continue;
		}
		break;
	}
	msg_info(m, "stopping: draining requests in flight (at most %llu ms)",
		 (unsigned long long)o->grace_ms);
	if ((left = proxy_drain(px, o->grace_ms)) > 0)
		msg_warn(m, "grace over with %u requests in flight: those the upstream had not answered were captured or answered 503",
			 left);
}

int main(int argc, char **argv)
{
	struct compl_tool ct = { "rd-proxy", long_opts, short_opts, usage_text, hints };
	struct proxy *px = NULL;
	struct spool *sp = NULL;
	struct rd_err err;
	struct opts o;
	struct msg m;
	sigset_t set;
	char dir[4096], shown[4096], up[4096], bound[128], mbound[128];
	int ret, status = RD_EXIT_ERROR;

	if ((ret = cli_completion(&ct, argc, argv)) >= 0)
		return ret;
	msg_init(&m, "rd-proxy");
	memset(&o, 0, sizeof(o));
	cli_common_init(&o.c);
	proxy_opts_init(&o.po);
	spool_opts_init(&o.so);
	o.grace_ms = 10000;
	if ((ret = parse_opts(argc, argv, &o, &m)) != 0) {
		status = ret < 0 ? RD_EXIT_ERROR : RD_EXIT_OK;
		goto out;
	}
	m.verbosity = o.c.verbosity;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	/* Every thread starts with these blocked; sigwait takes them here. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	raise_nofile(o.po.max_connections);
	if (cli_spool_location(o.c.spool, dir, sizeof(dir), &err) < 0) {
		msg_usage(&m, "%s", err.msg);
		goto out;
	}
	o.so.create = 1;
	o.so.trust = o.c.trust_spool;
	o.so.notice = on_spool_notice;
	o.so.notice_ctx = &m;
	if (spool_open(dir, &o.so, &sp, &err) < 0) {
		msg_error(&m, "%s", err.msg);
		goto out;
	}
	o.po.sp = sp;
	o.po.fsync = o.so.fsync;
	o.po.notice = on_notice;
	o.po.notice_ctx = &m;
	if (proxy_new(&o.po, &px, &err) < 0) {
		msg_error(&m, "%s", err.msg);
		goto out;
	}
	proxy_bound(px, bound, sizeof(bound), mbound, sizeof(mbound));
	cli_spool_shown(dir, shown, sizeof(shown));
	msg_warn(&m, "listening on %s, forwarding to %s, capturing into '%s'%s%s",
		 bound, redact_url_to(o.po.upstream, up, sizeof(up)), shown,
		 mbound[0] ? "; metrics on " : "", mbound);
	proxy_breaker_say(px);
	serve(px, &o, &m, &set);
	status = RD_EXIT_OK;
out:
	proxy_free(px);
	spool_close(sp);
	free(o.methods);
	free(o.methods_text);
	return status;
}
