/*
 * snats_queue.c - the NATS JetStream backend, queue tier (see queue.h,
 * snats.h): a durable pull consumer "rd-replay" on the request subjects,
 * shared by every rd-replay on the same location.
 *
 * A delivered request is offered once its record's state, the lifecycle
 * applied to the last event about it (intent, attempt, dead or revive:
 * each sets absolute values; one lookup of ev.ID), says it is pending
 * and due.  Never NumDelivered, which a failover can undercount.  A
 * delivery whose record is delivered already (a crash between the event
 * and the ack) is acked; one due later is nak'ed with that delay; a dead
 * one is terminated.
 *
 * Events go to the stream through the journal (spool_append publishes
 * each to its subject), and a message is acked, nak'ed or terminated only
 * after the flush that made its event durable: ok is AckSync, a retry
 * NakWithDelay (no consumer BackOff: the two interact; one due within a
 * third of the lease is kept here instead, see snq_attempt), dead Term.  A
 * crash between the two sends the request again with the same
 * idempotency key; no outcome is lost.
 *
 * Reviving republishes the stored request under a new Nats-Msg-Id
 * (<id>.r<n>) after its revive event: the consumer delivers it again.
 *
 * Two workers can hold one record at once (a lease run out, a consumer
 * leader failed over).  Each intent is published under a key, one per
 * attempt number of a record's life (and per withdraw that took a number
 * back); the stream keeps the first and answers the second as a
 * duplicate, and that worker does not send (queue_holds;
 * snats_record.c).  A send prepared and never started has its intent
 * withdrawn, and the message is given back at once.
 */
#include <stdlib.h>
#include <string.h>

#include "clk.h"
#include "journal.h"
#include "life.h"
#include "pend.h"
#include "queue_be.h"
#include "snats.h"
#include "snats_queue.h"
#include "spool_be.h"
#include "xalloc.h"
#include "banned.h"

#define DURABLE "rd-replay"

static void nq_free(void *impl)
{
	struct nq *q = impl;

	if (!q)
		return;
	for (size_t i = 0; i < q->ns; i++) {
		if (q->s[i].m) {
			/* held and not finished: for another consumer */
			natsMsg_Nak(q->s[i].m, NULL);
			natsMsg_Destroy(q->s[i].m);
		}
		free(q->s[i].line);
	}
	for (int i = q->gi; i < q->got.Count; i++)
		if (q->got.Msgs[i])
			natsMsg_Nak(q->got.Msgs[i], NULL);
	natsMsgList_Destroy(&q->got);
	natsSubscription_Destroy(q->sub);
	journal_release(&q->jr);
	rec_parser_release(&q->rp);
	free(q->s);
	free(q->freel);
	free(q->dead);
	free(q);
}

static size_t slot_new(struct nq *q)
{
	size_t i;

	if (q->nfree)
		i = q->freel[--q->nfree];
	else {
		if (q->ns == q->cap) {
			q->cap = q->cap ? 2 * q->cap : 256;
			q->s = xrealloc(q->s, q->cap * sizeof(*q->s));
			q->freel = xrealloc(q->freel, q->cap * sizeof(*q->freel));
		}
		i = q->ns++;
	}
	memset(&q->s[i], 0, sizeof(q->s[i]));
	q->s[i].flags = S_USED;
	life_init(&q->s[i].l);
	return i;
}

static void slot_done(struct nq *q, size_t i)
{
	natsMsg_Destroy(q->s[i].m);
	free(q->s[i].line);
	memset(&q->s[i], 0, sizeof(q->s[i]));
	q->freel[q->nfree++] = i;
}

