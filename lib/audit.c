/*
 * audit.c - the streaming fold behind rd-audit (see audit.h).
 *
 * One pass: a request line adds an entry (if the selection takes it) and
 * assigns its groups; an event line updates the entry it refers to and
 * the replay totals.  Per-group and per-state counts are made at the end,
 * when every request's final state is known.  Times are kept in seconds
 * from AUDIT_EPOCH to fit the 40-byte entry.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "life.h"
#include "rec_rollup.h"
#include "rec_run.h"
#include "rx.h"
#include "url.h"
#include "xalloc.h"
#include "banned.h"

#define AUDIT_EPOCH_MS 1577836800000LL /* 2020-01-01T00:00:00Z */

static int32_t to_s(int64_t ms)
{
	int64_t s = (ms - AUDIT_EPOCH_MS) / 1000;

	return s < INT32_MIN ? INT32_MIN : s > INT32_MAX ? INT32_MAX : (int32_t)s;
}

static int64_t from_s(int32_t s)
{
	return AUDIT_EPOCH_MS + (int64_t)s * 1000;
}

const char *audit_state_name(int s)
{
	return life_state_name((enum life_state)s);
}

double audit_amplification(uint64_t attempts, uint64_t replayed)
{
	return replayed ? (double)attempts / (double)replayed : 0;
}

static void dim_init(struct audit_dim *d, size_t max)
{
	memset(d, 0, sizeof(*d));
	d->max = max;
}

/* The group index of name, creating it, or "other" past the cap. */
static uint16_t dim_get(struct audit_dim *d, const char *name, size_t n)
{
	size_t i;

	if (n >= sizeof(d->g[0].name))
		n = sizeof(d->g[0].name) - 1;
	for (i = 0; i < d->n; i++)
		if (strncmp(d->g[i].name, name, n) == 0 && d->g[i].name[n] == '\0')
			return (uint16_t)i;
	if (d->n >= d->max) {
		if (!d->has_other) {
			d->g = xrealloc(d->g, (d->n + 1) * sizeof(*d->g));
			memset(&d->g[d->n], 0, sizeof(d->g[0]));
			snprintf(d->g[d->n].name, sizeof(d->g[0].name), "(other)");
			d->n++;
			d->has_other = 1;
		}
		return (uint16_t)(d->n - 1);
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->g = xrealloc(d->g, d->cap * sizeof(*d->g));
	}
	memset(&d->g[d->n], 0, sizeof(d->g[0]));
	memcpy(d->g[d->n].name, name, n);
	return (uint16_t)d->n++;
}

void audit_init(struct audit *a, const struct audit_opts *o)
{
	size_t max;

	memset(a, 0, sizeof(*a));
	a->o = *o;
	max = o->max_groups ? o->max_groups : 50;
	/* the "other" group must fit in 16 bits too */
	if (max > 60000)
		max = 60000;
	idtab_init(&a->idx, sizeof(struct audit_rec));
	rec_parser_init(&a->rp);
	buf_init(&a->scratch);
	hist_init(&a->s.latency);
	dim_init(&a->s.by_failure, max);
	dim_init(&a->s.by_host, max);
	dim_init(&a->s.by_route, max);
	dim_init(&a->s.by_status, max);
	dim_init(&a->s.by_reason, max);
	timeline_init(&a->s.tl);
}

void audit_release(struct audit *a)
{
	free(a->recs);
	idtab_release(&a->idx);
	rec_parser_release(&a->rp);
	buf_release(&a->scratch);
	hist_release(&a->s.latency);
	free(a->s.by_failure.g);
	free(a->s.by_host.g);
	free(a->s.by_route.g);
	free(a->s.by_status.g);
	free(a->s.by_reason.g);
	timeline_release(&a->s.tl);
	free(a->open);
	memset(a, 0, sizeof(*a));
}

/* Keep the earliest time in *t. */
static void first(int64_t *t, int64_t ms)
{
	if (!*t || ms < *t)
		*t = ms;
}

