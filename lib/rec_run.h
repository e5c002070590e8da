/*
 * rec_run.h - the "run" line of the spool schema (redrive-spool(5)): what
 * a replay run was doing at a moment, written every few seconds and when
 * its gate opens or closes, so that a postmortem can draw the drain over
 * time (the rate, the gate, the backlog).
 *
 *   {"v":1,"kind":"run","id":ID,"at":TIME,"pid":N,"state":"running",
 *    "rate":R,"rate_limit":L,"gate":"open","pending":P,"sent":S,"ok":O,
 *    "retry":T,"dead":D}
 *
 * state is "running", or "ended" on the run's last line.
 *
 * A run line is about no request: rec_kind_peek says REC_UNKNOWN for it,
 * so the request lifecycle never sees it; readers that want it ask
 * rec_run_peek.  The counters are the run's own, since it started.
 */
#ifndef REC_RUN_H
#define REC_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rd.h"
#include "rec.h"

enum rec_gate { REC_GATE_NONE = 0, REC_GATE_OPEN, REC_GATE_CLOSED };

struct rec_run {
	char id[REC_ID_LEN + 1];
	int64_t at_ms;
	long pid;
	double rate;               /* sends per second just now */
	double rate_limit;         /* what it may send at; 0: no limit */
	enum rec_gate gate;
	uint64_t pending, sent, ok, retry, dead;
	int ended;                 /* the run's last line */
};

/* 1 when line is a run line. */
int rec_run_peek(const char *line, size_t n);

/* Append r as one line, with its newline. */
void rec_run_to_json(struct buf *out, const struct rec_run *r);

/* Parse a run line.  RD_E_INVAL naming the field.  Unknown fields are
 * ignored, as everywhere in the schema. */
int rec_run_parse(const char *line, size_t n, struct rec_run *r,
		  struct rd_err *err);

#endif
