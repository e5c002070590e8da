/*
 * replay_ctl.h - changing a replay while it runs.  Another process (an
 * operator's `rd-replay --set-rate`) writes a control file beside the log,
 * replay.control; the running replay reads it with each status picture,
 * about once a second, applies it if it is new, and names it in its
 * status file (replay.status "control"), which is how the writer knows it
 * was taken.  A control left from before a run started is not applied.
 *
 *   {"v":1,"id":ULID,"at":TIME,"rate":R,"by":"alice"}
 *
 * rate is requests per second; 0 lifts the limit (max).
 */
#ifndef REPLAY_CTL_H
#define REPLAY_CTL_H

#include <stdint.h>

#include "rd.h"
#include "rec.h"
#include "replay_status.h"
#include "spool.h"

#define REPLAY_CTL_NAME "replay.control"

struct replay_ctl {
	char id[REC_ID_LEN + 1];   /* new for every control written */
	int64_t at_ms;
	double rate;               /* per second; 0: no limit */
	char by[64];               /* who asked; "" when unknown */
};

/* Write c to sp's control file, atomically, with a new id and the time
 * (both set in c). */
int replay_ctl_write(struct spool *sp, struct replay_ctl *c, struct rd_err *err);

/* Read the control file: 1 and c filled, 0 when there is none, or
 * RD_E_INVAL naming the field when it does not parse. */
int replay_ctl_read(struct spool *sp, struct replay_ctl *c, struct rd_err *err);

/* What replay_ctl_set found. */
enum replay_ctl_result {
	REPLAY_CTL_TAKEN = 0,      /* the running replay applied it */
	REPLAY_CTL_NOT_RUNNING,    /* no replay runs on this spool */
	REPLAY_CTL_NOT_TAKEN       /* one runs, and did not take it in time */
};

/*
 * Set the rate of the replay running on sp: write the control, then wait
 * up to wait_ms for its status file to name it.  *st is the status last
 * read (its pid, the rate limit it now has).  A negative code when the
 * control cannot be written; nothing is written when no replay runs.
 */
int replay_ctl_set(struct spool *sp, double rate, const char *by, int wait_ms,
		   struct replay_status *st, struct rd_err *err);

#endif
