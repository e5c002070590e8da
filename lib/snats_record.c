/*
 * snats_record.c - what a replay worker records about a record on NATS
 * JetStream (intent, withdraw, attempt, dead, revive: events through the
 * journal), and the record's state read back from its last event.  The
 * consumer itself is snats_queue.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snats_queue.h"
#include "banned.h"

/*
 * The record's state for replay: the lifecycle applied to the last event
 * about it (one lookup: every event about a record is on ev.ID).  Each
 * event sets absolute values (an attempt its number, outcome and due
 * time; an intent its number; a withdraw the number before its intent's,
 * due at once, as the intent was; dead; a revive a fresh start), so the
 * last one alone gives the state, the attempts since the last revive and
 * the due time that the fold of all of them gives.  A withdraw is
 * recorded only while its intent is the last event (snq_withdraw), so
 * the intent it follows is the one it takes back.  Not the revive count,
 * which only a dead record needs (find_dead has it from the fold).
 */
int snq_state(struct nq *q, const char *id, struct life *l,
	      char wd[REC_ID_LEN + 1], struct rd_err *err)
{
	char subj[SNATS_SUBJ_MAX + REC_ID_LEN];
	struct rec_event ev;
	struct rd_err lerr;
	natsMsg *m = NULL;
	int ret;

	life_init(l);
	if (wd)
		wd[0] = '\0';
	snats_subject(q->n, subj, sizeof(subj), "ev", id);
	if ((ret = snats_last(q->n, subj, &m, err)) <= 0)
		return ret;
	if (rec_event_parse(&q->rp, natsMsg_GetData(m),
			    (size_t)natsMsg_GetDataLength(m), &ev, &lerr) < 0) {
		natsMsg_Destroy(m);
		return 0;
	}
	if (ev.kind == REC_WITHDRAW) {
		l->attempts = ev.attempt > 1 && ev.attempt <= UINT32_MAX ?
			      (uint32_t)(ev.attempt - 1) : 0;
		if (wd)
			memcpy(wd, ev.id, REC_ID_LEN + 1);
	} else {
		/* a revive starts from dead */
		if (ev.kind == REC_REVIVE)
			l->state = LIFE_DEAD;
		life_apply(l, &ev);
	}
	natsMsg_Destroy(m);
	return 0;
}

/*
 * The Nats-Msg-Id of an intent: one per attempt number of one life of a
 * record, and per withdraw.  Two workers can hold one record at once (a
 * lease run out, a consumer leader failed over) and both number their
 * send from the state each read; the stream keeps the first intent with
 * a key and answers the second as a duplicate, whose worker then does
 * not send (snq_lost_race).  So no two sends share a number, and the
 * fold, which takes numbers as absolute, counts each of them.
 *
 * A withdraw takes its intent's number back, and the next send takes it
 * again: read from the withdraw (the record's last event), the key names
 * the withdraw's id, <id>.<seq>.i<n>.<withdraw id>, one key for every
 * worker that read it, and not the key withdrawn, which the stream would
 * refuse for its dedupe window.  Read from any other event, it names
 * none: a worker whose view is from before the withdraw repeats the
 * withdrawn intent's key and loses, as it would have lost to that intent.
 */
static void intent_key(const struct nslot *s, long long attempt, char *out)
{
	snprintf(out, SNATS_MSGID_MAX, "%s.%llu.i%lld%s%s", s->id,
		 (unsigned long long)s->life, attempt, s->wd_id[0] ? "." : "",
		 s->wd_id);
}

/* Read slot's state again when it is old: 1 still to send, 0 not. */
static int fresh(struct nq *q, struct nslot *s, int64_t now)
{
	char wd[REC_ID_LEN + 1];
	struct rd_err lerr;
	struct life l;

	if (!s->m || now - s->read_ms <= STALE_MS ||
	    snq_state(q, s->id, &l, wd, &lerr) < 0)
		return 1;
	s->read_ms = now;
	if (l.state != LIFE_PENDING || l.due_ms > now)
		return 0;
	s->l = l;
	memcpy(s->wd_id, wd, sizeof(s->wd_id));
	return 1;
}

