/*
 * spool.h - the spool: where captured requests and replay events live.
 *
 * This is the interface every tool talks to; it names no backend.  The
 * default backend is a directory of segments (sdir.c); a location of the
 * form nats://host:port/STREAM is reserved for a NATS JetStream backend.
 * Backends implement the table in spool_be.h, which only spool.c and the
 * backends include, so a second backend is a second implementation, not a
 * rewrite.
 *
 * Two tiers.  This header is the log tier: append batches, iterate from
 * a position, verify, and small state files beside the log.  The queue
 * tier (queue.h) is what a consumer such as rd-replay uses on top: take
 * the due records, record intents and outcomes.  The directory provides
 * the queue tier by folding this log; a backend with queues of its own
 * provides it natively.
 *
 * Contract for every backend:
 *  - spool_append stores a batch of whole canonical JSON lines atomically:
 *    after a crash a batch is either entirely readable or entirely absent.
 *  - A batch counts as acknowledged only when spool_append returned > 0,
 *    or a later spool_sync returned 0 (the --fsync policy decides which).
 *  - Readers see only committed batches: what the policy has made durable
 *    and the writer may acknowledge.  A batch that is taken back (a failed
 *    write or sync) was never visible, so no reader can have consumed it.
 *  - Iteration yields every readable line in log order, and reports (never
 *    hides) damage through the notice callback, then continues.
 *  - A record is at most SPOOL_RECORD_MAX bytes: writers refuse larger
 *    ones, and every reader inflates anything up to that size.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "buf.h"
#include "rd.h"

/*
 * One limit for both sides, so that what a writer accepts every reader
 * inflates: a record (a line without its newline) is at most
 * SPOOL_RECORD_MAX bytes.  Writers cut batches into members of about
 * SPOOL_MEMBER_BYTES of lines (one damaged byte costs one member), and a
 * longer line goes alone into a member of its own, so no member inflates
 * past SPOOL_MEMBER_MAX.
 */
#define SPOOL_RECORD_MAX ((size_t)256 << 20)
#define SPOOL_MEMBER_BYTES ((size_t)64 << 10)
#define SPOOL_MEMBER_MAX (SPOOL_RECORD_MAX + SPOOL_MEMBER_BYTES)

enum spool_fsync {
	SPOOL_FSYNC_ALWAYS,   /* one record per batch, fsync each */
	SPOOL_FSYNC_BATCH,    /* fsync each batch before acknowledging it */
	SPOOL_FSYNC_INTERVAL, /* fsync at most every interval; ack after it;
			       * other writers wait until that sync */
	SPOOL_FSYNC_NEVER     /* no data fsync: ack once written to the
			       * kernel (survives a crash of the process,
			       * not of the machine) */
};

/* Parse "always", "batch", "interval" or "never".  0 or RD_E_INVAL. */
int spool_fsync_parse(const char *s, enum spool_fsync *out,
		      struct rd_err *err);

enum spool_notice_kind {
	SPOOL_NOTICE_CUT,     /* a writer cut a torn or garbage tail */
	SPOOL_NOTICE_REINDEX, /* a writer rebuilt lost index entries */
	SPOOL_NOTICE_DAMAGE,  /* a reader skipped a damaged member */
	SPOOL_NOTICE_MOVED    /* a writer's directory was removed or
			       * replaced: it goes on in the one named */
};

struct spool_notice {
	enum spool_notice_kind kind;
	const char *where;   /* where in the spool, as the backend names it
			      * (the directory: a file's path), borrowed */
	uint64_t offset;     /* byte offset of the problem there */
	uint64_t bytes;      /* bytes cut or skipped */
	int64_t lost;        /* records lost, -1 when unknown */
	const char *reason;  /* e.g. "crc mismatch", borrowed */
};

/* A notice as every tool says it, into out (n bytes); returns out:
 * "skipped damage in 'F' at byte B (N bytes, R records lost): why",
 * "repaired 'F': cut N bytes of torn tail at byte B (why)", or
 * "repaired 'F' at byte B: why (R records kept)". */
