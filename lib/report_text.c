/*
 * report_text.c - the audit summary for people: the text table (bars and
 * sparklines on a terminal, plain numbers otherwise), and the quantities
 * --fail-if compares.  JSON is report_json.c, Prometheus text
 * report_prom.c, the HTML report report.c.  Group names go through the redactor when
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

const char *report_duration(int64_t ms, char *buf, size_t n)
{
	int64_t s = ms / 1000;
	char d[NUM_LEN];

	if (ms < 0)
		ms = 0, s = 0;
	if (s >= 86400)
		snprintf(buf, n, "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, n, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, n, "%lldm %llds", (long long)(s / 60), (long long)(s % 60));
	else if (ms < 10000)
		snprintf(buf, n, "%ss", num_fixed((double)ms / 1000, 1, d, sizeof(d)));
	else
		snprintf(buf, n, "%llds", (long long)s);
	return buf;
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

static uint64_t col_sum(const struct tl_col *c, unsigned mask)
{
	uint64_t x = 0;

	if (!mask)
		return c->backlog;
	for (int k = 0; k < TL_NCOUNT; k++)
		if (mask & (1u << k))
			x += c->c[k];
	return x;
}

/* One character per column, the height of its value against the
 * largest; nothing for zero.  mask: the counts summed (1 << TL_OK...);
 * 0 for the backlog. */
static void spark(struct buf *b, const struct tl_view *v, unsigned mask)
{
	static const char *const s[] = { "\u2581", "\u2582", "\u2583", "\u2584",
					 "\u2585", "\u2586", "\u2587", "\u2588" };
	uint64_t max = 0;

	for (size_t i = 0; i < v->n; i++) {
		uint64_t x = col_sum(&v->col[i], mask);

		if (x > max)
			max = x;
	}
	buf_adds(b, "|");
	for (size_t i = 0; i < v->n; i++) {
		uint64_t x = col_sum(&v->col[i], mask);

		buf_adds(b, x == 0 ? " " : s[(x * 7 + max - 1) / max]);
	}
	buf_addf(b, "| max %llu%s\n", (unsigned long long)max,
		 mask ? " per column" : "");
}

/* The key times, and on a terminal the story as sparklines. */
static void story(struct buf *b, const struct audit_summary *s, int tty)
{
	const struct audit_times *k = &s->at;
	char t[REC_TIME_LEN + 1], d[64];
	struct tl_view v;

	if (!k->first_failure)
		return;
	rec_time_fmt(k->first_failure, t);
	buf_addf(b, "\nfirst failure %s", t);
	rec_time_fmt(k->last_failure, t);
	buf_addf(b, ", last %s\n", t);
	if (k->drain_start) {
		rec_time_fmt(k->drain_start, t);
		buf_addf(b, "drain started %s", t);
		if (k->drained)
			buf_addf(b, ", drained in %s\n",
				 report_duration(k->drained - k->drain_start, d, sizeof(d)));
		else
			buf_addf(b, ", not drained (%llu pending)\n",
				 (unsigned long long)s->pending);
	}
	if (!tty)
		return;
	timeline_view(&s->tl, 60, &v);
	buf_addf(b, "timeline, %zu columns of %s:\n", v.n,
		 report_duration(v.col_ms, d, sizeof(d)));
	buf_adds(b, "  captured  ");
	spark(b, &v, 1u << TL_CAPTURES);
	buf_adds(b, "  delivered ");
	spark(b, &v, 1u << TL_OK);
	buf_adds(b, "  retried   ");
	spark(b, &v, 1u << TL_RETRY | 1u << TL_UNKNOWN);
	buf_adds(b, "  dead      ");
	spark(b, &v, 1u << TL_DEAD | 1u << TL_EXPIRED);
	buf_adds(b, "  pending   ");
	spark(b, &v, 0);
	timeline_view_release(&v);
}

static int cmp_group(const void *x, const void *y)
{
	const struct audit_group *a = x, *b = y;

	return a->requests < b->requests ? 1 : a->requests > b->requests ? -1 :
	       strcmp(a->name, b->name);
}

void report_sort_dim(struct audit_dim *d)
{
	if (d->n)
		qsort(d->g, d->n, sizeof(*d->g), cmp_group);
}

