/*
 * rawhttp.c - a strict parser of one HTTP/1.1 request message (RFC 9112).
 *
 * Everything is bounds-checked against n: the parser never reads past the
 * bytes it was given, and an incomplete message is an error, not a wait.
 * Offsets in errors count from the first byte given, so the caller can
 * add its own base.
 */
#include "rawhttp.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "xalloc.h"
#include "banned.h"

struct line {
	size_t start, end; /* [start, end) without the line ending */
	size_t next;       /* first byte after the line ending */
};

static int fail(struct rd_err *err, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct rd_err *err, size_t at, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return rd_err_set(err, RD_E_INVAL, "byte %zu: %s", at, why);
}

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/*
 * The line at pos, ending before limit.  Returns 1 with *l set, 0 when no
 * LF occurs before limit, or RD_E_INVAL for a bare CR.
 */
static int get_line(const char *p, size_t pos, size_t limit, struct line *l,
		    struct rd_err *err)
{
	const char *lf = memchr(p + pos, '\n', limit - pos);
	const char *cr;
	size_t end;

	if (!lf)
		return 0;
	end = (size_t)(lf - p);
	l->next = end + 1;
	if (end > pos && p[end - 1] == '\r')
		end--;
	cr = memchr(p + pos, '\r', end - pos);
	if (cr)
		return fail(err, (size_t)(cr - p), "bare CR in a line");
	l->start = pos;
	l->end = end;
	return 1;
}

void rawhttp_req_init(struct rawhttp_req *r)
{
	memset(r, 0, sizeof(*r));
}

void rawhttp_req_release(struct rawhttp_req *r)
{
	free(r->method);
	free(r->url);
	for (size_t i = 0; i < r->nhdrs; i++) {
		free(r->hdrs[i].name);
		free(r->hdrs[i].value);
	}
	free(r->hdrs);
	free(r->body);
	rawhttp_req_init(r);
}

static void add_hdr(struct rawhttp_req *r, const char *name, size_t nlen,
		    const char *value, size_t vlen)
{
	struct rawhttp_hdr *h;

	r->hdrs = xrealloc(r->hdrs, (r->nhdrs + 1) * sizeof(*r->hdrs));
	h = &r->hdrs[r->nhdrs++];
	h->name = xmemdup(name, nlen);
	h->value = xmemdup(value, vlen);
	h->value_len = vlen;
}

/* METHOD SP target SP HTTP/1.x; the target is left in *t, *tlen. */
static int request_line(const char *p, const struct line *l,
			struct rawhttp_req *r, size_t *t, size_t *tlen,
			struct rd_err *err)
{
	size_t i = l->start;

	while (i < l->end && is_tchar((unsigned char)p[i]))
		i++;
	if (i == l->start || i == l->end || p[i] != ' ')
		return fail(err, i, "method is not a token");
	r->method = xmemdup(p + l->start, i - l->start);
	*t = ++i;
	while (i < l->end && p[i] != ' ') {
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			return fail(err, i, "invalid byte in the request target");
		i++;
	}
	*tlen = i - *t;
	if (*tlen == 0 || i == l->end)
		return fail(err, i, "request line is not 'METHOD TARGET HTTP/1.1'");
	i++;
	if (l->end - i != 8 || (memcmp(p + i, "HTTP/1.1", 8) != 0 &&
				memcmp(p + i, "HTTP/1.0", 8) != 0))
		return fail(err, i, "unsupported version (want HTTP/1.1 or HTTP/1.0)");
	return 0;
}

/* One "name: value" line. */
static int header_line(const char *p, const struct line *l,
		       struct rawhttp_req *r, struct rd_err *err)
{
	size_t i = l->start, vs, ve;

	if (p[i] == ' ' || p[i] == '\t')
		return fail(err, i, "obsolete line folding is not accepted");
	while (i < l->end && p[i] != ':') {
		if (!is_tchar((unsigned char)p[i]))
			return fail(err, i, "header name is not a token");
		i++;
	}
	if (i == l->start || i == l->end)
		return fail(err, i, "header name is not a token");
	vs = i + 1;
	ve = l->end;
	while (vs < ve && (p[vs] == ' ' || p[vs] == '\t'))
		vs++;
	while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'))
		ve--;
	if (memchr(p + vs, '\0', ve - vs))
		return fail(err, (size_t)((const char *)memchr(p + vs, '\0', ve - vs) - p),
			    "NUL in a header value");
	if (r->nhdrs >= RAWHTTP_MAX_HEADERS)
		return fail(err, l->start, "more than %d headers",
			    RAWHTTP_MAX_HEADERS);
	add_hdr(r, p + l->start, i - l->start, p + vs, ve - vs);
	return 0;
}

