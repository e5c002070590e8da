/*
 * report_text.c - the audit summary for people and for machines: the text
 * table (bars and sparklines on a terminal, plain numbers otherwise), one
 * JSON object, and Prometheus text for node_exporter's textfile collector.
 * The HTML report is report.c.  Group names go through the redactor when
 * one is given.  Nothing here does I/O: everything is appended to a buf.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "num.h"
#include "rec.h"
#include "report.h"
#include "banned.h"

double report_metric(const struct audit_summary *s, const char *name, int64_t now)
{
	struct hist h = s->latency;

	if (!strcmp(name, "requests")) return (double)s->requests;
	if (!strcmp(name, "pending")) return (double)s->pending;
	if (!strcmp(name, "due")) return (double)s->due;
	if (!strcmp(name, "backing_off")) return (double)s->backing_off;
	if (!strcmp(name, "ok")) return (double)s->ok;
	if (!strcmp(name, "dead")) return (double)s->dead;
	if (!strcmp(name, "attempts")) return (double)s->attempts;
	if (!strcmp(name, "replayed")) return (double)s->replayed;
	if (!strcmp(name, "revived")) return (double)s->revived;
	if (!strcmp(name, "amplification"))
		return audit_amplification(s->attempts, s->replayed);
	if (!strcmp(name, "oldest_pending"))
		return s->oldest_pending_ms ? (double)(now - s->oldest_pending_ms) : 0;
	if (!strcmp(name, "success_rate"))
		return s->attempts ? (double)s->attempts_ok / (double)s->attempts : NAN;
	if (!strcmp(name, "p50")) return hist_pct(&h, 50);
	if (!strcmp(name, "p90")) return hist_pct(&h, 90);
	if (!strcmp(name, "p99")) return hist_pct(&h, 99);
	return NAN;
}

static void fmt_age(int64_t ms, char *buf, size_t n)
{
	int64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(buf, n, "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, n, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, n, "%lldm %llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, n, "%llds", (long long)s);
}

static void bar(struct buf *b, uint64_t v, uint64_t max, int width, int tty)
{
	static const char *const blocks[] = { "", "\u258f", "\u258e", "\u258d", "\u258c",
					      "\u258b", "\u258a", "\u2589" };
	int eighths;

	if (!tty || !max)
		return;
	eighths = (int)((double)v / (double)max * width * 8 + 0.5);
	buf_addc(b, ' ');
	for (int i = 0; i < eighths / 8; i++)
		buf_adds(b, "\u2588");
	buf_adds(b, blocks[eighths % 8]);
}

static void spark(struct buf *b, const uint64_t *v, size_t n)
{
	static const char *const s[] = { "\u2581", "\u2582", "\u2583", "\u2584",
					 "\u2585", "\u2586", "\u2587", "\u2588" };
	uint64_t max = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	for (size_t i = 0; i < n; i++)
		buf_adds(b, v[i] == 0 ? " " : s[max ? (v[i] * 7 + max - 1) / max : 0]);
}

static int cmp_group(const void *x, const void *y)
{
	const struct audit_group *a = x, *b = y;

	return a->requests < b->requests ? 1 : a->requests > b->requests ? -1 :
	       strcmp(a->name, b->name);
}

static void group_name(struct redact *red, const char *name, struct buf *out)
{
	if (red)
		redact_text(red, name, strlen(name), out);
	else
		buf_adds(out, name);
}

static void human_dim(struct buf *b, struct redact *red, const char *title,
		      struct audit_dim *d, int tty, int amp)
{
	uint64_t max = 0;
	char n[NUM_LEN];

	if (!d->n)
		return;
	qsort(d->g, d->n, sizeof(*d->g), cmp_group);
	for (size_t i = 0; i < d->n; i++)
		if (d->g[i].requests > max)
			max = d->g[i].requests;
	buf_addf(b, "\n%s\n", title);
	for (size_t i = 0; i < d->n; i++) {
		const struct audit_group *g = &d->g[i];
		size_t start = b->len, w;

		buf_adds(b, "  ");
		group_name(red, g->name, b);
		w = b->len - start;
		buf_addf(b, "%*s", w < 46 ? (int)(46 - w) : 1, "");
		buf_addf(b, "%8llu  ok %llu  pending %llu  dead %llu",
			 (unsigned long long)g->requests, (unsigned long long)g->ok,
			 (unsigned long long)g->pending, (unsigned long long)g->dead);
		if (amp && g->replayed)
			buf_addf(b, "  amplification %s",
				 num_fixed(audit_amplification(g->attempts, g->replayed), 2,
					   n, sizeof(n)));
		bar(b, g->requests, max, 12, tty);
		buf_addc(b, '\n');
	}
}

void report_text(struct buf *b, struct audit_summary *s, const char *dir,
		 int64_t now, struct redact *red, int tty)
{
	char age[32], t[REC_TIME_LEN + 1], n[4][NUM_LEN];

	buf_addf(b, "spool %s: %llu requests\n", dir, (unsigned long long)s->requests);
	buf_addf(b, "  pending %llu (due %llu, backing off %llu)   ok %llu   dead %llu\n",
		 (unsigned long long)s->pending, (unsigned long long)s->due,
		 (unsigned long long)s->backing_off, (unsigned long long)s->ok,
		 (unsigned long long)s->dead);
	if (s->oldest_pending_ms) {
		fmt_age(now - s->oldest_pending_ms, age, sizeof(age));
		rec_time_fmt(s->oldest_pending_ms, t);
		buf_addf(b, "  oldest pending: %s (captured %s)\n", age, t);
	}
	buf_addf(b, "replay: %llu attempts for %llu requests: ok %llu, retry %llu, permanent %llu",
		 (unsigned long long)s->attempts, (unsigned long long)s->replayed,
		 (unsigned long long)s->attempts_ok, (unsigned long long)s->attempts_retry,
		 (unsigned long long)s->attempts_permanent);
	if (s->revived)
		buf_addf(b, ", revived %llu", (unsigned long long)s->revived);
	buf_addc(b, '\n');
	if (s->attempts) {
		/* display precision: these are for people */
		buf_addf(b, "  success rate %s%%   latency p50 %sms  p90 %sms  p99 %sms\n",
			 num_fixed(num_scale10((double)s->attempts_ok / (double)s->attempts, 2),
				   1, n[0], sizeof(n[0])),
			 num_fixed(hist_pct(&s->latency, 50), 1, n[1], sizeof(n[1])),
			 num_fixed(hist_pct(&s->latency, 90), 1, n[2], sizeof(n[2])),
			 num_fixed(hist_pct(&s->latency, 99), 1, n[3], sizeof(n[3])));
		buf_addf(b, "  amplification %s (attempts per replayed request; 1.00 = each sent once)\n",
			 num_fixed(audit_amplification(s->attempts, s->replayed), 2,
				   n[0], sizeof(n[0])));
	}
	human_dim(b, red, "by failure type", &s->by_failure, tty, 0);
	human_dim(b, red, "by host", &s->by_host, tty, 0);
	human_dim(b, red, "by route", &s->by_route, tty, 1);
	human_dim(b, red, "by last replay status", &s->by_status, tty, 0);
	buf_adds(b, "\nby replay attempts\n ");
	for (int i = 0; i < 7; i++)
		buf_addf(b, "  %s%d: %llu", i == 6 ? ">=" : "", i,
			 (unsigned long long)s->by_attempts[i]);
	buf_addc(b, '\n');
	if (s->first_ms && tty) {
		char t2[REC_TIME_LEN + 1];

		rec_time_fmt(s->first_ms, t);
		rec_time_fmt(s->last_ms, t2);
		buf_addf(b, "\ntimeline %s .. %s\n  captures |", t, t2);
		spark(b, s->tl_captures, AUDIT_TIMELINE);
		buf_adds(b, "|\n  replays  |");
		spark(b, s->tl_attempts, AUDIT_TIMELINE);
		buf_adds(b, "|\n");
	} else if (s->first_ms) {
		rec_time_fmt(s->first_ms, t);
		buf_addf(b, "\ntimeline from %s, %d buckets: captures", t, AUDIT_TIMELINE);
		for (int i = 0; i < AUDIT_TIMELINE; i++)
			buf_addf(b, " %llu", (unsigned long long)s->tl_captures[i]);
		buf_adds(b, "; replays");
		for (int i = 0; i < AUDIT_TIMELINE; i++)
			buf_addf(b, " %llu", (unsigned long long)s->tl_attempts[i]);
		buf_addc(b, '\n');
	}
	if (s->bad_lines)
		buf_addf(b, "\n%llu lines could not be parsed (see --verify)\n",
			 (unsigned long long)s->bad_lines);
}

