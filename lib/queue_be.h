/*
 * queue_be.h - what a backend implements to provide the queue tier
 * (queue.h).  Only queue.c and the implementations include it.  Each
 * entry has the meaning of the queue_ call of the same name; impl is the
 * implementation's own state.
 *
 * A backend names its implementation in its spool_backend (.queue); the
 * directory uses the fold over its log (queue_fold_ops).
 */
#ifndef QUEUE_BE_H
#define QUEUE_BE_H

#include "queue.h"

struct queue_ops {
	int (*open)(struct spool *sp, const struct queue_opts *o, void **impl,
		    struct rd_err *err);
	void (*free)(void *impl);
	int (*refresh)(void *impl, struct rd_err *err);
	int (*plan)(void *impl, int64_t now_ms, int64_t now_ns,
		    int64_t *next_due_ms);
	int (*next)(void *impl, int64_t now_ms, struct queue_rec *rec,
		    struct rd_err *err);
	void (*limit)(void *impl);
	void (*mark)(void *impl, size_t slot, enum queue_mark m);
	void (*release_all)(void *impl);
	unsigned (*intent)(void *impl, size_t slot, int64_t at_ms);
	void (*withdraw)(void *impl, size_t slot, unsigned attempt,
			 int64_t at_ms);
	int (*holds)(const void *impl, size_t slot);   /* NULL: always 1 */
	void (*attempt)(void *impl, size_t slot, struct rec_event *ev,
			const struct http_res *res, const char *dead_reason);
	void (*dead)(void *impl, size_t slot, int64_t at_ms, const char *reason);
	void (*revive)(void *impl, size_t slot, int64_t at_ms,
		       const char *reason, const char *user);
	void (*run)(void *impl, struct rec_run *l);
	int (*flush)(void *impl, struct rd_err *err);
	int (*due)(const void *impl, uint32_t max_events, int64_t now_ns);
	int (*checkpoint)(void *impl, struct rd_err *err);
	void (*state)(const void *impl, size_t slot, struct queue_state *st);
	uint64_t (*left)(const void *impl);
	size_t (*clamp_due)(void *impl, int64_t max_ms);
};

/* The queue tier of any log (spool.h's iteration, state files and
 * marks): the lifecycle fold, its events in the log (queue_fold.c). */
extern const struct queue_ops queue_fold_ops;
/* NATS JetStream's own (snats_queue.c). */
extern const struct queue_ops snats_queue_ops;

#endif
