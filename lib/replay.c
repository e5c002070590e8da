/*
 * replay.c - the redrive loop (see replay.h).
 *
 * Shape of a run: fold the log into the pending set (from the checkpoint
 * on), then repeat passes.  A pass reads the log from the earliest record
 * that is due and sends each due, selected record, waiting for a token,
 * a free slot and an open gate before each send; while it waits it moves
 * transfers and records their outcomes.  Between passes it sleeps until
 * the next retry is due.  Passes read the log sequentially, so memory
 * holds only the small pending entries, never the requests.
 *
 * Time: scheduling uses CLOCK_MONOTONIC.  Due times are stored in the log
 * as wall-clock instants, computed as the wall clock at start plus the
 * monotonic time elapsed, so a clock step during a run changes nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clk.h"
#include "pend.h"
#include "rate.h"
#include "rec.h"
#include "replay.h"
#include "rw.h"
#include "xalloc.h"
#include "banned.h"

#define CKPT_NAME "replay.ckpt"
#define CKPT_MAX (1ULL << 30)
#define EV_FLUSH_NS 100000000LL
#define CKPT_EVERY_NS 10000000000LL

struct fly {                 /* one request in flight */
	size_t idx;              /* entry index in the pending set */
	char id[REC_ID_LEN + 1];
	char method[16];
	char *url;
	int counted;             /* counted against --limit */
};

struct run {
	const struct replay_opts *o;
	struct replay_stats *st;
	struct spool *sp;
	struct pend pend;
	/* The record being sent borrows from rp until it is submitted, and a
	 * checkpoint may fold the log while it waits for a slot: folding
	 * has its own parser, so it never overwrites that record. */
	struct rec_parser rp, fold_rp;
	struct http *http;
	struct rate_bucket bucket;
	struct rate_ctl ctl;
	struct gate gate;
	struct rec_idgen ids;
	struct spool_pos cursor;
	int have_cursor;
	int64_t mono0_ns, wall0_ms, deadline_ns, hold_until_ns;
	struct buf ev;
	uint32_t nev;
	char ev_first[REC_ID_LEN + 1];
	int64_t ev_since_ns;
	struct rw rw;
	uint64_t nselected, rng;
	int64_t last_progress_ns, last_ckpt_ns, gate_closed_since_ns;
	int64_t win_start_ns;
	uint64_t win_sent;
	struct rd_err ferr;
	int failed;
	int stopping;
};

void replay_opts_init(struct replay_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rate = 100;
	o->concurrency = 16;
	o->error_target = 0.01;
	o->gate_every_ms = 5000;
	o->gate_timeout_ms = 30000;
	o->max_attempts = 5;
	o->backoff_ms = 1000;
	o->backoff_max_ms = 300000;
	http_okset_default(&o->ok);
	o->rules.idem_header = "Idempotency-Key";
	o->grace_ms = 10000;
	http_opts_init(&o->http);
}

static int64_t wall_now(const struct run *r)
{
	return r->wall0_ms + (clk_mono_ns() - r->mono0_ns) / 1000000;
}

