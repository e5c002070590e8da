/*
 * report_chart.c - the report's SVG charts (see report_chart.h).
 *
 * Coordinates are geometry and go out through printf with one decimal;
 * the numbers a reader sees (axis labels, tooltips) go through lib/num.
 * Times on the axis are UTC, at a step that gives at most 8 labels.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "num.h"
#include "report_chart.h"
#include "banned.h"

#define W 900.0
#define ML 72.0            /* left margin: the y labels */
#define MR 16.0
#define MT 10.0
#define PH 170.0           /* plot height */
#define PW (W - ML - MR)
#define GATE_FILL "#8c959f"

void chart_esc(struct buf *b, const char *s, size_t n)
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
	chart_esc(b, s, strlen(s));
}

double chart_step(double max, int ticks, double *top)
{
	static const int mant[] = { 1, 2, 5 };
	double step = 1;

	if (!(max > 0) || !isfinite(max))
		max = 1;
	for (int e = -6; e <= 18; e++) {
		int i;

		for (i = 0; i < 3; i++) {
			step = num_scale10(mant[i], e);
			if (max / step <= ticks)
				break;
		}
		if (i < 3)
			break;
	}
	*top = ceil(max / step - 1e-9) * step;
	return step;
}

/* An axis label: the tick's shortest decimal, in k or M when large. */
static void tick_label(struct buf *b, double v, const char *unit)
{
	char t[NUM_LEN];

	if (fabs(v) >= 1e6)
		buf_addf(b, "%sM", num_fmt(v / 1e6, NUM_TEXT, t, sizeof(t)));
	else if (fabs(v) >= 1e4)
		buf_addf(b, "%sk", num_fmt(v / 1e3, NUM_TEXT, t, sizeof(t)));
	else
		buf_adds(b, num_fmt(v, NUM_TEXT, t, sizeof(t)));
	escs(b, unit);
}

static double xat(const struct tl_view *v, int64_t ms)
{
	double span = (double)(v->end_ms - v->start_ms);

	return ML + (span > 0 ? (double)(ms - v->start_ms) / span * PW : 0);
}

static void y_axis(struct buf *b, double top, double step, const char *unit)
{
	for (int i = 0; top > 0 && i * step <= top * (1 + 1e-9); i++) {
		double y = MT + PH - i * step / top * PH;

		buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
			 "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">",
			 ML, y, W - MR, y, i ? "#eaeef2" : "#8c959f", ML - 6, y + 4);
		tick_label(b, i * step, unit);
		buf_adds(b, "</text>\n");
	}
}

static void time_label(struct buf *b, int64_t ms, int64_t step)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char t[32];

	gmtime_r(&s, &tm);
	if (step >= 86400000)
		strftime(t, sizeof(t), "%m-%d", &tm);
	else if (step >= 60000)
		strftime(t, sizeof(t), "%H:%M", &tm);
	else
		strftime(t, sizeof(t), "%H:%M:%S", &tm);
	buf_adds(b, t);
	if (step < 1000)
		buf_addf(b, ".%d", (int)(ms % 1000 / 100));
}

static void x_axis(struct buf *b, const struct tl_view *v)
{
	static const int64_t steps[] = {
		100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000,
		120000, 300000, 600000, 900000, 1800000, 3600000, 7200000,
		10800000, 21600000, 43200000, 86400000, 172800000, 604800000
	};
	int64_t span = v->end_ms - v->start_ms, step = steps[0];

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step = steps[i];
		if (span / step <= 8)
			break;
	}
	for (int64_t t = (v->start_ms + step - 1) / step * step; t <= v->end_ms;
	     t += step) {
		double x = xat(v, t);

		buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8c959f\"/>"
			 "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"middle\">",
			 x, MT + PH, x, MT + PH + 4, x, MT + PH + 18);
		time_label(b, t, step);
		buf_adds(b, "</text>\n");
	}
}