const char *spool_notice_text(const struct spool_notice *n, char *out,
			      size_t len);

/* What only the directory backend reads (redrive-spool(5)); every
 * other backend ignores it. */
struct spool_dir_opts {
	uint64_t segment_bytes;       /* roll size; default 64 MiB */
	uint64_t max_member_bytes;    /* refuse to inflate beyond; default
				       * SPOOL_MEMBER_MAX */
	int level;                    /* gzip level 1..9; default 1 */
};

/* What only the NATS backend reads (redrive-spool(5)). */
struct spool_nats_opts {
	/* The monitoring endpoints of the cluster's servers
	 * (http://host:8222): spool_verify compares each replica's stream
	 * state with the leader's.  Borrowed. */
	const char *const *monitors;
	size_t nmonitors;
};

/* What every backend takes. */
struct spool_opts {
	enum spool_fsync fsync;       /* default SPOOL_FSYNC_BATCH */
	uint64_t fsync_interval_ms;   /* for SPOOL_FSYNC_INTERVAL; default 1000 */
	uint64_t max_bytes;           /* refuse appends beyond; 0 = no cap */
	int create;                   /* create the spool if missing */
	/* Use a spool that another user owns or can write to.  Without it,
	 * such a directory (or file in it) is refused: anyone who can write
	 * there can plant requests that replay would send. */
	int trust;
	/* Called for every repair and every skipped damage; may be NULL. */
	void (*notice)(void *ctx, const struct spool_notice *n);
	void *notice_ctx;
	struct spool_dir_opts dir;    /* the directory backend's own */
	struct spool_nats_opts nats;  /* the NATS backend's own */
};

void spool_opts_init(struct spool_opts *o);

struct spool;

/*
 * Open the spool at `where` (a directory path, or a backend URI).  With
 * o->create the directory (and its parents) are made mode 0700.  Caller
 * frees *out with spool_close.  RD_E_UNSUPP for an unknown backend.
 */
int spool_open(const char *where, const struct spool_opts *o,
	       struct spool **out, struct rd_err *err);
/* 1 when where names a directory spool (a path), 0 for a backend URI
 * such as nats://... */
int spool_is_dir(const char *where);
/* Release everything.  Accepts NULL.  Does not sync: call spool_sync. */
void spool_close(struct spool *sp);

struct spool_batch {
	const char *data;     /* whole lines, each ending in '\n' */
	size_t len;
	uint32_t count;       /* number of lines */
	const char *first_id; /* id of the first line, REC_ID_LEN chars */
};

/*
 * Append one batch atomically.  Returns > 0 when the batch (and all
 * earlier ones) are durable under the fsync policy, 0 when written but
 * waiting for the interval sync, or a negative RD_E_* code: RD_E_FULL at
 * the size cap or for a record over SPOOL_RECORD_MAX, RD_E_IO for a failed
 * write or fsync.  After an error nothing that was not yet acknowledged
 * remains: neither this batch nor earlier ones still waiting for the
 * interval sync.  An fsync failure is final; it is never retried.  While
 * batches wait for the interval sync, this handle keeps the writers' lock
 * (other writers wait, readers do not see them) until spool_sync.
 */
int spool_append(struct spool *sp, const struct spool_batch *b,
		 struct rd_err *err);

/*
 * spool_append from a caller that knows the id of every line, as the
 * batch layer does: ids holds b->count ids of REC_ID_LEN chars each,
 * packed in line order, borrowed for the call.  A backend that names a
 * part of a batch by its first record (the directory's index entries)
 * takes that id from here, never from the bytes of the lines.  With
 * plain spool_append only b->first_id is handed over, and a backend has
 * to read the id of any later part back from its line: writers that know
 * their ids use this call.
 */
int spool_append_ids(struct spool *sp, const struct spool_batch *b,
		     const char *ids, struct rd_err *err);

