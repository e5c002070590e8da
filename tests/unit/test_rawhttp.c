/*
 * test_rawhttp.c - the raw HTTP/1.1 request parser: accepted forms, the
 * exact parts extracted, refusals with their byte offsets, pipelined
 * input read as one connection, and every truncation of a valid message.
 * The request cases llhttp publishes are in test_rawhttp_llhttp.c.
 */
#include "rawhttp.h"

#include <stdlib.h>
#include <string.h>

#include "t.h"

static const char *hdr(const struct rawhttp_req *r, size_t i, int value)
{
	if (i >= r->nhdrs)
		return "(none)";
	return value ? r->hdrs[i].value : r->hdrs[i].name;
}

struct good {
	const char *name, *msg, *scheme;
	const char *method, *url, *body;
	size_t nhdrs;
	const char *h0, *v0, *hlast, *vlast;
};

static void test_good(void)
{
	static const struct good cases[] = {
		{ "origin-form GET with Host",
		  "GET /a/b?c=1 HTTP/1.1\r\nHost: api.local:8080\r\nAccept: */*\r\n\r\n",
		  "http", "GET", "http://api.local:8080/a/b?c=1", NULL, 2,
		  "Host", "api.local:8080", "Accept", "*/*" },
		{ "https scheme for origin-form",
		  "DELETE /x HTTP/1.0\r\nHost: h\r\n\r\n",
		  "https", "DELETE", "https://h/x", NULL, 1, "Host", "h", "Host", "h" },
		{ "absolute-form target is kept",
		  "GET http://other:81/p HTTP/1.1\r\nHost: ignored\r\n\r\n",
		  "https", "GET", "http://other:81/p", NULL, 1, "Host", "ignored",
		  "Host", "ignored" },
		{ "absolute-form needs no Host in HTTP/1.0",
		  "GET http://other:81/p HTTP/1.0\r\n\r\n",
		  "http", "GET", "http://other:81/p", NULL, 0, "(none)", "(none)",
		  "(none)", "(none)" },
		{ "LF-only lines and leading blank lines",
		  "\r\n\nPOST /o HTTP/1.1\nHost: h\nContent-Length: 3\n\nabc",
		  "http", "POST", "http://h/o", "abc", 2, "Host", "h",
		  "Content-Length", "3" },
		{ "duplicates kept in order, value blanks trimmed",
		  "GET / HTTP/1.1\r\nHost: h\r\nX-A:  1 \t\r\nx-a:2\r\nX-A:\r\n\r\n",
		  "http", "GET", "http://h/", NULL, 4, "Host", "h", "X-A", "" },
		{ "obs-text kept in a value",
		  "GET / HTTP/1.1\r\nHost: h\r\nX: caf\303\251\r\n\r\n",
		  "http", "GET", "http://h/", NULL, 2, "Host", "h", "X", "caf\303\251" },
		{ "chunked body decoded, TE replaced by Content-Length",
		  "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		  "X-After: y\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: t\r\n\r\n",
		  "http", "POST", "http://h/c", "Wikipedia", 3, "Host", "h",
		  "Content-Length", "9" },
		{ "LF-only chunked body, extensions with blanks, trailers dropped",
		  "PUT /l HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n"
		  "3 ; a = b ;c=\"x \\\" y\"\nabc\n2\t;d\nde\n0\nT1: 1\nT2:\n\n",
		  "http", "PUT", "http://h/l", "abcde", 2, "Host", "h",
		  "Content-Length", "5" },
		{ "Connection tokens are read, not kept apart",
		  "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n\r\n",
		  "http", "GET", "http://h/", NULL, 2, "Host", "h", "Connection",
		  "keep-alive, Upgrade" },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct good *k = &cases[c];
		struct rawhttp_req r;
		struct rd_err err = { 0 };
		size_t used = 0, n = strlen(k->msg);
		int ret;

		rawhttp_req_init(&r);
		ret = rawhttp_parse(k->msg, n, k->scheme, &r, &used, &err);
		if (!T_EQ_INT(ret, 0, k->name))
			printf("#   %s\n", err.msg);
		T_EQ_INT(used, n, "consumed the whole message");
		T_EQ_STR(r.method, k->method, "method");
		T_EQ_STR(r.url, k->url, "url");
		if (k->body)
			T_OK(r.body && r.body_len == strlen(k->body) &&
			     memcmp(r.body, k->body, r.body_len) == 0, "body");
		else
			T_OK(!r.body && r.body_len == 0, "no body");
		T_EQ_INT(r.nhdrs, k->nhdrs, "header count");
		T_EQ_STR(hdr(&r, 0, 0), k->h0, "first header name");
		T_EQ_STR(hdr(&r, 0, 1), k->v0, "first header value");
		T_EQ_STR(hdr(&r, r.nhdrs - 1, 0), k->hlast, "last header name");
		T_EQ_STR(hdr(&r, r.nhdrs - 1, 1), k->vlast, "last header value");
		rawhttp_req_release(&r);
	}
}

