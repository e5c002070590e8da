/*
 * thr.h - thresholds, in the one grammar every rd-health source shares,
 * and the monitoring-plugins ranges of --nagios mode.
 *
 *   METRIC OP VALUE[UNIT]      p99<250ms   error_rate<=1%   value>=0.99
 *
 * OP is <, <=, >, >=, == or !=.  Latencies and ages (p50, p90, p99,
 * oldest_pending, names ending in _ms, latency or _age) take a duration
 * unit (ms, s, m, h; a bare number is ms) and are compared in
 * milliseconds.  Shares (names ending in _rate or _ratio, such as
 * error_rate) take a percentage or a bare fraction in [0, 1].  Other
 * metrics take plain numbers.
 *
 * Ranges, in --nagios mode, are the monitoring-plugins grammar, read as
 * their C library (lib/utils_base.c) and Perl Monitoring::Plugin::Range
 * read it:
 *
 *   [@][START:][END]   10  10:  ~:10  10:20  @10:20  :5.75  ~:
 *
 * An absent START is 0 and ~ is minus infinity; an empty END is plus
 * infinity; "10" means 0..10.  A value outside the range alerts, or
 * inside it with @.  Ends are decimal numbers, with an exponent if need
 * be (1e3), and may carry a '%' that is ignored ("1:12%").  Refused: a
 * START above END, ":" alone, anything after a number (1-10, 1,10,
 * 10:~), hex, inf and nan, whitespace.  No I/O here.
 */
#ifndef THR_H
#define THR_H

#include "buf.h"
#include "rd.h"

enum thr_op { THR_LT, THR_LE, THR_GT, THR_GE, THR_EQ, THR_NE };

enum thr_unit {
	THR_PLAIN = 0,
	THR_MS,        /* a latency, in milliseconds */
	THR_FRACTION   /* a share, 0..1, printed as a percentage */
};

struct thr {
	char metric[48];
	enum thr_op op;
	double value;         /* in the metric's unit */
	enum thr_unit unit;
	char text[96];        /* the threshold as given */
};

/* Parse one threshold.  RD_E_INVAL naming the byte offset and why; out
 * holds the metric's name even then, once it was read (a caller that
 * knows its names can say an unknown one first). */
int thr_parse(const char *s, struct thr *out, struct rd_err *err);
/* The unit a metric name is measured in. */
enum thr_unit thr_metric_unit(const char *metric);
/* 1 when v satisfies the threshold. */
int thr_holds(const struct thr *t, double v);
/* "<", "<=", ... */
const char *thr_op_name(enum thr_op op);
/* Format v in unit u for people into buf: latencies with one decimal
 * ("12.3ms"), shares as a percentage with two ("0.50%"), other numbers
 * in full (lib/num); NaN is "none". */
const char *thr_fmt(double v, enum thr_unit u, char *buf, size_t n);

struct thr_range {
	double lo, hi;
	int inside;           /* @: alert inside the range */
	char text[64];
};

/* Parse a range.  RD_E_INVAL naming the byte offset and why.  r->text
 * keeps the range as given (cut to fit). */
int thr_range_parse(const char *s, struct thr_range *r, struct rd_err *err);
/* 1 when v raises the alert of this range. */
int thr_range_alert(const struct thr_range *r, double v);
/* The plugin status of v against a warning and a critical range, either
 * NULL when not given: 2 when the critical range alerts, else 1 when the
 * warning one does, else 0 (the C library's get_status).  NaN, no value,
 * alerts the worst range given. */
int thr_status(const struct thr_range *warn, const struct thr_range *crit,
	       double v);
/* Append r in its shortest form, numbers in plain decimal (never an
 * exponent), as perfdata thresholds want it: ":5.75" is "5.75", "@0:1e3"
 * is "@1000", "0:" stays "0:". */
void thr_range_fmt(const struct thr_range *r, struct buf *out);

#endif
