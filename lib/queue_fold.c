/*
 * queue_fold.c - the queue tier (queue.h) of a log: what the directory
 * backend gives its consumer.
 *
 * The state is the fold of the log through the lifecycle (pend.h): one
 * small entry per unresolved request, where its line sits, its attempts
 * and when it is due.  Opening loads the checkpoint (when it still
 * describes the log) and folds what follows it.  A round reads the log
 * sequentially from the earliest due record to the last, so memory holds
 * only the entries, never the requests.  Every event is applied to the
 * entry at once and goes to the log through the journal; the fold skips
 * what it applied already (events set absolute values, so a second fold
 * of a line changes nothing; a withdraw, read again after its intent is
 * read again, takes the same number back).  One consumer at a time: the
 * claim.  The consumer's selection is asked of each record once, as it
 * is folded in or found in the checkpoint, due or not, so a record not
 * selected is never waited for nor counted.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "clk.h"
#include "journal.h"
#include "pend.h"
#include "queue_be.h"
#include "xalloc.h"
#include "banned.h"

struct fold {
	struct spool *sp;          /* borrowed */
	struct queue_opts o;
	struct pend pend;
	struct rec_parser rp;
	struct journal jr;
	struct spool_pos cursor;   /* where the fold goes on */
	int have_cursor;
	int limited;               /* queue_limit */
	struct spool_iter *it;     /* the round, once begun */
	struct spool_pos from, to; /* its first and last records */
	int round;                 /* planned, not over */
	int read_all;              /* the last round read its whole range */
};

static void say(struct fold *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct fold *f, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	if (!f->o.notice)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->o.notice(f->o.ctx, msg);
}

static int fold_refresh(void *impl, struct rd_err *err)
{
	struct fold *f = impl;
	struct spool_iter *it = NULL;
	struct spool_item item;
	struct rd_err lerr;
	int ret;

	if ((ret = spool_iter_new(f->sp, f->have_cursor ? &f->cursor : NULL,
				  &it, err)) < 0)
		return ret;
	while ((ret = spool_iter_next(it, &item, err)) > 0) {
		if (pend_fold(&f->pend, &item, &f->rp, &lerr) < 0)
			say(f, "skipping a bad line in segment %llu at member %llu line %u: %s",
			    (unsigned long long)item.pos.seg,
			    (unsigned long long)item.pos.off, item.pos.line,
			    lerr.msg);
		f->cursor = item.pos;
		f->cursor.line++;
		f->have_cursor = 1;
	}
	spool_iter_free(it);
	return ret;
}

/* Work this consumer still owns: pending and not passed over (or dead,
 * not yet judged, when reviving). */
static int owned(const struct fold *f, const struct pend_ent *e)
{
	if (e->flags & PEND_F_SKIP)
		return 0;
	if (e->state == PEND_PENDING)
		return 1;
	return e->state == PEND_DEAD && f->o.revive && !(e->flags & PEND_F_SEEN);
}

/* Whether the selection is still to be asked of e. */
static int unjudged(const struct fold *f, const struct pend_ent *e)
{
	return owned(f, e) && !(e->flags & (PEND_F_SEEN | PEND_F_ASKED));
}

static void offered(const struct pend_ent *e, size_t slot,
		    const struct spool_item *item, struct queue_rec *rec)
{
	rec->slot = slot;
	rec->line = item->line;
	rec->len = item->len;
	rec->attempts = e->attempts;
	rec->revives = e->revives;
	rec->dead = e->state == PEND_DEAD;
	rec->seen = !!(e->flags & PEND_F_SEEN);
	rec->picked = !!(e->flags & PEND_F_PICKED);
}

/*
 * Ask the consumer's selection of each record it owns and has not
 * judged, due or not, in one read of the log over their range: one not
 * selected is passed over before its retry is due, so no round waits
 * for it and queue_left does not count it.  A record whose line is not
 * found there is left to be judged when it is offered.
 */
