/*
 * hist.c - exact samples, nearest-rank percentiles (see hist.h).
 */
#include <math.h>
#include <stdlib.h>

#include "hist.h"
#include "xalloc.h"
#include "banned.h"

void hist_init(struct hist *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
	h->sorted = 1;
}

void hist_release(struct hist *h)
{
	free(h->v);
	hist_init(h);
}

void hist_add(struct hist *h, double v)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	h->v[h->n++] = v;
	h->sorted = 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double hist_pct(struct hist *h, double p)
{
	size_t rank;

	if (h->n == 0)
		return NAN;
	if (!h->sorted) {
		qsort(h->v, h->n, sizeof(*h->v), cmp);
		h->sorted = 1;
	}
	rank = (size_t)ceil(p / 100 * (double)h->n);
	if (rank < 1)
		rank = 1;
	if (rank > h->n)
		rank = h->n;
	return h->v[rank - 1];
}
