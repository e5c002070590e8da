/*
 * report.c - the HTML postmortem report (see report.h).
 *
 * The page tells an incident in the order an on-call engineer explains
 * it: the totals, the key times, what happened over time (captures,
 * replay outcomes against the rate allowed, latency, the backlog, with
 * the times the gate was closed shaded), why records were given up on
 * and what the service answered, then where (hosts, routes).  Counts and
 * key times are also in `rd-audit --json`; the page shows them at a
 * display precision, through lib/num.  Text is HTML-escaped and group
 * names and response bodies go through the redactor.  Charts are
 * report_chart.c's.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "num.h"
#include "rec.h"
#include "report.h"
#include "report_chart.h"
#include "xalloc.h"
#include "banned.h"

#define COLUMNS 240

/* One colour per outcome, everywhere on the page. */
#define C_CAPTURE "#bc4c00"
#define C_OK "#1a7f37"
#define C_RETRY "#d4a72c"
#define C_UNKNOWN "#8250df"
#define C_DEAD "#cf222e"
#define C_PENDING "#0969da"
#define C_RATE "#0550ae"
#define C_P99 "#bc4c00"

static void escs(struct buf *b, const char *s)
{
	chart_esc(b, s, strlen(s));
}

static void name(struct buf *b, const char *s, size_t n, struct redact *red)
{
	struct buf t;

	buf_init(&t);
	if (red)
		redact_msg(red, s, n, &t);
	else
		buf_add(&t, s, n);
	chart_esc(b, t.data ? t.data : "", t.len);
	buf_release(&t);
}

static const char style[] =
"<style>\n"
"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;"
"max-width:64rem;margin:2rem auto;padding:0 1rem}\n"
"h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem;"
"border-bottom:1px solid #d0d7de;padding-bottom:.25rem}\n"
"h3{font-size:.95rem;margin:1.25rem 0 .25rem}\n"
".sub{color:#57606a;margin:0 0 1rem}\n"
".cards{display:flex;flex-wrap:wrap;gap:.75rem}\n"
".card{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .75rem;min-width:7rem}\n"
".card b{display:block;font-size:1.4rem}.card span{color:#57606a;font-size:.85rem}\n"
"table{border-collapse:collapse;width:100%;font-size:.9rem}\n"
"th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eaeef2;vertical-align:top}\n"
"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
"figure{margin:0 0 1rem}svg{width:100%;height:auto;display:block}\n"
"svg .ax{font-size:12px;fill:#57606a;font-variant-numeric:tabular-nums}\n"
".legend{margin:.25rem 0 0 4.5rem;font-size:.85rem;color:#57606a}\n"
".legend span{display:inline-block;margin-right:1rem}\n"
".sw{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}\n"
".sw.ln{height:.2rem;vertical-align:.2rem}\n"
"pre{background:#f6f8fa;border:1px solid #eaeef2;border-radius:4px;padding:.4rem .6rem;"
"margin:.25rem 0;white-space:pre-wrap;word-break:break-all;font-size:.8rem}\n"
".muted{color:#57606a}\n"
"@media print{body{margin:0;max-width:none}h2,h3{break-after:avoid}"
"figure,svg,table,pre{break-inside:avoid}}\n"
"</style>\n";

static void card(struct buf *b, const char *label, const char *value)
{
	buf_adds(b, "<div class=\"card\"><b>");
	escs(b, value);
	buf_adds(b, "</b><span>");
	escs(b, label);
	buf_adds(b, "</span></div>\n");
}

static void cardu(struct buf *b, const char *label, uint64_t v)
{
	char t[32];

	snprintf(t, sizeof(t), "%llu", (unsigned long long)v);
	card(b, label, t);
}

static void cards(struct buf *b, const struct audit_summary *s, int64_t now)
{
	char v[NUM_LEN];

	cardu(b, "requests captured", s->requests);
	cardu(b, "delivered", s->ok);
	cardu(b, "dead", s->dead);
	cardu(b, "pending", s->pending);
	card(b, "amplification", s->replayed ?
	     num_fixed(audit_amplification(s->attempts, s->replayed), 2, v, sizeof(v)) : "-");
	if (s->at.drained && s->at.drain_start)
		card(b, "time to drain",
		     report_duration(s->at.drained - s->at.drain_start, v, sizeof(v)));
	if (s->oldest_pending_ms)
		card(b, "oldest pending",
		     report_duration(now - s->oldest_pending_ms, v, sizeof(v)));
}