static int subscribe(struct nq *q, struct rd_err *err)
{
	int64_t want_wait = (q->o.lease_ms ? (int64_t)q->o.lease_ms : 300000) * 1000000;
	jsSubOptions so;
	jsErrCode jerr = 0;
	char subj[SNATS_SUBJ_MAX];
	natsStatus s = NATS_OK;

	snats_subject(q->n, subj, sizeof(subj), "req", ">");
	/* twice: another worker may make it between our look and our join */
	for (int tries = 0; tries < 2; tries++) {
		jsConsumerInfo *ci = NULL;
		int64_t wait = want_wait;

		jsSubOptions_Init(&so);
		so.Stream = q->n->stream;
		so.Config.Durable = DURABLE;
		so.Config.AckPolicy = js_AckExplicit;
		so.Config.AckWait = want_wait;
		so.Config.MaxAckPending = q->o.width > 256 ? (int64_t)q->o.width : 256;
		so.Config.MaxDeliver = -1;
		jerr = 0;
		if (js_GetConsumerInfo(&ci, q->n->js, q->n->stream, DURABLE, NULL,
				       &jerr) == NATS_OK) {
			if (ci->Config) {
				wait = so.Config.AckWait = ci->Config->AckWait;
				so.Config.MaxAckPending = ci->Config->MaxAckPending;
			}
			jsConsumerInfo_Destroy(ci);
		}
		jerr = 0;
		s = js_PullSubscribe(&q->sub, q->n->js, subj, DURABLE, NULL, &so, &jerr);
		if (s != NATS_OK)
			continue;
		q->lease_ms = wait / 1000000;
		if (wait < want_wait && q->o.notice) {
			char msg[256];

			snprintf(msg, sizeof(msg),
				 "the replay consumer's lease (AckWait) is %llds, from the run that made it; this run's sends may take %llds: one that takes longer may be sent again by another rd-replay",
				 (long long)(wait / 1000000000),
				 (long long)(want_wait / 1000000000));
			q->o.notice(q->o.ctx, msg);
		}
		return 0;
	}
	return snats_err(q->n, err, s, jerr, "joining the replay consumer");
}

/* Dead records, for a consumer that revives: the fold of the whole
 * stream through the lifecycle (pend), and its dead entries with their
 * revive counts. */
static int find_dead(struct nq *q, struct rd_err *err)
{
	struct spool_iter *it = NULL;
	struct spool_item item;
	struct rd_err lerr;
	struct pend p;
	int ret;

	pend_init(&p);
	if ((ret = spool_iter_new(q->sp, NULL, &it, err)) < 0)
		goto out;
	while ((ret = spool_iter_next(it, &item, err)) > 0)
		pend_fold(&p, &item, &q->rp, &lerr);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < p.n; i++) {
		if (p.ents[i].state != PEND_DEAD)
			continue;
		q->dead = xrealloc(q->dead, (q->ndead + 1) * sizeof(*q->dead));
		rec_id_unpack(p.ents[i].id, q->dead[q->ndead].id);
		q->dead[q->ndead++].revives = p.ents[i].revives;
	}
out:
	spool_iter_free(it);
	pend_release(&p);
	return ret;
}

static uint64_t consumer_left(struct nq *q, uint64_t *ackp);

static int nq_open(struct spool *sp, const struct queue_opts *o, void **impl,
		   struct rd_err *err)
{
	struct nq *q = xcalloc(1, sizeof(*q));
	int ret;

	q->sp = sp;
	q->n = spool_be_impl(sp);
	q->o = *o;
	rec_parser_init(&q->rp);
	if ((ret = journal_init(&q->jr, sp, o->body_max, err)) < 0 ||
	    (ret = subscribe(q, err)) < 0 ||
	    (o->revive && (ret = find_dead(q, err)) < 0)) {
		nq_free(q);
		return ret;
	}
	{
		uint64_t ackp;

		q->left = consumer_left(q, &ackp) + ackp;
	}
	*impl = q;
	return 0;
}

static int nq_refresh(void *impl, struct rd_err *err)
{
	(void)impl;
	(void)err;
	return 0;
}

/* A held delivery that waits to be offered again this round. */
static int idle(const struct nq *q, size_t i)
{
	const struct nslot *s = &q->s[i];

	return (s->flags & S_USED) && s->m && !s->act &&
	       !(s->flags & (S_TAKEN | S_SKIP | S_REFUSED | S_OFFERED)) &&
	       (!q->limited || (s->flags & S_SEEN));
}

static uint64_t consumer_left(struct nq *q, uint64_t *ackp)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	uint64_t n;

	*ackp = 0;
	if (js_GetConsumerInfo(&ci, q->n->js, q->n->stream, DURABLE, NULL, &jerr) != NATS_OK)
		return 1;   /* not known: as if some were left */
	n = ci->NumPending;
	*ackp = ci->NumAckPending > 0 ? (uint64_t)ci->NumAckPending : 0;
	jsConsumerInfo_Destroy(ci);
	return n;
}

/* What this worker holds stays its own: a delivery held for a third of
 * the lease (in flight, waiting for its host, or offered and not yet
 * taken) starts its lease again (InProgress), so the server never hands
 * it to another worker while it may still be sent here. */
