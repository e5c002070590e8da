/*
 * replay.c - the redrive loop (see replay.h).
 *
 * Shape of a run: open the spool's queue (queue.h), then repeat rounds.
 * A round takes the due records the queue offers, in its order, and
 * sends each selected one, waiting for a token, a free slot and an open
 * gate before each send; while it waits it moves transfers and records
 * their outcomes.  Between rounds it sleeps until the next retry is due.
 * The selection judges each record once, before it is due where the
 * queue can ask it (queue_opts.selects), so the run neither waits for
 * nor counts a record it did not select.
 * The engine never sees how the spool stores records: it knows them by
 * the queue's slots, and records intents and outcomes through it.
 *
 * Time: scheduling uses CLOCK_MONOTONIC.  Due times are stored in the log
 * as wall-clock instants, computed as the wall clock at start plus the
 * monotonic time elapsed, so a clock step during a run changes nothing.
 *
 * What each result does (the queue's events, statistics, the status
 * file) is in replay_outcome.c; pacing per host is in replay_pace.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clk.h"
#include "num.h"
#include "queue.h"
#include "rate.h"
#include "rec.h"
#include "replay.h"
#include "replay_ctl.h"
#include "replay_run.h"
#include "replay_status.h"
#include "rw.h"
#include "xalloc.h"
#include "banned.h"

#define CKPT_EVERY_NS 10000000000LL
#define STATUS_EVERY_NS 1000000000LL

void replay_opts_init(struct replay_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rate = 100;
	o->concurrency = 16;
	o->error_target = 0.01;
	o->latency_tolerance = 1.5;
	o->gate_every_ms = 5000;
	o->gate_timeout_ms = 30000;
	o->max_attempts = 5;
	o->backoff_ms = 1000;
	o->backoff_max_ms = 300000;
	http_okset_default(&o->ok);
	o->rules.idem_header = "Idempotency-Key";
	o->grace_ms = 10000;
	o->response_bytes = 1024;
	o->max_revives = 3;
	http_opts_init(&o->http);
}

int64_t replay_wall_now(const struct replay_run *r)
{
	return r->wall0_ms + (clk_mono_ns() - r->mono0_ns) / 1000000;
}

void replay_notice(struct replay_run *r, const char *fmt, ...)
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

/* A notice of the spool, said once: the run may read the log more than
 * once (its fold, then a selection), and each read meets the same
 * damage. */
static void on_spool_notice(void *ctx, const struct spool_notice *n)
{
	struct replay_run *r = ctx;
	char text[1024];

	spool_notice_text(n, text, sizeof(text));
	for (size_t i = 0; i < r->ntold; i++)
		if (strcmp(r->told[i], text) == 0)
			return;
	r->told = xrealloc(r->told, (r->ntold + 1) * sizeof(*r->told));
	r->told[r->ntold++] = xstrdup(text);
	replay_notice(r, "%s", text);
}

/* Notices of the queue, as the run's own. */
static void on_queue_notice(void *ctx, const char *msg)
{
	replay_notice(ctx, "%s", msg);
}

uint64_t replay_remaining(const struct replay_run *r)
{
	return r->q ? queue_left(r->q) : 0;
}

/* --- the event loop ------------------------------------------------------ */

/* A new rate limit for every host, from a control (replay_ctl.h); 0 lifts
 * it.  Under --adaptive or --ramp it is each controller's new ceiling. */
static void set_rate(struct replay_run *r, double rate, int64_t now)
{
	const struct replay_opts *o = r->o;

	r->rate = rate;
	/* hosts seen so far, and those to come */
	dest_set_rate(&r->dests, rate, now);
	r->dconf.rate = rate;
	if (o->adaptive || o->ramp_ms)
		r->dconf.proto.max = rate > 0 ? rate : 1e9;
}

/* A control written since the last look: applied, said, acknowledged in
 * the status file. */
