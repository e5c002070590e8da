/*
 * report.c - the HTML postmortem report (see report.h).
 *
 * Every number on the page is also in `rd-audit --json`; the page only
 * lays them out, at a display precision, through lib/num.  SVG
 * coordinates are geometry, not numbers for a reader, and stay printf's.
 * Text is HTML-escaped; charts are plain SVG rectangles and text, sized
 * in viewBox units so they scale and print.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "num.h"
#include "report.h"
#include "rec.h"
#include "banned.h"

static void esc(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '&': buf_adds(b, "&amp;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		default: buf_addc(b, s[i]);
		}
	}
}

static void escs(struct buf *b, const char *s)
{
	esc(b, s, strlen(s));
}

static void name(struct buf *b, const char *s, struct redact *red)
{
	struct buf t;

	buf_init(&t);
	if (red)
		redact_text(red, s, strlen(s), &t);
	else
		buf_adds(&t, s);
	esc(b, t.data ? t.data : "", t.len);
	buf_release(&t);
}

static const char style[] =
"<style>\n"
"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;"
"max-width:60rem;margin:2rem auto;padding:0 1rem}\n"
"h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem;"
"border-bottom:1px solid #d0d7de;padding-bottom:.25rem}\n"
".sub{color:#57606a;margin:0 0 1rem}\n"
".cards{display:flex;flex-wrap:wrap;gap:.75rem}\n"
".card{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .75rem;min-width:7rem}\n"
".card b{display:block;font-size:1.4rem}.card span{color:#57606a;font-size:.85rem}\n"
"table{border-collapse:collapse;width:100%;font-size:.9rem}\n"
"th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eaeef2}\n"
"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
"svg{width:100%;height:auto;display:block}\n"
".legend span{display:inline-block;margin-right:1rem}\n"
".sw{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}\n"
"@media print{body{margin:0;max-width:none}h2{break-after:avoid}"
"svg,table{break-inside:avoid}}\n"
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

/* Captures and replays per bucket, as paired bars. */
static void timeline(struct buf *b, const struct audit_summary *s)
{
	uint64_t max = 1;
	const double w = 800, h = 200, bw = w / AUDIT_TIMELINE;
	char t1[REC_TIME_LEN + 1], t2[REC_TIME_LEN + 1];

	for (int i = 0; i < AUDIT_TIMELINE; i++) {
		if (s->tl_captures[i] > max)
			max = s->tl_captures[i];
		if (s->tl_attempts[i] > max)
			max = s->tl_attempts[i];
	}
	buf_addf(b, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"captures and replays over time\">\n",
		 w, h + 30);
	for (int i = 0; i < AUDIT_TIMELINE; i++) {
		double ch = (double)s->tl_captures[i] / (double)max * h;
		double ah = (double)s->tl_attempts[i] / (double)max * h;

		buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#cf222e\"><title>%llu captures</title></rect>",
			 i * bw + 1, h - ch, bw / 2 - 1, ch,
			 (unsigned long long)s->tl_captures[i]);
		buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#1a7f37\"><title>%llu replay attempts</title></rect>\n",
			 i * bw + bw / 2, h - ah, bw / 2 - 1, ah,
			 (unsigned long long)s->tl_attempts[i]);
	}
	if (s->first_ms) {
		rec_time_fmt(s->first_ms, t1);
		rec_time_fmt(s->last_ms, t2);
		buf_addf(b, "<line x1=\"0\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#8c959f\"/>"
			 "<text x=\"0\" y=\"%.0f\" font-size=\"12\" fill=\"#57606a\">%s</text>"
			 "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" fill=\"#57606a\" text-anchor=\"end\">%s</text>\n",
			 h, w, h, h + 20, t1, w, h + 20, t2);
	}
	buf_adds(b, "</svg>\n<p class=\"legend\"><span><i class=\"sw\" style=\"background:#cf222e\"></i>captures</span>"
		 "<span><i class=\"sw\" style=\"background:#1a7f37\"></i>replay attempts</span></p>\n");
}