unsigned snq_intent(void *impl, size_t i, int64_t at_ms)
{
	struct nq *q = impl;
	struct nslot *s = &q->s[i];
	struct rec_event in;
	char key[SNATS_MSGID_MAX];

	s->flags |= S_TAKEN;
	if (!fresh(q, s, at_ms)) {
		s->flags |= S_LOST;     /* another worker's now */
		return s->l.attempts + 1;
	}
	memset(&in, 0, sizeof(in));
	in.kind = REC_INTENT;
	memcpy(in.ref, s->id, sizeof(in.ref));
	in.at_ms = at_ms;
	in.attempt = (long long)s->l.attempts + 1;
	journal_add(&q->jr, &in, at_ms);
	memcpy(s->intent_id, in.id, sizeof(s->intent_id));
	intent_key(s, in.attempt, key);
	snats_key(q->n, in.id, key);
	life_apply(&s->l, &in);
	return (unsigned)in.attempt;
}

/* Whether the record's last event is slot's own intent. */
static int own_intent(struct nq *q, const struct nslot *s)
{
	char subj[SNATS_SUBJ_MAX + REC_ID_LEN];
	struct rec_event ev;
	struct rd_err lerr;
	natsMsg *m = NULL;
	int own = 0;

	snats_subject(q->n, subj, sizeof(subj), "ev", s->id);
	if (snats_last(q->n, subj, &m, &lerr) > 0 &&
	    rec_event_parse(&q->rp, natsMsg_GetData(m),
			    (size_t)natsMsg_GetDataLength(m), &ev, &lerr) == 0)
		own = ev.kind == REC_INTENT &&
		      memcmp(ev.id, s->intent_id, REC_ID_LEN) == 0;
	natsMsg_Destroy(m);
	return own;
}

/* An intent's key answered as a duplicate: another worker recorded this
 * attempt first, and the slot is lost (its send must not start), unless
 * the stored intent is this one (a publish made again after its answer
 * was lost in a failover). */
void snq_lost_race(void *ctx, const char *msgid)
{
	struct nq *q = ctx;
	char key[SNATS_MSGID_MAX];

	for (size_t i = 0; i < q->ns; i++) {
		struct nslot *s = &q->s[i];

		if ((s->flags & (S_TAKEN | S_LOST)) != S_TAKEN ||
		    memcmp(s->id, msgid, REC_ID_LEN) != 0)
			continue;
		intent_key(s, (long long)s->l.attempts, key);
		if (strcmp(key, msgid) == 0 && !own_intent(q, s))
			s->flags |= S_LOST;
	}
}

int snq_holds(const void *impl, size_t i)
{
	return !(((const struct nq *)impl)->s[i].flags & S_LOST);
}

/*
 * A send prepared and never started: its intent withdrawn, under the
 * intent's key and ".w" (a publish made again stores it once).  Only
 * while that intent is the record's last event: not when another worker
 * recorded the attempt first (the slot is lost), nor when another
 * worker's event followed it (its lease ran out, and that worker
 * numbered its send after this intent, which must stand).  The intent is
 * published first if it was not yet, to know that.  Nothing after a
 * failure of the journal: the run is ending on it, and the intent stands,
 * a send whose outcome is unknown.
 */
void snq_withdraw(void *impl, size_t i, unsigned attempt, int64_t at_ms)
{
	struct nq *q = impl;
	struct nslot *s = &q->s[i];
	struct rec_event wd;
	char key[SNATS_MSGID_MAX], wkey[SNATS_MSGID_MAX + 2];

	if (q->jr.n && !q->jr.failed) {
		journal_flush(&q->jr, NULL);
		snats_keys_end(q->n, snq_lost_race, q);
	}
	if (q->jr.failed || (s->flags & S_LOST) || attempt != s->l.attempts ||
	    !own_intent(q, s))
		return;
	memset(&wd, 0, sizeof(wd));
	wd.kind = REC_WITHDRAW;
	memcpy(wd.ref, s->id, sizeof(wd.ref));
	wd.at_ms = at_ms;
	wd.attempt = attempt;
	journal_add(&q->jr, &wd, at_ms);
	intent_key(s, attempt, key);
	snprintf(wkey, sizeof(wkey), "%s.w", key);
	snats_key(q->n, wd.id, wkey);
	life_apply(&s->l, &wd);
	/* the state another worker reads now: the next key names it */
	memcpy(s->wd_id, wd.id, sizeof(s->wd_id));
}

