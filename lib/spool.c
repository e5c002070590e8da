/*
 * spool.c - backend dispatch.  Chooses the backend from the location and
 * forwards every call; holds no policy of its own.  The only file besides
 * the backends (and queue.c, for the queue tier) that includes
 * spool_be.h.
 */
#include "spool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spool_be.h"
#include "xalloc.h"
#include "banned.h"

struct spool {
	const struct spool_backend *be;
	void *impl;
};

struct spool_iter {
	const struct spool_backend *be;
	void *impl;
};

int spool_fsync_parse(const char *s, enum spool_fsync *out, struct rd_err *err)
{
	static const char *const names[] = { "always", "batch", "interval",
					     "never" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum spool_fsync)i;
			return 0;
		}
	return rd_err_set(err, RD_E_INVAL,
			  "'%s' is not an fsync policy (always, batch, interval, never)",
			  s);
}

void spool_opts_init(struct spool_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->fsync = SPOOL_FSYNC_BATCH;
	o->fsync_interval_ms = 1000;
	o->dir.segment_bytes = 64ULL << 20;
	o->dir.max_member_bytes = SPOOL_MEMBER_MAX;
	o->dir.level = 1;
}

int spool_open(const char *where, const struct spool_opts *o,
	       struct spool **out, struct rd_err *err)
{
	const struct spool_backend *be = &sdir_backend;
	void *impl = NULL;
	int r;

	*out = NULL;
	if (strncmp(where, "nats://", 7) == 0)
		be = &snats_backend;
	else if (strstr(where, "://"))
		return rd_err_set(err, RD_E_UNSUPP,
				  "'%s': unknown spool backend (use a directory path)",
				  where);
	if ((r = be->open(where, o, &impl, err)) < 0)
		return r;
	*out = xmalloc(sizeof(**out));
	(*out)->be = be;
	(*out)->impl = impl;
	return 0;
}

void *spool_be_impl(const struct spool *sp)
{
	return sp->impl;
}

int spool_is_dir(const char *where)
{
	return !strstr(where, "://");
}

const struct queue_ops *spool_queue_ops(const struct spool *sp)
{
	return sp->be->queue;
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	sp->be->close(sp->impl);
	free(sp);
}

int spool_append(struct spool *sp, const struct spool_batch *b,
		 struct rd_err *err)
{
	return sp->be->append(sp->impl, b, NULL, err);
}

int spool_append_ids(struct spool *sp, const struct spool_batch *b,
		     const char *ids, struct rd_err *err)
{
	return sp->be->append(sp->impl, b, ids, err);
}

int spool_sync(struct spool *sp, struct rd_err *err)
{
	return sp->be->sync(sp->impl, err);
}

int64_t spool_sync_due_ms(const struct spool *sp)
{
	return sp->be->sync_due_ms(sp->impl);
}

int spool_iter_new(struct spool *sp, const struct spool_pos *from,
		   struct spool_iter **out, struct rd_err *err)
{
	void *impl = NULL;
	int r;

	*out = NULL;
	if ((r = sp->be->iter_new(sp->impl, from, &impl, err)) < 0)
		return r;
	*out = xmalloc(sizeof(**out));
	(*out)->be = sp->be;
	(*out)->impl = impl;
	return 0;
}

int spool_iter_next(struct spool_iter *it, struct spool_item *item,
		    struct rd_err *err)
{
	return it->be->iter_next(it->impl, item, err);
}

