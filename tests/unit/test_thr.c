/* Unit tests for lib/thr, lib/breaker and lib/hist: the threshold
 * grammar, Nagios ranges and statuses, the breaker's transitions and
 * percentiles. */
#include <math.h>
#include <string.h>

#include "breaker.h"
#include "hist.h"
#include "thr.h"
#include "t.h"

struct tcase {
	const char *in;
	int ok;
	double value;
	double probe;     /* a value to test */
	int holds;
};

/*
 * Nagios ranges.  The cases come from the plugin libraries' own tests:
 * monitoring-plugins lib/tests/test_utils.c (parse_range_string,
 * check_range) and monitoring-plugin-perl t/Monitoring-Plugin-Range.t
 * (parse_range_string, check_range and the stringification, which is
 * thr_range_fmt's form), then the forms both refuse and our own edges.
 */
struct rcase {
	const char *in;
	int ok;
	double lo, hi;
	int inside;
	const char *canon;       /* thr_range_fmt */
};

static const struct rcase rcases[] = {
	/* lib/tests/test_utils.c */
	{ "6", 1, 0, 6, 0, "6" },
	{ "1:12%", 1, 1, 12, 0, "1:12" },     /* "percentages are ignored" */
	{ "-7:23", 1, -7, 23, 0, "-7:23" },
	{ ":5.75", 1, 0, 5.75, 0, "5.75" },
	{ "~:-95.99", 1, -INFINITY, -95.99, 0, "~:-95.99" },
	{ "12345678901234567890:", 1, 12345678901234567890.0, INFINITY, 0,
	  "12345678901234567000:" },
	{ "~:0", 1, -INFINITY, 0, 0, "~:0" },
	{ "@0:657.8210567", 1, 0, 657.8210567, 1, "@657.8210567" },
	{ "@1:1", 1, 1, 1, 1, "@1:1" },
	{ "1:1", 1, 1, 1, 0, "1:1" },
	{ "2:1", 0, 0, 0, 0, NULL },
	/* t/Monitoring-Plugin-Range.t: "garbage in" */
	{ ":", 0, 0, 0, 0, NULL },
	{ "1:~", 0, 0, 0, 0, NULL },
	{ "foo", 0, 0, 0, 0, NULL },
	{ "1-10", 0, 0, 0, 0, NULL },
	{ "10:~", 0, 0, 0, 0, NULL },
	{ "1-10:2.4", 0, 0, 0, 0, NULL },
	{ "1,10", 0, 0, 0, 0, NULL },
	/* t/Monitoring-Plugin-Range.t: valid ones not above */
	{ "10:", 1, 10, INFINITY, 0, "10:" },
	{ "123456789012345:", 1, 123456789012345.0, INFINITY, 0, "123456789012345:" },
	/* the guidelines' examples (doc/developer-guidelines.sgml) */
	{ "10", 1, 0, 10, 0, "10" },
	{ "~:10", 1, -INFINITY, 10, 0, "~:10" },
	{ "10:20", 1, 10, 20, 0, "10:20" },
	{ "@10:20", 1, 10, 20, 1, "@10:20" },
	/* both libraries: exponents, "~:" (never alerts), a sign */
	{ "1e3", 1, 0, 1000, 0, "1000" },
	{ "@1.5e-7:2E2", 1, 1.5e-7, 200, 1, "@0.00000015:200" },
	{ "~:", 1, -INFINITY, INFINITY, 0, "~:" },
	{ "@~:", 1, -INFINITY, INFINITY, 1, "@~:" },
	{ "+5", 1, 0, 5, 0, "5" },
	{ ".5:5.", 1, 0.5, 5, 0, "0.5:5" },
	/* the shortest form keeps "0:", which is not the empty range */
	{ "0:", 1, 0, INFINITY, 0, "0:" },
	{ "@0:", 1, 0, INFINITY, 1, "@0:" },
	{ "0:7", 1, 0, 7, 0, "7" },
	{ "@2:2", 1, 2, 2, 1, "@2:2" },
	/* refused: no bound, stray bytes, what strtod alone would take */
	{ "", 0, 0, 0, 0, NULL },
	{ "@", 0, 0, 0, 0, NULL },
	{ "@:", 0, 0, 0, 0, NULL },
	{ "~", 0, 0, 0, 0, NULL },
	{ "~5:10", 0, 0, 0, 0, NULL },
	{ "1:2:3", 0, 0, 0, 0, NULL },
	{ "1.2.3", 0, 0, 0, 0, NULL },
	{ "@@1", 0, 0, 0, 0, NULL },
	{ "0x10", 0, 0, 0, 0, NULL },
	{ "inf", 0, 0, 0, 0, NULL },
	{ "nan:", 0, 0, 0, 0, NULL },
	{ "1e400", 0, 0, 0, 0, NULL },
	{ " 10", 0, 0, 0, 0, NULL },
	{ "10 ", 0, 0, 0, 0, NULL },
	{ "10ms", 0, 0, 0, 0, NULL },
	{ "@20:10", 0, 0, 0, 0, NULL },
	{ "-1:-2", 0, 0, 0, 0, NULL },
};

