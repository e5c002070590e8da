/*
 * report.h - rendering the audit summary: text (report_text.c), JSON
 * (report_json.c), Prometheus (report_prom.c), and a self-contained HTML
 * page for a postmortem (report.c, its charts in report_chart.c): key
 * times, captures, replay outcomes, the rate, latency and the backlog
 * over one time axis, dead letters with the responses behind them, and
 * amplification by host and route; inline CSS and SVG, no scripts, no
 * fonts or images fetched from anywhere, readable on screen and printed.
 * Group names go through the redactor when one is given.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdint.h>

#include "audit.h"
#include "buf.h"
#include "redact.h"

/* The HTML report, appended to out; title (NULL: "redrive audit")
 * heads it. */
void report_html(struct buf *out, struct audit_summary *s, const char *spool,
		 const char *title, int64_t now_ms, struct redact *red);

/* The summary as a table for people; tty adds bars and sparklines. */
void report_text(struct buf *b, struct audit_summary *s, const char *dir,
		 int64_t now, struct redact *red, int tty);
/* The summary as one JSON object (with its newline). */
void report_json(struct buf *b, struct audit_summary *s, const char *dir,
		 int64_t now, struct redact *red);
/*
 * The summary in the Prometheus text exposition format, by Prometheus's
 * naming conventions (_total counters, base units).  labels, already in
 * exposition syntax (spool="payments",env="prod"), go on every series.
 */
void report_prom(struct buf *b, struct audit_summary *s, int64_t now,
		 struct redact *red, const char *labels);
/* A duration for people: "2.3s", "14s", "3m 20s", "2h 5m", "1d 4h". */
const char *report_duration(int64_t ms, char *buf, size_t n);
/* The groups of d, most requests first, then by name. */
void report_sort_dim(struct audit_dim *d);
/* A group's name through the redactor (when red is not NULL). */
void report_group_name(struct redact *red, const char *name, struct buf *out);
/* Append s escaped as a Prometheus label value. */
void report_prom_label(struct buf *b, const char *s, size_t n);
/* One quantity of the summary by name (pending, dead, amplification,
 * oldest_pending in ms, success_rate as a fraction, p50...), NAN for an
 * unknown name or no data: what --fail-if compares. */
double report_metric(const struct audit_summary *s, const char *name,
		     int64_t now);

#endif
