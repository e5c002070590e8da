/*
 * prom.h - reading Prometheus: the HTTP query API of a server, and the
 * text exposition format of an endpoint's /metrics.
 *
 * Selectors are a metric name with optional exact label matchers,
 * name{label="value",...}, in the exposition's own grammar (expo.h):
 * blanks around the tokens, the escapes \\ \" \n, a quoted name for a
 * UTF-8 metric, {"name.x",label="value"}, and {__name__="name"}.  As in
 * PromQL, a matcher with an empty value matches series without the label.
 * Values of several matching series are summed, as sum() would.  Nothing
 * here decides health: rd-health compares the numbers with its
 * thresholds.
 */
#ifndef PROM_H
#define PROM_H

#include <stddef.h>

#include "http.h"
#include "rd.h"

/*
 * Evaluate promql at base (http://host:9090) through /api/v1/query.
 * *vals gets the value of every series of a vector result, or the one
 * value of a scalar (caller frees); *n may be 0 (no data).  RD_E_INVAL
 * when the query is wrong and stays wrong (Prometheus's bad_data, a
 * range vector or a string); RD_E_IO for anything that may pass (the
 * server not reached, an error it may not give again, an answer that is
 * not one).  The message is in err.
 */
int prom_query(const char *base, const char *promql, const struct http_opts *ho,
	       double **vals, size_t *n, struct rd_err *err);

/*
 * The values in a query API answer (text[0..len)), as prom_query gives
 * them.  RD_E_INVAL when the query is wrong (bad_data, or a result
 * that is not a scalar or an instant vector); RD_E_IO for another error
 * status (with Prometheus's message); RD_E_CORRUPT for a text that is
 * not a query API answer, or one with no data or a bad value.
 */
int prom_answer(const char *text, size_t len, double **vals, size_t *n,
		struct rd_err *err);

struct prom_sel;

/* Parse a selector; blanks may lead and trail it.  RD_E_INVAL naming the
 * byte offset.  Caller frees with prom_sel_free. */
int prom_sel_new(const char *text, struct prom_sel **out, struct rd_err *err);
void prom_sel_free(struct prom_sel *s);

/*
 * Sum the samples of an exposition text that match sel.  *nseries gets
 * how many series matched (0: the metric is absent).  A series listed
 * twice counts once, as Prometheus stores it: its first sample, or a
 * later one with a newer timestamp.  le and quantile values compare as
 * numbers in histograms and summaries (le="1" matches le="1.0").
 * RD_E_INVAL naming the line when the page is not one Prometheus would
 * read (see expo.h); then *sum and *nseries mean nothing.
 */
int prom_expo_sum(const char *text, size_t len, const struct prom_sel *sel,
		  double *sum, size_t *nseries, struct rd_err *err);
/* prom_expo_sum, and fn called with each series (once, as counted): a
 * 64-bit hash of its name and labels (the same for the same series on
 * every page; le and quantile as numbers), and its value. */
int prom_expo_each(const char *text, size_t len, const struct prom_sel *sel,
		   void (*fn)(void *ctx, uint64_t series, double v),
		   void *ctx, double *sum, size_t *nseries, struct rd_err *err);

#endif