/* One horizontal bar per item. */
static void hbars(struct buf *b, const char *const *labels, const double *v,
		  const char *const *text, const char *color, size_t n)
{
	double max = 0;
	const double rowh = 26, labw = 260, w = 800;

	for (size_t i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	if (max <= 0)
		max = 1;
	buf_addf(b, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n", w, rowh * (double)n + 4);
	for (size_t i = 0; i < n; i++) {
		double bw = v[i] / max * (w - labw - 110);

		buf_addf(b, "<text x=\"0\" y=\"%.1f\" font-size=\"13\">", rowh * (double)i + 17);
		escs(b, labels[i]);
		buf_addf(b, "</text><rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"18\" fill=\"%s\"/>"
			 "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" fill=\"#57606a\">",
			 labw, rowh * (double)i + 4, bw > 0 ? bw : 0, color,
			 labw + (bw > 0 ? bw : 0) + 6, rowh * (double)i + 17);
		escs(b, text[i]);
		buf_adds(b, "</text>\n");
	}
	buf_adds(b, "</svg>\n");
}

static void groups_table(struct buf *b, const char *title, const struct audit_dim *d,
			 struct redact *red, int amp)
{
	char v[NUM_LEN];

	if (!d->n)
		return;
	buf_adds(b, "<h2>");
	escs(b, title);
	buf_adds(b, "</h2>\n<table><tr><th></th><th class=\"n\">requests</th><th class=\"n\">ok</th>"
		 "<th class=\"n\">pending</th><th class=\"n\">dead</th>");
	if (amp)
		buf_adds(b, "<th class=\"n\">attempts</th><th class=\"n\">amplification</th>");
	buf_adds(b, "</tr>\n");
	for (size_t i = 0; i < d->n; i++) {
		const struct audit_group *g = &d->g[i];

		buf_adds(b, "<tr><td>");
		name(b, g->name, red);
		buf_addf(b, "</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>",
			 (unsigned long long)g->requests, (unsigned long long)g->ok,
			 (unsigned long long)g->pending, (unsigned long long)g->dead);
		if (amp)
			buf_addf(b, "<td class=\"n\">%llu</td><td class=\"n\">%s</td>",
				 (unsigned long long)g->attempts,
				 num_fixed(audit_amplification(g->attempts, g->replayed), 2,
					   v, sizeof(v)));
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</table>\n");
}

void report_html(struct buf *b, struct audit_summary *s, const char *spool,
		 int64_t now_ms, struct redact *red)
{
	char t[REC_TIME_LEN + 1], v[NUM_LEN + 8];
	double amp = audit_amplification(s->attempts, s->replayed);

	rec_time_fmt(now_ms, t);
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		 "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
		 "<title>redrive audit</title>\n");
	buf_adds(b, style);
	buf_adds(b, "</head><body>\n<h1>redrive audit</h1>\n<p class=\"sub\">spool ");
	escs(b, spool);
	buf_addf(b, " &middot; generated %s</p>\n<div class=\"cards\">\n", t);
	cardu(b, "requests", s->requests);
	cardu(b, "delivered (ok)", s->ok);
	cardu(b, "pending", s->pending);
	cardu(b, "dead", s->dead);
	cardu(b, "replay attempts", s->attempts);
	num_fixed(amp, 2, v, sizeof(v));
	card(b, "amplification", s->replayed ? v : "-");
	if (s->oldest_pending_ms) {
		num_fixed((double)(now_ms - s->oldest_pending_ms) / 60000, 0, v, sizeof(v));
		snprintf(v + strlen(v), sizeof(v) - strlen(v), " min");
		card(b, "oldest pending", v);
	}
	buf_adds(b, "</div>\n<h2>Timeline: captures against replays</h2>\n");
	timeline(b, s);
	{
		const char *lab[] = { "ok", "pending, due", "pending, backing off", "dead" };
		double val[] = { (double)s->ok, (double)s->due, (double)s->backing_off,
				 (double)s->dead };
		char tx[4][32];
		const char *txt[4];

		for (int i = 0; i < 4; i++)
			txt[i] = num_fmt(val[i], NUM_TEXT, tx[i], sizeof(tx[i]));
		buf_adds(b, "<h2>Outcomes</h2>\n");
		hbars(b, lab, val, txt, "#0969da", 4);
	}
	if (s->latency.n) {
		const char *lab[] = { "p50", "p90", "p99" };
		double val[3] = { hist_pct(&s->latency, 50), hist_pct(&s->latency, 90),
				  hist_pct(&s->latency, 99) };
		char tx[3][32];
		const char *txt[3];

		for (int i = 0; i < 3; i++) {
			num_fixed(val[i], 1, tx[i], sizeof(tx[i]) - 3);
			snprintf(tx[i] + strlen(tx[i]), 4, " ms");
			txt[i] = tx[i];
		}
		num_fixed(s->attempts ? num_scale10((double)s->attempts_ok /
						    (double)s->attempts, 2) : 0.0, 1, v, sizeof(v));
		buf_addf(b, "<h2>Replay latency</h2>\n<p>%zu attempts with a response; success rate %s%%.</p>\n",
			 s->latency.n, v);
		hbars(b, lab, val, txt, "#8250df", 3);
	}
	if (s->by_route.n && s->replayed) {
		size_t n = s->by_route.n < 15 ? s->by_route.n : 15, k = 0;
		const char *lab[15], *txt[15];
		double val[15];
		char tx[15][32];
		struct buf names[15];

		for (size_t i = 0; i < s->by_route.n && k < n; i++) {
			const struct audit_group *g = &s->by_route.g[i];

			if (!g->replayed)
				continue;
			buf_init(&names[k]);
			if (red)
				redact_text(red, g->name, strlen(g->name), &names[k]);
			else
				buf_adds(&names[k], g->name);
			lab[k] = names[k].data;
			val[k] = audit_amplification(g->attempts, g->replayed);
			txt[k] = num_fixed(val[k], 2, tx[k], sizeof(tx[k]));
			k++;
		}
		buf_adds(b, "<h2>Amplification by route</h2>\n<p>Replay attempts per replayed request: 1.00 means every request was sent once.</p>\n");
		hbars(b, lab, val, txt, "#bf8700", k);
		for (size_t i = 0; i < k; i++)
			buf_release(&names[i]);
	}
	groups_table(b, "By failure type", &s->by_failure, red, 0);
	groups_table(b, "By route", &s->by_route, red, 1);
	groups_table(b, "By host", &s->by_host, red, 0);
	groups_table(b, "By last replay status", &s->by_status, red, 0);
	buf_adds(b, "</body></html>\n");
}