static void key_row(struct buf *b, const char *what, int64_t ms, int64_t t0,
		    const char *note)
{
	char t[REC_TIME_LEN + 1], d[64];

	buf_adds(b, "<tr><td>");
	escs(b, what);
	buf_adds(b, "</td><td>");
	if (ms) {
		rec_time_fmt(ms, t);
		buf_adds(b, t);
		buf_adds(b, "</td><td class=\"n\">");
		if (t0 && ms >= t0)
			buf_addf(b, "+%s", report_duration(ms - t0, d, sizeof(d)));
	} else {
		buf_adds(b, "</td><td class=\"n\">");
	}
	buf_adds(b, "</td><td class=\"muted\">");
	escs(b, note);
	buf_adds(b, "</td></tr>\n");
}

static void key_times(struct buf *b, const struct audit_summary *s)
{
	const struct audit_times *k = &s->at;
	int64_t t0 = k->first_failure;
	char d[64], note[128];

	buf_adds(b, "<h2>Key times</h2>\n<table id=\"key-times\"><tr><th></th><th>UTC</th>"
		 "<th class=\"n\">after the first failure</th><th></th></tr>\n");
	key_row(b, "first failure", k->first_failure, t0, "the first request captured");
	key_row(b, "last failure", k->last_failure, t0, "the last request captured");
	key_row(b, "gate first open", k->gate_open, t0,
		k->gate_open ? "the health gate let a replay send" :
		s->run_lines ? "no replay ran with a gate" : "no replay run recorded");
	key_row(b, "drain start", k->drain_start, t0,
		k->drain_start ? "the first replay attempt" : "nothing was replayed");
	if (k->drained) {
		snprintf(note, sizeof(note), "the backlog reached zero, %s after the drain started",
			 report_duration(k->drained - k->drain_start, d, sizeof(d)));
	} else {
		snprintf(note, sizeof(note), "not drained: %llu pending",
			 (unsigned long long)s->pending);
	}
	key_row(b, "drain end", k->drained, t0, note);
	buf_adds(b, "</table>\n");
}

/* A count per column as a rate per second. */
static double *per_s(const struct tl_view *v, enum tl_count k)
{
	double *x = xcalloc(v->n ? v->n : 1, sizeof(*x));

	for (size_t i = 0; i < v->n; i++)
		x[i] = (double)v->col[i].c[k] * 1000 / (double)v->col_ms;
	return x;
}

static double *pick(const struct tl_view *v, size_t off)
{
	double *x = xcalloc(v->n ? v->n : 1, sizeof(*x));

	for (size_t i = 0; i < v->n; i++)
		memcpy(&x[i], (const char *)&v->col[i] + off, sizeof(double));
	return x;
}

static void over_time(struct buf *b, const struct audit_summary *s)
{
	struct tl_view v;
	double *cap, *ok, *retry, *unk, *dead, *rate, *p50, *p99, *backlog;
	char w[64];

	timeline_view(&s->tl, COLUMNS, &v);
	if (!v.n)
		return;
	cap = per_s(&v, TL_CAPTURES);
	ok = per_s(&v, TL_OK);
	retry = per_s(&v, TL_RETRY);
	unk = per_s(&v, TL_UNKNOWN);
	dead = per_s(&v, TL_DEAD);
	rate = pick(&v, offsetof(struct tl_col, rate_limit));
	for (size_t i = 0; i < v.n; i++)
		if (rate[i] == 0)
			rate[i] = NAN; /* no limit: no line */
	p50 = pick(&v, offsetof(struct tl_col, p50));
	p99 = pick(&v, offsetof(struct tl_col, p99));
	backlog = xcalloc(v.n, sizeof(*backlog));
	for (size_t i = 0; i < v.n; i++)
		backlog[i] = (double)v.col[i].backlog;
	buf_addf(b, "<h2>Over time</h2>\n<p class=\"muted\">One column is %s; times are UTC.",
		 report_duration(v.col_ms, w, sizeof(w)));
	if (v.has_runs)
		buf_adds(b, " Shaded: a replay's health gate was closed.");
	buf_adds(b, "</p>\n<h3>Failures captured</h3>\n");
	{
		const struct chart_series cs[] = {
			{ "captured", C_CAPTURE, CHART_BAR, cap, 0 } };
		const struct chart c = { "chart-captures", "requests captured per second",
					 "/s", &v, cs, 1, 1 };
		chart_time(b, &c);
	}
	buf_adds(b, "<h3>Replay sends by outcome, and the rate allowed</h3>\n");
	{
		const struct chart_series cs[] = {
			{ "ok", C_OK, CHART_BAR, ok, 0 },
			{ "retry later", C_RETRY, CHART_BAR, retry, 0 },
			{ "outcome unknown", C_UNKNOWN, CHART_BAR, unk, 0 },
			{ "dead", C_DEAD, CHART_BAR, dead, 0 },
			{ "rate allowed", C_RATE, CHART_LINE, rate, 1 } };
		const struct chart c = { "chart-sends", "replay sends per second by outcome",
					 "/s", &v, cs, 5, 1 };
		chart_time(b, &c);
	}
	if (v.has_latency) {
		const struct chart_series cs[] = {
			{ "p50", C_RATE, CHART_LINE, p50, 0 },
			{ "p99", C_P99, CHART_LINE, p99, 0 } };
		const struct chart c = { "chart-latency", "replay latency", " ms", &v, cs, 2, 1 };

		buf_adds(b, "<h3>Replay latency</h3>\n");
		chart_time(b, &c);
	}
	buf_adds(b, "<h3>Backlog: requests pending</h3>\n");
	{
		const struct chart_series cs[] = {
			{ "pending", C_PENDING, CHART_AREA, backlog, 0 } };
		const struct chart c = { "chart-backlog", "requests pending", "", &v, cs, 1, 1 };
		chart_time(b, &c);
	}
	free(cap), free(ok), free(retry), free(unk), free(dead), free(rate);
	free(p50), free(p99), free(backlog);
	timeline_view_release(&v);
}

