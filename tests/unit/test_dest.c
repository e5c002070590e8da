/* Unit tests for lib/dest: pacing per destination.  The host key, the
 * HOST=VALUE limits, and a host's pause as results come in, in simulated
 * time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dest.h"
#include "t.h"

#define MS 1000000LL
#define SEC 1000000000LL

static void test_key(void)
{
	static const struct { const char *url, *want; } tab[] = {
		{ "http://API.example.com/x", "api.example.com:80" },
		{ "https://api.example.com/x", "api.example.com:443" },
		{ "HTTPS://api.example.com:8443", "api.example.com:8443" },
		{ "http://u:p@api:81/x?y#z", "api:81" },
		{ "http://[::1]:8080/", "[::1]:8080" },
		{ "http://[::1]/", "[::1]:80" },
		{ "http://127.0.0.1:9/a", "127.0.0.1:9" },
	};
	char k[DEST_HOST_MAX];

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		T_OK(dest_key(tab[i].url, k, sizeof(k)) == 0, tab[i].url);
		T_EQ_STR(k, tab[i].want, tab[i].url);
	}
	T_OK(dest_key("not a url", k, sizeof(k)) < 0, "no scheme: no key");
	T_OK(dest_key("http:///x", k, sizeof(k)) < 0, "no host: no key");
}

static void test_limits(void)
{
	struct dest_limit *l = NULL;
	struct dest_conf c;
	struct dest_set s;
	struct rd_err err;
	size_t n = 0;
	struct dest *d;

	T_EQ_INT(dest_limit_parse("100/s", 1, &l, &n, &err), 0, "no '=': every host's");
	T_EQ_INT(dest_limit_parse("API:8443=5/s", 1, &l, &n, &err), 1, "HOST:PORT=RATE");
	T_EQ_INT(dest_limit_parse("api=2", 0, &l, &n, &err), 1, "HOST=N");
	T_EQ_INT(dest_limit_parse("api=7/s", 1, &l, &n, &err), 1, "the same host's rate");
	T_EQ_INT(n, 2, "two hosts");
	T_EQ_INT(dest_limit_parse("a b=1", 1, &l, &n, &err), RD_E_INVAL, "a space in the host");
	T_OK(strstr(err.msg, "'a b' is not a host name") != NULL, "says which host");
	T_EQ_INT(dest_limit_parse("=1", 1, &l, &n, &err), RD_E_INVAL, "no host");
	T_EQ_INT(dest_limit_parse("*.example.com=1", 1, &l, &n, &err), RD_E_INVAL,
		 "a pattern, which would match no host");
	T_EQ_INT(dest_limit_parse("api=0", 0, &l, &n, &err), RD_E_INVAL, "concurrency 0");
	T_EQ_INT(dest_limit_parse("api=fast", 1, &l, &n, &err), RD_E_INVAL, "not a rate");
	T_OK(strncmp(err.msg, "api: ", 5) == 0, "names the host");
	T_EQ_INT(n, 2, "nothing added by a bad one");
	T_EQ_INT(dest_limit_parse("fast=max", 1, &l, &n, &err), 1, "HOST=max, as --rate max");

	memset(&c, 0, sizeof(c));
	c.rate = 100;
	c.concurrency = 16;
	c.pause_ns = SEC;
	c.pause_max_ns = 8 * SEC;
	c.limits = l;
	c.nlimits = n;
	dest_set_init(&s, &c);
	d = dest_get(&s, "api:8443", 0);
	T_OK(d->rate == 5 && d->concurrency == 16, "host and port: its rate, the run's concurrency");
	d = dest_get(&s, "api:80", 0);
	T_OK(d->rate == 7 && d->concurrency == 2, "host alone: every port");
	d = dest_get(&s, "other:80", 0);
	T_OK(d->rate == 100 && d->concurrency == 16, "another host: the run's");
	T_OK(dest_get(&s, "api:80", 0) == d - 1, "found again, not added");
	T_EQ_INT(s.n, 3, "three hosts");
	d = dest_get(&s, "fast:443", 0);
	T_OK(d->rate == 0 && d->concurrency == 16, "HOST=max: no rate limit for it, the run's concurrency");
	dest_set_release(&s);
	free(l);
}

/* A host with no rate limit and concurrency 2, in simulated time. */
static void host(struct dest_conf *c, struct dest_set *s)
{
	memset(c, 0, sizeof(*c));
	c->concurrency = 2;
	c->pause_ns = SEC;
	c->pause_max_ns = 4 * SEC;
	dest_set_init(s, c);
}

