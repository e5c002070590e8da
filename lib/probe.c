/*
 * probe.c - concurrent HTTP samples and their verdicts (see probe.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "jqf.h"
#include "probe.h"
#include "rx.h"
#include "xalloc.h"
#include "banned.h"

struct run {
	const struct probe_opts *o;
	struct probe_result *res;
	struct hist *lat;
	struct jqf *jq;
	struct rx *rx;
	struct buf out;
	int jq_broken;
};

static void fail(struct probe_result *r, const char *why)
{
	r->failed++;
	if (!r->why[0])
		snprintf(r->why, sizeof(r->why), "%s", why);
}

/* 1 when the body satisfies the jq predicate: each of its outputs is
 * neither false nor null (`.checks[].ok` must be true for every check,
 * not only the first).  The filter is compiled once per run and fed one
 * body at a time, drained before the next. */
static int jq_true(struct run *r, const struct buf *body)
{
	struct rd_err err;
	size_t no;
	int ret, verdict = -1;

	if (r->jq_broken || (!r->jq && jqf_new("--jq", r->o->jq, &r->jq, &err) < 0))
		return 0;
	jqf_feed(r->jq, body->data ? body->data : "", body->len, 1);
	while ((ret = jqf_next(r->jq, &r->out, &no, &err)) != 0) {
		if (ret == RD_E_CORRUPT) {
			/* not JSON: this stream is over; start a new one */
			jqf_free(r->jq);
			r->jq = NULL;
			return 0;
		}
		if (ret > 0)
			verdict = strcmp(r->out.data, "false") != 0 &&
				  strcmp(r->out.data, "null") != 0 && verdict != 0;
		else if (ret < 0)   /* an error on one output fails them all */
			verdict = 0;
	}
	/* a final feed ends the stream: the next body needs a new one */
	jqf_free(r->jq);
	r->jq = NULL;
	return verdict > 0;
}

static void on_done(void *ctx, const struct http_res *res)
{
	struct run *r = ctx;
	size_t i = (size_t)(uintptr_t)res->udata;
	struct probe_result *pr = &r->res[i];

	char why[64];

	if (res->err != HTTP_ERR_NONE) {
		fail(pr, res->errmsg);
		return;
	}
	hist_add(&r->lat[i], res->latency_ms);
	if (!http_okset_has(&r->o->expect, res->status)) {
		snprintf(why, sizeof(why), "HTTP %d, not an expected status", res->status);
		fail(pr, why);
		return;
	}
	if (r->o->jq && !jq_true(r, res->body)) {
		fail(pr, "the body does not satisfy --jq");
		return;
	}
	if (r->rx && rx_match(r->rx, res->body->data ? res->body->data : "",
			      res->body->len) != 1)
		fail(pr, "the body does not match --match");
}

int probe_run(const struct probe_opts *o, struct probe_result **out,
	      struct rd_err *err)
{
	struct run r;
	struct http *h = NULL;
	struct http_opts ho = o->http;
	struct jqf *test = NULL;
	unsigned n = o->samples ? o->samples : 5;
	int ret = 0;

	memset(&r, 0, sizeof(r));
	r.o = o;
	buf_init(&r.out);
	*out = NULL;
	if (o->jq) {
		if ((ret = jqf_new("--jq", o->jq, &test, err)) < 0)
			return ret;
		jqf_free(test);
	}
	if (o->match && (ret = rx_new(o->match, &r.rx, err)) < 0)
		return ret;
	r.res = xcalloc(o->nurls ? o->nurls : 1, sizeof(*r.res));
	r.lat = xcalloc(o->nurls ? o->nurls : 1, sizeof(*r.lat));
	ho.keep_response = o->jq || o->match;
	if ((ret = http_new(&ho, &h, err)) < 0)
		goto out;
	for (size_t i = 0; i < o->nurls; i++) {
		r.res[i].url = o->urls[i];
		r.res[i].samples = n;
		hist_init(&r.lat[i]);
		for (unsigned s = 0; s < n; s++) {
			struct http_req q;

			memset(&q, 0, sizeof(q));
			q.method = "GET";
			q.method_len = 3;
			q.url = o->urls[i];
			q.hdrs = o->hdrs;
			q.nhdrs = o->nhdrs;
			q.udata = (void *)(uintptr_t)i;
			if ((ret = http_submit(h, &q, err)) < 0)
				goto out;
		}
	}
	while (http_inflight(h) > 0)
		if (http_run(h, 1000, on_done, &r) < 0) {
			ret = rd_err_set(err, RD_E_IO, "the HTTP engine failed");
			goto out;
		}
	for (size_t i = 0; i < o->nurls; i++) {
		struct probe_result *pr = &r.res[i];

		pr->p50 = hist_pct(&r.lat[i], 50);
		pr->p90 = hist_pct(&r.lat[i], 90);
		pr->p99 = hist_pct(&r.lat[i], 99);
		pr->error_rate = (double)pr->failed / pr->samples;
	}
	*out = r.res;
	r.res = NULL;
out:
	http_free(h);
	for (size_t i = 0; i < o->nurls; i++)
		hist_release(&r.lat[i]);
	free(r.lat);
	free(r.res);
	jqf_free(r.jq);
	rx_free(r.rx);
	buf_release(&r.out);
	return ret;
}
