/*
 * rd-downstream-http.c - how rd-downstream reads a request: the head,
 * checked and parsed into the connection, then the body, Content-Length
 * or chunked, streamed through SHA-256 without being kept (see
 * rd-downstream.c for the rest of the server).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "rd-downstream.h"
#include "xalloc.h"
#include "banned.h"

/* ---- SHA-256 (FIPS 180-4) ---- */

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], v[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + w[i - 7] +
		       (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(v, h, sizeof(v));
	for (i = 0; i < 64; i++) {
		t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
		t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0])); /* h=g ... e=d ... b=a */
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += v[i];
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
		0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->bytes = s->n = 0;
}

static void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t k = 64 - s->n < n ? 64 - s->n : n;

	s->bytes += n;
	if (s->n) { /* top up the partial block first */
		memcpy(s->blk + s->n, p, k);
		s->n += k;
		p += k;
		n -= k;
		if (s->n < 64)
			return;
		sha256_block(s->h, s->blk);
		s->n = 0;
	}
	for (; n >= 64; p += 64, n -= 64)
		sha256_block(s->h, p);
	memcpy(s->blk, p, n);
	s->n = n;
}

void sha256_hex(struct sha256 *s, char hex[65])
{
	unsigned char pad[128] = { 0x80 }, len[8];
	uint64_t bits = s->bytes * 8;
	int i;

	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(s, pad, (s->n < 56 ? 56 : 120) - s->n);
	sha256_update(s, len, 8);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x",
			 (unsigned)(s->h[i / 4] >> (24 - 8 * (i % 4))) & 0xff);
}

/* ---- request parsing ---- */

static int is_token(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) &&
		    !(p[i] && strchr("!#$%&'*+-.^_`|~", p[i])))
			return 0;
	return n > 0;
}

/* The offset just past the empty line that ends the head in p[0..n), or
 * 0 when it has not arrived.  p does not start with an empty line. */
