/*
 * queue.c - queue tier dispatch (see queue.h): finds the spool's
 * implementation and forwards every call; holds no policy of its own.
 */
#include "queue.h"

#include <stdlib.h>

#include "queue_be.h"
#include "spool_be.h"
#include "xalloc.h"
#include "banned.h"

struct queue {
	const struct queue_ops *ops;
	void *impl;
};

int queue_open(struct spool *sp, const struct queue_opts *o,
	       struct queue **out, struct rd_err *err)
{
	/* A look without consuming is the fold of the log, whatever the
	 * backend: it takes nothing from anyone. */
	const struct queue_ops *ops = o->consume ? spool_queue_ops(sp) :
				      &queue_fold_ops;
	void *impl = NULL;
	int ret;

	*out = NULL;
	if (!ops)
		return rd_err_set(err, RD_E_UNSUPP,
				  "this spool has no queue to replay from");
	if ((ret = ops->open(sp, o, &impl, err)) < 0)
		return ret;
	*out = xmalloc(sizeof(**out));
	(*out)->ops = ops;
	(*out)->impl = impl;
	return 0;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	q->ops->free(q->impl);
	free(q);
}

int queue_refresh(struct queue *q, struct rd_err *err)
{
	return q->ops->refresh(q->impl, err);
}

int queue_plan(struct queue *q, int64_t now_ms, int64_t now_ns,
	       int64_t *next_due_ms)
{
	return q->ops->plan(q->impl, now_ms, now_ns, next_due_ms);
}

int queue_next(struct queue *q, int64_t now_ms, struct queue_rec *rec,
	       struct rd_err *err)
{
	return q->ops->next(q->impl, now_ms, rec, err);
}

void queue_limit(struct queue *q)
{
	q->ops->limit(q->impl);
}

void queue_mark(struct queue *q, size_t slot, enum queue_mark m)
{
	q->ops->mark(q->impl, slot, m);
}

void queue_release_all(struct queue *q)
{
	q->ops->release_all(q->impl);
}

unsigned queue_intent(struct queue *q, size_t slot, int64_t at_ms)
{
	return q->ops->intent(q->impl, slot, at_ms);
}

void queue_withdraw(struct queue *q, size_t slot, unsigned attempt,
		    int64_t at_ms)
{
	q->ops->withdraw(q->impl, slot, attempt, at_ms);
}

int queue_holds(const struct queue *q, size_t slot)
{
	return q->ops->holds ? q->ops->holds(q->impl, slot) : 1;
}

void queue_attempt(struct queue *q, size_t slot, struct rec_event *ev,
		   const struct http_res *res, const char *dead_reason)
{
	q->ops->attempt(q->impl, slot, ev, res, dead_reason);
}

void queue_dead(struct queue *q, size_t slot, int64_t at_ms,
		const char *reason)
{
	q->ops->dead(q->impl, slot, at_ms, reason);
}

void queue_revive(struct queue *q, size_t slot, int64_t at_ms,
		  const char *reason, const char *user)
{
	q->ops->revive(q->impl, slot, at_ms, reason, user);
}

void queue_run(struct queue *q, struct rec_run *l)
{
	q->ops->run(q->impl, l);
}

int queue_flush(struct queue *q, struct rd_err *err)
{
	return q->ops->flush(q->impl, err);
}

int queue_due(const struct queue *q, uint32_t max_events, int64_t now_ns)
{
	return q->ops->due(q->impl, max_events, now_ns);
}

int queue_checkpoint(struct queue *q, struct rd_err *err)
{
	return q->ops->checkpoint(q->impl, err);
}

void queue_state(const struct queue *q, size_t slot, struct queue_state *st)
{
	q->ops->state(q->impl, slot, st);
}

uint64_t queue_left(const struct queue *q)
{
	return q->ops->left(q->impl);
}

size_t queue_clamp_due(struct queue *q, int64_t max_ms)
{
	return q->ops->clamp_due(q->impl, max_ms);
}