struct acase {
	const char *range;
	double v;
	int alert;
};

static const struct acase acases[] = {
	/* lib/tests/test_utils.c, check_range */
	{ "12345678901234567890:", 12345678901234567890.0 / 1.1, 1 },
	{ "12345678901234567890:", 12345678901234567890.0, 0 },
	{ "12345678901234567890:", 12345678901234567890.0 * 2, 0 },
	{ "~:0", 0.5, 1 }, { "~:0", -10, 0 }, { "~:0", 0, 0 },
	{ "@0:657.8210567", 32.88, 1 }, { "@0:657.8210567", -2, 0 },
	{ "@0:657.8210567", 657.8210567, 1 }, { "@0:657.8210567", 0, 1 },
	{ "@1:1", 0.5, 0 }, { "@1:1", 1, 1 }, { "@1:1", 5.2, 0 },
	{ "1:1", 0.5, 1 }, { "1:1", 1, 0 }, { "1:1", 5.2, 1 },
	/* t/Monitoring-Plugin-Range.t, test_expected */
	{ "6", -1, 1 }, { "6", 0, 0 }, { "6", 4, 0 }, { "6", 6, 0 }, { "6", 6.1, 1 },
	{ "6", 79.999999, 1 },
	{ "-7:23", -23, 1 }, { "-7:23", -7, 0 }, { "-7:23", -1, 0 }, { "-7:23", 0, 0 },
	{ "-7:23", 4, 0 }, { "-7:23", 23, 0 }, { "-7:23", 23.1, 1 }, { "-7:23", 79.999999, 1 },
	{ ":5.75", -1, 1 }, { ":5.75", 0, 0 }, { ":5.75", 4, 0 }, { ":5.75", 5.75, 0 },
	{ ":5.75", 5.7501, 1 }, { ":5.75", 6, 1 }, { ":5.75", 6.1, 1 },
	{ ":5.75", 79.999999, 1 },
	{ "~:-95.99", -1001341, 0 }, { "~:-95.99", -96, 0 }, { "~:-95.99", -95.999, 0 },
	{ "~:-95.99", -95.99, 0 }, { "~:-95.99", -95.989, 1 }, { "~:-95.99", -95, 1 },
	{ "~:-95.99", 0, 1 }, { "~:-95.99", 5.7501, 1 }, { "~:-95.99", 79.999999, 1 },
	{ "10:", -95.999, 1 }, { "10:", -1, 1 }, { "10:", 0, 1 }, { "10:", 9.91, 1 },
	{ "10:", 10, 0 }, { "10:", 11.1, 0 }, { "10:", 123456789012346, 0 },
	{ "123456789012345:", -95.999, 1 }, { "123456789012345:", -1, 1 },
	{ "123456789012345:", 0, 1 }, { "123456789012345:", 123456789012344.91, 1 },
	{ "123456789012345:", 123456789012345, 0 },
	{ "123456789012345:", 123456789012345.61, 0 },
	{ "123456789012345:", 123456789012346, 0 },
	{ "~:0", -123456789012344.91, 0 }, { "~:0", -1, 0 }, { "~:0", .001, 1 },
	{ "~:0", 123456789012345, 1 },
	{ "@0:657.8210567", -134151, 0 }, { "@0:657.8210567", -1, 0 },
	{ "@0:657.8210567", .001, 1 }, { "@0:657.8210567", 657.9, 0 },
	{ "@0:657.8210567", 123456789012345, 0 },
	{ "1:1", -1, 1 }, { "1:1", 0, 1 }, { "1:1", 1.001, 1 },
	/* doc/developer-guidelines.sgml, the example ranges */
	{ "10", -0.5, 1 }, { "10", 10.5, 1 }, { "10:", 9.5, 1 }, { "~:10", -1e300, 0 },
	{ "~:10", 10.5, 1 }, { "10:20", 9, 1 }, { "10:20", 15, 0 }, { "10:20", 21, 1 },
	{ "@10:20", 9, 0 }, { "@10:20", 10, 1 }, { "@10:20", 20, 1 }, { "@10:20", 21, 0 },
	/* ours */
	{ "~:", -1e300, 0 }, { "~:", 1e300, 0 }, { "@~:", 0, 1 },
	{ "1e3", 1000, 0 }, { "1e3", 1000.5, 1 },
};

