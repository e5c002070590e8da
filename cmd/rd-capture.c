/*
 * rd-capture - durably append failed requests to the spool.
 *
 * Input modes: NDJSON records on stdin (the fast streaming path), one
 * request described with curl-like flags, raw HTTP/1.1 messages (--raw),
 * or any JSON mapped by a jq filter (--jq).  Every stored record's id is
 * printed only after the --fsync policy has made it durable.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "capture.h"
#include "cli.h"
#include "cli_store.h"
#include "compact.h"
#include "compl.h"
#include "creq.h"
#include "msg.h"
#include "rec.h"
#include "sendrec.h"
#include "spool.h"
#include "tryout.h"
#include "xalloc.h"
#include "banned.h"

#define BATCH_BYTES (1u << 20)
#define BATCH_RECORDS 8192

static const char usage_text[] =
"Usage: rd-capture [OPTIONS] < RECORDS.ndjson\n"
"       rd-capture --try [OPTIONS] [CURL OPTIONS] URL\n"
"       rd-capture [OPTIONS] [CURL REQUEST OPTIONS] URL\n"
"       rd-capture [OPTIONS] --raw < REQUEST.http\n"
"       rd-capture [OPTIONS] --jq FILTER < ANY.json\n"
"Append failed requests to the spool durably; print the id of each stored record.\n"
"\n"
"Input:\n"
"      --input FILE         read FILE instead of standard input\n"
"      --raw                input is raw HTTP/1.1 request messages\n"
"      --scheme SCHEME      scheme for --raw origin-form targets: http or https\n"
"      --jq FILTER          map each JSON input to records with a jq filter\n"
"Request, as curl takes it (with URL):\n"
"  -X, --request METHOD     method (default GET, or POST with data)\n"
"  -H, --header 'N: V'      add a header ('N:' drops one, @FILE reads them)\n"
"  -d, --data DATA          body; @FILE reads a file without CR/LF\n"
"      --data-ascii DATA    the same as --data\n"
"      --data-binary DATA   body; @FILE reads a file verbatim\n"
"      --data-raw DATA      body, taken literally\n"
"      --data-urlencode D   body part, URL-encoded: [name=]content, [name]@FILE\n"
"      --json DATA          JSON body, with JSON Content-Type and Accept\n"
"  -G, --get                send the data in the URL's query, with GET\n"
"  -u, --user USER:PASS     basic authentication\n"
"  -A, --user-agent NAME    User-Agent (default curl's)\n"
"  -e, --referer URL        Referer\n"
"  -b, --cookie 'N=V; ...'  Cookie\n"
"      --compressed         ask for a compressed response, and decode it\n"
"Failure (with URL or --raw):\n"
"      --failure TYPE       failure type, e.g. timeout, connect, http_503\n"
"      --status N           HTTP status seen (0: none)\n"
"      --message TEXT       failure message\n"
"      --attempts N         sends already made\n"
"      --idempotency-key K  key sent on replay (default: the record id)\n"
"      --tag KEY=VALUE      free-form tag; repeatable\n"
"Spool:\n"
"      --spool LOCATION     the spool: a directory (default $RD_SPOOL, then\n"
"                           $XDG_STATE_HOME/redrive/spool)\n"
"      --trust-spool        use the spool even if another user owns it or can\n"
"                           write to it (refused otherwise)\n"
"      --fsync POLICY       always, batch (default), interval or never\n"
"      --fsync-interval DUR sync period for --fsync interval (default 1s)\n"
"      --segment-size SIZE  roll segments at SIZE (default 64MiB)\n"
"      --max-spool-size SIZE refuse records beyond SIZE on disk\n"
"      --max-record-size SIZE refuse input records over SIZE (default 16MiB,\n"
"                           at most 256MiB)\n"
"Send or capture, as curl does (with URL):\n"
"      --try                send the request now; on success print the response\n"
"                           and store nothing, else capture it (exit 1)\n"
"      --idempotency-header NAME  header carrying the key on the first try\n"
"                           (default Idempotency-Key)\n"
"      --no-idempotency-key send no idempotency header\n"
"      --success SET        statuses that count as delivered (default 2xx)\n"
"  -i, --include            print the response headers too\n"
"  -o, --output FILE        write the response to FILE\n"
"  -w, --write-out FMT      print FMT after the transfer (%{http_code}...)\n"
"  -f, --fail               print no body for a status of 400 or more\n"
"      --fail-with-body     the same, keeping the body\n"
"  -L, --location           follow redirects\n"
"      --max-redirs N       at most N redirects (default 50)\n"
"  -m, --max-time SECS      whole-request timeout (default 30s)\n"
"      --timeout DUR        the same as --max-time\n"
"      --connect-timeout SECS connect timeout (default 10s)\n"
"  -k, --insecure           do not verify TLS certificates\n"
"      --cacert FILE        verify TLS with the CA certificates in FILE\n"
"  -s, --silent             no notices (errors are still printed)\n"
"  -S, --show-error         with -s, still say what was not delivered\n"
"Output:\n"
"      --format FORMAT      ids (default) or json: one object per stored record\n"
"      --reject FILE        append each refused input line to FILE, verbatim\n"
"  -q, --quiet              no warnings\n"
"  -v, --verbose            more detail on stderr\n"
"  -h, --help               show this help\n"
"  -V, --version            show the version\n"
"\n"
"Exit status: 0 all stored (--try: delivered); 1 some input rejected, the rest\n"
"stored (--try: not delivered, captured); 2 error, a bad request on the\n"
"command line included.  See rd-capture(1) and redrive-spool(5).\n";

enum {
	OPT_RAW = CLI_OPT_TOOL, OPT_SCHEME, OPT_JQ, OPT_INPUT, OPT_FAILURE,
	OPT_STATUS, OPT_MESSAGE, OPT_ATTEMPTS, OPT_IKEY, OPT_TAG,
	OPT_REJECT, OPT_TRY, OPT_FORMAT, OPT_IDEM_HEADER, OPT_NO_IDEM
};

static const char short_opts[] = CLI_COMMON_SHORT CREQ_SHORT TRYOUT_SHORT;
static const struct option long_opts[] = {
	CLI_COMMON_LONG_NO_JSON,
	CREQ_LONG,
	TRYOUT_LONG,
	{ "input", required_argument, NULL, OPT_INPUT },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "scheme", required_argument, NULL, OPT_SCHEME },
	{ "jq", required_argument, NULL, OPT_JQ },
	{ "failure", required_argument, NULL, OPT_FAILURE },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "message", required_argument, NULL, OPT_MESSAGE },
	{ "attempts", required_argument, NULL, OPT_ATTEMPTS },
	{ "idempotency-key", required_argument, NULL, OPT_IKEY },
	{ "tag", required_argument, NULL, OPT_TAG },
	CLI_STORE_LONG,
	{ "reject", required_argument, NULL, OPT_REJECT },
	{ "try", no_argument, NULL, OPT_TRY },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "idempotency-header", required_argument, NULL, OPT_IDEM_HEADER },
	{ "no-idempotency-key", no_argument, NULL, OPT_NO_IDEM },
	{ NULL, 0, NULL, 0 }
};

/* What option values complete to (compl.h). */
static const struct compl_hint hints[] = {
	{ "spool", "@dir" },
	{ "input", "@file" },
	{ "reject", "@file" },
	{ "cacert", "@file" },
	{ "output", "@file" },
	{ "data", "@atfile" },
	{ "data-ascii", "@atfile" },
	{ "data-binary", "@atfile" },
	{ "data-urlencode", "@atfile" },
	{ "json", "@atfile" },
	{ "header", "@atfile" },
	{ "write-out", "@atfile" },
	{ "fsync", "always batch interval never" },
	{ "format", "ids json" },
	{ "scheme", "http https" },
	{ "request", "GET POST PUT PATCH DELETE HEAD OPTIONS" },
	{ "failure", "timeout connect dns tls network http_429 http_500 http_502 http_503 http_504 unknown" },
	{ NULL, NULL }
};

