/*
 * rawhttp.h - parse one raw HTTP/1.1 request message (as pasted from a
 * proxy log or captured with `nc -l`) into method, absolute URL, headers
 * and body.
 *
 * The parser is strict where ambiguity would change what is replayed:
 * obsolete line folding, bare CR, both Content-Length and
 * Transfer-Encoding, and conflicting Content-Lengths are refused.  A
 * chunked body is decoded; the Transfer-Encoding header is then replaced
 * by a Content-Length, so the stored request says what will be sent.  It
 * does not validate header values beyond NUL (rec_ does the rest).
 */
#ifndef RAWHTTP_H
#define RAWHTTP_H

#include <stddef.h>

#include "rd.h"

#define RAWHTTP_MAX_HEAD 65536
#define RAWHTTP_MAX_HEADERS 200

struct rawhttp_hdr {
	char *name;       /* owned, NUL-terminated, case kept */
	char *value;      /* owned, NUL-terminated, surrounding blanks trimmed */
	size_t value_len;
};

struct rawhttp_req {
	char *method;               /* owned */
	char *url;                  /* owned, scheme://host[:port]/path?query */
	struct rawhttp_hdr *hdrs;   /* owned, in order, duplicates kept */
	size_t nhdrs;
	char *body;                 /* owned, NULL when there is no body */
	size_t body_len;
};

void rawhttp_req_init(struct rawhttp_req *r);
/* Free everything; r is left initialised and reusable. */
void rawhttp_req_release(struct rawhttp_req *r);

/*
 * Parse one message at p (n bytes available).  scheme ("http" or "https")
 * and the Host header make the URL of an origin-form target absolute.  On
 * success returns 0 and sets *used to the bytes consumed, so pipelined
 * messages can follow.  On failure returns RD_E_INVAL with err->msg
 * "byte N: reason", N being the offset from p of the offending byte, and r
 * is left empty.
 */
int rawhttp_parse(const char *p, size_t n, const char *scheme,
		  struct rawhttp_req *r, size_t *used, struct rd_err *err);

#endif
