/*
 * queue.h - the queue tier of the spool: how one consumer (rd-replay)
 * takes the requests that are due, and records what became of each.
 *
 * The spool has two tiers.  The log tier (spool.h) appends and iterates
 * whole lines; the queue tier is what a consumer needs on top of it, in
 * words that do not depend on how a backend stores things: plan (is
 * anything due, and when is the next), take the due records one by one,
 * then record an intent before each send and an outcome after it (ok,
 * retry at T, dead with a reason), or revive a dead one.  A consumer
 * never sees segments, members, offsets or checkpoints.
 *
 * Each backend provides the tier (queue_be.h).  The directory provides
 * it by folding its log through the lifecycle (queue_fold.c): one
 * consumer at a time, under the spool's "replay" claim, the events in
 * the log, a checkpoint of the fold beside it.
 *
 * Contract, for every backend (tests/unit/test_contract.c; with two
 * consumers holding one record, test_contract_lease.c):
 *  - A record is offered only when it is due, pending (or dead, to a
 *    consumer that revives), not taken by this consumer already, and
 *    not passed over (queue_mark, or its selection: queue_opts.selects)
 *    in this queue's life.
 *  - An intent is recorded before its send starts, and counts as an
 *    attempt whose outcome is unknown until an outcome follows it, or
 *    a withdraw (the send never started) takes it back.
 *  - Recorded events become durable with queue_flush (an intent before
 *    its send starts; an outcome within the bound the caller keeps with
 *    queue_due).  After a crash a new queue on the same spool sees every
 *    flushed event, and every record without a final outcome is due
 *    again: at least once.
 *  - No two sends of a record share an attempt number, even with two
 *    consumers holding it (queue_holds), so counting the attempts from
 *    the events never gives fewer than the sends made.
 *  - Each record has a slot, a small number stable while the queue is
 *    open, so a consumer can keep its own facts per record in an array.
 */
#ifndef QUEUE_H
#define QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "life.h"
#include "rd.h"
#include "rec.h"
#include "rec_run.h"
#include "spool.h"

struct queue;
struct queue_rec;

struct queue_opts {
	/* Consume: take the spool's consumer claim and record events.
	 * Without it the queue only looks (a dry run): no claim, nothing
	 * is recorded, no checkpoint is written. */
	int consume;
	/* Offer dead records too, once each (rd-replay --revive). */
	int revive;
	size_t body_max;          /* response body bytes an attempt keeps */
	/* How long a taken record stays this consumer's before a backend
	 * with leases may offer it to another (NATS: the AckWait); 0: the
	 * backend's default.  Longer than a send can take. */
	uint64_t lease_ms;
	/* How many records the consumer may hold at once (taken or
	 * offered): a backend with leases caps them near this. */
	unsigned width;
	/* Something the user should know: damage skipped, a checkpoint
	 * not trusted, a line that does not parse. */
	void (*notice)(void *ctx, const char *msg);
	/* The consumer's look at a due record before it is read: 1 when
	 * it must wait (its host takes nothing now), with *until_ns the
	 * monotonic time that may change (0: not known); else 0.  NULL:
	 * nothing waits. */
	int (*waits)(void *ctx, size_t slot, int64_t now_ns, int64_t *until_ns);
	/* Told of each record still to do as queue_plan looks at it. */
	void (*planned)(void *ctx, size_t slot);
	/* The consumer's selection, when it has one: asked by
	 * queue_refresh, once, of each record that is this consumer's work
	 * (pending, due or not, or dead when reviving) and not judged yet;
	 * 1 when the record is selected (offered later with picked set), 0
	 * when not (passed over from then on as with QUEUE_SKIP: never
	 * offered, waited for or counted by queue_left).  So a narrow
	 * selection never waits for a retry it did not select.  NULL: the
	 * consumer judges each record as it is offered.  A backend that
	 * cannot read a record before it is delivered due (NATS) never
	 * asks. */
	int (*selects)(void *ctx, const struct queue_rec *rec);
	void *ctx;
};

/* A record offered by queue_next. */
struct queue_rec {
	size_t slot;
	char id[REC_ID_LEN + 1];
	const char *line;         /* its request line, canonical JSON, */
	size_t len;               /* borrowed until the next queue_next */
	unsigned attempts;        /* sends recorded since its last revive */
	unsigned revives;
	int dead;                 /* offered to be revived */
	int seen;                 /* marked QUEUE_SEEN already */
	int picked;               /* queue_opts.selects said 1 of it */
};

/* Where a record stands, for the consumer's reports. */
struct queue_state {
	enum life_state state;
	int64_t due_ms;           /* pending: when it is due (wall clock) */
	unsigned attempts;
};