static void control(struct replay_run *r, int64_t now)
{
	struct replay_ctl c;
	struct rd_err lerr;
	char n[NUM_LEN];
	int ret = replay_ctl_read(r->sp, &c, &lerr);

	if (ret < 0 && ret != RD_E_INVAL)
		return;
	if (ret == RD_E_INVAL) {
		/* said once: remembered as seen until another replaces it */
		if (strcmp(r->ctl_seen, "bad") != 0)
			replay_notice(r, "ignoring %s: %s", REPLAY_CTL_NAME, lerr.msg);
		snprintf(r->ctl_seen, sizeof(r->ctl_seen), "%s", "bad");
		return;
	}
	if (ret == 0 || strcmp(c.id, r->ctl_seen) == 0)
		return;
	memcpy(r->ctl_seen, c.id, sizeof(r->ctl_seen));
	set_rate(r, c.rate, now);
	if (c.rate > 0)
		replay_notice(r, "rate limit set to %s/s%s%s (%s)",
			      num_fmt(c.rate, NUM_TEXT, n, sizeof(n)),
			      c.by[0] ? " by " : "", c.by, REPLAY_CTL_NAME);
	else
		replay_notice(r, "rate limit lifted%s%s (%s)", c.by[0] ? " by " : "",
			      c.by, REPLAY_CTL_NAME);
}

/* The time the gate held every send.  The wait for its first answer
 * held them too: when that answer is "closed", the gate was closed since
 * the wait began (a gate that timed out at 1s said "closed for 1.0s" of
 * the run's 2s). */
static void gate_account(struct replay_run *r, int64_t now)
{
	if (r->gate.state == GATE_UNKNOWN) {
		if (!r->gate_wait_since_ns)
			r->gate_wait_since_ns = now;
	} else if (r->gate.state != GATE_OPEN) {
		if (!r->gate_closed_since_ns)
			r->gate_closed_since_ns = r->gate_wait_since_ns ?
						  r->gate_wait_since_ns : now;
		r->gate_wait_since_ns = 0;
	} else {
		r->gate_wait_since_ns = 0;
		if (r->gate_closed_since_ns) {
			r->st->gate_closed_ms += (uint64_t)(now - r->gate_closed_since_ns) / 1000000;
			r->gate_closed_since_ns = 0;
		}
	}
}

/* Move transfers, flush events, poll the gate, adapt the rate, report.
 * Waits at most wait_ns for something to happen. */
