/*
 * replay_run.h - the state of one replay run, shared by the two halves of
 * the loop: replay.c (rounds, waiting, the run itself) and
 * replay_outcome.c (what each result does: the queue's events, the
 * statistics and the status file).  Not a public interface:
 * everything else goes through replay.h.
 */
#ifndef REPLAY_RUN_H
#define REPLAY_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "dest.h"
#include "gate.h"
#include "http.h"
#include "queue.h"
#include "rate.h"
#include "rec.h"
#include "replay.h"
#include "replay_status.h"
#include "rw.h"
#include "spool.h"

struct replay_fly {                 /* one request, prepared or in flight */
	size_t idx;              /* its record's slot in the queue */
	char id[REC_ID_LEN + 1];
	char method[16];
	char *url;
	int64_t captured_ms;     /* for --max-age */
	unsigned attempt;        /* its number, as its intent says */
	uint32_t dest;           /* its host, in the run's dests */
	uint32_t dest_epoch;     /* the host's epoch when it started */
	struct http_req req;     /* what is sent, owning its bytes: */
	struct hdr *hdrs;
	char *data;              /* header names and values, then the body */
};

/* Sends prepared before their intents are appended at once. */
#define REPLAY_READY_MAX 128

struct replay_run {
	const struct replay_opts *o;
	struct replay_stats *st;
	struct spool *sp;        /* its state files: status, control */
	struct queue *q;         /* the work: the only way to the records */
	/* The record being sent borrows from rp until it is submitted. */
	struct rec_parser rp;
	struct http *http;
	struct dest_conf dconf;  /* pacing per host (replay_pace.c) */
	struct dest_set dests;
	uint32_t *edest;         /* per queue slot: its host + 1; 0 unknown */
	size_t nedest;
	struct replay_fly **parked; /* prepared, waiting for their host */
	size_t nparked, parked_cap;
	uint64_t sweep;          /* replay_pump's sweeps */
	struct gate gate;
	int64_t mono0_ns, wall0_ms, deadline_ns;
	struct rw rw;
	uint64_t nselected, rng;
	int64_t last_progress_ns, last_ckpt_ns, gate_closed_since_ns;
	int64_t gate_wait_since_ns;  /* waiting for the gate's first answer */
	int64_t last_status_ns;
	int64_t last_run_line_ns;  /* the last run line in the spool */
	int last_run_gate;         /* the gate it said (enum rec_gate) */
	uint64_t last_run_sent, last_run_pending;  /* and its counts */
	int64_t win_start_ns;
	uint64_t win_sent;
	double rate;             /* the rate limit now (--rate, or a control
				  * applied since); 0: none */
	char ctl_seen[REC_ID_LEN + 1]; /* the last control read (replay_ctl.h) */
	struct replay_fly *ready[REPLAY_READY_MAX];
	size_t nready;           /* prepared, intents recorded, not started */
	int claimed;             /* the spool is ours: the status file too */
	int status_warned;
	int stopping;
	size_t pass_skips;       /* records of full hosts passed over */
	int mixed, mix_next;     /* the work is for more than one host */
	uint32_t mix_first;      /* the first host the plan met, + 1 */
	char **told;             /* the spool's notices said so far */
	size_t ntold;
};

/* The wall clock as the run sees it: at start, plus monotonic time. */
int64_t replay_wall_now(const struct replay_run *r);
/* Something the user should know, through on_notice. */
void replay_notice(struct replay_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Selected records still pending. */
uint64_t replay_remaining(const struct replay_run *r);

/* replay_outcome.c */
/* Bring r->st up to date (rates, gate, what remains). */
void replay_fill_stats(struct replay_run *r);
/* The gate as a run line says it (enum rec_gate). */
int replay_gate_word(const struct replay_run *r);
/* Write the status file from r->st (the claim holder only), and a run
 * line in the spool when something moved (rec_run.h). */
void replay_put_status(struct replay_run *r, enum replay_status_state state,
		       const char *error);
/* 1 when a record captured at captured_ms is past --max-age. */
int replay_too_old(const struct replay_run *r, int64_t captured_ms,
		   int64_t now_ms);
/* The HTTP engine's callback for each finished send. */
void replay_on_done(void *ctx, const struct http_res *res);
/* Free a struct replay_fly. */
void replay_fly_free(void *udata);
/* Send the record of entry idx to dead for --max-age, instead of
 * sending it. */
void replay_expire(struct replay_run *r, size_t idx, const struct rec_req *q);

/* replay_pace.c */
void replay_pace_init(struct replay_run *r);
void replay_pace_release(struct replay_run *r);
/* The host the record of entry idx goes to (its built URL), remembered
 * for the entry: an index into r->dests. */
uint32_t replay_dest_of(struct replay_run *r, size_t idx, const char *url);
/* The queue's waits (queue_opts): 1 when slot idx's host is known and
 * takes nothing now: held (dest_held, *until_ns when that ends) or full
 * (*until_ns 0).  ctx is the run. */
int replay_slot_waits(void *ctx, size_t idx, int64_t now_ns, int64_t *until_ns);
/* Whether the work left is for more than one host (or hosts not known
 * yet): told entry by entry as the plan goes over them, and in force
 * from the end of that plan to the end of the next. */
void replay_mix_reset(struct replay_run *r);
void replay_slot_planned(void *ctx, size_t idx);
void replay_mix_done(struct replay_run *r);
/* 1 when host d has no room (replay_dest_room), and other hosts may
 * have work: its records are passed over.  When all the work is for
 * one host, never: its records wait their turn in order. */
int replay_dest_full(const struct replay_run *r, const struct dest *d);
/* Records of full hosts one pass reads and passes over before it waits
 * for room instead: the look-ahead for other hosts' records. */
#define REPLAY_LOOKAHEAD 1024
/* 1 when host d may have one more send prepared: none of its sends is
 * parked, and fewer than replay_park_cap are prepared. */
int replay_dest_room(const struct replay_run *r, const struct dest *d);
/* Most sends prepared and not started for host d. */
size_t replay_park_cap(const struct replay_run *r, const struct dest *d);
/* A send, prepared from the request as built: a copy it owns. */
struct replay_fly *replay_fly_new(size_t idx, const struct rec_req *q,
				  const struct http_req *hr, unsigned attempt);
/* Start the prepared sends (r->ready) once their intents are durable:
 * each now, or parked. */
int replay_launch(struct replay_run *r, struct rd_err *err);
/* Prepared sends from the from'th on that will not start (stopped). */
void replay_drop_ready(struct replay_run *r, size_t from);
/* Start a prepared send, its intent durable, or park it until its host
 * takes it. */
int replay_start(struct replay_run *r, struct replay_fly *f, struct rd_err *err);
/* Start the parked sends whose hosts take them now. */
int replay_pump(struct replay_run *r, struct rd_err *err);
/* Nanoseconds until a parked send might start; INT64_MAX: none. */
int64_t replay_pace_wait(struct replay_run *r, int64_t now);
/* Parked sends that will not start (stopped): their entries are free. */
void replay_drop_parked(struct replay_run *r);

#endif