static void ranges(void)
{
	struct thr_range r;
	struct rd_err err;
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		const struct rcase *c = &rcases[i];
		int ok = thr_range_parse(c->in, &r, &err) == 0;

		T_EQ_INT(ok, c->ok, c->in);
		if (!ok || !c->ok)
			continue;
		T_OK(r.lo == c->lo && r.hi == c->hi && r.inside == c->inside,
		     "start, end and @");
		buf_reset(&b);
		thr_range_fmt(&r, &b);
		buf_addc(&b, '\0');
		T_EQ_STR(b.data, c->canon, "the shortest form");
		/* the shortest form is a range that reads back the same */
		T_OK(thr_range_parse(b.data, &r, &err) == 0 && r.lo == c->lo &&
		     r.hi == c->hi && r.inside == c->inside, "which reads back");
	}
	buf_release(&b);
	for (size_t i = 0; i < sizeof(acases) / sizeof(acases[0]); i++) {
		T_OK(thr_range_parse(acases[i].range, &r, &err) == 0, acases[i].range);
		T_EQ_INT(thr_range_alert(&r, acases[i].v), acases[i].alert, acases[i].range);
	}
	thr_range_parse("1-10", &r, &err);
	T_EQ_STR(err.msg, "range '1-10': unexpected '-' at byte 1 (the form is [@][START:][END], e.g. 10, 10:, ~:10, 10:20 or @10:20)",
		 "the message names the byte");
	thr_range_parse("10:~", &r, &err);
	T_OK(strstr(err.msg, "expected a number at byte 3") != NULL, "10:~");
	thr_range_parse("2:1", &r, &err);
	T_EQ_STR(err.msg, "range '2:1': the start is above the end", "2:1");
}

/* Warning and critical together: lib/tests/test_utils.c, get_status. */
static void statuses(void)
{
	static const struct {
		const char *warn, *crit;
		double v;
		int status;
	} cases[] = {
		{ "30", "60", 15.3, 0 }, { "30", "60", 30.0001, 1 }, { "30", "60", 69, 2 },
		{ "-10:-2", "-30:20", -31, 2 }, { "-10:-2", "-30:20", -29, 1 },
		{ "-10:-2", "-30:20", -11, 1 }, { "-10:-2", "-30:20", -10, 0 },
		{ "-10:-2", "-30:20", -2, 0 }, { "-10:-2", "-30:20", -1, 1 },
		{ "-10:-2", "-30:20", 19, 1 }, { "-10:-2", "-30:20", 21, 2 },
		/* only one of them given */
		{ NULL, "80", 81, 2 }, { NULL, "80", 79, 0 }, { "5:33", NULL, 4, 1 },
		{ "5:33", NULL, 34, 1 }, { "5:33", NULL, 6, 0 }, { NULL, NULL, 1e300, 0 },
		/* no value alerts the worst range given */
		{ "30", "60", NAN, 2 }, { "30", NULL, NAN, 1 }, { NULL, NULL, NAN, 0 },
	};
	struct thr_range w, c;
	struct rd_err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].warn)
			thr_range_parse(cases[i].warn, &w, &err);
		if (cases[i].crit)
			thr_range_parse(cases[i].crit, &c, &err);
		T_EQ_INT(thr_status(cases[i].warn ? &w : NULL, cases[i].crit ? &c : NULL,
				    cases[i].v), cases[i].status, "get_status");
	}
}

