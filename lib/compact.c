/*
 * compact.c - retention (see compact.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "compact.h"
#include "idtab.h"
#include "life.h"
#include "num.h"
#include "rec.h"
#include "rec_rollup.h"
#include "xalloc.h"
#include "banned.h"

struct crec {                   /* one request: starts with its id */
	unsigned char id[REC_ID_BIN];
	struct life life;
	int64_t first_ms, last_ms;  /* its capture, its last line */
	uint64_t req_part;          /* the part its capture is in */
	uint64_t last_part;         /* the part of its last line */
	uint64_t bytes;             /* its lines' bytes, uncompressed */
	uint32_t out[3];            /* attempts by outcome (enum rec_outcome) */
	uint32_t lines;             /* its lines */
	int gone;                   /* removed by this run */
};

/* An event about no request the fold has seen, when it was read. */
struct orphan {
	unsigned char ref[REC_ID_BIN];
	uint64_t part;
	uint64_t bytes;
	int64_t at_ms;
};

struct fold {
	const struct compact_opts *o;
	struct idtab ids;
	struct crec *v;
	size_t n, cap;
	struct rec_parser rp;
	uint64_t newest;            /* the part writers append to */
	uint64_t part;              /* the part being rewritten */
	uint64_t all_bytes;         /* every line's bytes, uncompressed */
	struct compact_stats *st;
	int dead_go;                /* --dead, and nothing damaged was skipped */
	int orphans_go;             /* nothing damaged was skipped */
	struct orphan *orph;        /* candidates, in log order */
	size_t norph, corph;
	uint64_t *oparts;           /* parts holding orphans that go, sorted */
	size_t noparts;
};

/* The request a line is about (its own id, or an event's ref): its
 * entry, or NULL (a run or rollup line, or about no known request).
 * *req: 1 for the request line itself; else *ev is the event, and
 * *orphan 1 when it is about no known request. */