/* The runs of columns with the gate closed, as shaded bands. */
static int shade(struct buf *b, const struct tl_view *v)
{
	int any = 0;

	for (size_t i = 0; i < v->n; i++) {
		size_t j = i;

		if (!(v->col[i].closed >= 0.5))
			continue;
		while (j + 1 < v->n && v->col[j + 1].closed >= 0.5)
			j++;
		buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			 "fill=\"%s\" fill-opacity=\"0.22\"><title>gate closed</title></rect>\n",
			 xat(v, v->col[i].start_ms), MT,
			 xat(v, v->col[j].start_ms + v->col_ms) - xat(v, v->col[i].start_ms),
			 PH, GATE_FILL);
		any = 1;
		i = j;
	}
	return any;
}

static double col_max(const struct chart *c)
{
	double max = 0;

	for (size_t i = 0; i < c->view->n; i++) {
		double stack = 0;

		for (size_t k = 0; k < c->ns; k++) {
			double x = c->s[k].v[i];

			if (isnan(x))
				continue;
			if (c->s[k].kind == CHART_BAR)
				stack += x;
			else if (x > max)
				max = x;
		}
		if (stack > max)
			max = stack;
	}
	return max;
}

static void bars(struct buf *b, const struct chart *c, double top)
{
	const struct tl_view *v = c->view;
	double cw = PW / (double)v->n, gap = cw > 4 ? 1 : 0;

	for (size_t i = 0; i < v->n; i++) {
		double y = MT + PH;

		for (size_t k = 0; k < c->ns; k++) {
			double x = c->s[k].v[i], h;

			if (c->s[k].kind != CHART_BAR || isnan(x) || x <= 0)
				continue;
			h = x / top * PH;
			y -= h;
			buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>",
				 ML + (double)i * cw, y, cw - gap, h, c->s[k].color);
		}
	}
	buf_addc(b, '\n');
}

static void line(struct buf *b, const struct chart *c, const struct chart_series *s,
		 double top)
{
	const struct tl_view *v = c->view;
	double cw = PW / (double)v->n;
	int pen = 0, start = -1;

	buf_adds(b, "<path fill=\"none\" stroke-width=\"2\" stroke-linejoin=\"round\" d=\"");
	for (size_t i = 0; i < v->n; i++) {
		double x = ML + ((double)i + 0.5) * cw;

		if (isnan(s->v[i])) {
			pen = 0;
			continue;
		}
		buf_addf(b, "%c%.1f %.1f", pen ? 'L' : 'M', x,
			 MT + PH - (s->v[i] > top ? top : s->v[i]) / top * PH);
		if (!pen && start < 0)
			start = (int)i;
		pen = 1;
	}
	buf_addf(b, "\" stroke=\"%s\"%s/>\n", s->color,
		 s->dashed ? " stroke-dasharray=\"6 3\"" : "");
	if (s->kind != CHART_AREA || start < 0)
		return;
	/* the area under it, from the baseline */
	buf_addf(b, "<path stroke=\"none\" fill=\"%s\" fill-opacity=\"0.2\" d=\"M%.1f %.1f",
		 s->color, ML + (start + 0.5) * cw, MT + PH);
	for (size_t i = (size_t)start; i < v->n; i++)
		if (!isnan(s->v[i]))
			buf_addf(b, "L%.1f %.1f", ML + ((double)i + 0.5) * cw,
				 MT + PH - s->v[i] / top * PH);
	buf_addf(b, "L%.1f %.1fZ\"/>\n", ML + ((double)v->n - 0.5) * cw, MT + PH);
}