/* curl options that rd-capture does not take, named as such when given,
 * so that a script moved from curl fails loudly, never half-working. */
static const char *const curl_only[] = {
	"-F", "--form", "-T", "--upload-file", "-I", "--head", "-x", "--proxy",
	"--retry", "--retry-delay", "--retry-max-time", "--retry-all-errors",
	"-O", "--remote-name", "-J", "-c", "--cookie-jar", "-D",
	"--dump-header", "-K", "--config", "-r", "--range", "-C", "-Z",
	"--parallel", "--http2", "--http1.0", "--http1.1", "--http3", "-4",
	"-6", "-#", "--progress-bar", "-N", "--no-buffer", "-n", "--netrc",
	"--resolve", "--connect-to", "--unix-socket", "-E", "--cert", "--key",
	"-g", "--globoff", "--path-as-is", "--limit-rate", "--url", "-U",
	"--proxy-user", "--digest", "--ntlm", "--negotiate", "--oauth2-bearer",
	"--aws-sigv4", "--trace", "--trace-ascii", "--stderr", "-z", "-R",
	"--form-string", "-j", NULL
};

/* Everything main() gathers from the command line. */
struct opts {
	struct cli_common c;
	const char *input, *jq, *scheme, *method, *url, *reject;
	int raw, failure_given;
	struct creq req;         /* the request given by flags */
	struct rec_tag *tags;    /* owned; proto.tags points here */
	struct rec_req proto;    /* failure, key, attempts and tags from flags */
	uint64_t max_record;
	struct spool_opts so;
	int try;                 /* --try: send first, capture on failure */
	int json;                /* --format json */
	struct tryout t;         /* curl's transfer and output options */
	struct rw_rules rules;   /* the idempotency header of --try */
	char accept_enc[64];     /* --compressed */
};

