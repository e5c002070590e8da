/*
 * The backend contract for backends whose records are leased to a
 * consumer (contract.h's table: those with a lease_ms; today NATS
 * JetStream, on a server started here on 127.0.0.1): two consumers can
 * hold one record at once, when the first one's lease ran out, and still
 * no two sends share an attempt number, so the fold counts every send
 * (queue_holds, redrive-spool(5)); also when the number they take is one
 * a withdraw took back.
 */
#include "contract.h"

/* The attempts the fold of the whole log counts for the record id. */
static unsigned fold_attempts(struct spool *sp, const char *id)
{
	struct spool_iter *it = NULL;
	struct spool_item item;
	struct rec_parser rp;
	struct rd_err err, lerr;
	struct pend_ent *e;
	struct pend p;
	unsigned n = 0;

	pend_init(&p);
	rec_parser_init(&rp);
	if (spool_iter_new(sp, NULL, &it, &err) < 0)
		abort();
	while (spool_iter_next(it, &item, &err) > 0)
		pend_fold(&p, &item, &rp, &lerr);
	if ((e = pend_get(&p, id)))
		n = e->attempts;
	spool_iter_free(it);
	rec_parser_release(&rp);
	pend_release(&p);
	return n;
}

/* The only record of sp: a consumer records its intent to send it, then
 * withdraws it (its run ended before the send started), and lets it go. */
static void withdraw_first(struct spool *sp)
{
	struct queue *q = q_open(sp, 1, 0);
	struct queue_rec r;
	struct rd_err err;
	char got[128];

	if (offered(q, rec_now_ms(), got, sizeof(got), &r, 1) != 1 ||
	    queue_intent(q, r.slot, rec_now_ms()) != 1 ||
	    queue_flush(q, &err) < 0 || !queue_holds(q, r.slot))
		abort();
	queue_withdraw(q, r.slot, 1, rec_now_ms());
	if (queue_flush(q, &err) < 0)
		abort();
	queue_free(q);
}

/* One record in a fresh location (its first intent withdrawn when
 * withdrawn is set), offered at t to a first consumer (qa on spa), then,
 * once its lease ran out (qa is left alone), to a second (qb on spb);
 * its id into idv.  -1 when the backend cannot run here. */
static int held_twice(const struct backend *be, char *loc, int64_t t,
		      int withdrawn, struct spool **spa, struct spool **spb,
		      struct queue **qa, struct queue **qb,
		      struct queue_rec *ra, struct queue_rec *rb, char *idv)
{
	char got[128], name[200];
	int tries = 0;

	if (be->make(loc, 256) < 0)
		return -1;
	*spa = open_at(loc, 0, NULL);
	*spb = open_at(loc, 0, NULL);
	put(*spa, 0, 1, idv);
	if (withdrawn)
		withdraw_first(*spa);
	*qa = q_open(*spa, 1, 0);
	T_EQ_INT(offered(*qa, t, got, sizeof(got), ra, 1), 1, "the first consumer is offered the record");
	*qb = q_open(*spb, 1, 0);
	while (offered(*qb, rec_now_ms(), got, sizeof(got), rb, 1) == 0 &&
	       tries++ < (be->lease_ms + 8000) / 200)
		usleep(200000);
	snprintf(name, sizeof(name), "%s: the second consumer is offered the same record once the lease ran out", be->name);
	T_OK(strncmp(got, idv, REC_ID_LEN) == 0, name);
	return 0;
}

/* A backend with leases: one record held by two consumers at once (the
 * first one's lease ran out before it recorded its intent, and the
 * second one took the redelivery).  Both number their send 1; only the
 * first to record it may send, so the fold counts every send.  When an
 * intent of attempt 1 was withdrawn before (withdrawn), both take the
 * number back, and still only the first may send. */
