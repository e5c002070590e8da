/*
 * redact.c - secrets out of human and JSON output (see redact.h).
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include "redact.h"
#include "rx.h"
#include "url.h"
#include "xalloc.h"
#include "banned.h"

#define MASK "[REDACTED]"

struct redact {
	struct rx **rx;
	size_t n;
	struct hdr *hdrs;
	size_t hcap;
	struct buf url, body, tmp, msg, why;
};

int redact_new(const char *const *patterns, size_t n, struct redact **out,
	       struct rd_err *err)
{
	struct redact *r = xcalloc(1, sizeof(*r));
	int ret;

	r->rx = xcalloc(n ? n : 1, sizeof(*r->rx));
	buf_init(&r->url);
	buf_init(&r->body);
	buf_init(&r->tmp);
	buf_init(&r->msg);
	buf_init(&r->why);
	for (size_t i = 0; i < n; i++) {
		if ((ret = rx_new(patterns[i], &r->rx[i], err)) < 0) {
			redact_free(r);
			*out = NULL;
			return ret;
		}
		r->n++;
	}
	*out = r;
	return 0;
}

void redact_free(struct redact *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		rx_free(r->rx[i]);
	free(r->rx);
	free(r->hdrs);
	buf_release(&r->url);
	buf_release(&r->body);
	buf_release(&r->tmp);
	buf_release(&r->msg);
	buf_release(&r->why);
	free(r);
}

static int has(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return 1;
	return 0;
}

/* A name that says its value is a credential, in a header or a query:
 * these words anywhere in it, or one of the short names exactly. */
static int secret_name(const char *name, size_t n)
{
	static const char *const parts[] = {
		"api-key", "apikey", "api_key", "token", "secret", "passw",
		"signature", "credential", "session", "auth", "jwt",
		"private_key", "private-key", "privatekey", NULL
	};
	static const char *const exact[] = {
		"key", "sig", "pwd", "pass", "code", "access_key", NULL
	};

	for (size_t i = 0; parts[i]; i++)
		if (has(name, n, parts[i]))
			return 1;
	for (size_t i = 0; exact[i]; i++)
		if (strlen(exact[i]) == n && strncasecmp(name, exact[i], n) == 0)
			return 1;
	return 0;
}

static int user_match(const struct redact *r, const char *s, size_t n)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (rx_match(r->rx[i], s, n) == 1)
			return 1;
	return 0;
}

int redact_header_name(const struct redact *r, const char *name, size_t n)
{
	static const char *const exact[] = {
		"proxy-authorization", "cookie", "set-cookie", NULL
	};

	for (size_t i = 0; exact[i]; i++)
		if (strlen(exact[i]) == n && strncasecmp(name, exact[i], n) == 0)
			return 1;
	return secret_name(name, n) || user_match(r, name, n);
}

/* Whether the name of a parameter, as it stands in a URL, is a secret's:
 * judged percent-decoded ("api%5Fkey" is api_key). */
static int secret_param(const struct redact *r, const char *s, size_t n)
{
	struct buf d;
	int hit;

	if (!memchr(s, '%', n))
		return secret_name(s, n) || user_match(r, s, n);
	buf_init(&d);
	url_pct_decode(s, n, &d);
	hit = secret_name(d.data ? d.data : "", d.len) ||
	      user_match(r, d.data ? d.data : "", d.len);
	buf_release(&d);
	return hit;
}

/* The pairs s[0..n) of a query or a fragment (name=value, split at '&'
 * or ';') with the values of secret parameters masked. */
static void redact_query(const struct redact *r, const char *s, size_t n,
			 struct buf *out)
{
	size_t i = 0;

	while (i <= n) {
		size_t end = i;
		const char *eq;

		while (end < n && s[end] != '&' && s[end] != ';')
			end++;
		eq = memchr(s + i, '=', end - i);
		if (eq && secret_param(r, s + i, (size_t)(eq - s) - i)) {
			buf_add(out, s + i, (size_t)(eq - s) + 1 - i);
			buf_adds(out, MASK);
		} else {
			buf_add(out, s + i, end - i);
		}
		if (end == n)
			break;
		buf_addc(out, s[end]);
		i = end + 1;
	}
}

/* A URL that does not parse ("http://u:pw@[::1") still has its secrets
 * masked: what stands between "://" and the last '@' before the path,
 * and the values of secret query parameters. */
static void redact_bad_url(const struct redact *r, const char *u, size_t n,
			   struct buf *out)
{
	const char *sep = n >= 3 ? memmem(u, n, "://", 3) : NULL;
	size_t auth = sep ? (size_t)(sep - u) + 3 : n, end = auth, at = 0;
	const char *q;

	while (end < n && u[end] != '/' && u[end] != '?' && u[end] != '#')
		end++;
	for (size_t i = auth; i < end; i++)
		if (u[i] == '@')
			at = i;
	if (at) {
		buf_add(out, u, auth);
		buf_adds(out, MASK);
		u += at;
		n -= at;
	}
	if ((q = memchr(u, '?', n)) != NULL) {
		buf_add(out, u, (size_t)(q - u) + 1);
		redact_query(r, q + 1, n - (size_t)(q - u) - 1, out);
	} else {
		buf_add(out, u, n);
	}
}

void redact_url(const struct redact *r, const char *u, size_t n,
		struct buf *out)
{
	struct url_parts p;
	size_t at = 0;

