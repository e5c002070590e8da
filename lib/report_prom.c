/*
 * report_prom.c - the audit summary as Prometheus text, for
 * node_exporter's textfile collector (see report.h).
 *
 * Names follow Prometheus's conventions: counters end in _total, units
 * are base units (seconds, bytes), and every series carries the labels
 * that tell one spool from another, so several spools can share a
 * collector directory.  promtool check metrics passes on the output.
 */
#include <string.h>

#include "num.h"
#include "report.h"
#include "banned.h"

void report_prom_label(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == '"')
			buf_addc(b, '\\');
		if (s[i] == '\n') {
			buf_adds(b, "\\n");
			continue;
		}
		buf_addc(b, s[i]);
	}
}

static void head(struct buf *b, const char *name, const char *type,
		 const char *help)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{labels[,k="v"]} value */
static void series(struct buf *b, const char *name, const char *labels,
		   const char *k, const char *v, double value)
{
	buf_adds(b, name);
	if (*labels || k) {
		buf_addc(b, '{');
		buf_adds(b, labels);
		if (k) {
			buf_addf(b, "%s%s=\"", *labels ? "," : "", k);
			report_prom_label(b, v, strlen(v));
			buf_addc(b, '"');
		}
		buf_addc(b, '}');
	}
	buf_addc(b, ' ');
	num_add(b, value, NUM_PROM);
	buf_addc(b, '\n');
}

static void dim(struct buf *b, struct redact *red, const char *labels,
		const char *name, const char *label, const char *help,
		struct audit_dim *d, int amp)
{
	struct buf g;

	buf_init(&g);
	head(b, name, "gauge", help);
	for (size_t i = 0; i < d->n; i++) {
		if (amp && !d->g[i].replayed)
			continue;
		buf_reset(&g);
		report_group_name(red, d->g[i].name, &g);
		series(b, name, labels, label, g.data ? g.data : "",
		       amp ? audit_amplification(d->g[i].attempts, d->g[i].replayed) :
		       (double)d->g[i].requests);
	}
	buf_release(&g);
}

static void latency(struct buf *b, struct audit_summary *s, const char *labels)
{
	static const double q[] = { 0.5, 0.9, 0.99 };
	static const char *const qs[] = { "0.5", "0.9", "0.99" };
	double sum = 0;

	for (size_t i = 0; i < s->latency.n; i++)
		sum += s->latency.v[i];
	head(b, "redrive_replay_latency_seconds", "summary",
	     "Latency of replay attempts that got a response.");
	/* milliseconds to seconds by moving the decimal point, so 12.3 ms
	 * is 0.0123 s, not 0.012300000000000002 */
	for (int i = 0; i < 3; i++)
		series(b, "redrive_replay_latency_seconds", labels, "quantile", qs[i],
		       num_scale10(hist_pct(&s->latency, q[i] * 100), -3));
	series(b, "redrive_replay_latency_seconds_sum", labels, NULL, NULL,
	       num_scale10(sum, -3));
	series(b, "redrive_replay_latency_seconds_count", labels, NULL, NULL,
	       (double)s->latency.n);
}

/* When the last replay ran, and whether one runs now. */
static void replay_run(struct buf *b, struct audit_summary *s,
		       const char *labels)
{
	const struct replay_status *r = &s->replay;

	head(b, "redrive_replay_running", "gauge",
	     "1 while a replay runs on the spool.");
	series(b, "redrive_replay_running", labels, NULL, NULL,
	       s->have_replay && r->state == REPLAY_STATUS_RUNNING && r->alive);
	if (!s->have_replay)
		return;
	head(b, "redrive_replay_last_run_timestamp_seconds", "gauge",
	     "When the last replay run ended, or, while one runs, its last report.");
	series(b, "redrive_replay_last_run_timestamp_seconds", labels, NULL, NULL,
	       num_scale10((double)(r->ended_ms ? r->ended_ms : r->updated_ms), -3));
}

void report_prom(struct buf *b, struct audit_summary *s, int64_t now,
		 struct redact *red, const char *labels)
{
	static const char *const states[] = { "due", "backing_off", "ok", "dead" };
	const uint64_t by_state[] = { s->due, s->backing_off, s->ok, s->dead };

	head(b, "redrive_requests", "gauge", "Requests in the spool by state.");
	for (int i = 0; i < 4; i++)
		series(b, "redrive_requests", labels, "state", states[i],
		       (double)by_state[i]);
	head(b, "redrive_oldest_pending_age_seconds", "gauge",
	     "Age of the oldest pending request.");
	series(b, "redrive_oldest_pending_age_seconds", labels, NULL, NULL,
	       s->oldest_pending_ms ?
	       num_scale10((double)(now - s->oldest_pending_ms), -3) : 0);
	head(b, "redrive_replay_attempts_total", "counter",
	     "Replay attempts recorded in the spool, by outcome.");
	series(b, "redrive_replay_attempts_total", labels, "outcome", "ok",
	       (double)s->attempts_ok);
	series(b, "redrive_replay_attempts_total", labels, "outcome", "retry",
	       (double)s->attempts_retry);
	series(b, "redrive_replay_attempts_total", labels, "outcome", "permanent",
	       (double)s->attempts_permanent);
	series(b, "redrive_replay_attempts_total", labels, "outcome", "unknown",
	       (double)s->attempts_unknown);
	head(b, "redrive_revived_total", "counter", "Dead requests revived.");
	series(b, "redrive_revived_total", labels, NULL, NULL, (double)s->revived);
	head(b, "redrive_replay_amplification_ratio", "gauge",
	     "Replay attempts per replayed request.");
	series(b, "redrive_replay_amplification_ratio", labels, NULL, NULL,
	       audit_amplification(s->attempts, s->replayed));
	latency(b, s, labels);
	head(b, "redrive_spool_size_bytes", "gauge",
	     "Bytes the spool holds on disk, as --max-spool-size counts them.");
	series(b, "redrive_spool_size_bytes", labels, NULL, NULL,
	       (double)s->spool_bytes);
	replay_run(b, s, labels);
	dim(b, red, labels, "redrive_failure_requests", "type",
	    "Requests by the failure that got them captured.", &s->by_failure, 0);
	dim(b, red, labels, "redrive_route_requests", "route",
	    "Requests by normalised route.", &s->by_route, 0);
	dim(b, red, labels, "redrive_route_amplification_ratio", "route",
	    "Replay attempts per replayed request, by route.", &s->by_route, 1);
}