void snq_dead(void *impl, size_t i, int64_t at_ms, const char *reason)
{
	struct nq *q = impl;
	struct nslot *s = &q->s[i];
	struct rec_event d;

	memset(&d, 0, sizeof(d));
	d.kind = REC_DEAD;
	memcpy(d.ref, s->id, sizeof(d.ref));
	d.at_ms = at_ms;
	life_apply(&s->l, &d);
	journal_dead(&q->jr, s->id, at_ms, reason);
	s->flags &= (uint8_t)~S_TAKEN;
	s->act = ACT_TERM;
}

void snq_attempt(void *impl, size_t i, struct rec_event *ev,
		       const struct http_res *res, const char *dead_reason)
{
	struct nq *q = impl;
	struct nslot *s = &q->s[i];

	if (res)
		journal_response(&q->jr, ev, res);
	life_apply(&s->l, ev);
	journal_add(&q->jr, ev, ev->at_ms);
	s->wd_id[0] = '\0';   /* the state is this attempt now */
	s->flags &= (uint8_t)~S_TAKEN;
	if (dead_reason) {
		snq_dead(q, i, ev->at_ms, dead_reason);
	} else if (s->l.state == LIFE_DONE) {
		s->act = ACT_ACK;
	} else if (s->l.due_ms - rec_now_ms() > q->lease_ms / 3) {
		s->act = ACT_NAK;   /* until its due time, counted at settle */
		s->nak_ms = -1;
	}
	/* A retry due within a third of the lease stays here, its lease
	 * started again meanwhile (keep_leases), and is offered again when
	 * due.  Given back, it would come back through a redelivery, which
	 * nats-server 2.9 can strand until AckWait: a redelivery that meets
	 * a pull request just expired is dropped from its queue, and kept
	 * as leased. */
}

/* The revive event, durable, then the request again under a new
 * Nats-Msg-Id: the consumer delivers it as a pending record. */
void snq_revive(void *impl, size_t i, int64_t at_ms, const char *reason,
		      const char *user)
{
	struct nq *q = impl;
	struct nslot *s = &q->s[i];
	struct rec_event ev;
	char subj[SNATS_SUBJ_MAX + REC_ID_LEN], msgid[REC_ID_LEN + 24];
	jsPubOptions po;
	jsPubAck *pa = NULL;
	jsErrCode jerr = 0;

	journal_revive(&q->jr, s->id, at_ms, reason, user,
		       (long long)s->l.revives + 1, &ev);
	life_apply(&s->l, &ev);
	s->wd_id[0] = '\0';
	if (journal_flush(&q->jr, NULL) < 0)
		return;   /* the journal stays failed: the run stops there */
	snats_subject(q->n, subj, sizeof(subj), "req", s->id);
	snprintf(msgid, sizeof(msgid), "%s.r%u", s->id, (unsigned)s->l.revives);
	jsPubOptions_Init(&po);
	po.MsgId = msgid;
	js_Publish(&pa, q->n->js, subj, s->m ? natsMsg_GetData(s->m) : s->line,
		   (int)(s->m ? natsMsg_GetDataLength(s->m) : (int)s->len), &po, &jerr);
	if (pa)
		s->life = pa->Sequence;   /* its new life: the key of its intents */
	jsPubAck_Destroy(pa);
}

void snq_run(void *impl, struct rec_run *l)
{
	journal_run(&((struct nq *)impl)->jr, l);
}