static void span(struct audit *a, int64_t ms)
{
	if (!a->s.first_ms || ms < a->s.first_ms)
		a->s.first_ms = ms;
	if (ms > a->s.last_ms)
		a->s.last_ms = ms;
}

/* Fold digits, UUIDs, ULIDs and hex ids out of a path. */
static void fold_path(const char *p, size_t n, struct buf *out)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i, d = 0, hx = 0, ul = 0, dash = 0;

		if (p[i] == '/' || p[i] == '?') {
			if (p[i] == '?')
				return; /* the query is not part of the route */
			buf_addc(out, '/');
			i++;
			continue;
		}
		while (j < n && p[j] != '/' && p[j] != '?') {
			char c = p[j];

			d += c >= '0' && c <= '9';
			hx += (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			      (c >= 'A' && c <= 'F');
			ul += (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
			dash += c == '-';
			j++;
		}
		{
			size_t len = j - i;

			if (len && d == len)
				buf_adds(out, ":n");
			else if (len == 36 && dash == 4 && hx == 32)
				buf_adds(out, ":uuid");
			else if (len == REC_ID_LEN && ul == len && rec_id_valid(p + i, len))
				buf_adds(out, ":ulid");
			else if (len >= 16 && hx == len)
				buf_adds(out, ":hex");
			else
				buf_add(out, p + i, len);
		}
		i = j;
	}
}

void audit_route(const struct audit_opts *o, const struct rec_req *q,
		 struct buf *out)
{
	struct buf a, b;
	struct url_parts p;
	const char *u = q->url.p;
	size_t n = q->url.n;

	buf_init(&a);
	buf_init(&b);
	buf_add(&a, u, n);
	for (size_t i = 0; i < o->nrules; i++) {
		buf_reset(&b);
		rx_replace(o->rules[i].rx, a.data, a.len, o->rules[i].repl, &b);
		buf_reset(&a);
		buf_add(&a, b.data ? b.data : "", b.len);
	}
	buf_add(out, q->method.p, q->method.n);
	buf_addc(out, ' ');
	u = a.data ? a.data : "";
	n = a.len;
	/* host[:port] and the folded path: never the userinfo or the query,
	 * which may hold credentials. */
	if (url_split(u, n, &p) == 0) {
		if (p.ipv6)
			buf_addc(out, '[');
		buf_add(out, u + p.host.off, p.host.len);
		if (p.ipv6)
			buf_addc(out, ']');
		if (p.port.present) {
			buf_addc(out, ':');
			buf_add(out, u + p.port.off, p.port.len);
		}
		if (p.path.len)
			fold_path(u + p.path.off, p.path.len, out);
		else
			buf_addc(out, '/');
	}
	buf_release(&a);
	buf_release(&b);
}

/* The host of a stored (validated) absolute URL, lowercased, without
 * userinfo, brackets or port. */