static int fold_select(struct fold *f, struct rd_err *err)
{
	struct spool_iter *it = NULL;
	struct spool_item item;
	struct spool_pos from, to, p;
	struct queue_rec rec;
	size_t n = 0;
	int ret;

	if (!f->o.selects || f->limited)
		return 0;
	for (size_t i = 0; i < f->pend.n; i++) {
		if (!unjudged(f, &f->pend.ents[i]))
			continue;
		pend_pos(&f->pend.ents[i], &p);
		if (!n || spool_pos_cmp(&p, &from) < 0)
			from = p;
		if (!n++ || spool_pos_cmp(&p, &to) > 0)
			to = p;
	}
	if (!n)
		return 0;
	if ((ret = spool_iter_new(f->sp, &from, &it, err)) < 0)
		return ret;
	while ((ret = spool_iter_next(it, &item, err)) > 0 &&
	       spool_pos_cmp(&item.pos, &to) <= 0) {
		const char *idp = rec_request_id_peek(item.line, item.len);
		struct pend_ent *e;

		if (!idp)
			continue;
		memcpy(rec.id, idp, REC_ID_LEN);
		rec.id[REC_ID_LEN] = '\0';
		if (!(e = pend_get(&f->pend, rec.id)) || !unjudged(f, e))
			continue;
		offered(e, (size_t)(e - f->pend.ents), &item, &rec);
		e->flags |= PEND_F_ASKED;
		e->flags |= f->o.selects(f->o.ctx, &rec) ? PEND_F_PICKED :
			    PEND_F_SKIP | PEND_F_SEEN;
	}
	spool_iter_free(it);
	if (ret < 0)
		return ret;
	/* not found: not asked again each round */
	for (size_t i = 0; i < f->pend.n; i++)
		if (unjudged(f, &f->pend.ents[i]))
			f->pend.ents[i].flags |= PEND_F_ASKED;
	return 0;
}

static int fold_refresh_select(void *impl, struct rd_err *err)
{
	int ret = fold_refresh(impl, err);

	return ret < 0 ? ret : fold_select(impl, err);
}

/* The checkpoint, if there is one and it still describes the log: an
 * operator may have deleted segments, or a power loss taken back bytes
 * it had read; either way its position would skip records. */
static int load_checkpoint(struct fold *f, struct rd_err *err)
{
	int ret = ckpt_read(f->sp, &f->pend, &f->cursor, err);

	if (ret == RD_E_CORRUPT) {
		say(f, "ignoring the checkpoint (%s); reading the whole spool",
		    err->msg);
		return 0;
	}
	if (ret == 1)
		f->have_cursor = 1;
	return ret < 0 ? ret : 0;
}

static void fold_free(void *impl)
{
	struct fold *f = impl;

	if (!f)
		return;
	spool_iter_free(f->it);
	journal_release(&f->jr);
	pend_release(&f->pend);
	rec_parser_release(&f->rp);
	free(f);
}

static int fold_open(struct spool *sp, const struct queue_opts *o, void **impl,
		     struct rd_err *err)
{
	struct fold *f = xcalloc(1, sizeof(*f));
	int ret;

	f->sp = sp;
	f->o = *o;
	pend_init(&f->pend);
	rec_parser_init(&f->rp);
	if ((ret = journal_init(&f->jr, sp, o->body_max, err)) < 0 ||
	    (o->consume && (ret = spool_claim(sp, "replay", err)) < 0) ||
	    (ret = load_checkpoint(f, err)) < 0 ||
	    (ret = fold_refresh(f, err)) < 0) {
		fold_free(f);
		return ret;
	}
	*impl = f;
	return 0;
}

static int eligible(const struct fold *f, const struct pend_ent *e, int64_t now)
{
	if (e->flags & (PEND_F_INFLIGHT | PEND_F_SKIP | PEND_F_REFUSED))
		return 0;
	if (e->state == PEND_DEAD)
		return f->o.revive && !(e->flags & PEND_F_SEEN);
	return e->state == PEND_PENDING && e->due_ms <= now;
}

static int waits(const struct fold *f, size_t slot, int64_t now_ns,
		 int64_t *until_ns)
{
	*until_ns = 0;
	return f->o.waits && f->o.waits(f->o.ctx, slot, now_ns, until_ns);
}

/*
 * Whether e was due in the last round's range [from, to], which that
 * round read whole, and its line was not read (damaged on disk since the
 * fold read it, or cut away).  Planned again, it would be sought again at
 * once, for ever: it is skipped by this run instead, and nothing is
 * recorded about it.
 */
static int unread(struct fold *f, struct pend_ent *e, int64_t now,
		  const struct spool_pos *from, const struct spool_pos *to)
{
	struct spool_pos p;

	if (!f->read_all || (e->flags & PEND_F_FOUND) || !owned(f, e) ||
	    !eligible(f, e, now))
		return 0;
	pend_pos(e, &p);
	if (spool_pos_cmp(&p, from) < 0 || spool_pos_cmp(&p, to) > 0)
		return 0;
	e->flags |= PEND_F_SKIP | PEND_F_SEEN;
	return 1;
}

