/* Unit tests for lib/rate: the token bucket and the adaptive controller.
 * Time is passed in, so nothing here depends on the machine's speed: the
 * scenarios drive the controller with a simulated sender against
 * simulated services, in simulated time (1 ms steps), and assert when
 * things happened in simulated seconds. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rate.h"
#include "replay.h"
#include "t.h"

#define MS 1000000LL
#define SEC 1000000000LL

/* ---- simulated services ---- */

enum svc_kind {
	SVC_REFUSE,   /* nginx limit_req, nodelay: 503 beyond the rate */
	SVC_QUEUE     /* one server, in arrival order: slower, never refuses */
};

struct phase {
	double at_s, capacity;   /* from at_s on; capacity 0: an outage */
};

struct svc {
	enum svc_kind kind;
	const struct phase *ph;
	double base_ms;          /* an unloaded request's latency */
	double pause_ms, every_s;/* SVC_QUEUE: stops this long this often */
	double excess, t_last;   /* SVC_REFUSE: limit_req's state */
	double free_at;          /* SVC_QUEUE: when the server is next free */
	double next_pause;
};

static double svc_capacity(const struct svc *s, double t)
{
	double cap = s->ph[0].capacity;

	for (int i = 1; i < 4 && s->ph[i].at_s > 0; i++)
		if (t >= s->ph[i].at_s)
			cap = s->ph[i].capacity;
	return cap;
}

/* One request arriving at t seconds: its outcome and latency. */
static enum rate_outcome svc_serve(struct svc *s, double t, double *lat_ms)
{
	double cap = svc_capacity(s, t);

	*lat_ms = s->base_ms;
	if (s->kind == SVC_REFUSE) {
		/* limit_req: the excess leaks at the rate; a burst of 100 */
		s->excess -= cap * (t - s->t_last);
		s->excess = s->excess < 0 ? 0 : s->excess;
		s->t_last = t;
		if (cap <= 0 || s->excess + 1 > 101)
			return RATE_THROTTLED;
		s->excess += 1;
		return RATE_OK;
	}
	/* a pause (a collection, a noisy neighbour) holds up the queue */
	while (s->every_s > 0 && t >= s->next_pause) {
		s->next_pause += s->every_s;
		s->free_at = (s->free_at > t ? s->free_at : t) + s->pause_ms / 1000;
	}
	s->free_at = (s->free_at > t ? s->free_at : t) + 1 / cap;
	*lat_ms += (s->free_at - t) * 1000;
	return RATE_OK;
}

/* ---- the simulated sender: rd-replay's loop, in 1 ms steps ---- */

#define SLOTS 600            /* 100 ms each: 60 s */
#define RING 256

struct trace {
	double rate[SLOTS];      /* the controller's rate at the slot's end */
	uint32_t ok[SLOTS], refused[SLOTS];
	double worst_ms[SLOTS];  /* the slowest request sent in the slot */
	uint64_t sent, nok, nrefused;
	double most;             /* the highest rate set */
};

struct fly {
	int64_t done_ns;
	enum rate_outcome o;
	double lat_ms;
};

/* Drive c against s for secs with at most conc requests in flight. */
static void simulate(struct svc *s, struct rate_ctl *c, double secs,
		     unsigned conc, struct trace *tr)
{
	static struct fly ring[RING];
	struct rate_bucket b;
	unsigned head = 0, tail = 0;
	int64_t t0 = c->t0_ns, end = t0 + (int64_t)(secs * SEC);

	memset(tr, 0, sizeof(*tr));
	rate_bucket_init(&b, c->rate, 0, t0);
	for (int64_t t = t0; t < end; t += MS) {
		double now_s = (double)(t - t0) / SEC, lat;
		int slot = (int)((t - t0) / (100 * MS));

		/* Completions are in sending order: both services are FIFO. */
		while (head != tail && ring[head % RING].done_ns <= t) {
			rate_ctl_observe(c, ring[head % RING].o,
					 ring[head % RING].lat_ms);
			head++;
		}
		if (rate_ctl_tick(c, t))
			rate_bucket_set(&b, c->rate, t);
		while (tail - head < conc && rate_bucket_take(&b, t)) {
			enum rate_outcome o = svc_serve(s, now_s, &lat);

			ring[tail++ % RING] = (struct fly){
				t + (int64_t)(lat * MS), o, lat };
			rate_ctl_sent(c);
			tr->sent++;
			*(o == RATE_OK ? &tr->ok[slot] : &tr->refused[slot]) += 1;
			*(o == RATE_OK ? &tr->nok : &tr->nrefused) += 1;
			if (lat > tr->worst_ms[slot])
				tr->worst_ms[slot] = lat;
		}
		tr->rate[slot] = c->rate;
		if (c->rate > tr->most)
			tr->most = c->rate;
	}
}