/* One transparent column per time slot, whose tooltip has its values. */
static void tips(struct buf *b, const struct chart *c)
{
	const struct tl_view *v = c->view;
	double cw = PW / (double)v->n;
	char n[NUM_LEN];

	for (size_t i = 0; i < v->n; i++) {
		buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
			 "fill-opacity=\"0\"><title>", ML + (double)i * cw, MT, cw, PH);
		time_label(b, v->col[i].start_ms, v->col_ms);
		for (size_t k = 0; k < c->ns; k++) {
			if (isnan(c->s[k].v[i]))
				continue;
			buf_addf(b, "\n%s ", c->s[k].name);
			buf_adds(b, num_fixed(c->s[k].v[i], c->s[k].v[i] < 10 ? 2 : 0,
					      n, sizeof(n)));
			escs(b, c->unit);
		}
		buf_adds(b, "</title></rect>");
	}
	buf_addc(b, '\n');
}

static void legend(struct buf *b, const struct chart *c, int shaded)
{
	buf_adds(b, "<p class=\"legend\">");
	for (size_t k = 0; k < c->ns; k++) {
		buf_addf(b, "<span><i class=\"sw%s\" style=\"background:%s\"></i>",
			 c->s[k].kind == CHART_BAR ? "" : " ln", c->s[k].color);
		escs(b, c->s[k].name);
		buf_adds(b, "</span>");
	}
	if (shaded)
		buf_addf(b, "<span><i class=\"sw\" style=\"background:%s;opacity:.35\"></i>gate closed</span>",
			 GATE_FILL);
	buf_adds(b, "</p>\n");
}

void chart_time(struct buf *b, const struct chart *c)
{
	double top, step = chart_step(col_max(c), 4, &top);
	int shaded = 0;

	buf_adds(b, "<figure class=\"chart\"><svg id=\"");
	escs(b, c->id);
	buf_addf(b, "\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", W, MT + PH + 26);
	escs(b, c->label);
	buf_adds(b, "\">\n");
	if (c->shade_gate)
		shaded = shade(b, c->view);
	y_axis(b, top, step, c->unit);
	bars(b, c, top);
	for (size_t k = 0; k < c->ns; k++)
		if (c->s[k].kind != CHART_BAR)
			line(b, c, &c->s[k], top);
	x_axis(b, c->view);
	tips(b, c);
	buf_adds(b, "</svg>");
	legend(b, c, shaded);
	buf_adds(b, "</figure>\n");
}

/* s, cut after max characters (UTF-8 sequences kept whole). */
static void label(struct buf *b, const char *s, size_t max)
{
	size_t i = 0, chars = 0;

	while (s[i] && chars < max) {
		i++;
		while ((s[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	chart_esc(b, s, i);
	if (s[i])
		buf_adds(b, "\u2026");
}

void chart_hbars(struct buf *b, const char *id, const char *const *labels,
		 const double *v, const char *const *text,
		 const char *const *colors, const char *color, size_t n,
		 double base)
{
	const double rowh = 26, labw = 300, right = 90;
	double max = base, top, step, pw = W - labw - right;

	for (size_t i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	step = chart_step(max - base, 4, &top);
	buf_adds(b, "<svg id=\"");
	escs(b, id);
	buf_addf(b, "\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n", W, rowh * (double)n + 24);
	for (int i = 0; i * step <= top * (1 + 1e-9); i++) {
		double x = labw + i * step / top * pw;

		buf_addf(b, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
			 "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"middle\">",
			 x, x, rowh * (double)n, i ? "#eaeef2" : "#8c959f", x,
			 rowh * (double)n + 16);
		tick_label(b, base + i * step, "");
		buf_adds(b, "</text>\n");
	}
	for (size_t i = 0; i < n; i++) {
		double bw = (v[i] - base) / top * pw;

		if (!(bw > 0))
			bw = 0;
		buf_addf(b, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"13\" text-anchor=\"end\">",
			 labw - 8, rowh * (double)i + 17);
		label(b, labels[i], 44);
		buf_addf(b, "</text><rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"18\" fill=\"%s\"/>"
			 "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" fill=\"#57606a\">",
			 labw, rowh * (double)i + 4, bw, colors ? colors[i] : color,
			 labw + bw + 6, rowh * (double)i + 17);
		escs(b, text[i]);
		buf_adds(b, "</text>\n");
	}
	buf_adds(b, "</svg>\n");
}
