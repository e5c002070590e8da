/*
 * hdr.c - the header field type (see hdr.h).
 */
#include "hdr.h"

#include <string.h>
#include <strings.h>

#include "banned.h"

int hdr_is(const struct hdr *h, const char *name)
{
	size_t n = strlen(name);

	return h->name_len == n && strncasecmp(h->name, name, n) == 0;
}

size_t hdr_find(const struct hdr *h, size_t n, size_t from, const char *name)
{
	for (size_t i = from; i < n; i++)
		if (hdr_is(&h[i], name))
			return i;
	return n;
}

void hdr_own(struct hdr *h, size_t n, struct buf *arena)
{
	size_t at = arena->len;

	/* All bytes first: the arena may move while it grows. */
	for (size_t i = 0; i < n; i++) {
		buf_add(arena, h[i].name, h[i].name_len);
		buf_addc(arena, '\0');
		buf_add(arena, h[i].value, h[i].value_len);
		buf_addc(arena, '\0');
	}
	for (size_t i = 0; i < n; i++) {
		h[i].name = arena->data + at;
		at += h[i].name_len + 1;
		h[i].value = arena->data + at;
		at += h[i].value_len + 1;
	}
}