static void test_concurrency(void)
{
	uint32_t e = 0;
	struct dest_conf c;
	struct dest_set s;
	struct dest *d;
	int64_t w;

	host(&c, &s);
	d = dest_get(&s, "a:80", 0);
	T_OK(dest_take(d, 0, &w), "first");
	e = dest_started(d);
	T_OK(dest_take(d, 0, &w), "second");
	e = dest_started(d);
	T_OK(!dest_take(d, 0, &w) && w == INT64_MAX, "full: until one ends");
	T_EQ_INT(dest_done(d, e, DEST_R_OK, RATE_OK, 5, -1, MS), 0, "one ends");
	T_OK(dest_take(d, MS, &w), "room again");
	dest_set_release(&s);
}

static void test_pause(void)
{
	uint32_t e = 0;
	struct dest_conf c;
	struct dest_set s;
	struct dest *d;
	int64_t w, u, t = 0;

	host(&c, &s);
	d = dest_get(&s, "down:80", 0);
	/* two failures do not pause, the third does */
	for (int i = 0; i < 2; i++) {
		dest_take(d, t, &w);
		e = dest_started(d);
		T_EQ_INT(dest_done(d, e, DEST_R_DOWN, RATE_ERROR, 1, -1, t), 0, "a failure");
	}
	dest_take(d, t, &w);
	e = dest_started(d);
	T_EQ_INT(dest_done(d, e, DEST_R_DOWN, RATE_ERROR, 1, -1, t), DEST_DONE_PAUSED,
		 "the third in a row pauses it");
	T_OK(dest_held(d, t, &u) && u == SEC, "held for --backoff");
	T_OK(!dest_take(d, t + SEC / 2, &w) && w == SEC / 2, "nothing before then");
	/* the pause ends: one probe, alone */
	t = SEC;
	T_OK(dest_take(d, t, &w), "a probe");
	e = dest_started(d);
	T_EQ_INT(d->state, DEST_PROBING, "probing");
	T_OK(!dest_take(d, t, &w) && dest_held(d, t, &u) && u == 0, "the probe goes alone");
	T_EQ_INT(dest_done(d, e, DEST_R_DOWN, RATE_ERROR, 1, -1, t), DEST_DONE_PAUSED,
		 "a failed probe pauses it again");
	T_OK(dest_held(d, t, &u) && u == t + 2 * SEC, "for twice as long");
	t += 2 * SEC;
	dest_take(d, t, &w);
	e = dest_started(d);
	dest_done(d, e, DEST_R_DOWN, RATE_ERROR, 1, -1, t);
	T_OK(dest_held(d, t, &u) && u == t + 4 * SEC, "and again");
	t += 4 * SEC;
	dest_take(d, t, &w);
	e = dest_started(d);
	dest_done(d, e, DEST_R_DOWN, RATE_ERROR, 1, -1, t);
	T_OK(dest_held(d, t, &u) && u == t + 4 * SEC, "up to --backoff-max");
	/* a probe that gets an answer opens it */
	t += 4 * SEC;
	T_OK(dest_take(d, t, &w), "a probe");
	e = dest_started(d);
	T_EQ_INT(dest_done(d, e, DEST_R_OK, RATE_OK, 1, -1, t), DEST_DONE_OPENED, "answers: open");
	T_OK(dest_take(d, t, &w), "open");
	e = dest_started(d);
	T_OK(dest_take(d, t, &w), "to its concurrency");
	T_EQ_INT(d->pauses, 4, "four pauses");
	dest_set_release(&s);
}