static void test_pipelined(void)
{
	const char *m = "PUT /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab"
			"GET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
	struct rawhttp_req r;
	size_t used = 0, n = strlen(m);

	rawhttp_req_init(&r);
	T_EQ_INT(rawhttp_parse(m, n, "http", &r, &used, NULL), 0, "first of two");
	T_EQ_INT(used, strlen(m) - strlen(strstr(m, "GET")), "stops after the body");
	T_EQ_STR(r.url, "http://h/1", "first url");
	T_EQ_INT(r.after, RAWHTTP_MORE, "another request may follow");
	T_EQ_INT(rawhttp_parse(m + used, n - used, "http", &r, &used, NULL), 0,
		 "second of two");
	T_EQ_STR(r.url, "http://h/2", "second url");
	rawhttp_req_release(&r);
}

struct bad {
	const char *name, *msg, *reason;
	long at; /* expected byte offset; -1: the message length */
};

static void check_bad(const struct bad *cases, size_t ncases)
{
	for (size_t c = 0; c < ncases; c++) {
		const struct bad *k = &cases[c];
		size_t n = strlen(k->msg);
		struct rawhttp_req r;
		struct rd_err err = { 0 };
		char want[64];
		size_t used = 0;

		if (strstr(k->name, "NUL"))
			n = 35; /* the literal holds a NUL */
		rawhttp_req_init(&r);
		T_EQ_INT(rawhttp_parse(k->msg, n, "http", &r, &used, &err),
			 RD_E_INVAL, k->name);
		snprintf(want, sizeof(want), "byte %ld: ", k->at < 0 ? (long)n : k->at);
		if (!T_OK(strncmp(err.msg, want, strlen(want)) == 0, "offset named"))
			printf("#   got '%s', want prefix '%s'\n", err.msg, want);
		if (!T_OK(strstr(err.msg, k->reason) != NULL, "reason named"))
			printf("#   got '%s'\n", err.msg);
		T_OK(r.method == NULL && r.nhdrs == 0 && r.body == NULL,
		     "nothing half-parsed is left");
		rawhttp_req_release(&r);
	}
}

#define TE_HEAD "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"

