/*
 * timeline.c - counts per time bin at a resolution that follows the span
 * (see timeline.h).
 *
 * The bins cover [base_ms, base_ms + TL_BINS * width_ms); base_ms is a
 * multiple of width_ms, so widening keeps every old bin inside one new
 * bin.  Nothing is sampled or dropped: a widened bin holds the sum of
 * the two it replaced.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "timeline.h"
#include "xalloc.h"
#include "banned.h"

#define LAT_MIN_MS 0.1
#define LAT_PER_DOUBLING 4

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

void timeline_init(struct timeline *t)
{
	memset(t, 0, sizeof(*t));
	t->width_ms = TL_MIN_WIDTH_MS;
}

void timeline_release(struct timeline *t)
{
	if (!t)
		return;
	free(t->bins);
	timeline_init(t);
}

static void merge(struct tl_bin *d, const struct tl_bin *s)
{
	for (int k = 0; k < TL_NCOUNT; k++)
		d->c[k] += s->c[k];
	for (int k = 0; k < TL_LAT; k++)
		d->lat[k] += s->lat[k];
	d->runs += s->runs;
	d->closed += s->closed;
	d->limited += s->limited;
	d->limit_sum += s->limit_sum;
	if (s->run_at_ms && s->run_at_ms >= d->run_at_ms) {
		d->run_at_ms = s->run_at_ms;
		d->run_limit = s->run_limit;
		d->run_closed = s->run_closed;
		d->run_ended = s->run_ended;
	}
}

/* Every pair of bins into one twice as wide. */
static void widen(struct timeline *t)
{
	int64_t w2 = t->width_ms * 2, nb = floor_div(t->base_ms, w2) * w2;
	struct tl_bin *nbins = xcalloc(TL_BINS, sizeof(*nbins));

	for (size_t i = 0; i < TL_BINS; i++) {
		int64_t j = (t->base_ms + (int64_t)i * t->width_ms - nb) / w2;

		if (j < TL_BINS)
			merge(&nbins[j], &t->bins[i]);
	}
	free(t->bins);
	t->bins = nbins;
	t->base_ms = nb;
	t->width_ms = w2;
}

/* Move the bins so that at fits at this width, if the span allows: 1
 * when it does. */
static int rebase(struct timeline *t, int64_t at)
{
	int64_t lo = at < t->first_ms ? at : t->first_ms;
	int64_t hi = at > t->last_ms ? at : t->last_ms;
	int64_t nb = floor_div(lo, t->width_ms) * t->width_ms;
	int64_t shift = (t->base_ms - nb) / t->width_ms;  /* bins, may be < 0 */
	size_t keep;

	if (hi - nb >= TL_BINS * t->width_ms)
		return 0;
	if (shift > 0) {
		keep = TL_BINS - (size_t)shift;
		memmove(t->bins + shift, t->bins, keep * sizeof(*t->bins));
		memset(t->bins, 0, (size_t)shift * sizeof(*t->bins));
	} else if (shift < 0) {
		keep = TL_BINS - (size_t)-shift;
		memmove(t->bins, t->bins - shift, keep * sizeof(*t->bins));
		memset(t->bins + keep, 0, (size_t)-shift * sizeof(*t->bins));
	}
	t->base_ms = nb;
	return 1;
}

static struct tl_bin *bin(struct timeline *t, int64_t at)
{
	if (at < 0)
		at = 0;
	if (!t->any) {
		t->bins = xcalloc(TL_BINS, sizeof(*t->bins));
		t->base_ms = floor_div(at, t->width_ms) * t->width_ms;
		t->first_ms = t->last_ms = at;
		t->any = 1;
	}
	while (at < t->base_ms || at - t->base_ms >= TL_BINS * t->width_ms)
		if (!rebase(t, at))
			widen(t);
	if (at < t->first_ms)
		t->first_ms = at;
	if (at > t->last_ms)
		t->last_ms = at;
	return &t->bins[(at - t->base_ms) / t->width_ms];
}

void timeline_count(struct timeline *t, int64_t at_ms, enum tl_count k, int n)
{
	struct tl_bin *b = bin(t, at_ms);

	b->c[k] = n < 0 && b->c[k] < (uint32_t)-n ? 0 : b->c[k] + (uint32_t)n;
}

static int lat_bucket(double ms)
{
	double b;

	if (!(ms > LAT_MIN_MS))
		return 0;
	b = floor(log2(ms / LAT_MIN_MS) * LAT_PER_DOUBLING);
	return b >= TL_LAT - 1 ? TL_LAT - 1 : (int)b;
}

