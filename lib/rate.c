/*
 * rate.c - token bucket and the adaptive rate controller (see rate.h).
 *
 * The controller reads three signals from the service: refusals (429,
 * 503) and errors, its latency against the lowest latency seen, and the
 * rate it actually delivered.  The delivered rate is what makes a cut
 * land near the new capacity in one or two windows, instead of a
 * staircase of fixed cuts; the cubic curve after a cut is what brings
 * the rate back to a capacity that returned within seconds, instead of
 * a few percent per window.  Latency is judged as the gradient and Vegas
 * limiters judge it: the recent latency against the lowest seen, so no
 * target has to be given.
 *
 * Deliberately not here: HTTP (outcomes arrive already classified), the
 * concurrency cap (the caller's), per-destination rates, randomness and
 * clocks (time is an argument, so a test can replay any history).
 */
#include <math.h>

#include "rate.h"
#include "banned.h"

#define SLOW_START 1.5   /* growth per 250 ms before the first cut */
#define CUT 0.9          /* of the delivered rate */
#define CUT_FLOOR 0.5    /* a cut never takes more than half the rate */
#define CUBIC_C 0.3      /* the curve's scale, relative to the level, 1/s^3 */
#define FALLING 0.9      /* a median this much below: the queue drains */
#define DRAIN_S 0.5      /* a queueing cut drains the queue within this */
#define OUTAGE 0.25      /* delivered below this share of the rate: nothing */
#define FORGET 0.9       /* kept of the last rate that held, per breach */
#define LAT_SUB 8        /* histogram buckets per doubling of latency */

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void refill(struct rate_bucket *b, int64_t now_ns)
{
	if (now_ns > b->last_ns) {
		b->tokens += (double)(now_ns - b->last_ns) * b->rate / 1e9;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last_ns = now_ns;
	}
}

static double auto_burst(double rate)
{
	return rate * 0.02 > 2 ? rate * 0.02 : 2;
}

void rate_bucket_init(struct rate_bucket *b, double rate, double burst,
		      int64_t now_ns)
{
	b->rate = rate > 0 ? rate : 1;
	b->auto_burst = burst <= 0;
	b->burst = b->auto_burst ? auto_burst(b->rate) : burst >= 1 ? burst : 1;
	b->tokens = 1;
	b->last_ns = now_ns;
}

void rate_bucket_set(struct rate_bucket *b, double rate, int64_t now_ns)
{
	refill(b, now_ns);
	b->rate = rate > 0 ? rate : 1;
	if (b->auto_burst)
		b->burst = auto_burst(b->rate);
}

int rate_bucket_take(struct rate_bucket *b, int64_t now_ns)
{
	refill(b, now_ns);
	if (b->tokens < 1)
		return 0;
	b->tokens -= 1;
	return 1;
}

int64_t rate_bucket_wait_ns(struct rate_bucket *b, int64_t now_ns)
{
	refill(b, now_ns);
	if (b->tokens >= 1)
		return 0;
	return (int64_t)((1 - b->tokens) * 1e9 / b->rate) + 1;
}

/* ---- latency histograms: medians without keeping samples ---- */

static int lat_bucket(double ms)
{
	double us = ms * 1000;

	if (!(us > 1))
		return 0;
	if (us >= exp2((double)RATE_LAT_BUCKETS / LAT_SUB))
		return RATE_LAT_BUCKETS - 1;
	return (int)(log2(us) * LAT_SUB);
}

/* The p-th percentile of n samples in h, in ms: the middle of its
 * bucket, within 4.5%. */
static double lat_pct(const uint32_t *h, uint32_t n, double p)
{
	uint32_t want = (uint32_t)ceil(p / 100 * n), seen = 0;

	for (int i = 0; i < RATE_LAT_BUCKETS; i++) {
		seen += h[i];
		if (seen >= want && seen > 0)
			return exp2((i + 0.5) / LAT_SUB) / 1000;
	}
	return 0;
}

