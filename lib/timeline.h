/*
 * timeline.h - what happened in a spool over time, for a postmortem:
 * counts per time bin (captures, replay outcomes, requests resolved),
 * replay latency per bin, and the replay runs' own reports (the rate it
 * was allowed, whether its gate was closed).
 *
 * Memory is fixed (TL_BINS bins of 360 bytes) whatever the number of
 * records or the span: bins start 100 ms wide, and whenever a time falls
 * outside them every pair of bins merges into one twice as wide, so a
 * 10-second drain and a two-day incident both fill the bins.  Times may
 * come in any order.  A view (timeline_view) cuts the span into at most
 * a given number of columns for a chart.
 */
#ifndef TIMELINE_H
#define TIMELINE_H

#include <stddef.h>
#include <stdint.h>

enum tl_count {
	TL_CAPTURES = 0,   /* requests captured */
	TL_OK,             /* replay attempts that delivered */
	TL_RETRY,          /* ... that got a response asking for a retry */
	TL_UNKNOWN,        /* ... whose outcome is unknown: no response
			    * came, or none was ever recorded */
	TL_DEAD,           /* ... that ended their record: given up on
			    * (counted here, not above) */
	TL_EXPIRED,        /* records given up on unsent (--max-age) */
	TL_RESOLVED,       /* records that left the backlog (ok or dead) */
	TL_REVIVED,        /* records that came back to it */
	TL_NCOUNT
};

#define TL_BINS 1024
#define TL_LAT 80          /* latency buckets: 4 per doubling, 0.1 ms to 100 s */
#define TL_MIN_WIDTH_MS 100
#define TL_RUN_CARRY_MS 65000 /* a run writes a line at least every 60 s */

struct tl_bin {
	uint32_t c[TL_NCOUNT];
	uint32_t lat[TL_LAT];
	uint32_t runs;        /* run lines in the bin */
	uint32_t closed;      /* of them, with the gate closed */
	uint32_t limited;     /* of them, with a rate limit */
	float limit_sum;      /* sum of their rate limits */
	/* the latest run line in the bin, carried into the bins after it */
	int64_t run_at_ms;    /* 0: none */
	float run_limit;
	uint8_t run_closed, run_ended;
};

struct timeline {
	struct tl_bin *bins;  /* TL_BINS of them, from base_ms */
	int64_t base_ms, width_ms;
	int64_t first_ms, last_ms;
	int any;
};

void timeline_init(struct timeline *t);
void timeline_release(struct timeline *t);

/* Count one k at time at_ms (a negative n takes it back). */
void timeline_count(struct timeline *t, int64_t at_ms, enum tl_count k, int n);
/* One replay latency, in milliseconds, at at_ms. */
void timeline_latency(struct timeline *t, int64_t at_ms, double ms);
/* A replay run's report at at_ms: its rate limit (0: none), its gate
 * (closed: 1, open or none: 0), and whether the run ended there. */
void timeline_run(struct timeline *t, int64_t at_ms, double rate_limit,
		  int closed, int ended);

/* One column of a view. */
struct tl_col {
	int64_t start_ms;
	uint64_t c[TL_NCOUNT];
	uint64_t backlog;     /* records pending at the column's end */
	double p50, p99;      /* replay latency, ms; NAN without samples */
	/* From the run lines in the column, else from the last one before
	 * it while that run went on (up to TL_RUN_CARRY_MS): */
	double rate_limit;    /* the mean limit; 0: no limit; NAN: no run */
	double closed;        /* the share of the time the gate was closed;
			       * NAN: no run */
};

struct tl_view {
	struct tl_col *col;   /* caller frees with timeline_view_release */
	size_t n;
	int64_t start_ms, end_ms, col_ms;
	int has_runs, has_latency;
};

/* Cut the span into at most max columns of equal width (a whole number
 * of bins).  An empty timeline gives no columns. */
void timeline_view(const struct timeline *t, size_t max, struct tl_view *v);
void timeline_view_release(struct tl_view *v);

/* The p-th percentile (0 < p <= 100) of n samples bucketed in lat: the
 * geometric middle of its bucket, so within 10% of the true value. */
double timeline_lat_pct(const uint32_t *lat, double p);

#endif
