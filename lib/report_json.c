/*
 * report_json.c - the audit summary as one JSON object (see report.h):
 * every count, the latency percentiles, the groups of each dimension, the
 * key times, the dead letters with examples, the timeline (the columns
 * the HTML report draws) and the last replay's status.  Numbers are the shortest decimal
 * that reads back; no data is null.
 */
#include <stddef.h>
#include <string.h>

#include "json.h"
#include "num.h"
#include "rec.h"
#include "report.h"
#include "banned.h"

#define JSON_COLUMNS 120

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

static void json_time(struct buf *b, const char *key, int64_t ms)
{
	char t[REC_TIME_LEN + 1];

	buf_addf(b, "\"%s\":", key);
	if (ms) {
		rec_time_fmt(ms, t);
		buf_addf(b, "\"%s\",", t);
	} else {
		buf_adds(b, "null,");
	}
}

static void json_times(struct buf *b, const struct audit_summary *s)
{
	const struct audit_times *k = &s->at;

	buf_adds(b, ",\"times\":{");
	json_time(b, "first_failure", k->first_failure);
	json_time(b, "last_failure", k->last_failure);
	json_time(b, "gate_open", k->gate_open);
	json_time(b, "drain_start", k->drain_start);
	json_time(b, "drained", k->drained);
	buf_adds(b, "\"drain_s\":");
	if (k->drained && k->drain_start)
		num_add(b, (double)(k->drained - k->drain_start) / 1000, NUM_JSON);
	else
		buf_adds(b, "null");
	buf_addc(b, '}');
}

static void json_text(struct buf *b, const char *s, size_t n, struct redact *red)
{
	struct buf t;

	buf_init(&t);
	if (red)
		redact_msg(red, s, n, &t);
	else
		buf_add(&t, s, n);
	json_add_str(b, t.data, t.len);
	buf_release(&t);
}

static void json_example(struct buf *b, const struct audit_example *x,
			 struct redact *red)
{
	long bad = x->body_len ? json_utf8_check(x->body, x->body_len) : -1;

	buf_addf(b, "{\"id\":\"%s\",\"status\":%d,\"status_line\":", x->id, x->status);
	json_text(b, x->status_line, strlen(x->status_line), red);
	buf_adds(b, ",\"error\":");
	json_text(b, x->error, strlen(x->error), red);
	buf_adds(b, ",\"body\":");
	/* text only; a cut that split the last character keeps the rest */
	if (bad < 0 || (x->truncated && (size_t)bad + 4 > x->body_len))
		json_text(b, x->body, bad < 0 ? x->body_len : (size_t)bad, red);
	else
		buf_adds(b, "null");
	buf_addf(b, ",\"body_truncated\":%s}", x->truncated ? "true" : "false");
}

/* Records still dead, by reason, with examples of the responses. */
static void json_dead(struct buf *b, const struct audit_summary *s,
		      struct redact *red)
{
	int first = 1;

	buf_adds(b, ",\"dead_letters\":[");
	for (size_t i = 0; i < s->by_reason.n; i++) {
		const struct audit_group *g = &s->by_reason.g[i];
		int fx = 1;

		if (!g->requests)
			continue;
		buf_adds(b, first ? "{\"reason\":" : ",{\"reason\":");
		first = 0;
		json_text(b, g->name, strlen(g->name), red);
		buf_addf(b, ",\"requests\":%llu,\"examples\":[",
			 (unsigned long long)g->requests);
		for (size_t k = 0; k < s->nex; k++) {
			if (s->ex[k].reason != i)
				continue;
			if (!fx)
				buf_addc(b, ',');
			fx = 0;
			json_example(b, &s->ex[k], red);
		}
		buf_adds(b, "]}");
	}
	buf_addc(b, ']');
}

static void json_series(struct buf *b, const char *key, const struct tl_view *v,
			unsigned mask, size_t off)
{
	buf_addf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < v->n; i++) {
		const struct tl_col *c = &v->col[i];
		uint64_t x = 0;

		if (i)
			buf_addc(b, ',');
		if (!mask) {
			double d;

			memcpy(&d, (const char *)c + off, sizeof(d));
			num_add(b, d, NUM_JSON);
			continue;
		}
		for (int k = 0; k < TL_NCOUNT; k++)
			if (mask & (1u << k))
				x += c->c[k];
		buf_addf(b, "%llu", (unsigned long long)x);
	}
	buf_addc(b, ']');
}

/* The same columns the HTML report draws, at most JSON_COLUMNS. */
static void json_timeline(struct buf *b, const struct audit_summary *s)
{
	struct tl_view v;
	char t[REC_TIME_LEN + 1];

	timeline_view(&s->tl, JSON_COLUMNS, &v);
	buf_adds(b, ",\"timeline\":{");
	if (v.n) {
		rec_time_fmt(v.start_ms, t);
		buf_addf(b, "\"from\":\"%s\",", t);
		rec_time_fmt(v.end_ms, t);
		buf_addf(b, "\"to\":\"%s\",", t);
	}
	buf_adds(b, "\"column_s\":");
	num_add(b, (double)v.col_ms / 1000, NUM_JSON);
	json_series(b, "captures", &v, 1u << TL_CAPTURES, 0);
	json_series(b, "replays", &v, 1u << TL_OK | 1u << TL_RETRY |
		    1u << TL_UNKNOWN | 1u << TL_DEAD, 0);
	json_series(b, "ok", &v, 1u << TL_OK, 0);
	json_series(b, "retry", &v, 1u << TL_RETRY, 0);
	json_series(b, "unknown", &v, 1u << TL_UNKNOWN, 0);
	json_series(b, "dead", &v, 1u << TL_DEAD, 0);
	json_series(b, "expired", &v, 1u << TL_EXPIRED, 0);
	buf_adds(b, ",\"pending\":[");
	for (size_t i = 0; i < v.n; i++)
		buf_addf(b, "%s%llu", i ? "," : "", (unsigned long long)v.col[i].backlog);
	buf_addc(b, ']');
	json_series(b, "latency_p50_ms", &v, 0, offsetof(struct tl_col, p50));
	json_series(b, "latency_p99_ms", &v, 0, offsetof(struct tl_col, p99));
	json_series(b, "rate_limit", &v, 0, offsetof(struct tl_col, rate_limit));
	json_series(b, "gate_closed", &v, 0, offsetof(struct tl_col, closed));
	buf_addc(b, '}');
	timeline_view_release(&v);
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
		rec_time_fmt_s(s->oldest_pending_ms, t);
		buf_addf(b, "{\"captured_at\":\"%s\",\"age_s\":%lld}", t,
			 (long long)((now - s->oldest_pending_ms) / 1000));
	} else {
		buf_adds(b, "null");
	}
	buf_addf(b, ",\"replay\":{\"attempts\":%llu,\"ok\":%llu,\"retry\":%llu,"
		 "\"permanent\":%llu,\"unknown\":%llu,\"replayed\":%llu,\"revived\":%llu,"
		 "\"success_rate\":",
		 (unsigned long long)s->attempts, (unsigned long long)s->attempts_ok,
		 (unsigned long long)s->attempts_retry,
		 (unsigned long long)s->attempts_permanent,
		 (unsigned long long)s->attempts_unknown,
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
	buf_adds(b, "]");
	json_times(b, s);
	json_dead(b, s, red);
	json_timeline(b, s);
	buf_addf(b, ",\"bad_lines\":%llu,\"compacted\":%llu,\"spool_bytes\":%llu,\"replay_run\":",
		 (unsigned long long)s->bad_lines, (unsigned long long)s->compacted,
		 (unsigned long long)s->spool_bytes);
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

