/*
 * replay.h - the redrive loop: fold the spool into the pending set, pick
 * what is due and selected, send it through the HTTP engine at the rate
 * the bucket (and the adaptive controller) allows while the gate is open,
 * and append an event for every outcome.
 *
 * Invariants:
 *  - A record is never sent before its due time, and never twice at once.
 *  - Every attempt is appended to the spool as an event before the run
 *    ends (in batches, at least every 100 ms); the dead event follows the
 *    attempt that caused it.  After a kill -9 the next run re-sends only
 *    what was in flight or not yet recorded, with the same key.
 *  - The checkpoint is written only after the events it reflects are in
 *    the spool.
 *  - Sending pauses while the gate is closed or a Retry-After holds;
 *    in-flight requests finish either way.  A gate that cannot run ends
 *    the run with an error rather than pausing it forever.
 * The caller owns printing: results come back through callbacks.
 */
#ifndef REPLAY_H
#define REPLAY_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "gate.h"
#include "http.h"
#include "rw.h"
#include "rd.h"
#include "sel.h"
#include "spool.h"

struct replay_outcome {
	const char *id;          /* record id */
	const char *method, *url;/* what was sent (after rewrites) */
	long long attempt;
	const char *outcome;     /* ok, retry, dead */
	int status;
	double latency_ms;
	const char *error;       /* transport error text, "" when none */
	int64_t next_due_ms;     /* retry: wall-clock due time */
	const char *reason;      /* dead: why */
};

struct replay_stats {
	uint64_t sent, ok, retried, dead, revived, refused, skipped;
	uint64_t aged;           /* of dead: past --max-age */
	uint64_t revive_skipped; /* dead, selected, not revived: --max-revives */
	uint64_t where_failed;   /* not sent: the --where filter failed on them */
	uint64_t yielded;        /* not sent: another rd-replay recorded the
				  * same attempt first (queue_holds) */
	uint64_t remaining;      /* selected records still pending */
	uint64_t inflight;
	uint64_t status_counts[6]; /* by class: [0] no response, [1..5] 1xx..5xx */
	double rate;             /* current target rate, 0: unlimited */
	double achieved;         /* sends per second over the last second */
	enum gate_state gate;
	uint64_t gate_closed_ms; /* time spent with the gate closed */
	/* Why the gate was last closed (gate_describe): its exit status and
	 * its last stderr line; "" when it never was. */
	char gate_why[GATE_LINE_MAX + 64];
	int64_t eta_s;           /* -1 when unknown */
	double elapsed_s;
	uint64_t rate_cuts;      /* adaptive decreases */
	uint64_t hosts;          /* destinations paced so far */
	uint64_t hosts_paused;   /* of them, paused or held now */
	uint64_t pauses;         /* times a host paused itself */
	int stopped;             /* by signal */
	int out_of_time;         /* --max-time reached (1), or the next due
				  * retry falls after it (2): the run ended */
};

enum replay_dry {
	REPLAY_DRY_OFF = 0,
	REPLAY_DRY_CURL,
	REPLAY_DRY_RAW
};

struct dest_limit;

struct replay_opts {
	const char *dir;
	int trust_spool;          /* spool_opts.trust */
	double rate;              /* per second and host; 0: unlimited */
	double burst;             /* 0: 20 ms of the rate, at least 2 */
	unsigned concurrency;     /* most requests in flight, per host */
	const struct dest_limit *limits; /* --rate/--concurrency HOST=...: */
	size_t nlimits;                  /* limits for one host (dest.h) */
	int adaptive;
	double adaptive_start;    /* 0: a tenth of the rate */
	double latency_target_ms; /* adaptive: 0 for none */
	double error_target;      /* adaptive: fraction */
	double latency_tolerance; /* adaptive: queueing above this times the
				   * lowest latency; 0: no queueing check */
	uint64_t ramp_ms;         /* > 0: rise in a straight line from the
				   * first rate to rate over this long */
	const char *gate;         /* shell command, NULL: none */
	uint64_t gate_every_ms, gate_timeout_ms;
	unsigned max_attempts;
	uint64_t backoff_ms, backoff_max_ms;
	struct http_okset ok;
	struct rw_rules rules;    /* rewrites and the allow-list */
	struct http_opts http;
	struct sel *sel;          /* borrowed; NULL: everything */
	uint64_t limit;           /* most records this run; 0: no limit */
	int revive;               /* revive selected dead records first */
	unsigned max_revives;     /* not a record revived this often... */
	int force;                /* ...unless forced */
	const char *revive_reason;/* the revive event's reason; NULL: a
				   * default one */
	const char *revive_user;  /* who revives; NULL: not recorded */
	uint64_t max_age_ms;      /* records captured longer ago go dead;
				   * 0: no limit */
	size_t response_bytes;    /* of a failed attempt's response body,
				   * kept in its event (default 1 KiB) */
	enum replay_dry dry;
	uint64_t max_time_ms;     /* 0: none */
	uint64_t grace_ms;        /* after a stop, wait this long for
				   * in-flight requests */
	volatile sig_atomic_t *stop; /* set by the caller's signal handler */
	void *ctx;
	/* Each outcome, as it happens.  May be NULL. */
	void (*on_outcome)(void *ctx, const struct replay_outcome *o);
	/* About four times a second.  May be NULL. */
	void (*on_progress)(void *ctx, const struct replay_stats *st);
	/* Something the user should know (damage, refusals).  May be NULL. */
	void (*on_notice)(void *ctx, const char *msg);
	/* --dry-run: one request as it would be sent. */
	void (*on_dry)(void *ctx, const struct http_req *req);
	/* Each line the gate command writes to stderr.  May be NULL. */
	void (*on_gate_line)(void *ctx, const char *line);
};

void replay_opts_init(struct replay_opts *o);

/*
 * Run one replay over the spool at o->dir.  Returns 0 when no selected
 * record is left pending, 1 when work remains (gate closed, time budget
 * spent, retries scheduled, refusals, a stop), RD_E_LOCKED when another
 * replay holds the spool (err names the holder), or another negative
 * RD_E_* code on error (RD_E_INVAL when the gate command cannot run).
 * *st is filled in every case: after an error it says what was done
 * before it.  While it runs, the holder of the spool keeps the status
 * file up to date (replay_status.h).
 */
int replay_run(const struct replay_opts *o, struct replay_stats *st,
	       struct rd_err *err);

/* Full-jitter backoff: a uniform delay in [0, min(max, base * 2^(n-1))]
 * for the n-th failed attempt, given a random value r in [0, 1). */
uint64_t replay_backoff_ms(uint64_t base_ms, uint64_t max_ms, unsigned n,
			   double r);

#endif