/* Make everything appended so far durable (and visible) now.  0 or
 * RD_E_IO, after which nothing unacknowledged remains. */
int spool_sync(struct spool *sp, struct rd_err *err);

/* Milliseconds until an interval sync is due (0: due now); -1 when the
 * policy is not "interval" or nothing waits. */
int64_t spool_sync_due_ms(const struct spool *sp);

/*
 * Claim the spool for one role (e.g. "replay") for as long as it stays
 * open: exclusive between processes, never waiting.  RD_E_LOCKED when
 * another process holds the claim; err then names the holder when it is
 * known: "spool 'DIR' is held by another replay (pid 1234, since
 * 2026-11-30T04:00:00Z)".  Appends by writers are unaffected.
 */
int spool_claim(struct spool *sp, const char *role, struct rd_err *err);
/*
 * Whether the claims this handle holds are still the spool's: 0, or
 * RD_E_LOCKED when one was taken from under it (the directory: its lock
 * file removed or replaced, so another process may take the role now).
 * A holder that runs for long asks now and then, and stops.
 */
int spool_claim_check(struct spool *sp, struct rd_err *err);

/* The bytes the spool holds, as --max-spool-size counts them (for the
 * directory: its segments and their indexes). */
int spool_usage(struct spool *sp, uint64_t *bytes, struct rd_err *err);

/*
 * Small state files kept beside the log (checkpoints).  name is a plain
 * file name ([a-z0-9._-]).  spool_state_read appends the content to out
 * and returns 1, or 0 when there is none; RD_E_FULL past max bytes.
 * spool_state_write replaces it with the pieces in iov, atomically and durably (temporary file,
 * fsync, rename, directory fsync).
 */
int spool_state_read(struct spool *sp, const char *name, struct buf *out,
		     size_t max, struct rd_err *err);
int spool_state_write(struct spool *sp, const char *name,
		      const struct iovec *iov, int iovcnt, struct rd_err *err);

/* Flags of spool_state_put. */
enum {
	/* Replace atomically but not durably: for a file that only shows
	 * the moment and is rewritten often (see afile's AFILE_NO_SYNC). */
	SPOOL_STATE_VOLATILE = 1
};

/* spool_state_write with flags. */
int spool_state_put(struct spool *sp, const char *name,
		    const struct iovec *iov, int iovcnt, unsigned flags,
		    struct rd_err *err);

/* One problem found by spool_verify. */
struct spool_finding {
	const char *where;     /* where in the spool, as the backend names
				* it (the directory: a segment or index
				* file's name), borrowed */
	uint64_t offset;       /* byte offset there */
	int no_offset;         /* offset means nothing here (a replica) */
	uint64_t bytes;        /* bytes affected, 0 when not a span */
	int64_t lost;          /* records that cannot be read; -1 unknown */
	const char *what;      /* what is wrong, borrowed */
};

struct spool_verify_stats {
	uint64_t segments, members, records, bytes, findings;
	uint64_t replicas;     /* a stream's replicas compared (NATS) */
	uint64_t unindexed;    /* complete members past the newest segment's
				* index: a writer died before indexing them,
				* and the next reader or writer will (not
				* findings) */
};

/*
 * Walk every member of every segment: check each gzip member (header,
 * CRC32, ISIZE), and cross-check the side index against the members.
 * found is called for each problem, with its place and cost.  Writers
 * wait while it runs (it holds the writers' lock shared), so a write in
 * progress is never mistaken for damage.  0, or a negative code when the
 * walk itself cannot proceed (I/O error).
 */
int spool_verify(struct spool *sp,
		 void (*found)(void *ctx, const struct spool_finding *f),
		 void *ctx, struct spool_verify_stats *st, struct rd_err *err);

/* Where a line sits: segment number, member offset, line within member.
 * Backends define the meaning; positions compare in log order. */
