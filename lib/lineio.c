/*
 * lineio.c - buffered line reader with a length cap.  Reads in large
 * chunks; the buffer never grows beyond the cap plus one chunk.
 */
#include "lineio.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"
#include "banned.h"

#define CHUNK (1u << 20)

void lineio_init(struct lineio *l, int fd, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->max = max;
}

void lineio_release(struct lineio *l)
{
	if (!l)
		return;
	free(l->buf);
	l->buf = NULL;
	l->cap = l->start = l->end = 0;
}

static int fill(struct lineio *l, struct rd_err *err)
{
	ssize_t k;

	if (l->start > 0 && l->start == l->end)
		l->start = l->end = 0;
	if (l->end + CHUNK > l->cap) {
		if (l->start > 0) {
			memmove(l->buf, l->buf + l->start, l->end - l->start);
			l->end -= l->start;
			l->start = 0;
		}
		if (l->end + CHUNK > l->cap) {
			l->cap = l->end + CHUNK;
			l->buf = xrealloc(l->buf, l->cap);
		}
	}
	do
		k = read(l->fd, l->buf + l->end, CHUNK);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return rd_err_sys(err, errno, "read input");
	if (k == 0)
		l->eof = 1;
	l->end += (size_t)k;
	return 0;
}

int lineio_next(struct lineio *l, const char **p, size_t *n, int *flags,
		struct rd_err *err)
{
	int ret;

	for (;;) {
		char *s = l->buf + l->start;
		size_t avail = l->end - l->start;
		size_t look = avail;
		char *nl;

		if (!l->in_over && look > l->max + 1)
			look = l->max + 1;
		nl = avail ? memchr(s, '\n', look) : NULL;
		if (l->in_over) {
			/* Hand the oversized line out in pieces. */
			if (nl || l->eof || avail >= CHUNK) {
				size_t take = nl ? (size_t)(nl - s) : avail;

				*p = s;
				*n = take;
				*flags = LINEIO_OVER | (nl || l->eof ? LINEIO_OVER_LAST : 0);
				l->start += take + (nl ? 1 : 0);
				if (nl || l->eof)
					l->in_over = 0;
				return 1;
			}
		} else if (nl) {
			size_t len = (size_t)(nl - s);

			*p = s;
			*n = len && s[len - 1] == '\r' ? len - 1 : len;
			*flags = 0;
			l->start += len + 1;
			l->lineno++;
			return 1;
		} else if (avail > l->max) {
			/* Oversized: its end may already be in the buffer,
			 * with the next lines after it. */
			char *end = memchr(s, '\n', avail);
			size_t take = end ? (size_t)(end - s) : avail;

			l->lineno++;
			l->in_over = !end;
			*p = s;
			*n = take;
			*flags = LINEIO_OVER | LINEIO_OVER_FIRST |
				 (end ? LINEIO_OVER_LAST : 0);
			l->start += take + (end ? 1 : 0);
			return 1;
		} else if (l->eof) {
			if (!avail)
				return 0;
			*p = s;
			*n = avail && s[avail - 1] == '\r' ? avail - 1 : avail;
			*flags = 0;
			l->start = l->end;
			l->lineno++;
			return 1;
		}
		if ((ret = fill(l, err)) < 0)
			return ret;
	}
}

int lineio_ready(struct lineio *l)
{
	struct pollfd pfd;

	if (l->eof || (l->end > l->start &&
			 memchr(l->buf + l->start, '\n', l->end - l->start)))
		return 1;
	pfd.fd = l->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) > 0;
}