/* The run: the engine, and what the command says about it. */
struct run {
	const struct opts *o;
	struct msg m;
	struct spool *sp;
	const char *dir;                 /* where it is */
	struct capture cap;
	struct capture_opts co;
	int out_err;                     /* errno of a failed write to
					  * stdout; 0: none */
	uint64_t printed;                /* acks written whole to stdout */
	int delivered, try_failed;       /* --try outcome */
	char try_id[REC_ID_LEN + 1];
	char try_why[300];
};

static void on_notice(void *ctx, const struct spool_notice *n)
{
	const struct msg *m = ctx;

	char text[1024];

	msg_warn(m, "%s", spool_notice_text(n, text, sizeof(text)));
}

/* Durable acks to standard output.  Any failure (EPIPE included: the
 * acks are the product) stops the capture; main says so. */
static int on_acks(void *ctx, struct buf *acks)
{
	struct run *r = ctx;
	size_t off = 0;
	int e;

	if (r->out_err)
		return 1;
	e = buf_write_fd(acks, STDOUT_FILENO, &off);
	for (size_t i = 0; i < off; i++)
		r->printed += acks->data[i] == '\n';
	if (e < 0)
		r->out_err = -e;
	return r->out_err != 0;
}

/* Standard output failed: one line that lets the operator reconcile. */
static void out_error(const struct run *r)
{
	if (r->o->try)
		msg_error(&r->m, "stdout: %s: the response was not written in full%s",
			  strerror(r->out_err), r->try_failed ? "" :
			  " (the request was delivered; nothing stored)");
	else
		msg_error(&r->m, "stdout: %s: stopped after %llu record%s stored, %llu of them with their id printed%s",
			  strerror(r->out_err),
			  (unsigned long long)r->cap.stored,
			  r->cap.stored == 1 ? "" : "s",
			  (unsigned long long)r->printed, r->cap.complete ?
			  " (all the input)" : "; the rest of the input was not stored");
}

static void on_reject(void *ctx, const char *what, const char *why)
{
	const struct run *r = ctx;

	msg_error(&r->m, "%s: %s", what, why);
}