static void queue_two_holders(const struct backend *be, int b_first,
			      int withdrawn)
{
	char loc[256], name[200], idv[REC_ID_LEN + 1];
	struct queue_rec ra, rb;
	struct spool *spa, *spb;
	struct queue *qa, *qb, *first, *second;
	const struct queue_rec *rf, *rs;
	struct rd_err err;
	int hf, hs;

	const char *after = withdrawn ? ", after a withdraw" : "";

	if (held_twice(be, loc, now_ms, withdrawn, &spa, &spb, &qa, &qb, &ra,
		       &rb, idv) < 0)
		return;
	first = b_first ? qb : qa;
	second = b_first ? qa : qb;
	rf = b_first ? &rb : &ra;
	rs = b_first ? &ra : &rb;
	snprintf(name, sizeof(name), "%s: both number their send 1%s", be->name, after);
	T_OK(queue_intent(first, rf->slot, rec_now_ms()) == 1 &&
	     queue_intent(second, rs->slot, rec_now_ms()) == 1, name);
	T_OK(queue_flush(first, &err) == 0 && queue_flush(second, &err) == 0,
	     "both intents are flushed");
	hf = queue_holds(first, rf->slot);
	hs = queue_holds(second, rs->slot);
	snprintf(name, sizeof(name), "%s: the first to record attempt 1 holds the record, the other does not (%s first%s)",
		 be->name, b_first ? "the second consumer" : "the first consumer",
		 after);
	T_OK(hf && !hs, name);
	if (hf)
		attempt(first, rf, REC_OUT_OK, 0, NULL);
	if (!hs)
		queue_mark(second, rs->slot, QUEUE_RELEASE);
	else
		attempt(second, rs, REC_OUT_OK, 0, NULL);
	T_OK(queue_flush(first, &err) == 0 && queue_flush(second, &err) == 0,
	     "the outcomes are flushed");
	snprintf(name, sizeof(name), "%s: the fold counts every send of the record%s", be->name, after);
	T_EQ_INT(fold_attempts(spa, idv), hf + hs, name);
	queue_free(qa);
	queue_free(qb);
	spool_close(spa);
	spool_close(spb);
	be->drop(loc);
}

/*
 * A holder whose view of a record is over a minute old reads it again
 * before its intent (fresh() in snats_record.c): the record was taken
 * over meanwhile (the first consumer's lease ran out), tried once and
 * left to retry; the first consumer, asked for its intent with a clock
 * minutes on, numbers its send 2, from the state it read again, and
 * holds the record.  Numbered from its old view, its intent would repeat
 * attempt 1's key and lose to it.
 */
static void queue_stale_holder(const struct backend *be)
{
	char loc[256], name[200], idv[REC_ID_LEN + 1];
	struct queue_rec ra, rb;
	struct spool *spa, *spb;
	struct queue *qa, *qb;
	struct rd_err err;
	int64_t t0 = rec_now_ms();

	if (held_twice(be, loc, t0, 0, &spa, &spb, &qa, &qb, &ra, &rb, idv) < 0)
		return;
	snprintf(name, sizeof(name), "%s: stale: the second consumer tries the record once, to retry in a second", be->name);
	T_OK(queue_intent(qb, rb.slot, rec_now_ms()) == 1 &&
	     queue_flush(qb, &err) == 0 && queue_holds(qb, rb.slot), name);
	attempt(qb, &rb, REC_OUT_RETRY, rec_now_ms() + 1000, NULL);
	T_OK(queue_flush(qb, &err) == 0, "stale: the retry is flushed");
	snprintf(name, sizeof(name), "%s: stale: five minutes on, the first consumer reads the record again and numbers its send 2", be->name);
	/* five minutes on: past STALE_MS (snats_queue.h), inside the
	 * server's ten-minute window for keys */
	T_EQ_INT((int)queue_intent(qa, ra.slot, t0 + 5 * 60000), 2, name);
	T_OK(queue_flush(qa, &err) == 0, "stale: its intent is flushed");
	snprintf(name, sizeof(name), "%s: stale: and holds the record", be->name);
	T_OK(queue_holds(qa, ra.slot), name);
	ra.attempts = 1;
	attempt(qa, &ra, REC_OUT_OK, 0, NULL);
	T_OK(queue_flush(qa, &err) == 0, "stale: the outcome is flushed");
	snprintf(name, sizeof(name), "%s: stale: the fold counts both sends", be->name);
	T_EQ_INT(fold_attempts(spa, idv), 2, name);
	queue_free(qa);
	queue_free(qb);
	spool_close(spa);
	spool_close(spb);
	be->drop(loc);
}

int main(void)
{
	struct rd_err err;

	if (rec_idgen_init(&ids, &err) < 0)
		return 2;
	now_ms = rec_now_ms();
	for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		const struct backend *be = &backends[b];

		if (!(lease_ms = be->lease_ms))
			continue;
		queue_two_holders(be, 0, 0);
		queue_two_holders(be, 1, 0);
		queue_two_holders(be, 0, 1);
		queue_two_holders(be, 1, 1);
		queue_stale_holder(be);
	}
	return t_done();
}
