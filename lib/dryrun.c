/*
 * dryrun.c - renderings of a request for --dry-run (see dryrun.h).
 */
#include <string.h>

#include "b64.h"
#include "dryrun.h"
#include "json.h"
#include "url.h"
#include "banned.h"

/* Single-quote s for a POSIX shell. */
static void shq(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			buf_adds(b, "'\\''");
		else
			buf_addc(b, s[i]);
	}
	buf_addc(b, '\'');
}

static int printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			return 0;
	}
	return json_utf8_check(s, n) < 0;
}

/* A header's value as shown: masked when its name is a secret's. */
static void value(struct buf *b, const struct hdr *h,
		  const struct redact *red)
{
	if (red && redact_header_name(red, h->name, h->name_len))
		buf_adds(b, "[REDACTED]");
	else
		buf_add(b, h->value, h->value_len);
}

static void url(struct buf *b, const char *u, const struct redact *red)
{
	if (red)
		redact_url(red, u, strlen(u), b);
	else
		buf_adds(b, u);
}

/* The Authorization libcurl makes of a URL's user:password@, unless q
 * has its own: Basic, of the percent-decoded pair. */
static void basic_auth(struct buf *b, const struct http_req *q,
		       const struct redact *red)
{
	struct url_parts p;
	struct buf pair;

	if (url_split(q->url, strlen(q->url), &p) < 0 || !p.userinfo.present ||
	    hdr_find(q->hdrs, q->nhdrs, 0, "authorization") < q->nhdrs)
		return;
	buf_adds(b, "Authorization: ");
	if (red) {
		buf_adds(b, "[REDACTED]\r\n");
		return;
	}
	buf_init(&pair);
	url_pct_decode(q->url + p.userinfo.off, p.userinfo.len, &pair);
	buf_adds(b, "Basic ");
	b64_encode(b, pair.data ? pair.data : "", pair.len);
	buf_adds(b, "\r\n");
	buf_release(&pair);
}

void dryrun_raw(struct buf *b, const struct http_req *q,
		const struct redact *red)
{
	struct url_parts p;
	size_t n = strlen(q->url), tgt;
	int own_host = 0;
	struct buf t;

	for (size_t i = 0; i < q->nhdrs; i++)
		own_host |= hdr_is(&q->hdrs[i], "host");
	if (url_split(q->url, n, &p) < 0)
		memset(&p, 0, sizeof(p));
	buf_add(b, q->method, q->method_len);
	buf_addc(b, ' ');
	/* the origin-form target: path and query, masked like the URL */
	buf_init(&t);
	url(&t, q->url, red);
	tgt = url_split(t.data, t.len, &p) == 0 ? p.path.off : t.len;
	if (tgt == t.len || t.data[tgt] != '/')
		buf_addc(b, '/');
	buf_add(b, t.data + tgt, t.len - tgt - (p.fragment.present ? p.fragment.len + 1 : 0));
	buf_adds(b, " HTTP/1.1\r\n");
	/* Two Host headers make a 400 at any conforming server. */
	if (!own_host && url_split(q->url, n, &p) == 0) {
		buf_adds(b, "Host: ");
		buf_add(b, q->url + p.host.off - p.ipv6, p.host.len + 2 * p.ipv6);
		if (p.port.present) {
			buf_addc(b, ':');
			buf_add(b, q->url + p.port.off, p.port.len);
		}
		buf_adds(b, "\r\n");
	}
	buf_release(&t);
	/* libcurl writes it right after its Host, before the others */
	basic_auth(b, q, red);
	for (size_t i = 0; i < q->nhdrs; i++) {
		if (http_hop_by_hop(q->hdrs[i].name, q->hdrs[i].name_len))
			continue;
		buf_add(b, q->hdrs[i].name, q->hdrs[i].name_len);
		/* an empty value goes out as "Name:", as libcurl writes it */
		buf_adds(b, q->hdrs[i].value_len ? ": " : ":");
		value(b, &q->hdrs[i], red);
		buf_adds(b, "\r\n");
	}
	/* as the engine frames it: no Content-Length for a GET with no body */
	if (http_req_has_body(q))
		buf_addf(b, "Content-Length: %zu\r\n", q->body_len);
	buf_adds(b, "\r\n");
	buf_add(b, q->body, q->body_len);
	buf_adds(b, "\n");
}

/* 1 when q carries a header named name. */
static int has(const struct http_req *q, const char *name)
{
	return hdr_find(q->hdrs, q->nhdrs, 0, name) < q->nhdrs;
}

void dryrun_curl(struct buf *b, const struct http_req *q,
		 const struct redact *red)
{
	struct buf h;
	int bin;

	buf_init(&h);
	/* A body that is not text goes through a pipe: printf writes
	 * every byte (a NUL and trailing newlines too, which a command
	 * substitution would drop) and curl reads it from stdin. */
	bin = q->body_len && !printable(q->body, q->body_len);
	if (bin) {
		buf_adds(b, "printf '");
		for (size_t i = 0; i < q->body_len; i++)
			buf_addf(b, "\\%03o", (unsigned char)q->body[i]);
		buf_adds(b, "' | ");
	}
	buf_adds(b, "curl -sS -X ");
	shq(b, q->method, q->method_len);
	/* What curl adds by itself, the engine does not send: drop it, so
	 * the command sends the very bytes a replay sends. */
	if (!has(q, "User-Agent"))
		buf_adds(b, " -H 'User-Agent:'");
	if (!has(q, "Accept"))
		buf_adds(b, " -H 'Accept:'");
	if (q->body_len && !has(q, "Content-Type"))
		buf_adds(b, " -H 'Content-Type:'");
	if (q->body_len && !has(q, "Expect"))
		buf_adds(b, " -H 'Expect:'");
	for (size_t i = 0; i < q->nhdrs; i++) {
		if (http_hop_by_hop(q->hdrs[i].name, q->hdrs[i].name_len))
			continue;
		buf_reset(&h);
		buf_add(&h, q->hdrs[i].name, q->hdrs[i].name_len);
		/* curl's way to send a header with an empty value */
		if (q->hdrs[i].value_len == 0) {
			buf_addc(&h, ';');
		} else {
			buf_adds(&h, ": ");
			value(&h, &q->hdrs[i], red);
		}
		buf_adds(b, " -H ");
		shq(b, h.data, h.len);
	}
	if (bin) {
		buf_adds(b, " --data-binary @-");
	} else if (q->body_len) {
		/* curl reads "@NAME" given to --data-binary as a file: such
		 * a body goes as --data-raw, which takes it as it is. */
		buf_adds(b, q->body[0] == '@' ? " --data-raw " : " --data-binary ");
		shq(b, q->body, q->body_len);
	}
	buf_addc(b, ' ');
	buf_reset(&h);
	url(&h, q->url, red);
	shq(b, h.data, h.len);
	buf_addc(b, '\n');
	buf_release(&h);
}