/* Where the round starts and ends, from the entries that are due. */
static int fold_plan(void *impl, int64_t now, int64_t mono, int64_t *next_due)
{
	struct fold *f = impl;
	struct spool_pos from, p, last_from = f->from, last_to = f->to;
	int found = 0, any = 0;
	size_t lost = 0;
	char first[REC_ID_LEN + 1];

	spool_iter_free(f->it);
	f->it = NULL;
	*next_due = INT64_MAX;
	for (size_t i = 0; i < f->pend.n; i++) {
		struct pend_ent *e = &f->pend.ents[i];
		int64_t until;

		if (unread(f, e, now, &last_from, &last_to) && lost++ == 0)
			rec_id_unpack(e->id, first);
		e->flags &= (uint8_t)~PEND_F_FOUND;
		if (!owned(f, e) || (e->flags & PEND_F_REFUSED))
			continue;
		if (f->limited && !(e->flags & PEND_F_SEEN))
			continue;
		any = 1;
		if (e->flags & PEND_F_INFLIGHT)
			continue;
		if (f->o.planned)
			f->o.planned(f->o.ctx, i);
		if (!eligible(f, e, now)) {
			if (e->due_ms < *next_due)
				*next_due = e->due_ms;
			continue;
		}
		if (waits(f, i, mono, &until)) {
			/* a paused host: due when the pause ends; a probe in
			 * flight or a full host: when a send ends or starts */
			int64_t at = until ? now + (until - mono) / 1000000 + 1 : INT64_MAX;

			if (at < *next_due)
				*next_due = at;
			continue;
		}
		pend_pos(e, &p);
		if (!found || spool_pos_cmp(&p, &from) < 0)
			from = p;
		if (!found || spool_pos_cmp(&p, &f->to) > 0)
			f->to = p;
		found = 1;
	}
	if (lost)
		say(f, "%zu pending record%s could not be read from the log (first: %s), skipped by this run; 'rd-audit --verify' names the damage",
		    lost, lost == 1 ? "" : "s", first);
	if (found)
		f->from = from;
	f->round = found;
	f->read_all = 0;
	return found ? 1 : any ? 0 : -1;
}

static int fold_next(void *impl, int64_t now, struct queue_rec *rec,
		     struct rd_err *err)
{
	struct fold *f = impl;
	struct spool_item item;
	int64_t held;
	int ret;

	if (!f->round)
		return 0;
	if (!f->it && (ret = spool_iter_new(f->sp, &f->from, &f->it, err)) < 0)
		return ret;
	while ((ret = spool_iter_next(f->it, &item, err)) > 0) {
		struct pend_ent *e;
		const char *idp;
		size_t slot;

		if (spool_pos_cmp(&item.pos, &f->to) > 0)
			break;
		if (!(idp = rec_request_id_peek(item.line, item.len)))
			continue;
		memcpy(rec->id, idp, REC_ID_LEN);
		rec->id[REC_ID_LEN] = '\0';
		if (!(e = pend_get(&f->pend, rec->id)))
			continue;
		e->flags |= PEND_F_FOUND;
		if (!eligible(f, e, now))
			continue;
		slot = (size_t)(e - f->pend.ents);
		if (waits(f, slot, clk_mono_ns(), &held))
			continue;
		offered(e, slot, &item, rec);
		return 1;
	}
	f->round = 0;
	f->read_all = ret == 0;
	spool_iter_free(f->it);
	f->it = NULL;
	return ret < 0 ? ret : 0;
}

static void fold_limit(void *impl)
{
	((struct fold *)impl)->limited = 1;
}

static void fold_mark(void *impl, size_t slot, enum queue_mark m)
{
	struct pend_ent *e = &((struct fold *)impl)->pend.ents[slot];

	switch (m) {
	case QUEUE_SEEN:
		e->flags |= PEND_F_SEEN;
		break;
	case QUEUE_SKIP:
		e->flags |= PEND_F_SKIP | PEND_F_SEEN;
		break;
	case QUEUE_REFUSE:
		e->flags |= PEND_F_REFUSED;
		break;
	case QUEUE_RELEASE:
		e->flags &= (uint8_t)~PEND_F_INFLIGHT;
		break;
	}
}

static void fold_release_all(void *impl)
{
	struct fold *f = impl;

	for (size_t i = 0; i < f->pend.n; i++)
		f->pend.ents[i].flags &= (uint8_t)~PEND_F_INFLIGHT;
}

static void ref_of(const struct fold *f, size_t slot, char ref[REC_ID_LEN + 1])
{
	rec_id_unpack(f->pend.ents[slot].id, ref);
}

/* An intent or its withdrawal: logged, and applied to the pending set;
 * the send is in flight after an intent only. */
static void send_event(struct fold *f, size_t slot, enum rec_kind kind,
		       long long attempt, int64_t at_ms)
{
	struct pend_ent *e = &f->pend.ents[slot];
	struct rec_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ref_of(f, slot, ev.ref);
	ev.at_ms = at_ms;
	ev.attempt = attempt;
	journal_add(&f->jr, &ev, at_ms);
	pend_apply(&f->pend, e, &ev);
	if (kind == REC_INTENT)
		e->flags |= PEND_F_INFLIGHT;
	else
		e->flags &= (uint8_t)~PEND_F_INFLIGHT;
}