static struct crec *line_rec(struct fold *f, const char *line, size_t n,
			     int add, int *req, int *orphan, struct rec_event *ev)
{
	enum rec_kind kind = rec_kind_peek(line, n);
	unsigned char bin[REC_ID_BIN];
	struct rec_req q;
	struct rd_err lerr;
	const char *id;
	long i;

	*req = kind == REC_REQUEST;
	*orphan = 0;
	if (kind == REC_UNKNOWN)
		return NULL;
	if (kind == REC_REQUEST) {
		if ((id = rec_request_id_peek(line, n)))
			;
		else if (rec_req_parse(&f->rp, line, n, 1, &q, &lerr) == 0)
			id = q.id;
		else
			return NULL;
	} else {
		if (rec_event_parse(&f->rp, line, n, ev, &lerr) < 0)
			return NULL;
		id = ev->ref;
	}
	rec_id_pack(id, bin);
	if ((i = idtab_find(&f->ids, f->v, bin)) >= 0 || !add || kind != REC_REQUEST) {
		*orphan = i < 0 && kind != REC_REQUEST;
		return i >= 0 ? &f->v[i] : NULL;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 1024;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	memset(&f->v[f->n], 0, sizeof(f->v[f->n]));
	memcpy(f->v[f->n].id, bin, REC_ID_BIN);
	life_init(&f->v[f->n].life);
	f->v[f->n].first_ms = f->v[f->n].last_ms = rec_id_ms(id);
	idtab_add(&f->ids, f->v, f->n, f->n + 1);
	return &f->v[f->n++];
}

/* An event about no request seen so far: what a compaction that was
 * interrupted between two parts leaves, after it removed the request
 * and before it reached the part of these events.  Judged once the
 * whole log is read (orphans_pick). */
static void orphan_add(struct fold *f, const struct rec_event *ev,
		       const struct spool_item *it)
{
	struct orphan *o;

	if (f->norph == f->corph) {
		f->corph = f->corph ? 2 * f->corph : 256;
		f->orph = xrealloc(f->orph, f->corph * sizeof(*f->orph));
	}
	o = &f->orph[f->norph++];
	rec_id_pack(ev->ref, o->ref);
	o->part = it->pos.seg;
	o->bytes = it->len + 1;
	o->at_ms = ev->at_ms;
}

/* One line of the fold: requests added, events applied. */
static void fold_line(struct fold *f, const struct spool_item *it)
{
	struct rec_event ev;
	struct crec *r;
	int req, orphan;

	f->all_bytes += it->len + 1;
	if (!(r = line_rec(f, it->line, it->len, 1, &req, &orphan, &ev))) {
		if (orphan)
			orphan_add(f, &ev, it);
		return;
	}
	if (req) {
		/* the same capture twice: the first counts, but the part
		 * the second sits in is the request's too, or it would stay
		 * there, alone, and read as pending once the rest went */
		if (r->bytes) {
			if (it->pos.seg > r->last_part)
				r->last_part = it->pos.seg;
			r->bytes += it->len + 1;
			r->lines++;
			return;
		}
		r->req_part = r->last_part = it->pos.seg;
	} else {
		life_apply(&r->life, &ev);
		if (ev.kind == REC_ATTEMPT && ev.outcome <= REC_OUT_PERMANENT)
			r->out[ev.outcome]++;
		if (ev.at_ms > r->last_ms)
			r->last_ms = ev.at_ms;
		if (it->pos.seg > r->last_part)
			r->last_part = it->pos.seg;
	}
	r->bytes += it->len + 1;
	r->lines++;
}

static int fold_log(struct fold *f, struct spool *sp, struct rd_err *err)
{
	struct spool_iter *it;
	struct spool_item item;
	int ret;

	if ((ret = spool_iter_new(sp, NULL, &it, err)) < 0)
		return ret;
	while ((ret = spool_iter_next(it, &item, err)) > 0)
		fold_line(f, &item);
	/* What a damaged member held cannot be known: a revive there
	 * would make a record that looks dead pending again.  Dead ones
	 * stay then (delivered is final, whatever came after). */
	f->dead_go = f->o->dead;
	/* a damaged member may hold the request of an event that looks
	 * orphaned */
	f->orphans_go = !spool_iter_damaged(it);
	if (f->o->dead && spool_iter_damaged(it)) {
		f->dead_go = 0;
		f->st->dead_held = 1;
	}
	spool_iter_free(it);
	return ret;
}

/* 1 when requests that would go have lines in the newest part: sealing
 * it lets them go too. */
static int newest_holds(const struct fold *f)
{
	const struct compact_opts *o = f->o;

	for (size_t i = 0; i < f->n; i++) {
		const struct crec *r = &f->v[i];

		if ((r->life.state == LIFE_DONE || (f->dead_go && r->life.state == LIFE_DEAD)) &&
		    r->last_ms <= o->now_ms - o->keep_ms && r->last_part >= f->newest)
			return 1;
	}
	return 0;
}

/* Which requests go; 1 when any does. */
static int choose(struct fold *f)
{
	const struct compact_opts *o = f->o;
	struct compact_stats *st = f->st;
	int any = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct crec *r = &f->v[i];
		int resolved = r->life.state == LIFE_DONE ||
			       (f->dead_go && r->life.state == LIFE_DEAD);

		if (resolved && r->last_ms <= o->now_ms - o->keep_ms &&
		    r->last_part < f->newest) {
			r->gone = 1;
			any = 1;
			st->removed++;
			st->removed_ok += r->life.state == LIFE_DONE;
			st->removed_dead += r->life.state == LIFE_DEAD;
			continue;
		}
		st->kept_pending += r->life.state == LIFE_PENDING;
		st->kept_dead += r->life.state == LIFE_DEAD;
		st->kept_ok += r->life.state == LIFE_DONE;
	}
	st->requests = f->n;
	return any;
}

/* 1 when an orphan event at at_ms in a sealed part goes. */
static int orphan_goes(const struct fold *f, int64_t at_ms)
{
	return f->orphans_go && at_ms <= f->o->now_ms - f->o->keep_ms;
}

/* Which orphans go, once the whole log is read (a request line after
 * its events, as in merged spools, makes them no orphans): counted, and
 * their parts noted for rewriting.  1 when any goes. */
static int orphans_pick(struct fold *f)
{
	for (size_t i = 0; i < f->norph; i++) {
		const struct orphan *o = &f->orph[i];

		if (o->part >= f->newest || !orphan_goes(f, o->at_ms) ||
		    idtab_find(&f->ids, f->v, o->ref) >= 0)
			continue;
		f->st->removed_orphans++;
		f->st->orphan_bytes += o->bytes;
		if (!f->noparts || f->oparts[f->noparts - 1] != o->part) {
			f->oparts = xrealloc(f->oparts, (f->noparts + 1) * sizeof(*f->oparts));
			f->oparts[f->noparts++] = o->part;
		}
	}
	return f->st->removed_orphans > 0;
}