static size_t head_end(const char *p, size_t n)
{
	const char *nl = p, *end = p + n;

	while ((nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL) {
		nl++;
		if (nl < end && *nl == '\n')
			return (size_t)(nl + 1 - p);
		if (end - nl >= 2 && nl[0] == '\r' && nl[1] == '\n')
			return (size_t)(nl + 2 - p);
	}
	return 0;
}

/* Split off the next line (LF or CRLF) of a head ending in an empty line. */
static size_t take_line(const char **pp, const char **line)
{
	const char *p = *pp, *nl = strchr(p, '\n');
	size_t len = (size_t)(nl - p);

	*line = p;
	*pp = nl + 1;
	return len && p[len - 1] == '\r' ? len - 1 : len;
}

static int name_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

/* Parse the head h (a C string ending in an empty line) into c.  Returns 0,
 * or the status to refuse the request with. */
static int parse_head(struct conn *c, const char *h)
{
	const char *line, *sp1, *sp2, *v, *colon;
	size_t len, vlen, i;
	uint64_t cl = 0, n;
	int have_cl = 0;

	len = take_line(&h, &line);
	sp1 = memchr(line, ' ', len);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line)) : NULL;
	if (!sp2 || sp2 == sp1 + 1 || !is_token(line, (size_t)(sp1 - line)) ||
	    line + len - sp2 != 9 || (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 &&
				      memcmp(sp2 + 1, "HTTP/1.0", 8) != 0))
		return 400;
	for (v = sp1 + 1; v < sp2; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 400;
	c->http10 = sp2[8] == '0';
	c->method = xmemdup(line, (size_t)(sp1 - line));
	c->target = xmemdup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	c->head_only = strcmp(c->method, "HEAD") == 0;
	while ((len = take_line(&h, &line)) > 0) {
		colon = memchr(line, ':', len);
		if (!colon || !is_token(line, (size_t)(colon - line)))
			return 400; /* also obs-fold and space before ':' */
		for (v = colon + 1; v < line + len && (*v == ' ' || *v == '\t');)
			v++;
		for (vlen = (size_t)(line + len - v);
		     vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t');)
			vlen--;
		for (i = 0; i < vlen; i++)
			if (((unsigned char)v[i] < 0x20 && v[i] != '\t') ||
			    v[i] == 0x7f)
				return 400;
		len = (size_t)(colon - line);
		if (name_is(line, len, "content-length")) {
			for (i = 0, n = 0; i < vlen && n <= BODY_MAX; i++) {
				if (!isdigit((unsigned char)v[i]))
					return 400;
				n = n * 10 + (uint64_t)(v[i] - '0');
			}
			if (vlen == 0 || (have_cl && n != cl))
				return 400;
			if (n > BODY_MAX)
				return 413;
			cl = n;
			have_cl = 1;
		} else if (name_is(line, len, "transfer-encoding")) {
			if (!name_is(v, vlen, "chunked"))
				return 501;
			c->chunked = 1;
		} else if (name_is(line, len, "connection")) {
			for (i = 0; i + 5 <= vlen; i++) /* a "close" token */
				if (strncasecmp(v + i, "close", 5) == 0 &&
				    (i == 0 || strchr(" \t,", v[i - 1])) &&
				    (i + 5 == vlen || strchr(" \t,", v[i + 5])))
					c->close_after = 1;
		} else if (name_is(line, len, "idempotency-key") && vlen) {
			if (c->key)
				return 400; /* which one would count? */
			c->key = xmemdup(v, vlen);
			c->key_len = vlen;
		} else if (name_is(line, len, "expect")) {
			c->expect = name_is(v, vlen, "100-continue");
		}
	}
	if (c->chunked && have_cl)
		return 400;
	c->remaining = cl;
	return 0;
}

/* ST_HEAD: skip empty lines, then take the head once it is whole.  Returns
 * -1 when the body is next, else what conn_parse returns. */
static int take_head(struct srv *s, struct conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	char *p = c->in.data + c->in_pos, save;
	size_t avail = c->in.len - c->in_pos, k;
	int code;

	/* RFC 9112 2.2: skip empty lines before a request. */
	for (; avail && (*p == '\n' || (avail > 1 && *p == '\r' &&
				       p[1] == '\n')); avail -= k) {
		k = *p == '\n' ? 1 : 2;
		p += k;
		c->in_pos += k;
	}
	if ((k = head_end(p, avail)) == 0)
		return avail > HEAD_MAX ? conn_error(s, c, 431) : 0;
	if (k > HEAD_MAX)
		return conn_error(s, c, 431);
	if (memchr(p, '\0', k))
		return conn_error(s, c, 400);
	if (s->o.dump_dir) {
		buf_reset(&c->raw);
		buf_add(&c->raw, p, k);
	}
	save = p[k]; /* parse_head wants a C string */
	p[k] = '\0';
	code = parse_head(c, p);
	p[k] = save;
	c->in_pos += k;
	if (code)
		return conn_error(s, c, code);
	sha256_init(&c->sha);
	/* Best effort: a failed send shows in the next read. */
	if (c->expect && !c->http10 && (c->chunked || c->remaining) &&
	    send(c->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL) < 0)
		c->expect = 0;
	c->st = c->chunked ? ST_CHUNK_SIZE : ST_BODY;
	return -1;
}

/* ST_CHUNK_SIZE, ST_CHUNK_END and ST_TRAILER, the line types of a chunked
 * body: take one line.  Returns -1 when there is more to parse, else what
 * conn_parse returns. */
static int take_chunk_line(struct srv *s, struct conn *c)
{
	char *p = c->in.data + c->in_pos, *nl;
	size_t avail = c->in.len - c->in_pos, k;
	uint64_t v = 0;
	int empty;

	if (!(nl = memchr(p, '\n', avail)))
		return avail > HEAD_MAX ? conn_error(s, c, 431) : 0;
	k = (size_t)(nl + 1 - p);
	c->in_pos += k;
	if (s->o.dump_dir)
		buf_add(&c->raw, p, k);
	empty = k == 1 || (k == 2 && *p == '\r');
	if (c->st == ST_CHUNK_END && !empty)
		return conn_error(s, c, 400);
	if (c->st == ST_CHUNK_END) {
		c->st = ST_CHUNK_SIZE;
	} else if (c->st == ST_TRAILER) { /* fields are ignored */
		if (empty)
			return request_done(s, c);
		if ((c->remaining += k) > HEAD_MAX)
			return conn_error(s, c, 431);
	} else { /* hex size, then extensions we ignore */
		for (k = 0; isxdigit((unsigned char)p[k]) && v <= BODY_MAX; k++)
			v = v * 16 + (uint64_t)(isdigit((unsigned char)p[k]) ?
				p[k] - '0' : (p[k] | 0x20) - 'a' + 10);
		if (k > 0 && (v > BODY_MAX || c->body_len + v > BODY_MAX))
			return conn_error(s, c, 413);
		if (k == 0 || !p[k] || !strchr(";\r\n \t", p[k]))
			return conn_error(s, c, 400);
		c->remaining = v;
		c->st = v ? ST_CHUNK_DATA : ST_TRAILER;
	}
	return -1;
}

int conn_parse(struct srv *s, struct conn *c)
{
	for (;;) {
		char *p = c->in.data + c->in_pos;
		size_t avail = c->in.len - c->in_pos, k;
		int r;

		switch (c->st) {
		case ST_HEAD:
			if ((r = take_head(s, c)) >= 0)
				return r;
			break;
		case ST_BODY:
		case ST_CHUNK_DATA:
			k = avail < c->remaining ? avail : (size_t)c->remaining;
			sha256_update(&c->sha, p, k);
			if (s->o.dump_dir)
				buf_add(&c->raw, p, k);
			c->in_pos += k;
			c->body_len += k;
			c->remaining -= k;
			if (c->remaining)
				return 0;
			if (c->st == ST_BODY)
				return request_done(s, c);
			c->st = ST_CHUNK_END;
			break;
		case ST_CHUNK_SIZE:
		case ST_CHUNK_END:
		case ST_TRAILER:
			if ((r = take_chunk_line(s, c)) >= 0)
				return r;
			break;
		default:
			return 1;
		}
	}
}
