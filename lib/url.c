/*
 * url.c - the absolute-URL scanner (see url.h).  One pass, no
 * allocation: it runs for every record an audit folds.
 */
#include <string.h>

#include "url.h"
#include "banned.h"

static void span(struct url_span *s, size_t from, size_t to)
{
	s->off = from;
	s->len = to - from;
	s->present = 1;
}

/* Host and port in s[a..e). */
static int host_port(const char *s, size_t a, size_t e, struct url_parts *p)
{
	size_t i;

	if (a < e && s[a] == '[') {
		const char *rb = memchr(s + a, ']', e - a);

		if (!rb)
			return -1;
		span(&p->host, a + 1, (size_t)(rb - s));
		p->ipv6 = 1;
		i = (size_t)(rb - s) + 1;
		if (i < e && s[i] != ':')
			return -1;
	} else {
		for (i = a; i < e && s[i] != ':'; i++)
			;
		span(&p->host, a, i);
	}
	if (i < e)
		span(&p->port, i + 1, e);
	return 0;
}

int url_split(const char *s, size_t n, struct url_parts *p)
{
	const char *sep = n >= 3 ? memmem(s, n, "://", 3) : NULL;
	size_t a, e, i;

	memset(p, 0, sizeof(*p));
	if (!sep || sep == s)
		return -1;
	for (i = 0; s + i < sep; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (i && ((s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
			     s[i] == '-' || s[i] == '.'))))
			return -1;
	span(&p->scheme, 0, (size_t)(sep - s));
	a = (size_t)(sep - s) + 3;
	for (e = a; e < n && s[e] != '/' && s[e] != '?' && s[e] != '#'; e++)
		;
	for (i = e; i > a; i--)
		if (s[i - 1] == '@') {
			span(&p->userinfo, a, i - 1);
			a = i;
			break;
		}
	if (host_port(s, a, e, p) < 0)
		return -1;
	for (i = e; i < n && s[i] != '?' && s[i] != '#'; i++)
		;
	span(&p->path, e, i);
	p->path.present = i > e;
	if (i < n && s[i] == '?') {
		a = i + 1;
		for (i = a; i < n && s[i] != '#'; i++)
			;
		span(&p->query, a, i);
	}
	if (i < n && s[i] == '#')
		span(&p->fragment, i + 1, n);
	return 0;
}

static int hex(unsigned char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

void url_pct_decode(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hex((unsigned char)s[i + 1]) >= 0 &&
		    hex((unsigned char)s[i + 2]) >= 0) {
			buf_addc(out, (char)(hex((unsigned char)s[i + 1]) * 16 +
					     hex((unsigned char)s[i + 2])));
			i += 2;
		} else {
			buf_addc(out, s[i]);
		}
	}
}