const char *spool_notice_text(const struct spool_notice *n, char *out,
			      size_t len)
{
	char lost[64];

	if (n->kind == SPOOL_NOTICE_CUT) {
		snprintf(out, len, "repaired '%s': cut %llu bytes of torn tail at byte %llu (%s)",
			 n->where, (unsigned long long)n->bytes,
			 (unsigned long long)n->offset, n->reason);
		return out;
	}
	if (n->kind == SPOOL_NOTICE_MOVED) {
		snprintf(out, len, "spool '%s' was %s while in use: writing to the one there now",
			 n->where, n->reason);
		return out;
	}
	if (n->kind == SPOOL_NOTICE_REINDEX) {
		/* its count is of records found again, never of lost ones */
		if (n->lost > 0)
			snprintf(lost, sizeof(lost), " (%lld records kept)", (long long)n->lost);
		else
			lost[0] = '\0';
		snprintf(out, len, "repaired '%s' at byte %llu: %s%s", n->where,
			 (unsigned long long)n->offset, n->reason, lost);
		return out;
	}
	if (n->lost < 0)
		snprintf(lost, sizeof(lost), "records lost, how many is not known");
	else
		snprintf(lost, sizeof(lost), "%lld records lost", (long long)n->lost);
	snprintf(out, len, "skipped damage in '%s' at byte %llu (%llu bytes, %s): %s",
		 n->where, (unsigned long long)n->offset,
		 (unsigned long long)n->bytes, lost, n->reason);
	return out;
}

uint64_t spool_iter_damaged(const struct spool_iter *it)
{
	return it->be->iter_damaged ? it->be->iter_damaged(it->impl) : 0;
}

void spool_iter_free(struct spool_iter *it)
{
	if (!it)
		return;
	it->be->iter_free(it->impl);
	free(it);
}

int spool_claim(struct spool *sp, const char *role, struct rd_err *err)
{
	return sp->be->claim(sp->impl, role, err);
}

int spool_claim_check(struct spool *sp, struct rd_err *err)
{
	return sp->be->claim_check ? sp->be->claim_check(sp->impl, err) : 0;
}

int spool_usage(struct spool *sp, uint64_t *bytes, struct rd_err *err)
{
	return sp->be->usage(sp->impl, bytes, err);
}

int spool_rewrite(struct spool *sp, uint64_t part,
		  const struct spool_rewrite *rw, struct spool_rewrite_stats *st,
		  struct rd_err *err)
{
	return sp->be->rewrite(sp->impl, part, rw, st, err);
}

int spool_rewrite_clean(struct spool *sp, uint64_t *removed, struct rd_err *err)
{
	return sp->be->rewrite_clean(sp->impl, removed, err);
}

int spool_parts(struct spool *sp, uint64_t **parts, size_t *n,
		struct rd_err *err)
{
	return sp->be->parts(sp->impl, parts, n, err);
}

int spool_seal(struct spool *sp, struct rd_err *err)
{
	return sp->be->seal(sp->impl, err);
}

int spool_state_remove(struct spool *sp, const char *name, struct rd_err *err)
{
	return sp->be->state_remove(sp->impl, name, err);
}

int spool_state_read(struct spool *sp, const char *name, struct buf *out,
		     size_t max, struct rd_err *err)
{
	return sp->be->state_read(sp->impl, name, out, max, err);
}

int spool_state_write(struct spool *sp, const char *name,
		      const struct iovec *iov, int iovcnt, struct rd_err *err)
{
	return sp->be->state_write(sp->impl, name, iov, iovcnt, 0, err);
}

int spool_state_put(struct spool *sp, const char *name,
		    const struct iovec *iov, int iovcnt, unsigned flags,
		    struct rd_err *err)
{
	return sp->be->state_write(sp->impl, name, iov, iovcnt, flags, err);
}

int spool_verify(struct spool *sp,
		 void (*found)(void *ctx, const struct spool_finding *f),
		 void *ctx, struct spool_verify_stats *st, struct rd_err *err)
{
	return sp->be->verify(sp->impl, found, ctx, st, err);
}

int spool_mark(struct spool *sp, const struct spool_pos *pos,
	       struct spool_mark *m, struct rd_err *err)
{
	return sp->be->mark(sp->impl, pos, m, err);
}

int spool_mark_check(struct spool *sp, const struct spool_pos *pos,
		     const struct spool_mark *m, struct rd_err *err)
{
	return sp->be->mark_check(sp->impl, pos, m, err);
}

int spool_pos_cmp(const struct spool_pos *a, const struct spool_pos *b)
{
	if (a->seg != b->seg)
		return a->seg < b->seg ? -1 : 1;
	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return 0;
}