/* Sends from before a pause that fail after it say nothing new; answers
 * that keep failing pause a host only after DEST_SICK_NS. */
static void test_stragglers(void)
{
	uint32_t e = 0;
	struct dest_conf c;
	struct dest_set s;
	struct dest *d;
	int64_t w, u;

	host(&c, &s);
	c.concurrency = 8;
	d = dest_get(&s, "a:80", 0);
	for (int i = 0; i < 8; i++) {
		dest_take(d, 0, &w);
		e = dest_started(d);
	}
	for (int i = 0; i < 3; i++)
		dest_done(d, e, DEST_R_DOWN, RATE_ERROR, 1, -1, 0);
	for (int i = 0; i < 5; i++)
		T_EQ_INT(dest_done(d, e, DEST_R_DOWN, RATE_ERROR, 1, -1, 0), 0, "a straggler");
	T_OK(dest_held(d, 0, &u) && u == SEC, "one pause, not five longer ones");
	dest_set_release(&s);

	/* a straggler from before the pause that fails while a probe is out
	 * does not count against the probe */
	host(&c, &s);
	c.concurrency = 4;
	d = dest_get(&s, "s:80", 0);
	{
		uint32_t old = 0, probe;

		for (int i = 0; i < 2; i++)
			old = dest_started(d);
		for (int i = 0; i < 3; i++) {
			dest_take(d, 0, &w);
			e = dest_started(d);
			dest_done(d, e, DEST_R_DOWN, RATE_ERROR, 1, -1, 0);
		}
		T_OK(dest_held(d, SEC / 2, &u), "paused");
		T_OK(dest_take(d, SEC, &w), "the pause ends: a probe");
		probe = dest_started(d);
		T_EQ_INT(dest_done(d, old, DEST_R_DOWN, RATE_ERROR, 1, -1, SEC + SEC / 2), 0,
			 "a straggler's timeout: nothing new");
		T_EQ_INT(d->pauses, 1, "no second pause");
		T_EQ_INT(dest_done(d, probe, DEST_R_OK, RATE_OK, 1, -1, 2 * SEC),
			 DEST_DONE_OPENED, "the probe answers: open");
		T_EQ_INT(dest_done(d, old, DEST_R_OK, RATE_OK, 1, -1, 2 * SEC), 0,
			 "a late answer from before the pause: open already");
	}
	dest_set_release(&s);

	host(&c, &s);
	d = dest_get(&s, "b:80", 0);
	for (int i = 0; i < 5; i++) {
		dest_take(d, i * MS, &w);
		e = dest_started(d);
		T_EQ_INT(dest_done(d, e, DEST_R_FAILED, RATE_ERROR, 1, -1, i * MS), 0,
			 "a 500 soon after the start: no pause");
	}
	dest_take(d, SEC, &w);
	e = dest_started(d);
	T_EQ_INT(dest_done(d, e, DEST_R_FAILED, RATE_ERROR, 1, -1, SEC), DEST_DONE_PAUSED,
		 "nothing but failures for a second: a pause");
	dest_set_release(&s);

	host(&c, &s);
	d = dest_get(&s, "c:80", 0);
	dest_take(d, 0, &w);
	e = dest_started(d);
	dest_done(d, e, DEST_R_FAILED, RATE_THROTTLED, 1, 3 * SEC, 0);
	T_OK(dest_held(d, SEC, &u) && u == 3 * SEC, "Retry-After holds the host");
	T_EQ_INT(d->state, DEST_OPEN, "and is no pause");
	dest_set_release(&s);
}

int main(void)
{
	test_key();
	test_limits();
	test_concurrency();
	test_pause();
	test_stragglers();
	return t_done();
}