static void outcomes(struct buf *b, const struct audit_summary *s)
{
	const char *lab[] = { "delivered", "pending, due", "pending, backing off", "dead" };
	const char *col[] = { C_OK, C_PENDING, C_RETRY, C_DEAD };
	double val[] = { (double)s->ok, (double)s->due, (double)s->backing_off,
			 (double)s->dead };
	char tx[4][32];
	const char *txt[4];

	for (int i = 0; i < 4; i++)
		txt[i] = num_fmt(val[i], NUM_TEXT, tx[i], sizeof(tx[i]));
	buf_adds(b, "<h2>Where every request is now</h2>\n");
	chart_hbars(b, "chart-outcomes", lab, val, txt, col, NULL, 4, 0);
}

/* A response body: text as it is, anything else as a byte count. */
static void snippet(struct buf *b, const struct audit_example *x, struct redact *red)
{
	long bad = x->body_len ? json_utf8_check(x->body, x->body_len) : -1;

	if (!x->body_len)
		return;
	buf_adds(b, "<pre>");
	/* the cut may have split the last character */
	if (bad < 0 || (x->truncated && (size_t)bad + 4 > x->body_len))
		name(b, x->body, bad < 0 ? x->body_len : (size_t)bad, red);
	else
		buf_addf(b, "(%zu bytes, not text)", x->body_len);
	if (x->truncated)
		buf_adds(b, "\u2026");
	buf_adds(b, "</pre>\n");
}

static void dead_letters(struct buf *b, struct audit_summary *s, struct redact *red)
{
	const struct audit_dim *d = &s->by_reason;

	if (!s->dead)
		return;
	buf_adds(b, "<h2>Dead letters: why records were given up on</h2>\n"
		 "<table id=\"dead-letters\"><tr><th>reason</th><th class=\"n\">records</th></tr>\n");
	for (size_t i = 0; i < d->n; i++) {
		if (!d->g[i].requests)
			continue;
		buf_adds(b, "<tr><td>");
		name(b, d->g[i].name, strlen(d->g[i].name), red);
		buf_addf(b, "</td><td class=\"n\">%llu</td></tr>\n",
			 (unsigned long long)d->g[i].requests);
	}
	buf_adds(b, "</table>\n");
	for (size_t i = 0; i < s->nex; i++) {
		const struct audit_example *x = &s->ex[i];

		if (i == 0 || x->reason != s->ex[i - 1].reason) {
			buf_adds(b, "<h3>");
			name(b, d->g[x->reason].name, strlen(d->g[x->reason].name), red);
			buf_adds(b, "</h3>\n");
		}
		buf_addf(b, "<p>record <code>%s</code>: ", x->id);
		if (x->status_line[0])
			name(b, x->status_line, strlen(x->status_line), red);
		else if (x->error[0])
			name(b, x->error, strlen(x->error), red);
		else
			buf_adds(b, "<span class=\"muted\">no attempt recorded</span>");
		buf_addf(b, " <span class=\"muted\">(rd-audit --show %s)</span></p>\n", x->id);
		snippet(b, x, red);
	}
}