static void test_bad(void)
{
	static const struct bad cases[] = {
		{ "method with a bad byte", "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n",
		  "method is not a token", 2 },
		{ "unknown version", "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
		  "unsupported version", 6 },
		{ "origin-form without Host", "GET /x HTTP/1.1\r\nA: b\r\n\r\n",
		  "missing Host header", 4 },
		{ "absolute-form without Host in HTTP/1.1",
		  "GET http://h/x HTTP/1.1\r\n\r\n", "HTTP/1.1 requires one", 4 },
		{ "two Host headers", "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		  "more than one Host", 26 },
		{ "two Host headers with absolute-form",
		  "GET http://a/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		  "more than one Host", 33 },
		{ "Host that is not host[:port]",
		  "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", "is not a host[:port]", 16 },
		{ "authority-form", "CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
		  "unsupported request target", 8 },
		{ "asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
		  "unsupported request target", 8 },
		{ "fragment in the target", "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n",
		  "fragment", 6 },
		{ "obsolete folding", "GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n c\r\n\r\n",
		  "obsolete line folding", 31 },
		{ "header name with a space", "GET / HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n",
		  "header name is not a token", 28 },
		{ "space before the colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
		  "header name is not a token", 20 },
		{ "NUL in a value", "GET / HTTP/1.1\r\nHost: h\r\nA: b\0c\r\n\r\n",
		  "NUL in a header value", 29 },
		{ "DEL in a value", "GET / HTTP/1.1\r\nHost: h\r\nA: b\177c\r\n\r\n",
		  "control byte 0x7f in a header value", 29 },
		{ "bare CR", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",
		  "bare CR", 23 },
		{ "Content-Length and Transfer-Encoding",
		  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		  "both Content-Length and Transfer-Encoding", 45 },
		{ "conflicting Content-Lengths",
		  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		  "conflicting Content-Length", 45 },
		{ "two equal Content-Lengths",
		  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
		  "more than one Content-Length", 45 },
		{ "non-numeric Content-Length",
		  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\nab",
		  "is not a byte count", 26 },
		{ "Content-Length overflow",
		  "PUT /url HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000000000000000000\r\n\r\n",
		  "is too large", 28 },
		{ "short body", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc",
		  "body shorter than Content-Length (3 of 10 bytes)", -1 },
		{ "incomplete head", "GET / HTTP/1.1\r\nHost: h\r\n",
		  "incomplete header section", -1 },
		{ "bad chunk size", TE_HEAD "zz\r\n", "bad chunk size", 56 },
		{ "chunk without CRLF", TE_HEAD "2\r\nabc\r\n0\r\n\r\n",
		  "chunk data not followed by CRLF", 61 },
		{ "TE not ending in chunked",
		  "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
		  "does not end in chunked", 26 },
		{ "a coding before chunked",
		  "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
		  "0\r\n\r\n", "transfer coding 'gzip' is not supported", 26 },
		{ "chunked twice",
		  "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "more than once", 54 },
		{ "Transfer-Encoding in HTTP/1.0",
		  "POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		  "Transfer-Encoding in an HTTP/1.0 request", 26 },
	};

	check_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

/*
 * The cases of the issue that made line endings and chunk lines strict:
 * each was accepted, and the first stored a second request, hidden in
 * the first one's body, for a replay to send.
 */
static void test_issue(void)
{
	static const struct bad cases[] = {
		{ "bare LF hides a request in the body",
		  "GET / HTTP/1.1\r\nHost: localhost\r\nDummy: x\nContent-Length: 23\r\n\r\n"
		  "GET / HTTP/1.1\r\nDummy: GET /admin HTTP/1.1\r\nHost: localhost\r\n\r\n",
		  "bare LF", 41 },
		{ "bare LF switches on chunked framing",
		  "POST / HTTP/1.1\r\nHost: localhost:5000\r\nx:x\nTransfer-Encoding: chunked\r\n"
		  "\r\n1\r\nA\r\n0\r\n\r\n", "bare LF", 42 },
		{ "chunk size followed by garbage", TE_HEAD "2 erfrferferf\r\naa\r\n0\r\n\r\n",
		  "bad chunk size", 58 },
		{ "last chunk followed by garbage", TE_HEAD "2\r\naa\r\n0 rrrr\r\n\r\n",
		  "bad chunk size", 65 },
		{ "';' without an extension", TE_HEAD "2;\r\naa\r\n0\r\n\r\n",
		  "chunk extension without a name", 58 },
		{ "unterminated quoted extension",
		  TE_HEAD "5;a=\"abc\";b=\"def; ghi\r\nhello\r\n0\r\n\r\n",
		  "unterminated quoted string", 77 },
		{ "space after the chunk size", TE_HEAD "a \r\n0123456789\r\n0\r\n\r\n",
		  "whitespace at the end of a chunk line", 57 },
	};

	check_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Pipelined input is read as one connection: rawhttp_next. */
static int stream_count(const char *in, size_t n, const char *scheme,
			size_t *start, struct rd_err *err, int *got)
{
	struct rawhttp_stream s;
	struct rawhttp_req r;
	size_t len;
	int msgs = 0;

	rawhttp_req_init(&r);
	rawhttp_stream_init(&s, in, n);
	while ((*got = rawhttp_next(&s, scheme, &r, start, &len, err)) > 0)
		msgs++;
	rawhttp_req_release(&r);
	return msgs;
}

static void test_stream(void)
{
	const char *m = "GET / HTTP/1.1\r\nHost: h\r\n\r\n\r\n";
	const char *bad = "GET / HTTP/1.1\r\nHost: h\r\n\r\n\r\nGET / HTTP/1.1\nHost: h\r\n\r\n";
	struct rd_err err = { 0 };
	size_t start = 0;
	int got;

	/* The issue's last case: an empty line after the last message was
	 * read as an incomplete second one. */
	T_EQ_INT(stream_count(m, strlen(m), "http", &start, &err, &got), 1,
		 "an empty line after the last message is not a message");
	T_EQ_INT(got, 0, "and the end is clean");
	T_EQ_INT(stream_count("", 0, "http", &start, &err, &got), 0, "empty input");
	T_EQ_INT(got, 0, "is the end");
	T_EQ_INT(stream_count("\r\n\n \t\r", 6, "http", &start, &err, &got), 0,
		 "blank input");
	T_EQ_INT(got, 0, "is the end too");
	T_EQ_INT(stream_count(bad, strlen(bad), "http", &start, &err, &got), 1,
		 "the first of two is read");
	T_EQ_INT(got, RD_E_INVAL, "the second is refused");
	T_EQ_INT(start, 29, "where the second starts");
	T_OK(strstr(err.msg, "byte 22: CRLF, but the request line ends in LF") != NULL,
	     "offset from its start");
}


static void test_limits(void)
{
	struct rawhttp_req r;
	struct rd_err err = { 0 };
	char *m = malloc(80000);
	size_t n, used;

	rawhttp_req_init(&r);
	n = (size_t)snprintf(m, 80000, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (int i = 0; i < 201; i++)
		n += (size_t)snprintf(m + n, 80000 - n, "X-%d: v\r\n", i);
	n += (size_t)snprintf(m + n, 80000 - n, "\r\n");
	T_EQ_INT(rawhttp_parse(m, n, "http", &r, &used, &err), RD_E_INVAL,
		 "201 headers refused");
	T_OK(strstr(err.msg, "more than 200 headers") != NULL, "header count named");

	n = (size_t)snprintf(m, 80000, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
	memset(m + n, 'a', 70000);
	n += 70000;
	n += (size_t)snprintf(m + n, 80000 - n, "\r\n\r\n");
	T_EQ_INT(rawhttp_parse(m, n, "http", &r, &used, &err), RD_E_INVAL,
		 "a 70 KB head is refused");
	T_OK(strstr(err.msg, "byte 65536: header section larger than 65536 bytes") != NULL,
	     "head limit named with its offset");

	/* Trailers are dropped, but bounded like headers. */
	n = (size_t)snprintf(m, 80000, "POST / HTTP/1.1\r\nHost: h\r\n"
			     "Transfer-Encoding: chunked\r\n\r\n0\r\n");
	for (int i = 0; i < 201; i++)
		n += (size_t)snprintf(m + n, 80000 - n, "T-%d: v\r\n", i);
	n += (size_t)snprintf(m + n, 80000 - n, "\r\n");
	T_EQ_INT(rawhttp_parse(m, n, "http", &r, &used, &err), RD_E_INVAL,
		 "201 trailer fields refused");
	T_OK(strstr(err.msg, "more than 200 trailer fields") != NULL,
	     "trailer count named");

	n = (size_t)snprintf(m, 80000, "POST / HTTP/1.1\r\nHost: h\r\n"
			     "Transfer-Encoding: chunked\r\n\r\n0\r\nT: ");
	memset(m + n, 'a', 70000);
	n += 70000;
	n += (size_t)snprintf(m + n, 80000 - n, "\r\n\r\n");
	T_EQ_INT(rawhttp_parse(m, n, "http", &r, &used, &err), RD_E_INVAL,
		 "a 70 KB trailer section is refused");
	T_OK(strstr(err.msg, "trailer section larger than 65536 bytes") != NULL,
	     "trailer limit named");
	free(m);
	rawhttp_req_release(&r);
}

/* Every proper prefix of a valid message is an error, never a crash. */
static void test_truncation(void)
{
	static const char *const msgs[] = {
		"POST /t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		"\r\n3;a=\"b\"\r\nabc\r\n0\r\nT: 1\r\n\r\n",
		"POST /t HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n"
		"\n3 ; a=b\nabc\n0\nT: 1\n\n",
		"PUT /t HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
	};
	struct rawhttp_req r;

	rawhttp_req_init(&r);
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		const char *m = msgs[i];
		size_t n = strlen(m), ok = 0;

		for (size_t k = 0; k < n; k++) {
			char *copy = malloc(k + 1);
			size_t used;

			memcpy(copy, m, k);
			if (rawhttp_parse(copy, k, "http", &r, &used, NULL) == 0)
				ok++;
			free(copy);
		}
		T_EQ_INT(ok, 0, "no truncation of a message parses");
		T_EQ_INT(rawhttp_parse(m, n, "http", &r, &ok, NULL), 0,
			 "the whole one does");
	}
	rawhttp_req_release(&r);
}

int main(void)
{
	test_good();
	test_pipelined();
	test_bad();
	test_issue();
	test_stream();
	test_limits();
	test_truncation();
	return t_done();
}
