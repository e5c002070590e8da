/*
 * expo_fam.c - the metric families of an exposition page (see
 * expo_fam.h): open addressing on an FNV-1a hash, names kept in one
 * buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "expo_fam.h"
#include "xalloc.h"
#include "banned.h"

void expo_famtab_init(struct expo_famtab *t)
{
	memset(t, 0, sizeof(*t));
	buf_init(&t->names);
}

void expo_famtab_release(struct expo_famtab *t)
{
	buf_release(&t->names);
	free(t->v);
	free(t->slots);
}


static long fam_find(const struct expo_famtab *t, const char *name, size_t n)
{
	size_t mask = t->nslots - 1;

	if (!t->nslots)
		return -1;
	for (size_t i = expo_hash(name, n) & mask;; i = (i + 1) & mask) {
		const struct expo_fam *f;

		if (!t->slots[i])
			return -1;
		f = &t->v[t->slots[i] - 1];
		if (f->len == n && memcmp(t->names.data + f->off, name, n) == 0)
			return (long)t->slots[i] - 1;
	}
}

static void fam_slot(struct expo_famtab *t, size_t idx)
{
	const struct expo_fam *f = &t->v[idx];
	size_t mask = t->nslots - 1, i;

	for (i = expo_hash(t->names.data + f->off, f->len) & mask; t->slots[i];
	     i = (i + 1) & mask)
		;
	t->slots[i] = (uint32_t)(idx + 1);
}

static struct expo_fam *fam_add(struct expo_famtab *t, const char *name, size_t n)
{
	struct expo_fam *f;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	if (t->n >= UINT32_MAX - 1)
		abort(); /* more families than a page of 64 MiB can name */
	if (2 * (t->n + 1) > t->nslots) {
		t->nslots = t->nslots ? 2 * t->nslots : 128;
		free(t->slots);
		t->slots = xcalloc(t->nslots, sizeof(*t->slots));
		for (size_t i = 0; i < t->n; i++)
			fam_slot(t, i);
	}
	f = &t->v[t->n];
	memset(f, 0, sizeof(*f));
	f->off = t->names.len;
	f->len = n;
	buf_add(&t->names, name, n);
	fam_slot(t, t->n++);
	return f;
}

static int has_suffix(const char *s, size_t n, const char *suf, size_t k)
{
	return n > k && memcmp(s + n - k, suf, k) == 0;
}

struct expo_fam *expo_fam_of(struct expo_famtab *t, const char *name, size_t n,
			  enum expo_part *part)
{
	int cnt = has_suffix(name, n, "_count", 6);
	int sum = has_suffix(name, n, "_sum", 4);
	int bkt = has_suffix(name, n, "_bucket", 7);
	size_t stem = n - (cnt ? 6 : sum ? 4 : bkt ? 7 : 0);
	long i = fam_find(t, name, n);

	*part = PART_NONE;
	if (i >= 0)
		return &t->v[i];
	if ((cnt || sum || bkt) && (i = fam_find(t, name, stem)) >= 0 &&
	    t->v[i].typed) {
		enum expo_type ty = t->v[i].type;

		if (((cnt || sum) && ty == EXPO_SUMMARY) || ty == EXPO_HISTOGRAM) {
			*part = cnt ? PART_COUNT : sum ? PART_SUM : PART_NONE;
			return &t->v[i];
		}
	}
	return fam_add(t, name, n);
}