/* The first time from `from` seconds on when the rate is at most (dir < 0)
 * or at least (dir > 0) v, in seconds after from; -1 when never. */
static double when_rate(const struct trace *tr, double from, double v,
			int dir)
{
	for (int i = (int)(from * 10 + 0.5); i < SLOTS; i++)
		if (dir < 0 ? tr->rate[i] <= v : tr->rate[i] >= v)
			return (i + 1) / 10.0 - from;
	return -1;
}

/* The worst latency of requests sent from `from` to `to` seconds. */
static double worst_between(const struct trace *tr, double from, double to)
{
	double w = 0;

	for (int i = (int)(from * 10 + 0.5); i < (int)(to * 10 + 0.5); i++)
		w = tr->worst_ms[i] > w ? tr->worst_ms[i] : w;
	return w;
}

static double capacity_integral(const struct svc *s, double secs)
{
	double sum = 0;

	for (double t = 0; t < secs; t += 0.001)
		sum += svc_capacity(s, t) * 0.001;
	return sum;
}

/* ---- scenarios ---- */

struct scen {
	const char *name;
	enum svc_kind kind;
	double base_ms, pause_ms;  /* pauses: pause_ms every second */
	struct phase ph[4];
	double secs, ceiling;
	double at_s;             /* the change that timings count from */
	double cut_to, cut_s;    /* the rate at most cut_to within cut_s */
	double up_to, up_s;      /* the rate at least up_to within up_s */
	double max_refused;      /* share of requests refused, at most */
	double min_done;         /* successes over the capacity's integral */
	double settle_s, max_ms; /* from settle_s on, no request slower */
};

static const struct scen scens[] = {
	{ "steady 1000/s", SVC_REFUSE, 1, 0, { { 0, 1000 } }, 20, 5000,
	  0, 0, 0, 0, 0, 0.03, 0.95, 0, 0 },
	{ "capacity drops 1000/s to 400/s", SVC_REFUSE, 1, 0,
	  { { 0, 1000 }, { 8, 400 } }, 16, 5000,
	  8, 440, 1.0, 0, 0, 0.05, 0.9, 0, 0 },
	{ "capacity comes back, 400/s to 1500/s", SVC_REFUSE, 1, 0,
	  { { 0, 400 }, { 8, 1500 } }, 16, 5000,
	  8, 0, 0, 1350, 3.0, 0.05, 0.8, 0, 0 },
	{ "a 3 s outage, then 1000/s again", SVC_REFUSE, 1, 0,
	  { { 0, 1000 }, { 5, 0 }, { 8, 1000 } }, 16, 5000,
	  8, 0, 0, 850, 5.0, 1, 0, 0, 0 },
	{ "a service that queues: 500/s, 20 ms", SVC_QUEUE, 20, 0,
	  { { 0, 500 } }, 20, 2000,
	  0, 0, 0, 0, 0, 0, 0.9, 2, 50 },
	{ "a queueing service slows to 250/s", SVC_QUEUE, 20, 0,
	  { { 0, 500 }, { 8, 250 } }, 16, 2000,
	  8, 275, 1.0, 0, 0, 0, 0.85, 11, 50 },
	{ "a queueing service speeds up to 1000/s", SVC_QUEUE, 20, 0,
	  { { 0, 500 }, { 8, 1000 } }, 16, 2000,
	  8, 0, 0, 900, 4.0, 0, 0.85, 2, 50 },
	{ "a queueing service pausing 50 ms a second", SVC_QUEUE, 20, 50,
	  { { 0, 500 } }, 20, 2000,
	  0, 0, 0, 0, 0, 0, 0.8, 0, 0 },
};

