/*
 * replay_outcome.c - what each result of a replay does: the outcome of a
 * send (ok, a retry with its backoff, dead), the events that record it,
 * what the adaptive controller and Retry-After learn from it, and the
 * statistics and status file that show it (see replay_run.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clk.h"
#include "num.h"
#include "replay_run.h"
#include "report.h"
#include "xalloc.h"
#include "banned.h"

static double rnd(struct replay_run *r)
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

void replay_fill_stats(struct replay_run *r)
{
	struct replay_stats *st = r->st;
	int64_t now = clk_mono_ns();

	st->inflight = r->http ? http_inflight(r->http) : 0;
	/* every host's rate, summed; before any host, the first one's */
	st->rate = !r->dests.n ? (r->dconf.pace ? r->dconf.proto.rate : r->rate) :
		   r->rate > 0 || r->dconf.pace ? dest_rate_sum(&r->dests) : 0;
	st->gate = r->gate.state;
	/* Kept after the gate opens again, for the summary. */
	if (r->gate.state == GATE_CLOSED || r->gate.state == GATE_BROKEN)
		gate_describe(&r->gate, st->gate_why, sizeof(st->gate_why));
	st->elapsed_s = (double)(now - r->mono0_ns) / 1e9;
	st->rate_cuts = 0;
	st->pauses = 0;
	for (size_t i = 0; i < r->dests.n; i++) {
		st->rate_cuts += r->dests.v[i].ctl.breaches;
		st->pauses += r->dests.v[i].pauses;
	}
	st->hosts = r->dests.n;
	st->hosts_paused = dest_paused(&r->dests, now);
	if (now - r->win_start_ns >= 1000000000) {
		st->achieved = (double)r->win_sent * 1e9 /
			       (double)(now - r->win_start_ns);
		r->win_start_ns = now;
		r->win_sent = 0;
	}
	st->remaining = replay_remaining(r);
	st->eta_s = st->achieved > 0 ? (int64_t)((double)st->remaining / st->achieved) : -1;
}

/* A run line in the spool, from which a postmortem draws the drain:
 * with each status picture (every second) while anything moved, when
 * the gate opens or closes, at least every RUN_IDLE_NS while idle, and
 * at the end. */
#define RUN_IDLE_NS 60000000000LL

int replay_gate_word(const struct replay_run *r)
{
	return !r->gate.cmd ? REC_GATE_NONE :
	       r->gate.state == GATE_OPEN ? REC_GATE_OPEN : REC_GATE_CLOSED;
}

static void run_line(struct replay_run *r, const struct replay_status *s)
{
	struct rec_run l;
	int64_t now = clk_mono_ns();
	int gate = replay_gate_word(r);
	int ended = s->state != REPLAY_STATUS_RUNNING;

	if (!ended && r->last_run_line_ns && gate == r->last_run_gate &&
	    s->sent == r->last_run_sent && s->pending == r->last_run_pending &&
	    now - r->last_run_line_ns < RUN_IDLE_NS)
		return;
	memset(&l, 0, sizeof(l));
	l.at_ms = s->updated_ms;
	l.pid = s->pid;
	l.rate = s->rate;
	l.rate_limit = s->rate_limit;
	l.gate = (enum rec_gate)gate;
	l.pending = s->pending;
	l.sent = s->sent;
	l.ok = s->ok;
	l.retry = s->retry;
	l.dead = s->dead;
	l.ended = ended;
	queue_run(r->q, &l);
	r->last_run_line_ns = now;
	r->last_run_gate = gate;
	r->last_run_sent = s->sent;
	r->last_run_pending = s->pending;
	/* the last line comes after the run's last flush: append it too */
	if (ended)
		queue_flush(r->q, NULL);
}

/* The status file: a picture of the run for other tools.  A failure to
 * write it costs only the picture, so it is told once and not fatal. */
