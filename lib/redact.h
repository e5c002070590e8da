/*
 * redact.h - keeping secrets out of what people read.
 *
 * Header values whose names carry credentials (Proxy-Authorization,
 * Cookie, Set-Cookie, and names containing api-key, apikey, api_key,
 * token, secret, passw, signature, credential, session or auth, or named
 * key, sig, pwd, code or access_key) are replaced by "[REDACTED]"; so are
 * a URL's userinfo (user:password@) and the values of query parameters
 * with such names, in a record's URL and in the URLs an error message
 * names.  User patterns (PCRE2) blank whole header values and
 * query values whose name matches, and every match inside URLs and
 * bodies.  Records are rewritten through
 * their canonical form, so a redacted line is still a valid record.
 */
#ifndef REDACT_H
#define REDACT_H

#include <stddef.h>

#include "buf.h"
#include "rd.h"
#include "rec.h"

struct redact;

/* patterns: user REGEXes (may be none).  RD_E_INVAL for one that does
 * not compile.  Caller frees with redact_free. */
int redact_new(const char *const *patterns, size_t n, struct redact **out,
	       struct rd_err *err);
void redact_free(struct redact *r);

/* 1 when a header of this name is a secret. */
int redact_header_name(const struct redact *r, const char *name, size_t n);

/* Append the canonical line of q with secrets replaced (with its
 * newline). */
void redact_req_to_json(struct redact *r, const struct rec_req *q,
			struct buf *out);

/* Append url with its userinfo and secret query values masked (r may be
 * NULL: the built-in names only).  One that does not parse still has
 * what stands between "://" and an '@' masked, and its secret query
 * values. */
void redact_url(const struct redact *r, const char *url, size_t n,
		struct buf *out);

/* The same, with the built-in names only, into out[0..n) (cut to fit,
 * NUL-terminated); returns out.  For a URL named in a message. */
const char *redact_url_to(const char *url, char *out, size_t n);

/* Free text (an error message, a reason): each URL in it masked as
 * redact_url masks one, the query of each path ("/a?token=...") as a
 * URL's, then user-pattern matches replaced; appended to out. */
void redact_msg(struct redact *r, const char *s, size_t n, struct buf *out);

/* The canonical line of an event (with its newline): the response's
 * secret headers masked, its error and reason as redact_msg, its body
 * as redact_text. */
void redact_event_to_json(struct redact *r, const struct rec_event *e,
			  struct buf *out);

/* Replace user-pattern matches in s[0..n) by "[REDACTED]", appending to
 * out. */
void redact_text(struct redact *r, const char *s, size_t n, struct buf *out);

#endif