static void test_scenarios(void)
{
	static struct trace tr;
	char name[160];

	for (size_t i = 0; i < sizeof(scens) / sizeof(scens[0]); i++) {
		const struct scen *sc = &scens[i];
		struct svc s = { sc->kind, sc->ph, sc->base_ms, sc->pause_ms,
				 sc->pause_ms > 0 ? 1 : 0, 0, 0, 0, 1 };
		struct rate_ctl c;
		double done, cap = capacity_integral(&s, sc->secs);

		rate_ctl_init(&c, sc->ceiling / 10, 1, sc->ceiling, SEC);
		simulate(&s, &c, sc->secs, 64, &tr);
		done = (double)tr.nok / cap;
		snprintf(name, sizeof(name), "%s: never above --rate", sc->name);
		T_OK(tr.most <= sc->ceiling, name);
		if (sc->cut_s > 0) {
			double w = when_rate(&tr, sc->at_s, sc->cut_to, -1);

			snprintf(name, sizeof(name), "%s: down to %g/s in %.1f s "
				 "(at most %.1f)", sc->name, sc->cut_to, w,
				 sc->cut_s);
			T_OK(w >= 0 && w <= sc->cut_s, name);
		}
		if (sc->up_s > 0) {
			double w = when_rate(&tr, sc->at_s, sc->up_to, 1);

			snprintf(name, sizeof(name), "%s: up to %g/s in %.1f s "
				 "(at most %.1f)", sc->name, sc->up_to, w,
				 sc->up_s);
			T_OK(w >= 0 && w <= sc->up_s, name);
		}
		snprintf(name, sizeof(name), "%s: %.1f%% refused (at most %g%%)",
			 sc->name, 100.0 * tr.nrefused / tr.sent,
			 100 * sc->max_refused);
		T_OK((double)tr.nrefused <= sc->max_refused * tr.sent, name);
		snprintf(name, sizeof(name), "%s: %.2f of capacity used (at "
			 "least %g)", sc->name, done, sc->min_done);
		T_OK(done >= sc->min_done, name);
		if (sc->max_ms > 0) {
			double w = worst_between(&tr, sc->settle_s, sc->secs);

			snprintf(name, sizeof(name), "%s: slowest after %g s "
				 "%.1f ms (at most %g)", sc->name, sc->settle_s,
				 w, sc->max_ms);
			T_OK(w <= sc->max_ms, name);
		}
	}
}

/* ---- the controller, step by step ---- */

/* One window of n outcomes o at latency lat_ms, all of them sent in it
 * (sent 1) or none (sent 0), closed at *t + window. */
static int window(struct rate_ctl *c, int64_t *t, int n, enum rate_outcome o,
		  double lat_ms, int sent)
{
	for (int i = 0; i < n; i++) {
		if (sent)
			rate_ctl_sent(c);
		rate_ctl_observe(c, o, lat_ms);
	}
	*t += c->window_ns;
	return rate_ctl_tick(c, *t);
}

static void test_steps(void)
{
	struct rate_ctl c;
	int64_t t = SEC;
	double before;

	/* slow start: half of itself per 250 ms while healthy and used */
	rate_ctl_init(&c, 100, 1, 10000, t);
	for (int w = 0; w < 5; w++)
		window(&c, &t, 20, RATE_OK, 5, 1);
	T_OK(fabs(c.rate - 100 * pow(1.5, 2)) < 1, "slow start: x1.5 per 250 ms");
	/* an idle sender does not grow the rate */
	before = c.rate;
	for (int w = 0; w < 5; w++)
		window(&c, &t, 20, RATE_OK, 5, 0);
	T_OK(c.rate == before, "unused rate does not grow");
	/* too few outcomes: the window waits, up to a second */
	t += 300 * MS;
	rate_ctl_observe(&c, RATE_OK, 5);
	T_OK(!rate_ctl_tick(&c, t), "one outcome is not a window");
	/* a 503 cuts to 90% of what the service delivered */
	rate_ctl_init(&c, 1000, 1, 10000, t);
	for (int i = 0; i < 100; i++)
		rate_ctl_sent(&c);
	for (int i = 0; i < 70; i++)
		rate_ctl_observe(&c, RATE_OK, 1);
	rate_ctl_observe(&c, RATE_THROTTLED, 1);
	t += 100 * MS;
	T_OK(rate_ctl_tick(&c, t), "a throttle changes the rate");
	T_OK(fabs(c.rate - 630) < 1, "cut to 90% of the 700/s delivered");
	T_EQ_INT(c.breaches, 1, "one cut counted");
	/* outcomes of requests sent before the cut do not cut again */
	before = c.rate;
	window(&c, &t, 29, RATE_THROTTLED, 1, 0);
	T_OK(c.rate == before, "stale refusals are not acted on twice");
	window(&c, &t, 1, RATE_THROTTLED, 1, 1);
	T_OK(c.rate < before, "a refusal of a later request cuts again");
	/* a service that answers nothing: at most halved per window */
	rate_ctl_init(&c, 1000, 1, 10000, t);
	window(&c, &t, 50, RATE_THROTTLED, 1, 1);
	T_OK(fabs(c.rate - 500) < 1, "at most halved by a cut");
	/* errors over the target, and slow responses, are breaches */
	rate_ctl_init(&c, 50, 1, 100, t);
	for (int i = 0; i < 10; i++)
		rate_ctl_observe(&c, i < 2 ? RATE_ERROR : RATE_OK, 5);
	t += 100 * MS;
	rate_ctl_tick(&c, t);
	T_OK(c.rate < 50, "20% errors cut the rate");
	rate_ctl_init(&c, 50, 1, 100, t);
	c.lat_target_ms = 100;
	for (int i = 0; i < 10; i++)
		rate_ctl_observe(&c, RATE_OK, i < 2 ? 500 : 5);
	t += 100 * MS;
	rate_ctl_tick(&c, t);
	T_OK(c.rate < 50, "slow p95 cuts the rate");
	/* never above max, never below min */
	rate_ctl_init(&c, 90, 1, 100, t);
	for (int w = 0; w < 20; w++)
		window(&c, &t, 100, RATE_OK, 1, 1);
	T_OK(c.rate == 100, "capped by max");
	for (int w = 0; w < 40; w++)
		window(&c, &t, 1, RATE_THROTTLED, 1, 1);
	T_OK(c.rate == 1, "floored at min");
}

