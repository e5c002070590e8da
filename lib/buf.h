/*
 * buf.h - a growable byte buffer, the one used for building output, gzip
 * members and JSON lines.  Always NUL-terminated past len, so text in it can
 * be passed to string functions; binary content may hold NULs too.
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "rd.h"

struct buf {
	char *data; /* NULL until the first append; owned */
	size_t len;
	size_t cap;
};

/* Initialise an empty buffer (no allocation). */
void buf_init(struct buf *b);
/* Free the storage; b is left empty and reusable. */
void buf_release(struct buf *b);
/* Drop the content, keep the storage. */
void buf_reset(struct buf *b);
/* Make room for n more bytes; returns a pointer to the free space. */
char *buf_reserve(struct buf *b, size_t n);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Take the storage; caller frees with free().  b is left empty. */
char *buf_detach(struct buf *b, size_t *len);

/*
 * Append everything readable from fd until end of file, refusing to hold
 * more than max bytes in b: past it, RD_E_FULL with err naming the limit
 * (what is read so far stays in b).  RD_E_IO when a read fails.
 */
int buf_read_fd(struct buf *b, int fd, size_t max, struct rd_err *err);

/*
 * Write all of b to fd, retrying short writes and EINTR.  Returns 0, or
 * -errno of the failing write (such as -EPIPE); *done receives the bytes
 * written either way.
 */
int buf_write_fd(const struct buf *b, int fd, size_t *done);

#endif
