/*
 * rawhttp.h - parse raw HTTP/1.1 request messages (as pasted from a proxy
 * log or captured with `nc -l`) into method, absolute URL, headers and
 * body.
 *
 * The parser is strict wherever a looser reading could change what is
 * replayed, or where two servers could disagree on where a message ends
 * (RFC 9112, with llhttp's strict mode as the reference; rd-capture(1)
 * lists the deliberate differences):
 *  - a message uses one line ending throughout: the request line's, CRLF
 *    or LF.  A bare CR, a bare LF in a CRLF message or a CRLF in an LF
 *    message is refused with its byte offset;
 *  - obsolete line folding, whitespace before a colon or after the
 *    request line, and control bytes in field values are refused;
 *  - both Content-Length and Transfer-Encoding, more than one
 *    Content-Length, a transfer coding other than a final chunked, and
 *    a chunk line that is not `HEX[;ext[=value]]...` are refused;
 *  - after a request that ends its connection (Connection: close, HTTP/1.0
 *    without keep-alive, an upgrade), nothing more is read as a request.
 *
 * A chunked body is decoded; the Transfer-Encoding header is then replaced
 * by a Content-Length, so the stored request says what will be sent.
 * Trailer fields are checked like header fields, then dropped.
 *
 * Deliberately not here: HTTP/0.9, HTTP/2 and RTSP or ICE messages;
 * CONNECT (authority-form) and asterisk-form targets; keeping trailers.
 * Values are not interpreted beyond framing, Connection and Host.
 */
#ifndef RAWHTTP_H
#define RAWHTTP_H

#include <stddef.h>

#include "buf.h"
#include "hdr.h"
#include "rd.h"
#include "rec.h"

#define RAWHTTP_MAX_HEAD 65536   /* header section, and trailer section */
/* header fields, and trailer fields: a record's limit, as for every input */
#define RAWHTTP_MAX_HEADERS REC_MAX_HEADERS

/* What may follow a request on its connection. */
enum rawhttp_after {
	RAWHTTP_MORE = 0,   /* another request */
	RAWHTTP_CLOSE,      /* nothing: Connection: close */
	RAWHTTP_CLOSE_10,   /* nothing: HTTP/1.0 without Connection: keep-alive */
	RAWHTTP_UPGRADE     /* another protocol: Connection: upgrade + Upgrade */
};

struct rawhttp_req {
	char *method;               /* owned */
	char *url;                  /* owned, scheme://host[:port]/path?query */
	/* In order, duplicates kept, names' case kept, values without the
	 * blanks around them; the array is owned, and names and values point
	 * into hbytes, where each is also NUL-terminated. */
	struct hdr *hdrs;
	size_t nhdrs;
	struct buf hbytes;          /* owned: the bytes of every header */
	char *body;                 /* owned, NULL when there is no body */
	size_t body_len;
	int minor;                  /* HTTP/1.minor: 0 or 1 */
	enum rawhttp_after after;
};

void rawhttp_req_init(struct rawhttp_req *r);
/* Free everything; r is left initialised and reusable. */
void rawhttp_req_release(struct rawhttp_req *r);

/*
 * Parse one message at p (n bytes available); empty lines before it are
 * skipped.  scheme ("http" or "https") and the Host header make the URL
 * of an origin-form target absolute.  With scheme NULL the message is
 * checked just the same but no URL is made, and a missing Host is not an
 * error.  On success returns 0 and sets *used to the bytes consumed, so
 * pipelined messages can follow.  On failure returns RD_E_INVAL with
 * err->msg "byte N: reason", N being the offset from p of the offending
 * byte (or of the line of a header whose value is wrong as a whole, such
 * as a second Content-Length), and r is left empty.
 */
int rawhttp_parse(const char *p, size_t n, const char *scheme,
		  struct rawhttp_req *r, size_t *used, struct rd_err *err);

/* Pipelined messages in one buffer, read as one connection would be. */
struct rawhttp_stream {
	const char *p;              /* borrowed for the stream's lifetime */
	size_t n;
	size_t pos;                 /* where the next message may start */
	enum rawhttp_after after;   /* of the last message read */
};

void rawhttp_stream_init(struct rawhttp_stream *s, const char *p, size_t n);

/*
 * The next message of s, parsed as by rawhttp_parse into r (emptied
 * first; the caller releases it as after rawhttp_parse).  Empty lines
 * (CRLF or LF) between messages are skipped, and so are blanks (SP, HTAB,
 * CR, LF) at the end of the input.  Returns 1 with the message in r and
 * its place in p in *start and *len; 0 when no message is left; or
 * RD_E_INVAL with err->msg "byte N: reason", N counted from *start, after
 * which the stream is lost: where the next message would start is unknown.
 * Data after a message that ends its connection is such an error.
 */
int rawhttp_next(struct rawhttp_stream *s, const char *scheme,
		 struct rawhttp_req *r, size_t *start, size_t *len,
		 struct rd_err *err);

#endif
