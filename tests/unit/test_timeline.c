/* Unit tests for lib/timeline: bins that widen without losing a count,
 * columns for a chart, the backlog, latency percentiles from buckets and
 * the run lines' rate and gate carried between them. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "timeline.h"
#include "t.h"

#define T0 1795000000000LL /* 2026-11-19, a multiple of 100 ms */

static uint64_t total(const struct tl_view *v, enum tl_count k)
{
	uint64_t n = 0;

	for (size_t i = 0; i < v->n; i++)
		n += v->col[i].c[k];
	return n;
}

static void widening(void)
{
	struct timeline t;
	struct tl_view v;
	uint64_t seed = 42;

	timeline_init(&t);
	/* 100 ms bins fit 102.4 s: the first times land one bin each */
	for (int i = 0; i < 10; i++)
		timeline_count(&t, T0 + i * 100, TL_CAPTURES, 1);
	T_EQ_INT(t.width_ms, 100, "a short span keeps 100 ms bins");
	timeline_view(&t, 100, &v);
	T_EQ_INT(v.n, 10, "one column per bin when they fit");
	T_EQ_INT(v.col_ms, 100, "columns as wide as a bin");
	T_EQ_INT(v.start_ms, T0, "the view starts at the first time");
	timeline_view_release(&v);
	/* a day later, then an hour earlier: the bins widen, nothing is lost */
	timeline_count(&t, T0 + 86400000LL, TL_CAPTURES, 1);
	timeline_count(&t, T0 - 3600000LL, TL_OK, 3);
	T_OK(TL_BINS * t.width_ms > 86400000LL + 3600000LL, "the bins cover the span");
	T_OK(t.width_ms < 2 * (86400000LL + 3600000LL) / TL_BINS * 2, "and no wider than needed");
	T_EQ_INT(t.base_ms % t.width_ms, 0, "the base stays a multiple of the width");
	timeline_view(&t, 200, &v);
	T_OK(v.n <= 200, "at most the columns asked for");
	T_EQ_INT(total(&v, TL_CAPTURES), 11, "every capture is still counted");
	T_EQ_INT(total(&v, TL_OK), 3, "and every ok");
	T_EQ_INT(v.col[0].c[TL_OK], 3, "the earliest time is in the first column");
	T_EQ_INT(v.col[v.n - 1].c[TL_CAPTURES], 1, "the latest in the last");
	T_OK(v.start_ms <= T0 - 3600000LL && v.end_ms > T0 + 86400000LL,
	     "the columns cover the span");
	timeline_view_release(&v);
	timeline_release(&t);
	/* random times in random order: the sum is the number added */
	timeline_init(&t);
	for (int i = 0; i < 100000; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		timeline_count(&t, T0 + (int64_t)(seed >> 40) * 7, TL_RETRY, 1);
	}
	timeline_view(&t, 240, &v);
	T_EQ_INT(total(&v, TL_RETRY), 100000, "100000 random times, all counted");
	timeline_view_release(&v);
	timeline_release(&t);
}

static void backlog(void)
{
	struct timeline t;
	struct tl_view v;

	timeline_init(&t);
	/* 5 captured in the first second, 3 resolved in the fifth, one
	 * revived and resolved again in the tenth */
	for (int i = 0; i < 5; i++)
		timeline_count(&t, T0 + i * 100, TL_CAPTURES, 1);
	for (int i = 0; i < 3; i++)
		timeline_count(&t, T0 + 4000 + i, TL_RESOLVED, 1);
	timeline_count(&t, T0 + 9000, TL_REVIVED, 1);
	timeline_count(&t, T0 + 9950, TL_RESOLVED, 1);
	timeline_view(&t, 10, &v);
	T_EQ_INT(v.n, 10, "ten one-second columns");
	T_EQ_INT(v.col_ms, 1000, "of 1000 ms");
	T_EQ_INT(v.col[0].backlog, 5, "5 pending after the first second");
	T_EQ_INT(v.col[3].backlog, 5, "still 5 in the fourth");
	T_EQ_INT(v.col[4].backlog, 2, "2 after 3 were resolved");
	T_EQ_INT(v.col[9].backlog, 2, "a revive and a resolve cancel out");
	timeline_view_release(&v);
	/* a count taken back: never below zero */
	timeline_count(&t, T0, TL_OK, -1);
	timeline_count(&t, T0, TL_DEAD, 1);
	timeline_count(&t, T0, TL_DEAD, -2);
	timeline_view(&t, 10, &v);
	T_EQ_INT(v.col[0].c[TL_OK], 0, "taking back from zero leaves zero");
	T_EQ_INT(v.col[0].c[TL_DEAD], 0, "and never wraps");
	timeline_view_release(&v);
	timeline_release(&t);
}