/* Where -o sends the response: FILE, when curl would make it, or stdout. */
static int write_body(struct run *r, const struct buf *b, int make)
{
	const char *path = r->o->t.output;
	size_t done;
	int fd = STDOUT_FILENO, e;

	if (path && !make)
		return 0;
	if (path && (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			       0666)) < 0) {
		msg_error(&r->m, "cannot open '%s': %s", path, strerror(errno));
		return RD_E_IO;
	}
	e = b->len ? buf_write_fd(b, fd, &done) : 0;
	if (path && close(fd) < 0 && e == 0)
		e = -errno;
	if (e < 0 && path) {
		msg_error(&r->m, "cannot write to '%s': %s", path, strerror(-e));
		return RD_E_IO;
	}
	if (e < 0 && !r->out_err)
		r->out_err = -e;
	return 0;
}

/* A store that failed; a spool at its cap says what compaction would
 * free. */
static void store_error(struct run *r, const struct rd_err *err)
{
	char hint[160] = "";

	if (err->code == RD_E_FULL && strstr(err->msg, "(--max-spool-size)"))
		compact_hint(r->dir, r->o->c.trust_spool, rec_now_ms(), hint,
			     sizeof(hint));
	msg_error(&r->m, "%s%s", err->msg, hint);
}

/*
 * --try: send now, with the record's id given first so that this attempt
 * carries the key its replays will.  Delivered: the response goes out as
 * curl prints it and nothing is stored.  Not delivered: the response
 * still goes out, and the request is captured with what went wrong; the
 * id is reported on stderr once it is durable.
 */
static int try_send(struct run *r, struct rec_req *rec)
{
	struct sendrec_result res;
	struct buf body, out, eout;
	struct rd_err err;
	size_t done;
	int ret, e;

	sendrec_result_init(&res);
	buf_init(&body);
	buf_init(&out);
	buf_init(&eout);
	capture_name(&r->cap, rec);
	if ((ret = sendrec_try(rec, &r->o->rules, &r->o->t.http, &r->o->t.ok,
			       &res, &err)) < 0) {
		msg_error(&r->m, "%s", err.msg);
		goto out;
	}
	if (res.cls == HTTP_OK) {
		r->delivered = 1;
	} else {
		r->try_failed = 1;
		snprintf(r->try_why, sizeof(r->try_why), "%s", res.fail_msg);
		if ((ret = capture_store(&r->cap, rec, 1, &err)) < 0)
			store_error(r, &err);
		memcpy(r->try_id, rec->id, sizeof(r->try_id));
	}
	tryout_render(&r->o->t, &res.res, rec->method.p, r->o->url,
		      ret < 0 ? RD_EXIT_ERROR : r->delivered ? RD_EXIT_OK :
		      RD_EXIT_PARTIAL, &body, &out, &eout);
	if (write_body(r, &body, tryout_makes_file(&r->o->t, &res.res, &body)) < 0)
		ret = RD_E_IO;
	if (out.len && !r->out_err &&
	    (e = buf_write_fd(&out, STDOUT_FILENO, &done)) < 0)
		r->out_err = -e;
	if (eout.len && buf_write_fd(&eout, STDERR_FILENO, &done) < 0)
		ret = RD_E_IO;
out:
	sendrec_result_release(&res);
	buf_release(&body);
	buf_release(&out);
	buf_release(&eout);
	return ret;
}

/* One request given on the command line: a bad one is a usage error
 * (exit 2, nothing stored), whichever of its parts is wrong. */
static int run_flags(struct run *r)
{
	const struct opts *o = r->o;
	struct rec_req rec;
	struct rd_err err;

	memset(&rec, 0, sizeof(rec));
	creq_to_rec(&r->o->req, &rec);
	capture_proto(&r->cap, &rec);
	if (rec_req_validate(&rec, &err) < 0) {
		msg_error(&r->m, "request: %s", err.msg);
		return RD_E_INVAL;
	}
	if (o->try)
		return try_send(r, &rec);
	if (capture_store(&r->cap, &rec, 1, &err) < 0) {
		store_error(r, &err);
		return RD_E_IO;
	}
	return 0;
}

