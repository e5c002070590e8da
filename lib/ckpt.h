/*
 * ckpt.h - the replay checkpoint in a spool: its name, and reading it
 * back only when it still describes the log.  rd-replay resumes from it;
 * rd-audit takes its states for the records it covers, so that both
 * tools say the same about a record whose events a damaged member lost.
 * The format is pend's (pend_save, pend_load).
 */
#ifndef CKPT_H
#define CKPT_H

#include "pend.h"
#include "rd.h"
#include "spool.h"

#define CKPT_NAME "replay.ckpt"
#define CKPT_MAX (1ULL << 30)

/*
 * Load the checkpoint of sp into p (released first) and its resume
 * position into *at.  Returns 1 when loaded, 0 when there is none, or a
 * negative code: RD_E_CORRUPT (why in err) when it is damaged or no
 * longer describes the log (segments deleted, bytes taken back by a
 * power loss) and must be ignored, another when it cannot be read.
 */
int ckpt_read(struct spool *sp, struct pend *p, struct spool_pos *at,
	      struct rd_err *err);

#endif
