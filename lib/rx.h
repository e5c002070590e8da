/*
 * rx.h - regular expressions given by users, through PCRE2.
 *
 * Patterns are compiled once (JIT where the library has it) with match
 * and depth limits, so a pathological pattern fails a match instead of
 * hanging a tool.  The pcre2 types never leave this module.
 */
#ifndef RX_H
#define RX_H

#include <stddef.h>

#include "buf.h"
#include "rd.h"

struct rx;

/* Compile pattern.  RD_E_INVAL with the offset and PCRE2's reason when it
 * does not compile.  Caller frees with rx_free. */
int rx_new(const char *pattern, struct rx **out, struct rd_err *err);
void rx_free(struct rx *r);
/* 1 on a match anywhere in s[0..n), 0 on none, RD_E_FULL when a limit
 * stopped the match. */
int rx_match(struct rx *r, const char *s, size_t n);

/* Append s[0..n) to out with every match replaced by repl (taken
 * literally).  Returns the number of replacements, or RD_E_FULL when a
 * limit stopped the match (s is then appended unchanged). */
int rx_replace(struct rx *r, const char *s, size_t n, const char *repl,
	       struct buf *out);

#endif
