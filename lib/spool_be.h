/*
 * spool_be.h - the backend table: what a spool backend implements, and
 * the backends this build has.  Included by spool.c (the dispatch) and by
 * the backends themselves (and queue.c, to find a backend's queue tier),
 * never by tools: spool.h, the public interface,
 * knows no backend, so adding one touches this header, spool.c's choice
 * of backend by location, and the backend's own files.
 *
 * Every entry has the meaning of the spool.h function of the same name,
 * with the backend's own handle (impl, or an iterator's it) in place of
 * struct spool.  Deliberately not here: choosing a backend from a
 * location (spool.c does that) and anything a tool calls.
 */
#ifndef SPOOL_BE_H
#define SPOOL_BE_H

#include <stdint.h>
#include <sys/uio.h>

#include "buf.h"
#include "rd.h"
#include "spool.h"

struct queue_ops;

struct spool_backend {
	const char *name;
	int (*open)(const char *where, const struct spool_opts *o, void **impl,
		    struct rd_err *err);
	void (*close)(void *impl);
	/* spool_append_ids; ids is NULL for spool_append, when the caller
	 * handed over only b->first_id. */
	int (*append)(void *impl, const struct spool_batch *b, const char *ids,
		      struct rd_err *err);
	int (*sync)(void *impl, struct rd_err *err);
	int64_t (*sync_due_ms)(const void *impl);
	int (*iter_new)(void *impl, const struct spool_pos *from, void **it,
			struct rd_err *err);
	int (*iter_next)(void *it, struct spool_item *item, struct rd_err *err);
	void (*iter_free)(void *it);
	uint64_t (*iter_damaged)(const void *it);  /* NULL: 0 */
	int (*claim)(void *impl, const char *role, struct rd_err *err);
	int (*claim_check)(void *impl, struct rd_err *err);  /* NULL: 0 */
	int (*verify)(void *impl,
		      void (*found)(void *ctx, const struct spool_finding *f),
		      void *ctx, struct spool_verify_stats *st, struct rd_err *err);
	int (*state_read)(void *impl, const char *name, struct buf *out,
			  size_t max, struct rd_err *err);
	int (*state_write)(void *impl, const char *name,
			   const struct iovec *iov, int iovcnt, unsigned flags,
			   struct rd_err *err);
	int (*usage)(void *impl, uint64_t *bytes, struct rd_err *err);
	int (*mark)(void *impl, const struct spool_pos *pos,
		    struct spool_mark *m, struct rd_err *err);
	int (*mark_check)(void *impl, const struct spool_pos *pos,
			  const struct spool_mark *m, struct rd_err *err);
	int (*rewrite)(void *impl, uint64_t part, const struct spool_rewrite *rw,
		       struct spool_rewrite_stats *st, struct rd_err *err);
	int (*rewrite_clean)(void *impl, uint64_t *removed, struct rd_err *err);
	int (*parts)(void *impl, uint64_t **parts, size_t *n, struct rd_err *err);
	int (*state_remove)(void *impl, const char *name, struct rd_err *err);
	int (*seal)(void *impl, struct rd_err *err);
	/* The queue tier (queue_be.h); NULL: none. */
	const struct queue_ops *queue;
};

/* The directory backend (sdir.c): every location that is not a URI. */
extern const struct spool_backend sdir_backend;
extern const struct spool_backend snats_backend;

/* The queue tier of sp's backend (for queue.c); NULL when it has none. */
const struct queue_ops *spool_queue_ops(const struct spool *sp);
/* The backend's own handle of sp, for its queue tier. */
void *spool_be_impl(const struct spool *sp);

#endif
