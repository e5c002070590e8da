/*
 * prom.c - the Prometheus query API, and selecting and summing series of
 * a text exposition page (see prom.h).  The page itself is read by expo.c,
 * and so is the selector: one grammar for both.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"
#include "json.h"
#include "prom.h"
#include "redact.h"
#include "xalloc.h"
#include "banned.h"

/* One exact matcher of a selector; a value may be empty. */
struct prom_matcher {
	char *name;
	size_t name_len;
	char *value;
	size_t value_len;
};

struct prom_sel {
	char *name;       /* NULL when only a __name__ matcher names it */
	size_t name_len;
	struct prom_matcher *m;
	size_t nm;
};

static int sel_bad(const char *text, size_t at, const char *why,
		   struct rd_err *err)
{
	return rd_err_set(err, RD_E_INVAL,
			  "metric selector '%s': %s at offset %zu (want name{label=\"value\",...})",
			  text, why, at);
}

int prom_sel_new(const char *text, struct prom_sel **out, struct rd_err *err)
{
	struct prom_sel *s = NULL;
	struct expo_series ser;
	size_t len = strlen(text), k = 0, used = 0;
	const char *why = NULL;
	int named, ret;

	*out = NULL;
	expo_series_init(&ser);
	while (k < len && (text[k] == ' ' || text[k] == '\t'))
		k++;
	if (expo_series_read(&ser, text + k, len - k, &used, &why) < 0) {
		k += used;
		/* The exposition has no other operators; say so plainly. */
		if (k < len && (text[k] == '!' || text[k] == '~' ||
				(text[k] == '=' && k + 1 < len && text[k + 1] == '~')))
			why = "only exact matchers (label=\"value\") are supported";
		ret = sel_bad(text, k, why, err);
		goto out;
	}
	for (k += used; k < len && (text[k] == ' ' || text[k] == '\t'); k++)
		;
	if (k < len) {
		ret = sel_bad(text, k, "unexpected text after the selector", err);
		goto out;
	}
	s = xcalloc(1, sizeof(*s));
	named = ser.name != NULL;
	if (ser.name) {
		s->name = xmemdup(ser.name, ser.name_len);
		s->name_len = ser.name_len;
	}
	s->m = xcalloc(ser.nlabels ? ser.nlabels : 1, sizeof(*s->m));
	for (size_t i = 0; i < ser.nlabels; i++) {
		const struct expo_label *l = &ser.labels[i];
		struct prom_matcher *m = &s->m[s->nm++];

		m->name = xmemdup(l->name, l->name_len);
		m->name_len = l->name_len;
		m->value = xmemdup(l->value, l->value_len);
		m->value_len = l->value_len;
		if (l->name_len == 8 && memcmp(l->name, "__name__", 8) == 0 &&
		    l->value_len)
			named = 1;
	}
	if (!named) {
		ret = sel_bad(text, 0, "no metric name", err);
		goto out;
	}
	*out = s;
	s = NULL;
	ret = 0;
out:
	prom_sel_free(s);
	expo_series_release(&ser);
	return ret;
}

void prom_sel_free(struct prom_sel *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nm; i++) {
		free(s->m[i].name);
		free(s->m[i].value);
	}
	free(s->m);
	free(s->name);
	free(s);
}