static void keep_leases(struct nq *q, int64_t now)
{
	int64_t every = q->lease_ms / 3;

	for (size_t i = 0; i < q->ns; i++) {
		struct nslot *s = &q->s[i];

		if (!(s->flags & S_USED) || !s->m || s->act ||
		    now - s->touched_ms < every)
			continue;
		if (natsMsg_InProgress(s->m, NULL) == NATS_OK)
			s->touched_ms = now;
	}
}

static int nq_plan(void *impl, int64_t now, int64_t mono, int64_t *next_due)
{
	struct nq *q = impl;
	uint64_t pending, ackp, held = 0, taken = 0, nidle = 0;
	int waiting = 0;

	*next_due = INT64_MAX;
	q->round = 0;
	q->idle_i = 0;
	keep_leases(q, now);
	for (size_t i = 0; i < q->ns; i++) {
		int64_t until = 0;

		if (!(q->s[i].flags & S_USED))
			continue;
		q->s[i].flags &= (uint8_t)~S_OFFERED;
		/* one with an outcome waits for the flush to be settled:
		 * a retry comes back to a fetch */
		held += q->s[i].m != NULL && !q->s[i].act;
		taken += (q->s[i].flags & S_TAKEN) != 0;
		if (!idle(q, i))
			continue;
		if (q->s[i].l.due_ms > now) {       /* a retry kept: not yet */
			if (q->s[i].l.due_ms < *next_due)
				*next_due = q->s[i].l.due_ms;
			waiting = 1;
			continue;
		}
		if (q->o.planned)
			q->o.planned(q->o.ctx, i);
		if (q->o.waits && q->o.waits(q->o.ctx, i, mono, &until)) {
			waiting = 1;
			if (until) {
				int64_t at = now + (until - mono) / 1000000 + 1;

				if (at < *next_due)
					*next_due = at;
			}
			continue;
		}
		nidle++;
	}
	held += (uint64_t)(q->got.Count - q->gi);
	pending = consumer_left(q, &ackp);
	q->left = pending + ackp;
	if (nidle || (q->gi < q->got.Count && !q->limited) ||
	    (q->o.revive && q->di < q->ndead && !q->limited) ||
	    (pending && !q->limited && nidle < IDLE_MAX)) {
		q->round = 1;
		return 1;
	}
	/* retries waiting for their delay (and others' deliveries, which
	 * may come back) are delivered to a fetch: fetch again, at most
	 * every POLL_MS while fetches come back empty */
	if (ackp > held && !q->limited) {
		if (now >= q->quiet_until_ms) {
			q->round = 1;
			return 1;
		}
		if (q->quiet_until_ms < *next_due)
			*next_due = q->quiet_until_ms;
		return 0;
	}
	return taken || waiting ? 0 : -1;
}

static void offer(struct nq *q, size_t i, struct queue_rec *rec)
{
	struct nslot *s = &q->s[i];

	s->flags |= S_OFFERED;
	rec->slot = i;
	memcpy(rec->id, s->id, sizeof(rec->id));
	rec->line = s->m ? natsMsg_GetData(s->m) : s->line;
	rec->len = s->m ? (size_t)natsMsg_GetDataLength(s->m) : s->len;
	rec->attempts = s->l.attempts;
	rec->revives = s->l.revives;
	rec->dead = s->l.state == LIFE_DEAD;
	rec->seen = !!(s->flags & S_SEEN);
	rec->picked = 0;     /* never asked: queue_opts.selects */
}

/* The next dead record to offer for revive: 1, 0 when none is left. */
static int next_dead(struct nq *q, struct queue_rec *rec, struct rd_err *err)
{
	while (q->di < q->ndead) {
		const struct dead *d = &q->dead[q->di++];
		const char *id = d->id;
		char subj[SNATS_SUBJ_MAX + REC_ID_LEN];
		struct life l;
		natsMsg *m = NULL;
		size_t i;
		int ret;

		/* still dead: no one revived it since the fold */
		if ((ret = snq_state(q, id, &l, NULL, err)) < 0)
			return ret;
		if (l.state != LIFE_DEAD)
			continue;
		l.revives = d->revives;
		snats_subject(q->n, subj, sizeof(subj), "req", id);
		if ((ret = snats_last(q->n, subj, &m, err)) < 0)
			return ret;
		if (!ret)
			continue;
		i = slot_new(q);
		memcpy(q->s[i].id, id, sizeof(q->s[i].id));
		q->s[i].l = l;
		q->s[i].read_ms = rec_now_ms();
		q->s[i].len = (size_t)natsMsg_GetDataLength(m);
		q->s[i].line = xmemdup(natsMsg_GetData(m), q->s[i].len);
		natsMsg_Destroy(m);
		offer(q, i, rec);
		return 1;
	}
	return 0;
}