static void lat_clear(uint32_t *h, uint32_t *n)
{
	for (int i = 0; i < RATE_LAT_BUCKETS; i++)
		h[i] = 0;
	*n = 0;
}

/* The baseline is the lowest median of RATE_POOL successes: a median of
 * a few is noisy, and the lowest of many noisy values is too low.  The
 * spread between the quartiles of that pool tells how much a service's
 * latency varies by itself. */
static void pool_add(struct rate_ctl *c, double latency_ms)
{
	double med;

	c->pool[lat_bucket(latency_ms)]++;
	if (++c->npool < RATE_POOL)
		return;
	med = lat_pct(c->pool, c->npool, 50);
	if (c->base_ms == 0 || med < c->base_ms) {
		c->base_ms = med;
		c->spread_ms = lat_pct(c->pool, c->npool, 75) -
			       lat_pct(c->pool, c->npool, 25);
	}
	lat_clear(c->pool, &c->npool);
}

/* ---- the controller ---- */

void rate_ctl_init(struct rate_ctl *c, double first, double min, double max,
		   int64_t now_ns)
{
	*c = (struct rate_ctl){ 0 };
	c->min = min > 0 ? min : 1;
	c->max = max > c->min ? max : c->min;
	c->adaptive = 1;
	c->err_target = 0.01;
	c->lat_tolerance = 1.5;
	c->window_ns = 100000000;
	c->min_samples = 10;
	c->first = c->rate = clamp(first, c->min, c->max);
	c->phase = RATE_START;
	c->t0_ns = c->epoch_ns = c->win_start_ns = now_ns;
}

void rate_ctl_sent(struct rate_ctl *c)
{
	c->sent++;
	c->nsent++;
}

void rate_ctl_observe(struct rate_ctl *c, enum rate_outcome o,
		      double latency_ms)
{
	if (o == RATE_OK)
		c->good++;
	/* Sent before the last cut: it tells about the old rate, which has
	 * already been acted on.  Outcomes come back roughly in the order
	 * of sending, so counting is enough to tell. */
	if (++c->nseen <= c->cut_seq)
		return;
	c->n++;
	if (o == RATE_ERROR)
		c->errors++;
	else if (o == RATE_THROTTLED)
		c->throttled++;
	if (c->lat_target_ms > 0 && latency_ms > c->lat_target_ms)
		c->slow++;
	if (o == RATE_OK) {
		c->lat[lat_bucket(latency_ms)]++;
		c->nlat++;
		pool_add(c, latency_ms);
	}
}

/* The curve's scale: the level, or the last rate that held when that
 * is higher, so that the probe beyond a level lowered by a slowdown or a
 * capacity drop climbs back at the pace of the rate that held before. */
static double scale(const struct rate_ctl *c)
{
	return c->held > c->level ? c->held : c->level;
}

/* The cubic curve: level at k_s seconds after the cut, concave before,
 * convex after, in proportion to the scale. */
static double cubic(const struct rate_ctl *c, int64_t now_ns)
{
	double t = (double)(now_ns - c->epoch_ns) / 1e9 - c->k_s;

	return c->level + CUBIC_C * scale(c) * t * t * t;
}

/* Start a new curve at the current rate, back to level in k_s. */
static void curve(struct rate_ctl *c, double level, int64_t now_ns)
{
	c->level = level > c->rate ? level : c->rate;
	c->k_s = cbrt((c->level - c->rate) / (CUBIC_C * scale(c)));
	c->epoch_ns = now_ns;
	c->phase = RATE_PROBE;
}

/* Cut to next, but never up and never by more than half, and start a
 * curve back to level, the capacity the service showed. */
static void cut(struct rate_ctl *c, double next, double level, int64_t now_ns)
{
	if (next > c->rate)
		next = c->rate;
	if (next < CUT_FLOOR * c->rate)
		next = CUT_FLOOR * c->rate;
	c->rate = clamp(next, c->min, c->max);
	curve(c, level, now_ns);
	c->cut_seq = c->nsent;
	c->breaches++;
}

