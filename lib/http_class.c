/*
 * http_class.c - what a finished transfer means (see http.h): the
 * Retry-After header, the set of statuses that count as delivered, and
 * the class of an outcome.  No libcurl here but its date parser.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "banned.h"

int64_t http_parse_retry_after(const char *v, size_t n, int64_t now_ms)
{
	char tmp[128];
	time_t t;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	if (v[0] >= '0' && v[0] <= '9') {
		int64_t s = 0;

		for (size_t i = 0; i < n; i++) {
			if (v[i] < '0' || v[i] > '9')
				return -1;
			if (s > 100000000)
				return -1;
			s = s * 10 + (v[i] - '0');
		}
		return s * 1000;
	}
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	if ((t = curl_getdate(tmp, NULL)) < 0)
		return -1;
	return (int64_t)t * 1000 > now_ms ? (int64_t)t * 1000 - now_ms : 0;
}

void http_okset_default(struct http_okset *s)
{
	memset(s, 0, sizeof(*s));
	for (int c = 200; c < 300; c++)
		s->bits[c / 64] |= 1ULL << (c % 64);
}

static int parse_status(const char *p, const char *end, int *out)
{
	int v = 0;

	if (end - p != 3)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v < 100 || v > 599)
		return -1;
	*out = v;
	return 0;
}

int http_okset_parse(const char *spec, struct http_okset *s,
		     struct rd_err *err)
{
	const char *p = spec;

	memset(s, 0, sizeof(*s));
	while (*p) {
		const char *end = strchr(p, ',');
		const char *dash;
		int lo, hi;

		if (!end)
			end = p + strlen(p);
		dash = memchr(p, '-', (size_t)(end - p));
		if (end - p == 3 && p[0] >= '1' && p[0] <= '5' &&
		    (p[1] == 'x' || p[1] == 'X') && (p[2] == 'x' || p[2] == 'X')) {
			lo = (p[0] - '0') * 100;
			hi = lo + 99;
		} else if (dash) {
			if (parse_status(p, dash, &lo) < 0 ||
			    parse_status(dash + 1, end, &hi) < 0 || hi < lo)
				goto bad;
		} else {
			if (parse_status(p, end, &lo) < 0)
				goto bad;
			hi = lo;
		}
		for (int c = lo; c <= hi; c++)
			s->bits[c / 64] |= 1ULL << (c % 64);
		if (*end && !end[1]) {
			p = end;
			goto bad; /* a trailing comma */
		}
		p = *end ? end + 1 : end;
		continue;
bad:
		return rd_err_set(err, RD_E_INVAL,
				  "bad status set '%s' at '%.*s': use codes, ranges or classes like 200-299,304 or 2xx",
				  spec, (int)(end - p), p);
	}
	for (size_t i = 0; i < sizeof(s->bits) / sizeof(s->bits[0]); i++)
		if (s->bits[i])
			return 0;
	return rd_err_set(err, RD_E_INVAL, "empty status set");
}

int http_okset_has(const struct http_okset *s, int status)
{
	if (status < 0 || status >= 640)
		return 0;
	return (s->bits[status / 64] >> (status % 64)) & 1;
}

enum http_class http_classify(const struct http_res *res,
			      const struct http_okset *ok)
{
	if (res->err == HTTP_ERR_REFUSED || res->err == HTTP_ERR_OTHER)
		return HTTP_PERMANENT;
	if (res->err != HTTP_ERR_NONE)
		return HTTP_RETRY;
	if (http_okset_has(ok, res->status))
		return HTTP_OK;
	if (res->status == 408 || res->status == 429 || res->status >= 500)
		return HTTP_RETRY;
	return HTTP_PERMANENT;
}

const char *http_class_name(enum http_class c)
{
	switch (c) {
	case HTTP_OK: return "ok";
	case HTTP_RETRY: return "retry";
	case HTTP_PERMANENT: break;
	}
	return "permanent";
}