	if (url_split(u, n, &p) < 0) {
		redact_bad_url(r, u, n, out);
		return;
	}
	if (p.userinfo.present) {
		/* user:password@, or a token used as the user name */
		buf_add(out, u, p.userinfo.off);
		buf_adds(out, MASK);
		at = p.userinfo.off + p.userinfo.len;
	}
	if (p.query.present) {
		buf_add(out, u + at, p.query.off - at);
		redact_query(r, u + p.query.off, p.query.len, out);
		at = p.query.off + p.query.len;
	}
	/* an OAuth implicit grant puts its access_token in the fragment */
	if (p.fragment.present) {
		buf_add(out, u + at, p.fragment.off - at);
		redact_query(r, u + p.fragment.off, p.fragment.len, out);
		at = p.fragment.off + p.fragment.len;
	}
	buf_add(out, u + at, n - at);
}

const char *redact_url_to(const char *url, char *out, size_t n)
{
	struct buf b;

	buf_init(&b);
	redact_url(NULL, url, strlen(url), &b);
	snprintf(out, n, "%.*s", (int)b.len, b.data ? b.data : "");
	buf_release(&b);
	return out;
}

void redact_text(struct redact *r, const char *s, size_t n, struct buf *out)
{
	struct buf a, b;

	if (!r || r->n == 0) {
		buf_add(out, s, n);
		return;
	}
	buf_init(&a);
	buf_init(&b);
	buf_add(&a, s, n);
	for (size_t i = 0; i < r->n; i++) {
		buf_reset(&b);
		rx_replace(r->rx[i], a.data ? a.data : "", a.len, MASK, &b);
		buf_reset(&a);
		buf_add(&a, b.data ? b.data : "", b.len);
	}
	buf_add(out, a.data ? a.data : "", a.len);
	buf_release(&a);
	buf_release(&b);
}

/* The headers with secret values masked, in r's own copy. */
static const struct hdr *mask_hdrs(struct redact *r, const struct hdr *h,
				   size_t n)
{
	if (r->hcap < n) {
		r->hcap = n;
		r->hdrs = xrealloc(r->hdrs, r->hcap * sizeof(*r->hdrs));
	}
	for (size_t i = 0; i < n; i++) {
		r->hdrs[i] = h[i];
		if (redact_header_name(r, h[i].name, h[i].name_len)) {
			r->hdrs[i].value = MASK;
			r->hdrs[i].value_len = sizeof(MASK) - 1;
		}
	}
	return r->hdrs;
}

/* Where a word of free text ends: at blanks and at the quotes and
 * brackets that set a URL off in a sentence. */
static int word_end(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' ||
	       c == '\'' || c == '<' || c == '>' || c == '`';
}

/* One word: a URL in it ("scheme://...") masked as redact_url does, or
 * the query of a path ("/a?token=...") as a URL's query is. */
static void redact_word(const struct redact *r, const char *s, size_t n,
			struct buf *out)
{
	const char *sep = n >= 3 ? memmem(s, n, "://", 3) : NULL;
	const char *q = memchr(s, '?', n);
	size_t at;

	if (sep) {
		at = (size_t)(sep - s);
		while (at > 0 && (isalnum((unsigned char)s[at - 1]) ||
				  s[at - 1] == '+' || s[at - 1] == '-' ||
				  s[at - 1] == '.'))
			at--;
		buf_add(out, s, at);
		redact_url(r, s + at, n - at, out);
	} else if (q) {
		at = (size_t)(q - s) + 1;
		buf_add(out, s, at);
		redact_query(r, s + at, n - at, out);
	} else {
		buf_add(out, s, n);
	}
}

void redact_msg(struct redact *r, const char *s, size_t n, struct buf *out)
{
	struct buf t;
	size_t i = 0;

	buf_init(&t);
	while (i < n) {
		size_t end = i;

		while (end < n && !word_end(s[end]))
			end++;
		if (end == i) {
			buf_addc(&t, s[i++]);
			continue;
		}
		redact_word(r, s + i, end - i, &t);
		i = end;
	}
	redact_text(r, t.data ? t.data : "", t.len, out);
	buf_release(&t);
}

static struct rec_str str_of(const struct buf *b)
{
	struct rec_str s = { b->data ? b->data : "", b->len };

	return s;
}

void redact_req_to_json(struct redact *r, const struct rec_req *q,
			struct buf *out)
{
	struct rec_req c = *q;

	c.hdrs = mask_hdrs(r, q->hdrs, q->nhdrs);
	buf_reset(&r->url);
	buf_reset(&r->body);
	buf_reset(&r->tmp);
	buf_reset(&r->msg);
	redact_url(r, q->url.p, q->url.n, &r->tmp);
	redact_text(r, r->tmp.data ? r->tmp.data : "", r->tmp.len, &r->url);
	redact_text(r, q->body.p, q->body.n, &r->body);
	redact_msg(r, q->fail_msg.p, q->fail_msg.n, &r->msg);
	c.url = str_of(&r->url);
	c.body = str_of(&r->body);
	c.fail_msg = str_of(&r->msg);
	rec_req_to_json(out, &c);
}

void redact_event_to_json(struct redact *r, const struct rec_event *e,
			  struct buf *out)
{
	struct rec_event c = *e;

	c.resp_hdrs = mask_hdrs(r, e->resp_hdrs, e->nresp_hdrs);
	buf_reset(&r->body);
	buf_reset(&r->msg);
	buf_reset(&r->why);
	redact_text(r, e->resp_body.p, e->resp_body.n, &r->body);
	redact_msg(r, e->error.p, e->error.n, &r->msg);
	redact_msg(r, e->reason.p, e->reason.n, &r->why);
	c.resp_body = str_of(&r->body);
	c.error = str_of(&r->msg);
	c.reason = str_of(&r->why);
	rec_event_to_json(out, &c);
}