/* The threshold grammar: what parses, in which unit, and what holds. */
static void thresholds(void)
{
	static const struct tcase cases[] = {
		{ "p99<250ms", 1, 250, 249, 1 },
		{ "p99<250ms", 1, 250, 250, 0 },
		{ "p99 <= 1.5s", 1, 1500, 1500, 1 },
		{ "p50>2m", 1, 120000, 120001, 1 },
		{ "p90<100", 1, 100, 50, 1 },
		{ "error_rate<=1%", 1, 0.01, 0.01, 1 },
		{ "error_rate<0.05", 1, 0.05, 0.06, 0 },
		{ "value>=0.99", 1, 0.99, 0.99, 1 },
		{ "value==3", 1, 3, 3, 1 },
		{ "value!=3", 1, 3, 3, 0 },
		{ "rate>-1", 1, -1, 0, 1 },
		{ "p99<250%", 0, 0, 0, 0 },
		{ "error_rate<5ms", 0, 0, 0, 0 },
		{ "error_rate<200%", 0, 0, 0, 0 },
		{ "value>1e3", 0, 0, 0, 0 },
		{ "value>0x10", 0, 0, 0, 0 },
		{ "value>nan", 0, 0, 0, 0 },
		{ "value>", 0, 0, 0, 0 },
		{ "<3", 0, 0, 0, 0 },
		{ "value=3", 0, 0, 0, 0 },
		{ "value>3 ", 0, 0, 0, 0 },
		{ "value>3x", 0, 0, 0, 0 },
	};
	struct thr t;
	struct rd_err err;
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ok = thr_parse(cases[i].in, &t, &err) == 0;

		T_EQ_INT(ok, cases[i].ok, cases[i].in);
		if (ok && cases[i].ok) {
			T_OK(fabs(t.value - cases[i].value) < 1e-9, "value in the metric's unit");
			T_EQ_INT(thr_holds(&t, cases[i].probe), cases[i].holds, "holds");
		}
	}
	thr_parse("p99<<3", &t, &err);
	T_OK(strstr(err.msg, "byte 4") != NULL, "the message names the byte offset");
	thr_parse("value<1e3", &t, &err);
	T_OK(strstr(err.msg, "byte 7") != NULL, "the byte it stopped at, not the number's first");
	thr_parse("p99<250ms", &t, &err);
	T_OK(!thr_holds(&t, NAN), "no data never holds");
	T_EQ_STR(thr_fmt(0.125, THR_FRACTION, buf, sizeof(buf)), "12.50%", "shares print as %");
	T_EQ_STR(thr_fmt(12.34, THR_MS, buf, sizeof(buf)), "12.3ms", "latency prints as ms");
}

/* The breaker, K = 2, M = 2, cooldown 1000 ms: closed, open, half-open
 * and closed again. */
static void breaker_transitions(struct breaker *b)
{
	breaker_init(b, 2, 2, 1000);
	T_EQ_INT(breaker_step(b, 1, 0), 1, "closed and healthy passes");
	T_EQ_INT(breaker_step(b, 0, 10), 0, "one bad evaluation fails");
	T_EQ_INT(b->state, BREAKER_CLOSED, "but stays closed");
	T_EQ_INT(breaker_step(b, 1, 20), 1, "a good one resets");
	breaker_step(b, 0, 30);
	breaker_step(b, 0, 40);
	T_EQ_INT(b->state, BREAKER_OPEN, "K bad in a row open it");
	T_EQ_INT(breaker_step(b, 1, 500), 0, "open during the cooldown");
	T_EQ_INT(b->state, BREAKER_OPEN, "still open");
	T_EQ_INT(breaker_step(b, 1, 1040), 0, "after the cooldown: half-open, first good");
	T_EQ_INT(b->state, BREAKER_HALF_OPEN, "half-open");
	T_EQ_INT(breaker_step(b, 0, 1050), 0, "a bad one in half-open");
	T_EQ_INT(b->state, BREAKER_OPEN, "opens again");
	T_EQ_INT(b->opened_ms, 1050, "and restarts the cooldown");
	breaker_step(b, 1, 2100);
	T_EQ_INT(breaker_step(b, 1, 2200), 1, "M good in a row close it");
	T_EQ_INT(b->state, BREAKER_CLOSED, "closed");
}

