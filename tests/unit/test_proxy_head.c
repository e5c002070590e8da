/*
 * test_proxy_head.c - rd-proxy's judgement of a request head
 * (proxy_guard): what it refuses, with which status, and the field it
 * names.
 */
#include "proxy_head.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "hdr.h"
#include "rec.h"
#include "t.h"

static struct hdr field(const char *name, const char *value)
{
	return (struct hdr){ name, strlen(name), value, strlen(value) };
}

/* A guard as the stack may leave it: every field garbage. */
static void dirty(struct proxy_guard *g)
{
	memset(g, 0x55, sizeof(*g));
}

static void test_too_many(void)
{
	static struct hdr h[REC_MAX_HEADERS + 1];
	struct proxy_guard g;

	for (size_t i = 0; i < REC_MAX_HEADERS + 1; i++)
		h[i] = field("X-H", "v");
	dirty(&g);
	T_EQ_INT(proxy_guard(h, REC_MAX_HEADERS, 0, &g), 0, "as many fields as a record keeps pass");
	T_EQ_INT(g.field, -1, "and name no field");
	/* the refusal of the head as a whole names no field: rd-proxy
	 * crashed reading the field at a garbage index */
	dirty(&g);
	T_EQ_INT(proxy_guard(h, REC_MAX_HEADERS + 1, 0, &g), 431, "one more field is 431");
	T_EQ_INT(g.field, -1, "a refusal of the whole head names no field");
	T_OK(g.why && strstr(g.why, "more header fields"), "and says why");
}

static void test_fields(void)
{
	struct {
		struct hdr h[3];
		size_t n;
		int http10, status;
		long field;
	} c[] = {
		{ { field("Host", "a"), field("Content-Length", "5") }, 2, 0, 0, -1 },
		{ { field("Content-Length", "5"), field("Content-Length", "6") }, 2, 0, 400, 1 },
		{ { field("Content-Length", "x") }, 1, 0, 400, 0 },
		{ { field("Transfer-Encoding", "chunked"), field("Content-Length", "5") }, 2, 0, 400, -1 },
		{ { field("Transfer-Encoding", "chunked") }, 1, 1, 400, -1 },
		{ { field("Host", "a"), field("Host", "b") }, 2, 0, 400, -1 },
	};
	char name[64];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct proxy_guard g;

		dirty(&g);
		snprintf(name, sizeof(name), "case %zu: status", i);
		T_EQ_INT(proxy_guard(c[i].h, c[i].n, c[i].http10, &g), c[i].status, name);
		snprintf(name, sizeof(name), "case %zu: field", i);
		T_EQ_INT(g.field, c[i].field, name);
	}
}

static void test_target(void)
{
	static const struct {
		const char *target, *url;   /* url NULL: refused */
	} c[] = {
		{ "/a/b?x=1", "http://u/p/a/b?x=1" },
		{ "/", "http://u/p/" },
		{ "http://elsewhere:9/a?q", "http://u/p/a?q" },
		{ "/a/.well-known/x", "http://u/p/a/.well-known/x" },
		{ "/a/..b/c...", "http://u/p/a/..b/c..." },
		{ "/a?x=/../y", "http://u/p/a?x=/../y" },
		{ "/a//b", "http://u/p/a//b" },
		{ "/../admin", NULL },
		{ "/a/./b", NULL },
		{ "/a/..", NULL },
		{ "/a/%2e%2E/b", NULL },
		{ "/a/.%2e?x", NULL },
		{ "http://h/../x", NULL },
		{ "*", NULL },
		{ "/a b", NULL },
	};
	char name[96];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct buf out;
		struct rd_err err = { 0 };
		int r;

		buf_init(&out);
		r = proxy_target_url("http://u/p", c[i].target, &out, &err);
		snprintf(name, sizeof(name), "target '%s'", c[i].target);
		if (c[i].url)
			T_EQ_STR(r == 0 ? out.data : err.msg, c[i].url, name);
		else
			T_OK(r < 0, name);
		buf_release(&out);
	}
}

int main(void)
{
	test_too_many();
	test_fields();
	test_target();
	return t_done();
}
