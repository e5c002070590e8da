/*
 * hist.h - latency samples and their percentiles.  Samples are kept
 * exactly (rd-health takes a handful per probe, and the spool source a
 * window of attempts), and percentiles use the nearest-rank method, so a
 * reported p99 is a latency that was really observed.
 */
#ifndef HIST_H
#define HIST_H

#include <stddef.h>

struct hist {
	double *v;
	size_t n, cap;
	int sorted;
};

void hist_init(struct hist *h);
void hist_release(struct hist *h);
void hist_add(struct hist *h, double v);
/* The p-th percentile (0 < p <= 100), or NAN when there are no samples. */
double hist_pct(struct hist *h, double p);

#endif
