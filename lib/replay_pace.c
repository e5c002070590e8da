/*
 * replay_pace.c - when each prepared send starts: the run's side of
 * pacing per destination (dest.h).
 *
 * A send is prepared (built, its intent recorded in the queue) before it may
 * start.  It starts at once when its host takes it: the gate is open and
 * the host is not held, below its concurrency, with a token in its
 * bucket.  Otherwise it is parked, and starts from the service loop when
 * its host is ready.  A host holds at most park_cap sends prepared and
 * not started.  A record whose host is full waits for room, or, when
 * other hosts have work, is passed over (up to REPLAY_LOOKAHEAD records
 * a pass) so that theirs go meanwhile; a record whose host is held
 * (paused, probed, or asked to wait) is left pending for a later pass,
 * so it keeps its attempts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clk.h"
#include "replay_run.h"
#include "xalloc.h"
#include "banned.h"

void replay_pace_init(struct replay_run *r)
{
	const struct replay_opts *o = r->o;
	struct dest_conf *c = &r->dconf;

	memset(c, 0, sizeof(*c));
	c->rate = o->rate > 0 ? o->rate : 0;
	c->burst = o->burst;
	c->concurrency = o->concurrency ? o->concurrency : 1;
	c->limits = o->limits;
	c->nlimits = o->nlimits;
	c->pause_ns = (int64_t)(o->backoff_ms ? o->backoff_ms : 1000) * 1000000;
	c->pause_max_ns = (int64_t)o->backoff_max_ms * 1000000;
	if (c->pause_max_ns < c->pause_ns)
		c->pause_max_ns = c->pause_ns;
	if (o->adaptive || o->ramp_ms) {
		double start = o->adaptive_start > 0 ? o->adaptive_start : o->rate / 10;

		c->pace = 1;
		rate_ctl_init(&c->proto, start, 1, o->rate > 0 ? o->rate : 1e9,
			      r->mono0_ns);
		c->proto.adaptive = o->adaptive;
		c->proto.ramp_ns = (int64_t)o->ramp_ms * 1000000;
		c->proto.lat_target_ms = o->latency_target_ms;
		c->proto.err_target = o->error_target;
		c->proto.lat_tolerance = o->latency_tolerance;
	}
	dest_set_init(&r->dests, c);
}

void replay_pace_release(struct replay_run *r)
{
	replay_drop_parked(r);
	free(r->parked);
	free(r->edest);
	dest_set_release(&r->dests);
}

/* The host a record goes to, remembered for its entry.  A URL with no
 * host (refused before this) and a run past DEST_MAX hosts share one. */
uint32_t replay_dest_of(struct replay_run *r, size_t idx, const char *url)
{
	char key[DEST_HOST_MAX];
	struct dest *d;

	if (dest_key(url, key, sizeof(key)) < 0 ||
	    !(d = dest_get(&r->dests, key, clk_mono_ns())))
		d = dest_get(&r->dests, "", clk_mono_ns());
	if (!d)   /* DEST_MAX hosts and none of them "": the first */
		d = &r->dests.v[0];
	if (idx >= r->nedest) {
		size_t n = r->nedest ? r->nedest : 1024;

		while (n <= idx)
			n *= 2;
		r->edest = xrealloc(r->edest, n * sizeof(*r->edest));
		memset(r->edest + r->nedest, 0, (n - r->nedest) * sizeof(*r->edest));
		r->nedest = n;
	}
	r->edest[idx] = (uint32_t)(d - r->dests.v) + 1;
	return (uint32_t)(d - r->dests.v);
}

void replay_mix_reset(struct replay_run *r)
{
	r->mix_next = 0;
	r->mix_first = 0;
}

void replay_slot_planned(void *ctx, size_t idx)
{
	struct replay_run *r = ctx;
	uint32_t d = idx < r->nedest ? r->edest[idx] : 0;

	if (!d || (r->mix_first && d != r->mix_first))
		r->mix_next = 1;
	else
		r->mix_first = d;
}

void replay_mix_done(struct replay_run *r)
{
	r->mixed = r->mix_next;
}

