/*
 * http_url.c - the engine's URL work (see http.h): escaping, the host of a
 * URL and --target rebasing, through libcurl's own URL parser so that
 * what is checked is what libcurl will connect to.  Errors name a URL
 * with its secrets masked.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "lazy.h"
#include "redact.h"
#include "xalloc.h"
#include "banned.h"

void http_escape(const char *s, struct buf *out)
{
	char *e = xcheck(curl_easy_escape(NULL, s, (int)strlen(s)));

	buf_adds(out, e);
	curl_free(e);
}

/* An error about a URL, which names it with its secrets masked. */
static int bad_url(struct rd_err *err, const char *url, const char *why)
{
	struct buf m;
	int ret;

	buf_init(&m);
	redact_url(NULL, url, strlen(url), &m);
	ret = rd_err_set(err, RD_E_INVAL, "'%s' %s", m.data ? m.data : "", why);
	buf_release(&m);
	return ret;
}

int http_url_host(const char *url, char *host, size_t n, struct rd_err *err)
{
	CURLU *u;
	char *h = NULL;
	size_t len;
	int ret = 0;

	if (lazy_curl_load(err) < 0)
		return RD_E_UNSUPP;
	u = xcheck(curl_url());

	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK) {
		ret = bad_url(err, url, "is not a valid URL");
		goto out;
	}
	len = strlen(h);
	if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
		memmove(h, h + 1, len - 2);
		h[len -= 2] = '\0';
	}
	if (len >= n) {
		ret = bad_url(err, url, "has a host that is too long");
		goto out;
	}
	for (size_t i = 0; i <= len; i++)
		host[i] = (h[i] >= 'A' && h[i] <= 'Z') ? (char)(h[i] + 32) : h[i];
out:
	curl_free(h);
	curl_url_cleanup(u);
	return ret;
}

/* The record's user:password goes with it to the new base, as its
 * captured headers do (an Authorization header among them), unless the
 * base names a user of its own. */
static void carry_userinfo(CURLU *u, CURLU *b)
{
	char *user = NULL, *pass = NULL, *have = NULL;

	if (curl_url_get(b, CURLUPART_USER, &have, 0) == CURLUE_OK) {
		curl_free(have);
		return;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, CURLU_URLENCODE) == CURLUE_OK) {
		curl_url_set(b, CURLUPART_USER, user, 0);
		if (curl_url_get(u, CURLUPART_PASSWORD, &pass, CURLU_URLENCODE) == CURLUE_OK)
			curl_url_set(b, CURLUPART_PASSWORD, pass, 0);
	}
	curl_free(user);
	curl_free(pass);
}

int http_url_rebase(const char *url, const char *base, struct buf *out,
		    struct rd_err *err)
{
	CURLU *u, *b;
	char *path = NULL, *query = NULL, *bs = NULL, *bpath = NULL;
	int ret = 0;
	size_t bl;

	if (lazy_curl_load(err) < 0)
		return RD_E_UNSUPP;
	u = xcheck(curl_url());
	b = xcheck(curl_url());

	if (curl_url_set(u, CURLUPART_URL, url, CURLU_PATH_AS_IS) != CURLUE_OK) {
		ret = bad_url(err, url, "is not a valid URL");
		goto out;
	}
	if (curl_url_set(b, CURLUPART_URL, base, 0) != CURLUE_OK) {
		ret = bad_url(err, base, "is not a valid base URL");
		goto out;
	}
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	carry_userinfo(u, b);
	curl_url_get(b, CURLUPART_PATH, &bpath, 0);
	curl_url_set(b, CURLUPART_PATH, NULL, 0);
	curl_url_set(b, CURLUPART_QUERY, NULL, 0);
	curl_url_set(b, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_get(b, CURLUPART_URL, &bs, 0) != CURLUE_OK) {
		ret = bad_url(err, base, "is not a valid base URL");
		goto out;
	}
	bl = strlen(bs);
	/* curl gives "http://h:1/" for an empty path: drop that slash. */
	if (bl && bs[bl - 1] == '/')
		bl--;
	buf_add(out, bs, bl);
	if (bpath && strcmp(bpath, "/") != 0) {
		size_t pl = strlen(bpath);

		buf_add(out, bpath, pl && bpath[pl - 1] == '/' ? pl - 1 : pl);
	}
	buf_adds(out, path ? path : "/");
	if (query) {
		buf_addc(out, '?');
		buf_adds(out, query);
	}
out:
	curl_free(path);
	curl_free(query);
	curl_free(bs);
	curl_free(bpath);
	curl_url_cleanup(u);
	curl_url_cleanup(b);
	return ret;
}
