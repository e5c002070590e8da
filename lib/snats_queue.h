/*
 * snats_queue.h - what the files of the NATS queue tier share
 * (snats_queue.c, the consumer: deliveries, offers, leases and what the
 * server is told; snats_record.c, what a worker records about a record
 * and reads of its state).  Internal: only lib/snats_queue.c and
 * lib/snats_record.c include it.
 */
#ifndef SNATS_QUEUE_H
#define SNATS_QUEUE_H

#include <nats/nats.h>
#include <stdint.h>

#include "journal.h"
#include "life.h"
#include "queue.h"
#include "rec.h"
#include "snats.h"

#define FETCH_BATCH 16
#define FETCH_WAIT_MS 50
/* Offered and not taken (their host waits): no more fetching beyond. */
#define IDLE_MAX 64
/* While fetches come back empty, at most one every POLL_MS. */
#define POLL_MS 100

/* A state read longer ago than this is read again before an intent: well
 * inside the stream's dedupe window, which an intent's key relies on. */
#define STALE_MS 60000

enum { ACT_NONE, ACT_ACK, ACT_NAK, ACT_TERM };
enum {
	S_USED = 1, S_TAKEN = 2, S_SEEN = 4, S_SKIP = 8, S_REFUSED = 16,
	S_OFFERED = 32, S_LOST = 64
};

struct nslot {
	natsMsg *m;              /* the delivery; NULL: a dead record offered
				  * to be revived */
	char *line;              /* its request line when m is NULL */
	size_t len;
	char id[REC_ID_LEN + 1];
	struct life l;
	uint8_t flags, act;
	int64_t nak_ms;
	int64_t touched_ms;      /* when its lease last began again */
	int64_t read_ms;         /* when its state was read */
	uint64_t life;           /* the stream sequence of its request
				  * message, new with each revive */
	char intent_id[REC_ID_LEN + 1]; /* its last intent's event id */
	char wd_id[REC_ID_LEN + 1]; /* the withdraw its state was read
				     * from (the record's last event), or
				     * "": its next intent's key names it */
};

struct nq {
	struct spool *sp;
	struct snats *n;
	struct queue_opts o;
	struct journal jr;
	struct rec_parser rp;
	natsSubscription *sub;
	struct nslot *s;
	size_t ns, cap;
	size_t *freel;
	size_t nfree;
	natsMsgList got;         /* fetched, not yet looked at */
	int gi;
	struct dead {                  /* dead records to offer (revive) */
		char id[REC_ID_LEN + 1];
		unsigned revives;
	} *dead;
	size_t ndead, di;
	size_t idle_i;           /* where a round's look at held slots is */
	int round, limited;
	uint64_t left;           /* from the last plan */
	int64_t quiet_until_ms;  /* the last fetch came back empty: until */
	int64_t lease_ms;        /* the consumer's AckWait */
};

/* The record id's state for replay (snats_record.c): 0 (state in *l,
 * LIFE_PENDING with nothing recorded yet; in wd, when wd is not NULL,
 * the id of the withdraw it was read from, else ""), or an error. */
int snq_state(struct nq *q, const char *id, struct life *l,
	      char wd[REC_ID_LEN + 1], struct rd_err *err);
/* For snats_keys_end after each flush: marks the slot whose intent's
 * key another worker's intent had first (queue_holds then says 0). */
void snq_lost_race(void *ctx, const char *msgid);
/* The queue_ops entries of the same names (queue_be.h). */
unsigned snq_intent(void *impl, size_t slot, int64_t at_ms);
int snq_holds(const void *impl, size_t slot);
/* Record the withdraw of slot's intent numbered attempt, when it is
 * still the record's last event; the caller gives the slot back. */
void snq_withdraw(void *impl, size_t slot, unsigned attempt, int64_t at_ms);
void snq_dead(void *impl, size_t slot, int64_t at_ms, const char *reason);
void snq_attempt(void *impl, size_t slot, struct rec_event *ev,
		 const struct http_res *res, const char *dead_reason);
void snq_revive(void *impl, size_t slot, int64_t at_ms, const char *reason,
		const char *user);
void snq_run(void *impl, struct rec_run *l);

#endif