static int add_tag(struct opts *o, const char *arg, struct msg *m)
{
	struct rd_err err;

	o->tags = xrealloc(o->tags, (o->proto.ntags + 1) * sizeof(*o->tags));
	o->proto.tags = o->tags;
	if (rec_tag_parse(arg, &o->tags[o->proto.ntags], &err) < 0) {
		msg_usage(m, "--tag: %s", err.msg);
		return RD_E_INVAL;
	}
	o->proto.ntags++;
	return 0;
}

/* The failure fields a URL or --raw capture takes from the command line.
 * Returns 1 when opt was one, 0 when not, RD_E_INVAL. */
static int failure_option(struct opts *o, int c, const char *arg,
			  struct msg *m)
{
	struct rd_err err;
	uint64_t v;

	switch (c) {
	case OPT_FAILURE:
		o->proto.fail_type.p = arg;
		o->proto.fail_type.n = strlen(arg);
		break;
	case OPT_STATUS:
		if (cli_parse_u64(arg, 0, 999, &v, &err) < 0)
			return msg_usage_opt(m, "--status", &err);
		o->proto.fail_status = (int)v;
		break;
	case OPT_MESSAGE:
		o->proto.fail_msg.p = arg;
		o->proto.fail_msg.n = strlen(arg);
		break;
	case OPT_ATTEMPTS:
		if (cli_parse_u64(arg, 0, 1000000, &v, &err) < 0)
			return msg_usage_opt(m, "--attempts", &err);
		o->proto.attempts = (long long)v;
		break;
	case OPT_IKEY:
		o->proto.idem_key.p = arg;
		o->proto.idem_key.n = strlen(arg);
		break;
	case OPT_TAG:
		if (add_tag(o, arg, m) < 0)
			return RD_E_INVAL;
		break;
	default:
		return 0;
	}
	o->failure_given = 1;
	return 1;
}

/* Where and how records are stored.  1, 0 or RD_E_INVAL as above. */
static int spool_option(struct opts *o, int c, const char *arg, struct msg *m)
{
	struct rd_err err;
	int k;

	if ((k = cli_store_opt(&o->so, &o->max_record, c, arg, &err)) < 0)
		msg_usage(m, "%s", err.msg);
	return k;
}

/* The input and output of rd-capture itself.  1, 0 or RD_E_INVAL. */
static int own_option(struct opts *o, int c, const char *arg, struct msg *m)
{
	switch (c) {
	case OPT_INPUT: o->input = arg; return 1;
	case OPT_RAW: o->raw = 1; return 1;
	case OPT_SCHEME:
		if (strcmp(arg, "http") && strcmp(arg, "https")) {
			msg_usage(m, "--scheme must be http or https");
			return RD_E_INVAL;
		}
		o->scheme = arg;
		return 1;
	case OPT_JQ:
		if (!arg[strspn(arg, " \t\r\n")]) {
			msg_usage(m, "--jq: the filter is empty");
			return RD_E_INVAL;
		}
		o->jq = arg;
		return 1;
	case OPT_REJECT: o->reject = arg; return 1;
	case OPT_TRY: o->try = 1; return 1;
	case OPT_FORMAT:
		if (strcmp(arg, "ids") && strcmp(arg, "json")) {
			msg_usage(m, "--format: '%s' is not ids or json", arg);
			return RD_E_INVAL;
		}
		o->json = strcmp(arg, "json") == 0;
		return 1;
	case OPT_IDEM_HEADER:
		if (!*arg || arg[strcspn(arg, " \t\r\n:")]) {
			msg_usage(m, "--idempotency-header: '%s' is not a header name", arg);
			return RD_E_INVAL;
		}
		o->rules.idem_header = arg;
		return 1;
	case OPT_NO_IDEM: o->rules.idem_header = NULL; return 1;
	}
	return failure_option(o, c, arg, m);
}

