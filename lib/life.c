/*
 * life.c - the request lifecycle (see life.h).
 */
#include <string.h>

#include "life.h"
#include "banned.h"

void life_init(struct life *l)
{
	memset(l, 0, sizeof(*l));
	l->state = LIFE_PENDING;
}

const char *life_state_name(enum life_state s)
{
	return s == LIFE_DONE ? "ok" : s == LIFE_DEAD ? "dead" : "pending";
}

static uint32_t clamp32(long long v)
{
	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static enum life_change attempt(struct life *l, const struct rec_event *e)
{
	uint32_t n = clamp32(e->attempt);
	int latest = n >= l->attempts;

	/* the attempt's own number: a second reading of it adds nothing */
	if (n > l->attempts)
		l->attempts = n;
	switch (e->outcome) {
	case REC_OUT_OK: {
		enum life_state was = l->state;

		l->state = LIFE_DONE;
		/* a dead record delivered anyway (an attempt its dead event
		 * overtook) had already left the backlog */
		return was == LIFE_PENDING ? LIFE_RESOLVED : LIFE_SAME;
	}
	case REC_OUT_RETRY:
		/* Only the latest attempt says when the next is due: an older
		 * one read back later (a replay folds its own events) must
		 * not bring a retry forward.  A retry after the record went
		 * dead (it cannot happen under the lock) must not resurrect
		 * it. */
		if (l->state == LIFE_PENDING && latest)
			l->due_ms = e->next_due_ms;
		return LIFE_SAME;
	case REC_OUT_PERMANENT:
		break;             /* its dead event follows */
	}
	return LIFE_SAME;
}

enum life_change life_apply(struct life *l, const struct rec_event *e)
{
	switch (e->kind) {
	case REC_ATTEMPT:
		return attempt(l, e);
	case REC_INTENT:
		/* the send may have reached the service whatever came of it:
		 * it counts, and the next one is the one after it */
		if (clamp32(e->attempt) > l->attempts)
			l->attempts = clamp32(e->attempt);
		return LIFE_SAME;
	case REC_WITHDRAW:
		/* the intent's send never started: not a send after all, and
		 * the next one takes its number.  Only the latest intent is
		 * withdrawn; one after it (or its outcome) stands, and a
		 * second reading finds the number gone already. */
		if (e->attempt > 0 && clamp32(e->attempt) == l->attempts)
			l->attempts--;
		return LIFE_SAME;
	case REC_DEAD:
		if (l->state != LIFE_PENDING)
			return LIFE_SAME;
		l->state = LIFE_DEAD;
		return LIFE_RESOLVED;
	case REC_REVIVE:
		/* Only a dead record comes back; a revive already counted (its
		 * count is not above ours) is this one read again.  Older
		 * revive events carry no count: they count one more. */
		if (l->state != LIFE_DEAD ||
		    (e->revives > 0 && clamp32(e->revives) <= l->revives))
			return LIFE_SAME;
		l->revives = e->revives > 0 ? clamp32(e->revives) : l->revives + 1;
		l->earlier += l->attempts;
		l->attempts = 0;
		l->due_ms = 0;
		l->state = LIFE_PENDING;
		return LIFE_REOPENED;
	default:
		return LIFE_SAME;
	}
}
