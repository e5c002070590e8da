/*
 * prom.c - the Prometheus query API and text exposition format (see
 * prom.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "prom.h"
#include "xalloc.h"
#include "banned.h"

#define MAX_LABELS 16

struct prom_label {
	char name[64];
	char value[256];
};

struct prom_sel {
	char name[128];
	struct prom_label l[MAX_LABELS];
	size_t nl;
};

static int name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':' || (!first && c >= '0' && c <= '9');
}

/* Parse {a="b",...} at *p (after the name); fills l, *nl.  Returns 0 and
 * moves *p past the braces, or -1 with *p at the offending byte. */
static int parse_labels(const char **pp, const char *end, struct prom_label *l,
			size_t max, size_t *nl)
{
	const char *p = *pp;

	*nl = 0;
	if (p >= end || *p != '{')
		return 0;
	p++;
	for (;;) {
		size_t n = 0, v = 0;

		while (p < end && (*p == ' ' || *p == ','))
			p++;
		if (p < end && *p == '}') {
			*pp = p + 1;
			return 0;
		}
		if (*nl == max)
			goto bad;
		while (p < end && name_char(*p, n == 0) && *p != ':') {
			if (n + 1 < sizeof(l[*nl].name))
				l[*nl].name[n++] = *p;
			p++;
		}
		l[*nl].name[n] = '\0';
		if (n == 0 || p + 1 >= end || *p != '=' || p[1] != '"')
			goto bad;
		p += 2;
		while (p < end && *p != '"') {
			char c = *p++;

			if (c == '\\' && p < end) {
				c = *p++;
				if (c == 'n')
					c = '\n';
			}
			if (v + 1 < sizeof(l[*nl].value))
				l[*nl].value[v++] = c;
		}
		if (p >= end)
			goto bad;
		l[*nl].value[v] = '\0';
		p++;
		(*nl)++;
	}
bad:
	*pp = p;
	return -1;
}

int prom_sel_new(const char *text, struct prom_sel **out, struct rd_err *err)
{
	struct prom_sel *s = xcalloc(1, sizeof(*s));
	const char *p = text, *end = text + strlen(text);
	size_t n = 0;

	while (p < end && name_char(*p, n == 0)) {
		if (n + 1 >= sizeof(s->name))
			goto bad;
		s->name[n++] = *p++;
	}
	if (n == 0 || parse_labels(&p, end, s->l, MAX_LABELS, &s->nl) < 0 || p != end)
		goto bad;
	*out = s;
	return 0;
bad:
	free(s);
	*out = NULL;
	return rd_err_set(err, RD_E_INVAL,
			  "metric selector '%s': unexpected byte at offset %zu (want name{label=\"value\",...})",
			  text, (size_t)(p - text));
}

void prom_sel_free(struct prom_sel *s)
{
	free(s);
}

static int sel_matches(const struct prom_sel *s, const struct prom_label *l,
		       size_t nl)
{
	for (size_t i = 0; i < s->nl; i++) {
		size_t j;

		for (j = 0; j < nl; j++)
			if (strcmp(s->l[i].name, l[j].name) == 0)
				break;
		if (j == nl || strcmp(s->l[i].value, l[j].value) != 0)
			return 0;
	}
	return 1;
}

static int parse_value(const char *p, const char *end, double *v)
{
	char tmp[64];
	size_t n = 0;
	char *e;

	while (p + n < end && p[n] != ' ' && p[n] != '\t' && n < sizeof(tmp) - 1) {
		tmp[n] = p[n];
		n++;
	}
	tmp[n] = '\0';
	if (n == 0)
		return -1;
	if (strcmp(tmp, "+Inf") == 0) {
		*v = INFINITY;
		return 0;
	}
	if (strcmp(tmp, "-Inf") == 0) {
		*v = -INFINITY;
		return 0;
	}
	if (strcmp(tmp, "NaN") == 0) {
		*v = NAN;
		return 0;
	}
	errno = 0;
	*v = strtod(tmp, &e);
	return *e == '\0' && !errno ? 0 : -1;
}

