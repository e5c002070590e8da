/*
 * test_roundtrip.c - every input format that has a writer, read, written
 * and read again: the record must come back the same.
 *
 *  - raw HTTP/1.1: lib/rawhttp reads a message, dryrun_raw writes the
 *    record as one, lib/rawhttp reads that;
 *  - curl-like flags: lib/creq reads options, dryrun_curl writes a curl
 *    command line, a POSIX shell's splitting gives its words back, and
 *    getopt and lib/creq read them as rd-capture does;
 *  - NDJSON: rec_req_parse reads a line, rec_req_to_json writes the
 *    canonical one, rec_req_parse reads that.
 *
 * Records are compared as their canonical lines (same id, same time).  A
 * rendering sends what the engine sends (dryrun.h), so raw HTTP is
 * compared as sent: without framing headers (the transport writes them)
 * and with the Host a request without one goes out with.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creq.h"
#include "dryrun.h"
#include "http.h"
#include "rawhttp.h"
#include "rec.h"
#include "url.h"

#include "creq_cases.h"
#include "llhttp_requests.h"
#include "t.h"

#define ID "01M85VJBNF44P3WQHKRWB1NNWP"
#define AT_MS 1795493015215LL   /* 2026-11-24T04:03:35.215Z */

/* The canonical line of r, with the fixed id and time when it has none. */
static void canon(const struct rec_req *r0, struct buf *out)
{
	struct rec_req r = *r0;

	if (!r.id[0])
		memcpy(r.id, ID, sizeof(ID));
	if (!r.captured_ms)
		r.captured_ms = AT_MS;
	buf_reset(out);
	rec_req_to_json(out, &r);
}

static void to_http(const struct rec_req *r, struct http_req *q)
{
	memset(q, 0, sizeof(*q));
	q->method = r->method.p;
	q->method_len = r->method.n;
	q->url = r->url.p;      /* NUL-terminated in every source here */
	q->hdrs = r->hdrs;
	q->nhdrs = r->nhdrs;
	q->body = r->body.p;
	q->body_len = r->body.n;
}

/* ---- raw HTTP ---- */

/* A parsed message as a record, as capture_raw makes it. */
static void rec_of_raw(const struct rawhttp_req *q, struct rec_req *r)
{
	memset(r, 0, sizeof(*r));
	r->method.p = q->method;
	r->method.n = strlen(q->method);
	r->url.p = q->url;
	r->url.n = strlen(q->url);
	r->hdrs = q->hdrs;
	r->nhdrs = q->nhdrs;
	r->body.p = q->body ? q->body : "";
	r->body.n = q->body_len;
	r->fail_type.p = "unknown";
	r->fail_type.n = 7;
}

/* The canonical line of r as the engine sends it: framing headers
 * dropped, and a Host made of the URL's authority first when r has
 * none. */
static void canon_sent(const struct rec_req *r, struct buf *out)
{
	struct hdr h[REC_MAX_HEADERS + 1];
	struct rec_req s = *r;
	struct url_parts p;
	struct buf host;
	size_t n = 0;

	buf_init(&host);
	if (hdr_find(r->hdrs, r->nhdrs, 0, "Host") == r->nhdrs &&
	    url_split(r->url.p, r->url.n, &p) == 0) {
		buf_add(&host, r->url.p + p.host.off - p.ipv6, p.host.len + 2 * p.ipv6);
		if (p.port.present) {
			buf_addc(&host, ':');
			buf_add(&host, r->url.p + p.port.off, p.port.len);
		}
		h[n].name = "Host";
		h[n].name_len = 4;
		h[n].value = host.data;
		h[n++].value_len = host.len;
	}
	for (size_t i = 0; i < r->nhdrs; i++)
		if (!http_hop_by_hop(r->hdrs[i].name, r->hdrs[i].name_len))
			h[n++] = r->hdrs[i];
	s.hdrs = h;
	s.nhdrs = n;
	canon(&s, out);
	buf_release(&host);
}

/* text rendered from a record: exactly one message, read into q. */
static int read_one(const struct buf *text, struct rawhttp_req *q,
		    struct rd_err *err)
{
	struct rawhttp_stream s;
	struct rawhttp_req extra;
	size_t start, len;
	int got;

	rawhttp_stream_init(&s, text->data, text->len);
	if ((got = rawhttp_next(&s, "http", q, &start, &len, err)) != 1)
		return got < 0 ? got : RD_E_INVAL;
	rawhttp_req_init(&extra);
	got = rawhttp_next(&s, "http", &extra, &start, &len, err);
	rawhttp_req_release(&extra);
	return got == 0 ? 0 : RD_E_INVAL;
}

/* One message: parse, render, parse; as sent, the same record, and the
 * second rendering the same text.  1 when it held. */
