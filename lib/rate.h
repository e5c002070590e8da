/*
 * rate.h - how fast to send: a token bucket for open-loop pacing, and the
 * adaptive controller that moves the bucket's rate.
 *
 * Everything takes the time as an argument (CLOCK_MONOTONIC nanoseconds),
 * so the logic is deterministic and a wall-clock jump changes nothing.
 * The bucket paces starts of requests, not completions: a slow server
 * does not slow the schedule.  Nothing here sleeps or does I/O.
 */
#ifndef RATE_H
#define RATE_H

#include <stdint.h>

struct rate_bucket {
	double rate;      /* tokens per second, > 0 */
	double burst;     /* most tokens held, >= 1 */
	int auto_burst;   /* burst follows the rate: 20 ms of it, at least 2 */
	double tokens;
	int64_t last_ns;
};

/* Start with one token, not a full bucket, so a run does not open with
 * a burst.  burst <= 0 chooses 20 ms worth of the rate (at least 2), kept
 * in step with later rate changes: enough for a sender that wakes once a
 * millisecond to keep up, too little to be felt downstream. */
void rate_bucket_init(struct rate_bucket *b, double rate, double burst,
		      int64_t now_ns);
/* Change the rate; tokens earned so far are kept. */
void rate_bucket_set(struct rate_bucket *b, double rate, int64_t now_ns);
/* Take one token: 1 when taken, 0 when none is there yet. */
int rate_bucket_take(struct rate_bucket *b, int64_t now_ns);
/* Nanoseconds until the next token (0 when one is there). */
int64_t rate_bucket_wait_ns(struct rate_bucket *b, int64_t now_ns);

/*
 * The adaptive controller: additive increase, multiplicative decrease.
 *
 * Outcomes are collected over a window (window_ns, and at least
 * min_samples of them).  A window breaches when the share of errors
 * (transport errors and 5xx) exceeds err_target, when more than 5% of
 * latencies exceed lat_target_ms (a p95 check), or when any 429 or 503
 * came back.  On a breach the rate is multiplied by `decrease` and held
 * for one window.  Without a breach, and if the window actually used at
 * least half the rate (so an idle sender does not inflate it), the rate
 * grows: by `increase` times itself until the first breach (slow start),
 * then by `step` of itself per window.  The rate stays in [min, max].
 */
struct rate_ctl {
	double rate, min, max;
	double lat_target_ms;     /* 0: no latency target */
	double err_target;        /* fraction, e.g. 0.01 */
	double increase;          /* slow-start factor, e.g. 1.5 */
	double step;              /* additive step as a fraction, e.g. 0.05 */
	double decrease;          /* e.g. 0.8 */
	int64_t window_ns;
	uint32_t min_samples;
	/* window state */
	int64_t win_start_ns;
	uint32_t n, errors, slow, throttled;
	uint32_t sent;
	int breached_once;
	int hold;                 /* windows to wait before increasing */
	uint64_t breaches;        /* total, for the summary */
};

/* max: the ceiling (--rate).  start: the first rate (clamped to
 * [min, max]). */
void rate_ctl_init(struct rate_ctl *c, double start, double min, double max,
		   int64_t now_ns);

enum rate_outcome {
	RATE_OK = 0,       /* a response that is not an error */
	RATE_ERROR,        /* transport error or 5xx other than 503 */
	RATE_THROTTLED     /* 429 or 503: the server says slow down */
};

/* Count one request sent (for the utilisation check). */
void rate_ctl_sent(struct rate_ctl *c);
/* Count one outcome with its latency. */
void rate_ctl_observe(struct rate_ctl *c, enum rate_outcome o,
		      double latency_ms);
/* Close the window if it is over: returns 1 when the rate changed (read
 * c->rate), else 0. */
int rate_ctl_tick(struct rate_ctl *c, int64_t now_ns);

#endif