/* A fresh delivery: offered as slot *slot (1), or settled here (0):
 * acked when delivered already, terminated when dead, nak'ed until due. */
static int take_delivery(struct nq *q, natsMsg *m, int64_t now, size_t *slot,
			 struct rd_err *err)
{
	const char *subj = natsMsg_GetSubject(m), *id = strrchr(subj, '.');
	jsMsgMetaData *meta = NULL;
	char wd[REC_ID_LEN + 1];
	struct life l;
	size_t i;
	int ret;

	if (!id || strlen(id + 1) != REC_ID_LEN) {
		natsMsg_Term(m, NULL);      /* not a request of ours */
		natsMsg_Destroy(m);
		return 0;
	}
	if ((ret = snq_state(q, id + 1, &l, wd, err)) < 0) {
		natsMsg_Nak(m, NULL);
		natsMsg_Destroy(m);
		return ret;
	}
	if (l.state != LIFE_PENDING || l.due_ms > now) {
		if (l.state == LIFE_DONE)
			natsMsg_AckSync(m, NULL, NULL);
		else if (l.state == LIFE_DEAD)
			natsMsg_Term(m, NULL);
		else
			natsMsg_NakWithDelay(m, l.due_ms - now, NULL);
		natsMsg_Destroy(m);
		return 0;
	}
	i = slot_new(q);
	q->s[i].m = m;
	q->s[i].touched_ms = q->s[i].read_ms = now;
	memcpy(q->s[i].id, id + 1, REC_ID_LEN + 1);
	memcpy(q->s[i].wd_id, wd, sizeof(wd));
	q->s[i].l = l;
	if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
		q->s[i].life = meta->Sequence.Stream;
		jsMsgMetaData_Destroy(meta);
	}
	*slot = i;
	return 1;
}

static size_t count_idle(const struct nq *q)
{
	size_t n = 0;

	for (size_t i = 0; i < q->ns; i++)
		n += idle(q, i) || (q->s[i].m && (q->s[i].flags & S_OFFERED) &&
				    !(q->s[i].flags & (S_TAKEN | S_SKIP | S_REFUSED)) &&
				    !q->s[i].act);
	return n;
}

static int nq_next(void *impl, int64_t now, struct queue_rec *rec,
		   struct rd_err *err)
{
	struct nq *q = impl;
	natsStatus s;
	size_t slot;
	int ret;

	if (!q->round)
		return 0;
	for (; q->idle_i < q->ns; q->idle_i++) {
		int64_t until;

		if (!idle(q, q->idle_i) || q->s[q->idle_i].l.due_ms > now ||
		    (q->o.waits && q->o.waits(q->o.ctx, q->idle_i, clk_mono_ns(), &until)))
			continue;
		offer(q, q->idle_i++, rec);
		return 1;
	}
	if (q->o.revive && !q->limited && (ret = next_dead(q, rec, err)) != 0)
		return ret;
	while (!q->limited) {
		if (q->gi >= q->got.Count) {
			natsMsgList_Destroy(&q->got);
			memset(&q->got, 0, sizeof(q->got));
			q->gi = 0;
			if (count_idle(q) >= IDLE_MAX)
				break;
			s = natsSubscription_Fetch(&q->got, q->sub, FETCH_BATCH,
						   FETCH_WAIT_MS, NULL);
			if (s == NATS_TIMEOUT || (s == NATS_OK && !q->got.Count)) {
				q->quiet_until_ms = now + POLL_MS;
				break;
			}
			if (s != NATS_OK)
				return snats_err(q->n, err, s, 0, "taking requests");
		}
		{
			natsMsg *m = q->got.Msgs[q->gi];

			q->got.Msgs[q->gi++] = NULL;
			if ((ret = take_delivery(q, m, now, &slot, err)) < 0)
				return ret;
			if (ret) {
				offer(q, slot, rec);
				return 1;
			}
		}
	}
	q->round = 0;
	return 0;
}

static void nq_limit(void *impl)
{
	((struct nq *)impl)->limited = 1;
}