static int service(struct replay_run *r, int64_t wait_ns, struct rd_err *err)
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
		if (http_run(r->http, wait_ms, replay_on_done, r) < 0)
			return rd_err_set(err, RD_E_IO, "the HTTP engine failed");
		/* what just ended made room for what is parked */
		if ((ret = replay_pump(r, err)) < 0)
			return ret;
	} else if (wait_ms > 0) {
		struct timespec ts = { wait_ms / 1000, (long)(wait_ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
	now = clk_mono_ns();
	/* Outcomes not yet in the spool would be sent again after a crash:
	 * keep them below the concurrency, or 100 ms of sends. */
	if (queue_due(r->q, 2 * o->concurrency, now) &&
	    (ret = queue_flush(r->q, err)) < 0)
		return ret;
	/* A gate killed along with us (a stop signal sent to the whole
	 * group) is no broken gate: the stop wins. */
	if ((ret = gate_poll(&r->gate, now, err)) < 0 &&
	    !(ret == RD_E_INVAL && o->stop && *o->stop))
		return ret;
	gate_account(r, now);
	dest_tick(&r->dests, now);
	if (r->nparked && (ret = replay_pump(r, err)) < 0)
		return ret;
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
		replay_fill_stats(r);
		o->on_progress(o->ctx, r->st);
	}
	/* every second, and at once when the gate opens or closes */
	if (r->claimed && (now - r->last_status_ns >= STATUS_EVERY_NS ||
			   replay_gate_word(r) != r->last_run_gate)) {
		/* the claim taken from under us (its file removed): another
		 * run may start, so this one stops, and writes no state */
		if ((ret = spool_claim_check(r->sp, err)) < 0) {
			r->claimed = 0;
			return ret;
		}
		control(r, now);
		replay_fill_stats(r);
		replay_put_status(r, REPLAY_STATUS_RUNNING, NULL);
	}
	if (now - r->last_ckpt_ns >= CKPT_EVERY_NS && o->dry == REPLAY_DRY_OFF) {
		r->last_ckpt_ns = now;
		if ((ret = queue_checkpoint(r->q, err)) < 0)
			return ret;
	}
	return 0;
}

/* Wait until host d has room for one more prepared send, and the gate
 * is open (no intent is written for a send that cannot start): 1 then,
 * 0 when the host is held (its record waits for a later pass) or the run
 * stops. */
static int wait_room(struct replay_run *r, struct dest *d, struct rd_err *err)
{
	int ret;

	for (;;) {
		int64_t now = clk_mono_ns(), until, wait;

		if (r->stopping)
			return 0;
		if (dest_held(d, now, &until))
			return 0;
		if (replay_dest_room(r, d) && r->gate.state == GATE_OPEN)
			return 1;
		wait = replay_pace_wait(r, now);
		if (wait > 50000000)
			wait = 50000000;
		if ((ret = service(r, wait, err)) < 0)
			return ret;
	}
}

/* Whether the filters select record q: one they do not is counted as
 * skipped, and its caller passes it over. */
static int selected(struct replay_run *r, const struct queue_rec *rec,
		    const struct rec_req *q)
{
	struct rd_err lerr;
	int m;

	if (!r->o->sel)
		return 1;
	m = sel_match(r->o->sel, q, rec->line, rec->len, &lerr);
	if (m < 0) {
		replay_notice(r, "record %s: --where failed: %s", q->id, lerr.msg);
		r->st->where_failed++;
		m = 0;
	}
	if (!m)
		r->st->skipped++;
	return m;
}

/* The selection asked by the queue of every record before it is due
 * (queue_opts.selects), so the run neither waits for nor counts a retry
 * it did not select.  A line that does not parse is said and passed
 * over when it is offered. */
static int on_selects(void *ctx, const struct queue_rec *rec)
{
	struct replay_run *r = ctx;
	struct rec_req q;
	struct rd_err lerr;

	if (rec_req_parse(&r->rp, rec->line, rec->len, 1, &q, &lerr) < 0)
		return 1;
	return selected(r, rec, &q);
}

/* Decide, once per run, whether a record is this run's work. */
static int judge(struct replay_run *r, const struct queue_rec *rec,
		 const struct rec_req *q)
{
	const struct replay_opts *o = r->o;

	if (!rec->picked && !selected(r, rec, q)) {
		queue_mark(r->q, rec->slot, QUEUE_SKIP);
		return 0;
	}
	/* A record that keeps dying is not brought back by every blanket
	 * --revive: a revive in cron must not loop forever. */
	if (rec->dead && rec->revives >= o->max_revives && !o->force) {
		queue_mark(r->q, rec->slot, QUEUE_SKIP);
		r->st->revive_skipped++;
		return 0;
	}
	if (o->limit && r->nselected >= o->limit)
		return 0; /* not judged: left for a later run */
	queue_mark(r->q, rec->slot, QUEUE_SEEN);
	r->nselected++;
	if (rec->dead) {
		/* a dry run counts what it would revive, and writes nothing */
		if (o->dry == REPLAY_DRY_OFF)
			queue_revive(r->q, rec->slot, replay_wall_now(r),
				     o->revive_reason ? o->revive_reason :
				     "revived by rd-replay --revive", o->revive_user);
		r->st->revived++;
	}
	return 1;
}

/* How many sends to prepare before their intents go to the spool in one
 * append: four times the concurrency (measured: one more sync per 4c
 * sends costs a few percent of throughput; per c, twice that), or what
 * the rate lets start in the next 50 ms when that is fewer.  A send prepared
 * but not started when the run dies leaves an intent with no send:
 * counted as an unknown outcome, an upper bound (a run that ends cleanly
 * withdraws it: replay_pace.c). */
static size_t batch_size(const struct replay_run *r)
{
	size_t n = r->o->concurrency ? 4 * (size_t)r->o->concurrency : 1;
	double rate = dest_rate_sum(&r->dests);

	if (rate > 0) {
		double soon = rate * 0.05;

		if (soon < n)
			n = soon < 1 ? 1 : (size_t)soon;
	}
	return n < REPLAY_READY_MAX ? n : REPLAY_READY_MAX;
}

/* Prepare the send of record slot: built, its intent recorded; it
 * starts with its batch (launch). */
static int send_one(struct replay_run *r, size_t slot, const struct rec_req *q,
		    struct rd_err *err)
{
	struct dest *d = NULL;
	struct http_req hr;
	struct rd_err lerr;
	int64_t at;
	unsigned attempt;
	uint32_t di;
	int ret;

	if ((ret = rw_build(&r->rw, q, &hr, &lerr)) <= 0) {
		if (ret < 0)
			replay_notice(r, "record %s: %s", q->id, lerr.msg);
		else
			replay_notice(r, "record %s: host '%s' is not on the allow-list (see --allow-host)",
			       q->id, r->rw.host);
		queue_mark(r->q, slot, QUEUE_REFUSE);
		r->st->refused++;
		return 0;
	}
	if (r->o->dry != REPLAY_DRY_OFF) {
		if (r->o->on_dry)
			r->o->on_dry(r->o->ctx, &hr);
		queue_mark(r->q, slot, QUEUE_SKIP); /* shown once */
		r->st->sent++;
		return 0;
	}
	di = replay_dest_of(r, slot, hr.url);   /* may grow r->dests */
	d = &r->dests.v[di];
	/* a held host's record waits, its attempts kept; a full host's
	 * waits for room, the batch it fills started */
	if (replay_dest_full(r, d) && r->pass_skips < REPLAY_LOOKAHEAD) {
		r->pass_skips++;
		return 0;
	}
	if (!replay_dest_room(r, d) && (ret = replay_launch(r, err)) < 0)
		return ret;
	if ((ret = wait_room(r, d, err)) <= 0)
		return ret < 0 ? ret : r->stopping ? 1 : 0;
	at = replay_wall_now(r);
	attempt = queue_intent(r->q, slot, at);
	r->ready[r->nready] = replay_fly_new(slot, q, &hr, attempt);
	r->ready[r->nready++]->dest = (uint32_t)(d - r->dests.v);
	d->queued++;
	if (r->nready >= batch_size(r))
		return replay_launch(r, err);
	return 0;
}

/* One round over what is due, in the queue's order.  Returns 1 when it
 * stopped early (stop, deadline), 0 at its end, or an error. */
static int pass(struct replay_run *r, struct rd_err *err)
{
	struct queue_rec rec;
	struct rec_req q;
	struct rd_err lerr;
	int ret = 0;

	r->pass_skips = 0;
	while (!r->stopping &&
	       (ret = queue_next(r->q, replay_wall_now(r), &rec, err)) > 0) {
		if (rec_req_parse(&r->rp, rec.line, rec.len, 1, &q, &lerr) < 0) {
			replay_notice(r, "record %s cannot be parsed, skipped: %s",
				      rec.id, lerr.msg);
			queue_mark(r->q, rec.slot, QUEUE_SKIP);
			continue;
		}
		if (!rec.seen && !judge(r, &rec, &q))
			continue;
		if (replay_too_old(r, q.captured_ms, replay_wall_now(r))) {
			replay_expire(r, rec.slot, &q);
			continue;
		}
		if ((ret = send_one(r, rec.slot, &q, err)) != 0)
			break;
	}
	if (ret >= 0)
		ret = replay_launch(r, err);
	else
		replay_drop_ready(r, 0);
	if (ret < 0)
		return ret;
	return r->stopping || ret > 0 ? 1 : 0;
}

/* Whether something is due now (1), later (0, *next_due), or nothing is
 * left (-1); the queue's round starts over what is due. */
static int plan(struct replay_run *r, int64_t *next_due)
{
	int p;

	if (r->o->limit && r->nselected >= r->o->limit)
		queue_limit(r->q);
	replay_mix_reset(r);
	p = queue_plan(r->q, replay_wall_now(r), clk_mono_ns(), next_due);
	replay_mix_done(r);
	return p;
}

static int drain(struct replay_run *r, struct rd_err *err)
{
	int64_t until = clk_mono_ns() + (int64_t)r->o->grace_ms * 1000000;
	int ret;

	/* stopped: what has not started does not start */
	replay_drop_parked(r);
	while (http_inflight(r->http) > 0) {
		if (clk_mono_ns() >= until) {
			unsigned n = http_abort_all(r->http, replay_fly_free);

			replay_notice(r, "%u requests still in flight after the grace period were abandoned; the next run sends them again",
			       n);
			/* Their records stay pending, due again. */
			queue_release_all(r->q);
			break;
		}
		if ((ret = service(r, 50000000, err)) < 0)
			return ret;
	}
	return 0;
}

/*
 * Whether nothing more can start within the time budget, when nothing
 * is due (plan said 0, next_due): the next due record is beyond it,
 * nothing is in flight, and no prepared send waits for its host (its
 * rate, its concurrency, a pause) to start within it.  Due records
 * behind a full host are not due to plan, but the sends that fill it
 * are prepared, so they hold the run as those sends do.
 */
static int beyond_budget(struct replay_run *r, int64_t next_due)
{
	int64_t now = clk_mono_ns(), left = r->deadline_ns - now, start;

	if (next_due == INT64_MAX || !r->deadline_ns || r->nready ||
	    http_inflight(r->http) > 0 ||
	    (next_due - replay_wall_now(r)) * 1000000 <= left)
		return 0;
	if (!r->nparked)
		return 1;
	start = replay_pace_wait(r, now);
	return start != INT64_MAX && start > left;
}

static int loop(struct replay_run *r, struct rd_err *err)
{
	int ret;

	for (;;) {
		int64_t next_due;
		int p;

		if ((ret = service(r, 0, err)) < 0)
			return ret;
		if (r->stopping)
			break;
		if ((ret = queue_refresh(r->q, err)) < 0)
			return ret;
		p = plan(r, &next_due);
		if (p < 0)
			break;
		if (p > 0) {
			if ((ret = pass(r, err)) < 0)
				return ret;
			if (r->o->dry != REPLAY_DRY_OFF)
				break;
			continue;
		}
		/* Nothing due: wait for completions or the next due time. */
		if (beyond_budget(r, next_due)) {
			r->st->out_of_time = 2;
			break;
		}
		{
			int64_t wait = next_due == INT64_MAX ? 100000000 :
				       (next_due - replay_wall_now(r)) * 1000000;
			int64_t pw = replay_pace_wait(r, clk_mono_ns());

			if (pw < wait)
				wait = pw;

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

/* Open and claim the spool, fold it, and get every part of the loop
 * ready. */
/* Retries due further ahead than --backoff-max were scheduled by a clock
 * that has since stepped back (or a Retry-After beyond the cap, from an
 * older version): due by then instead, said once. */
static void unstrand(struct replay_run *r)
{
	int64_t now = replay_wall_now(r);
	char t[REC_TIME_LEN + 1];
	size_t n = queue_clamp_due(r->q, now + (int64_t)r->o->backoff_max_ms);

	if (!n)
		return;
	rec_time_fmt(now + (int64_t)r->o->backoff_max_ms, t);
	replay_notice(r, "%zu retries were due more than --backoff-max from now "
		      "(did the clock step back?); they are due by %s", n, t);
}

static int setup(struct replay_run *r, struct rd_err *err)
{
	const struct replay_opts *o = r->o;
	struct spool_opts so;
	struct queue_opts qo;
	struct http_opts ho = o->http;
	int ret;

	spool_opts_init(&so);
	so.trust = o->trust_spool;
	so.notice = on_spool_notice;
	so.notice_ctx = r;
	if ((ret = spool_open(o->dir, &so, &r->sp, err)) < 0)
		return ret;
	memset(&qo, 0, sizeof(qo));
	qo.consume = o->dry == REPLAY_DRY_OFF;
	qo.revive = o->revive;
	qo.body_max = o->response_bytes;
	/* a lease outlives a send: its timeout, and the grace to stop */
	qo.lease_ms = 2 * (o->http.timeout_ms + o->http.connect_timeout_ms) +
		      o->grace_ms + 30000;
	qo.width = 4 * o->concurrency + 64;
	qo.notice = on_queue_notice;
	qo.waits = replay_slot_waits;
	qo.planned = replay_slot_planned;
	if (o->sel && !sel_all(o->sel))
		qo.selects = on_selects;
	qo.ctx = r;
	if ((ret = queue_open(r->sp, &qo, &r->q, err)) < 0)
		return ret;
	r->claimed = qo.consume;
	unstrand(r);
	/* a control left from before this run is not for it */
	{
		struct replay_ctl c;
		struct rd_err lerr;

		if (replay_ctl_read(r->sp, &c, &lerr) == 1)
			memcpy(r->ctl_seen, c.id, sizeof(r->ctl_seen));
	}
	r->rate = o->rate > 0 ? o->rate : 0;
	ho.refuse_addr = rw_refuse_link_local;
	ho.refuse_ctx = (void *)&o->rules;
	/* What a failed attempt's event keeps of the response. */
	ho.keep_head = 1;
	ho.body_peek = o->response_bytes;
	/* each host's --concurrency caps its connections; none in all */
	ho.max_conns = 0;
	if ((ret = http_new(&ho, &r->http, err)) < 0)
		return ret;
	replay_pace_init(r);
	if ((ret = gate_kick(&r->gate, r->mono0_ns, err)) < 0)
		return ret;
	/* The first picture, once there is something to show. */
	if (r->claimed) {
		replay_fill_stats(r);
		replay_put_status(r, REPLAY_STATUS_RUNNING, NULL);
	}
	return 0;
}

int replay_run(const struct replay_opts *o, struct replay_stats *st,
	       struct rd_err *err)
{
	struct replay_run r;
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
	rec_parser_init(&r.rp);
	rw_init(&r.rw, &o->rules);
	gate_init(&r.gate, o->dry == REPLAY_DRY_OFF ? o->gate : NULL,
		  (int64_t)o->gate_every_ms * 1000000,
		  (int64_t)o->gate_timeout_ms * 1000000);
	r.gate.quiet_stdout = 1;
	r.gate.on_line = o->on_gate_line;
	r.gate.line_ctx = o->ctx;
	if (o->max_time_ms)
		r.deadline_ns = r.mono0_ns + (int64_t)o->max_time_ms * 1000000;

	if ((ret = setup(&r, err)) >= 0)
		ret = loop(&r, err);
	if (ret >= 0 && o->dry == REPLAY_DRY_OFF)
		ret = queue_checkpoint(r.q, err);
	if (r.gate_closed_since_ns)
		st->gate_closed_ms += (uint64_t)(clk_mono_ns() - r.gate_closed_since_ns) / 1000000;
	if (r.q)
		replay_fill_stats(&r);
	if (ret >= 0)
		ret = st->remaining > 0 || st->refused > 0 ? 1 : 0;
	/* After an error: what is still in flight is abandoned (the next
	 * run sends it again); outcomes already known are kept if the spool
	 * still takes them. */
	if (r.http)
		http_abort_all(r.http, replay_fly_free);
	/* what was prepared and not started goes back to the queue while
	 * it is still open */
	if (r.q) {
		replay_drop_ready(&r, 0);
		replay_drop_parked(&r);
	}
	gate_release(&r.gate);
	http_free(r.http);
	if (r.q)
		queue_flush(r.q, NULL);
	replay_put_status(&r, ret < 0 ? REPLAY_STATUS_FAILED : REPLAY_STATUS_FINISHED,
		   ret < 0 ? err->msg : NULL);
	queue_free(r.q);
	spool_close(r.sp);
	replay_pace_release(&r);
	for (size_t i = 0; i < r.ntold; i++)
		free(r.told[i]);
	free(r.told);
	rec_parser_release(&r.rp);
	rw_release(&r.rw);
	return ret;
}
