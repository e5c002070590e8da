/*
 * rawhttp.c - a strict parser of HTTP/1.1 request messages (RFC 9112).
 *
 * Everything is bounds-checked against n: the parser never reads past the
 * bytes it was given, and an incomplete message is an error, not a wait.
 * Offsets in errors count from the first byte given, so the caller can
 * add its own base.
 *
 * Invariants:
 *  - a line ends at its first CR or LF.  The request line's ending, CRLF
 *    or LF, is the only one accepted in the rest of its message: header,
 *    chunk and trailer lines, and after chunk data.  A message that mixes
 *    them is one that two servers can split differently (the smuggling of
 *    a second request inside the first), so it is refused, not read one
 *    way or the other;
 *  - a byte the grammar does not allow is an error naming its offset; it
 *    is never skipped or repaired;
 *  - on error the request is left empty: nothing is half-parsed.
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

/*
 * One message being parsed.  Until the message is whole, the request's
 * headers point into the input (and the Content-Length that replaces a
 * chunked coding into num); rawhttp_parse then copies them into the
 * request's own bytes.
 */
struct ctx {
	const char *p;
	size_t n;
	int crlf;            /* lines end in CRLF: 1; in LF: 0; not yet known: -1 */
	size_t *off;         /* owned: where the line of each header starts */
	struct rd_err *err;
	char num[32];        /* the decoded body's Content-Length */
};

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