/* An option getopt does not know; a curl one is named as such. */
static int unknown(int c, char **argv, struct msg *m)
{
	char why[256], name[64];
	const char *q = strchr(cli_opt_error(c, argv, why, sizeof(why)), '\'');

	snprintf(name, sizeof(name), "%s", q ? q + 1 : "");
	name[strcspn(name, "'")] = '\0';
	for (size_t i = 0; c == '?' && curl_only[i]; i++)
		if (strcmp(name, curl_only[i]) == 0) {
			msg_usage(m, "unknown option '%s': a curl option that rd-capture does not take (see rd-capture(1))",
				  name);
			return RD_E_INVAL;
		}
	msg_usage(m, "%s", why);
	return RD_E_INVAL;
}

/* A long option typed short of its name: refused, never expanded. */
static int abbreviated(const char *word, struct msg *m)
{
	char name[64];

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(word, "="), word);
	for (size_t i = 0; curl_only[i]; i++)
		if (strcmp(name, curl_only[i]) == 0) {
			msg_usage(m, "unknown option '%s': a curl option that rd-capture does not take (see rd-capture(1))",
				  name);
			return RD_E_INVAL;
		}
	msg_usage(m, "unknown option '%s' (options are given in full)", name);
	return RD_E_INVAL;
}

/* The checks that need every option; the request's data is read here. */
static int finish_opts(struct opts *o, struct msg *m)
{
	struct rd_err err;

	if ((o->url != NULL) + o->raw + (o->jq != NULL) > 1) {
		msg_usage(m, "choose one input: a URL, --raw or --jq%s",
			  o->raw && o->url ? " (curl's --raw is not supported)" : "");
		return RD_E_INVAL;
	}
	if (creq_given(&o->req) && !o->url) {
		msg_usage(m, "-X, -H, -d and the other request options describe a request: give its URL");
		return RD_E_INVAL;
	}
	if (o->try && !o->url) {
		msg_usage(m, "--try sends one request: give its URL");
		return RD_E_INVAL;
	}
	if (o->t.given && !o->try) {
		msg_usage(m, "%s applies to --try", o->t.given);
		return RD_E_INVAL;
	}
	if (o->failure_given && !o->url && !o->raw) {
		msg_usage(m, "--failure, --status, --message, --attempts, --idempotency-key and --tag apply to a URL or --raw; NDJSON and --jq records carry their own");
		return RD_E_INVAL;
	}
	if (!o->url)
		return 0;
	/* Read after all options, so @FILE honours a --max-record-size
	 * given anywhere. */
	o->req.max_body = o->max_record;
	if (o->req.compressed) {
		if (http_accept_encoding(o->accept_enc, sizeof(o->accept_enc),
					 &err) < 0) {
			msg_error(m, "%s", err.msg);
			return RD_E_UNSUPP;
		}
		o->req.accept_encoding = o->accept_enc;
		o->t.http.decode = 1;
	}
	if (creq_finish(&o->req, o->url, &err) < 0) {
		msg_error(m, "%s", err.msg);
		return RD_E_INVAL;
	}
	if (o->t.silent)
		o->c.verbosity = -1;
	return 0;
}