static int raw_trip(const struct rawhttp_req *q1, const char *name)
{
	struct rawhttp_req q2;
	struct rec_req r1, r2;
	struct http_req h;
	struct buf text1, text2, c1, c2;
	struct rd_err err = { 0 };
	int ok;

	rawhttp_req_init(&q2);
	buf_init(&text1);
	buf_init(&text2);
	buf_init(&c1);
	buf_init(&c2);
	rec_of_raw(q1, &r1);
	to_http(&r1, &h);
	dryrun_raw(&text1, &h, NULL);
	ok = T_OK(read_one(&text1, &q2, &err) == 0, name);
	if (ok) {
		rec_of_raw(&q2, &r2);
		canon_sent(&r1, &c1);
		canon_sent(&r2, &c2);
		ok = T_EQ_STR(c2.data, c1.data, name);
		to_http(&r2, &h);
		dryrun_raw(&text2, &h, NULL);
		ok &= T_EQ_STR(text2.data, text1.data, name);
	} else {
		printf("#   %s\n#   rendered: %s\n", err.msg, text1.data);
	}
	rawhttp_req_release(&q2);
	buf_release(&text1);
	buf_release(&text2);
	buf_release(&c1);
	buf_release(&c2);
	return ok;
}

/* Every message of in that reads as a request with a URL (the ones
 * without a Host have none: the stream ends there).  Returns how many
 * went round. */
static size_t raw_input(const char *table, const struct ll *c)
{
	struct rawhttp_stream s;
	struct rawhttp_req q;
	struct rd_err err;
	size_t start, len, trips = 0;
	char name[256];

	rawhttp_req_init(&q);
	rawhttp_stream_init(&s, c->in, strlen(c->in));
	while (rawhttp_next(&s, "http", &q, &start, &len, &err) == 1) {
		snprintf(name, sizeof(name), "raw %s: %s, message %zu", table,
			 c->name, trips + 1);
		raw_trip(&q, name);
		trips++;
	}
	rawhttp_req_release(&q);
	return trips;
}

#define LL(t) { #t, t, sizeof(t) / sizeof(t[0]) }

/* The inputs of tests/unit/llhttp_requests.h: llhttp's test/request
 * files, and the parser's own cases. */
static const struct {
	const char *name;
	const struct ll *c;
	size_t n;
} ll_tables[] = {
	LL(ll_invalid), LL(ll_sample), LL(ll_method), LL(ll_uri),
	LL(ll_connection), LL(ll_content_length), LL(ll_transfer_encoding),
	LL(ll_pipelining), LL(ll_finish), LL(ll_lenient_headers),
	LL(ll_lenient_header_value_relaxed), LL(ll_lenient_version),
	LL(ll_pausing), LL(own),
};

static void test_raw(void)
{
	size_t trips = 0;

	for (size_t t = 0; t < sizeof(ll_tables) / sizeof(ll_tables[0]); t++)
		for (size_t i = 0; i < ll_tables[t].n; i++)
			trips += raw_input(ll_tables[t].name, &ll_tables[t].c[i]);
	/* Most of llhttp's inputs have no Host, so no URL: they cannot be
	 * records.  The ones that can must all have gone round. */
	T_OK(trips >= 16, "raw: llhttp's requests with a Host went round");
	printf("# raw HTTP: %zu messages went round\n", trips);
}

/* ---- curl-like flags ---- */

/*
 * The words of a command line as a POSIX shell splits it, for what
 * dryrun_curl writes: blanks between words, 'single quotes', and a
 * backslash outside them.  The words are NUL-separated in store, and
 * argv (at most max) points there.  Returns their number, or -1 for
 * anything else (a double quote, $, a command substitution).
 */
static int sh_split(const char *s, struct buf *store, char **argv, int max)
{
	size_t off[64];
	int n = 0, in_word = 0;

	buf_reset(store);
	for (; *s && *s != '\n'; s++) {
		if (*s == ' ' || *s == '\t') {
			if (in_word)
				buf_addc(store, '\0');
			in_word = 0;
			continue;
		}
		if (!in_word) {
			if (n == max || n == 64)
				return -1;
			off[n++] = store->len;
			in_word = 1;
		}
		if (*s == '\'') {
			for (s++; *s && *s != '\''; s++)
				buf_addc(store, *s);
			if (!*s)
				return -1;
		} else if (*s == '\\' && s[1]) {
			buf_addc(store, *++s);
		} else if (strchr("\"$`", *s)) {
			return -1;
		} else {
			buf_addc(store, *s);
		}
	}
	buf_addc(store, '\0');
	for (int i = 0; i < n; i++)
		argv[i] = store->data + off[i];
	argv[n] = NULL;
	return n;
}