void replay_put_status(struct replay_run *r, enum replay_status_state state,
		       const char *error)
{
	const struct replay_stats *st = r->st;
	struct replay_status s;
	struct rd_err lerr;

	if (!r->claimed)
		return;
	memset(&s, 0, sizeof(s));
	s.state = state;
	s.pid = (long)getpid();
	s.since_ms = r->wall0_ms;
	s.updated_ms = replay_wall_now(r);
	s.ended_ms = state == REPLAY_STATUS_RUNNING ? 0 : s.updated_ms;
	s.sent = st->sent;
	s.ok = st->ok;
	s.retry = st->retried;
	s.dead = st->dead;
	s.revived = st->revived;
	s.pending = st->remaining;
	s.rate = st->achieved;
	s.rate_limit = st->rate;
	snprintf(s.gate, sizeof(s.gate), "%s",
		 r->gate.cmd ? gate_state_name(r->gate.state) : "none");
	if (r->gate.state == GATE_CLOSED || r->gate.state == GATE_BROKEN)
		snprintf(s.gate_why, sizeof(s.gate_why), "%s", st->gate_why);
	snprintf(s.error, sizeof(s.error), "%s", error ? error : "");
	snprintf(s.control, sizeof(s.control), "%s", r->ctl_seen);
	run_line(r, &s);
	if (replay_status_write(r->sp, &s, &lerr) < 0 && !r->status_warned) {
		r->status_warned = 1;
		replay_notice(r, "cannot write the status file: %s", lerr.msg);
	}
	r->last_status_ns = clk_mono_ns();
}

int replay_too_old(const struct replay_run *r, int64_t captured_ms,
		   int64_t now_ms)
{
	return r->o->max_age_ms &&
	       now_ms - captured_ms > (int64_t)r->o->max_age_ms;
}

