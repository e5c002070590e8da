/*
 * proxy_metrics.c - rd-proxy's counters in the Prometheus text format
 * (version 0.0.4), as served on --metrics-listen.  The counters are
 * atomics kept in struct proxy and bumped where things happen; this file
 * only names and writes them, so the names live in one place.
 */
#include <stdio.h>
#include <string.h>

#include "proxy_int.h"
#include "banned.h"

/* Capture latency buckets, in seconds: fsync times on SSDs to slow disks. */
static const double cap_le[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5
};
#define NCAP (sizeof(cap_le) / sizeof(cap_le[0]))

const char *proxy_outcome_name(enum proxy_outcome o)
{
	static const char *const names[PROXY_OUT_N] = {
		"client_gone", "forwarded", "relayed_error", "captured",
		"capture_failed", "refused", "shed", "aborted"
	};

	return (unsigned)o < PROXY_OUT_N ? names[o] : "unknown";
}

void proxy_metrics_capture(struct proxy *p, int64_t ns)
{
	double s = (double)ns / 1e9;
	size_t i = 0;

	while (i < NCAP && s > cap_le[i])
		i++;
	atomic_fetch_add(&p->c.cap_bucket[i], 1);
	atomic_fetch_add(&p->c.cap_count, 1);
	atomic_fetch_add(&p->c.cap_sum_us, (uint64_t)(ns / 1000));
}

static void head(struct buf *b, const char *name, const char *type,
		 const char *help)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void capture_hist(struct proxy *p, struct buf *b)
{
	uint64_t cum = 0;

	head(b, "rd_proxy_capture_seconds", "histogram",
	     "Time from a failed request's hand-over to the spool writer until its record is durable.");
	for (size_t i = 0; i <= NCAP; i++) {
		cum += atomic_load(&p->c.cap_bucket[i]);
		if (i < NCAP)
			buf_addf(b, "rd_proxy_capture_seconds_bucket{le=\"%g\"} %llu\n",
				 cap_le[i], (unsigned long long)cum);
		else
			buf_addf(b, "rd_proxy_capture_seconds_bucket{le=\"+Inf\"} %llu\n",
				 (unsigned long long)cum);
	}
	buf_addf(b, "rd_proxy_capture_seconds_sum %.6f\n",
		 (double)atomic_load(&p->c.cap_sum_us) / 1e6);
	buf_addf(b, "rd_proxy_capture_seconds_count %llu\n",
		 (unsigned long long)atomic_load(&p->c.cap_count));
}

static void gauge(struct buf *b, const char *name, const char *help,
		  unsigned long long v)
{
	head(b, name, "gauge", help);
	buf_addf(b, "%s %llu\n", name, v);
}

void proxy_metrics_text(struct proxy *p, struct buf *b)
{
	static const enum http_err errs[] = {
		HTTP_ERR_TIMEOUT, HTTP_ERR_DNS, HTTP_ERR_CONNECT, HTTP_ERR_TLS,
		HTTP_ERR_NETWORK, HTTP_ERR_REFUSED, HTTP_ERR_OTHER
	};

	head(b, "rd_proxy_requests_total", "counter",
	     "Requests answered, by outcome: forwarded (the upstream's answer relayed), relayed_error (an upstream failure relayed, not captured), captured, capture_failed, refused (malformed or too large), shed (over a limit, or the breaker open), aborted (the upstream failed mid-answer), client_gone.");
	for (int o = 0; o < PROXY_OUT_N; o++)
		buf_addf(b, "rd_proxy_requests_total{outcome=\"%s\"} %llu\n",
			 proxy_outcome_name((enum proxy_outcome)o),
			 (unsigned long long)atomic_load(&p->c.outcome[o]));
	head(b, "rd_proxy_upstream_errors_total", "counter",
	     "Upstream transfers that failed below HTTP, by kind.");
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		buf_addf(b, "rd_proxy_upstream_errors_total{kind=\"%s\"} %llu\n",
			 http_err_name(errs[i]),
			 (unsigned long long)atomic_load(&p->c.upstream_err[errs[i]]));
	capture_hist(p, b);
	head(b, "rd_proxy_received_bytes_total", "counter",
	     "Request body bytes received from clients.");
	buf_addf(b, "rd_proxy_received_bytes_total %llu\n",
		 (unsigned long long)atomic_load(&p->c.bytes_in));
	head(b, "rd_proxy_sent_bytes_total", "counter",
	     "Upstream body bytes relayed to clients.");
	buf_addf(b, "rd_proxy_sent_bytes_total %llu\n",
		 (unsigned long long)atomic_load(&p->c.bytes_out));
	gauge(b, "rd_proxy_exchanges", "Requests in progress.",
	      (unsigned long long)atomic_load(&p->exchanges));
	gauge(b, "rd_proxy_buffered_bytes", "Request body bytes held, against --max-buffer.",
	      (unsigned long long)atomic_load(&p->buffered));
	gauge(b, "rd_proxy_upstream_busy", "Requests at the upstream or waiting for a slot.",
	      proxy_relay_busy(p));
	gauge(b, "rd_proxy_capture_queue", "Records waiting for the spool writer.",
	      proxy_writer_queued(p));
	gauge(b, "rd_proxy_breaker_open", "1 while the breaker file says open.",
	      (unsigned long long)atomic_load(&p->breaker_open));
}