static unsigned fold_intent(void *impl, size_t slot, int64_t at_ms)
{
	struct fold *f = impl;
	long long attempt = (long long)f->pend.ents[slot].attempts + 1;

	send_event(f, slot, REC_INTENT, attempt, at_ms);
	return (unsigned)attempt;
}

/* The intent's send never started: it is taken back in the log too. */
static void fold_withdraw(void *impl, size_t slot, unsigned attempt,
			  int64_t at_ms)
{
	send_event(impl, slot, REC_WITHDRAW, attempt, at_ms);
}

static void fold_dead(void *impl, size_t slot, int64_t at_ms, const char *reason)
{
	struct fold *f = impl;
	struct rec_event d;

	memset(&d, 0, sizeof(d));
	d.kind = REC_DEAD;
	ref_of(f, slot, d.ref);
	d.at_ms = at_ms;
	pend_apply(&f->pend, &f->pend.ents[slot], &d);
	journal_dead(&f->jr, d.ref, at_ms, reason);
}

static void fold_attempt(void *impl, size_t slot, struct rec_event *ev,
			 const struct http_res *res, const char *dead_reason)
{
	struct fold *f = impl;
	struct pend_ent *e = &f->pend.ents[slot];

	e->flags &= (uint8_t)~PEND_F_INFLIGHT;
	if (res)
		journal_response(&f->jr, ev, res);
	pend_apply(&f->pend, e, ev);
	journal_add(&f->jr, ev, ev->at_ms);
	if (dead_reason)
		fold_dead(f, slot, ev->at_ms, dead_reason);
}

static void fold_revive(void *impl, size_t slot, int64_t at_ms,
			const char *reason, const char *user)
{
	struct fold *f = impl;
	struct pend_ent *e = &f->pend.ents[slot];
	struct rec_event ev;
	char ref[REC_ID_LEN + 1];

	ref_of(f, slot, ref);
	journal_revive(&f->jr, ref, at_ms, reason, user,
		       (long long)e->revives + 1, &ev);
	pend_apply(&f->pend, e, &ev);
}

static void fold_run(void *impl, struct rec_run *l)
{
	journal_run(&((struct fold *)impl)->jr, l);
}

static int fold_flush(void *impl, struct rd_err *err)
{
	return journal_flush(&((struct fold *)impl)->jr, err);
}

static int fold_due(const void *impl, uint32_t max_events, int64_t now_ns)
{
	const struct fold *f = impl;

	return f->jr.failed || journal_due(&f->jr, max_events, now_ns);
}

static int fold_checkpoint(void *impl, struct rd_err *err)
{
	struct fold *f = impl;
	struct spool_mark mark;
	struct pend_ckpt ck;
	int ret;

	if (!f->o.consume)
		return 0;
	if ((ret = journal_flush(&f->jr, err)) < 0)
		return ret;
	if ((ret = fold_refresh(f, err)) < 0 ||
	    (ret = spool_mark(f->sp, f->have_cursor ? &f->cursor : NULL, &mark,
			      err)) < 0)
		return ret;
	pend_save(&f->pend, &f->cursor, &mark, &ck);
	return spool_state_write(f->sp, CKPT_NAME, ck.iov, 3, err);
}

static void fold_state(const void *impl, size_t slot, struct queue_state *st)
{
	const struct pend_ent *e = &((const struct fold *)impl)->pend.ents[slot];

	st->state = (enum life_state)e->state;
	st->due_ms = e->due_ms;
	st->attempts = e->attempts;
}

static uint64_t fold_left(const void *impl)
{
	const struct fold *f = impl;
	uint64_t n = 0;

	for (size_t i = 0; i < f->pend.n; i++)
		n += owned(f, &f->pend.ents[i]);
	return n;
}

static size_t fold_clamp_due(void *impl, int64_t max_ms)
{
	return pend_clamp_due(&((struct fold *)impl)->pend, max_ms);
}

const struct queue_ops queue_fold_ops = {
	.open = fold_open,
	.free = fold_free,
	.refresh = fold_refresh_select,
	.plan = fold_plan,
	.next = fold_next,
	.limit = fold_limit,
	.mark = fold_mark,
	.release_all = fold_release_all,
	.intent = fold_intent,
	.withdraw = fold_withdraw,
	.attempt = fold_attempt,
	.dead = fold_dead,
	.revive = fold_revive,
	.run = fold_run,
	.flush = fold_flush,
	.due = fold_due,
	.checkpoint = fold_checkpoint,
	.state = fold_state,
	.left = fold_left,
	.clamp_due = fold_clamp_due,
};