static void json_dim(struct buf *b, struct redact *red, const char *key,
		     struct audit_dim *d)
{
	struct buf name;

	buf_init(&name);
	if (d->n)
		qsort(d->g, d->n, sizeof(*d->g), cmp_group);
	buf_addf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < d->n; i++) {
		const struct audit_group *g = &d->g[i];

		buf_reset(&name);
		group_name(red, g->name, &name);
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
	buf_addf(b, "]},\"bad_lines\":%llu}\n", (unsigned long long)s->bad_lines);
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void prom_label(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n') {
			buf_adds(b, "\\n");
			continue;
		}
		buf_addc(b, *s);
	}
}

static void prom_dim(struct buf *b, struct redact *red, const char *metric_name,
		     const char *label, const char *help, struct audit_dim *d, int amp)
{
	struct buf name;

	buf_init(&name);
	buf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n", metric_name, help, metric_name);
	for (size_t i = 0; i < d->n; i++) {
		const struct audit_group *g = &d->g[i];

		if (amp && !g->replayed)
			continue;
		buf_reset(&name);
		group_name(red, g->name, &name);
		buf_addf(b, "%s{%s=\"", metric_name, label);
		prom_label(b, name.data ? name.data : "");
		if (amp) {
			buf_adds(b, "\"} ");
			num_add(b, audit_amplification(g->attempts, g->replayed), NUM_PROM);
			buf_addc(b, '\n');
		} else
			buf_addf(b, "\"} %llu\n", (unsigned long long)g->requests);
	}
	buf_release(&name);
}

