/*
 * test_rawhttp_llhttp.c - the request cases llhttp publishes with its
 * parser (the files of its test/request directory), read by the raw
 * HTTP/1.1 parser, with the outcome each has here.
 */
#include "rawhttp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llhttp_requests.h"
#include "t.h"

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

static void run_ll(const char *table, const struct ll *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct rd_err err = { 0 };
		size_t start = 0;
		char name[200];
		long at = -1;
		int got, msgs, ok;

		snprintf(name, sizeof(name), "%s: %s", table, c[i].name);
		msgs = stream_count(c[i].in, strlen(c[i].in), NULL, &start, &err, &got);
		if (got < 0 && strncmp(err.msg, "byte ", 5) == 0)
			at = (long)start + strtol(err.msg + 5, NULL, 10);
		ok = msgs == c[i].msgs && (c[i].why ?
			got == RD_E_INVAL && strstr(err.msg, c[i].why) && at == c[i].at :
			got == 0);
		if (!T_OK(ok, name))
			printf("#   got %d message(s), %s at %ld: '%s'\n", msgs,
			       got < 0 ? "refused" : "accepted", at,
			       got < 0 ? err.msg : "");
	}
}

#define RUN_LL(t) run_ll(#t, t, sizeof(t) / sizeof(t[0]))

static void test_llhttp(void)
{
	RUN_LL(ll_invalid);
	RUN_LL(ll_sample);
	RUN_LL(ll_method);
	RUN_LL(ll_uri);
	RUN_LL(ll_connection);
	RUN_LL(ll_content_length);
	RUN_LL(ll_transfer_encoding);
	RUN_LL(ll_pipelining);
	RUN_LL(ll_finish);
	RUN_LL(ll_lenient_headers);
	RUN_LL(ll_lenient_header_value_relaxed);
	RUN_LL(ll_lenient_version);
	RUN_LL(ll_pausing);
	RUN_LL(own);
}

int main(void)
{
	test_llhttp();
	return t_done();
}