/* The rate that held is not there now: forget it a step at a time, as
 * it may come back. */
static void forget(struct rate_ctl *c)
{
	c->held = FORGET * c->held > c->level ? FORGET * c->held : c->level;
}

/* A breach: the service answered what it could and refused the rest, so
 * what it delivered in the window is its capacity now. */
static void on_breach(struct rate_ctl *c, double delivered, int64_t now_ns)
{
	double level = delivered < c->rate ? delivered : c->rate;

	/* A service that answered almost nothing (an outage, not a lower
	 * capacity) tells no level: remember the rate before, to climb
	 * back to it quickly once it answers again. */
	if (level < OUTAGE * c->rate) {
		if (c->regain == 0)
			c->regain = CUT * c->rate;
	} else {
		c->regain = 0;
	}
	cut(c, CUT * level, level, now_ns);
	forget(c);
}

/* How far the window's median latency is above the baseline: 0 not
 * queueing, 1 a queue is starting (stop growing), 2 queueing (cut). */
static int queue_signal(const struct rate_ctl *c, double med_ms)
{
	double allowed = c->base_ms * (c->lat_tolerance - 1);

	if (c->lat_tolerance <= 0 || c->base_ms <= 0 || med_ms <= 0)
		return 0;
	if (allowed < RATE_QUEUE_MS)
		allowed = RATE_QUEUE_MS;
	if (allowed < c->spread_ms)
		allowed = c->spread_ms;
	return med_ms - c->base_ms > allowed ? 2 :
	       med_ms - c->base_ms > allowed / 2 ? 1 : 0;
}

/* A queue is starting: the service is at capacity.  Send no faster than
 * it delivers, and start the curve flat there, so that probing beyond
 * starts slowly again. */
static void at_capacity(struct rate_ctl *c, double delivered, int64_t now_ns)
{
	if (delivered < c->rate)
		c->rate = clamp(delivered, c->min, c->max);
	c->regain = 0;
	curve(c, c->rate, now_ns);
	forget(c);
}

/* A healthy window that used its rate grows it; an idle one moves the
 * curve on, so that time spent idle does not count as time healthy.
 * After an outage the rate climbs as at the start, back to where it
 * was, then takes the curve from there. */
static void grow(struct rate_ctl *c, double secs, double delivered,
		 int64_t now_ns)
{
	double step = pow(SLOW_START, secs / 0.25);

	if ((double)c->sent < 0.5 * c->rate * secs) {
		c->epoch_ns += now_ns - c->win_start_ns;
		return;
	}
	if (delivered > c->held)
		c->held = delivered;
	if (c->regain > 0 && c->rate * step < c->regain) {
		c->rate = clamp(c->rate * step, c->min, c->max);
	} else if (c->regain > 0) {
		c->rate = clamp(c->regain, c->min, c->max);
		curve(c, c->regain / CUT, now_ns);
		c->regain = 0;
	} else if (c->phase == RATE_PROBE) {
		c->rate = clamp(cubic(c, now_ns), c->min, c->max);
	} else if (c->ramp_ns <= 0) {
		c->rate = clamp(c->rate * step, c->min, c->max);
	}
}

/* A queueing window.  The queue is estimated from the latency (Little's
 * law: what waits is the delivered rate times the added latency), and
 * the rate is cut below the delivered rate by enough to drain it within
 * DRAIN_S.  Sending at or below that, the queue drains: wait, as TCP
 * waits a round trip after a loss, and leave the window after a cut
 * alone, as its answers waited behind the queue the cut is draining.
 * A latency that stays put for RATE_REBASE_NS all the same is not ours
 * to fix: it becomes the new baseline (the service got slower, or other
 * clients load it). */