/* Returns 0 to run, 1 when done (help, version), negative on error. */
static int parse_opts(int argc, char **argv, struct opts *o, struct msg *m)
{
	struct rd_err err;
	int c, k, li;

	memset(o, 0, sizeof(*o));
	cli_common_init(&o->c);
	creq_init(&o->req, 16ULL << 20);
	tryout_init(&o->t);
	o->rules.idem_header = "Idempotency-Key";
	spool_opts_init(&o->so);
	o->scheme = "http";
	o->max_record = 16ULL << 20;
	o->proto.fail_type.p = "unknown";
	o->proto.fail_type.n = 7;
	while ((li = -1, c = getopt_long(argc, argv, short_opts, long_opts,
					 &li)) != -1) {
		/* curl's --head is not --header: no abbreviations here */
		if (li >= 0 && !cli_long_exact(long_opts, li, argv))
			return abbreviated(argv[optind - 1 - (optarg &&
					   optarg == argv[optind - 1])], m);
		if (cli_common_opt(&o->c, c, optarg))
			continue;
		if ((k = creq_option(&o->req, c, optarg, &err)) == 0)
			k = tryout_option(&o->t, c, optarg, &err);
		if (k < 0) {
			msg_usage(m, "%s", err.msg);
			return RD_E_INVAL;
		}
		if (k == 0 && (k = spool_option(o, c, optarg, m)) == 0)
			k = own_option(o, c, optarg, m);
		if (k < 0)
			return RD_E_INVAL;
		if (k == 0)
			return unknown(c, argv, m);
	}
	if ((c = cli_help_version(&o->c, "rd-capture", usage_text)) != 0)
		return c;
	if (optind < argc)
		o->url = argv[optind++];
	if (cli_extra_arg(argc, argv, optind, "; one URL at most", &err) < 0) {
		msg_usage(m, "%s", err.msg);
		return RD_E_INVAL;
	}
	return finish_opts(o, m);
}

static void opts_release(struct opts *o)
{
	creq_release(&o->req);
	tryout_release(&o->t);
	free(o->tags);
}

/* The engine's options, from the command line's. */
static void engine_opts(struct run *r, int reject_fd)
{
	const struct opts *o = r->o;
	struct capture_opts *co = &r->co;

	memset(co, 0, sizeof(*co));
	co->max_record = o->max_record;
	co->json_acks = o->json;
	co->no_acks = o->try;   /* stdout carries the response; the id goes
				 * to stderr */
	co->idem_header = o->rules.idem_header;
	co->scheme = o->scheme;
	co->jq = o->jq;
	co->proto = &o->proto;
	co->reject_fd = reject_fd;
	/* A batch is one member: keep it well inside a segment. */
	co->batch_bytes = o->so.dir.segment_bytes / 4 < BATCH_BYTES ?
			  (size_t)(o->so.dir.segment_bytes / 4) : BATCH_BYTES;
	co->batch_records = o->so.fsync == SPOOL_FSYNC_ALWAYS ? 1 : BATCH_RECORDS;
	co->on_acks = on_acks;
	co->on_reject = on_reject;
	co->ctx = r;
}

/* Read the input, or make the one request, and store what is valid. */
static int run(struct run *r, int fd)
{
	struct rd_err err;
	int ret;

	if (r->o->url)
		return run_flags(r);
	ret = r->o->raw ? capture_raw(&r->cap, fd, &err) :
	      r->o->jq ? capture_jq(&r->cap, fd, &err) :
	      capture_ndjson(&r->cap, fd, &err);
	if (ret < 0)
		store_error(r, &err);
	return ret;
}

/* A closed stdout takes no ack (nor response): nothing is sent or
 * stored, and no spool file can take its number.  1 when closed (but
 * --try -o FILE, which needs none, runs with /dev/null there). */
static int stdout_closed(struct run *r)
{
	int fd;

	if (fcntl(STDOUT_FILENO, F_GETFD) >= 0)
		return 0;
	/* --try -o FILE without -w writes nothing there: hold the place */
	if (r->o->try && r->o->t.output && !r->o->t.wout &&
	    (fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) >= 0) {
		if (fd != STDOUT_FILENO) {
			dup2(fd, STDOUT_FILENO);
			close(fd);
		}
		return 0;
	}
	r->out_err = errno;
	if (r->o->try)
		msg_error(&r->m, "stdout: %s: nothing sent, nothing stored",
			  strerror(r->out_err));
	else
		out_error(r);
	return 1;
}

/* 0 all stored (delivered); 1 some refused (captured); 2 error, stdout
 * included (but a captured --try keeps 1: its id is on stderr). */
