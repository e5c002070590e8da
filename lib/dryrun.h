/*
 * dryrun.h - a request as `rd-replay --dry-run` shows it: a curl command
 * line that sends the same request, or the raw HTTP/1.1 message.
 *
 * Both renderings send what the engine would send (lib/http.h): the
 * method, the headers in order with duplicates, the body bytes, and no
 * framing header of the record's own (the transport frames).  The raw
 * message has exactly one Host header: the record's own when it has one
 * (a request captured with --raw keeps its Host, and libcurl sends that
 * one instead of its own), else the URL's authority, which is what
 * libcurl would add: host and port, never the userinfo.  A URL's
 * user:password@ becomes the Authorization libcurl makes of it (Basic),
 * unless the record has its own, and Content-Length is there only when
 * the engine sends a body (http_req_has_body).  Nothing here prints: the
 * text is appended to a buf.
 *
 * With a redactor, secrets are masked as everywhere else (redact.h): the
 * values of credential headers, and a URL's userinfo and credential query
 * values.  The text then shows the request without sending it anywhere;
 * only without one (rd-replay --no-redact) can it be pasted and sent.
 */
#ifndef DRYRUN_H
#define DRYRUN_H

#include "buf.h"
#include "http.h"
#include "redact.h"

/* A curl(1) command line for q, single-quoted for a POSIX shell, with a
 * newline; it drops the headers curl would add on its own (User-Agent,
 * Accept, a form Content-Type, Expect) when q has none, so that run, it
 * sends what a replay sends.  The body is --data-binary, or --data-raw
 * when it starts with '@' (which --data-binary would read as a file). */
void dryrun_curl(struct buf *b, const struct http_req *q,
		 const struct redact *red);

/* The raw HTTP/1.1 message for q (CRLF line ends, Content-Length), then
 * a newline after the body. */
void dryrun_raw(struct buf *b, const struct http_req *q,
		const struct redact *red);

#endif