/* b's state round trip, with a counter sample; what its file holds. */
static void breaker_file(struct breaker *b)
{
	struct breaker c;
	struct buf j;
	struct rd_err err;

	breaker_step(b, 0, 3000);
	breaker_sample_put(b, "http://x/metrics up", 42.5, 2999);
	buf_init(&j);
	breaker_to_json(b, &j);
	breaker_init(&c, 2, 2, 1000);
	T_EQ_INT(breaker_load(&c, j.data, j.len, &err), 0, "state loads");
	T_OK(c.state == b->state && c.bad == b->bad && c.good == b->good, "same state");
	T_OK(breaker_sample_get(&c, "http://x/metrics up") &&
	     breaker_sample_get(&c, "http://x/metrics up")->value == 42.5, "sample kept");
	/* numbers in the file: the shortest that read back, and no
	 * "nan", which is not JSON and would make the file unreadable */
	buf_reset(&j);
	breaker_sample_put(b, "http://x/metrics up", 0.1, 2999);
	breaker_sample_put(b, "http://x/metrics down", NAN, 2999);
	breaker_to_json(b, &j);
	buf_addc(&j, '\0');
	T_OK(strstr(j.data, "\"value\":0.1,") != NULL, "0.1 is written 0.1");
	T_OK(strstr(j.data, "\"value\":null,") != NULL, "NaN is written null");
	breaker_release(&c);
	breaker_init(&c, 2, 2, 1000);
	T_EQ_INT(breaker_load(&c, j.data, j.len - 1, &err), 0, "and the file still loads");
	T_OK(breaker_sample_get(&c, "http://x/metrics up") &&
	     breaker_sample_get(&c, "http://x/metrics up")->value == 0.1, "0.1 kept");
	T_OK(breaker_sample_get(&c, "http://x/metrics down") == NULL, "no-value sample dropped");
	T_OK(breaker_load(&c, "{}", 2, &err) < 0, "not a state");
	T_OK(breaker_load(&c, "{\"state\":\"ajar\"}", 16, &err) < 0, "unknown state");
	/* read as it is written, or refused: never a guess */
	T_OK(breaker_load(&c, "{\"state\":\"open\"}", 16, &err) < 0,
	     "open with no opened_at (it went half-open at once)");
	T_OK(breaker_load(&c, "{\"state\":\"closed\",\"bad\":\"lots\"}", 30, &err) < 0,
	     "a count that is not one");
	T_OK(breaker_load(&c, "{\"v\":99,\"state\":\"closed\"}", 26, &err) < 0,
	     "another version's file");
	breaker_release(&c);
	buf_release(&j);
}

/* The wall clock stepped back past the time the breaker opened: the
 * cooldown counts from now (it waited for the old time to come back). */
static void breaker_clock_back(void)
{
	struct breaker b;

	breaker_init(&b, 1, 1, 1000);
	breaker_step(&b, 0, 100000);
	T_EQ_INT(b.state, BREAKER_OPEN, "open at 100 s");
	T_EQ_INT(breaker_step(&b, 1, 5000), 0, "the clock is at 5 s now: open");
	T_EQ_INT(b.opened_ms, 5000, "opened, as far as this clock says, now");
	T_EQ_INT(breaker_step(&b, 1, 6000), 1, "a cooldown later: half-open, and closes");
	breaker_release(&b);
}

/* Counter samples are told apart by their whole key, however long: two
 * selectors alike for 300 bytes took each other's counter. */
static void breaker_long_keys(void)
{
	struct breaker b;
	char k1[400], k2[400];

	memset(k1, 'a', 300);
	memcpy(k2, k1, 300);
	snprintf(k1 + 300, 100, "{x=\"1\"}");
	snprintf(k2 + 300, 100, "{x=\"2\"}");
	breaker_init(&b, 1, 1, 1000);
	breaker_sample_put(&b, k1, 1, 1);
	breaker_sample_put(&b, k2, 2, 1);
	T_EQ_INT(b.nsamples, 2, "two samples");
	T_OK(breaker_sample_get(&b, k1)->value == 1 && breaker_sample_get(&b, k2)->value == 2,
	     "each its own");
	breaker_release(&b);
}

/* Nearest-rank percentiles, before any sample and after a new one. */
static void percentiles(void)
{
	struct hist h;

	hist_init(&h);
	T_OK(isnan(hist_pct(&h, 50)), "no samples: no percentile");
	for (int i = 100; i >= 1; i--)
		hist_add(&h, i);
	T_OK(hist_pct(&h, 50) == 50 && hist_pct(&h, 99) == 99 && hist_pct(&h, 100) == 100,
	     "nearest rank");
	hist_add(&h, 1000);
	T_OK(hist_pct(&h, 99) == 100, "a new sample re-sorts");
	hist_release(&h);
}

int main(void)
{
	struct breaker b;

	thresholds();
	ranges();
	statuses();
	breaker_transitions(&b);
	breaker_file(&b);
	breaker_clock_back();
	breaker_long_keys();
	breaker_release(&b);
	percentiles();
	return t_done();
}
