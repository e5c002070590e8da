/* Unit tests for lib/health's verdicts (health_judge): which checks pass
 * on which sources, what an unreadable source and "no data" give under
 * each --no-data policy, and the implicit error_rate check of a URL. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "t.h"

static struct health_source *src(struct health_eval *ev, enum health_kind k)
{
	struct health_source *s;

	ev->src = realloc(ev->src, (ev->nsrc + 1) * sizeof(*ev->src));
	s = &ev->src[ev->nsrc++];
	memset(s, 0, sizeof(*s));
	s->kind = k;
	s->predicate = -1;
	return s;
}

static void metric(struct health_source *s, const char *name, double v, int nodata)
{
	s->m[s->nm].name = name;
	s->m[s->nm].value = v;
	s->m[s->nm].unit = thr_metric_unit(name);
	s->m[s->nm++].nodata = nodata;
}

/* One source of kind k with one metric, one check: the verdict. */
struct vcase {
	const char *name;
	enum health_kind kind;
	const char *metric;
	double value;
	int nodata, failed;
	const char *check;
	enum health_nodata policy;
	int healthy, unknown, nres;
};

static const struct vcase cases[] = {
	{ "a value inside its threshold", HEALTH_METRIC, "value", 3, 0, 0, "value<5",
	  HEALTH_NODATA_UNHEALTHY, 1, 0, 1 },
	{ "a value outside", HEALTH_METRIC, "value", 7, 0, 0, "value<5",
	  HEALTH_NODATA_UNHEALTHY, 0, 0, 1 },
	{ "no data, default policy: unhealthy", HEALTH_METRIC, "value", NAN, 1, 0, "value<5",
	  HEALTH_NODATA_UNHEALTHY, 0, 0, 1 },
	{ "no data, --no-data healthy", HEALTH_METRIC, "value", NAN, 1, 0, "value<5",
	  HEALTH_NODATA_HEALTHY, 1, 0, 1 },
	{ "no data, --no-data unknown", HEALTH_METRIC, "value", NAN, 1, 0, "value<5",
	  HEALTH_NODATA_UNKNOWN, 0, 1, 1 },
	{ "an unreadable source fails whatever it read", HEALTH_METRIC, "value", 3, 0, 1, "value<5",
	  HEALTH_NODATA_HEALTHY, 0, 0, 1 },
	{ "NaN that is not 'no data' never passes", HEALTH_PROMQL, "value", NAN, 0, 0, "value<5",
	  HEALTH_NODATA_HEALTHY, 0, 0, 1 },
	{ "a rate on the first run is no data", HEALTH_METRIC, "rate", NAN, 1, 0, "rate<100",
	  HEALTH_NODATA_HEALTHY, 1, 0, 1 },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vcase *c = &cases[i];
		struct health_opts o;
		struct health_eval ev;
		struct thr t;
		struct rd_err err;
		struct health_source *s;

		memset(&o, 0, sizeof(o));
		memset(&ev, 0, sizeof(ev));
		T_OK(thr_parse(c->check, &t, &err) == 0, c->check);
		o.checks = &t;
		o.nchecks = 1;
		o.no_data = c->policy;
		s = src(&ev, c->kind);
		metric(s, c->metric, c->value, c->nodata);
		s->failed = c->failed;
		health_judge(&o, &ev);
		T_EQ_INT(ev.healthy, c->healthy, c->name);
		T_EQ_INT(ev.unknown, c->unknown, c->name);
		T_EQ_INT(ev.nres, c->nres, c->name);
		if (ev.nres)
			T_EQ_INT(ev.res[0].nodata, c->nodata && !c->failed, c->name);
		health_eval_release(&ev);
	}
	{
		/* a URL with only a latency check must also answer every sample
		 * well: error_rate==0 is added */
		struct health_opts o;
		struct health_eval ev;
		struct thr t;
		struct rd_err err;
		struct health_source *s;

		memset(&o, 0, sizeof(o));
		memset(&ev, 0, sizeof(ev));
		thr_parse("p99<250ms", &t, &err);
		o.checks = &t;
		o.nchecks = 1;
		s = src(&ev, HEALTH_URL);
		metric(s, "p50", 10, 0);
		metric(s, "p90", 10, 0);
		metric(s, "p99", 12, 0);
		metric(s, "error_rate", 0.2, 0);
		metric(s, "samples", 5, 0);
		health_judge(&o, &ev);
		T_EQ_INT(ev.nres, 2, "the implicit error_rate check is there");
		T_EQ_INT(ev.res[0].ok, 1, "p99 passes");
		T_EQ_INT(ev.res[1].ok, 0, "errors fail a URL without an error_rate threshold");
		T_EQ_INT(ev.healthy, 0, "so it is unhealthy");
		health_eval_release(&ev);
	}
	return t_done();
}