void report_group_name(struct redact *red, const char *name, struct buf *out)
{
	if (red)
		redact_msg(red, name, strlen(name), out);
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
	report_sort_dim(d);
	for (size_t i = 0; i < d->n; i++)
		if (d->g[i].requests > max)
			max = d->g[i].requests;
	buf_addf(b, "\n%s\n", title);
	for (size_t i = 0; i < d->n; i++) {
		const struct audit_group *g = &d->g[i];
		size_t start = b->len, w;

		buf_adds(b, "  ");
		report_group_name(red, g->name, b);
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

/* The last replay, as its status file tells: the equivalent of SQS's
 * list-message-move-tasks. */
static void replay_line(struct buf *b, const struct audit_summary *s,
			int64_t now)
{
	const struct replay_status *r = &s->replay;
	char t[REC_TIME_LEN + 1], age[32], rate[NUM_LEN];

	if (!s->have_replay)
		return;
	if (r->state == REPLAY_STATUS_RUNNING && r->alive) {
		rec_time_fmt(r->since_ms, t);
		report_duration(now - r->since_ms, age, sizeof(age));
		buf_addf(b, "replay running since %s (%s, pid %ld): sent %llu, ok %llu, dead %llu, pending %llu, %s/s",
			 t, age, r->pid, (unsigned long long)r->sent,
			 (unsigned long long)r->ok, (unsigned long long)r->dead,
			 (unsigned long long)r->pending,
			 num_fixed(r->rate, 1, rate, sizeof(rate)));
		if (r->gate_why[0])
			buf_addf(b, "; gate %s (%s)", r->gate, r->gate_why);
		buf_addc(b, '\n');
		return;
	}
	rec_time_fmt(r->ended_ms ? r->ended_ms : r->updated_ms, t);
	buf_addf(b, "last replay %s at %s (pid %ld): sent %llu, ok %llu, dead %llu, pending %llu%s%s\n",
		 r->state == REPLAY_STATUS_FAILED ? "failed" :
		 r->state == REPLAY_STATUS_RUNNING ? "vanished (killed?) after its last report" :
		 "finished", t, r->pid, (unsigned long long)r->sent,
		 (unsigned long long)r->ok, (unsigned long long)r->dead,
		 (unsigned long long)r->pending, r->error[0] ? ": " : "", r->error);
}

void report_text(struct buf *b, struct audit_summary *s, const char *dir,
		 int64_t now, struct redact *red, int tty)
{
	char age[32], t[REC_TIME_LEN + 1], n[4][NUM_LEN];

	buf_addf(b, "spool %s: %llu requests", dir, (unsigned long long)s->requests);
	if (s->compacted)
		buf_addf(b, " (%llu of them compacted away, counted)",
			 (unsigned long long)s->compacted);
	buf_addc(b, '\n');
	buf_addf(b, "  pending %llu (due %llu, backing off %llu)   ok %llu   dead %llu\n",
		 (unsigned long long)s->pending, (unsigned long long)s->due,
		 (unsigned long long)s->backing_off, (unsigned long long)s->ok,
		 (unsigned long long)s->dead);
	if (s->oldest_pending_ms) {
		report_duration(now - s->oldest_pending_ms, age, sizeof(age));
		rec_time_fmt_s(s->oldest_pending_ms, t);
		buf_addf(b, "  oldest pending: %s (captured %s)\n", age, t);
	}
	replay_line(b, s, now);
	buf_addf(b, "replay: %llu attempts for %llu requests: ok %llu, retry %llu, permanent %llu",
		 (unsigned long long)s->attempts, (unsigned long long)s->replayed,
		 (unsigned long long)s->attempts_ok, (unsigned long long)s->attempts_retry,
		 (unsigned long long)s->attempts_permanent);
	if (s->attempts_unknown)
		buf_addf(b, ", outcome unknown %llu", (unsigned long long)s->attempts_unknown);
	if (s->revived)
		buf_addf(b, ", revived %llu", (unsigned long long)s->revived);
	buf_addc(b, '\n');
	if (s->attempts) {
		/* display precision: these are for people */
		buf_addf(b, "  success rate %s%%   ",
			 num_fixed(num_scale10((double)s->attempts_ok / (double)s->attempts, 2),
				   1, n[0], sizeof(n[0])));
		/* no answer came (or compaction folded the answers away) */
		if (isnan(hist_pct(&s->latency, 50)))
			buf_adds(b, "latency not known (no answer)\n");
		else
			buf_addf(b, "latency p50 %sms  p90 %sms  p99 %sms\n",
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
	story(b, s, tty);
	if (s->bad_lines)
		buf_addf(b, "\n%llu lines could not be parsed (see --verify)\n",
			 (unsigned long long)s->bad_lines);
}
