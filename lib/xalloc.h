/*
 * xalloc.h - allocation that cannot fail.  Out of memory aborts the process
 * here, in one place; every other failure in lib/ is returned.
 */
#ifndef XALLOC_H
#define XALLOC_H

#include <stddef.h>

/* Caller frees with free(). */
/* p, or abort when it is NULL: for allocations made by libraries. */
void *xcheck(void *p);
void *xmalloc(size_t n);
/* Zeroed; overflow of n*size aborts.  Caller frees with free(). */
void *xcalloc(size_t n, size_t size);
/* Like realloc; never returns NULL for n > 0. */
void *xrealloc(void *p, size_t n);
/* Copy of a NUL-terminated string.  Caller frees with free(). */
char *xstrdup(const char *s);
/* Copy of n bytes plus a terminating NUL.  Caller frees with free(). */
char *xmemdup(const void *p, size_t n);

#endif
