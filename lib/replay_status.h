/*
 * replay_status.h - the status file of a replay: what a running
 * rd-replay is doing, kept in the spool as replay.status so that another
 * tool (or a person with jq) can see it without asking the process.
 *
 * One JSON object, replaced whole (never a mix of two writes) at most
 * about once a second while the run goes on, and a last time when it
 * ends, marked finished or failed.  It is a picture, not a record: it is
 * not fsynced, a power loss may leave an older picture or none, and the
 * log stays the truth about every request.  A file that says "running"
 * about a process that no longer exists is what a kill -9 leaves; the
 * reader says so (alive = 0).  The format is in redrive-spool(5).
 */
#ifndef REPLAY_STATUS_H
#define REPLAY_STATUS_H

#include <stdint.h>

#include "buf.h"
#include "gate.h"
#include "rd.h"
#include "rec.h"
#include "spool.h"

#define REPLAY_STATUS_NAME "replay.status"

enum replay_status_state {
	REPLAY_STATUS_RUNNING = 0,
	REPLAY_STATUS_FINISHED,    /* ended normally (work may remain) */
	REPLAY_STATUS_FAILED       /* ended by an error */
};

struct replay_status {
	enum replay_status_state state;
	int alive;                 /* read: its process still exists */
	long pid;
	int64_t since_ms;          /* when the run started (wall clock) */
	int64_t updated_ms;        /* when this picture was taken */
	int64_t ended_ms;          /* finished or failed: when; else 0 */
	uint64_t sent, ok, retry, dead, revived, pending;
	double rate;               /* sends per second over the last second */
	double rate_limit;         /* the rate it may send at; 0: no limit */
	char gate[16];             /* none, unknown, open, closed, broken */
	char gate_why[GATE_LINE_MAX + 64]; /* gate_describe, "" when none */
	char error[256];           /* failed: what happened */
	char control[REC_ID_LEN + 1]; /* the last control applied (replay_ctl.h);
				       * "" when none */
};

/* "running", "finished" or "failed". */
const char *replay_status_state_name(enum replay_status_state s);

/* Append s as one JSON line. */
void replay_status_to_json(const struct replay_status *s, struct buf *out);

/* Parse a status written by replay_status_to_json (unknown fields are
 * ignored).  RD_E_INVAL, naming the field, when it does not parse.  alive
 * is left 0. */
int replay_status_parse(const char *text, size_t n, struct replay_status *out,
			struct rd_err *err);

/* Replace the spool's status file with s.  0 or a negative code. */
int replay_status_write(struct spool *sp, const struct replay_status *s,
			struct rd_err *err);

/*
 * Read the spool's status file into *out: 1 when there is one, 0 when no
 * replay ever wrote one, or a negative code (RD_E_INVAL for a file that
 * does not parse).  out->alive is 1 when it says running and its process
 * still exists.
 */
int replay_status_read(struct spool *sp, struct replay_status *out,
		       struct rd_err *err);

#endif
