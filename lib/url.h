/*
 * url.h - the one scanner of absolute URLs (scheme://authority/path?query
 * #fragment, RFC 3986): where each part lies, by offset, without copying
 * or decoding anything; and the decoding of one part, for who needs it.
 *
 * It only finds parts; it does not judge them.  Whether a host or port is
 * acceptable is the caller's question (rec_ validates stored URLs, the
 * sender's allow-list checks hosts), and sending is libcurl's job.
 */
#ifndef URL_H
#define URL_H

#include <stddef.h>

#include "buf.h"

struct url_span {
	size_t off, len;
	int present;     /* the delimiter was there (an empty "?" is present) */
};

struct url_parts {
	struct url_span scheme;     /* before "://" */
	struct url_span userinfo;   /* before the last '@' of the authority */
	struct url_span host;       /* without brackets for an IPv6 literal */
	struct url_span port;       /* after ':' */
	struct url_span path;       /* from '/', may be empty */
	struct url_span query;      /* after '?', without it */
	struct url_span fragment;   /* after '#', without it */
	int ipv6;                   /* the host was a [bracketed] literal */
};

/* Split s[0..n).  Returns 0, or -1 when s has no "scheme://" or its
 * authority is malformed (an unclosed '['). */
int url_split(const char *s, size_t n, struct url_parts *p);

/* Append s[0..n) with each %XX (two hex digits) decoded; a '%' not
 * followed by two hex digits stays as it is. */
void url_pct_decode(const char *s, size_t n, struct buf *out);

#endif
