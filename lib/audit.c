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
#include "rx.h"
#include "url.h"
#include "xalloc.h"
#include "banned.h"

#define AUDIT_EPOCH_MS 1577836800000LL /* 2020-01-01T00:00:00Z */
#define TL_MAX_MIN (1u << 20)          /* two years of minutes */

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
	return s == AUDIT_OK ? "ok" : s == AUDIT_DEAD ? "dead" : "pending";
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
	free(a->tl_min_cap);
	free(a->tl_min_att);
	memset(a, 0, sizeof(*a));
}

static void span(struct audit *a, int64_t ms)
{
	if (!a->s.first_ms || ms < a->s.first_ms)
		a->s.first_ms = ms;
	if (ms > a->s.last_ms)
		a->s.last_ms = ms;
}

/* Count one capture (kind 0) or attempt (kind 1) in its minute. */
static void tl_add(struct audit *a, int64_t ms, int kind)
{
	int64_t m = ms / 60000;
	size_t i;

	if (!a->tl_len) {
		a->tl_base_min = m;
		a->tl_len = 1;
		a->tl_min_cap = xcalloc(1, sizeof(uint64_t));
		a->tl_min_att = xcalloc(1, sizeof(uint64_t));
	}
	if (m < a->tl_base_min) {
		/* shift right to make room for an earlier minute */
		size_t shift = (size_t)(a->tl_base_min - m);

		if (a->tl_len + shift > TL_MAX_MIN)
			m = a->tl_base_min;
		else {
			a->tl_min_cap = xrealloc(a->tl_min_cap, (a->tl_len + shift) * sizeof(uint64_t));
			a->tl_min_att = xrealloc(a->tl_min_att, (a->tl_len + shift) * sizeof(uint64_t));
			memmove(a->tl_min_cap + shift, a->tl_min_cap, a->tl_len * sizeof(uint64_t));
			memmove(a->tl_min_att + shift, a->tl_min_att, a->tl_len * sizeof(uint64_t));
			memset(a->tl_min_cap, 0, shift * sizeof(uint64_t));
			memset(a->tl_min_att, 0, shift * sizeof(uint64_t));
			a->tl_len += shift;
			a->tl_base_min = m;
		}
	}
	i = (size_t)(m - a->tl_base_min);
	if (i >= TL_MAX_MIN)
		i = TL_MAX_MIN - 1;
	if (i >= a->tl_len) {
		a->tl_min_cap = xrealloc(a->tl_min_cap, (i + 1) * sizeof(uint64_t));
		a->tl_min_att = xrealloc(a->tl_min_att, (i + 1) * sizeof(uint64_t));
		memset(a->tl_min_cap + a->tl_len, 0, (i + 1 - a->tl_len) * sizeof(uint64_t));
		memset(a->tl_min_att + a->tl_len, 0, (i + 1 - a->tl_len) * sizeof(uint64_t));
		a->tl_len = i + 1;
	}
	(kind ? a->tl_min_att : a->tl_min_cap)[i]++;
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
	if (a->o.sel && sel_match(a->o.sel, &q, it->line, it->len, &err) != 1)
		return;
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
	tl_add(a, q.captured_ms, 0);
}

static void fold_event(struct audit *a, const struct spool_item *it)
{
	struct rec_event e;
	struct audit_rec *r;
	struct rd_err err;

	if (rec_event_parse(&a->rp, it->line, it->len, &e, &err) < 0) {
		a->s.bad_lines++;
		return;
	}
	if (!(r = find(a, e.ref)))
		return;
	switch (e.kind) {
	case REC_ATTEMPT:
		r->attempts++;
		r->status = (uint16_t)e.status;
		a->s.attempts++;
		if (e.outcome.n == 2 && memcmp(e.outcome.p, "ok", 2) == 0) {
			a->s.attempts_ok++;
			r->state = AUDIT_OK;
		} else if (e.outcome.n == 5 && memcmp(e.outcome.p, "retry", 5) == 0) {
			a->s.attempts_retry++;
			if (r->state == AUDIT_PENDING)
				r->due_s = to_s(e.next_due_ms);
		} else {
			a->s.attempts_permanent++;
		}
		if (e.status)
			hist_add(&a->s.latency, e.latency_ms);
		span(a, e.at_ms);
		tl_add(a, e.at_ms, 1);
		break;
	case REC_DEAD:
		if (r->state != AUDIT_OK)
			r->state = AUDIT_DEAD;
		break;
	case REC_REVIVE:
		if (r->state == AUDIT_DEAD) {
			r->state = AUDIT_PENDING;
			r->due_s = 0;
		}
		a->s.revived++;
		break;
	default:
		break;
	}
}

void audit_fold(struct audit *a, const struct spool_item *it)
{
	enum rec_kind k = rec_kind_peek(it->line, it->len);

	if (k == REC_REQUEST)
		fold_request(a, it);
	else if (k != REC_UNKNOWN)
		fold_event(a, it);
}

static void count(struct audit_group *g, const struct audit_rec *r)
{
	g->requests++;
	g->pending += r->state == AUDIT_PENDING;
	g->ok += r->state == AUDIT_OK;
	g->dead += r->state == AUDIT_DEAD;
	g->attempts += r->attempts;
	g->replayed += r->attempts > 0;
}

void audit_finish(struct audit *a)
{
	struct audit_summary *s = &a->s;
	int32_t now = to_s(a->o.now_ms);

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
		s->replayed += r->attempts > 0;
		s->by_attempts[r->attempts < 6 ? r->attempts : 6]++;
		count(&s->by_failure.g[r->ftype], r);
		count(&s->by_host.g[r->host], r);
		count(&s->by_route.g[r->route], r);
		if (r->status)
			snprintf(st, sizeof(st), "%u", r->status);
		else
			snprintf(st, sizeof(st), "%s", r->attempts ? "no response" : "not replayed");
		si = dim_get(&s->by_status, st, strlen(st));
		count(&s->by_status.g[si], r);
	}
	/* bin the minutes into the timeline */
	if (a->tl_len) {
		for (size_t i = 0; i < a->tl_len; i++) {
			size_t b = a->tl_len > 1 ? i * AUDIT_TIMELINE / a->tl_len : 0;

			s->tl_captures[b] += a->tl_min_cap[i];
			s->tl_attempts[b] += a->tl_min_att[i];
		}
	}
}

int audit_state_of(struct audit *a, const char *id, uint32_t *attempts)
{
	struct audit_rec *r = find(a, id);

	if (!r)
		return -1;
	if (attempts)
		*attempts = r->attempts;
	return r->state;
}
