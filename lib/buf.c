/*
 * buf.c - growable byte buffer.  Growth doubles; allocation failure aborts
 * in xalloc.
 */
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"
#include "banned.h"

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *buf_reserve(struct buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < b->len + n + 1) {
			if (cap > ((size_t)-1) / 2)
				abort();
			cap *= 2;
		}
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	return b->data + b->len;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	char *d = buf_reserve(b, n);

	if (n)
		memcpy(d, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(b->data ? b->data + b->len : NULL,
		      b->data ? b->cap - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if (!b->data || (size_t)n >= b->cap - b->len) {
		buf_reserve(b, (size_t)n);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *d = b->data ? b->data : xstrdup("");

	if (len)
		*len = b->len;
	buf_init(b);
	return d;
}

int buf_read_fd(struct buf *b, int fd, size_t max, struct rd_err *err)
{
	size_t start = b->len;

	for (;;) {
		char *d = buf_reserve(b, 65536);
		ssize_t k = read(fd, d, 65536);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return rd_err_sys(err, errno, "read input");
		if (k == 0)
			return 0;
		b->len += (size_t)k;
		b->data[b->len] = '\0';
		if (b->len - start > max)
			return rd_err_set(err, RD_E_FULL,
					  "input is larger than the %zu-byte limit",
					  max);
	}
}

int buf_write_fd(const struct buf *b, int fd, size_t *done)
{
	size_t off = 0;
	int ret = 0;

	while (off < b->len) {
		ssize_t k = write(fd, b->data + off, b->len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			ret = -errno;
			break;
		}
		off += (size_t)k;
	}
	if (done)
		*done = off;
	return ret;
}