static int keep_line(void *ctx, const char *line, size_t n)
{
	struct fold *f = ctx;
	struct rec_event ev;
	struct crec *r;
	int req, orphan;

	if (!(r = line_rec(f, line, n, 0, &req, &orphan, &ev))) {
		if (!orphan || !orphan_goes(f, ev.at_ms))
			return 1;
	} else if (!r->gone) {
		return 1;
	}
	f->st->removed_lines++;
	return 0;
}

/* The rollup of the requests captured in part p that go. */
static void rollup(struct fold *f, uint64_t p, struct buf *out)
{
	struct rec_rollup ru;
	struct rec_idgen g;
	struct rd_err lerr;

	memset(&ru, 0, sizeof(ru));
	for (size_t i = 0; i < f->n; i++) {
		const struct crec *r = &f->v[i];

		if (!r->gone || r->req_part != p)
			continue;
		ru.requests++;
		ru.ok += r->life.state == LIFE_DONE;
		ru.dead += r->life.state == LIFE_DEAD;
		ru.sends += life_sends(&r->life);
		ru.sends_ok += r->out[REC_OUT_OK];
		ru.sends_retry += r->out[REC_OUT_RETRY];
		ru.sends_permanent += r->out[REC_OUT_PERMANENT];
		ru.replayed += life_sends(&r->life) > 0;
		if (!ru.first_ms || r->first_ms < ru.first_ms)
			ru.first_ms = r->first_ms;
		if (r->last_ms > ru.last_ms)
			ru.last_ms = r->last_ms;
	}
	if (!ru.requests)
		return;
	ru.at_ms = f->o->now_ms;
	if (rec_idgen_init(&g, &lerr) == 0)
		rec_id_next(&g, ru.at_ms, ru.id);
	rec_rollup_to_json(out, &ru);
}

/* 1 when part p holds a line of a request that goes, or an orphan. */
static int touched(const struct fold *f, uint64_t p)
{
	for (size_t i = 0; i < f->noparts; i++)
		if (f->oparts[i] == p)
			return 1;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].gone && f->v[i].req_part <= p && p <= f->v[i].last_part)
			return 1;
	return 0;
}

/* Part p stays as it is (damage): the requests captured there stay, and
 * so do their events in later parts.  (Parts go in log order, and a
 * request comes before its events, so none of those is gone yet.) */
static void keep_part(struct fold *f, uint64_t p)
{
	for (size_t i = 0; i < f->n; i++) {
		struct crec *r = &f->v[i];

		if (!r->gone || r->req_part != p)
			continue;
		r->gone = 0;
		f->st->removed--;
		f->st->removed_ok -= r->life.state == LIFE_DONE;
		f->st->removed_dead -= r->life.state == LIFE_DEAD;
		f->st->kept_ok += r->life.state == LIFE_DONE;
		f->st->kept_dead += r->life.state == LIFE_DEAD;
	}
}

static int rewrite_all(struct fold *f, struct spool *sp, const uint64_t *parts,
		       size_t nparts, struct rd_err *err)
{
	struct buf add;
	int ret = 0, removed_ckpt = 0;

	buf_init(&add);
	for (size_t i = 0; i + 1 < nparts; i++) {
		struct spool_rewrite rw = { keep_line, f, NULL, 0 };
		struct spool_rewrite_stats rs;
		struct rd_err lerr;

		if (!touched(f, parts[i]))
			continue;
		/* the claim taken from under it (its lock file removed or
		 * replaced): a replay may run now, so no part changes more */
		if ((ret = spool_claim_check(sp, err)) < 0)
			break;
		/* no checkpoint may point into a part that changes */
		if (!removed_ckpt && (ret = spool_state_remove(sp, CKPT_NAME, err)) < 0)
			break;
		removed_ckpt = 1;
		buf_reset(&add);
		rollup(f, parts[i], &add);
		rw.add = add.data;
		rw.add_len = add.len;
		ret = spool_rewrite(sp, parts[i], &rw, &rs, &lerr);
		if (ret == RD_E_CORRUPT) {
			f->st->parts_damaged++;
			keep_part(f, parts[i]);
			ret = 0;
			continue;
		}
		if (ret < 0) {
			*err = lerr;
			break;
		}
		f->st->parts_rewritten += ret;
		ret = 0;
	}
	buf_release(&add);
	return ret;
}