/* Decode a chunked body at pos.  *end receives the first byte after it. */
static int dechunk(const char *p, size_t n, size_t pos, struct buf *body,
		   size_t *end, struct rd_err *err)
{
	struct line l;
	int ret;

	for (;;) {
		uint64_t size = 0;
		size_t i;

		if ((ret = get_line(p, pos, n, &l, err)) < 0)
			return ret;
		if (ret == 0)
			return fail(err, n, "body ends inside chunked data");
		for (i = l.start; i < l.end; i++) {
			unsigned char c = (unsigned char)p[i];
			unsigned v = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
				     c >= 'a' && c <= 'f' ? c - 'a' + 10u :
				     c >= 'A' && c <= 'F' ? c - 'A' + 10u : 16u;

			if (v == 16)
				break;
			if (size > (UINT64_MAX >> 8))
				return fail(err, i, "chunk size too large");
			size = size * 16 + v;
		}
		if (i == l.start || (i < l.end && p[i] != ';' && p[i] != ' ' &&
				     p[i] != '\t'))
			return fail(err, i, "bad chunk size");
		pos = l.next;
		if (size == 0)
			break;
		if (size > n - pos)
			return fail(err, n, "body ends inside a %llu-byte chunk",
				    (unsigned long long)size);
		buf_add(body, p + pos, (size_t)size);
		pos += (size_t)size;
		if (pos < n && p[pos] == '\n')
			pos++;
		else if (n - pos >= 2 && p[pos] == '\r' && p[pos + 1] == '\n')
			pos += 2;
		else
			return fail(err, pos, "chunk data not followed by CRLF");
	}
	/* Trailer fields, up to the empty line; they are not kept. */
	for (;;) {
		if ((ret = get_line(p, pos, n, &l, err)) < 0)
			return ret;
		if (ret == 0)
			return fail(err, n, "body ends inside the chunked trailer");
		pos = l.next;
		if (l.start == l.end)
			break;
	}
	*end = pos;
	return 0;
}

/* Index of the first header named name at or after from, or nhdrs. */
static size_t find_hdr(const struct rawhttp_req *r, const char *name,
		       size_t from)
{
	for (size_t i = from; i < r->nhdrs; i++)
		if (strcasecmp(r->hdrs[i].name, name) == 0)
			return i;
	return r->nhdrs;
}

static int final_coding_is_chunked(const char *v)
{
	const char *c = strrchr(v, ',');
	size_t n;

	c = c ? c + 1 : v;
	while (*c == ' ' || *c == '\t')
		c++;
	n = strlen(c);
	while (n && (c[n - 1] == ' ' || c[n - 1] == '\t'))
		n--;
	return n == 7 && strncasecmp(c, "chunked", 7) == 0;
}

/* The body after the head at pos, by Content-Length or chunked. */
static int body(const char *p, size_t n, size_t pos, size_t head_start,
		struct rawhttp_req *r, size_t *used, struct rd_err *err)
{
	size_t te = find_hdr(r, "Transfer-Encoding", 0);
	size_t cl = find_hdr(r, "Content-Length", 0);
	uint64_t len = 0;

