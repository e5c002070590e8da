/*
 * rate.c - token bucket and AIMD rate controller (see rate.h).
 */
#include "rate.h"
#include "banned.h"

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

void rate_ctl_init(struct rate_ctl *c, double start, double min, double max,
		   int64_t now_ns)
{
	c->min = min > 0 ? min : 1;
	c->max = max > c->min ? max : c->min;
	c->rate = clamp(start, c->min, c->max);
	c->lat_target_ms = 0;
	c->err_target = 0.01;
	c->increase = 1.5;
	c->step = 0.05;
	c->decrease = 0.8;
	c->window_ns = 250000000;
	c->min_samples = 5;
	c->win_start_ns = now_ns;
	c->n = c->errors = c->slow = c->throttled = c->sent = 0;
	c->breached_once = 0;
	c->hold = 0;
	c->breaches = 0;
}

void rate_ctl_sent(struct rate_ctl *c)
{
	c->sent++;
}

void rate_ctl_observe(struct rate_ctl *c, enum rate_outcome o,
		      double latency_ms)
{
	c->n++;
	if (o == RATE_ERROR)
		c->errors++;
	else if (o == RATE_THROTTLED)
		c->throttled++;
	if (c->lat_target_ms > 0 && latency_ms > c->lat_target_ms)
		c->slow++;
}

int rate_ctl_tick(struct rate_ctl *c, int64_t now_ns)
{
	double old = c->rate, secs;
	int breach;

	if (now_ns - c->win_start_ns < c->window_ns)
		return 0;
	/* A throttle signal is acted on at once; anything else needs
	 * enough samples to mean something. */
	if (c->throttled == 0 && c->n < c->min_samples)
		return 0;
	secs = (double)(now_ns - c->win_start_ns) / 1e9;
	breach = c->throttled > 0 ||
		 (double)c->errors > c->err_target * c->n ||
		 (double)c->slow > 0.05 * c->n;
	if (breach) {
		c->rate = clamp(c->rate * c->decrease, c->min, c->max);
		c->breached_once = 1;
		c->hold = 1;
		c->breaches++;
	} else if (c->hold > 0) {
		c->hold--;
	} else if ((double)c->sent >= 0.5 * c->rate * secs) {
		if (!c->breached_once)
			c->rate = clamp(c->rate * c->increase, c->min, c->max);
		else
			c->rate = clamp(c->rate * (1 + c->step), c->min, c->max);
	}
	c->win_start_ns = now_ns;
	c->n = c->errors = c->slow = c->throttled = c->sent = 0;
	return c->rate != old;
}
