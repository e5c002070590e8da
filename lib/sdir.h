/*
 * sdir.h - what the files of the directory spool backend share: sdir.c
 * (open, files, the lock, trust), sdir_write.c (append, commit, repair),
 * sdir_read.c (iteration), sdir_mark.c (checkpoint marks), sdir_state.c
 * (claims, state files), sdir_verify.c and sdir_compact.c (rewriting a
 * sealed segment).  Not a public interface:
 * everything else goes through spool.h.
 */
#ifndef SDIR_H
#define SDIR_H

#include <stdint.h>
#include <sys/stat.h>

#include "buf.h"
#include "gzm.h"
#include "idx.h"
#include "rd.h"
#include "rec.h"
#include "spool.h"

#define SEG_DIGITS 20
#define SEG_SUFFIX ".ndjson.gz"
#define IDX_SUFFIX ".idx"

struct sdir {
	char *path;
	int dirfd;
	struct spool_opts o;
	int lockfd;         /* the directory again: writers flock it */
	int locked;         /* this handle holds the writers' lock */
	int claimfd;        /* held by spool_claim until close */
	char claim_name[64];/* its file, "<role>.lock" */
	/* The writer's view, valid while locked.  Members past `committed`
	 * are written but not yet synced and indexed (--fsync interval);
	 * their entries wait in pend. */
	uint64_t seg;       /* current segment number, 0 before the first append */
	int segfd, idxfd;
	uint64_t end;       /* bytes in the current segment */
	uint64_t committed; /* where its committed members end */
	uint64_t nent;      /* its index entries */
	uint64_t sealed;    /* bytes of every other segment and index */
	int sealed_ok;      /* sealed is known for this segment */
	struct idx_entry *pend;
	size_t npend, pend_cap;
	uint64_t last_sync_ms;
	struct gzm_writer gw;
	struct gzm_reader gr;
	struct buf member;
	struct buf scratch;
};

/* "<20 digits><suffix>" for segment number seg. */
void sdir_seg_name(char *out, size_t n, uint64_t seg, const char *suffix);
/* Report a repair or damage through the spool's notice callback (file
 * NULL: the spool itself). */
void sdir_notify(const struct sdir *d, enum spool_notice_kind kind,
		 const char *file, uint64_t off, uint64_t bytes, int64_t lost,
		 const char *reason);
/* All segment numbers in log order; *bytes (optional) gets the size of
 * segments and indexes.  Caller frees *out. */
int sdir_list_segs(struct sdir *d, uint64_t **out, size_t *n,
		   uint64_t *bytes, struct rd_err *err);
/* Open name in the spool (never through a symlink) and check that no
 * other user owns it or can write to it (unless the spool is trusted).
 * The fd, or a negative code with err->sys set for a system error. */
int sdir_open_file(struct sdir *d, const char *name, int flags,
		   struct rd_err *err);
/* The ownership rule for one file or the directory, from its stat. */
int sdir_check_owner(const struct sdir *d, const struct stat *st,
		     const char *name, struct rd_err *err);

/* Before a writer locks: when the spool's path names another directory
 * now than the one opened (removed and made again, or replaced, while a
 * long-lived writer ran), take that one, as a new writer would, made
 * again if it is gone and writers may create the spool; with a notice.
 * 1 when it moved (the caller drops its view of the old one), 0 when
 * not, or an error. */
int sdir_follow(struct sdir *d, struct rd_err *err);

/* fsync the spool directory. */
int sdir_fsync_dir(struct sdir *d, struct rd_err *err);

/* The writers' lock: flock on the spool directory itself, which cannot
 * be deleted from under its holder.  how is LOCK_EX or LOCK_SH, with
 * LOCK_NB to give up at once: then RD_E_LOCKED when held elsewhere. */
int sdir_lock(struct sdir *d, int how, struct rd_err *err);
void sdir_unlock(struct sdir *d);

/* Writing (sdir_write.c), as spool_backend entry points. */
int sdir_append(void *impl, const struct spool_batch *b, const char *ids,
		struct rd_err *err);
int sdir_sync(void *impl, struct rd_err *err);
int sdir_seal(void *impl, struct rd_err *err);
int64_t sdir_sync_due_ms(const void *impl);
/* At close: take back what was written but never committed, and let go
 * of the lock. */
void sdir_write_close(struct sdir *d);
/*
 * For a reader that finds bytes past the index of the newest segment:
 * when no writer holds the lock, index the complete members a writer that
 * died left there (what the next writer would do; nothing is cut).
 * Returns the newest segment number when it looked, 0 when a writer is
 * busy (the bytes are not committed) or the spool cannot be written.
 */
uint64_t sdir_settle(struct sdir *d);
/* Lines in p[0..n). */
uint32_t sdir_count_lines(const char *p, size_t n);

/* Claims and state files (sdir_state.c). */
int sdir_claim(void *impl, const char *role, struct rd_err *err);
/* 0 while the claim held is still the spool's (its file is the one
 * locked), else RD_E_LOCKED. */
int sdir_claim_check(void *impl, struct rd_err *err);
/* Give up the claim, if held, emptying its holder label. */
void sdir_unclaim(struct sdir *d);
int sdir_state_read(void *impl, const char *name, struct buf *out,
		    size_t max, struct rd_err *err);
int sdir_state_write(void *impl, const char *name, const struct iovec *iov,
		     int iovcnt, unsigned flags, struct rd_err *err);
/* spool_verify for the directory backend (sdir_verify.c). */
int sdir_verify(void *impl,
		void (*found)(void *ctx, const struct spool_finding *f),
		void *ctx, struct spool_verify_stats *st, struct rd_err *err);
/* The reader (sdir_read.c), as spool_backend entry points. */
int sdir_iter_new(void *impl, const struct spool_pos *from, void **out,
		  struct rd_err *err);
int sdir_iter_next(void *impl, struct spool_item *item, struct rd_err *err);
void sdir_iter_free(void *impl);
uint64_t sdir_iter_damaged(const void *impl);
/*
 * The id of the first line of a member's content read back from the
 * member, for readers that must know a member by its content rather than
 * by its index entry (checkpoint marks, verify's cross-check, indexing
 * what a dead writer left): the id from the line's canonical prefix, or
 * "" when the line does not begin with one.  Writers never use it for
 * what they append: they are handed the ids (spool_append_ids).
 */
void sdir_first_id(const char *data, size_t len, char out[REC_ID_LEN + 1]);
/* Index entries of a segment that pass their CRC and lie within size
 * bytes, in order; damaged ones are skipped, and a missing index has
 * none.  RD_E_INVAL when the index is not safe to read (ownership).
 * Caller frees *out. */
int sdir_load_index(struct sdir *d, uint64_t seg, uint64_t size,
		    struct idx_entry **out, uint64_t *n, struct rd_err *err);
/* Compaction (sdir_compact.c), as spool_backend entry points. */
int sdir_rewrite(void *impl, uint64_t seg, const struct spool_rewrite *rw,
		 struct spool_rewrite_stats *st, struct rd_err *err);
int sdir_rewrite_clean(void *impl, uint64_t *removed, struct rd_err *err);
int sdir_parts(void *impl, uint64_t **parts, size_t *n, struct rd_err *err);
int sdir_state_remove(void *impl, const char *name, struct rd_err *err);
/* Checkpoint marks (sdir_mark.c). */
int sdir_mark(void *impl, const struct spool_pos *pos, struct spool_mark *m,
	      struct rd_err *err);
int sdir_mark_check(void *impl, const struct spool_pos *pos,
		    const struct spool_mark *m, struct rd_err *err);

#endif