static void url_host(const char *u, size_t n, char *out, size_t cap)
{
	struct url_parts p;
	size_t k = 0;

	if (url_split(u, n, &p) == 0)
		for (; k < p.host.len && k + 1 < cap; k++) {
			char c = u[p.host.off + k];

			out[k] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
	out[k] = '\0';
}

static struct audit_rec *find(struct audit *a, const char *id)
{
	unsigned char bin[REC_ID_BIN];
	long i;

	rec_id_pack(id, bin);
	i = idtab_find(&a->idx, a->recs, bin);
	return i < 0 ? NULL : &a->recs[i];
}

static void fold_request(struct audit *a, const struct spool_item *it)
{
	struct rec_req q;
	struct audit_rec *r;
	struct rd_err err;
	char host[256];

	if (rec_req_parse(&a->rp, it->line, it->len, 1, &q, &err) < 0) {
		a->s.bad_lines++;
		return;
	}
	if (find(a, q.id))
		return;
	switch (a->o.sel ? sel_match(a->o.sel, &q, it->line, it->len, &err) : 1) {
	case 1:
		break;
	case 0:
		return;
	default:
		if (!a->where_failed++) {
			snprintf(a->where_first, sizeof(a->where_first), "%s", q.id);
			snprintf(a->where_why, sizeof(a->where_why), "%s", err.msg);
		}
		return;
	}
	if (a->o.limit && a->n >= a->o.limit)
		return;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		a->recs = xrealloc(a->recs, a->cap * sizeof(*a->recs));
	}
	r = &a->recs[a->n];
	memset(r, 0, sizeof(*r));
	rec_id_pack(q.id, r->id);
	r->captured_s = to_s(q.captured_ms);
	r->ftype = dim_get(&a->s.by_failure, q.fail_type.p, q.fail_type.n);
	url_host(q.url.p, q.url.n, host, sizeof(host));
	r->host = dim_get(&a->s.by_host, host, strlen(host));
	buf_reset(&a->scratch);
	audit_route(&a->o, &q, &a->scratch);
	r->route = dim_get(&a->s.by_route, a->scratch.data, a->scratch.len);
	a->n++;
	idtab_add(&a->idx, a->recs, a->n - 1, a->n);
	span(a, q.captured_ms);
	timeline_count(&a->s.tl, q.captured_ms, TL_CAPTURES, 1);
	first(&a->s.at.first_failure, q.captured_ms);
	if (q.captured_ms > a->s.at.last_failure)
		a->s.at.last_failure = q.captured_ms;
}

static void resolved(struct audit *a, int64_t ms)
{
	timeline_count(&a->s.tl, ms, TL_RESOLVED, 1);
	if (ms > a->s.at.last_resolved)
		a->s.at.last_resolved = ms;
}

