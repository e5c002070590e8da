/*
 * lineio.h - a line reader for the streaming paths, with a hard cap on
 * line length.  A line over the cap is never buffered whole: it is handed
 * out in chunks flagged LINEIO_OVER, so the caller can pass it on (to a
 * reject file) and refuse it without holding it in memory.
 */
#ifndef LINEIO_H
#define LINEIO_H

#include <stddef.h>
#include <stdint.h>

#include "rd.h"

enum {
	LINEIO_OVER = 1,       /* this chunk belongs to an oversized line */
	LINEIO_OVER_FIRST = 2, /* ... and is its first chunk */
	LINEIO_OVER_LAST = 4   /* ... and is its last chunk */
};

struct lineio {
	int fd;          /* borrowed */
	size_t max;      /* longest line accepted, without its newline */
	char *buf;
	size_t cap, start, end;
	int eof;
	int in_over;     /* inside an oversized line */
	uint64_t lineno; /* number of the line last returned */
};

void lineio_init(struct lineio *l, int fd, size_t max);
void lineio_release(struct lineio *l);

/*
 * Next line (without the newline, and without a CR before it) in *p, *n,
 * borrowed until the next call.  *flags is 0 for a normal line, else
 * LINEIO_* bits for a chunk of an oversized line.  A last line without a
 * newline is still returned.  Returns 1, 0 at end of input, or RD_E_IO.
 */
int lineio_next(struct lineio *l, const char **p, size_t *n, int *flags,
		struct rd_err *err);

/* 1 when a line (or more input) is available without blocking. */
int lineio_ready(struct lineio *l);

#endif