static void nq_mark(void *impl, size_t i, enum queue_mark m)
{
	struct nq *q = impl;
	struct nslot *s = &q->s[i];

	switch (m) {
	case QUEUE_SEEN:
		s->flags |= S_SEEN;
		break;
	case QUEUE_SKIP:
		s->flags |= S_SKIP | S_SEEN;
		break;
	case QUEUE_REFUSE:
		s->flags |= S_REFUSED;
		break;
	case QUEUE_RELEASE:
		/* its intent stays: offered again, to anyone, at once; one
		 * another worker holds (snq_lost_race), once that worker's send
		 * has ended */
		s->flags &= (uint8_t)~S_TAKEN;
		if (s->m) {
			s->act = ACT_NAK;
			s->nak_ms = (s->flags & S_LOST) ? q->lease_ms : 0;
		}
		break;
	}
}

/* The send will not start: its intent withdrawn (when it may be), and
 * the message given back as a release gives it. */
static void nq_withdraw(void *impl, size_t i, unsigned attempt, int64_t at_ms)
{
	snq_withdraw(impl, i, attempt, at_ms);
	nq_mark(impl, i, QUEUE_RELEASE);
}

static void nq_release_all(void *impl)
{
	struct nq *q = impl;

	for (size_t i = 0; i < q->ns; i++)
		if (q->s[i].flags & S_TAKEN)
			nq_mark(q, i, QUEUE_RELEASE);
}

/* After the events are durable: what each settled delivery tells the
 * server, and the slot is free.  ok is an AckSync: its answer is the
 * server's word that the message will not come again; a nak or a term
 * is a plain publish, which the library sends at once. */
static void settle(struct nq *q)
{
	int64_t now = rec_now_ms();

	for (size_t i = 0; i < q->ns; i++) {
		struct nslot *s = &q->s[i];

		if (!(s->flags & S_USED) || !s->act)
			continue;
		if (s->nak_ms < 0)
			s->nak_ms = s->l.due_ms > now ? s->l.due_ms - now : 0;
		if (s->m) {
			if (s->act == ACT_ACK)
				natsMsg_AckSync(s->m, NULL, NULL);
			else if (s->act == ACT_TERM)
				natsMsg_Term(s->m, NULL);
			else if (s->nak_ms > 0)
				natsMsg_NakWithDelay(s->m, s->nak_ms, NULL);
			else
				natsMsg_Nak(s->m, NULL);
		}
		slot_done(q, i);
	}
}

static int nq_flush(void *impl, struct rd_err *err)
{
	struct nq *q = impl;
	int ret = journal_flush(&q->jr, err);

	/* of the intents just published, those another worker has */
	snats_keys_end(q->n, snq_lost_race, q);
	if (ret == 0)
		settle(q);
	/* flushes come every 100 ms while sends finish: the time to look
	 * at the leases of what is still in flight */
	keep_leases(q, rec_now_ms());
	return ret;
}

static int nq_due(const void *impl, uint32_t max_events, int64_t now_ns)
{
	const struct nq *q = impl;

	return q->jr.failed || journal_due(&q->jr, max_events, now_ns);
}

/* Flush, and what is left as the server counts it once settled. */
static int nq_checkpoint(void *impl, struct rd_err *err)
{
	struct nq *q = impl;
	uint64_t ackp;
	int ret = nq_flush(q, err);

	if (ret == 0)
		q->left = consumer_left(q, &ackp) + ackp;
	return ret;
}

static void nq_state(const void *impl, size_t i, struct queue_state *st)
{
	const struct nslot *s = &((const struct nq *)impl)->s[i];

	st->state = s->l.state;
	st->due_ms = s->l.due_ms;
	st->attempts = s->l.attempts;
}

static uint64_t nq_left(const void *impl)
{
	return ((const struct nq *)impl)->left;
}

static size_t nq_clamp_due(void *impl, int64_t max_ms)
{
	(void)impl;
	(void)max_ms;
	return 0;
}

const struct queue_ops snats_queue_ops = {
	.open = nq_open,
	.free = nq_free,
	.refresh = nq_refresh,
	.plan = nq_plan,
	.next = nq_next,
	.limit = nq_limit,
	.mark = nq_mark,
	.release_all = nq_release_all,
	.intent = snq_intent,
	.withdraw = nq_withdraw,
	.holds = snq_holds,
	.attempt = snq_attempt,
	.dead = snq_dead,
	.revive = snq_revive,
	.run = snq_run,
	.flush = nq_flush,
	.due = nq_due,
	.checkpoint = nq_checkpoint,
	.state = nq_state,
	.left = nq_left,
	.clamp_due = nq_clamp_due,
};