/* How the consumer marks a record for the life of the queue. */
enum queue_mark {
	QUEUE_SEEN,      /* judged: this consumer's work */
	QUEUE_SKIP,      /* not this consumer's work: never offered again */
	QUEUE_REFUSE,    /* cannot be sent (its host is not allowed): never
			  * offered again, but still counted as left */
	QUEUE_RELEASE    /* taken, its send will not start after all: due
			  * again (its intent stays: outcome unknown) */
};

/*
 * Open the queue of sp (borrowed; it must outlive the queue): claim it
 * when consuming (RD_E_LOCKED when another consumer has it), and bring
 * the state up to date.  Caller frees *out with queue_free.
 */
int queue_open(struct spool *sp, const struct queue_opts *o,
	       struct queue **out, struct rd_err *err);
/* Release everything; what was not flushed is lost.  Accepts NULL. */
void queue_free(struct queue *q);

/* Take in what other writers appended since (new captures), and ask
 * the selection (queue_opts.selects) of each record not judged yet. */
int queue_refresh(struct queue *q, struct rd_err *err);

/*
 * Look at the work left and start a round over what is due: 1 when
 * something is due now (queue_next offers it), 0 when nothing is due
 * yet (*next_due_ms: the wall-clock time the next is, INT64_MAX when
 * only sends in flight or waiting records are left), -1 when nothing is
 * left.  now_ms is the wall clock, now_ns the monotonic one.
 */
int queue_plan(struct queue *q, int64_t now_ms, int64_t now_ns,
	       int64_t *next_due_ms);
/* The next due record of the round: 1, 0 at its end, or an error. */
int queue_next(struct queue *q, int64_t now_ms, struct queue_rec *rec,
	       struct rd_err *err);
/* No new record is the consumer's work from now on (--limit reached):
 * only those marked QUEUE_SEEN are still offered. */
void queue_limit(struct queue *q);

void queue_mark(struct queue *q, size_t slot, enum queue_mark m);
/* Every record taken and not finished is due again (sends abandoned). */
void queue_release_all(struct queue *q);

/* Record the intent to send slot's record now; it is taken until an
 * outcome or a release.  Returns the attempt's number. */
unsigned queue_intent(struct queue *q, size_t slot, int64_t at_ms);
/*
 * Slot's send, its intent recorded, will not start after all (the run
 * ends first): record that the intent of attempt number attempt is
 * withdrawn, so it counts as no send, and give the slot back (as
 * QUEUE_RELEASE).  Nothing is recorded after a failed flush (the run
 * ends on that error), nor when the intent may no longer be taken back
 * (NATS: another consumer recorded this attempt, or an event after it):
 * the intent stays, an attempt whose outcome is unknown.
 */
void queue_withdraw(struct queue *q, size_t slot, unsigned attempt,
		    int64_t at_ms);
/*
 * After the flush that made slot's intent durable: 1 when the send may
 * start; 0 when another consumer recorded the same attempt first (a
 * backend with leases can hand a record to two: a lease run out, a
 * failover), and this one must not send it, but give the slot back with
 * QUEUE_RELEASE.  So no two sends of a record share an attempt number.
 */
int queue_holds(const struct queue *q, size_t slot);
/*
 * Record the outcome of an attempt: ev (kind REC_ATTEMPT, its ref, time,
 * number, outcome, next due) with what res says of the response (NULL:
 * nothing), then a dead event when dead_reason is given.
 */
void queue_attempt(struct queue *q, size_t slot, struct rec_event *ev,
		   const struct http_res *res, const char *dead_reason);
/* Record slot's record dead without a send (e.g. --max-age). */
void queue_dead(struct queue *q, size_t slot, int64_t at_ms,
		const char *reason);
/* Record a revive of slot's dead record, by user (may be NULL). */
void queue_revive(struct queue *q, size_t slot, int64_t at_ms,
		  const char *reason, const char *user);
/* Record a line about the consumer's run itself (rec_run.h). */
void queue_run(struct queue *q, struct rec_run *l);

/* Make what was recorded durable.  0, or the code of the failure (also
 * after an earlier one), with err set. */
int queue_flush(struct queue *q, struct rd_err *err);
/* 1 when a flush is due: max_events or more events wait, the oldest
 * has waited 100 ms, or an earlier flush failed. */
int queue_due(const struct queue *q, uint32_t max_events, int64_t now_ns);
/* Flush, and save what makes the next open quick (the directory: a
 * checkpoint of the fold). */
int queue_checkpoint(struct queue *q, struct rd_err *err);

/* Where slot's record stands: valid from its offer until the flush
 * after its outcome (a backend may then give the slot to another). */
void queue_state(const struct queue *q, size_t slot, struct queue_state *st);
/* Records still this consumer's work: pending and not passed over (and
 * dead ones not yet judged, when reviving). */
uint64_t queue_left(const struct queue *q);
/* Bring due times later than max_ms back to max_ms; how many moved. */
size_t queue_clamp_due(struct queue *q, int64_t max_ms);

#endif