struct spool_pos {
	uint64_t seg;
	uint64_t off;
	uint32_t line;
};

/*
 * Compaction: rewriting one sealed part of the log (a spool_pos.seg below
 * the newest) without some of its lines.  keep says, for each line of
 * the part in order, 1 to keep it or 0 to drop it; the lines in add (each
 * ending in a newline) follow the kept ones.  The new part is written
 * beside the old one, synced, and swapped in atomically: a crash leaves
 * the old part or the new one, whole.  Returns 1 when swapped in, 0 when
 * keep dropped nothing (nothing written), RD_E_CORRUPT when the part has
 * damage (left as it is: what cannot be read is not thrown away),
 * RD_E_INVAL when the part is not sealed, or an error (the old part
 * stands).  Positions in a rewritten part change: a reader's checkpoint
 * there is no longer valid.
 */
struct spool_rewrite {
	int (*keep)(void *ctx, const char *line, size_t len);
	void *ctx;
	const char *add;
	size_t add_len;
};
struct spool_rewrite_stats {
	uint64_t lines_in, lines_kept;
	uint64_t bytes_after;    /* of the new part, when swapped in */
};
int spool_rewrite(struct spool *sp, uint64_t part,
		  const struct spool_rewrite *rw, struct spool_rewrite_stats *st,
		  struct rd_err *err);
/* Remove what an interrupted rewrite left; *removed: how many files. */
int spool_rewrite_clean(struct spool *sp, uint64_t *removed, struct rd_err *err);
/* The parts of the log in order (the last is the one writers append
 * to); caller frees *parts. */
int spool_parts(struct spool *sp, uint64_t **parts, size_t *n,
		struct rd_err *err);
/* Seal the part writers append to: later appends go to a new one (what
 * a roll does).  1 when sealed, 0 when that part is empty (nothing to
 * seal).  Waits for writers that hold the spool. */
int spool_seal(struct spool *sp, struct rd_err *err);
/* Remove a state file (spool_state_write), durably; none is no error. */
int spool_state_remove(struct spool *sp, const char *name, struct rd_err *err);

/* <0, 0 or >0 as a comes before, at or after b in the log. */
int spool_pos_cmp(const struct spool_pos *a, const struct spool_pos *b);

struct spool_item {
	const char *line;   /* borrowed until the next spool_iter_next */
	size_t len;         /* without the newline */
	struct spool_pos pos;
};

struct spool_iter;

/*
 * What a reader keeps beside a position (a checkpoint) to tell later
 * whether the log still holds, unchanged, what it read up to there: an
 * operator may delete segments, and a power loss may take back bytes that
 * were read.  Bytes defined by the backend; stored as they are.
 */
#define SPOOL_MARK_SIZE 96
struct spool_mark {
	unsigned char b[SPOOL_MARK_SIZE];
};

/* Describe the log up to pos (NULL: nothing read yet) into *m. */
int spool_mark(struct spool *sp, const struct spool_pos *pos,
	       struct spool_mark *m, struct rd_err *err);
/* 0 when the log still holds what *m described up to pos, else
 * RD_E_CORRUPT with what changed in err (the caller then reads the log
 * from the beginning), or RD_E_IO. */
int spool_mark_check(struct spool *sp, const struct spool_pos *pos,
		     const struct spool_mark *m, struct rd_err *err);

/* Iterate from pos (NULL: the beginning).  Caller frees with
 * spool_iter_free. */
int spool_iter_new(struct spool *sp, const struct spool_pos *from,
		   struct spool_iter **out, struct rd_err *err);
/* 1 with *item filled, 0 at the end, or a negative RD_E_* code. */
int spool_iter_next(struct spool_iter *it, struct spool_item *item,
		    struct rd_err *err);
void spool_iter_free(struct spool_iter *it);
/* How many damaged parts (members) the iterator skipped so far, each
 * also told through the notice callback. */
uint64_t spool_iter_damaged(const struct spool_iter *it);

#endif