int replay_slot_waits(void *ctx, size_t idx, int64_t now_ns, int64_t *until_ns)
{
	const struct replay_run *r = ctx;
	const struct dest *d;

	if (idx >= r->nedest || !r->edest[idx])
		return 0;
	d = &r->dests.v[r->edest[idx] - 1];
	if (dest_held(d, now_ns, until_ns))
		return 1;
	*until_ns = 0;
	return replay_dest_full(r, d);
}

int replay_dest_room(const struct replay_run *r, const struct dest *d)
{
	return !d->parked && d->queued < replay_park_cap(r, d);
}

int replay_dest_full(const struct replay_run *r, const struct dest *d)
{
	return r->mixed && !replay_dest_room(r, d);
}

/* Prepared and not started, per host: four times its concurrency (as one
 * batch: the next is prepared once the last has all started), or
 * what its rate lets start in the next 50 ms when that is fewer, so an
 * intent is never written long before its send. */
size_t replay_park_cap(const struct replay_run *r, const struct dest *d)
{
	size_t n = 4 * (size_t)d->concurrency;
	double rate = dest_rate(d);

	if (rate > 0 && rate * 0.05 < n)
		n = rate * 0.05 < 1 ? 1 : (size_t)(rate * 0.05);
	(void)r;
	return n;
}

/* A send, prepared: the request as built, copied, since the record it
 * borrows from is gone by the time the send starts. */
struct replay_fly *replay_fly_new(size_t idx, const struct rec_req *q,
				  const struct http_req *hr, unsigned attempt)
{
	struct replay_fly *f = xcalloc(1, sizeof(*f));
	struct buf b;

	f->idx = idx;
	f->attempt = attempt;
	f->captured_ms = q->captured_ms;
	memcpy(f->id, q->id, sizeof(f->id));
	snprintf(f->method, sizeof(f->method), "%.*s", (int)q->method.n, q->method.p);
	f->url = xstrdup(hr->url);
	f->req = *hr;
	f->req.method = f->method;
	f->req.method_len = strlen(f->method);
	f->req.url = f->url;
	f->req.udata = f;
	/* headers and body in one block the fly owns */
	buf_init(&b);
	for (size_t i = 0; i < hr->nhdrs; i++) {
		buf_add(&b, hr->hdrs[i].name, hr->hdrs[i].name_len);
		buf_add(&b, hr->hdrs[i].value, hr->hdrs[i].value_len);
	}
	buf_add(&b, hr->body, hr->body_len);
	f->data = buf_detach(&b, NULL);
	f->hdrs = xcalloc(hr->nhdrs ? hr->nhdrs : 1, sizeof(*f->hdrs));
	{
		const char *p = f->data;

		for (size_t i = 0; i < hr->nhdrs; i++) {
			f->hdrs[i] = hr->hdrs[i];
			f->hdrs[i].name = p;
			p += hr->hdrs[i].name_len;
			f->hdrs[i].value = p;
			p += hr->hdrs[i].value_len;
		}
		f->req.body = hr->body_len ? p : NULL;
	}
	f->req.hdrs = f->hdrs;
	return f;
}

/* A prepared send that will not start: its entry is free again.  One
 * another worker recorded first (lost) had no intent of ours stored;
 * else the run stops before the send starts, and its intent is
 * withdrawn, so the send that never was is not counted (a kill leaves it
 * standing instead: counted, outcome unknown, an upper bound on what the
 * service saw). */
static void drop_one(struct replay_run *r, struct replay_fly *f, int lost)
{
	if (lost)
		queue_mark(r->q, f->idx, QUEUE_RELEASE);
	else
		queue_withdraw(r->q, f->idx, f->attempt, replay_wall_now(r));
	r->dests.v[f->dest].queued--;
	replay_fly_free(f);
}

void replay_drop_ready(struct replay_run *r, size_t from)
{
	for (size_t i = from; i < r->nready; i++)
		drop_one(r, r->ready[i], 0);
	r->nready = 0;
}

/* Start the prepared sends, once their intents are durable: one append
 * (and the sync the spool's policy makes) for the whole batch.  Those
 * whose host is not ready are parked (replay_pace.c). */
