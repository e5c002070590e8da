/*
 * report_chart.h - SVG charts for the HTML report: series over one time
 * axis (stacked bars, lines, an area) with labelled axes and the times a
 * replay's gate was closed shaded, and horizontal bars from a baseline.
 * Plain SVG, no script; sized in viewBox units so they scale and print.
 * Output only: the numbers come from the caller.
 */
#ifndef REPORT_CHART_H
#define REPORT_CHART_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "timeline.h"

enum chart_kind { CHART_BAR, CHART_LINE, CHART_AREA };

struct chart_series {
	const char *name;          /* for the legend and tooltips */
	const char *color;         /* CSS colour */
	enum chart_kind kind;      /* bars stack, in the order given */
	const double *v;           /* one per column; NAN: no value */
	int dashed;
};

struct chart {
	const char *id;            /* the svg element's id */
	const char *label;         /* what it shows, for its aria-label */
	const char *unit;          /* after each y label: "/s", " ms", "" */
	const struct tl_view *view;
	const struct chart_series *s;
	size_t ns;
	int shade_gate;            /* shade the columns with the gate closed */
};

/* A chart over view's columns, with its legend. */
void chart_time(struct buf *b, const struct chart *c);

/* One bar per row from base (1.0 for amplification, 0 for counts) to
 * v[i], on an axis with ticks; text[i] is written after each bar and
 * colors[i] fills it, or color when colors is NULL.  Labels longer
 * than 44 characters are cut with an ellipsis (the tables have them
 * whole). */
void chart_hbars(struct buf *b, const char *id, const char *const *labels,
		 const double *v, const char *const *text,
		 const char *const *colors, const char *color, size_t n,
		 double base);

/* Escape s (n bytes) for HTML text and attribute values. */
void chart_esc(struct buf *b, const char *s, size_t n);

/* A nice axis: the step (1, 2 or 5 times a power of ten) that cuts
 * [0, max] into at most ticks intervals, and the top it rounds max up to. */
double chart_step(double max, int ticks, double *top);

#endif
