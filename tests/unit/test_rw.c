/* Unit tests for lib/rw: how a stored request becomes the request sent.
 * One table: the rules (--target, -H, --drop-header, the idempotency
 * header, --allow-host), the record (URL, headers in order, key), and
 * what must come out (may it be sent, the URL, the headers in order, the
 * host it was judged by). */
#include <stdlib.h>
#include <string.h>

#include "rw.h"
#include "t.h"

#define ID "01M85VJBNF44P3WQHKRWB1NNWP"

struct row {
	const char *name;
	/* rules */
	const char *target;
	const char *set;          /* "Name: value" or NULL */
	const char *drop;         /* a header name or NULL */
	const char *idem;         /* the idempotency header or NULL */
	const char *allow[3];     /* NULL-terminated; allow[0] NULL: no list */
	/* the record */
	const char *url;
	const char *hdrs[6];      /* "Name: value", NULL-terminated */
	const char *key;          /* "" : none, the id is the key */
	/* what comes out */
	int ret;
	const char *want_url;     /* NULL: not checked (refused) */
	const char *want_hdrs;    /* "A: 1|B: 2", NULL: not checked */
	const char *want_host;    /* NULL: not checked */
};

static const struct row rows[] = {
	{ "as captured: URL, headers in order, duplicates kept",
	  NULL, NULL, NULL, NULL, { NULL },
	  "http://a.example/x?q=1", { "Content-Type: application/json", "X-A: 1", "x-a: 2" }, "",
	  1, "http://a.example/x?q=1", "Content-Type: application/json|X-A: 1|x-a: 2", NULL },
	{ "a captured key header of any case goes as captured: the service saw it first",
	  NULL, NULL, NULL, "Idempotency-Key", { NULL },
	  "http://a.example/x", { "idempotency-key: first", "A: b" }, "",
	  1, NULL, "idempotency-key: first|A: b", NULL },
	{ "and beside a record key of its own (rd-proxy's under another name)",
	  NULL, NULL, NULL, "Idempotency-Key", { NULL },
	  "http://a.example/x", { "Idempotency-Key: ik-B", "X-Idem: k-1" }, "k-1",
	  1, NULL, "Idempotency-Key: ik-B|X-Idem: k-1", NULL },
	{ "an empty captured key header gives way to the record's key",
	  NULL, NULL, NULL, "Idempotency-Key", { NULL },
	  "http://a.example/x", { "Idempotency-Key: ", "A: b" }, "",
	  1, NULL, "A: b|Idempotency-Key: " ID, NULL },
	{ "-H with the key header's name replaces a captured one",
	  NULL, "Idempotency-Key: new", NULL, "Idempotency-Key", { NULL },
	  "http://a.example/x", { "idempotency-key: first", "A: b" }, "",
	  1, NULL, "A: b|Idempotency-Key: new", NULL },
	{ "the record's own key when it has one",
	  NULL, NULL, NULL, "Idempotency-Key", { NULL },
	  "http://a.example/x", { "A: b" }, "charge-7",
	  1, NULL, "A: b|Idempotency-Key: charge-7", NULL },
	{ "-H replaces every captured header of that name, any case",
	  NULL, "Authorization: Bearer new", NULL, NULL, { NULL },
	  "http://a.example/x", { "authorization: old", "X: 1", "AUTHORIZATION: old2" }, "",
	  1, NULL, "X: 1|Authorization: Bearer new", NULL },
	{ "--drop-header drops every header of that name, any case",
	  NULL, NULL, "Cookie", NULL, { NULL },
	  "http://a.example/x", { "cookie: a", "X: 1", "Cookie: b" }, "",
	  1, NULL, "X: 1", NULL },
	{ "--target to the same host: path prefixed, query kept, Host dropped",
	  "http://a.example:8080/base", NULL, NULL, NULL, { NULL },
	  "http://a.example/x/y?z=1", { "Host: a.example", "X: 1" }, "",
	  1, "http://a.example:8080/base/x/y?z=1", "X: 1", "a.example" },
	{ "--target to another host is refused without --allow-host",
	  "http://b.example", NULL, NULL, NULL, { NULL },
	  "http://a.example/x", { NULL }, "",
	  0, NULL, NULL, "b.example" },
	{ "--target to another host that --allow-host names",
	  "https://b.example", NULL, NULL, NULL, { "b.example", NULL },
	  "http://a.example/x", { NULL }, "",
	  1, "https://b.example/x", "", "b.example" },
	{ "--allow-host is case-insensitive",
	  NULL, NULL, NULL, NULL, { "API.Example.com", NULL },
	  "http://api.example.COM/x", { NULL }, "",
	  1, NULL, NULL, NULL },
	{ "*.example.com matches a subdomain",
	  NULL, NULL, NULL, NULL, { "*.example.com", NULL },
	  "http://a.b.example.com/x", { NULL }, "",
	  1, NULL, NULL, NULL },
	{ "*.example.com does not match example.com itself",
	  NULL, NULL, NULL, NULL, { "*.example.com", NULL },
	  "http://example.com/x", { NULL }, "",
	  0, NULL, NULL, "example.com" },
	{ "*.example.com does not match badexample.com",
	  NULL, NULL, NULL, NULL, { "*.example.com", NULL },
	  "http://badexample.com/x", { NULL }, "",
	  0, NULL, NULL, "badexample.com" },
	{ "with a list, the record's own host must be on it",
	  NULL, NULL, NULL, NULL, { "a.example", NULL },
	  "http://b.example/x", { NULL }, "",
	  0, NULL, NULL, "b.example" },
	{ "userinfo is not the host",
	  NULL, NULL, NULL, NULL, { "a.example", NULL },
	  "http://a.example:pw@evil.example/x", { NULL }, "",
	  0, NULL, NULL, "evil.example" },
	{ "a trailing dot is another name: refused, not guessed",
	  NULL, NULL, NULL, NULL, { "a.example", NULL },
	  "http://a.example./x", { NULL }, "",
	  0, NULL, NULL, NULL },
	{ "an IPv6 literal is judged without its brackets",
	  NULL, NULL, NULL, NULL, { "::1", NULL },
	  "http://[::1]:8080/x", { NULL }, "",
	  1, NULL, NULL, "::1" },
	{ "a --target that is no URL is an error",
	  "not a url", NULL, NULL, NULL, { NULL },
	  "http://a.example/x", { NULL }, "",
	  RD_E_INVAL, NULL, NULL, NULL },
};