int replay_launch(struct replay_run *r, struct rd_err *err)
{
	size_t i;
	int ret = 0;

	if (!r->nready)
		return 0;
	if ((ret = queue_flush(r->q, err)) < 0) {
		replay_drop_ready(r, 0);
		return ret;
	}
	for (i = 0; i < r->nready; i++) {
		/* another worker recorded this attempt first: it sends it */
		if (!queue_holds(r->q, r->ready[i]->idx)) {
			drop_one(r, r->ready[i], 1);
			r->st->yielded++;
		}
		else if ((ret = replay_start(r, r->ready[i], err)) < 0)
			break;
	}
	if (ret < 0) {
		/* the one that failed is freed with the rest */
		replay_drop_ready(r, i);
		return ret;
	}
	r->nready = 0;
	return 0;
}

/* Start f now if its host takes it: 1 started, 0 not yet. */
static int try_start(struct replay_run *r, struct replay_fly *f, int64_t now,
		     struct rd_err *err)
{
	struct dest *d = &r->dests.v[f->dest];
	int64_t wait;
	int ret;

	if (r->gate.state != GATE_OPEN || !dest_take(d, now, &wait))
		return 0;
	if ((ret = http_submit(r->http, &f->req, err)) < 0)
		return ret;
	f->dest_epoch = dest_started(d);
	d->queued--;
	r->st->sent++;
	r->win_sent++;
	return 1;
}

static void park(struct replay_run *r, struct replay_fly *f)
{
	if (r->nparked == r->parked_cap) {
		r->parked_cap = r->parked_cap ? 2 * r->parked_cap : 64;
		r->parked = xrealloc(r->parked, r->parked_cap * sizeof(*r->parked));
	}
	r->parked[r->nparked++] = f;
	r->dests.v[f->dest].parked++;
}

int replay_start(struct replay_run *r, struct replay_fly *f, struct rd_err *err)
{
	int ret = 0;

	/* behind a parked send of its host, it waits its turn */
	if (!r->dests.v[f->dest].parked &&
	    (ret = try_start(r, f, clk_mono_ns(), err)) < 0)
		return ret;
	if (!ret)
		park(r, f);
	return 0;
}

int replay_pump(struct replay_run *r, struct rd_err *err)
{
	int64_t now = clk_mono_ns();
	uint64_t sweep = ++r->sweep;
	size_t keep = 0;
	int ret = 0;

	for (size_t i = 0; i < r->nparked; i++) {
		struct replay_fly *f = r->parked[i];
		struct dest *d = &r->dests.v[f->dest];

		/* each host's sends start in the order they were parked: one
		 * that cannot start holds the rest of its host's */
		if (d->sweep != sweep && ret >= 0 &&
		    (ret = try_start(r, f, now, err)) > 0) {
			d->parked--;
			continue;
		}
		d->sweep = sweep;
		r->parked[keep++] = f;
	}
	r->nparked = keep;
	return ret < 0 ? ret : 0;
}

/* How long until a parked send might start (INT64_MAX: when a request
 * ends, or none is parked). */
int64_t replay_pace_wait(struct replay_run *r, int64_t now)
{
	int64_t best = INT64_MAX;

	for (size_t i = 0; r->nparked && i < r->dests.n; i++) {
		struct dest *d = &r->dests.v[i];
		int64_t until, w = INT64_MAX;

		if (!d->parked)
			continue;
		if (dest_held(d, now, &until))
			w = until ? until - now : INT64_MAX;
		else if (d->inflight < d->concurrency && (d->rate > 0 || r->dconf.pace))
			w = rate_bucket_wait_ns(&d->bucket, now);
		else if (d->inflight < d->concurrency)
			w = 0;
		if (w < best)
			best = w;
	}
	return best;
}

void replay_drop_parked(struct replay_run *r)
{
	for (size_t i = 0; i < r->nparked; i++) {
		struct replay_fly *f = r->parked[i];

		r->dests.v[f->dest].parked--;
		drop_one(r, f, 0);
	}
	r->nparked = 0;
}