static double rnd(struct run *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

uint64_t replay_backoff_ms(uint64_t base_ms, uint64_t max_ms, unsigned n,
			   double r)
{
	uint64_t cap = base_ms;

	for (unsigned i = 1; i < n && cap < max_ms; i++)
		cap *= 2;
	if (cap > max_ms)
		cap = max_ms;
	return (uint64_t)(r * (double)(cap + 1));
}

static void notice(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void notice(struct run *r, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	if (!r->o->on_notice)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->o->on_notice(r->o->ctx, msg);
}

static void on_spool_notice(void *ctx, const struct spool_notice *n)
{
	struct run *r = ctx;

	notice(r, "%s '%s' at byte %llu (%llu bytes%s): %s",
	       n->kind == SPOOL_NOTICE_DAMAGE ? "skipped damage in" :
	       n->kind == SPOOL_NOTICE_CUT ? "cut a torn tail of" : "reindexed",
	       n->where, (unsigned long long)n->offset,
	       (unsigned long long)n->bytes,
	       n->lost >= 0 ? ", records lost" : "", n->reason);
}

/* --- events ------------------------------------------------------------ */

static void ev_add(struct run *r, struct rec_event *e)
{
	rec_id_next(&r->ids, wall_now(r), e->id);
	if (r->nev == 0) {
		memcpy(r->ev_first, e->id, sizeof(r->ev_first));
		r->ev_since_ns = clk_mono_ns();
	}
	rec_event_to_json(&r->ev, e);
	r->nev++;
}

static int ev_flush(struct run *r)
{
	struct spool_batch b;
	int ret;

	if (r->nev == 0 || r->failed)
		return r->failed ? r->ferr.code : 0;
	b.data = r->ev.data;
	b.len = r->ev.len;
	b.count = r->nev;
	b.first_id = r->ev_first;
	ret = spool_append(r->sp, &b, &r->ferr);
	if (ret == 0)
		ret = spool_sync(r->sp, &r->ferr);
	if (ret < 0) {
		/* Nothing of the batch is stored: those sends will be made
		 * again by the next run, which is the at-least-once promise. */
		r->failed = 1;
		return ret;
	}
	buf_reset(&r->ev);
	r->nev = 0;
	return 0;
}

/* --- the pending set ----------------------------------------------------- */

static int catch_up(struct run *r, struct rd_err *err)
{
	struct spool_iter *it = NULL;
	struct spool_item item;
	struct rd_err lerr;
	int ret;

	if ((ret = spool_iter_new(r->sp, r->have_cursor ? &r->cursor : NULL,
				  &it, err)) < 0)
		return ret;
	while ((ret = spool_iter_next(it, &item, err)) > 0) {
		if (pend_fold(&r->pend, &item, &r->fold_rp, &lerr) < 0)
			notice(r, "skipping a bad line in segment %llu at member %llu line %u: %s",
			       (unsigned long long)item.pos.seg,
			       (unsigned long long)item.pos.off, item.pos.line,
			       lerr.msg);
		r->cursor = item.pos;
		r->cursor.line++;
		r->have_cursor = 1;
	}
	spool_iter_free(it);
	return ret;
}

static int load_checkpoint(struct run *r, struct rd_err *err)
{
	struct buf b;
	struct rd_err lerr;
	int ret;

	buf_init(&b);
	ret = spool_state_read(r->sp, CKPT_NAME, &b, CKPT_MAX, err);
	if (ret == 1) {
		if (pend_load(&r->pend, &b, &r->cursor, &lerr) == 0) {
			r->have_cursor = 1;
		} else {
			notice(r, "ignoring the checkpoint (%s); reading the whole spool",
			       lerr.msg);
			pend_release(&r->pend);
			pend_init(&r->pend);
		}
		ret = 0;
	}
	buf_release(&b);
	return ret;
}

static int save_checkpoint(struct run *r, struct rd_err *err)
{
	struct pend_ckpt ck;
	int ret;

	if (ev_flush(r) < 0) {
		*err = r->ferr;
		return r->ferr.code ? r->ferr.code : RD_E_IO;
	}
	if ((ret = catch_up(r, err)) < 0)
		return ret;
	pend_save(&r->pend, &r->cursor, &ck);
	ret = spool_state_write(r->sp, CKPT_NAME, ck.iov, 3, err);
	r->last_ckpt_ns = clk_mono_ns();
	return ret;
}

/* Work this run still owns: pending and selected (or not yet judged). */
static int owned(const struct run *r, const struct pend_ent *e)
{
	if (e->flags & PEND_F_SKIP)
		return 0;
	if (e->state == PEND_PENDING)
		return 1;
	return e->state == PEND_DEAD && r->o->revive && !(e->flags & PEND_F_SEEN);
}

static uint64_t count_remaining(const struct run *r)
{
	uint64_t n = 0;

	for (size_t i = 0; i < r->pend.n; i++)
		n += owned(r, &r->pend.ents[i]);
	return n;
}

/* --- outcomes ------------------------------------------------------------ */

static void fill_stats(struct run *r)
{
	struct replay_stats *st = r->st;
	int64_t now = clk_mono_ns();

	st->inflight = r->http ? http_inflight(r->http) : 0;
	st->rate = r->o->rate > 0 ? r->bucket.rate : 0;
	st->gate = r->gate.state;
	st->elapsed_s = (double)(now - r->mono0_ns) / 1e9;
	st->rate_cuts = r->ctl.breaches;
	if (now - r->win_start_ns >= 1000000000) {
		st->achieved = (double)r->win_sent * 1e9 /
			       (double)(now - r->win_start_ns);
		r->win_start_ns = now;
		r->win_sent = 0;
	}
	st->remaining = count_remaining(r);
	st->eta_s = st->achieved > 0 ? (int64_t)((double)st->remaining / st->achieved) : -1;
}

static void dead_reason(char *out, size_t n, enum http_class cls,
			unsigned attempt, const struct http_res *res)
{
	char last[120];

	if (res->status)
		snprintf(last, sizeof(last), "HTTP %d", res->status);
	else
		snprintf(last, sizeof(last), "%s", res->errmsg);
	if (cls == HTTP_RETRY)
		snprintf(out, n, "%u attempts made (--max-attempts), last: %s",
			 attempt, last);
	else
		snprintf(out, n, "permanent failure: %s", last);
}

static void fly_free(void *udata)
{
	struct fly *f = udata;

	free(f->url);
	free(f);
}

static void on_done(void *ctx, const struct http_res *res)
{
	struct run *r = ctx;
	const struct replay_opts *o = r->o;
	struct fly *f = res->udata;
	struct pend_ent *e = &r->pend.ents[f->idx];
	enum http_class cls = http_classify(res, &o->ok);
	struct rec_event ev;
	struct replay_outcome out;
	char reason[200];
	int64_t now = wall_now(r);
	unsigned attempt = (unsigned)e->attempts + 1;

	e->flags &= (uint8_t)~PEND_F_INFLIGHT;
	e->attempts = attempt > 65535 ? 65535 : (uint16_t)attempt;
	r->st->status_counts[res->status >= 100 && res->status < 600 ?
			     res->status / 100 : 0]++;
	if (o->adaptive)
		rate_ctl_observe(&r->ctl,
				 res->status == 429 || res->status == 503 ? RATE_THROTTLED :
				 cls == HTTP_RETRY ? RATE_ERROR : RATE_OK,
				 res->latency_ms);
	if (res->retry_after_ms >= 0 && (res->status == 429 || res->status == 503)) {
		int64_t ra = res->retry_after_ms < (int64_t)o->backoff_max_ms ?
			     res->retry_after_ms : (int64_t)o->backoff_max_ms;
		int64_t until = clk_mono_ns() + ra * 1000000;

		if (until > r->hold_until_ns)
			r->hold_until_ns = until;
	}

	memset(&ev, 0, sizeof(ev));
	ev.kind = REC_ATTEMPT;
	memcpy(ev.ref, f->id, sizeof(ev.ref));
	ev.at_ms = now;
	ev.attempt = attempt;
	ev.status = res->status;
	ev.latency_ms = res->latency_ms;
	ev.error.p = res->errmsg;
	ev.error.n = strlen(res->errmsg);
	reason[0] = '\0';
	memset(&out, 0, sizeof(out));
	if (cls == HTTP_OK) {
		pend_set_state(&r->pend, e, PEND_DONE);
		r->st->ok++;
	} else if (cls == HTTP_RETRY && attempt < o->max_attempts) {
		int64_t delay = (int64_t)replay_backoff_ms(o->backoff_ms,
							   o->backoff_max_ms,
							   attempt, rnd(r));

		if (res->retry_after_ms > delay)
			delay = res->retry_after_ms;
		e->due_ms = now + delay;
		ev.next_due_ms = e->due_ms;
		r->st->retried++;
	} else {
		dead_reason(reason, sizeof(reason), cls, attempt, res);
		pend_set_state(&r->pend, e, PEND_DEAD);
		r->st->dead++;
	}
	ev.outcome.p = http_class_name(cls);
	ev.outcome.n = strlen(ev.outcome.p);
	ev_add(r, &ev);
	if (e->state == PEND_DEAD) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = REC_DEAD;
		memcpy(ev.ref, f->id, sizeof(ev.ref));
		ev.at_ms = now;
		ev.reason.p = reason;
		ev.reason.n = strlen(reason);
		ev_add(r, &ev);
	}
	if (o->on_outcome) {
		out.id = f->id;
		out.method = f->method;
		out.url = f->url;
		out.attempt = attempt;
		out.outcome = e->state == PEND_DONE ? "ok" :
			      e->state == PEND_DEAD ? "dead" : "retry";
		out.status = res->status;
		out.latency_ms = res->latency_ms;
		out.error = res->errmsg;
		out.next_due_ms = e->state == PEND_PENDING ? e->due_ms : 0;
		out.reason = reason;
		o->on_outcome(o->ctx, &out);
	}
	fly_free(f);
}

/* --- the event loop ------------------------------------------------------ */

/* Move transfers, flush events, poll the gate, adapt the rate, report.
 * Waits at most wait_ns for something to happen. */
static int service(struct run *r, int64_t wait_ns, struct rd_err *err)
{
	const struct replay_opts *o = r->o;
	int64_t now;
	int wait_ms = (int)(wait_ns / 1000000);
	int ret;

	if (wait_ns > 0 && wait_ms == 0)
		wait_ms = 1;
	if (r->gate.cmd && gate_running(&r->gate) && wait_ms > 20)
		wait_ms = 20;
	if (http_inflight(r->http) > 0 || wait_ms == 0) {
		if (http_run(r->http, wait_ms, on_done, r) < 0)
			return rd_err_set(err, RD_E_IO, "the HTTP engine failed");
	} else if (wait_ms > 0) {
		struct timespec ts = { wait_ms / 1000, (long)(wait_ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
	now = clk_mono_ns();
	/* Outcomes not yet in the spool would be sent again after a crash:
	 * keep them below the concurrency, or 100 ms of sends. */
	if (r->nev && (r->nev >= 2 * o->concurrency ||
		       now - r->ev_since_ns >= EV_FLUSH_NS))
		if (ev_flush(r) < 0) {
			*err = r->ferr;
			return r->ferr.code ? r->ferr.code : RD_E_IO;
		}
	if (r->failed) {
		*err = r->ferr;
		return r->ferr.code ? r->ferr.code : RD_E_IO;
	}
	if ((ret = gate_poll(&r->gate, now, err)) < 0)
		return ret;
	if (r->gate.state == GATE_CLOSED) {
		if (!r->gate_closed_since_ns)
			r->gate_closed_since_ns = now;
	} else if (r->gate_closed_since_ns) {
		r->st->gate_closed_ms += (uint64_t)(now - r->gate_closed_since_ns) / 1000000;
		r->gate_closed_since_ns = 0;
	}
	if (o->adaptive && rate_ctl_tick(&r->ctl, now))
		rate_bucket_set(&r->bucket, r->ctl.rate, now);
	if (o->stop && *o->stop && !r->stopping) {
		r->stopping = 1;
		r->st->stopped = 1;
	}
	if (r->deadline_ns && now >= r->deadline_ns && !r->stopping) {
		r->stopping = 1;
		r->st->out_of_time = 1;
	}
	if (o->on_progress && now - r->last_progress_ns >= 250000000) {
		r->last_progress_ns = now;
		fill_stats(r);
		o->on_progress(o->ctx, r->st);
	}
	if (now - r->last_ckpt_ns >= CKPT_EVERY_NS && o->dry == REPLAY_DRY_OFF)
		if ((ret = save_checkpoint(r, err)) < 0)
			return ret;
	return 0;
}

/* Wait until a request may start: 1 when it may, 0 when the run stops. */
static int wait_for_slot(struct run *r, struct rd_err *err)
{
	const struct replay_opts *o = r->o;
	int ret;

	for (;;) {
		int64_t now = clk_mono_ns(), wait = 50000000;

		if (r->stopping)
			return 0;
		if (r->gate.state == GATE_OPEN && now >= r->hold_until_ns &&
		    http_inflight(r->http) < o->concurrency) {
			if (o->rate <= 0 || rate_bucket_take(&r->bucket, now))
				return 1;
			wait = rate_bucket_wait_ns(&r->bucket, now);
		} else if (now < r->hold_until_ns) {
			wait = r->hold_until_ns - now;
		}
		if (wait > 50000000)
			wait = 50000000;
		if ((ret = service(r, wait, err)) < 0)
			return ret;
	}
}

/* Decide, once per run, whether a record is this run's work. */
static int judge(struct run *r, struct pend_ent *e, const struct rec_req *q,
		 const struct spool_item *it, struct rd_err *err)
{
	const struct replay_opts *o = r->o;
	struct rd_err lerr;
	int m = 1;

	if (o->sel) {
		m = sel_match(o->sel, q, it->line, it->len, &lerr);
		if (m < 0) {
			notice(r, "record %s: --where failed: %s", q->id, lerr.msg);
			m = 0;
		}
	}
	if (!m) {
		e->flags |= PEND_F_SKIP | PEND_F_SEEN;
		r->st->skipped++;
		return 0;
	}
	if (o->limit && r->nselected >= o->limit)
		return 0; /* not judged: left for a later run */
	e->flags |= PEND_F_SEEN;
	r->nselected++;
	if (e->state == PEND_DEAD) {
		struct rec_event ev;

		if (o->dry != REPLAY_DRY_OFF)
			return 1;
		memset(&ev, 0, sizeof(ev));
		ev.kind = REC_REVIVE;
		memcpy(ev.ref, q->id, sizeof(ev.ref));
		ev.at_ms = wall_now(r);
		ev.reason.p = "revived by rd-replay --revive";
		ev.reason.n = strlen(ev.reason.p);
		ev_add(r, &ev);
		pend_set_state(&r->pend, e, PEND_PENDING);
		e->attempts = 0;
		e->due_ms = 0;
		r->st->revived++;
	}
	(void)err;
	return 1;
}

static int eligible(const struct run *r, const struct pend_ent *e, int64_t now)
{
	if (e->flags & (PEND_F_INFLIGHT | PEND_F_SKIP | PEND_F_REFUSED))
		return 0;
	if (e->state == PEND_DEAD)
		return r->o->revive && !(e->flags & PEND_F_SEEN);
	return e->state == PEND_PENDING && e->due_ms <= now;
}

static int send_one(struct run *r, size_t idx, const struct rec_req *q,
		    struct rd_err *err)
{
	struct pend_ent *e = &r->pend.ents[idx];
	struct http_req hr;
	struct fly *f;
	struct rd_err lerr;
	int ret;

	if ((ret = rw_build(&r->rw, q, &hr, &lerr)) <= 0) {
		if (ret < 0)
			notice(r, "record %s: %s", q->id, lerr.msg);
		else
			notice(r, "record %s: host '%s' is not on the allow-list (see --allow-host)",
			       q->id, r->rw.host);
		e->flags |= PEND_F_REFUSED;
		r->st->refused++;
		return 0;
	}
	if (r->o->dry != REPLAY_DRY_OFF) {
		if (r->o->on_dry)
			r->o->on_dry(r->o->ctx, &hr);
		e->flags |= PEND_F_SKIP; /* shown once */
		r->st->sent++;
		return 0;
	}
	if ((ret = wait_for_slot(r, err)) <= 0)
		return ret < 0 ? ret : 1;
	e = &r->pend.ents[idx];
	f = xcalloc(1, sizeof(*f));
	f->idx = idx;
	memcpy(f->id, q->id, sizeof(f->id));
	snprintf(f->method, sizeof(f->method), "%.*s", (int)q->method.n, q->method.p);
	f->url = xstrdup(hr.url);
	hr.udata = f;
	if ((ret = http_submit(r->http, &hr, err)) < 0) {
		free(f->url);
		free(f);
		return ret;
	}
	e->flags |= PEND_F_INFLIGHT;
	r->st->sent++;
	r->win_sent++;
	if (r->o->adaptive)
		rate_ctl_sent(&r->ctl);
	return 0;
}

/* One pass over the log from the earliest due record.  Returns 1 when it
 * stopped early (stop, deadline), 0 at the end of the log, or an error. */
static int pass(struct run *r, const struct spool_pos *from, struct rd_err *err)
{
	static const char pre[] = "{\"v\":1,\"kind\":\"request\",\"id\":\"";
	const size_t k = sizeof(pre) - 1;
	struct spool_iter *it = NULL;
	struct spool_item item;
	struct rec_req q;
	struct rd_err lerr;
	char id[REC_ID_LEN + 1];
	int ret;

	if ((ret = spool_iter_new(r->sp, from, &it, err)) < 0)
		return ret;
	while (!r->stopping && (ret = spool_iter_next(it, &item, err)) > 0) {
		struct pend_ent *e;
		size_t idx;

		if (item.len <= k + REC_ID_LEN || memcmp(item.line, pre, k) != 0)
			continue;
		memcpy(id, item.line + k, REC_ID_LEN);
		id[REC_ID_LEN] = '\0';
		if (!rec_id_valid(id, REC_ID_LEN) || !(e = pend_get(&r->pend, id)))
			continue;
		if (!eligible(r, e, wall_now(r)))
			continue;
		idx = (size_t)(e - r->pend.ents);
		if (rec_req_parse(&r->rp, item.line, item.len, 1, &q, &lerr) < 0) {
			notice(r, "record %s cannot be parsed, skipped: %s", id, lerr.msg);
			e->flags |= PEND_F_SKIP;
			continue;
		}
		if (!(e->flags & PEND_F_SEEN) && !judge(r, e, &q, &item, err))
			continue;
		if ((ret = send_one(r, idx, &q, err)) != 0)
			break;
	}
	spool_iter_free(it);
	if (ret < 0)
		return ret;
	return r->stopping ? 1 : 0;
}

/* Where the next pass starts, and when the next retry is due.  Returns 1
 * when something is due now, 0 when not, -1 when nothing is left. */
static int plan(struct run *r, struct spool_pos *from, int64_t *next_due)
{
	int64_t now = wall_now(r);
	int found = 0, any = 0;

	*next_due = INT64_MAX;
	for (size_t i = 0; i < r->pend.n; i++) {
		const struct pend_ent *e = &r->pend.ents[i];
		struct spool_pos p;

		if (!owned(r, e) || (e->flags & PEND_F_REFUSED))
			continue;
		if (r->o->limit && r->nselected >= r->o->limit &&
		    !(e->flags & PEND_F_SEEN))
			continue;
		if (e->flags & PEND_F_INFLIGHT) {
			any = 1;
			continue;
		}
		any = 1;
		if (!eligible(r, e, now)) {
			if (e->due_ms < *next_due)
				*next_due = e->due_ms;
			continue;
		}
		pend_pos(e, &p);
		if (!found || p.seg < from->seg ||
		    (p.seg == from->seg && (p.off < from->off ||
					    (p.off == from->off && p.line < from->line))))
			*from = p;
		found = 1;
	}
	return found ? 1 : any ? 0 : -1;
}

static int drain(struct run *r, struct rd_err *err)
{
	int64_t until = clk_mono_ns() + (int64_t)r->o->grace_ms * 1000000;
	int ret;

	while (http_inflight(r->http) > 0) {
		if (clk_mono_ns() >= until) {
			unsigned n = http_abort_all(r->http, fly_free);

			notice(r, "%u requests still in flight after the grace period were abandoned; the next run sends them again",
			       n);
			/* Their entries stay pending; only the flag goes. */
			for (size_t i = 0; i < r->pend.n; i++)
				r->pend.ents[i].flags &= (uint8_t)~PEND_F_INFLIGHT;
			break;
		}
		if ((ret = service(r, 50000000, err)) < 0)
			return ret;
	}
	return 0;
}

static int loop(struct run *r, struct rd_err *err)
{
	int ret;

	for (;;) {
		struct spool_pos from;
		int64_t next_due;
		int p;

		if ((ret = service(r, 0, err)) < 0)
			return ret;
		if (r->stopping)
			break;
		if ((ret = catch_up(r, err)) < 0)
			return ret;
		p = plan(r, &from, &next_due);
		if (p < 0)
			break;
		if (p > 0) {
			if ((ret = pass(r, &from, err)) < 0)
				return ret;
			if (r->o->dry != REPLAY_DRY_OFF)
				break;
			continue;
		}
		/* Nothing due: wait for completions or the next due time. */
		if (next_due != INT64_MAX && r->deadline_ns &&
		    (next_due - wall_now(r)) * 1000000 > r->deadline_ns - clk_mono_ns() &&
		    http_inflight(r->http) == 0) {
			r->st->out_of_time = 1;
			break;
		}
		{
			int64_t wait = next_due == INT64_MAX ? 100000000 :
				       (next_due - wall_now(r)) * 1000000;

			if (wait > 100000000)
				wait = 100000000;
			if (wait < 1000000)
				wait = 1000000;
			if ((ret = service(r, wait, err)) < 0)
				return ret;
		}
	}
	return drain(r, err);
}

int replay_run(const struct replay_opts *o, struct replay_stats *st,
	       struct rd_err *err)
{
	struct run r;
	struct spool_opts so;
	struct http_opts ho = o->http;
	int ret;

	memset(st, 0, sizeof(*st));
	st->eta_s = -1;
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.st = st;
	r.mono0_ns = clk_mono_ns();
	r.wall0_ms = rec_now_ms();
	r.win_start_ns = r.last_progress_ns = r.last_ckpt_ns = r.mono0_ns;
	r.rng = (uint64_t)r.mono0_ns ^ ((uint64_t)getpid() << 32);
	pend_init(&r.pend);
	rec_parser_init(&r.rp);
	rec_parser_init(&r.fold_rp);
	buf_init(&r.ev);
	rw_init(&r.rw, &o->rules);
	gate_init(&r.gate, o->dry == REPLAY_DRY_OFF ? o->gate : NULL,
		  (int64_t)o->gate_every_ms * 1000000,
		  (int64_t)o->gate_timeout_ms * 1000000);
	r.gate.quiet_stdout = 1;
	if (o->max_time_ms)
		r.deadline_ns = r.mono0_ns + (int64_t)o->max_time_ms * 1000000;

	spool_opts_init(&so);
	so.notice = on_spool_notice;
	so.notice_ctx = &r;
	if ((ret = spool_open(o->dir, &so, &r.sp, err)) < 0)
		goto out;
	if (o->dry == REPLAY_DRY_OFF &&
	    (ret = spool_claim(r.sp, "replay", err)) < 0)
		goto out;
	if ((ret = rec_idgen_init(&r.ids, err)) < 0)
		goto out;
	if ((ret = load_checkpoint(&r, err)) < 0)
		goto out;
	if ((ret = catch_up(&r, err)) < 0)
		goto out;
	if (!o->rules.allow_hosts)
		ho.refuse_addr = rw_refuse_link_local;
	if ((ret = http_new(&ho, &r.http, err)) < 0)
		goto out;
	if (o->adaptive) {
		double start = o->adaptive_start > 0 ? o->adaptive_start :
			       o->rate / 10;

		rate_ctl_init(&r.ctl, start, 1, o->rate > 0 ? o->rate : 1e9,
			      r.mono0_ns);
		r.ctl.lat_target_ms = o->latency_target_ms;
		r.ctl.err_target = o->error_target;
		rate_bucket_init(&r.bucket, r.ctl.rate, o->burst, r.mono0_ns);
	} else {
		rate_bucket_init(&r.bucket, o->rate > 0 ? o->rate : 1, o->burst,
				 r.mono0_ns);
	}
	if ((ret = gate_kick(&r.gate, r.mono0_ns, err)) < 0)
		goto out;
	ret = loop(&r, err);
	if (ret >= 0 && o->dry == REPLAY_DRY_OFF) {
		struct rd_err cerr;

		if ((ret = save_checkpoint(&r, &cerr)) < 0)
			*err = cerr;
	}
	if (r.gate_closed_since_ns)
		st->gate_closed_ms += (uint64_t)(clk_mono_ns() - r.gate_closed_since_ns) / 1000000;
	fill_stats(&r);
	if (ret >= 0)
		ret = st->remaining > 0 || st->refused > 0 ? 1 : 0;
out:
	/* After an error: what is still in flight is abandoned (the next
	 * run sends it again); outcomes already known are kept if the spool
	 * still takes them. */
	if (r.http)
		http_abort_all(r.http, fly_free);
	gate_release(&r.gate);
	http_free(r.http);
	if (r.sp)
		ev_flush(&r);
	spool_close(r.sp);
	pend_release(&r.pend);
	rec_parser_release(&r.rp);
	rec_parser_release(&r.fold_rp);
	buf_release(&r.ev);
	rw_release(&r.rw);
	return ret;
}
