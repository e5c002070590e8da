/*
 * proxy_head.c - request guard, target rebase and upstream head walk (see
 * proxy_head.h).  No state, no allocation beyond the output buffer.
 */
#include <string.h>
#include <strings.h>

#include "proxy_head.h"
#include "rec.h"
#include "banned.h"

/* A Content-Length past this is refused: no record is that large, and
 * the sum of two never overflows. */
#define CL_MAX ((int64_t)1 << 60)

static int ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

static int ows(char c)
{
	return c == ' ' || c == '\t';
}

/* s[0..*n) without optional whitespace around it. */
static const char *trim(const char *s, size_t *n)
{
	while (*n && ows(s[0])) {
		s++;
		(*n)--;
	}
	while (*n && ows(s[*n - 1]))
		(*n)--;
	return s;
}

/* Digits only, below CL_MAX: the value, else -1. */
static int64_t digits(const char *s, size_t n)
{
	int64_t v = 0;

	s = trim(s, &n);
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (CL_MAX - 9) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int refuse(struct proxy_guard *g, int status, const char *why)
{
	g->why = why;
	return status;
}

/* One field: 0, or the status to refuse the request with. */
static int guard_field(const struct hdr *f, struct proxy_guard *g,
		       unsigned *te, unsigned *host)
{
	const char *v;
	size_t vn = f->value_len;
	int64_t cl;

	if (!rec_hdr_name_valid(f->name, f->name_len))
		return refuse(g, 400, "a header name is not a token");
	if (f->value_len > REC_MAX_HDR_VALUE)
		return refuse(g, 431, "a header value is too long");
	if (!rec_hdr_value_valid(f->value, f->value_len))
		return refuse(g, 400, "a header value holds CR, LF, NUL or another control byte");
	if (hdr_is(f, "transfer-encoding")) {
		v = trim(f->value, &vn);
		if (!ieq(v, vn, "chunked"))
			return refuse(g, 400, "Transfer-Encoding other than chunked");
		(*te)++;
	} else if (hdr_is(f, "content-length")) {
		if ((cl = digits(f->value, f->value_len)) < 0)
			return refuse(g, 400, "Content-Length is not a number");
		if (g->content_length >= 0 && cl != g->content_length)
			return refuse(g, 400, "Content-Length repeated with different values");
		g->content_length = cl;
	} else if (hdr_is(f, "host")) {
		(*host)++;
	}
	return 0;
}

int proxy_guard(const struct hdr *h, size_t n, int http10,
		struct proxy_guard *g)
{
	unsigned te = 0, host = 0;
	int st;

	g->content_length = -1;
	g->chunked = 0;
	g->why = NULL;
	g->field = -1;
	if (n > REC_MAX_HEADERS)
		return refuse(g, 431, "more header fields than a record keeps");
	for (size_t i = 0; i < n; i++)
		if ((st = guard_field(&h[i], g, &te, &host)) != 0) {
			g->field = (long)i;
			return st;
		}
	if (te > 1)
		return refuse(g, 400, "Transfer-Encoding repeated");
	if (te && g->content_length >= 0)
		return refuse(g, 400, "both Transfer-Encoding and Content-Length");
	if (te && http10)
		return refuse(g, 400, "Transfer-Encoding in an HTTP/1.0 request");
	if (host > 1)
		return refuse(g, 400, "more than one Host");
	g->chunked = te > 0;
	return 0;
}

/* "." or "..", its dots perhaps percent-encoded ("%2e%2E"). */
static int dot_segment(const char *s, size_t n)
{
	size_t dots = 0;

	for (size_t i = 0; i < n; dots++) {
		if (s[i] == '.')
			i++;
		else if (n - i >= 3 && s[i] == '%' && s[i + 1] == '2' &&
			 (s[i + 2] == 'e' || s[i + 2] == 'E'))
			i += 3;
		else
			return 0;
	}
	return dots == 1 || dots == 2;
}

/* Whether the path (to its query or fragment) has a dot segment. */
static int has_dot_segment(const char *path)
{
	size_t end = strcspn(path, "?#");

	for (size_t i = 0; i < end;) {
		size_t n;

		i += path[i] == '/';
		n = strcspn(path + i, "/?#");
		if (i + n > end)
			n = end - i;
		if (dot_segment(path + i, n))
			return 1;
		i += n;
	}
	return 0;
}

int proxy_target_url(const char *base, const char *target, struct buf *out,
		     struct rd_err *err)
{
	const char *path = target;

	if (strncasecmp(target, "http://", 7) == 0 ||
	    strncasecmp(target, "https://", 8) == 0) {
		/* absolute-form: the authority is the client's idea of where
		 * it sends; the upstream is ours, so only the path counts */
		path = strchr(target, ':') + 3;
		path += strcspn(path, "/?");
	} else if (target[0] != '/') {
		return rd_err_set(err, RD_E_INVAL,
				  "request target is neither a path nor an absolute URL");
	}
	for (const char *c = path; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return rd_err_set(err, RD_E_INVAL,
					  "request target holds a space, a control byte or a non-ASCII byte");
	/* behind an upstream's prefix, "/../admin" would climb out of it
	 * once the upstream resolved it; clients remove dot segments
	 * before they send (RFC 3986, 5.2.4) */
	if (has_dot_segment(path))
		return rd_err_set(err, RD_E_INVAL,
				  "request target holds a dot segment ('.' or '..')");
	buf_adds(out, base);
	if (path[0] != '/')
		buf_addc(out, '/');
	buf_adds(out, path);
	return 0;
}

int proxy_method_in(const char *method, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(method, list[i]) == 0)
			return 1;
	return 0;
}

/* The next line of [*p, end): its start and length without CR LF. */
static int next_line(const char **p, const char *end, const char **l,
		     size_t *n)
{
	const char *nl;

	if (*p >= end)
		return 0;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*l = *p;
	*n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	*p = nl ? nl + 1 : end;
	if (*n && (*l)[*n - 1] == '\r')
		(*n)--;
	return 1;
}

#define MAX_CONN_TOKENS 16

struct conn_tokens {
	const char *t[MAX_CONN_TOKENS];
	size_t n[MAX_CONN_TOKENS];
	size_t count;
};

/* The header names a Connection value lists, which are hop-by-hop too. */
static void add_tokens(struct conn_tokens *ct, const char *v, size_t vn)
{
	while (vn && ct->count < MAX_CONN_TOKENS) {
		size_t k = 0, tn;
		const char *t;

		while (k < vn && v[k] != ',')
			k++;
		tn = k;
		t = trim(v, &tn);
		if (tn) {
			ct->t[ct->count] = t;
			ct->n[ct->count++] = tn;
		}
		v += k < vn ? k + 1 : k;
		vn -= k < vn ? k + 1 : k;
	}
}

static int hop(const struct conn_tokens *ct, const char *name, size_t n)
{
	static const char *const fixed[] = {
		"connection", "keep-alive", "proxy-connection", "te", "trailer",
		"transfer-encoding", "upgrade", "content-length", NULL
	};

	for (size_t i = 0; fixed[i]; i++)
		if (ieq(name, n, fixed[i]))
			return 1;
	for (size_t i = 0; i < ct->count; i++)
		if (ct->n[i] == n && strncasecmp(ct->t[i], name, n) == 0)
			return 1;
	return 0;
}

int proxy_hop_name(const char *name, size_t n)
{
	struct conn_tokens ct;

	memset(&ct, 0, sizeof(ct));
	return hop(&ct, name, n);
}

size_t proxy_hop_drop(struct hdr *h, size_t n)
{
	struct conn_tokens ct;
	size_t k = 0;

	memset(&ct, 0, sizeof(ct));
	for (size_t i = 0; i < n; i++)
		if (ieq(h[i].name, h[i].name_len, "connection"))
			add_tokens(&ct, h[i].value, h[i].value_len);
	for (size_t i = 0; i < n; i++)
		if (!hop(&ct, h[i].name, h[i].name_len))
			h[k++] = h[i];
	return k;
}

/* Split a header line into name and trimmed value: 0, or RD_E_INVAL. */
static int split(const char *l, size_t n, const char **name, size_t *nn,
		 const char **v, size_t *vn)
{
	const char *c = memchr(l, ':', n);

	if (!c || c == l || !rec_hdr_name_valid(l, (size_t)(c - l)))
		return RD_E_INVAL;
	*name = l;
	*nn = (size_t)(c - l);
	*vn = n - *nn - 1;
	*v = trim(c + 1, vn);
	return rec_hdr_value_valid(*v, *vn) ? 0 : RD_E_INVAL;
}

int proxy_head_each(const char *head, size_t len,
		    int (*fn)(void *ctx, const char *name, size_t nlen,
			      const char *value, size_t vlen),
		    void *ctx, int64_t *content_length)
{
	const char *p = head, *end = head + len, *l, *name, *v;
	size_t n, nn, vn;
	struct conn_tokens ct = { .count = 0 };
	int ret, seen_cl = 0;

	*content_length = -1;
	if (!next_line(&p, end, &l, &n) || n < 5 || memcmp(l, "HTTP/", 5) != 0)
		return RD_E_INVAL;
	/* First the Connection values: they name more hop-by-hop fields. */
	for (const char *q = p; next_line(&q, end, &l, &n) && n;)
		if (split(l, n, &name, &nn, &v, &vn) == 0 &&
		    ieq(name, nn, "connection"))
			add_tokens(&ct, v, vn);
	while (next_line(&p, end, &l, &n) && n) {
		if (split(l, n, &name, &nn, &v, &vn) < 0)
			return RD_E_INVAL;
		if (ieq(name, nn, "content-length")) {
			int64_t cl = digits(v, vn);

			/* two that disagree: the length is not known */
			*content_length = seen_cl && cl != *content_length ? -1 : cl;
			seen_cl = 1;
		}
		if (hop(&ct, name, nn) || vn == 0)
			continue;
		if ((ret = fn(ctx, name, nn, v, vn)) != 0)
			return ret;
	}
	return 0;
}