static void latency(void)
{
	struct timeline t;
	struct tl_view v;
	uint32_t lat[TL_LAT] = { 0 };
	double want[] = { 0.05, 0.3, 1, 7.5, 42, 250, 1800, 30000 };

	/* one sample: the percentile is within 10% of it */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct timeline one;
		double got;

		timeline_init(&one);
		timeline_latency(&one, T0, want[i]);
		timeline_view(&one, 1, &v);
		got = v.col[0].p50;
		T_OK(want[i] < 0.1 ? got < 0.12 : fabs(got - want[i]) <= 0.1 * want[i],
		     "a latency comes back within 10%");
		timeline_view_release(&v);
		timeline_release(&one);
	}
	T_OK(isnan(timeline_lat_pct(lat, 50)), "no samples: no percentile");
	/* 99 fast and 1 slow: p50 is fast, p99 fast, p100 slow */
	timeline_init(&t);
	for (int i = 0; i < 99; i++)
		timeline_latency(&t, T0 + i, 2);
	timeline_latency(&t, T0 + 99, 900);
	timeline_view(&t, 1, &v);
	T_OK(fabs(v.col[0].p50 - 2) < 0.2, "p50 of 99 x 2 ms and 1 x 900 ms");
	T_OK(fabs(v.col[0].p99 - 2) < 0.2, "p99 is the 99th, still 2 ms");
	T_OK(v.has_latency, "the view says it has latency");
	timeline_view_release(&v);
	timeline_release(&t);
}

static void runs(void)
{
	struct timeline t;
	struct tl_view v;

	timeline_init(&t);
	/* a run: limit 100 with the gate open, then closed at 3 s, open at
	 * 5 s with 200, ended at 8 s; lines every second, none at 6 and 7 */
	timeline_run(&t, T0, 100, 0, 0);
	timeline_run(&t, T0 + 1000, 100, 0, 0);
	timeline_run(&t, T0 + 2000, 100, 0, 0);
	timeline_run(&t, T0 + 3000, 100, 1, 0);
	timeline_run(&t, T0 + 4000, 100, 1, 0);
	timeline_run(&t, T0 + 5000, 200, 0, 0);
	timeline_run(&t, T0 + 8000, 0, 0, 1);
	timeline_count(&t, T0 + 12999, TL_CAPTURES, 1);
	timeline_view(&t, 13, &v);
	T_EQ_INT(v.n, 13, "13 one-second columns");
	T_OK(v.has_runs, "the view says it has runs");
	T_OK(v.col[0].rate_limit == 100 && v.col[0].closed == 0, "open at 100/s");
	T_OK(v.col[3].closed == 1, "closed at 3 s");
	T_OK(v.col[5].rate_limit == 200, "200/s at 5 s");
	T_OK(v.col[6].rate_limit == 200 && v.col[6].closed == 0,
	     "a column without a line takes the last one's");
	T_OK(v.col[8].rate_limit == 0, "the last line says no limit");
	T_OK(isnan(v.col[9].rate_limit) && isnan(v.col[9].closed),
	     "after a run ended there is no rate");
	timeline_view_release(&v);
	/* a run killed without an end line: carried for a while only */
	timeline_release(&t);
	timeline_init(&t);
	timeline_run(&t, T0, 50, 1, 0);
	timeline_count(&t, T0 + 200000, TL_CAPTURES, 1);
	timeline_view(&t, 201, &v);
	T_OK(v.col[30].closed == 1, "carried 30 s later");
	T_OK(isnan(v.col[100].closed), "not 100 s later");
	timeline_view_release(&v);
	timeline_release(&t);
}

int main(void)
{
	widening();
	backlog();
	latency();
	runs();
	return t_done();
}
