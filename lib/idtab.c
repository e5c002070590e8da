/*
 * idtab.c - id to entry index (see idtab.h).
 */
#include <stdlib.h>
#include <string.h>

#include "idtab.h"
#include "xalloc.h"
#include "banned.h"

static uint64_t hash(const unsigned char *id)
{
	uint64_t h;

	memcpy(&h, id + 8, sizeof(h));
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

void idtab_init(struct idtab *t, size_t stride)
{
	memset(t, 0, sizeof(*t));
	t->stride = stride;
}

void idtab_release(struct idtab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->nslots = 0;
}

static void put(struct idtab *t, size_t idx)
{
	size_t mask = t->nslots - 1;
	size_t s = (size_t)hash(t->base + idx * t->stride) & mask;

	while (t->slots[s])
		s = (s + 1) & mask;
	t->slots[s] = (uint32_t)(idx + 1);
}

void idtab_rebuild(struct idtab *t, const void *base, size_t n)
{
	size_t want = 2048;

	while (want < n * 2)
		want *= 2;
	free(t->slots);
	t->nslots = want;
	t->slots = xcalloc(want, sizeof(*t->slots));
	t->base = base;
	for (size_t i = 0; i < n; i++)
		put(t, i);
}

long idtab_find(struct idtab *t, const void *base, const unsigned char *id)
{
	size_t mask, s;

	if (!t->nslots)
		return -1;
	t->base = base;
	mask = t->nslots - 1;
	for (s = (size_t)hash(id) & mask; t->slots[s]; s = (s + 1) & mask) {
		size_t idx = t->slots[s] - 1;

		if (memcmp(t->base + idx * t->stride, id, REC_ID_BIN) == 0)
			return (long)idx;
	}
	return -1;
}

void idtab_add(struct idtab *t, const void *base, size_t idx, size_t n)
{
	if (n * 2 > t->nslots) {
		idtab_rebuild(t, base, n);
		return;
	}
	t->base = base;
	put(t, idx);
}
