/*
 * probe.h - HTTP probes for rd-health: N samples of each URL, sent
 * concurrently through the HTTP engine, each with its timeout.
 *
 * A sample fails when no response came, when its status is not in the
 * expected set, when the jq predicate over its JSON body is not true, or
 * when the PCRE2 pattern does not match its body.  A URL's metrics are
 * the latency percentiles of its samples (p50, p90, p99), its error_rate
 * and its number of samples.  No output here: the caller reports.
 */
#ifndef PROBE_H
#define PROBE_H

#include <stddef.h>

#include "http.h"
#include "rd.h"

struct probe_opts {
	const char *const *urls;
	size_t nurls;
	unsigned samples;            /* per URL, default 5 */
	struct http_opts http;
	struct http_okset expect;    /* default 2xx */
	const struct hdr *hdrs;      /* sent with every sample */
	size_t nhdrs;
	const char *jq;              /* predicate over the JSON body, or NULL */
	const char *match;           /* PCRE2 over the body, or NULL */
};

struct probe_result {
	const char *url;             /* borrowed from the options */
	unsigned samples, failed;
	double p50, p90, p99;        /* ms; NAN when nothing answered */
	double error_rate;
	char why[256];               /* the first failure, "" when none */
};

/* Probe every URL.  *out gets one result per URL; caller frees it with
 * free().  RD_E_INVAL for a jq filter or pattern that does not compile. */
int probe_run(const struct probe_opts *o, struct probe_result **out,
	      struct rd_err *err);

#endif