static void copy_str(char *dst, size_t cap, struct rec_str s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;

	if (n)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* Remember an attempt: its dead event, if one follows, moves it from
 * its count to TL_DEAD and takes its response as an example. */
static void keep_attempt(struct audit *a, const struct rec_event *e,
			 enum tl_count k)
{
	struct audit_example *x = &a->last;

	memset(x, 0, sizeof(*x));
	memcpy(x->id, e->ref, sizeof(x->id));
	x->status = e->status;
	copy_str(x->error, sizeof(x->error), e->error);
	if (e->has_response) {
		copy_str(x->status_line, sizeof(x->status_line), e->status_line);
		x->body_len = e->resp_body.n < sizeof(x->body) ? e->resp_body.n :
			      sizeof(x->body);
		if (x->body_len)
			memcpy(x->body, e->resp_body.p, x->body_len);
		x->truncated = e->resp_truncated || e->resp_body.n > x->body_len;
	}
	a->last_at = e->at_ms;
	a->last_count = k;
}

/* A reason with its times folded out, so that records that died for
 * the same reason at different times group together. */
static void reason_key(const struct rec_str *r, struct buf *out)
{
	size_t i = 0;
	int64_t ms;

	while (i < r->n) {
		if (r->n - i >= REC_TIME_LEN &&
		    rec_time_parse(r->p + i, REC_TIME_LEN, &ms) == 0) {
			buf_adds(out, "(time)");
			i += REC_TIME_LEN;
		} else {
			buf_addc(out, r->p[i++]);
		}
	}
}

/* A dead event that ended a record: the timeline, the reason, and the
 * last attempt's response as an example. */
static void fold_dead(struct audit *a, struct audit_rec *r,
		      const struct rec_event *e)
{
	int cached = a->last.id[0] && strcmp(a->last.id, e->ref) == 0;
	uint16_t ri;

	if (cached) {
		timeline_count(&a->s.tl, a->last_at, a->last_count, -1);
		timeline_count(&a->s.tl, a->last_at, TL_DEAD, 1);
	} else {
		timeline_count(&a->s.tl, e->at_ms, TL_EXPIRED, 1);
	}
	buf_reset(&a->scratch);
	reason_key(&e->reason, &a->scratch);
	ri = dim_get(&a->s.by_reason, a->scratch.data ? a->scratch.data : "",
		     a->scratch.len);
	r->reason = ri;
	if (ri < AUDIT_EXAMPLE_REASONS &&
	    a->s.nex < sizeof(a->s.ex) / sizeof(a->s.ex[0])) {
		size_t have = 0;

		for (size_t i = 0; i < a->s.nex; i++)
			have += a->s.ex[i].reason == ri;
		if (have < AUDIT_EXAMPLES) {
			struct audit_example *x = &a->s.ex[a->s.nex++];

			if (cached)
				*x = a->last;
			else
				memset(x, 0, sizeof(*x));
			memcpy(x->id, e->ref, sizeof(x->id));
			x->reason = ri;
		}
	}
	a->last.id[0] = '\0';
}

/* An attempt's details: outcome counts, latency, the timeline. */
static void fold_attempt(struct audit *a, struct audit_rec *r,
			 const struct rec_event *e)
{
	enum tl_count k = e->outcome == REC_OUT_OK ? TL_OK :
			  e->status ? TL_RETRY : TL_UNKNOWN;

	r->status = (uint16_t)e->status;
	a->s.attempts_ok += e->outcome == REC_OUT_OK;
	a->s.attempts_retry += e->outcome == REC_OUT_RETRY;
	a->s.attempts_permanent += e->outcome == REC_OUT_PERMANENT;
	if (e->status) {
		hist_add(&a->s.latency, e->latency_ms);
		timeline_latency(&a->s.tl, e->at_ms, e->latency_ms);
	}
	timeline_count(&a->s.tl, e->at_ms, k, 1);
	keep_attempt(a, e, k);
	span(a, e->at_ms);
	first(&a->s.at.drain_start, e->at_ms);
}

/* The record's state through the lifecycle (life.h), as compact as the
 * entry keeps it. */
static enum life_change apply(struct audit_rec *r, const struct rec_event *e)
{
	struct life l;
	enum life_change ch;

	l.state = (enum life_state)r->state;
	l.due_ms = r->due_s ? from_s(r->due_s) : 0;
	l.attempts = r->attempts;
	l.earlier = r->earlier;
	l.revives = r->revives;
	ch = life_apply(&l, e);
	r->state = (uint8_t)l.state;
	r->due_s = l.due_ms ? to_s(l.due_ms) : 0;
	r->attempts = l.attempts > UINT16_MAX ? UINT16_MAX : (uint16_t)l.attempts;
	r->earlier = l.earlier > UINT16_MAX ? UINT16_MAX : (uint16_t)l.earlier;
	r->revives = l.revives > 31 ? 31 : (uint8_t)l.revives;
	return ch;
}

/* An intent: the send is counted now (life.h); its outcome, if one
 * comes, closes it. */
static void open_intent(struct audit *a, struct audit_rec *r,
			const struct rec_event *e)
{
	struct audit_intent *x;

	if (a->nopen == a->capopen) {
		/* drop the closed ones before growing */
		size_t j = 0;

		for (size_t i = 0; i < a->nopen; i++)
			if (a->open[i].attempt)
				a->open[j++] = a->open[i];
		a->nopen = j;
		if (!a->capopen || a->nopen * 2 > a->capopen) {
			a->capopen = a->capopen ? a->capopen * 2 : 256;
			a->open = xrealloc(a->open, a->capopen * sizeof(*a->open));
		}
	}
	x = &a->open[a->nopen++];
	x->at_ms = e->at_ms;
	x->rec = (uint32_t)(r - a->recs);
	x->attempt = e->attempt > 0 ? (uint32_t)e->attempt : 1;
	r->open = 1;
	a->liveopen++;
}

/* The outcome of an attempt, or its withdraw (the send never started),
 * closes its intent: the latest open one of the record with that number
 * (they are near the end). */
static void close_intent(struct audit *a, struct audit_rec *r,
			 const struct rec_event *e)
{
	uint32_t ri = (uint32_t)(r - a->recs);
	int more = 0;

	for (size_t i = a->nopen; i-- > 0;) {
		struct audit_intent *x = &a->open[i];

		if (x->rec != ri || !x->attempt)
			continue;
		if (x->attempt == (uint32_t)e->attempt && x->attempt) {
			x->attempt = 0;
			a->liveopen--;
			continue;
		}
		more = 1;
	}
	r->open = more;
}

static void fold_event(struct audit *a, const struct spool_item *it)
{
	struct rec_event e;
	struct audit_rec *r;
	struct rd_err err;
	enum life_change ch;

	if (rec_event_parse(&a->rp, it->line, it->len, &e, &err) < 0) {
		a->s.bad_lines++;
		return;
	}
	if (!(r = find(a, e.ref)))
		return;
	ch = apply(r, &e);
	if (ch == LIFE_RESOLVED)
		resolved(a, e.at_ms);
	if (e.kind == REC_INTENT)
		open_intent(a, r, &e);
	if ((e.kind == REC_ATTEMPT || e.kind == REC_WITHDRAW) && r->open)
		close_intent(a, r, &e);
	if (e.kind == REC_ATTEMPT)
		fold_attempt(a, r, &e);
	else if (e.kind == REC_DEAD && ch == LIFE_RESOLVED)
		fold_dead(a, r, &e);
	else if (ch == LIFE_REOPENED) {
		timeline_count(&a->s.tl, e.at_ms, TL_REVIVED, 1);
		a->s.revived++;
	}
}

/* A replay run's report: its rate and gate over time. */
static void fold_run(struct audit *a, const struct spool_item *it)
{
	struct rec_run r;
	struct rd_err err;

	if (rec_run_parse(it->line, it->len, &r, &err) < 0) {
		a->s.bad_lines++;
		return;
	}
	a->s.run_lines++;
	timeline_run(&a->s.tl, r.at_ms, r.rate_limit, r.gate == REC_GATE_CLOSED,
		     r.ended);
	if (r.gate == REC_GATE_OPEN)
		first(&a->s.at.gate_open, r.at_ms);
}

/* What rd-compact removed: counted in the totals (a selection cannot
 * see into a rollup, so a selecting audit leaves it out). */
static void fold_rollup(struct audit *a, const struct spool_item *it)
{
	struct rec_rollup r;
	struct rd_err err;

	if (rec_rollup_parse(it->line, it->len, &r, &err) < 0) {
		a->s.bad_lines++;
		return;
	}
	if ((a->o.sel && !sel_all(a->o.sel)) || a->o.limit)
		return;
	a->s.compacted += r.requests;
	a->s.requests += r.requests;
	a->s.ok += r.ok;
	a->s.dead += r.dead;
	a->s.attempts += r.sends;
	a->s.attempts_ok += r.sends_ok;
	a->s.attempts_retry += r.sends_retry;
	a->s.attempts_permanent += r.sends_permanent;
	/* a send whose outcome never came has none of the three: the
	 * rest of sends (a counter must not go down when compaction
	 * folds them away) */
	if (r.sends > r.sends_ok + r.sends_retry + r.sends_permanent)
		a->s.attempts_unknown += r.sends - r.sends_ok - r.sends_retry -
					 r.sends_permanent;
	a->s.replayed += r.replayed;
	if (r.first_ms)
		span(a, r.first_ms);
	if (r.last_ms)
		span(a, r.last_ms);
}

/* A record the checkpoint says is dead, whose dead event was not read
 * (a damaged member before the checkpoint's position). */
#define REASON_UNREAD "unknown: its dead event could not be read"

/* At the checkpoint's position: every record so far is one it covers,
 * and its state is the checkpoint's (resolved when it was compacted out
 * of it), as rd-replay resumes. */
static void cross(struct audit *a)
{
	a->crossed = 1;
	for (size_t i = 0; i < a->n; i++) {
		struct audit_rec *r = &a->recs[i];
		char id[REC_ID_LEN + 1];
		const struct pend_ent *e;
		uint8_t was = r->state;

		rec_id_unpack(r->id, id);
		e = pend_get(a->o.ckpt, id);
		r->state = e ? e->state : (uint8_t)LIFE_DONE;
		/* a dead letter is listed by its reason: one it has */
		if (r->state == AUDIT_DEAD && was != AUDIT_DEAD)
			r->reason = dim_get(&a->s.by_reason, REASON_UNREAD,
					    strlen(REASON_UNREAD));
		if (e) {
			r->due_s = e->due_ms ? to_s(e->due_ms) : 0;
			r->attempts = e->attempts;
			r->revives = e->revives > 31 ? 31 : e->revives;
		}
	}
}

void audit_fold(struct audit *a, const struct spool_item *it)
{
	enum rec_kind k = rec_kind_peek(it->line, it->len);

	if (a->o.ckpt && !a->crossed && spool_pos_cmp(&it->pos, &a->o.ckpt_at) >= 0)
		cross(a);

	if (k == REC_REQUEST)
		fold_request(a, it);
	else if (k != REC_UNKNOWN)
		fold_event(a, it);
	else if (rec_run_peek(it->line, it->len))
		fold_run(a, it);
	else if (rec_rollup_peek(it->line, it->len))
		fold_rollup(a, it);
}

/* Every send made for the record, across revives. */
static uint32_t sends(const struct audit_rec *r)
{
	return (uint32_t)r->attempts + r->earlier;
}

static void count(struct audit_group *g, const struct audit_rec *r)
{
	g->requests++;
	g->pending += r->state == AUDIT_PENDING;
	g->ok += r->state == AUDIT_OK;
	g->dead += r->state == AUDIT_DEAD;
	g->attempts += sends(r);
	g->replayed += sends(r) > 0;
}

void audit_finish(struct audit *a)
{
	struct audit_summary *s = &a->s;
	int32_t now = to_s(a->o.now_ms);

	if (a->o.ckpt && !a->crossed)
		cross(a);

	for (size_t i = 0; i < a->n; i++) {
		const struct audit_rec *r = &a->recs[i];
		char st[16];
		uint16_t si;

		s->requests++;
		if (r->state == AUDIT_OK) {
			s->ok++;
		} else if (r->state == AUDIT_DEAD) {
			s->dead++;
		} else {
			s->pending++;
			if (r->due_s <= now)
				s->due++;
			else
				s->backing_off++;
			if (!s->oldest_pending_ms || from_s(r->captured_s) < s->oldest_pending_ms)
				s->oldest_pending_ms = from_s(r->captured_s);
		}
		s->attempts += sends(r);
		s->replayed += sends(r) > 0;
		s->by_attempts[sends(r) < 6 ? sends(r) : 6]++;
		count(&s->by_failure.g[r->ftype], r);
		count(&s->by_host.g[r->host], r);
		count(&s->by_route.g[r->route], r);
		if (r->status)
			snprintf(st, sizeof(st), "%u", r->status);
		else
			snprintf(st, sizeof(st), "%s", sends(r) ? "no response" : "not replayed");
		si = dim_get(&s->by_status, st, strlen(st));
		count(&s->by_status.g[si], r);
	}
	/* dead letters: records still dead, and examples of them */
	for (size_t i = 0; i < a->n; i++)
		if (a->recs[i].state == AUDIT_DEAD)
			count(&s->by_reason.g[a->recs[i].reason], &a->recs[i]);
	for (size_t i = 0, k = 0; i < s->nex; i++) {
		struct audit_rec *r = find(a, s->ex[i].id);

		if (r && r->state == AUDIT_DEAD)
			s->ex[k++] = s->ex[i];
		if (i + 1 == s->nex)
			s->nex = k;
	}
	/* sends begun whose outcome never came: outcome unknown */
	for (size_t i = 0; i < a->nopen; i++)
		if (a->open[i].attempt) {
			s->attempts_unknown++;
			timeline_count(&s->tl, a->open[i].at_ms, TL_UNKNOWN, 1);
		}
	if (!s->pending && s->at.last_resolved)
		s->at.drained = s->at.last_resolved;
}

int audit_state_of(struct audit *a, const char *id, uint32_t *attempts)
{
	struct audit_rec *r = find(a, id);

	if (!r)
		return -1;
	if (attempts)
		*attempts = sends(r);
	return r->state;
}