int prom_expo_sum(const char *text, size_t len, const struct prom_sel *sel,
		  double *sum, size_t *nseries, struct rd_err *err)
{
	const char *p = text, *end = text + len;
	size_t lineno = 0;

	*sum = 0;
	*nseries = 0;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q = p, *le = eol ? eol : end;
		struct prom_label l[MAX_LABELS];
		size_t nl, n = 0;
		char name[128];
		double v;

		lineno++;
		p = eol ? eol + 1 : end;
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (q == le || *q == '#')
			continue;
		while (q < le && name_char(*q, n == 0)) {
			if (n + 1 < sizeof(name))
				name[n++] = *q;
			q++;
		}
		name[n] = '\0';
		if (n == 0 || parse_labels(&q, le, l, MAX_LABELS, &nl) < 0)
			return rd_err_set(err, RD_E_INVAL,
					  "exposition line %zu: not a sample line", lineno);
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (parse_value(q, le, &v) < 0)
			return rd_err_set(err, RD_E_INVAL,
					  "exposition line %zu: bad sample value", lineno);
		if (strcmp(name, sel->name) == 0 && sel_matches(sel, l, nl)) {
			*sum += v;
			(*nseries)++;
		}
	}
	return 0;
}

static int num_of(const struct json_val *pair, double *v)
{
	const struct json_val *s;
	char *e;

	/* [timestamp, "value"] */
	if (!pair || pair->type != JSON_ARRAY || pair->count != 2 ||
	    !(s = pair->child->next) || s->type != JSON_STRING)
		return -1;
	if (strcmp(s->str, "+Inf") == 0) {
		*v = INFINITY;
		return 0;
	}
	if (strcmp(s->str, "-Inf") == 0) {
		*v = -INFINITY;
		return 0;
	}
	if (strcmp(s->str, "NaN") == 0) {
		*v = NAN;
		return 0;
	}
	errno = 0;
	*v = strtod(s->str, &e);
	return *e || errno ? -1 : 0;
}

int prom_query(const char *base, const char *promql, const struct http_opts *ho,
	       double **vals, size_t *n, struct rd_err *err)
{
	struct http_opts o = *ho;
	struct http_once res;
	struct http_req q;
	struct buf url;
	struct json_doc doc;
	const struct json_val *root, *st, *data, *type, *result, *c;
	size_t bl = strlen(base);
	int ret;

	*vals = NULL;
	*n = 0;
	buf_init(&url);
	json_doc_init(&doc);
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
	if (res.err != HTTP_ERR_NONE) {
		ret = rd_err_set(err, RD_E_IO, "Prometheus at %s: %s", base, res.errmsg);
		goto out;
	}
	root = json_parse(&doc, res.body.data ? res.body.data : "", res.body.len,
			  NULL, NULL);
	if (!root || root->type != JSON_OBJECT ||
	    !(st = json_get(root, "status")) || st->type != JSON_STRING) {
		ret = rd_err_set(err, RD_E_INVAL,
				 "Prometheus at %s: HTTP %d, not a query API answer",
				 base, res.status);
		goto out;
	}
	if (strcmp(st->str, "success") != 0) {
		const struct json_val *e = json_get(root, "error");

		ret = rd_err_set(err, RD_E_INVAL, "Prometheus rejected the query: %s",
				 e && e->type == JSON_STRING ? e->str : "(no message)");
		goto out;
	}
	if (!(data = json_get(root, "data")) || !(type = json_get(data, "resultType")) ||
	    type->type != JSON_STRING || !(result = json_get(data, "result"))) {
		ret = rd_err_set(err, RD_E_INVAL, "Prometheus answer without data");
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
	ret = rd_err_set(err, RD_E_INVAL, "Prometheus answer with a malformed value");
out:
	buf_release(&url);
	json_doc_release(&doc);
	http_once_release(&res);
	return ret;
}