static int exit_status(const struct run *r, int ret)
{
	if (ret == RD_E_INVAL && r->cap.rejected == 0)
		return RD_EXIT_ERROR;
	if (ret < 0 || (r->out_err && !r->try_failed))
		return RD_EXIT_ERROR;
	return r->cap.rejected || r->try_failed ? RD_EXIT_PARTIAL : RD_EXIT_OK;
}

/* What the run ends with on stderr; its exit status. */
static int report(const struct run *r, int ret)
{
	int status = exit_status(r, ret);
	char shown[4096];

	if (r->out_err)
		out_error(r);
	/* a notice; with -S an error, as curl -sS prints its error */
	if (status == RD_EXIT_PARTIAL && r->try_failed)
		(r->o->t.show_error ? msg_error : msg_warn)(
			&r->m, "not delivered (%s); captured as %s", r->try_why,
			r->try_id);
	cli_spool_shown(r->dir, shown, sizeof(shown));
	msg_info(&r->m, "%llu stored, %llu rejected in '%s'",
		 (unsigned long long)r->cap.stored,
		 (unsigned long long)r->cap.rejected, shown);
	return status;
}

int main(int argc, char **argv)
{
	struct compl_tool ct = { "rd-capture", long_opts, short_opts, usage_text, hints };
	struct opts o;
	struct run r;
	struct rd_err err;
	char dir[4096];
	int ret, fd = STDIN_FILENO, reject_fd = -1, status, have_cap = 0;

	/* completions/ asks the tool itself (compl.h) */
	if ((ret = cli_completion(&ct, argc, argv)) >= 0)
		return ret;
	memset(&r, 0, sizeof(r));
	msg_init(&r.m, "rd-capture");
	signal(SIGPIPE, SIG_IGN);
	/* Past `ulimit -f`, fail the write with EFBIG instead of dying. */
	signal(SIGXFSZ, SIG_IGN);
	if ((ret = parse_opts(argc, argv, &o, &r.m)) != 0) {
		opts_release(&o);
		return ret < 0 ? RD_EXIT_ERROR : RD_EXIT_OK;
	}
	r.o = &o;
	r.m.verbosity = o.c.verbosity;
	status = RD_EXIT_ERROR;
	if (stdout_closed(&r))
		goto out;
	if (cli_spool_location(o.c.spool, dir, sizeof(dir), &err) < 0) {
		msg_usage(&r.m, "%s", err.msg);
		goto out;
	}
	if (o.input && strcmp(o.input, "-") != 0 &&
	    (fd = open(o.input, O_RDONLY | O_CLOEXEC)) < 0) {
		msg_error(&r.m, "cannot open '%s': %s", o.input, strerror(errno));
		goto out;
	}
	if (o.reject && (reject_fd = open(o.reject,
			O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		msg_error(&r.m, "cannot open '%s': %s", o.reject, strerror(errno));
		goto out;
	}
	o.so.create = 1;
	o.so.trust = o.c.trust_spool;
	o.so.notice = on_notice;
	o.so.notice_ctx = &r.m;
	r.dir = dir;
	if (spool_open(dir, &o.so, &r.sp, &err) < 0) {
		msg_error(&r.m, "%s", err.msg);
		goto out;
	}
	engine_opts(&r, reject_fd);
	if (capture_init(&r.cap, &r.co, r.sp, &err) < 0) {
		msg_error(&r.m, "%s", err.msg);
		goto out;
	}
	have_cap = 1;
	ret = run(&r, fd);
	if (ret >= 0 && capture_finish(&r.cap, &err) < 0) {
		store_error(&r, &err);
		ret = RD_E_IO;
	}
	status = report(&r, ret);
out:
	if (have_cap)
		capture_release(&r.cap);
	spool_close(r.sp);
	if (fd > STDIN_FILENO)
		close(fd);
	if (reject_fd >= 0 && close(reject_fd) < 0) {
		msg_error(&r.m, "cannot write to '%s': %s", o.reject,
			  strerror(errno));
		status = RD_EXIT_ERROR;
	}
	opts_release(&o);
	return status;
}