void compact_hint(const char *where, int trust, int64_t now_ms, char *out,
		  size_t n)
{
	struct compact_opts o = { COMPACT_KEEP_MS, 0, 1, now_ms };
	struct compact_stats st;
	struct spool_opts so;
	struct spool *sp;
	struct rd_err err;
	uint64_t bytes;
	char b[NUM_LEN];
	int ret;

	out[0] = '\0';
	/* a handle of its own: a writer's is never used to read the log */
	spool_opts_init(&so);
	so.trust = trust;
	if (spool_open(where, &so, &sp, &err) < 0)
		return;
	/* the dry run reads the whole log: on a large spool, an error that
	 * comes back fast says where to look instead */
	if (spool_usage(sp, &bytes, &err) < 0 || bytes > COMPACT_HINT_MAX) {
		spool_close(sp);
		snprintf(out, n, "; rd-compact --dry-run says what compaction would free");
		return;
	}
	ret = compact_run(sp, &o, &st, &err);
	spool_close(sp);
	if (ret < 0)
		return;
	if (!st.removed)
		snprintf(out, n, "; nothing resolved is older than 7 days for rd-compact to remove");
	else
		snprintf(out, n, "; rd-compact would free about %s (%llu requests resolved over 7 days ago)",
			 num_bytes(st.bytes_freed, b, sizeof(b)),
			 (unsigned long long)st.removed);
}

int compact_run(struct spool *sp, const struct compact_opts *o,
		struct compact_stats *st, struct rd_err *err)
{
	struct fold f;
	uint64_t *parts = NULL;
	size_t nparts = 0;
	int ret;

	memset(st, 0, sizeof(*st));
	memset(&f, 0, sizeof(f));
	f.o = o;
	f.st = st;
	idtab_init(&f.ids, sizeof(struct crec));
	rec_parser_init(&f.rp);
	if (!o->dry && (ret = spool_rewrite_clean(sp, &st->leftovers, err)) < 0)
		goto out;
	if ((ret = spool_usage(sp, &st->bytes_before, err)) < 0 ||
	    (ret = spool_parts(sp, &parts, &nparts, err)) < 0)
		goto out;
	st->parts = nparts;
	f.newest = nparts ? parts[nparts - 1] : 0;
	if ((ret = fold_log(&f, sp, err)) < 0)
		goto out;
	/* history in the part writers append to: seal it (a dry run says
	 * what the real one would do) */
	if (newest_holds(&f)) {
		if (o->dry || (ret = spool_seal(sp, err)) > 0) {
			f.newest++;
			st->sealed = 1;
		} else if (ret < 0) {
			goto out;
		}
		if (!o->dry) {
			free(parts);
			if ((ret = spool_parts(sp, &parts, &nparts, err)) < 0)
				goto out;
			st->parts = nparts;
		}
	}
	if (!(choose(&f) | orphans_pick(&f))) {
		st->bytes_after = st->bytes_before;
		goto out;
	}
	if (o->dry) {
		/* on disk, in the proportion of the lines that go */
		uint64_t gone = st->orphan_bytes;

		st->removed_lines = st->removed_orphans;

		for (size_t i = 0; i < f.n; i++) {
			gone += f.v[i].gone ? f.v[i].bytes : 0;
			st->removed_lines += f.v[i].gone ? f.v[i].lines : 0;
		}
		if (f.all_bytes)
			st->bytes_freed = (uint64_t)((double)st->bytes_before *
						     (double)gone / (double)f.all_bytes);
		st->bytes_after = st->bytes_before - st->bytes_freed;
		goto out;
	}
	if ((ret = rewrite_all(&f, sp, parts, nparts, err)) < 0)
		goto out;
	if ((ret = spool_usage(sp, &st->bytes_after, err)) < 0)
		goto out;
	st->bytes_freed = st->bytes_before > st->bytes_after ?
			  st->bytes_before - st->bytes_after : 0;
out:
	free(parts);
	free(f.v);
	free(f.orph);
	free(f.oparts);
	idtab_release(&f.ids);
	rec_parser_release(&f.rp);
	return ret;
}