/* Queueing: a window median well above the baseline cuts, one a little
 * above holds; a latency that stays put after a cut becomes the
 * baseline; --latency-tolerance off ignores latency. */
static void test_queueing(void)
{
	struct rate_ctl c;
	int64_t t = SEC;
	double before;

	rate_ctl_init(&c, 1000, 1, 10000, t);
	window(&c, &t, RATE_POOL, RATE_OK, 20, 1);
	T_OK(fabs(c.base_ms - 20) < 1, "baseline: the median of a pool");
	T_OK(c.rate > 1000, "grown meanwhile");
	window(&c, &t, 100, RATE_OK, 26, 1);
	T_OK(fabs(c.rate - 1000) < 1 && c.breaches == 0,
	     "half the allowed rise: back to the 1000/s delivered, no cut");
	before = c.rate;
	window(&c, &t, 100, RATE_OK, 26, 1);
	T_OK(fabs(c.rate - before) < 1, "and no growth while it lasts");
	window(&c, &t, 100, RATE_OK, 35, 1);
	T_OK(fabs(c.rate - 900) < 1 && c.breaches == 1,
	     "1.75x the baseline cuts below the delivered rate");
	for (int w = 0; w < 8; w++)
		window(&c, &t, 100, RATE_OK, 35, 1);
	T_OK(fabs(c.rate - 900) < 1 && c.breaches == 1 && c.base_ms < 21,
	     "sending below what drains the queue: wait for it");
	for (int w = 0; w < 3; w++)
		window(&c, &t, 100, RATE_OK, 35, 1);
	T_OK(c.breaches == 1 && fabs(c.base_ms - 35) < 2,
	     "a latency that stays put for a second becomes the baseline");
	before = c.rate;
	for (int w = 0; w < 5; w++)
		window(&c, &t, 100, RATE_OK, 35, 1);
	T_OK(c.rate > before, "and the rate grows again from there");
	/* the rise must be at least RATE_QUEUE_MS */
	rate_ctl_init(&c, 1000, 1, 10000, t);
	window(&c, &t, RATE_POOL, RATE_OK, 1, 1);
	window(&c, &t, 100, RATE_OK, 3, 1);
	T_OK(c.breaches == 0, "3x a 1 ms baseline is not queueing");
	/* a noisy service: the quartiles' spread widens what is allowed */
	rate_ctl_init(&c, 1000, 1, 10000, t);
	for (int i = 0; i < RATE_POOL; i++) {
		rate_ctl_sent(&c);
		rate_ctl_observe(&c, RATE_OK, 10 + 40.0 * i / RATE_POOL);
	}
	t += 100 * MS;
	rate_ctl_tick(&c, t);
	window(&c, &t, 100, RATE_OK, 50, 1);
	T_OK(c.breaches == 0, "a rise within the usual spread is not queueing");
	rate_ctl_init(&c, 1000, 1, 10000, t);
	c.lat_tolerance = 0;
	window(&c, &t, RATE_POOL, RATE_OK, 20, 1);
	window(&c, &t, 100, RATE_OK, 200, 1);
	T_OK(c.breaches == 0, "no queueing check when the tolerance is off");
}