static int same(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

/* le of a histogram and quantile of a summary are numbers: Prometheus
 * stores them normalized ("1" as "1.0"), so they compare as numbers. */
static int numeric_label(const char *name, size_t n, enum expo_type t)
{
	return (same(name, n, "le", 2) && t == EXPO_HISTOGRAM) ||
	       (same(name, n, "quantile", 8) && t == EXPO_SUMMARY);
}

static int value_eq(const struct prom_matcher *m, const char *v, size_t n,
		    enum expo_type t)
{
	double a, b;

	if (same(m->value, m->value_len, v, n))
		return 1;
	return numeric_label(m->name, m->name_len, t) &&
	       expo_float(m->value, m->value_len, &a) == 0 &&
	       expo_float(v, n, &b) == 0 && (a == b || (isnan(a) && isnan(b)));
}

/* A label with an empty value is no label, in Prometheus as here: a
 * matcher with an empty value matches series without the label. */
static int sel_matches(const struct prom_sel *s, const struct expo_sample *smp)
{
	const struct expo_series *ser = smp->series;

	if (s->name && !same(s->name, s->name_len, ser->name, ser->name_len))
		return 0;
	for (size_t i = 0; i < s->nm; i++) {
		const struct prom_matcher *m = &s->m[i];
		const char *v = "";
		size_t n = 0;

		if (same(m->name, m->name_len, "__name__", 8)) {
			v = ser->name;
			n = ser->name_len;
		}
		for (size_t j = 0; j < ser->nlabels; j++)
			if (same(m->name, m->name_len, ser->labels[j].name,
				 ser->labels[j].name_len)) {
				v = ser->labels[j].value;
				n = ser->labels[j].value_len;
			}
		if (!value_eq(m, v, n, smp->type))
			return 0;
	}
	return 1;
}

/* A matching sample, until the page is read.  key: the series' identity
 * in keys (name and its non-empty labels in name order). */
struct hit {
	size_t off, len;
	const char *key;
	size_t seq;
	double value;
	int has_ts;
	int64_t ts;
};

struct sum_ctx {
	const struct prom_sel *sel;
	struct buf keys;
	struct hit *v;
	size_t n, cap;
	const struct expo_label **lab;
	size_t lab_cap;
};

static void key_part(struct buf *b, const char *p, size_t n)
{
	buf_add(b, &n, sizeof(n));
	buf_add(b, p, n);
}

static void add_key(struct sum_ctx *c, const struct expo_sample *smp)
{
	const struct expo_series *ser = smp->series;
	size_t n = 0;
	double d;

	if (ser->nlabels > c->lab_cap) {
		c->lab_cap = ser->nlabels;
		c->lab = xrealloc(c->lab, c->lab_cap * sizeof(*c->lab));
	}
	for (size_t i = 0; i < ser->nlabels; i++)
		if (ser->labels[i].value_len)
			c->lab[n++] = &ser->labels[i];
	if (n > 1)
		qsort(c->lab, n, sizeof(*c->lab), expo_label_cmp);
	key_part(&c->keys, ser->name, ser->name_len);
	for (size_t i = 0; i < n; i++) {
		const struct expo_label *l = c->lab[i];

		key_part(&c->keys, l->name, l->name_len);
		if (numeric_label(l->name, l->name_len, smp->type) &&
		    expo_float(l->value, l->value_len, &d) == 0) {
			d = isnan(d) ? NAN : d + 0.0; /* one NaN, one zero */
			key_part(&c->keys, (const char *)&d, sizeof(d));
		} else {
			key_part(&c->keys, l->value, l->value_len);
		}
	}
}

static int on_sample(void *arg, const struct expo_sample *smp)
{
	struct sum_ctx *c = arg;
	struct hit *h;

	if (!sel_matches(c->sel, smp))
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	h = &c->v[c->n];
	h->off = c->keys.len;
	add_key(c, smp);
	h->len = c->keys.len - h->off;
	h->seq = c->n++;
	h->value = smp->value;
	h->has_ts = smp->has_ts;
	h->ts = smp->ts_ms;
	return 0;
}

static int hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, n);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/*
 * A series listed twice is one series to Prometheus, which stores one
 * sample of it per scrape: the first, unless both carry timestamps and a
 * later one is newer.  So each series is added once.
 */
int prom_expo_sum(const char *text, size_t len, const struct prom_sel *sel,
		  double *sum, size_t *nseries, struct rd_err *err)
{
	return prom_expo_each(text, len, sel, NULL, NULL, sum, nseries, err);
}

int prom_expo_each(const char *text, size_t len, const struct prom_sel *sel,
		   void (*fn)(void *ctx, uint64_t series, double v),
		   void *ctx, double *sum, size_t *nseries, struct rd_err *err)
{
	struct sum_ctx c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.sel = sel;
	buf_init(&c.keys);
	*sum = 0;
	*nseries = 0;
	if ((ret = expo_parse(text, len, on_sample, &c, err)) < 0)
		goto out;
	for (size_t i = 0; i < c.n; i++)
		c.v[i].key = c.keys.data + c.v[i].off;
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), hit_cmp);
	for (size_t i = 0, j; i < c.n; i = j) {
		const struct hit *keep = &c.v[i];

		for (j = i + 1; j < c.n && c.v[j].len == keep->len &&
				memcmp(c.v[j].key, keep->key, keep->len) == 0; j++)
			if (keep->has_ts && c.v[j].has_ts && c.v[j].ts > keep->ts)
				keep = &c.v[j];
		*sum += keep->value;
		(*nseries)++;
		if (fn)
			fn(ctx, expo_hash(keep->key, keep->len), keep->value);
	}
out:
	buf_release(&c.keys);
	free(c.v);
	free(c.lab);
	return ret;
}