static void hdrs_of(const char *const *in, struct hdr *out, size_t *n)
{
	for (*n = 0; in[*n]; (*n)++) {
		const char *c = strchr(in[*n], ':');

		out[*n].name = in[*n];
		out[*n].name_len = (size_t)(c - in[*n]);
		out[*n].value = c + 2;
		out[*n].value_len = strlen(c + 2);
	}
}

static void joined(const struct http_req *r, struct buf *b)
{
	for (size_t i = 0; i < r->nhdrs; i++) {
		if (i)
			buf_addc(b, '|');
		buf_add(b, r->hdrs[i].name, r->hdrs[i].name_len);
		buf_adds(b, ": ");
		buf_add(b, r->hdrs[i].value, r->hdrs[i].value_len);
	}
	buf_addc(b, '\0');
	b->len--;
}

static void run(const struct row *t)
{
	struct rw_rules rules;
	struct rw w;
	struct rec_req q;
	struct hdr hdrs[6];
	struct hdr set;
	struct http_req out;
	struct rd_err err;
	struct buf b;
	const char *drop[1] = { t->drop };
	int ret;

	memset(&rules, 0, sizeof(rules));
	rules.target = t->target;
	if (t->set) {
		const char *c = strchr(t->set, ':');

		set.name = t->set;
		set.name_len = (size_t)(c - t->set);
		set.value = c + 2;
		set.value_len = strlen(c + 2);
		rules.set_hdrs = &set;
		rules.nset = 1;
	}
	if (t->drop) {
		rules.drop_hdrs = drop;
		rules.ndrop = 1;
	}
	rules.idem_header = t->idem;
	if (t->allow[0]) {
		rules.allow_hosts = t->allow;
		while (t->allow[rules.nallow])
			rules.nallow++;
	}
	memset(&q, 0, sizeof(q));
	memcpy(q.id, ID, sizeof(q.id));
	q.method.p = "POST";
	q.method.n = 4;
	q.url.p = t->url;
	q.url.n = strlen(t->url);
	hdrs_of(t->hdrs, hdrs, &q.nhdrs);
	q.hdrs = hdrs;
	q.body.p = "{\"n\":1}";
	q.body.n = 7;
	q.idem_key.p = t->key;
	q.idem_key.n = strlen(t->key);
	rw_init(&w, &rules);
	buf_init(&b);
	ret = rw_build(&w, &q, &out, &err);
	T_EQ_INT(ret, t->ret, t->name);
	if (ret == 1) {
		T_OK(out.method == q.method.p && out.body == q.body.p &&
		     out.body_len == 7, "method and body are never rewritten");
		if (t->want_url)
			T_EQ_STR(out.url, t->want_url, t->name);
		if (t->want_hdrs) {
			joined(&out, &b);
			T_EQ_STR(b.data ? b.data : "", t->want_hdrs, t->name);
		}
	}
	if (t->want_host)
		T_EQ_STR(w.host, t->want_host, t->name);
	buf_release(&b);
	rw_release(&w);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run(&rows[i]);
	return t_done();
}