/* argv read as rd-capture reads its request options, into c.  0, or
 * RD_E_INVAL naming what was not understood. */
static int creq_of_argv(int argc, char **argv, struct creq *c,
			struct rd_err *err)
{
	static const struct option lopts[] = { CREQ_LONG, { NULL, 0, NULL, 0 } };
	int k;

	optind = 0;     /* GNU getopt: start over */
	opterr = 0;
	while ((k = getopt_long(argc, argv, "sS" CREQ_SHORT, lopts, NULL)) != -1) {
		if (k == 's' || k == 'S')
			continue;
		if (creq_option(c, k, optarg, err) != 1)
			return rd_err_set(err, RD_E_INVAL, "option '%s'", argv[optind - 1]);
	}
	if (optind != argc - 1)
		return rd_err_set(err, RD_E_INVAL, "not one URL");
	return creq_finish(c, argv[optind], err);
}

/* A request given as options, written as a curl command and read back. */
static void curl_trip(const char *name, const int *opt, const char *const *arg,
		      const char *url)
{
	struct creq c1, c2;
	struct rec_req r1, r2;
	struct http_req h;
	struct buf cmd, words, l1, l2;
	struct rd_err err = { 0 };
	char *argv[65];
	int argc, ok;

	creq_init(&c1, 1 << 20);
	creq_init(&c2, 1 << 20);
	c1.accept_encoding = c2.accept_encoding = "deflate, gzip, br, zstd";
	buf_init(&cmd);
	buf_init(&words);
	buf_init(&l1);
	buf_init(&l2);
	for (size_t j = 0; j < 8 && opt[j]; j++)
		creq_option(&c1, opt[j], arg[j], &err);
	ok = T_OK(creq_finish(&c1, url, &err) == 0, name);
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	creq_to_rec(&c1, &r1);
	r1.fail_type.p = r2.fail_type.p = "unknown";
	r1.fail_type.n = r2.fail_type.n = 7;
	to_http(&r1, &h);
	dryrun_curl(&cmd, &h, NULL);
	argc = sh_split(cmd.data, &words, argv, 64);
	if (ok && !T_OK(argc > 1 && strcmp(argv[0], "curl") == 0 &&
			creq_of_argv(argc, argv, &c2, &err) == 0, name))
		printf("#   %s\n#   command: %s", err.msg, cmd.data);
	else if (ok) {
		creq_to_rec(&c2, &r2);
		canon(&r1, &l1);
		canon(&r2, &l2);
		T_EQ_STR(l2.data, l1.data, name);
	}
	creq_release(&c1);
	creq_release(&c2);
	buf_release(&cmd);
	buf_release(&words);
	buf_release(&l1);
	buf_release(&l2);
}

/* Not from curl: what the rendering has to quote or keep literal. */
static const struct ccase own_curl[] = {
	{ "a body that starts with @ is data, not a file",
	  { { CREQ_OPT_DATA_RAW, "@not-a-file" } }, "http://h/p", NULL },
	{ "quotes and blanks in a header, the body and the URL",
	  { { 'H', "X-Q: it's \"so\"  " }, { 'd', "a='1' b" } },
	  "http://h/it's?q='x'", NULL },
	{ "a value with a $ and a backslash",
	  { { 'H', "X-D: $HOME\\n" }, { CREQ_OPT_DATA_BINARY, "`x` $(y)" } },
	  "http://h/p", NULL },
};

static void curl_case(const char *table, const struct ccase *k)
{
	int opt[8] = { 0 };
	const char *arg[8] = { NULL };
	char name[256];

	for (size_t j = 0; j < 8 && k->o[j].opt; j++) {
		opt[j] = k->o[j].opt;
		arg[j] = k->o[j].arg;
	}
	snprintf(name, sizeof(name), "curl %s: %s", table, k->name);
	curl_trip(name, opt, arg, k->url);
}

static void test_curl(void)
{
	/* tests/unit/creq_cases.h: read off the wire from curl 7.88.1 */
	for (size_t i = 0; i < sizeof(creq_cases) / sizeof(creq_cases[0]); i++)
		curl_case("creq_cases", &creq_cases[i]);
	for (size_t i = 0; i < sizeof(own_curl) / sizeof(own_curl[0]); i++)
		curl_case("own", &own_curl[i]);
}

/* ---- NDJSON ---- */

struct line {
	const char *name;
	int stored;          /* a spool line (with its id), else capture input */
	int canonical;       /* written back byte for byte */
	const char *in;
};

