/*
 * b64.h - standard base64 (RFC 4648 section 4: the "+/" alphabet with '='
 * padding), used for request bodies that are not valid UTF-8.
 *
 * Decoding is strict so that every byte string has exactly one accepted
 * spelling apart from the padding: no whitespace, no line breaks, no
 * URL-safe alphabet and no stray bits in the last character.  Padding may
 * be left out, but when it is present it must be complete.
 */
#ifndef B64_H
#define B64_H

#include <stddef.h>

#include "buf.h"
#include "rd.h"

/* Append the padded base64 of p[0..n) to out (out->data is a valid string
 * afterwards even when n is 0).  p may be NULL when n is 0. */
void b64_encode(struct buf *out, const void *p, size_t n);

/*
 * Append the bytes that s[0..n) encodes to out.  Returns 0, or RD_E_INVAL
 * with err set to "byte N: invalid base64 character", "byte N: misplaced
 * '=' padding", "byte N: incomplete '=' padding", "byte N: non-zero
 * trailing bits" or "truncated base64" (a lone final character), N being
 * the 0-based offset in s.  On error out is restored to its length at the
 * call.  s may be NULL when n is 0.
 */
int b64_decode(struct buf *out, const char *s, size_t n, struct rd_err *err);

#endif