/* --ramp: a straight line in time; with adaptive off, outcomes are not
 * looked at; with it on, a breach ends the ramp. */
static void test_ramp(void)
{
	struct rate_ctl c;
	int64_t t = SEC;

	rate_ctl_init(&c, 100, 1, 1000, t);
	c.adaptive = 0;
	c.ramp_ns = 10 * SEC;
	T_OK(rate_ctl_tick(&c, t + 5 * SEC), "the ramp moves the rate");
	T_OK(fabs(c.rate - 550) < 1, "halfway up at half the ramp");
	for (int i = 0; i < 50; i++) {
		rate_ctl_sent(&c);
		rate_ctl_observe(&c, RATE_THROTTLED, 1);
	}
	T_OK(!rate_ctl_tick(&c, t + 5 * SEC) && fabs(c.rate - 550) < 1 &&
	     c.breaches == 0, "without --adaptive, refusals change nothing");
	rate_ctl_tick(&c, t + 20 * SEC);
	T_OK(c.rate == 1000, "at the ceiling after the ramp");
	rate_ctl_init(&c, 100, 1, 1000, t);
	c.ramp_ns = 10 * SEC;
	t += 2 * SEC;
	rate_ctl_tick(&c, t);
	T_OK(fabs(c.rate - 280) < 1, "adaptive ramp: 280/s after 2 s");
	window(&c, &t, 50, RATE_THROTTLED, 1, 1);
	T_OK(c.phase == RATE_PROBE && c.rate < 280, "a refusal ends the ramp");
	t += 3 * SEC;
	rate_ctl_tick(&c, t);
	T_OK(c.rate < 500, "and the ramp is not resumed");
}

static void test_bucket(void)
{
	struct rate_bucket b;
	int64_t t = 1000 * MS;
	int taken = 0;

	/* 100/s: one token at start, then one every 10 ms */
	rate_bucket_init(&b, 100, 1, t);
	T_OK(rate_bucket_take(&b, t), "first token is there");
	T_OK(!rate_bucket_take(&b, t), "no second token at once");
	T_EQ_INT(rate_bucket_wait_ns(&b, t) / MS, 10, "next token in 10 ms");
	T_OK(!rate_bucket_take(&b, t + 9 * MS), "not before 10 ms");
	T_OK(rate_bucket_take(&b, t + 10 * MS + 1), "after 10 ms");
	/* over one simulated second at 1 ms steps: exactly the rate */
	rate_bucket_init(&b, 1000, 10, t);
	for (int64_t x = t; x < t + 1000 * MS; x += MS / 4)
		while (rate_bucket_take(&b, x))
			taken++;
	T_OK(taken >= 999 && taken <= 1001, "1000/s gives 1000 in a second");
	/* an idle bucket holds at most its burst */
	rate_bucket_init(&b, 1000, 5, t);
	taken = 0;
	while (rate_bucket_take(&b, t + 10000 * MS))
		taken++;
	T_EQ_INT(taken, 5, "idle bucket holds the burst only");
	/* a rate change keeps earned tokens */
	rate_bucket_init(&b, 10, 10, t);
	rate_bucket_set(&b, 1000, t + 100 * MS);
	T_OK(rate_bucket_take(&b, t + 100 * MS), "token earned at the old rate");
}

int main(void)
{
	test_bucket();
	test_steps();
	test_queueing();
	test_ramp();
	test_scenarios();

	/* full-jitter backoff bounds */
	T_EQ_INT(replay_backoff_ms(100, 1000, 1, 0.999999), 100, "attempt 1: up to base");
	T_EQ_INT(replay_backoff_ms(100, 1000, 3, 0.999999), 400, "attempt 3: up to 4x base");
	T_EQ_INT(replay_backoff_ms(100, 1000, 10, 0.999999), 1000, "capped");
	T_EQ_INT(replay_backoff_ms(100, 1000, 10, 0), 0, "jitter reaches zero");
	T_EQ_INT(replay_backoff_ms(100, 1000, 200, 0.5), 500, "no overflow on many attempts");
	return t_done();
}
