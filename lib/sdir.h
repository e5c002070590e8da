/*
 * sdir.h - what the two halves of the directory spool backend share:
 * sdir.c (open, append, repair, sync) and sdir_read.c (iteration).  Not a
 * public interface: everything else goes through spool.h.
 */
#ifndef SDIR_H
#define SDIR_H

#include <stdint.h>

#include "buf.h"
#include "gzm.h"
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
	int lockfd;
	int claimfd;         /* held by spool_claim until close */
	uint64_t seg;       /* current segment number, 0 before the first append */
	int segfd, idxfd;
	uint64_t used;      /* bytes in the spool, tracked for the cap */
	int unsynced;       /* appended since the last fsync */
	uint64_t last_sync_ms;
	struct gzm_writer gw;
	struct gzm_reader gr;
	struct buf member;
	struct buf scratch;
	char name[64];      /* scratch for file names in notices */
};

/* "<20 digits><suffix>" for segment number seg. */
void sdir_seg_name(char *out, size_t n, uint64_t seg, const char *suffix);
/* Report a repair or damage through the spool's notice callback. */
void sdir_notify(const struct sdir *d, enum spool_notice_kind kind,
		 const char *file, uint64_t off, uint64_t bytes, int64_t lost,
		 const char *reason);
/* All segment numbers in log order; *bytes (optional) gets the size of
 * segments and indexes.  Caller frees *out. */
int sdir_list_segs(struct sdir *d, uint64_t **out, size_t *n,
		   uint64_t *bytes, struct rd_err *err);

/* fsync the spool directory. */
int sdir_fsync_dir(struct sdir *d, struct rd_err *err);
/* Claims and state files (sdir_state.c). */
int sdir_claim(void *impl, const char *role, struct rd_err *err);
/* Give up the claim, if held, emptying its holder label. */
void sdir_unclaim(struct sdir *d);
int sdir_state_read(void *impl, const char *name, struct buf *out,
		    size_t max, struct rd_err *err);
int sdir_state_write(void *impl, const char *name, const struct iovec *iov,
		     int iovcnt, unsigned flags, struct rd_err *err);
/* The id of the first line of a member's content, or "" when absent
 * (what its index entry records). */
void sdir_first_id(const char *data, size_t len, char out[REC_ID_LEN + 1]);
/* spool_verify for the directory backend (sdir_verify.c). */
int sdir_verify(void *impl,
		void (*found)(void *ctx, const struct spool_finding *f),
		void *ctx, struct spool_verify_stats *st, struct rd_err *err);
/* Open the writers' lock file (LOCK) if needed; its fd, or RD_E_IO. */
int sdir_lock_fd(struct sdir *d, struct rd_err *err);
/* The reader (sdir_read.c), as spool_backend entry points. */
int sdir_iter_new(void *impl, const struct spool_pos *from, void **out,
		  struct rd_err *err);
int sdir_iter_next(void *impl, struct spool_item *item, struct rd_err *err);
void sdir_iter_free(void *impl);

#endif