void timeline_latency(struct timeline *t, int64_t at_ms, double ms)
{
	bin(t, at_ms)->lat[lat_bucket(ms)]++;
}

void timeline_run(struct timeline *t, int64_t at_ms, double rate_limit,
		  int closed, int ended)
{
	struct tl_bin *b = bin(t, at_ms);

	b->runs++;
	b->closed += closed != 0;
	if (rate_limit > 0) {
		b->limited++;
		b->limit_sum += (float)rate_limit;
	}
	if (at_ms >= b->run_at_ms) {
		b->run_at_ms = at_ms > 0 ? at_ms : 1;
		b->run_limit = (float)(rate_limit > 0 ? rate_limit : 0);
		b->run_closed = closed != 0;
		b->run_ended = ended != 0;
	}
}

double timeline_lat_pct(const uint32_t *lat, double p)
{
	uint64_t n = 0, rank, seen = 0;

	for (int i = 0; i < TL_LAT; i++)
		n += lat[i];
	if (!n)
		return NAN;
	rank = (uint64_t)ceil(p / 100 * (double)n);
	if (rank < 1)
		rank = 1;
	for (int i = 0; i < TL_LAT; i++) {
		seen += lat[i];
		if (seen >= rank)
			return LAT_MIN_MS * exp2((i + 0.5) / LAT_PER_DOUBLING);
	}
	return NAN;
}

/* The run's state in a column without run lines: the last line before
 * it, while its run went on. */
static void carry(struct tl_col *c, const struct tl_bin *last)
{
	if (!last->run_at_ms || last->run_ended ||
	    c->start_ms - last->run_at_ms > TL_RUN_CARRY_MS)
		return;
	c->rate_limit = last->run_limit;
	c->closed = last->run_closed;
}

static void fill(struct tl_col *c, const struct tl_bin *sum,
		 const struct tl_bin *last)
{
	for (int k = 0; k < TL_NCOUNT; k++)
		c->c[k] = sum->c[k];
	c->p50 = timeline_lat_pct(sum->lat, 50);
	c->p99 = timeline_lat_pct(sum->lat, 99);
	c->rate_limit = c->closed = NAN;
	if (sum->runs) {
		c->rate_limit = sum->limited ? sum->limit_sum / sum->limited : 0;
		c->closed = (double)sum->closed / sum->runs;
	} else {
		carry(c, last);
	}
}

void timeline_view(const struct timeline *t, size_t max, struct tl_view *v)
{
	int64_t i0, i1, used, g;
	uint64_t backlog = 0;
	struct tl_bin last;

	memset(v, 0, sizeof(*v));
	memset(&last, 0, sizeof(last));
	if (!t->any || !max)
		return;
	i0 = (t->first_ms - t->base_ms) / t->width_ms;
	i1 = (t->last_ms - t->base_ms) / t->width_ms;
	used = i1 - i0 + 1;
	g = (used + (int64_t)max - 1) / (int64_t)max;
	v->n = (size_t)((used + g - 1) / g);
	v->col = xcalloc(v->n, sizeof(*v->col));
	v->col_ms = g * t->width_ms;
	v->start_ms = t->base_ms + i0 * t->width_ms;
	v->end_ms = v->start_ms + (int64_t)v->n * v->col_ms;
	for (size_t k = 0; k < v->n; k++) {
		struct tl_col *c = &v->col[k];
		struct tl_bin sum;

		memset(&sum, 0, sizeof(sum));
		for (int64_t i = i0 + (int64_t)k * g; i < i0 + ((int64_t)k + 1) * g &&
		     i < TL_BINS; i++)
			merge(&sum, &t->bins[i]);
		c->start_ms = v->start_ms + (int64_t)k * v->col_ms;
		fill(c, &sum, &last);
		if (sum.run_at_ms)
			last = sum;
		backlog += c->c[TL_CAPTURES] + c->c[TL_REVIVED];
		backlog = backlog > c->c[TL_RESOLVED] ? backlog - c->c[TL_RESOLVED] : 0;
		c->backlog = backlog;
		v->has_runs |= sum.runs > 0;
		v->has_latency |= !isnan(c->p50);
	}
}

void timeline_view_release(struct tl_view *v)
{
	if (!v)
		return;
	free(v->col);
	memset(v, 0, sizeof(*v));
}