static void amp_chart(struct buf *b, const char *title, const char *id,
		      const struct audit_dim *d, struct redact *red)
{
	size_t k = 0;
	const char *lab[15], *txt[15];
	double val[15];
	char tx[15][32];
	struct buf names[15];

	for (size_t i = 0; i < d->n && k < 15; i++) {
		const struct audit_group *g = &d->g[i];

		if (!g->replayed)
			continue;
		buf_init(&names[k]);
		report_group_name(red, g->name, &names[k]);
		lab[k] = names[k].data;
		val[k] = audit_amplification(g->attempts, g->replayed);
		txt[k] = num_fixed(val[k], 2, tx[k], sizeof(tx[k]));
		k++;
	}
	if (!k)
		return;
	buf_adds(b, "<h3>");
	escs(b, title);
	buf_adds(b, "</h3>\n");
	chart_hbars(b, id, lab, val, txt, NULL, "#bf8700", k, 1);
	for (size_t i = 0; i < k; i++)
		buf_release(&names[i]);
}

static void groups_table(struct buf *b, const char *title, const char *id,
			 struct audit_dim *d, struct redact *red, int amp)
{
	char v[NUM_LEN];

	if (!d->n)
		return;
	report_sort_dim(d);
	buf_addf(b, "<h3>%s</h3>\n<table id=\"%s\"><tr><th></th><th class=\"n\">requests</th>"
		 "<th class=\"n\">delivered</th><th class=\"n\">pending</th><th class=\"n\">dead</th>",
		 title, id);
	if (amp)
		buf_adds(b, "<th class=\"n\">attempts</th><th class=\"n\">amplification</th>");
	buf_adds(b, "</tr>\n");
	for (size_t i = 0; i < d->n; i++) {
		const struct audit_group *g = &d->g[i];

		buf_adds(b, "<tr><td>");
		name(b, g->name, strlen(g->name), red);
		buf_addf(b, "</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>",
			 (unsigned long long)g->requests, (unsigned long long)g->ok,
			 (unsigned long long)g->pending, (unsigned long long)g->dead);
		if (amp)
			buf_addf(b, "<td class=\"n\">%llu</td><td class=\"n\">%s</td>",
				 (unsigned long long)g->attempts, g->replayed ?
				 num_fixed(audit_amplification(g->attempts, g->replayed), 2,
					   v, sizeof(v)) : "-");
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</table>\n");
}

static void latency_line(struct buf *b, struct audit_summary *s)
{
	char p[3][NUM_LEN], v[NUM_LEN];

	if (!s->latency.n)
		return;
	num_fixed(num_scale10((double)s->attempts_ok / (double)s->attempts, 2), 1, v, sizeof(v));
	buf_addf(b, "<p>%llu replay attempts for %llu requests: %s%% delivered. "
		 "Latency of the %zu that got a response: p50 %s ms, p90 %s ms, p99 %s ms.</p>\n",
		 (unsigned long long)s->attempts, (unsigned long long)s->replayed, v,
		 s->latency.n, num_fixed(hist_pct(&s->latency, 50), 1, p[0], sizeof(p[0])),
		 num_fixed(hist_pct(&s->latency, 90), 1, p[1], sizeof(p[1])),
		 num_fixed(hist_pct(&s->latency, 99), 1, p[2], sizeof(p[2])));
}

void report_html(struct buf *b, struct audit_summary *s, const char *spool,
		 const char *title, int64_t now_ms, struct redact *red)
{
	char t[REC_TIME_LEN + 1];

	if (!title || !*title)
		title = "redrive audit";
	rec_time_fmt(now_ms, t);
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		 "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>");
	escs(b, title);
	buf_adds(b, "</title>\n");
	buf_adds(b, style);
	buf_adds(b, "</head><body>\n<h1>");
	escs(b, title);
	buf_adds(b, "</h1>\n<p class=\"sub\">spool ");
	escs(b, spool);
	buf_addf(b, " &middot; generated %s by rd-audit</p>\n<div class=\"cards\">\n", t);
	report_sort_dim(&s->by_host);
	report_sort_dim(&s->by_route);
	cards(b, s, now_ms);
	buf_adds(b, "</div>\n");
	key_times(b, s);
	over_time(b, s);
	outcomes(b, s);
	latency_line(b, s);
	dead_letters(b, s, red);
	buf_adds(b, "<h2>Where: hosts and routes</h2>\n<p class=\"muted\">Amplification is "
		 "replay attempts per replayed request: 1.00 means each was sent once.</p>\n");
	amp_chart(b, "Amplification by host", "chart-amp-host", &s->by_host, red);
	amp_chart(b, "Amplification by route", "chart-amp-route", &s->by_route, red);
	groups_table(b, "By host", "by-host", &s->by_host, red, 1);
	groups_table(b, "By route", "by-route", &s->by_route, red, 1);
	groups_table(b, "By failure type", "by-failure", &s->by_failure, red, 0);
	groups_table(b, "By last replay status", "by-status", &s->by_status, red, 0);
	buf_adds(b, "<p class=\"muted\">Every count on this page is in "
		 "<code>rd-audit --json</code>.</p>\n</body></html>\n");
}
