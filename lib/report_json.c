/*
 * report_json.c - the audit summary as one JSON object (see report.h):
 * every count, the latency percentiles, the groups of each dimension, the
 * timeline and the last replay's status.  Numbers are the shortest decimal
 * that reads back; no data is null.
 */
#include <string.h>

#include "json.h"
#include "num.h"
#include "rec.h"
#include "report.h"
#include "banned.h"

static void json_dim(struct buf *b, struct redact *red, const char *key,
		     struct audit_dim *d)
{
	struct buf name;

	buf_init(&name);
	report_sort_dim(d);
	buf_addf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < d->n; i++) {
		const struct audit_group *g = &d->g[i];

		buf_reset(&name);
		report_group_name(red, g->name, &name);
		buf_adds(b, i ? ",{\"name\":" : "{\"name\":");
		json_add_str(b, name.data, name.len);
		buf_addf(b, ",\"requests\":%llu,\"pending\":%llu,\"ok\":%llu,\"dead\":%llu,"
			 "\"attempts\":%llu,\"replayed\":%llu,\"amplification\":",
			 (unsigned long long)g->requests, (unsigned long long)g->pending,
			 (unsigned long long)g->ok, (unsigned long long)g->dead,
			 (unsigned long long)g->attempts, (unsigned long long)g->replayed);
		num_add(b, audit_amplification(g->attempts, g->replayed), NUM_JSON);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
	buf_release(&name);
}

void report_json(struct buf *b, struct audit_summary *s, const char *dir,
		 int64_t now, struct redact *red)
{
	char t[REC_TIME_LEN + 1];

	buf_addf(b, "{\"spool\":");
	json_add_str(b, dir, strlen(dir));
	buf_addf(b, ",\"requests\":%llu,\"state\":{\"pending\":%llu,\"due\":%llu,"
		 "\"backing_off\":%llu,\"ok\":%llu,\"dead\":%llu}",
		 (unsigned long long)s->requests, (unsigned long long)s->pending,
		 (unsigned long long)s->due, (unsigned long long)s->backing_off,
		 (unsigned long long)s->ok, (unsigned long long)s->dead);
	buf_adds(b, ",\"oldest_pending\":");
	if (s->oldest_pending_ms) {
		rec_time_fmt(s->oldest_pending_ms, t);
		buf_addf(b, "{\"captured_at\":\"%s\",\"age_s\":%lld}", t,
			 (long long)((now - s->oldest_pending_ms) / 1000));
	} else {
		buf_adds(b, "null");
	}
	buf_addf(b, ",\"replay\":{\"attempts\":%llu,\"ok\":%llu,\"retry\":%llu,"
		 "\"permanent\":%llu,\"replayed\":%llu,\"revived\":%llu,\"success_rate\":",
		 (unsigned long long)s->attempts, (unsigned long long)s->attempts_ok,
		 (unsigned long long)s->attempts_retry,
		 (unsigned long long)s->attempts_permanent,
		 (unsigned long long)s->replayed, (unsigned long long)s->revived);
	num_add(b, report_metric(s, "success_rate", now), NUM_JSON);
	buf_adds(b, ",\"amplification\":");
	num_add(b, audit_amplification(s->attempts, s->replayed), NUM_JSON);
	buf_adds(b, ",\"latency_ms\":{\"p50\":");
	num_add(b, hist_pct(&s->latency, 50), NUM_JSON);
	buf_adds(b, ",\"p90\":");
	num_add(b, hist_pct(&s->latency, 90), NUM_JSON);
	buf_adds(b, ",\"p99\":");
	num_add(b, hist_pct(&s->latency, 99), NUM_JSON);
	buf_adds(b, "}}");
	json_dim(b, red, "by_failure", &s->by_failure);
	json_dim(b, red, "by_host", &s->by_host);
	json_dim(b, red, "by_route", &s->by_route);
	json_dim(b, red, "by_status", &s->by_status);
	buf_adds(b, ",\"by_attempts\":[");
	for (int i = 0; i < 7; i++)
		buf_addf(b, "%s%llu", i ? "," : "", (unsigned long long)s->by_attempts[i]);
	buf_adds(b, "],\"timeline\":{");
	if (s->first_ms) {
		rec_time_fmt(s->first_ms, t);
		buf_addf(b, "\"from\":\"%s\",", t);
		rec_time_fmt(s->last_ms, t);
		buf_addf(b, "\"to\":\"%s\",", t);
	}
	buf_adds(b, "\"captures\":[");
	for (int i = 0; i < AUDIT_TIMELINE; i++)
		buf_addf(b, "%s%llu", i ? "," : "", (unsigned long long)s->tl_captures[i]);
	buf_adds(b, "],\"replays\":[");
	for (int i = 0; i < AUDIT_TIMELINE; i++)
		buf_addf(b, "%s%llu", i ? "," : "", (unsigned long long)s->tl_attempts[i]);
	buf_addf(b, "]},\"bad_lines\":%llu,\"spool_bytes\":%llu,\"replay_run\":",
		 (unsigned long long)s->bad_lines, (unsigned long long)s->spool_bytes);
	if (s->have_replay) {
		/* the status file as written, with whether it still runs */
		replay_status_to_json(&s->replay, b);
		if (b->len && b->data[b->len - 1] == '\n')
			b->len--;
		b->len--;
		buf_addf(b, ",\"alive\":%s}", s->replay.alive ? "true" : "false");
	} else {
		buf_adds(b, "null");
	}
	buf_adds(b, "}\n");
}

/* A Prometheus label value: backslash, quote and newline escaped. */

