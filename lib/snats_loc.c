/*
 * snats_loc.c - a NATS spool location, nats://[user[:pass]@]host:port
 * [,host:port...]/STREAM, taken apart for the connection (see snats.h).
 * The password goes to the library and nowhere else: the location as
 * shown masks it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "snats.h"
#include "xalloc.h"
#include "banned.h"

void snats_loc_release(struct snats_loc *l)
{
	for (int i = 0; i < l->nservers; i++)
		free(l->servers[i]);
}

static int stream_name_ok(const char *s, size_t n)
{
	if (!n || n > SNATS_STREAM_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* nats://[user:pass@]host:port[,host:port...]/STREAM */
int snats_loc_parse(const char *where, struct snats_loc *l, char *shown,
		    size_t shown_n,
		     struct rd_err *err)
{
	const char *p = where + 7, *slash = strchr(p, '/'), *at, *h;

	memset(l, 0, sizeof(*l));
	/* the password is never shown, in any message */
	cli_spool_shown(where, shown, shown_n);
	if (!slash)
		return rd_err_set(err, RD_E_INVAL,
				  "'%s': no stream name (nats://host:port/STREAM)", shown);
	at = memchr(p, '@', (size_t)(slash - p));
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		size_t un = (size_t)((colon ? colon : at) - p);

		if (un >= sizeof(l->user) || (colon && (size_t)(at - colon - 1) >= sizeof(l->pass)))
			return rd_err_set(err, RD_E_INVAL, "nats location: user or password too long");
		memcpy(l->user, p, un);
		if (colon)
			memcpy(l->pass, colon + 1, (size_t)(at - colon - 1));
		p = at + 1;
	}
	if (!stream_name_ok(slash + 1, strlen(slash + 1)))
		return rd_err_set(err, RD_E_INVAL,
				  "'%s': the stream name must be 1 to %d letters, digits, '-' or '_'",
				  shown, SNATS_STREAM_MAX);
	snprintf(l->stream, sizeof(l->stream), "%s", slash + 1);
	for (h = p; h < slash;) {
		const char *e = memchr(h, ',', (size_t)(slash - h));
		size_t n = (size_t)((e ? e : slash) - h);
		char *s;

		if (!n || l->nservers == 16)
			return rd_err_set(err, RD_E_INVAL,
					  "'%s': expected host:port[,host:port...] (at most 16)", shown);
		s = xmalloc(n + 8);
		snprintf(s, n + 8, "nats://%.*s", (int)n, h);
		l->servers[l->nservers++] = s;
		h = e ? e + 1 : slash;
	}
	if (!l->nservers)
		return rd_err_set(err, RD_E_INVAL, "'%s': no server", shown);
	return 0;
}
