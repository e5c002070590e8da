/*
 * nagios.h - the monitoring-plugins output of a check: the one status
 * line ("RD-HEALTH CRITICAL - text | perfdata"), its perfdata items, the
 * words that say which range a value breached, and the --warning and
 * --critical ranges kept per metric.
 *
 * The ranges themselves, their grammar and the status of a value against
 * them are lib/thr.  Deliberately not here: what is measured, and which
 * status a failed check gives; that is the tool's.  No I/O.
 */
#ifndef NAGIOS_H
#define NAGIOS_H

#include <stddef.h>

#include "buf.h"
#include "rd.h"
#include "thr.h"

/* Append "RD-HEALTH STATUS - text" to out, STATUS the name of code (0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN), text[0..n) made safe for one status
 * line: a control byte becomes '?' and a '|', which would start perfdata,
 * becomes U+00A6.  No newline. */
void nagios_status_line(struct buf *out, int code, const char *text, size_t n);

/* A value in perfdata units: shares (THR_FRACTION) become percent, the
 * decimal shifted so that 0.07 is 7 and not 7.000000000000001; others
 * stay as they are. */
double nagios_perf_value(double v, enum thr_unit u);

/* The perfdata unit of u: "ms", "%" or "" (static). */
const char *nagios_perf_uom(enum thr_unit u);

/* Append " 'label'=value[UOM];warn;crit;min;max" to perf: pv from
 * nagios_perf_value, in plain decimal and U when not a number; w and c
 * the ranges, either NULL when not given. */
void nagios_perf_item(struct buf *perf, const struct buf *label, double pv,
		      enum thr_unit u, const struct thr_range *w,
		      const struct thr_range *c);

/* Append why label's value pv raised its status against range r, after
 * "; " when why is not empty: "p99=2500ms outside critical range 2000",
 * or "p99 has no value (critical range 2000)". */
void nagios_breach(struct buf *why, const struct buf *label, double pv,
		   enum thr_unit u, const struct thr_range *r, int critical);

/* One --warning or --critical METRIC=RANGE. */
struct nagios_range {
	char metric[48];
	struct thr_range r;
	int critical;
};

/*
 * Parse METRIC=RANGE and add it to the growing array *v of *n (caller
 * frees *v with free()).  A metric given twice at one level keeps the
 * last range, as a repeated option does.  RD_E_INVAL with err saying why
 * ("'x' is not METRIC=RANGE", or thr_range_parse's reason), for the tool
 * to put after the option's name; *v is then unchanged.
 */
int nagios_range_add(struct nagios_range **v, size_t *n, const char *arg,
		     int critical, struct rd_err *err);

/* The range of metric at that level (critical 1, warning 0) in v[0..n),
 * or NULL; borrowed from v. */
const struct thr_range *nagios_range_find(const struct nagios_range *v,
					  size_t n, const char *metric,
					  int critical);

#endif