static void on_queueing(struct rate_ctl *c, double med_ms, double delivered,
			int64_t now_ns)
{
	double waiting = delivered * (med_ms - c->base_ms) / 1000;
	double next = CUT * delivered;

	if (c->draining) {
		c->draining = 0;
		return;
	}
	if (delivered - waiting / DRAIN_S < next)
		next = delivered - waiting / DRAIN_S;
	if (c->rate > next) {
		/* Back toward the rate that held: a pause of the service
		 * also shows as a queue and a low delivered rate, and
		 * passes.  A lower capacity that stays is found when a
		 * queue starts again on the way back (at_capacity). */
		cut(c, next, delivered > c->held ? delivered : c->held,
		    now_ns);
		c->draining = 1;
		c->queue_since_ns = now_ns;
		c->queue_ms = med_ms;
		return;
	}
	if (c->queue_since_ns == 0) {
		c->queue_since_ns = now_ns;
		c->queue_ms = med_ms;
	} else if (now_ns - c->queue_since_ns >= RATE_REBASE_NS &&
		   med_ms >= FALLING * c->queue_ms) {
		c->base_ms = med_ms;
		c->spread_ms = 0;
		lat_clear(c->pool, &c->npool);
		c->queue_since_ns = 0;
	}
}

/* The delivered rate over the last RATE_SPAN windows. */
static double span_rate(const struct rate_ctl *c)
{
	double good = 0, secs = 0;

	for (int i = 0; i < RATE_SPAN; i++) {
		good += c->span_good[i];
		secs += c->span_secs[i];
	}
	return secs > 0 ? good / secs : 0;
}

static void judge(struct rate_ctl *c, int64_t now_ns)
{
	double secs = (double)(now_ns - c->win_start_ns) / 1e9;
	double delivered = c->good / secs, smooth;
	double med = c->nlat >= c->min_samples ? lat_pct(c->lat, c->nlat, 50) : 0;
	int breach = c->throttled > 0 ||
		     (double)c->errors > c->err_target * c->n ||
		     (double)c->slow > 0.05 * c->n;
	int q = breach ? 0 : queue_signal(c, med);

	/* A refusal shows the capacity in the window itself; a queue only
	 * over a few, as a window's completions come in clumps. */
	c->span_good[c->span_i] = c->good;
	c->span_secs[c->span_i] = secs;
	c->span_i = (c->span_i + 1) % RATE_SPAN;
	smooth = span_rate(c);
	if (q == 2) {
		on_queueing(c, med, smooth, now_ns);
	} else {
		c->queue_since_ns = 0;
		c->draining = 0;
		if (breach)
			on_breach(c, delivered, now_ns);
		else if (q == 1)
			at_capacity(c, smooth, now_ns);
		else
			grow(c, secs, smooth, now_ns);
	}
}

/* Before the first cut, with a ramp: a straight line in time from the
 * first rate to max. */
static void ramp(struct rate_ctl *c, int64_t now_ns)
{
	double f = (double)(now_ns - c->t0_ns) / (double)c->ramp_ns;

	if (f > 1)
		f = 1;
	c->rate = clamp(c->first + (c->max - c->first) * f, c->min, c->max);
}

int rate_ctl_tick(struct rate_ctl *c, int64_t now_ns)
{
	double old = c->rate;

	if (c->phase == RATE_START && c->ramp_ns > 0)
		ramp(c, now_ns);
	if (!c->adaptive || now_ns - c->win_start_ns < c->window_ns)
		return c->rate != old;
	/* A throttle signal is acted on at once; anything else needs
	 * enough samples to mean something, or a second has passed (a low
	 * rate must not wait for ever). */
	if (c->throttled == 0 && c->n < c->min_samples &&
	    !(c->n > 0 && now_ns - c->win_start_ns >= 1000000000))
		return c->rate != old;
	judge(c, now_ns);
	c->win_start_ns = now_ns;
	c->sent = c->good = 0;
	c->n = c->errors = c->slow = c->throttled = 0;
	lat_clear(c->lat, &c->nlat);
	return c->rate != old;
}
