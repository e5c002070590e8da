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
 * The adaptive controller.  rd-replay(1), ADAPTIVE RATE, tells the same
 * story for its users.
 *
 * Outcomes are judged in windows of window_ns with at least min_samples
 * outcomes (fewer after a second; any number when one is a 429 or 503).
 * Outcomes of requests sent before the last cut are left out of the
 * judgement: they describe the old rate.  A window is
 *  - a breach: a 429 or 503, errors (transport errors and 5xx) above
 *    err_target, or more than 5% of latencies above lat_target_ms;
 *  - queueing: its median latency exceeds the baseline (the lowest median
 *    of RATE_POOL successes) by more than the allowed rise: the largest of
 *    (lat_tolerance - 1) times the baseline, RATE_QUEUE_MS, and the
 *    quartile spread of the baseline's pool.  Above half of that rise, a
 *    queue is starting;
 *  - healthy otherwise.
 * A breach cuts the rate to 90% of what the service delivered in the
 * window, at most halving it, and remembers the delivered rate as the
 * level to return to.  Queueing cuts below the delivered rate (over
 * RATE_SPAN windows) by enough to drain the queue the latency shows
 * within half a second, and returns toward the last rate that held (a
 * pause of the service looks the same); while the rate is that low the
 * queue drains and no further cut is made; a latency that does not fall
 * within RATE_REBASE_NS is taken as the new baseline instead.  A
 * starting queue stops the growth at the delivered rate.
 * Healthy windows grow the rate, if the window used at least half of it
 * (so an idle sender does not inflate it):
 *  - before the first cut, by half of itself per 250 ms (slow start), or
 *    along a straight line from the first rate to max over ramp_ns;
 *  - after a cut, along a cubic curve of the time since the cut, as TCP
 *    CUBIC grows its window: quickly back toward the level, flat near it,
 *    then faster and faster beyond it, in proportion to the last rate
 *    that held (forgotten by a tenth at each breach and starting queue),
 *    to find capacity that came back.  The curve waits while the sender
 *    is idle;
 *  - after an outage (a window that delivered under a quarter of the
 *    rate), as at the start, back to 90% of the rate before it.
 * The rate stays in [min, max].  With adaptive = 0 only the ramp moves it.
 */
#define RATE_LAT_BUCKETS 224      /* 1 us to 268 s, 8 per doubling */
#define RATE_QUEUE_MS 4.0         /* less added latency is not queueing */
#define RATE_REBASE_NS 1000000000LL /* queueing this long: a new baseline */
#define RATE_POOL 100             /* successes per baseline median */
#define RATE_SPAN 3               /* windows a queue's delivered rate spans */

enum rate_phase {
	RATE_START = 0,    /* before the first cut: slow start or the ramp */
	RATE_PROBE         /* after a cut: the cubic curve */
};

struct rate_ctl {
	/* Settings: rate_ctl_init sets defaults; change before the first
	 * tick. */
	double min, max;
	int adaptive;             /* 0: only the ramp moves the rate */
	double lat_target_ms;     /* 0: no latency target */
	double err_target;        /* fraction, e.g. 0.01 */
	double lat_tolerance;     /* e.g. 1.5; 0: no queueing detection */
	int64_t ramp_ns;          /* > 0: a linear start instead of slow start */
	int64_t window_ns;
	uint32_t min_samples;
	/* The rate to send at, and the cuts so far (for the summary). */
	double rate;
	uint64_t breaches;
	/* Controller state. */
	enum rate_phase phase;
	double first;             /* the first rate: where the ramp starts */
	double level;             /* the delivered rate at the last cut */
	double held;              /* the last rate that held, forgotten a step
				   * per breach and starting queue */
	double regain;            /* after an outage: the rate to climb to */
	double k_s;               /* seconds from a cut back to level */
	int64_t t0_ns, epoch_ns;  /* start; the last cut, moved on when idle */
	double base_ms;           /* the baseline latency; 0: none yet */
	double spread_ms;         /* its quartiles' spread */
	int64_t queue_since_ns;   /* queueing since, and the median then; 0: */
	double queue_ms;          /* not queueing */
	int draining;             /* the window after a queueing cut */
	uint64_t nsent, nseen, cut_seq; /* counts, to tell stale outcomes */
	/* The window. */
	int64_t win_start_ns;
	uint32_t sent, good;              /* sends; successes, fresh or stale */
	uint32_t n, errors, slow, throttled, nlat; /* fresh outcomes only */
	uint32_t lat[RATE_LAT_BUCKETS];   /* fresh successes' latencies */
	uint32_t pool[RATE_LAT_BUCKETS], npool; /* toward the next baseline */
	uint32_t span_good[RATE_SPAN];    /* the last windows' successes */
	double span_secs[RATE_SPAN];      /* and lengths */
	unsigned span_i;
};

/* first: the first rate (clamped to [min, max]); max: the ceiling
 * (--rate).  The controller is adaptive, with no ramp, a 1% error target,
 * a latency tolerance of 1.5, and 100 ms windows of at least 10
 * outcomes. */
void rate_ctl_init(struct rate_ctl *c, double first, double min, double max,
		   int64_t now_ns);

enum rate_outcome {
	RATE_OK = 0,       /* a response that is not an error */
	RATE_ERROR,        /* transport error or 5xx other than 503 */
	RATE_THROTTLED     /* 429 or 503: the server says slow down */
};

/* Count one request sent.  Call it for every request whose outcome will
 * be observed, in the order they are sent. */
void rate_ctl_sent(struct rate_ctl *c);
/* Count one outcome with its latency. */
void rate_ctl_observe(struct rate_ctl *c, enum rate_outcome o,
		      double latency_ms);
/* Move the ramp and close the window if it is over: returns 1 when the
 * rate changed (read c->rate), else 0.  Call it often (every few ms). */
int rate_ctl_tick(struct rate_ctl *c, int64_t now_ns);

#endif
