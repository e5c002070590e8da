/*
 * audit.h - what happened in a spool: one streaming fold of requests and
 * events into per-request state and the summary rd-audit prints.
 *
 * Memory is bounded by the number of requests (40 bytes each plus the id
 * table), never by their size or by the number of events; groups (failure
 * types, hosts, routes, statuses) are capped, and what does not fit goes
 * to an "other" group, so a spool of random URLs cannot blow up memory.
 *
 * Routes are "METHOD host/path" with ids folded: UUIDs become :uuid,
 * ULIDs :ulid, long hex strings :hex and numbers :n; user rules (PCRE2
 * pattern and replacement) run first.  No output here.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "idtab.h"
#include "life.h"
#include "pend.h"
#include "rd.h"
#include "replay_status.h"
#include "sel.h"
#include "spool.h"
#include "timeline.h"

/* The lifecycle's states (life.h). */
enum audit_state {
	AUDIT_PENDING = LIFE_PENDING,
	AUDIT_OK = LIFE_DONE,
	AUDIT_DEAD = LIFE_DEAD
};

struct audit_group {
	char name[160];
	uint64_t requests, pending, ok, dead;
	uint64_t attempts;         /* replay attempts */
	uint64_t replayed;         /* requests with at least one attempt */
};

struct audit_dim {
	struct audit_group *g;     /* the last one may be "other" */
	size_t n, cap, max;
	int has_other;
};

#define AUDIT_EXAMPLES 3         /* response examples per dead reason */
#define AUDIT_EXAMPLE_REASONS 8  /* for this many reasons */
#define AUDIT_SNIPPET 240        /* bytes of a response body shown */

/* A dead record and what its last attempt got back. */
struct audit_example {
	char id[REC_ID_LEN + 1];
	uint16_t reason;           /* index in by_reason */
	int status;                /* 0: no response */
	char status_line[80];      /* "HTTP/1.1 503 Service Unavailable" */
	char error[120];           /* the transport error, when no response */
	char body[AUDIT_SNIPPET];  /* the first bytes of the body, raw */
	size_t body_len;
	int truncated;             /* the body was longer */
};

/* When things happened; 0 when they did not. */
struct audit_times {
	int64_t first_failure, last_failure;   /* captures */
	int64_t gate_open;         /* a replay's gate first said open */
	int64_t drain_start;       /* the first replay attempt */
	int64_t last_resolved;     /* the last record to leave the backlog */
	int64_t drained;           /* last_resolved, when nothing is pending */
};

struct audit_summary {
	uint64_t requests, pending, due, backing_off, ok, dead;
	uint64_t attempts, attempts_ok, attempts_retry, attempts_permanent;
	uint64_t attempts_unknown;  /* sends begun (intent) with no outcome */
	uint64_t replayed;          /* requests attempted at least once */
	uint64_t revived;
	int64_t oldest_pending_ms;  /* captured_at of the oldest, to the
				     * second (audit_rec); 0 none */
	int64_t first_ms, last_ms;  /* span of captures and attempts */
	struct hist latency;        /* of attempts that got a response */
	struct audit_dim by_failure, by_host, by_route, by_status;
	uint64_t by_attempts[7];    /* 0..5 attempts, then 6 or more */
	struct timeline tl;         /* the same over time */
	struct audit_times at;
	struct audit_dim by_reason; /* dead records, by why (times folded) */
	struct audit_example ex[AUDIT_EXAMPLES * AUDIT_EXAMPLE_REASONS];
	size_t nex;
	uint64_t run_lines;         /* replay runs' reports in the log */
	uint64_t compacted;         /* requests rd-compact removed, counted in
				     * requests, ok, dead and attempts from
				     * its rollup lines */
	uint64_t bad_lines;         /* lines that claim a kind and do not parse */
	/* Facts from beside the log, set by the caller: */
	struct replay_status replay;/* the last replay's status file */
	int have_replay;            /* a replay ever wrote one */
	uint64_t spool_bytes;       /* spool_usage */
};

struct audit_rule {
	struct rx *rx;             /* owned by the caller */
	const char *repl;
};

struct audit_opts {
	struct sel *sel;           /* borrowed; NULL: every request */
	const struct audit_rule *rules;
	size_t nrules;
	size_t max_groups;         /* per dimension; default 50 */
	uint64_t limit;            /* the first N selected requests; 0: all */
	int64_t now_ms;
	/* The replay checkpoint (ckpt_read), borrowed; NULL: none.  Records
	 * before its position take their state from it, as rd-replay does,
	 * and events after it fold on top, so both tools agree even where a
	 * damaged member lost events the checkpoint had seen. */
	struct pend *ckpt;
	struct spool_pos ckpt_at;
};

struct audit_rec {             /* 40 bytes per request */
	unsigned char id[REC_ID_BIN];
	int32_t captured_s;        /* seconds since AUDIT_EPOCH */
	int32_t due_s;
	uint16_t attempts;         /* sends since the last revive */
	uint16_t earlier;          /* sends before it */
	uint16_t route, host, ftype, status;
	uint16_t reason;           /* by_reason, when dead */
	uint8_t state : 2;         /* enum audit_state */
	uint8_t open : 1;          /* an intent of it awaits its outcome */
	uint8_t revives : 5;       /* saturating at 31 */
	uint8_t pad;
};

/* A send whose intent is in the log and whose outcome is not (yet). */
struct audit_intent {
	int64_t at_ms;
	uint32_t rec;              /* index in recs */
	uint32_t attempt;          /* 0: its outcome came */
};

struct audit {
	struct audit_opts o;
	struct audit_rec *recs;
	size_t n, cap;
	struct idtab idx;
	struct audit_summary s;
	struct rec_parser rp;
	struct buf scratch;
	int crossed;               /* past ckpt_at: the checkpoint applied */
	struct audit_intent *open; /* intents awaiting their outcome */
	size_t nopen, capopen, liveopen;
	/* the last attempt, for the dead event that follows it */
	struct audit_example last;
	int64_t last_at;
	enum tl_count last_count;
	/* records the --where filter failed on (left out), and the first */
	uint64_t where_failed;
	char where_first[REC_ID_LEN + 1];
	char where_why[512];
};

void audit_init(struct audit *a, const struct audit_opts *o);
void audit_release(struct audit *a);

/* Fold one spool line.  Never fails: a bad line is counted. */
void audit_fold(struct audit *a, const struct spool_item *it);

/* Finish: states, groups and key times.  Call once after the last fold. */
void audit_finish(struct audit *a);

/* The state of a request by id, or -1 when it is not selected. */
int audit_state_of(struct audit *a, const char *id, uint32_t *attempts);

/* The normalised route of a request ("POST host/orders/:n"), into out. */
void audit_route(const struct audit_opts *o, const struct rec_req *q,
		 struct buf *out);

const char *audit_state_name(int s);

/* Replay amplification: attempts per replayed request (1.0 when each was
 * sent once); 0 when nothing was replayed. */
double audit_amplification(uint64_t attempts, uint64_t replayed);

#endif
