/*
 * health.c - gather sources and hold thresholds against them (see
 * health.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "health.h"
#include "hist.h"
#include "jqf.h"
#include "prom.h"
#include "rec.h"
#include "redact.h"
#include "spool.h"
#include "xalloc.h"
#include "banned.h"

#define STDIN_MAX (16u << 20)

static const char *const url_metrics[] = { "p50", "p90", "p99", "error_rate", "samples", NULL };
static const char *const spool_metrics[] = { "p50", "p90", "p99", "error_rate", "attempts", NULL };
static const char *const value_metrics[] = { "value", NULL };
static const char *const counter_metrics[] = { "value", "rate", NULL };

const char *health_kind_name(enum health_kind k)
{
	static const char *const n[] = { "url", "promql", "metric", "stdin", "spool" };

	return n[k];
}

static int in(const char *const *names, const char *m)
{
	for (; *names; names++)
		if (strcmp(*names, m) == 0)
			return 1;
	return 0;
}

/* Whether name is one of the ", "-separated names in s. */
static int in_list(const char *s, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = s; (p = strstr(p, name)) != NULL; p += n)
		if ((p == s || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

static int any_check(const struct health_opts *o, const char *const *names)
{
	for (size_t i = 0; i < o->nchecks; i++)
		if (in(names, o->checks[i].metric))
			return 1;
	return 0;
}

int health_measures(const struct health_opts *o, const char *metric)
{
	return (o->probe.nurls && in(url_metrics, metric)) ||
	       ((o->npromql || o->stdin_jq) && in(value_metrics, metric)) ||
	       (o->nsel && in(counter_metrics, metric)) ||
	       (o->spool && in(spool_metrics, metric));
}

/* The names in lists[0..k), each once, comma-separated, into out. */
static void join(const char *const *const *lists, size_t k, char *out,
		 size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < k; i++)
		for (const char *const *m = lists[i]; *m; m++) {
			if (in_list(out, *m) || len + strlen(*m) + 3 > n)
				continue;
			len += (size_t)snprintf(out + len, n - len, "%s%s",
						len ? ", " : "", *m);
		}
}

int health_metric_known(const char *metric, char *out, size_t n)
{
	static const char *const *const all[] = {
		url_metrics, spool_metrics, counter_metrics
	};

	join(all, 3, out, n);
	return in(url_metrics, metric) || in(spool_metrics, metric) ||
	       in(counter_metrics, metric);
}

void health_measured(const struct health_opts *o, char *out, size_t n)
{
	const char *const *lists[3];
	size_t k = 0;

	if (o->probe.nurls)
		lists[k++] = url_metrics;
	if (o->spool)
		lists[k++] = spool_metrics;
	if (o->nsel)
		lists[k++] = counter_metrics;
	else if (o->npromql || o->stdin_jq)
		lists[k++] = value_metrics;
	join(lists, k, out, n);
}

int health_validate(const struct health_opts *o, struct rd_err *err)
{
	int sources = o->probe.nurls + o->npromql + o->nsel +
		      (o->stdin_jq != NULL) + (o->spool != NULL);

	if (sources == 0)
		return rd_err_set(err, RD_E_INVAL,
				  "nothing to evaluate: give --url, --promql, --metric, --from-spool, or --jq with JSON on standard input");
	if (o->npromql && !o->prom)
		return rd_err_set(err, RD_E_INVAL, "--promql needs --prom URL");
	if (o->nsel && !o->metrics_url)
		return rd_err_set(err, RD_E_INVAL, "--metric needs --metrics URL");
	for (size_t i = 0; i < o->nchecks; i++) {
		const char *m = o->checks[i].metric;

		if (!health_measures(o, m)) {
			char have[128];

			health_measured(o, have, sizeof(have));
			return rd_err_set(err, RD_E_INVAL,
					  "--check '%s': no source given measures '%s' (they measure %s)",
					  o->checks[i].text, m, have);
		}
	}
	if (o->npromql && !any_check(o, value_metrics))
		return rd_err_set(err, RD_E_INVAL, "--promql needs a --check on value, such as 'value>=0.99'");
	if (o->nsel && !any_check(o, counter_metrics))
		return rd_err_set(err, RD_E_INVAL, "--metric needs a --check on value or rate");
	for (size_t i = 0; i < o->nchecks; i++)
		if (o->nsel && !o->keeps_state && strcmp(o->checks[i].metric, "rate") == 0)
			return rd_err_set(err, RD_E_INVAL,
					  "--check '%s': a rate needs the counter of an earlier run: give --state",
					  o->checks[i].text);
	for (size_t i = 0; i < o->nsel; i++) {
		struct prom_sel *sel = NULL;
		struct rd_err e2;

		if (prom_sel_new(o->selectors[i], &sel, &e2) < 0)
			return rd_err_set(err, RD_E_INVAL, "--metric: %s", e2.msg);
		prom_sel_free(sel);
	}
	if (o->spool && !any_check(o, spool_metrics))
		return rd_err_set(err, RD_E_INVAL, "--from-spool needs a --check, such as 'error_rate<5%%'");
	return 0;
}

static struct health_source *add_src(struct health_eval *ev, enum health_kind k,
				     const char *target)
{
	struct health_source *s;

	ev->src = xrealloc(ev->src, (ev->nsrc + 1) * sizeof(*ev->src));
	s = &ev->src[ev->nsrc++];
	memset(s, 0, sizeof(*s));
	s->kind = k;
	s->predicate = -1;
	/* shown in every output: a URL's user:password@ and secret query
	 * values, and a spool location's password, masked */
	if (k == HEALTH_URL) {
		redact_url_to(target, s->target, sizeof(s->target));
	} else if (k == HEALTH_SPOOL) {
		cli_spool_shown(target, s->target, sizeof(s->target));
	} else {
		/* a PromQL query written over lines is shown on one: each run
		 * of blanks and line breaks one space */
		size_t n = 0;

		for (const char *p = target; *p && n < sizeof(s->target) - 1; p++)
			if (!strchr(" \t\r\n", *p))
				s->target[n++] = *p;
			else if (n && s->target[n - 1] != ' ')
				s->target[n++] = ' ';
		s->target[n] = '\0';
	}
	return s;
}

static void put(struct health_source *s, const char *name, double v)
{
	s->m[s->nm].name = name;
	s->m[s->nm].value = v;
	s->m[s->nm].unit = thr_metric_unit(name);
	s->m[s->nm].nodata = 0;
	s->nm++;
}

/* A metric that was read, and has nothing yet. */
static void put_nodata(struct health_source *s, const char *name)
{
	put(s, name, NAN);
	s->m[s->nm - 1].nodata = 1;
}

static void add_res(struct health_eval *ev, const struct thr *t, const char *text,
		    size_t src, double v, enum thr_unit u, int ok)
{
	struct health_result *r;

	ev->res = xrealloc(ev->res, (ev->nres + 1) * sizeof(*ev->res));
	r = &ev->res[ev->nres++];
	r->t = t;
	r->text = text;
	r->src = src;
	r->value = v;
	r->unit = u;
	r->ok = ok;
	r->nodata = 0;
}

static int gather_urls(const struct health_opts *o, struct health_eval *ev,
		       struct rd_err *err)
{
	struct probe_result *pr = NULL;
	int ret;

	if (!o->probe.nurls)
		return 0;
	if ((ret = probe_run(&o->probe, &pr, err)) < 0)
		return ret;
	for (size_t i = 0; i < o->probe.nurls; i++) {
		struct health_source *s = add_src(ev, HEALTH_URL, pr[i].url);

		put(s, "p50", pr[i].p50);
		put(s, "p90", pr[i].p90);
		put(s, "p99", pr[i].p99);
		put(s, "error_rate", pr[i].error_rate);
		put(s, "samples", pr[i].samples);
		snprintf(s->why, sizeof(s->why), "%s", pr[i].why);
	}
	free(pr);
	return 0;
}

/* A query Prometheus refuses as wrong (bad_data, a range vector) is an
 * error, as a bad option is (exit 2, UNKNOWN): the gate it feeds would
 * stay closed, CRITICAL, over a typo.  What may pass fails the source. */
static int gather_promql(const struct health_opts *o, struct health_eval *ev,
			 struct rd_err *uerr)
{
	for (size_t i = 0; i < o->npromql; i++) {
		struct health_source *s = add_src(ev, HEALTH_PROMQL, o->promql[i]);
		struct rd_err err;
		double *v = NULL;
		size_t n = 0;
		int ret;

		if ((ret = prom_query(o->prom, o->promql[i], &o->probe.http, &v, &n, &err)) < 0) {
			if (ret == RD_E_INVAL)
				return rd_err_set(uerr, RD_E_INVAL, "--promql '%s': %s",
						  o->promql[i], err.msg);
			s->failed = 1;
			snprintf(s->why, sizeof(s->why), "%s", err.msg);
			put(s, "value", NAN);
			continue;
		}
		if (n == 0) {
			snprintf(s->why, sizeof(s->why), "the query returned no series");
			put_nodata(s, "value");
		} else if (n > HEALTH_VALUES) {
			/* judging some would pass what the rest say */
			s->failed = 1;
			snprintf(s->why, sizeof(s->why),
				 "the query returned %zu series, more than the %d a source judges: aggregate them (max, sum by)",
				 n, HEALTH_VALUES);
			put(s, "value", NAN);
			free(v);
			continue;
		}
		/* Several series: each one is a value the checks must pass. */
		for (size_t j = 0; j < n; j++)
			put(s, "value", v[j]);
		free(v);
	}
	return 0;
}

/* The rate of a selector's counters across runs, series by series, as
 * Prometheus's rate() takes it: one that went down was reset (a
 * restart) and counts from 0, without the others' counts; one new to
 * this run has no rate yet; one gone adds nothing.  Each series' sample
 * is kept under "URL SELECTOR #HASH". */
struct series_rate {
	struct breaker *brk;
	const char *url, *sel;
	int64_t now;
	double rate;      /* the sum of the series' rates */
	size_t known;     /* series with a sample of an earlier run */
	struct buf key;
};

static void series_rate_add(void *ctx, uint64_t series, double v)
{
	struct series_rate *c = ctx;
	const struct breaker_sample *prev;

	buf_reset(&c->key);
	buf_addf(&c->key, "%s %s #%016llx", c->url, c->sel, (unsigned long long)series);
	prev = breaker_sample_get(c->brk, c->key.data);
	if (prev && c->now > prev->at_ms) {
		c->rate += (v >= prev->value ? v - prev->value : v) /
			   ((double)(c->now - prev->at_ms) / 1000);
		c->known++;
	}
	breaker_sample_put(c->brk, c->key.data, v, c->now);
}

static void gather_metrics(const struct health_opts *o, struct health_eval *ev)
{
	struct http_once res;
	struct http_req q;
	struct rd_err err;
	int got;

	if (!o->nsel)
		return;
	http_once_init(&res);
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.method_len = 3;
	q.url = o->metrics_url;
	{
		struct http_opts ho = o->probe.http;

		ho.keep_response = 1;
		got = http_once(&ho, &q, &res, &err) == 0 && res.err == HTTP_ERR_NONE &&
		      res.status == 200;
	}
	for (size_t i = 0; i < o->nsel; i++) {
		struct health_source *s = add_src(ev, HEALTH_METRIC, o->selectors[i]);
		struct prom_sel *sel = NULL;
		struct series_rate sr = { o->brk, o->metrics_url, o->selectors[i],
					  o->now_ms, 0, 0, { NULL, 0, 0 } };
		double sum = NAN, rate = NAN;
		size_t ns = 0;

		if (!got) {
			char shown[512];

			s->failed = 1;
			snprintf(s->why, sizeof(s->why), "%s: %s",
				 redact_url_to(o->metrics_url, shown, sizeof(shown)),
				 res.err != HTTP_ERR_NONE ? res.errmsg : "not HTTP 200");
		} else if (prom_sel_new(o->selectors[i], &sel, &err) < 0 ||
			   prom_expo_sum(res.body.data ? res.body.data : "", res.body.len,
					 sel, &sum, &ns, &err) < 0 ||
			   /* the samples a rate needs: one a series */
			   (o->brk && ns <= HEALTH_RATE_SERIES &&
			    prom_expo_each(res.body.data ? res.body.data : "", res.body.len,
					   sel, series_rate_add, &sr, &sum, &ns, &err) < 0)) {
			s->failed = 1;
			snprintf(s->why, sizeof(s->why), "%s", err.msg);
		} else if (ns == 0) {
			sum = NAN;
			snprintf(s->why, sizeof(s->why), "no series matches");
		}
		prom_sel_free(sel);
		buf_release(&sr.key);
		if (!s->failed && ns == 0) {
			put_nodata(s, "value");
			put_nodata(s, "rate");
			continue;
		}
		if (!s->failed && o->brk) {
			if (ns > HEALTH_RATE_SERIES)
				snprintf(s->why, sizeof(s->why),
					 "no rate: the selector matches %zu series, more than the %d the state file keeps",
					 ns, HEALTH_RATE_SERIES);
			else if (sr.known)
				rate = sr.rate;
			else
				snprintf(s->why, sizeof(s->why),
					 "no rate yet: it needs the counter from an earlier run (--state)");
		} else if (!s->failed) {
			snprintf(s->why, sizeof(s->why), "no rate without --state");
		}
		put(s, "value", sum);
		if (!s->failed && o->brk && isnan(rate))
			put_nodata(s, "rate");   /* the first run */
		else
			put(s, "rate", rate);
	}
	http_once_release(&res);
}

/* Whether anything judges value: a check, or a --nagios range. */
static int names_value(const struct health_opts *o)
{
	if (o->value_ranged)
		return 1;
	for (size_t c = 0; c < o->nchecks; c++)
		if (strcmp(o->checks[c].metric, "value") == 0)
			return 1;
	return 0;
}

/* One output of the filter over standard input (a JSON text): true,
 * false or null is a check of its own (all must be true); a number is a
 * value, for the checks that name it (each must pass them, as the series
 * of a query do).  Anything else (a string such as "950" or "DOWN", an
 * object) fails the source: taken for true, it would pass whatever it
 * says.  1 for a number, 0 for a predicate, -1 when it failed. */
static int stdin_answer(const struct health_opts *o, struct health_source *s,
			const char *out)
{
	char *e;
	double v = strtod(out, &e);

	if (*e == '\0' && e != out && (*out == '-' || (*out >= '0' && *out <= '9'))) {
		if (!names_value(o)) {
			s->failed = 1;
			snprintf(s->why, sizeof(s->why),
				 "--jq gave the number %.100s, and no --check or range names value", out);
			return -1;
		}
		if (s->nm >= HEALTH_VALUES) {
			/* judging some would pass what the rest say */
			s->failed = 1;
			snprintf(s->why, sizeof(s->why),
				 "--jq gave more than the %d numbers a source judges: reduce them (max, add)",
				 HEALTH_VALUES);
			return -1;
		}
		put(s, "value", v);
		return 1;
	}
	if (!strcmp(out, "true") || !strcmp(out, "false") || !strcmp(out, "null")) {
		s->predicate = strcmp(out, "true") == 0 && s->predicate != 0;
		return 0;
	}
	s->failed = 1;
	snprintf(s->why, sizeof(s->why),
		 "--jq gave %.100s: neither true, false, null nor a number", out);
	return -1;
}

/* Every output of the filter, each judged (stdin_answer).  0, or
 * RD_E_CORRUPT when a later document of the input is not JSON. */
static int stdin_answers(const struct health_opts *o, struct health_source *s,
			 struct jqf *f, struct buf *out, int r, struct rd_err *err)
{
	size_t no, n = 0;
	int nums = 0, k;
	char first[200];

	for (; r > 0; r = jqf_next(f, out, &no, err)) {
		if (!n++)
			snprintf(first, sizeof(first), "%s", out->data);
		if ((k = stdin_answer(o, s, out->data)) < 0)
			return 0;
		nums += k;
	}
	if (r == RD_E_CORRUPT)
		return r;
	if (r < 0) {
		s->failed = 1;
		snprintf(s->why, sizeof(s->why), "--jq failed: %s", err->msg);
		return 0;
	}
	if (!nums)     /* a check on value has no data */
		put_nodata(s, "value");
	/* true and false say nothing the verdict does not */
	if (n == 1 && strcmp(first, "true") && strcmp(first, "false"))
		snprintf(s->why, sizeof(s->why), "--jq gave %s", first);
	else if (n > 1)
		snprintf(s->why, sizeof(s->why), "--jq gave %zu outputs, the first %s", n, first);
	return 0;
}

static int gather_stdin(const struct health_opts *o, struct health_eval *ev,
			struct rd_err *err)
{
	struct health_source *s;
	struct jqf *f = NULL;
	struct buf in, out;
	size_t no;
	int ret, r;

	if (!o->stdin_jq)
		return 0;
	buf_init(&in);
	buf_init(&out);
	if ((ret = buf_read_fd(&in, o->stdin_fd, STDIN_MAX, err)) < 0)
		goto done;
	if ((ret = jqf_new("--jq", o->stdin_jq, &f, err)) < 0)
		goto done;
	s = add_src(ev, HEALTH_STDIN, "stdin");
	jqf_feed(f, in.data ? in.data : "", in.len, 1);
	r = jqf_next(f, &out, &no, err);
	if (r > 0 || (r < 0 && r != RD_E_CORRUPT)) {
		/* outputs, or a filter that failed on the first document */
		r = stdin_answers(o, s, f, &out, r, err);
	} else if (r == 0 && in.len) {
		s->failed = 1;
		snprintf(s->why, sizeof(s->why), "--jq gave no output");
	}
	/* any document of it, the first or a later one */
	if (r == RD_E_CORRUPT || (r == 0 && in.len == 0)) {
		char why[sizeof(err->msg)];

		/* err->msg may not be both a source and the destination */
		snprintf(why, sizeof(why), "%s", r == RD_E_CORRUPT ? err->msg :
			 "it is empty");
		ret = rd_err_set(err, RD_E_INVAL, "standard input is not JSON (%s)", why);
		goto done;
	}
	ret = 0;
done:
	jqf_free(f);
	buf_release(&in);
	buf_release(&out);
	return ret;
}

static void gather_spool(const struct health_opts *o, struct health_eval *ev)
{
	struct health_source *s;
	struct spool_opts so;
	struct spool *sp = NULL;
	struct spool_iter *it = NULL;
	struct spool_item item;
	struct rec_parser rp;
	struct hist lat;
	struct rd_err err;
	uint64_t n = 0, bad = 0;
	int64_t since = o->now_ms - (int64_t)o->window_ms;
	int r;

	if (!o->spool)
		return;
	s = add_src(ev, HEALTH_SPOOL, o->spool);
	hist_init(&lat);
	rec_parser_init(&rp);
	spool_opts_init(&so);
	so.trust = o->trust_spool;
	if (spool_open(o->spool, &so, &sp, &err) < 0 ||
	    spool_iter_new(sp, NULL, &it, &err) < 0) {
		s->failed = 1;
		snprintf(s->why, sizeof(s->why), "%s", err.msg);
		goto out;
	}
	while ((r = spool_iter_next(it, &item, &err)) > 0) {
		struct rec_event e;
		struct rd_err lerr;

		if (rec_kind_peek(item.line, item.len) != REC_ATTEMPT ||
		    rec_event_parse(&rp, item.line, item.len, &e, &lerr) < 0 ||
		    e.at_ms < since)
			continue;
		n++;
		if (e.outcome != REC_OUT_OK)
			bad++;
		if (e.status)
			hist_add(&lat, e.latency_ms);
	}
	if (r < 0) {
		s->failed = 1;
		snprintf(s->why, sizeof(s->why), "%s", err.msg);
	} else if (n == 0) {
		s->failed = 1;
		snprintf(s->why, sizeof(s->why), "no replay attempts in the window");
	}
out:
	put(s, "p50", hist_pct(&lat, 50));
	put(s, "p90", hist_pct(&lat, 90));
	put(s, "p99", hist_pct(&lat, 99));
	put(s, "error_rate", n ? (double)bad / (double)n : NAN);
	put(s, "attempts", (double)n);
	spool_iter_free(it);
	spool_close(sp);
	rec_parser_release(&rp);
	hist_release(&lat);
}

void health_judge(const struct health_opts *o, struct health_eval *ev)
{
	ev->healthy = 1;
	for (size_t i = 0; i < ev->nsrc; i++) {
		struct health_source *s = &ev->src[i];
		int checked = 0, rate_checked = 0;

		/* What a source gave before it failed is partial (a sum cut
		 * short, a count of what was read): it has no values, and
		 * every check on it fails. */
		if (s->failed)
			for (size_t k = 0; k < s->nm; k++)
				s->m[k].value = NAN;
		for (size_t c = 0; c < o->nchecks; c++)
			for (size_t k = 0; k < s->nm; k++) {
				const struct thr *t = &o->checks[c];

				if (strcmp(s->m[k].name, t->metric) != 0)
					continue;
				/* no value (NAN) never passes; no data passes
				 * only when --no-data says so */
				if (s->m[k].nodata) {
					add_res(ev, t, t->text, i, NAN, t->unit,
						o->no_data == HEALTH_NODATA_HEALTHY);
					ev->res[ev->nres - 1].nodata = 1;
					ev->unknown |= o->no_data == HEALTH_NODATA_UNKNOWN;
				} else {
					add_res(ev, t, t->text, i, s->m[k].value, t->unit,
						thr_holds(t, s->m[k].value));
				}
				checked = 1;
				rate_checked |= strcmp(t->metric, "error_rate") == 0;
			}
		/* A latency of error responses means nothing: without a
		 * threshold of its own on errors, a URL must have none. */
		if (s->kind == HEALTH_URL && !rate_checked)
			add_res(ev, NULL, "error_rate==0", i, s->m[3].value,
				THR_FRACTION, s->m[3].value == 0);
		if (s->kind == HEALTH_STDIN && s->predicate >= 0)
			add_res(ev, NULL, "--jq", i, s->predicate, THR_PLAIN,
				s->predicate);
		if (s->failed && !checked && s->predicate < 0 && s->kind != HEALTH_URL)
			add_res(ev, NULL, "readable", i, NAN, THR_PLAIN, 0);
	}
	for (size_t i = 0; i < ev->nres; i++)
		if (!ev->res[i].ok)
			ev->healthy = 0;
	for (size_t i = 0; i < ev->nsrc; i++)
		if (ev->src[i].failed)
			ev->healthy = 0;
}

int health_evaluate(const struct health_opts *o, struct health_eval *ev,
		    struct rd_err *err)
{
	int ret;

	memset(ev, 0, sizeof(*ev));
	if ((ret = gather_stdin(o, ev, err)) < 0 ||
	    (ret = gather_urls(o, ev, err)) < 0 ||
	    (ret = gather_promql(o, ev, err)) < 0)
		return ret;
	gather_metrics(o, ev);
	gather_spool(o, ev);
	health_judge(o, ev);
	return 0;
}

void health_eval_release(struct health_eval *ev)
{
	free(ev->src);
	free(ev->res);
	memset(ev, 0, sizeof(*ev));
}