/* [timestamp, "value"]: the value as Prometheus writes sample values,
 * read as the exposition reader reads them (no hex, no locale). */
static int num_of(const struct json_val *pair, double *v)
{
	const struct json_val *s;

	if (!pair || pair->type != JSON_ARRAY || pair->count != 2 ||
	    !(s = pair->child->next) || s->type != JSON_STRING)
		return -1;
	return expo_float(s->str, s->len, v) == 0 ? 0 : -1;
}

int prom_answer(const char *text, size_t len, double **vals, size_t *n,
		struct rd_err *err)
{
	struct json_doc doc;
	const struct json_val *root, *st, *data, *type, *result, *c;
	int ret;

	*vals = NULL;
	*n = 0;
	json_doc_init(&doc);
	root = json_parse(&doc, text, len, NULL, NULL);
	if (!root || root->type != JSON_OBJECT ||
	    !(st = json_get(root, "status")) || st->type != JSON_STRING) {
		ret = rd_err_set(err, RD_E_CORRUPT, "not a query API answer");
		goto out;
	}
	if (strcmp(st->str, "success") != 0) {
		const struct json_val *e = json_get(root, "error"),
				      *et = json_get(root, "errorType");
		/* bad_data: the query itself is wrong, and stays wrong;
		 * timeout, execution, unavailable may pass */
		int fixed = et && et->type == JSON_STRING && strcmp(et->str, "bad_data") == 0;

		ret = rd_err_set(err, fixed ? RD_E_INVAL : RD_E_IO,
				 "Prometheus rejected the query: %s",
				 e && e->type == JSON_STRING ? e->str : "(no message)");
		goto out;
	}
	if (!(data = json_get(root, "data")) || !(type = json_get(data, "resultType")) ||
	    type->type != JSON_STRING || !(result = json_get(data, "result"))) {
		ret = rd_err_set(err, RD_E_CORRUPT, "an answer without data");
		goto out;
	}
	if (strcmp(type->str, "scalar") == 0) {
		*vals = xmalloc(sizeof(**vals));
		if (num_of(result, *vals) < 0)
			goto bad;
		*n = 1;
	} else if (strcmp(type->str, "vector") == 0 && result->type == JSON_ARRAY) {
		*vals = xcalloc(result->count ? result->count : 1, sizeof(**vals));
		for (c = result->child; c; c = c->next)
			if (num_of(json_get(c, "value"), &(*vals)[(*n)++]) < 0)
				goto bad;
	} else {
		ret = rd_err_set(err, RD_E_INVAL,
				 "the query gives a %s; use one that gives a scalar or an instant vector",
				 type->str);
		goto out;
	}
	ret = 0;
	goto out;
bad:
	free(*vals);
	*vals = NULL;
	*n = 0;
	ret = rd_err_set(err, RD_E_CORRUPT, "an answer with a malformed value");
out:
	json_doc_release(&doc);
	return ret;
}

int prom_query(const char *base, const char *promql, const struct http_opts *ho,
	       double **vals, size_t *n, struct rd_err *err)
{
	struct http_opts o = *ho;
	struct http_once res;
	struct http_req q;
	struct buf url;
	char shown[512];
	size_t bl = strlen(base);
	int ret;

	*vals = NULL;
	*n = 0;
	buf_init(&url);
	http_once_init(&res);
	buf_add(&url, base, bl && base[bl - 1] == '/' ? bl - 1 : bl);
	buf_adds(&url, "/api/v1/query?query=");
	http_escape(promql, &url);
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.method_len = 3;
	q.url = url.data;
	o.keep_response = 1;
	if ((ret = http_once(&o, &q, &res, err)) < 0)
		goto out;
	/* the server as errors show it: user:password@ and secret query
	 * values masked */
	if (res.err != HTTP_ERR_NONE) {
		ret = rd_err_set(err, RD_E_IO, "Prometheus at %s: %s",
				 redact_url_to(base, shown, sizeof(shown)), res.errmsg);
		goto out;
	}
	ret = prom_answer(res.body.data ? res.body.data : "", res.body.len,
			  vals, n, err);
	if (ret == RD_E_CORRUPT) { /* say where, and what came instead */
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		ret = rd_err_set(err, RD_E_IO, "Prometheus at %s: HTTP %d, %s",
				 redact_url_to(base, shown, sizeof(shown)), res.status, why);
	}
out:
	buf_release(&url);
	http_once_release(&res);
	return ret;
}