	if (te < r->nhdrs && cl < r->nhdrs)
		return fail(err, head_start, "both Content-Length and Transfer-Encoding");
	if (te < r->nhdrs) {
		struct buf b;
		char num[32];
		size_t j, k;
		int ret;

		for (j = te; j < r->nhdrs; j = find_hdr(r, "Transfer-Encoding", j + 1))
			te = j;
		if (!final_coding_is_chunked(r->hdrs[te].value))
			return fail(err, head_start,
				    "Transfer-Encoding '%s' does not end in chunked",
				    r->hdrs[te].value);
		buf_init(&b);
		if ((ret = dechunk(p, n, pos, &b, used, err)) < 0) {
			buf_release(&b);
			return ret;
		}
		/* What is stored is what will be sent: a plain body. */
		for (j = k = 0; j < r->nhdrs; j++) {
			if (strcasecmp(r->hdrs[j].name, "Transfer-Encoding") == 0) {
				free(r->hdrs[j].name);
				free(r->hdrs[j].value);
				continue;
			}
			r->hdrs[k++] = r->hdrs[j];
		}
		r->nhdrs = k;
		snprintf(num, sizeof(num), "%zu", b.len);
		add_hdr(r, "Content-Length", 14, num, strlen(num));
		r->body_len = b.len;
		r->body = b.len ? buf_detach(&b, NULL) : NULL;
		buf_release(&b);
		return 0;
	}
	for (size_t j = cl; j < r->nhdrs; j = find_hdr(r, "Content-Length", j + 1)) {
		const char *v = r->hdrs[j].value;
		uint64_t x = 0;

		if (!*v)
			return fail(err, head_start, "empty Content-Length");
		for (; *v; v++) {
			if (*v < '0' || *v > '9' || x > (UINT64_MAX - 9) / 10)
				return fail(err, head_start,
					    "Content-Length '%s' is not a byte count",
					    r->hdrs[j].value);
			x = x * 10 + (uint64_t)(*v - '0');
		}
		if (j != cl && x != len)
			return fail(err, head_start, "conflicting Content-Length headers");
		len = x;
	}
	if (len > n - pos)
		return fail(err, n, "body shorter than Content-Length (%zu of %llu bytes)",
			    n - pos, (unsigned long long)len);
	if (len) {
		r->body = xmemdup(p + pos, (size_t)len);
		r->body_len = (size_t)len;
	}
	*used = pos + (size_t)len;
	return 0;
}

/* scheme://host + target for origin-form, the target for absolute-form. */
static int make_url(const char *p, size_t t, size_t tlen, const char *scheme,
		    struct rawhttp_req *r, struct rd_err *err)
{
	size_t h = find_hdr(r, "Host", 0);
	struct buf u;

	if ((tlen > 7 && strncasecmp(p + t, "http://", 7) == 0) ||
	    (tlen > 8 && strncasecmp(p + t, "https://", 8) == 0)) {
		r->url = xmemdup(p + t, tlen);
		return 0;
	}
	if (p[t] != '/')
		return fail(err, t, "unsupported request target (want /path or http[s]://...)");
	if (h == r->nhdrs)
		return fail(err, t, "missing Host header for origin-form target");
	if (find_hdr(r, "Host", h + 1) < r->nhdrs)
		return fail(err, t, "more than one Host header");
	if (r->hdrs[h].value_len == 0 ||
	    strpbrk(r->hdrs[h].value, " \t/?#@\\"))
		return fail(err, t, "Host header '%s' is not a host[:port]",
			    r->hdrs[h].value);
	buf_init(&u);
	buf_addf(&u, "%s://%s", scheme, r->hdrs[h].value);
	buf_add(&u, p + t, tlen);
	r->url = buf_detach(&u, NULL);
	return 0;
}

int rawhttp_parse(const char *p, size_t n, const char *scheme,
		  struct rawhttp_req *r, size_t *used, struct rd_err *err)
{
	struct line l;
	size_t pos = 0, head, limit, t = 0, tlen = 0;
	int ret, first = 1;

	rawhttp_req_release(r);
	/* Robustness: empty lines before the request line are skipped. */
	while (pos < n && (p[pos] == '\n' ||
			   (p[pos] == '\r' && pos + 1 < n && p[pos + 1] == '\n')))
		pos += p[pos] == '\n' ? 1 : 2;
	head = pos;
	limit = n - head > RAWHTTP_MAX_HEAD ? head + RAWHTTP_MAX_HEAD : n;
	for (;;) {
		if ((ret = get_line(p, pos, limit, &l, err)) < 0)
			goto out;
		if (ret == 0) {
			ret = limit < n ?
				fail(err, limit, "header section larger than %d bytes",
				     RAWHTTP_MAX_HEAD) :
				fail(err, n, "incomplete header section");
			goto out;
		}
		pos = l.next;
		if (first) {
			if ((ret = request_line(p, &l, r, &t, &tlen, err)) < 0)
				goto out;
			first = 0;
			continue;
		}
		if (l.start == l.end)
			break;
		if ((ret = header_line(p, &l, r, err)) < 0)
			goto out;
	}
	if ((ret = make_url(p, t, tlen, scheme, r, err)) < 0 ||
	    (ret = body(p, n, pos, head, r, used, err)) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		rawhttp_req_release(r);
	return ret;
}
