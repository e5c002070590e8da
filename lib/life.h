/*
 * life.h - the request lifecycle: the one place that says what an event
 * does to a record.  rd-replay's pending set (pend), rd-audit's fold
 * (audit) and every later consumer apply events through life_apply, so
 * they cannot disagree about a record's state.
 *
 *   captured -> PENDING --attempt ok--------------> DONE
 *                  |  ^--attempt retry (due later)
 *                  +--dead-----------------------> DEAD --revive--> PENDING
 *
 * An intent (written, durable, before a send starts) counts the send at
 * once: whatever its outcome, or if none was ever recorded (a kill -9, a
 * send abandoned at the end of --grace), it may have reached the service.
 * A withdraw takes it back: the run ended cleanly before that send
 * started, so it never reached the service and its number is free again.
 *
 * Every event sets absolute values (the attempt's number, the revive's
 * count; a withdraw takes back only the number it names, while it is the
 * latest), so applying an event twice changes nothing, and a fold resumed
 * from a checkpoint ends where a full one does.  An ok outcome is final:
 * nothing after it (a stray dead event) takes a delivered record back.
 */
#ifndef LIFE_H
#define LIFE_H

#include <stdint.h>

#include "rec.h"

enum life_state {
	LIFE_PENDING = 0,      /* captured, not yet delivered */
	LIFE_DEAD,             /* given up on; a revive brings it back */
	LIFE_DONE              /* delivered */
};

struct life {
	enum life_state state;
	int64_t due_ms;        /* pending: not before this (wall clock); 0 at once */
	uint32_t attempts;     /* sends since the last revive: --max-attempts */
	uint32_t earlier;      /* sends before the last revive */
	uint32_t revives;      /* revive events */
};

/* What an event changed, for consumers that count over time. */
enum life_change {
	LIFE_SAME = 0,
	LIFE_RESOLVED,         /* left the backlog: delivered or dead */
	LIFE_REOPENED          /* came back to it: revived */
};

/* A record just captured: pending, due at once. */
void life_init(struct life *l);

/* Apply event e (an intent, withdraw, attempt, dead or revive about this
 * record). */
enum life_change life_apply(struct life *l, const struct rec_event *e);

/* Every send ever made for the record, across revives: what
 * amplification counts. */
static inline uint32_t life_sends(const struct life *l)
{
	return l->earlier + l->attempts;
}

/* "pending", "dead" or "ok". */
const char *life_state_name(enum life_state s);

#endif
