/*
 * health.h - one rd-health evaluation: gather every source's metrics,
 * then hold each threshold against every source that measures its
 * metric.
 *
 * Sources and the metrics they give:
 *   url      p50 p90 p99 (ms), error_rate, samples     (probe.h)
 *   promql   value: each series of the answer           (prom.h)
 *   metric   value (summed series), rate (per second, from the counter
 *            seen by the previous run, kept in the breaker's state)
 *   stdin    value when the jq filter gives a number; a true/false
 *            filter is a check of its own
 *   spool    p50 p90 p99 (ms), error_rate, attempts: rd-replay's attempt
 *            events of the last window
 * A URL with no threshold on its metrics must answer every sample well
 * (error_rate == 0).  A source that cannot be read (unreachable, bad
 * answer, no data) is unhealthy, never skipped, and has no values: its
 * metrics are all NAN, whatever it read before it failed, so every check
 * on it fails.  No output here.
 */
#ifndef HEALTH_H
#define HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "breaker.h"
#include "probe.h"
#include "rd.h"
#include "thr.h"

enum health_kind {
	HEALTH_URL, HEALTH_PROMQL, HEALTH_METRIC, HEALTH_STDIN, HEALTH_SPOOL
};

struct health_metric {
	const char *name;          /* static */
	double value;              /* NAN: no value */
	enum thr_unit unit;
	int nodata;                /* read fine, but nothing there yet: no
				    * series, an empty query, no rate yet */
};

/* What a check on a metric with no data gives (--no-data). */
enum health_nodata {
	HEALTH_NODATA_UNHEALTHY = 0, /* fails: a gate stays closed */
	HEALTH_NODATA_HEALTHY,       /* passes */
	HEALTH_NODATA_UNKNOWN        /* fails, and --nagios says UNKNOWN */
};

/* The values one source holds: a query's series, the numbers of --jq. */
#define HEALTH_VALUES 6
/* The series of one selector whose counters the state file keeps, for a
 * rate (each a sample of about 100 bytes). */
#define HEALTH_RATE_SERIES 1000

struct health_source {
	enum health_kind kind;
	char target[512];
	struct health_metric m[HEALTH_VALUES];
	size_t nm;
	int failed;                /* could not be read: no values */
	int predicate;             /* stdin: -1 none, else the filter's truth */
	char why[600];             /* why it failed, or its first bad sample */
};

struct health_result {
	const struct thr *t;       /* NULL: the stdin predicate or implicit */
	const char *text;          /* the threshold as shown */
	size_t src;                /* index into sources */
	double value;              /* NAN: no data, or the source failed */
	enum thr_unit unit;
	int ok;
	int nodata;                /* judged by the --no-data policy */
};

struct health_opts {
	struct probe_opts probe;   /* urls, samples, expect, jq, match */
	const char *prom;          /* Prometheus base URL */
	const char *const *promql;
	size_t npromql;
	const char *metrics_url;   /* exposition endpoint */
	const char *const *selectors;
	size_t nsel;
	const char *stdin_jq;      /* filter over JSON read from stdin_fd */
	int stdin_fd;
	const char *spool;         /* spool directory, or NULL */
	int trust_spool;           /* spool_opts.trust */
	uint64_t window_ms;
	const struct thr *checks;
	size_t nchecks;
	int value_ranged;          /* a --warning/--critical range on value */
	struct breaker *brk;       /* keeps counter samples; may be NULL */
	int keeps_state;           /* --state given: brk will be set */
	enum health_nodata no_data;
	int64_t now_ms;
};

struct health_eval {
	struct health_source *src;
	size_t nsrc;
	struct health_result *res;
	size_t nres;
	int healthy;               /* every result ok, every source read */
	int unknown;               /* a check had no data, and the policy
				    * is HEALTH_NODATA_UNKNOWN */
};

/* 1 when some source the options give measures metric. */
int health_measures(const struct health_opts *o, const char *metric);
/* What the sources given measure, comma-separated, for a check that
 * names something else: "p50, p90, p99, error_rate, samples". */
void health_measured(const struct health_opts *o, char *out, size_t n);

/* Check the options before anything is sent: every threshold names a
 * metric that some source gives, and every source that needs one has
 * one.  RD_E_INVAL with the reason. */
/* 1 when some source of rd-health measures metric (p99, value, ...);
 * out gets every name one measures, comma-separated, for the error that
 * names an unknown one. */
int health_metric_known(const char *metric, char *out, size_t n);

int health_validate(const struct health_opts *o, struct rd_err *err);

/* Gather and judge.  RD_E_INVAL for input that makes evaluation
 * impossible (stdin that is not JSON, a filter that does not compile);
 * unreachable targets are results, not errors. */
int health_evaluate(const struct health_opts *o, struct health_eval *ev,
		    struct rd_err *err);
void health_eval_release(struct health_eval *ev);

/* The judging half of health_evaluate: hold every check against the
 * sources already in ev (their metrics), fill ev->res, ev->healthy and
 * ev->unknown.  Exposed so the verdicts can be tested without servers. */
void health_judge(const struct health_opts *o, struct health_eval *ev);

const char *health_kind_name(enum health_kind k);

#endif
