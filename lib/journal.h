/*
 * journal.h - what a replay run writes to the spool: its attempt, dead and
 * revive events, batched into members and appended in the order they
 * happened.
 *
 * Invariants:
 *  - Events are appended in the order they were added; a dead event
 *    follows the attempt that caused it.
 *  - A batch that fails to append is not retried: the journal stays
 *    failed, and what it held is sent again by the next run (the
 *    at-least-once promise).  Nothing of a failed batch is stored.
 *  - A batch stays under about 64 KiB, the member size the spool's blast
 *    radius is measured in, even when attempts carry response bodies.
 *  - What an attempt keeps of its response is small and bounded: the
 *    status line, the headers named in journal.c (never a secret one:
 *    Set-Cookie, Authorization and the other names lib/redact knows are
 *    never stored in clear) and the first body_max bytes of the body.
 * Deliberately not here: deciding outcomes (replay.c) and the fold
 * (pend.c).
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "rd.h"
#include "rec.h"
#include "rec_run.h"
#include "spool.h"

#define JOURNAL_HDRS_MAX 16
/* Flush a batch once it holds this many bytes. */
#define JOURNAL_BATCH_BYTES 65536

struct journal {
	struct spool *sp;          /* borrowed */
	struct rec_idgen ids;
	struct buf ev;             /* events not yet appended */
	struct buf line_ids;       /* their ids, packed in order, for the
				    * storage to name members by */
	uint32_t n;
	uint32_t outcomes;         /* of them, all but intents: what the
				    * 2c bound on unrecorded outcomes counts */
	char first[REC_ID_LEN + 1];
	int64_t since_ns;          /* when the oldest of them was added */
	int failed;
	struct rd_err ferr;        /* why, once failed */
	size_t body_max;           /* response body bytes kept per attempt */
	/* What journal_response fills an event with borrows from here. */
	struct hdr hdrs[JOURNAL_HDRS_MAX];
	struct buf resp;
};

/* RD_E_IO when no random seed can be had for event ids. */
int journal_init(struct journal *j, struct spool *sp, size_t body_max,
		 struct rd_err *err);
void journal_release(struct journal *j);

/* Give e its id, for the wall-clock time now_ms, and add it to the
 * batch. */
void journal_add(struct journal *j, struct rec_event *e, int64_t now_ms);

/* 1 when the batch should be appended now: max_events or more events, or
 * the oldest is 100 ms old, or it is JOURNAL_BATCH_BYTES big. */
int journal_due(const struct journal *j, uint32_t max_events,
		int64_t now_ns);

/* Append the batch and make it durable.  0, or the code of the failure
 * (also after an earlier one), with err set. */
int journal_flush(struct journal *j, struct rd_err *err);

/*
 * Fill the response fields of attempt e from a finished transfer whose
 * head was kept (http_opts.keep_head): status line, the chosen headers and
 * the first body_max bytes of the body.  Nothing when there was no
 * response.  e borrows from j until the next call.
 */
void journal_response(struct journal *j, struct rec_event *e,
		      const struct http_res *res);

/* Add a run line (rec_run.h), its id given here, for the time r->at_ms. */
void journal_run(struct journal *j, struct rec_run *r);

/* Add a dead event for request ref. */
void journal_dead(struct journal *j, const char *ref, int64_t now_ms,
		  const char *reason);

/* Who this process acts for, as revive events record it: the name of its
 * user id, else $USER, else "uid N".  Written into out (size n). */
void journal_user(char *out, size_t n);

/* Add a revive event for request ref: its n-th revive, by user (may be
 * NULL or ""), for reason.  *ev is the event, for the caller to apply;
 * it borrows reason and user. */
void journal_revive(struct journal *j, const char *ref, int64_t now_ms,
		    const char *reason, const char *user, long long n,
		    struct rec_event *ev);

#endif
