/*
 * proxy_head.h - how rd-proxy reads message heads, with no I/O and no
 * server library: which request heads it refuses (request smuggling and
 * malformed fields), how a request target becomes the upstream URL, and
 * which lines of an upstream's head it relays.  Pure functions, so the
 * fuzzer drives them directly (tests/fuzz/fuzz_proxy.c).
 *
 * Request framing is the server library's; what it is lenient about is
 * refused here, before anything is forwarded or captured:
 *  - Transfer-Encoding and Content-Length together (RFC 9112 6.1: a
 *    sender must not, and an intermediary must not trust either);
 *  - Transfer-Encoding other than exactly one "chunked" (an encoding the
 *    upstream may read differently), and on HTTP/1.0;
 *  - Content-Length that is not all digits, or repeated with different
 *    values;
 *  - more than one Host;
 *  - header names that are not tokens, values with CR, LF, NUL or other
 *    control bytes, more headers than a record keeps.
 * Deliberately not here: the bytes between the fields (line endings),
 * which only the server sees; see proxy_server.c.
 */
#ifndef PROXY_HEAD_H
#define PROXY_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hdr.h"
#include "rd.h"

struct proxy_guard {
	int64_t content_length;   /* -1: none */
	int chunked;
	const char *why;          /* of a refusal, static */
	long field;               /* the field refused (its index), -1: the
				   * head as a whole */
};

/*
 * Judge a request head: 0 when it may go on (g filled), else the status
 * to refuse it with (400, or 431 for too many headers) and g->why.
 * http10: the request line said HTTP/1.0.
 */
int proxy_guard(const struct hdr *h, size_t n, int http10,
		struct proxy_guard *g);

/*
 * The upstream URL of a request target, appended to out: base (no
 * trailing '/') followed by the target's path and query.  The target is
 * origin-form ("/p?q") or absolute-form ("http://host/p?q", whose path is
 * used); anything else (authority-form, "*") is RD_E_INVAL.
 */
int proxy_target_url(const char *base, const char *target, struct buf *out,
		     struct rd_err *err);

/* 1 when method (a token) is one of the list (case-sensitive, as methods
 * are). */
int proxy_method_in(const char *method, const char *const *list, size_t n);

/*
 * Walk an upstream head (status line, header lines, blank line, as
 * received) and call fn with each header to relay: not a hop-by-hop one
 * (Connection and the names it lists, Keep-Alive, Proxy-Connection, TE,
 * Trailer, Transfer-Encoding, Upgrade), not Content-Length (the server
 * frames the answer), and with a value.  *content_length gets the
 * Content-Length, -1 when there is none or it is not one number.
 * Returns 0, the first non-zero fn return, or RD_E_INVAL for a head that
 * is not status line and header lines.
 */
int proxy_head_each(const char *head, size_t len,
		    int (*fn)(void *ctx, const char *name, size_t nlen,
			      const char *value, size_t vlen),
		    void *ctx, int64_t *content_length);

/* 1 when name is always hop-by-hop or framing (Connection,
 * Transfer-Encoding, Content-Length...), so never forwarded as sent. */
int proxy_hop_name(const char *name, size_t n);

/* Drop from h[0..n) a request's hop-by-hop fields, the same as
 * proxy_head_each leaves out of an answer (Connection and the names it
 * lists among them), keeping the others in order; returns how many are
 * left. */
size_t proxy_hop_drop(struct hdr *h, size_t n);

#endif