/* man/redrive-spool.5, kind "request" (joined onto one line) */
static const struct line spool5[] = {
	{ "the schema's example", 1, 1,
	  "{\"v\":1,\"kind\":\"request\",\"id\":\"01M85VJBNF44P3WQHKRWB1NNWP\","
	  "\"captured_at\":\"2026-11-24T04:03:35.215Z\",\"method\":\"POST\","
	  "\"url\":\"https://payments.internal/charge\","
	  "\"headers\":[[\"Content-Type\",\"application/json\"],[\"X-A\",\"1\"],[\"X-A\",\"2\"]],"
	  "\"body\":\"{\\\"order\\\":42}\","
	  "\"failure\":{\"type\":\"http_503\",\"status\":503,\"message\":\"upstream down\"},"
	  "\"attempts\":0,\"idempotency_key\":\"01M85VJBNF44P3WQHKRWB1NNWP\","
	  "\"tags\":{\"incident\":\"INC-1234\"}}\n" },
};

/* tests/unit/test_audit.c and tests/unit/test_sel.c: stored lines */
static const struct line peers[] = {
	{ "test_audit.c: a POST", 1, 1,
	  "{\"v\":1,\"kind\":\"request\",\"id\":\"01JDZ00000000000000000000A\",\"captured_at\":\"2026-11-25T00:00:00.000Z\",\"method\":\"POST\",\"url\":\"http://h/a/1\",\"headers\":[],\"body\":\"\",\"failure\":{\"type\":\"http_503\"},\"attempts\":0,\"idempotency_key\":\"k\"}\n" },
	{ "test_audit.c: a GET", 1, 1,
	  "{\"v\":1,\"kind\":\"request\",\"id\":\"01JDZ00000000000000000000B\",\"captured_at\":\"2026-11-25T00:00:01.000Z\",\"method\":\"GET\",\"url\":\"http://g/b\",\"headers\":[],\"body\":\"\",\"failure\":{\"type\":\"timeout\"},\"attempts\":0,\"idempotency_key\":\"k\"}\n" },
};

/* Not from a peer: capture input in the shapes rd-capture(1) allows. */
static const struct line own_lines[] = {
	{ "headers as an object, defaults filled", 0, 0,
	  "{\"method\":\"PUT\",\"url\":\"http://h/x\",\"headers\":{\"A\":\"1\",\"b\":\"\"}}" },
	{ "a binary body stays base64", 0, 0,
	  "{\"method\":\"POST\",\"url\":\"http://h/x\",\"body_b64\":\"AP8BAgM=\"}" },
	{ "a base64 body that is text becomes text", 0, 0,
	  "{\"method\":\"POST\",\"url\":\"http://h/x\",\"body_b64\":\"aGkK\"}" },
	{ "escapes, a NUL and non-ASCII in the body", 0, 0,
	  "{\"method\":\"POST\",\"url\":\"http://h/x\",\"body\":\"a\\u0000\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\t\"}" },
	{ "fields in another order, a time with an offset", 0, 0,
	  "{\"tags\":{\"z\":\"1\",\"a\":\"2\"},\"attempts\":3,\"failure\":{\"message\":\"m\",\"status\":429,\"type\":\"http_429\"},"
	  "\"captured_at\":\"2026-11-24T05:03:35.2159+01:00\",\"idempotency_key\":\"key\",\"url\":\"https://[::1]:8443/p?q#f\",\"method\":\"DELETE\"}" },
};

static void line_trip(const char *table, const struct line *l)
{
	struct rec_parser p;
	struct rec_req r;
	struct buf l1, l2;
	struct rd_err err = { 0 };
	char name[256];

	rec_parser_init(&p);
	buf_init(&l1);
	buf_init(&l2);
	snprintf(name, sizeof(name), "ndjson %s: %s", table, l->name);
	if (T_OK(rec_req_parse(&p, l->in, strlen(l->in), l->stored, &r, &err) == 0, name)) {
		canon(&r, &l1);
		if (l->canonical)
			T_EQ_STR(l1.data, l->in, name);
		if (T_OK(rec_req_parse(&p, l1.data, l1.len, 1, &r, &err) == 0, name)) {
			canon(&r, &l2);
			T_EQ_STR(l2.data, l1.data, name);
		}
	} else {
		printf("#   %s\n", err.msg);
	}
	rec_parser_release(&p);
	buf_release(&l1);
	buf_release(&l2);
}

static void test_ndjson(void)
{
	for (size_t i = 0; i < sizeof(spool5) / sizeof(spool5[0]); i++)
		line_trip("redrive-spool.5", &spool5[i]);
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++)
		line_trip("peers", &peers[i]);
	for (size_t i = 0; i < sizeof(own_lines) / sizeof(own_lines[0]); i++)
		line_trip("own", &own_lines[i]);
}

int main(void)
{
	test_raw();
	test_curl();
	test_ndjson();
	return t_done();
}