static void age_reason(const struct replay_run *r, char *out, size_t n,
		       int64_t captured_ms)
{
	char t[REC_TIME_LEN + 1];
	uint64_t a = r->o->max_age_ms;

	rec_time_fmt(captured_ms, t);
	/* The age in the largest whole unit, as a person would write it. */
	snprintf(out, n, "max-age: captured at %s, more than %llu%s ago", t,
		 (unsigned long long)(a % 3600000 == 0 ? a / 3600000 :
				      a % 60000 == 0 ? a / 60000 :
				      a % 1000 == 0 ? a / 1000 : a),
		 a % 3600000 == 0 ? "h" : a % 60000 == 0 ? "m" :
		 a % 1000 == 0 ? "s" : "ms");
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

void replay_fly_free(void *udata)
{
	struct replay_fly *f = udata;

	free(f->url);
	free(f->hdrs);
	free(f->data);
	free(f);
}

/* Tell the caller; res is NULL when nothing was sent. */
static void report(struct replay_run *r, const struct replay_fly *f,
		   const struct http_res *res, long long attempt,
		   const char *reason)
{
	struct replay_outcome out;
	struct queue_state qs;

	if (!r->o->on_outcome)
		return;
	queue_state(r->q, f->idx, &qs);
	memset(&out, 0, sizeof(out));
	out.id = f->id;
	out.method = f->method;
	out.url = f->url;
	out.attempt = attempt;
	out.outcome = qs.state == LIFE_DONE ? "ok" :
		      qs.state == LIFE_DEAD ? "dead" : "retry";
	out.status = res ? res->status : 0;
	out.latency_ms = res ? res->latency_ms : 0;
	out.error = res ? res->errmsg : "";
	out.next_due_ms = qs.state == LIFE_PENDING ? qs.due_ms : 0;
	out.reason = reason;
	r->o->on_outcome(r->o->ctx, &out);
}

/* What a result says of its host: to its controller, its pause, and
 * the Retry-After it asked for. */
static void observe(struct replay_run *r, const struct replay_fly *f,
		    const struct http_res *res, enum http_class cls)
{
	const struct replay_opts *o = r->o;
	struct dest *d = &r->dests.v[f->dest];
	int throttled = res->status == 429 || res->status == 503;
	int64_t ra = -1, now = clk_mono_ns();
	enum dest_result dr = cls != HTTP_RETRY ? DEST_R_OK :
			      res->status ? DEST_R_FAILED :
			      res->err == HTTP_ERR_REFUSED ? DEST_R_FAILED : DEST_R_DOWN;
	char n[NUM_LEN];

	r->st->status_counts[res->status >= 100 && res->status < 600 ?
			     res->status / 100 : 0]++;
	if (res->retry_after_ms >= 0 && throttled)
		ra = (res->retry_after_ms < (int64_t)o->backoff_max_ms ?
		      res->retry_after_ms : (int64_t)o->backoff_max_ms) * 1000000;
	switch (dest_done(d, f->dest_epoch, dr, throttled ? RATE_THROTTLED :
			  cls == HTTP_RETRY ? RATE_ERROR : RATE_OK,
			  res->latency_ms, ra, now)) {
	case DEST_DONE_PAUSED:
		replay_notice(r, "host %s is not answering (%s); nothing more goes to it for %s, its records keep their attempts",
			      d->host, res->status ? "failed answers" : http_err_name(res->err),
			      report_duration((d->hold_until_ns - now) / 1000000, n, sizeof(n)));
		break;
	case DEST_DONE_OPENED:
		replay_notice(r, "host %s answers again", d->host);
		break;
	}
}

/* What one finished attempt comes to: decided from the response and the
 * options alone, nothing changed yet. */
struct verdict {
	enum rec_outcome outcome;
	int64_t due_ms;          /* retry: when it is due again */
	int dead, aged;          /* it dies (of age: --max-age) */
	char reason[200];        /* why it dies */
};

static enum rec_outcome outcome_of(enum http_class c)
{
	return c == HTTP_OK ? REC_OUT_OK : c == HTTP_RETRY ? REC_OUT_RETRY :
	       REC_OUT_PERMANENT;
}

static void decide(struct replay_run *r, const struct replay_fly *f,
		   const struct http_res *res, enum http_class cls,
		   unsigned attempt, int64_t now, struct verdict *v)
{
	const struct replay_opts *o = r->o;

	memset(v, 0, sizeof(*v));
	v->outcome = outcome_of(cls);
	if (cls == HTTP_OK)
		return;
	if (cls == HTTP_RETRY && attempt < o->max_attempts &&
	    !replay_too_old(r, f->captured_ms, now)) {
		int64_t delay = (int64_t)replay_backoff_ms(o->backoff_ms,
							   o->backoff_max_ms,
							   attempt, rnd(r));

		/* at least what the service asked, up to --backoff-max */
		if (res->retry_after_ms > delay)
			delay = res->retry_after_ms < (int64_t)o->backoff_max_ms ?
				res->retry_after_ms : (int64_t)o->backoff_max_ms;
		v->due_ms = now + delay;
		return;
	}
	v->dead = 1;
	if (cls == HTTP_RETRY && attempt < o->max_attempts) {
		age_reason(r, v->reason, sizeof(v->reason), f->captured_ms);
		v->aged = 1;
	} else {
		dead_reason(v->reason, sizeof(v->reason), cls, attempt, res);
	}
}

void replay_on_done(void *ctx, const struct http_res *res)
{
	struct replay_run *r = ctx;
	struct replay_fly *f = res->udata;
	enum http_class cls = http_classify(res, &r->o->ok);
	struct rec_event ev;
	struct verdict v;
	int64_t now = replay_wall_now(r);
	unsigned attempt = f->attempt;

	observe(r, f, res, cls);
	decide(r, f, res, cls, attempt, now, &v);
	memset(&ev, 0, sizeof(ev));
	ev.kind = REC_ATTEMPT;
	memcpy(ev.ref, f->id, sizeof(ev.ref));
	ev.at_ms = now;
	ev.attempt = attempt;
	ev.outcome = v.outcome;
	ev.next_due_ms = v.due_ms;
	ev.status = res->status;
	ev.latency_ms = res->latency_ms;
	ev.error.p = res->errmsg;
	ev.error.n = strlen(res->errmsg);
	/* What the service said is what explains a failure later. */
	queue_attempt(r->q, f->idx, &ev, cls != HTTP_OK ? res : NULL,
		      v.dead ? v.reason : NULL);
	r->st->ok += cls == HTTP_OK;
	r->st->retried += cls != HTTP_OK && !v.dead;
	r->st->dead += v.dead;
	r->st->aged += v.aged;
	report(r, f, res, attempt, v.reason);
	replay_fly_free(f);
}

/* A record captured longer ago than --max-age goes dead instead of being
 * sent: its dead event says why. */
void replay_expire(struct replay_run *r, size_t idx, const struct rec_req *q)
{
	char reason[200];
	struct replay_fly f;
	struct queue_state qs;

	r->st->dead++;
	r->st->aged++;
	queue_mark(r->q, idx, QUEUE_SKIP);
	if (r->o->dry != REPLAY_DRY_OFF)
		return;
	age_reason(r, reason, sizeof(reason), q->captured_ms);
	queue_dead(r->q, idx, replay_wall_now(r), reason);
	queue_state(r->q, idx, &qs);
	memset(&f, 0, sizeof(f));
	f.idx = idx;
	memcpy(f.id, q->id, sizeof(f.id));
	snprintf(f.method, sizeof(f.method), "%.*s", (int)q->method.n, q->method.p);
	f.url = xmemdup(q->url.p, q->url.n);
	report(r, &f, NULL, qs.attempts, reason);
	free(f.url);
}
