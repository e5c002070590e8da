/*
 * rec_rollup.h - the "rollup" line of the spool schema (redrive-spool(5)):
 * what rd-compact removed from one segment, so that rd-audit's totals
 * still count it.
 *
 *   {"v":1,"kind":"rollup","id":ID,"at":TIME,"requests":N,"ok":O,
 *    "dead":D,"sends":S,"sends_ok":A,"sends_retry":B,"sends_permanent":C,
 *    "replayed":R,"first":TIME,"last":TIME}
 *
 * requests: the requests removed, of them ok delivered and dead given up
 * on; sends: every send made for them (what amplification counts), and
 * of those the outcomes recorded, by outcome;
 * replayed: those sent at least once; first and last: the span of their
 * captures and events.  A rollup line is about no request: rec_kind_peek
 * says REC_UNKNOWN for it, so the lifecycle never sees it; readers that
 * want it ask rec_rollup_peek.
 */
#ifndef REC_ROLLUP_H
#define REC_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rd.h"
#include "rec.h"

struct rec_rollup {
	char id[REC_ID_LEN + 1];
	int64_t at_ms;
	uint64_t requests, ok, dead, sends, replayed;
	uint64_t sends_ok, sends_retry, sends_permanent;
	int64_t first_ms, last_ms;     /* 0: none */
};

/* 1 when line is a rollup line. */
int rec_rollup_peek(const char *line, size_t n);
/* Append r as one line, with its newline. */
void rec_rollup_to_json(struct buf *out, const struct rec_rollup *r);
/* Parse a rollup line.  RD_E_INVAL naming the field. */
int rec_rollup_parse(const char *line, size_t n, struct rec_rollup *r,
		     struct rd_err *err);

#endif