void report_prom(struct buf *b, struct audit_summary *s, int64_t now,
		 struct redact *red)
{
	static const double q[] = { 0.5, 0.9, 0.99 };
	double sum = 0;

	buf_adds(b, "# HELP redrive_requests Requests in the spool by state.\n"
		 "# TYPE redrive_requests gauge\n");
	buf_addf(b, "redrive_requests{state=\"due\"} %llu\n", (unsigned long long)s->due);
	buf_addf(b, "redrive_requests{state=\"backing_off\"} %llu\n",
		 (unsigned long long)s->backing_off);
	buf_addf(b, "redrive_requests{state=\"ok\"} %llu\n", (unsigned long long)s->ok);
	buf_addf(b, "redrive_requests{state=\"dead\"} %llu\n", (unsigned long long)s->dead);
	buf_adds(b, "# HELP redrive_oldest_pending_age_seconds Age of the oldest pending request.\n"
		 "# TYPE redrive_oldest_pending_age_seconds gauge\n");
	buf_adds(b, "redrive_oldest_pending_age_seconds ");
	num_add(b, s->oldest_pending_ms ? num_scale10((double)(now - s->oldest_pending_ms), -3) : 0,
		NUM_PROM);
	buf_addc(b, '\n');
	buf_adds(b, "# HELP redrive_replay_attempts Replay attempts recorded in the spool, by outcome.\n"
		 "# TYPE redrive_replay_attempts gauge\n");
	buf_addf(b, "redrive_replay_attempts{outcome=\"ok\"} %llu\n",
		 (unsigned long long)s->attempts_ok);
	buf_addf(b, "redrive_replay_attempts{outcome=\"retry\"} %llu\n",
		 (unsigned long long)s->attempts_retry);
	buf_addf(b, "redrive_replay_attempts{outcome=\"permanent\"} %llu\n",
		 (unsigned long long)s->attempts_permanent);
	buf_adds(b, "# HELP redrive_replay_amplification Replay attempts per replayed request.\n"
		 "# TYPE redrive_replay_amplification gauge\n");
	buf_adds(b, "redrive_replay_amplification ");
	num_add(b, audit_amplification(s->attempts, s->replayed), NUM_PROM);
	buf_addc(b, '\n');
	for (size_t i = 0; i < s->latency.n; i++)
		sum += s->latency.v[i];
	buf_adds(b, "# HELP redrive_replay_latency_seconds Latency of replay attempts that got a response.\n"
		 "# TYPE redrive_replay_latency_seconds summary\n");
	/* milliseconds to seconds by moving the decimal point, so 12.3 ms
	 * is 0.0123 s, not 0.012300000000000002 */
	for (int i = 0; i < 3; i++) {
		buf_adds(b, "redrive_replay_latency_seconds{quantile=\"");
		num_add(b, q[i], NUM_PROM);
		buf_adds(b, "\"} ");
		num_add(b, num_scale10(hist_pct(&s->latency, q[i] * 100), -3), NUM_PROM);
		buf_addc(b, '\n');
	}
	buf_adds(b, "redrive_replay_latency_seconds_sum ");
	num_add(b, num_scale10(sum, -3), NUM_PROM);
	buf_addc(b, '\n');
	buf_addf(b, "redrive_replay_latency_seconds_count %zu\n", s->latency.n);
	prom_dim(b, red, "redrive_failure_requests", "type",
		 "Requests by the failure that got them captured.", &s->by_failure, 0);
	prom_dim(b, red, "redrive_route_requests", "route",
		 "Requests by normalised route.", &s->by_route, 0);
	prom_dim(b, red, "redrive_route_amplification", "route",
		 "Replay attempts per replayed request, by route.", &s->by_route, 1);
}

