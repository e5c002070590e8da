/* Unit tests for lib/rate: the token bucket and the AIMD controller, with
 * time passed in, so nothing here depends on the machine's speed. */
#include <stdint.h>

#include "rate.h"
#include "replay.h"
#include "t.h"

#define MS 1000000LL

int main(void)
{
	struct rate_bucket b;
	struct rate_ctl c;
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

	/* controller: slow start grows while healthy and used */
	rate_ctl_init(&c, 10, 1, 100, t);
	for (int w = 0; w < 3; w++) {
		for (int i = 0; i < 10; i++) {
			rate_ctl_sent(&c);
			rate_ctl_observe(&c, RATE_OK, 5);
		}
		t += 250 * MS;
		rate_ctl_tick(&c, t);
	}
	T_OK(c.rate > 30 && c.rate <= 34, "slow start: x1.5 per window");
	/* a 503 cuts by 0.8 and holds one window */
	{
		double before = c.rate;

		rate_ctl_observe(&c, RATE_THROTTLED, 5);
		t += 250 * MS;
		T_OK(rate_ctl_tick(&c, t), "a throttle changes the rate");
		T_OK(c.rate > before * 0.79 && c.rate < before * 0.81, "cut by 0.8");
		before = c.rate;
		for (int i = 0; i < 50; i++) {
			rate_ctl_sent(&c);
			rate_ctl_observe(&c, RATE_OK, 5);
		}
		t += 250 * MS;
		rate_ctl_tick(&c, t);
		T_OK(c.rate == before, "held for one window after a cut");
		for (int i = 0; i < 50; i++) {
			rate_ctl_sent(&c);
			rate_ctl_observe(&c, RATE_OK, 5);
		}
		t += 250 * MS;
		rate_ctl_tick(&c, t);
		T_OK(c.rate > before * 1.04 && c.rate < before * 1.06,
		     "after the first breach: +5% per window");
	}
	/* an idle sender does not grow the rate */
	{
		double before = c.rate;

		for (int i = 0; i < 10; i++)
			rate_ctl_observe(&c, RATE_OK, 5);
		t += 250 * MS;
		rate_ctl_tick(&c, t);
		T_OK(c.rate == before, "unused rate does not grow");
	}
	/* errors over the target, and slow responses, are breaches */
	rate_ctl_init(&c, 50, 1, 100, t);
	for (int i = 0; i < 10; i++)
		rate_ctl_observe(&c, i < 2 ? RATE_ERROR : RATE_OK, 5);
	t += 250 * MS;
	rate_ctl_tick(&c, t);
	T_OK(c.rate < 50, "20% errors cut the rate");
	rate_ctl_init(&c, 50, 1, 100, t);
	c.lat_target_ms = 100;
	for (int i = 0; i < 10; i++)
		rate_ctl_observe(&c, RATE_OK, i < 2 ? 500 : 5);
	t += 250 * MS;
	rate_ctl_tick(&c, t);
	T_OK(c.rate < 50, "slow p95 cuts the rate");
	/* never above max, never below min */
	rate_ctl_init(&c, 90, 1, 100, t);
	for (int w = 0; w < 20; w++) {
		for (int i = 0; i < 100; i++) {
			rate_ctl_sent(&c);
			rate_ctl_observe(&c, RATE_OK, 1);
		}
		t += 250 * MS;
		rate_ctl_tick(&c, t);
	}
	T_OK(c.rate <= 100, "capped by max");
	for (int w = 0; w < 40; w++) {
		rate_ctl_observe(&c, RATE_THROTTLED, 1);
		t += 250 * MS;
		rate_ctl_tick(&c, t);
	}
	T_OK(c.rate >= 1, "floored at min");

	/* full-jitter backoff bounds */
	T_EQ_INT(replay_backoff_ms(100, 1000, 1, 0.999999), 100, "attempt 1: up to base");
	T_EQ_INT(replay_backoff_ms(100, 1000, 3, 0.999999), 400, "attempt 3: up to 4x base");
	T_EQ_INT(replay_backoff_ms(100, 1000, 10, 0.999999), 1000, "capped");
	T_EQ_INT(replay_backoff_ms(100, 1000, 10, 0), 0, "jitter reaches zero");
	T_EQ_INT(replay_backoff_ms(100, 1000, 200, 0.5), 500, "no overflow on many attempts");
	return t_done();
}
