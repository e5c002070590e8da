/*
 * breaker.h - the circuit breaker that rd-health keeps between runs.
 *
 *   closed     healthy evaluations pass; after open_after unhealthy ones
 *              in a row it opens
 *   open       everything fails until cooldown has passed; then half-open
 *   half-open  close_after healthy evaluations in a row close it (and
 *              only the last of them passes); one unhealthy evaluation
 *              opens it again
 *
 * So a flapping service never lets a backlog through: it must stay
 * healthy close_after times in a row.  The state is a small JSON object
 * (see breaker_to_json) that the caller stores atomically; it can also
 * carry counter samples for rates across runs.  Times are wall-clock
 * milliseconds: runs are separate processes, often from cron.
 */
#ifndef BREAKER_H
#define BREAKER_H

#include <stdint.h>

#include "buf.h"
#include "rd.h"

enum breaker_state { BREAKER_CLOSED = 0, BREAKER_OPEN, BREAKER_HALF_OPEN };

struct breaker_sample {     /* a counter seen by an earlier run */
	char *key;              /* whole: keys that share a prefix are apart */
	double value;
	int64_t at_ms;
};

struct breaker {
	enum breaker_state state;
	unsigned bad, good;     /* consecutive unhealthy / healthy */
	int64_t opened_ms;
	unsigned open_after, close_after;
	int64_t cooldown_ms;
	struct breaker_sample *samples;
	size_t nsamples;
};

void breaker_init(struct breaker *b, unsigned open_after, unsigned close_after,
		  int64_t cooldown_ms);
void breaker_release(struct breaker *b);

/* Load the state written by breaker_to_json.  RD_E_CORRUPT for text that
 * is not such a state (the caller decides whether to start afresh). */
int breaker_load(struct breaker *b, const char *text, size_t len,
		 struct rd_err *err);
/* The state as one JSON line, appended to out. */
void breaker_to_json(const struct breaker *b, struct buf *out);

/* Feed one evaluation at now_ms.  Returns 1 when the verdict is healthy
 * (the breaker lets traffic through), 0 when not. */
int breaker_step(struct breaker *b, int healthy, int64_t now_ms);

/* "closed", "open" or "half-open". */
const char *breaker_state_name(enum breaker_state s);

/* The previous sample of a counter (NULL when none), and recording the
 * current one. */
const struct breaker_sample *breaker_sample_get(const struct breaker *b,
						const char *key);
/* Of each group of samples (keys alike up to " #": one selector's
 * series) that fresh took at at_ms, b keeps only the keys fresh took
 * then: a series gone from the page goes, and so does a group's older key
 * (a selector's sum, before its series were kept one by one).  Other
 * groups stay. */
void breaker_sample_prune(struct breaker *b, const struct breaker *fresh,
			  int64_t at_ms);
void breaker_sample_put(struct breaker *b, const char *key, double value,
			int64_t at_ms);

#endif