/* RFC 9110 field-vchar, SP or HTAB: what a field value may hold. */
static int is_field_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int hex_value(unsigned char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The first byte at or after i, before end, that is not SP or HTAB. */
static size_t skip_ws(const char *p, size_t i, size_t end)
{
	while (i < end && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

/* Bytes taken by empty lines (CRLF or LF) at the start of p. */
static size_t skip_empty(const char *p, size_t n)
{
	size_t i = 0;

	for (;;) {
		if (i < n && p[i] == '\n')
			i++;
		else if (n - i >= 2 && p[i] == '\r' && p[i + 1] == '\n')
			i += 2;
		else
			return i;
	}
}

/*
 * The line at pos, ending before limit.  Returns 1 with *l set, 0 when no
 * line ends before limit, or RD_E_INVAL for a bare CR or for a line
 * ending that is not the one the request line set.
 */
static int get_line(struct ctx *c, size_t pos, size_t limit, struct line *l)
{
	const char *p = c->p;
	size_t i = pos;

	while (i < limit && p[i] != '\r' && p[i] != '\n')
		i++;
	if (i == limit)
		return 0;
	l->start = pos;
	l->end = i;
	if (p[i] == '\n') {
		if (c->crlf == 1)
			return fail(c->err, i, "bare LF, but the request line ends in CRLF");
		c->crlf = 0;
		l->next = i + 1;
		return 1;
	}
	if (i + 1 == limit)
		return 0;
	if (p[i + 1] != '\n')
		return fail(c->err, i, "bare CR in a line");
	if (c->crlf == 0)
		return fail(c->err, i, "CRLF, but the request line ends in LF");
	c->crlf = 1;
	l->next = i + 2;
	return 1;
}

void rawhttp_req_init(struct rawhttp_req *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->hbytes);
}

void rawhttp_req_release(struct rawhttp_req *r)
{
	free(r->method);
	free(r->url);
	free(r->hdrs);
	buf_release(&r->hbytes);
	free(r->body);
	rawhttp_req_init(r);
}

/* A header, borrowed from where it is until the message is whole. */
static void add_hdr(struct rawhttp_req *r, const char *name, size_t nlen,
		    const char *value, size_t vlen)
{
	struct hdr *h;

	r->hdrs = xrealloc(r->hdrs, (r->nhdrs + 1) * sizeof(*r->hdrs));
	h = &r->hdrs[r->nhdrs++];
	h->name = name;
	h->name_len = nlen;
	h->value = value;
	h->value_len = vlen;
}

/* METHOD SP target SP HTTP/1.x; the target is left in *t, *tlen. */
static int request_line(struct ctx *c, const struct line *l,
			struct rawhttp_req *r, size_t *t, size_t *tlen)
{
	const char *p = c->p;
	size_t i = l->start;

	while (i < l->end && is_tchar((unsigned char)p[i]))
		i++;
	if (i == l->start || i == l->end || p[i] != ' ')
		return fail(c->err, i, "method is not a token");
	r->method = xmemdup(p + l->start, i - l->start);
	*t = ++i;
	for (; i < l->end && p[i] != ' '; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			return fail(c->err, i, "invalid byte in the request target");
	*tlen = i - *t;
	if (*tlen == 0 || i == l->end)
		return fail(c->err, i, "request line is not 'METHOD TARGET HTTP/1.1'");
	i++;
	if (l->end - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0 ||
	    (p[i + 7] != '0' && p[i + 7] != '1'))
		return fail(c->err, i, "unsupported version (want HTTP/1.1 or HTTP/1.0)");
	r->minor = p[i + 7] - '0';
	return 0;
}

/* Where the parts of a field line are: name [start, name_end), value [vs, ve). */
struct field {
	size_t name_end, vs, ve;
};

/*
 * One "name: value" line of the header or trailer section: a token, the
 * colon straight after it, and a value of field bytes; the blanks around
 * the value are not part of it.
 */
static int field_line(struct ctx *c, const struct line *l, int first,
		      struct field *f)
{
	const char *p = c->p;
	size_t i = l->start;

	if (p[i] == ' ' || p[i] == '\t')
		return fail(c->err, i, first ?
			    "whitespace between the request line and the first header" :
			    "obsolete line folding is not accepted");
	while (i < l->end && is_tchar((unsigned char)p[i]))
		i++;
	if (i == l->start || i == l->end || p[i] != ':')
		return fail(c->err, i, "header name is not a token");
	f->name_end = i;
	f->vs = skip_ws(p, i + 1, l->end);
	f->ve = l->end;
	while (f->ve > f->vs && (p[f->ve - 1] == ' ' || p[f->ve - 1] == '\t'))
		f->ve--;
	for (i = f->vs; i < f->ve; i++) {
		unsigned char b = (unsigned char)p[i];

		if (b == 0)
			return fail(c->err, i, "NUL in a header value");
		if (!is_field_byte(b))
			return fail(c->err, i, "control byte 0x%02x in a header value", b);
	}
	return 0;
}

/* The next line of a header or trailer section that starts at start:
 * 1, or an error naming the section when it is too large or cut short. */
static int section_line(struct ctx *c, size_t start, size_t pos,
			const char *section, const char *cut, struct line *l)
{
	size_t limit = c->n - start > RAWHTTP_MAX_HEAD ? start + RAWHTTP_MAX_HEAD : c->n;
	int ret = get_line(c, pos, limit, l);

	if (ret != 0)
		return ret;
	return limit < c->n ?
	       fail(c->err, limit, "%s section larger than %d bytes", section,
		    RAWHTTP_MAX_HEAD) :
	       fail(c->err, c->n, "%s", cut);
}

/* The request line and the header section at *pos, up to its empty line. */
static int head(struct ctx *c, size_t *pos, struct rawhttp_req *r, size_t *t,
		size_t *tlen)
{
	size_t start = *pos;
	struct line l;
	struct field f;
	int ret;

	for (size_t k = 0;; k++) {
		if ((ret = section_line(c, start, *pos, "header",
					"incomplete header section", &l)) < 0)
			return ret;
		*pos = l.next;
		if (k == 0) {
			if ((ret = request_line(c, &l, r, t, tlen)) < 0)
				return ret;
			continue;
		}
		if (l.start == l.end)
			return 0;
		if ((ret = field_line(c, &l, k == 1, &f)) < 0)
			return ret;
		if (r->nhdrs >= RAWHTTP_MAX_HEADERS)
			return fail(c->err, l.start, "more than %d headers",
				    RAWHTTP_MAX_HEADERS);
		add_hdr(r, c->p + l.start, f.name_end - l.start, c->p + f.vs,
			f.ve - f.vs);
		c->off = xrealloc(c->off, r->nhdrs * sizeof(*c->off));
		c->off[r->nhdrs - 1] = l.start;
	}
}

/* Index of the first header named name at or after from, or nhdrs. */
static size_t find_hdr(const struct rawhttp_req *r, const char *name,
		       size_t from)
{
	return hdr_find(r->hdrs, r->nhdrs, from, name);
}

/*
 * The next element of the comma-separated list at *v, which ends at
 * stop (RFC 9110 5.6.1), without its blanks, in *e and *elen; empty
 * elements are skipped.  Returns 0 at the end of the list.
 */
static int list_next(const char **v, const char *stop, const char **e,
		     size_t *elen)
{
	const char *s = *v, *end;
	size_t k;

	while (s < stop && (*s == ' ' || *s == '\t' || *s == ','))
		s++;
	if (s == stop)
		return 0;
	for (end = s; end < stop && *end != ','; end++)
		;
	/* s[0] is no blank, so k stays above 0. */
	for (k = (size_t)(end - s); s[k - 1] == ' ' || s[k - 1] == '\t'; k--)
		;
	*v = end;
	*e = s;
	*elen = k;
	return 1;
}

static int list_has(const struct hdr *h, const char *tok)
{
	const char *v = h->value, *e;
	size_t k;

	while (list_next(&v, h->value + h->value_len, &e, &k))
		if (k == strlen(tok) && strncasecmp(e, tok, k) == 0)
			return 1;
	return 0;
}

/* What a server would read after this request on the same connection. */
static enum rawhttp_after after_req(const struct rawhttp_req *r)
{
	int closes = 0, keep = 0, upgrade = 0;

	for (size_t i = 0; i < r->nhdrs; i++) {
		if (!hdr_is(&r->hdrs[i], "Connection"))
			continue;
		closes |= list_has(&r->hdrs[i], "close");
		keep |= list_has(&r->hdrs[i], "keep-alive");
		upgrade |= list_has(&r->hdrs[i], "upgrade");
	}
	if (closes)
		return RAWHTTP_CLOSE;
	if (upgrade && find_hdr(r, "Upgrade", 0) < r->nhdrs)
		return RAWHTTP_UPGRADE;
	if (r->minor == 0 && !keep)
		return RAWHTTP_CLOSE_10;
	return RAWHTTP_MORE;
}

/*
 * The transfer codings of every Transfer-Encoding field, in order, must be
 * one chunked.  It has to come last, once, for the end of the body to be
 * known (RFC 9112 6.3); any other coding would leave the stored body still
 * encoded with no header left to say so.
 */
static int te_check(struct ctx *c, const struct rawhttp_req *r)
{
	const char *other = NULL, *v, *e;
	size_t olen = 0, k, last = 0, again = 0, at_other = 0, nchunked = 0;
	int last_chunked = 0;

	for (size_t i = 0; i < r->nhdrs; i++) {
		const struct hdr *h = &r->hdrs[i];

		if (!hdr_is(h, "Transfer-Encoding"))
			continue;
		last = i;
		for (v = h->value; list_next(&v, h->value + h->value_len, &e, &k);) {
			last_chunked = k == 7 && strncasecmp(e, "chunked", 7) == 0;
			if (last_chunked && nchunked++ == 1)
				again = i;
			if (!last_chunked && !other) {
				other = e;
				olen = k;
				at_other = i;
			}
		}
	}
	if (!last_chunked)
		return fail(c->err, c->off[last],
			    "Transfer-Encoding '%.*s' does not end in chunked",
			    (int)r->hdrs[last].value_len, r->hdrs[last].value);
	if (nchunked > 1)
		return fail(c->err, c->off[again], "chunked applied more than once");
	if (other)
		return fail(c->err, c->off[at_other],
			    "transfer coding '%.*s' is not supported (only chunked)",
			    (int)(olen > 64 ? 64 : olen), other);
	return 0;
}

/* All Content-Length fields: one, a byte count (RFC 9112 6.3). */
static int content_length(struct ctx *c, const struct rawhttp_req *r,
			  uint64_t *len)
{
	size_t cl = find_hdr(r, "Content-Length", 0);

	*len = 0;
	for (size_t j = cl; j < r->nhdrs; j = find_hdr(r, "Content-Length", j + 1)) {
		const char *v = r->hdrs[j].value;
		int vn = (int)r->hdrs[j].value_len;
		size_t at = c->off[j];
		uint64_t x = 0;

		if (!vn)
			return fail(c->err, at, "empty Content-Length");
		for (int i = 0; i < vn; i++) {
			if (v[i] < '0' || v[i] > '9')
				return fail(c->err, at, "Content-Length '%.*s' is not a byte count",
					    vn, v);
			if (x > (UINT64_MAX - 9) / 10)
				return fail(c->err, at, "Content-Length '%.*s' is too large",
					    vn, v);
			x = x * 10 + (uint64_t)(v[i] - '0');
		}
		/* Even equal copies: a strict server refuses them, so the
		 * replay would only fail. */
		if (j != cl)
			return fail(c->err, at, x == *len ?
				    "more than one Content-Length header" :
				    "conflicting Content-Length headers");
		*len = x;
	}
	return 0;
}

/* A quoted-string at i (its DQUOTE) in a chunk line; *next is after it. */
static int quoted(struct ctx *c, const struct line *l, size_t i, size_t *next)
{
	const char *p = c->p;

	for (i++; i < l->end; i++) {
		unsigned char b = (unsigned char)p[i];

		if (b == '"') {
			*next = i + 1;
			return 0;
		}
		if (b == '\\') {
			if (++i == l->end)
				break;
			b = (unsigned char)p[i];
		}
		if (!is_field_byte(b))
			return fail(c->err, i, "control byte 0x%02x in a chunk extension", b);
	}
	return fail(c->err, l->end, "unterminated quoted string in a chunk extension");
}

/*
 * One chunk extension after its ';' at i: BWS name [BWS "=" BWS value],
 * the value a token or a quoted-string (RFC 9112 7.1.1).  *next is the
 * first byte after it.
 */
static int chunk_ext(struct ctx *c, const struct line *l, size_t i, size_t *next)
{
	const char *p = c->p;
	size_t s;

	for (s = i = skip_ws(p, i, l->end); i < l->end && is_tchar((unsigned char)p[i]);)
		i++;
	if (i == s)
		return fail(c->err, i, "chunk extension without a name");
	s = skip_ws(p, i, l->end);
	if (s == l->end || p[s] != '=') {
		*next = i;
		return 0;
	}
	i = skip_ws(p, s + 1, l->end);
	if (i < l->end && p[i] == '"')
		return quoted(c, l, i, next);
	for (s = i; i < l->end && is_tchar((unsigned char)p[i]);)
		i++;
	if (i == s)
		return fail(c->err, i, "chunk extension without a value after '='");
	*next = i;
	return 0;
}

/* chunk-size [chunk-ext]: HEX, then any number of BWS ";" extensions. */
static int chunk_line(struct ctx *c, const struct line *l, uint64_t *size)
{
	const char *p = c->p;
	size_t i, j;
	int v, ret, ext = 0;

	*size = 0;
	for (i = l->start; i < l->end && (v = hex_value((unsigned char)p[i])) >= 0; i++) {
		if (*size >> 60)
			return fail(c->err, i, "chunk size too large");
		*size = *size * 16 + (uint64_t)v;
	}
	if (i == l->start)
		return fail(c->err, i, "bad chunk size");
	for (;;) {
		j = skip_ws(p, i, l->end);
		if (j == l->end)
			return j == i ? 0 :
				fail(c->err, i, "whitespace at the end of a chunk line");
		if (p[j] != ';')
			return fail(c->err, j, ext ? "bad chunk extension" : "bad chunk size");
		if ((ret = chunk_ext(c, l, j + 1, &i)) < 0)
			return ret;
		ext = 1;
	}
}

/* The trailer section at *pos: checked as header fields, then dropped. */
static int trailers(struct ctx *c, size_t *pos)
{
	size_t start = *pos;
	struct line l;
	struct field f;
	int ret;

	for (size_t k = 0;; k++) {
		if ((ret = section_line(c, start, *pos, "trailer",
					"body ends inside the chunked trailer", &l)) < 0)
			return ret;
		*pos = l.next;
		if (l.start == l.end)
			return 0;
		if (k >= RAWHTTP_MAX_HEADERS)
			return fail(c->err, l.start, "more than %d trailer fields",
				    RAWHTTP_MAX_HEADERS);
		if ((ret = field_line(c, &l, 0, &f)) < 0)
			return ret;
	}
}

/* Decode a chunked body at *pos into b; *pos ends after the trailers. */
static int dechunk(struct ctx *c, size_t *pos, struct buf *b)
{
	const char *eol = c->crlf ? "\r\n" : "\n";
	size_t eoln = c->crlf ? 2 : 1, have;
	struct line l;
	uint64_t size;
	int ret;

	for (;;) {
		if ((ret = get_line(c, *pos, c->n, &l)) < 0)
			return ret;
		if (ret == 0)
			return fail(c->err, c->n, "body ends inside chunked data");
		if ((ret = chunk_line(c, &l, &size)) < 0)
			return ret;
		*pos = l.next;
		if (size == 0)
			return trailers(c, pos);
		if (size > c->n - *pos)
			return fail(c->err, c->n, "body ends inside a %llu-byte chunk",
				    (unsigned long long)size);
		buf_add(b, c->p + *pos, (size_t)size);
		*pos += (size_t)size;
		have = c->n - *pos < eoln ? c->n - *pos : eoln;
		if (memcmp(c->p + *pos, eol, have) != 0)
			return fail(c->err, *pos, "chunk data not followed by %s",
				    c->crlf ? "CRLF" : "LF");
		if (have < eoln)
			return fail(c->err, c->n, "body ends inside chunked data");
		*pos += eoln;
	}
}

/* A chunked body, stored decoded: Transfer-Encoding becomes Content-Length. */
static int chunked_body(struct ctx *c, size_t *pos, struct rawhttp_req *r)
{
	struct buf b;
	size_t j, k;
	int ret;

	buf_init(&b);
	if ((ret = dechunk(c, pos, &b)) < 0) {
		buf_release(&b);
		return ret;
	}
	/* What is stored is what will be sent: a plain body. */
	for (j = k = 0; j < r->nhdrs; j++) {
		if (hdr_is(&r->hdrs[j], "Transfer-Encoding"))
			continue;
		c->off[k] = c->off[j];
		r->hdrs[k++] = r->hdrs[j];
	}
	r->nhdrs = k;
	snprintf(c->num, sizeof(c->num), "%zu", b.len);
	add_hdr(r, "Content-Length", 14, c->num, strlen(c->num));
	c->off[r->nhdrs - 1] = 0; /* not in the input; never named */
	r->body_len = b.len;
	r->body = b.len ? buf_detach(&b, NULL) : NULL;
	buf_release(&b);
	return 0;
}

/* The body after the head at *pos, by Content-Length or chunked. */
static int body(struct ctx *c, size_t *pos, struct rawhttp_req *r)
{
	size_t te = find_hdr(r, "Transfer-Encoding", 0);
	size_t cl = find_hdr(r, "Content-Length", 0);
	uint64_t len;
	int ret;

	if (te < r->nhdrs && cl < r->nhdrs)
		return fail(c->err, c->off[te > cl ? te : cl],
			    "both Content-Length and Transfer-Encoding");
	if (te < r->nhdrs) {
		/* RFC 9112 6.1: its framing is faulty, whatever it says. */
		if (r->minor == 0)
			return fail(c->err, c->off[te],
				    "Transfer-Encoding in an HTTP/1.0 request");
		if ((ret = te_check(c, r)) < 0)
			return ret;
		return chunked_body(c, pos, r);
	}
	if ((ret = content_length(c, r, &len)) < 0)
		return ret;
	if (len > c->n - *pos)
		return fail(c->err, c->n, "body shorter than Content-Length (%zu of %llu bytes)",
			    c->n - *pos, (unsigned long long)len);
	if (len) {
		r->body = xmemdup(c->p + *pos, (size_t)len);
		r->body_len = (size_t)len;
	}
	*pos += (size_t)len;
	return 0;
}

/*
 * The target's form: origin-form (/path?query) or an http or https
 * absolute-form; CONNECT's authority-form and OPTIONS' asterisk-form are
 * not requests to replay.
 */
static int target_check(struct ctx *c, size_t t, size_t tlen, int *absolute)
{
	const char *p = c->p, *hash = memchr(p + t, '#', tlen);

	*absolute = (tlen > 7 && strncasecmp(p + t, "http://", 7) == 0) ||
		    (tlen > 8 && strncasecmp(p + t, "https://", 8) == 0);
	if (!*absolute && p[t] != '/')
		return fail(c->err, t, "unsupported request target (want /path or http[s]://...)");
	/* A client never sends a fragment, and a replay could not: the
	 * request stored would not be the one sent. */
	if (hash)
		return fail(c->err, (size_t)(hash - p), "fragment (#) in the request target");
	return 0;
}

/* 1 when v holds a byte that is in no host[:port]. */
static int not_host(const char *v, size_t n)
{
	static const char bad[] = " \t/?#@\\";

	for (size_t i = 0; i < n; i++)
		if (memchr(bad, v[i], sizeof(bad) - 1))
			return 1;
	return 0;
}

/*
 * Host (RFC 9112 3.2): at most one, a host[:port], and required in
 * HTTP/1.1; an origin-form target needs it for its URL in HTTP/1.0 too.
 * *h is its index, or nhdrs.
 */
static int host_check(struct ctx *c, const struct rawhttp_req *r, size_t t,
		      int absolute, int need, size_t *h)
{
	const struct hdr *v;
	size_t second;

	*h = find_hdr(r, "Host", 0);
	if (*h == r->nhdrs) {
		if (need && (!absolute || r->minor == 1))
			return fail(c->err, t, absolute ?
				    "missing Host header (HTTP/1.1 requires one)" :
				    "missing Host header for origin-form target");
		return 0;
	}
	if ((second = find_hdr(r, "Host", *h + 1)) < r->nhdrs)
		return fail(c->err, c->off[second], "more than one Host header");
	v = &r->hdrs[*h];
	if (v->value_len == 0 || not_host(v->value, v->value_len))
		return fail(c->err, c->off[*h], "Host header '%.*s' is not a host[:port]",
			    (int)v->value_len, v->value);
	return 0;
}

int rawhttp_parse(const char *p, size_t n, const char *scheme,
		  struct rawhttp_req *r, size_t *used, struct rd_err *err)
{
	struct ctx c = { p, n, -1, NULL, err, "" };
	size_t pos, t = 0, tlen = 0, h;
	int ret, absolute;
	struct buf u;

	rawhttp_req_release(r);
	/* RFC 9112 2.2: empty lines before the request line are skipped. */
	pos = skip_empty(p, n);
	if ((ret = head(&c, &pos, r, &t, &tlen)) < 0)
		goto out;
	/* Framing first: where the message ends matters most. */
	if ((ret = body(&c, &pos, r)) < 0)
		goto out;
	if ((ret = target_check(&c, t, tlen, &absolute)) < 0 ||
	    (ret = host_check(&c, r, t, absolute, scheme != NULL, &h)) < 0)
		goto out;
	if (absolute) {
		r->url = xmemdup(p + t, tlen);
	} else if (scheme) {
		buf_init(&u);
		buf_addf(&u, "%s://", scheme);
		buf_add(&u, r->hdrs[h].value, r->hdrs[h].value_len);
		buf_add(&u, p + t, tlen);
		r->url = buf_detach(&u, NULL);
	}
	r->after = after_req(r);
	/* The input is the caller's: the request keeps its own copy. */
	hdr_own(r->hdrs, r->nhdrs, &r->hbytes);
	*used = pos;
	ret = 0;
out:
	free(c.off);
	if (ret < 0)
		rawhttp_req_release(r);
	return ret;
}

void rawhttp_stream_init(struct rawhttp_stream *s, const char *p, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->p = p;
	s->n = n;
}

int rawhttp_next(struct rawhttp_stream *s, const char *scheme,
		 struct rawhttp_req *r, size_t *start, size_t *len,
		 struct rd_err *err)
{
	size_t pos = s->pos, i;
	int ret;

	rawhttp_req_release(r);
	if (pos < s->n)
		pos += skip_empty(s->p + pos, s->n - pos);
	*start = pos;
	*len = 0;
	for (i = pos; i < s->n && (s->p[i] == ' ' || s->p[i] == '\t' ||
				   s->p[i] == '\r' || s->p[i] == '\n'); i++)
		;
	if (i == s->n) {
		s->pos = s->n;
		return 0;
	}
	switch (s->after) {
	case RAWHTTP_MORE:
		break;
	/* The input is one connection: a server would not read on. */
	case RAWHTTP_CLOSE:
		return fail(err, 0, "data after a request with 'Connection: close'");
	case RAWHTTP_CLOSE_10:
		return fail(err, 0, "data after an HTTP/1.0 request without "
			    "'Connection: keep-alive'");
	case RAWHTTP_UPGRADE:
		return fail(err, 0, "data after a request that upgrades the "
			    "connection to another protocol");
	}
	if ((ret = rawhttp_parse(s->p + pos, s->n - pos, scheme, r, len, err)) < 0)
		return ret;
	s->pos = pos + *len;
	s->after = r->after;
	return 1;
}
