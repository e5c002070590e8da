/*
 * pend.h - the pending set: the fold of the spool's requests and events
 * into one small entry per unresolved request.
 *
 * An entry holds what replay needs to decide and to find the record again
 * (its id, where its line sits, its attempts, when it is due), never the
 * request itself: memory grows by about 48 bytes per pending record,
 * whatever the bodies weigh.  Each event sets absolute values (attempt n,
 * outcome, next due), so folding a line twice changes nothing, and a fold
 * that resumes from a checkpoint ends in the same state as a full one.
 * Resolved entries stay until pend_compact.  No I/O here: the caller
 * reads the spool and stores the checkpoint bytes.
 */
#ifndef PEND_H
#define PEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "buf.h"
#include "idtab.h"
#include "life.h"
#include "rd.h"
#include "rec.h"
#include "spool.h"

/* The lifecycle's states (life.h), as the entry keeps them. */
enum pend_state {
	PEND_PENDING = LIFE_PENDING,
	PEND_DEAD = LIFE_DEAD,
	PEND_DONE = LIFE_DONE
};

/* Run-local flags, never saved. */
enum {
	PEND_F_INFLIGHT = 1,  /* a send is under way */
	PEND_F_SKIP = 2,      /* not selected by this run */
	PEND_F_REFUSED = 4,   /* its host is not allowed */
	PEND_F_SEEN = 8,      /* selection already decided */
	PEND_F_FOUND = 16,    /* its line was read in this round */
	PEND_F_ASKED = 32,    /* the selection was asked of it (queue.h) */
	PEND_F_PICKED = 64    /* and it said yes */
};

#define PEND_OFF_BITS 40

/* The most revives an entry counts; more are counted as this many. */
#define PEND_REVIVES_MAX 63

/* 40 bytes: a million pending records fit in 40 MB.  The revive count
 * shares the state's byte so that the entry does not grow. */
struct pend_ent {
	unsigned char id[REC_ID_BIN];
	int64_t due_ms;       /* wall clock; 0: due at once */
	/* Where the request line sits (spool_pos), packed so the entry
	 * stays 40 bytes: a member offset of up to 2^40 (1 TiB into its
	 * part; parts roll at 1 GiB at most) and a line within its member
	 * of up to 2^24 (a member holds about SPOOL_MEMBER_BYTES of lines). */
	uint64_t off : PEND_OFF_BITS;
	uint64_t line : 64 - PEND_OFF_BITS;
	uint32_t seg;
	uint16_t attempts;    /* sends made by replay since the last revive */
	uint8_t state : 2;    /* enum pend_state */
	uint8_t revives : 6;  /* revive events, up to PEND_REVIVES_MAX */
	uint8_t flags;
};

struct pend {
	struct pend_ent *ents;
	size_t n, cap;
	struct idtab idx;     /* id -> entry */
	uint64_t pending, dead, done;
};

void pend_init(struct pend *p);
void pend_release(struct pend *p);

/* The entry for id (REC_ID_LEN chars), or NULL.  Borrowed until the next
 * change to p. */
struct pend_ent *pend_get(struct pend *p, const char *id);

/* Fold one spool line.  Lines of unknown kinds, and events about requests
 * not in the set (resolved and compacted, or never seen) are ignored.
 * RD_E_INVAL for a line that claims a known kind but does not parse. */
int pend_fold(struct pend *p, const struct spool_item *it,
	      struct rec_parser *rp, struct rd_err *err);

/* Move an entry to a new state, keeping the counters right. */
void pend_set_state(struct pend *p, struct pend_ent *e, enum pend_state s);

/* Apply event ev to entry e through the lifecycle (life_apply): how
 * both the fold of the log and the replay's own outcomes change an entry. */
void pend_apply(struct pend *p, struct pend_ent *e, const struct rec_event *ev);


/* The position of an entry's request line. */
void pend_pos(const struct pend_ent *e, struct spool_pos *out);

/* Drop resolved entries and rebuild the index. */
void pend_compact(struct pend *p);

/* Bring pending due times later than max_ms back to max_ms, and return
 * how many moved.  A due time is at most the longest backoff ahead of
 * the clock that computed it; one further ahead was computed by a clock
 * that has since stepped back, and would strand its record. */
size_t pend_clamp_due(struct pend *p, int64_t max_ms);

/* A checkpoint ready to write: three pieces (header, the entries as they
 * are in memory, a CRC), so saving copies nothing. */
struct pend_ckpt {
	unsigned char head[192];
	uint32_t crc;
	struct iovec iov[3];  /* borrowed from p and ck until p changes */
};

/* Describe the set, the position the fold reached and the spool's mark
 * of the log up to there as a checkpoint. */
void pend_save(const struct pend *p, const struct spool_pos *resume,
	       const struct spool_mark *mark, struct pend_ckpt *ck);
/*
 * Load a checkpoint read into b, taking b's storage for the entries (b is
 * left empty on success), so loading needs no second copy.  Checks the
 * format and the CRC: RD_E_CORRUPT when they do not match, b untouched
 * (the caller then folds from the beginning).  Resolved entries and
 * run-local flags are dropped.  The caller must still check *mark against
 * the log (spool_mark_check) before trusting *resume: the checkpoint may
 * describe a log that was since changed.
 */
int pend_load(struct pend *p, struct buf *b, struct spool_pos *resume,
	      struct spool_mark *mark, struct rd_err *err);

#endif
