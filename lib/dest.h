/*
 * dest.h - pacing per destination: each host a replay sends to has its
 * own rate, concurrency, adaptive controller and backoff state, so one
 * host that is down or slow holds up nobody else.
 *
 * A destination is the authority of the URL a record is sent to (host and
 * port, lower case).  Its limits are the run's (--rate, --concurrency),
 * or an override given for that host (--rate HOST=R, --concurrency
 * HOST=N).
 *
 * A host that fails DEST_TRIP sends in a row with no answer from the
 * service (timeout, refused, reset, a name that does not resolve), or
 * that answers 503 or 429, pauses itself: nothing more is sent to it for
 * a while, so its records keep their attempts while it is down.  The
 * first pause is --backoff long and each failed probe doubles it, up to
 * --backoff-max.  When a pause ends one request goes alone, a probe: its
 * success opens the host again, its failure pauses it for longer.  A
 * Retry-After holds the host the same way, for as long as it asks.
 *
 * Everything takes the time as an argument (CLOCK_MONOTONIC
 * nanoseconds); nothing here does I/O.
 */
#ifndef DEST_H
#define DEST_H

#include <stddef.h>
#include <stdint.h>

#include "rd.h"
#include "rate.h"

#define DEST_HOST_MAX 262     /* host (255) and ":port" */
#define DEST_TRIP 3           /* failures in a row that pause a host */
#define DEST_SICK_NS 1000000000LL /* and, when it answers, for this long */
#define DEST_MAX 4096         /* hosts one run paces */

enum dest_state {
	DEST_OPEN = 0,    /* sending, within its limits */
	DEST_PAUSED,      /* down: nothing is sent until hold_until_ns */
	DEST_PROBING      /* a pause ended: one request goes alone */
};

/* What one finished send says about its host. */
enum dest_result {
	DEST_R_OK = 0,    /* an answer that is no failure to retry */
	DEST_R_DOWN,      /* no answer: timeout, refused, reset, DNS */
	DEST_R_FAILED     /* an answer to retry: 5xx, 429, 408 */
};

/* A limit given for one host on the command line. */
struct dest_limit {
	char host[DEST_HOST_MAX];
	double rate;          /* < 0: not given here */
	long concurrency;     /* < 0: not given here */
};

/* The run's settings, shared by every destination. */
struct dest_conf {
	double rate;              /* per host; 0: no limit */
	double burst;             /* the bucket's; 0: automatic */
	unsigned concurrency;     /* per host */
	int pace;                 /* 1: an adaptive controller or a ramp
				   * moves each host's rate */
	struct rate_ctl proto;    /* its settings, copied to each host */
	int64_t pause_ns, pause_max_ns; /* the first pause, and the longest */
	const struct dest_limit *limits;
	size_t nlimits;
};

struct dest {
	const struct dest_conf *conf;
	char host[DEST_HOST_MAX];
	double rate;              /* its limit; 0: none */
	unsigned concurrency;
	struct rate_bucket bucket;
	struct rate_ctl ctl;      /* with conf->pace */
	unsigned inflight;
	/* The caller's: sends prepared and not started, and of them
	 * those parked; a mark for one sweep over them. */
	unsigned queued, parked;
	uint64_t sweep;
	enum dest_state state;
	int64_t hold_until_ns;    /* paused, or Retry-After, until */
	int64_t pause_ns;         /* the next pause's length */
	unsigned fails;           /* failed sends in a row */
	uint32_t epoch;           /* pauses so far: a send's failure counts
				   * only in the epoch it started in */
	int64_t last_ok_ns;       /* its last success (or when first seen) */
	uint64_t sent, pauses;
};

struct dest_set {
	const struct dest_conf *conf;
	struct dest *v;
	size_t n, cap;
};

/* Parse "HOST=VALUE" for --rate or --concurrency into the list (a host
 * given twice keeps the last).  0 when arg has no '=' (a value for every
 * host: the caller's to parse), 1 when added, RD_E_INVAL when the host
 * or the value is not valid.  is_rate: the value is a rate ("100",
 * "100/s", "6000/m"), else a count of 1 to 10000. */
int dest_limit_parse(const char *arg, int is_rate, struct dest_limit **list,
		     size_t *n, struct rd_err *err);

/* The host a URL is paced as: its authority, lower case, with the port
 * spelled out (so "http://A" and "http://a:80" are one host).  -1 when
 * the URL has none. */
int dest_key(const char *url, char *out, size_t outsz);

void dest_set_init(struct dest_set *s, const struct dest_conf *conf);
void dest_set_release(struct dest_set *s);
/* The destination for host key, added on first use.  NULL past
 * DEST_MAX hosts. */
struct dest *dest_get(struct dest_set *s, const char *key, int64_t now_ns);

/* 1 when the host takes no new request now because it is paused, being
 * probed, or held by a Retry-After (*until_ns: when that ends, 0 for a
 * probe in flight). */
int dest_held(const struct dest *d, int64_t now_ns, int64_t *until_ns);
/* 1 when one request may start now: not held, below its concurrency, a
 * token taken from its bucket.  0 with *wait_ns: how long until it might
 * (INT64_MAX: when one of its requests ends). */
int dest_take(struct dest *d, int64_t now_ns, int64_t *wait_ns);
/* A request started (after dest_take): its epoch, for dest_done. */
uint32_t dest_started(struct dest *d);
/* A request ended: the epoch it started in, what it says of the host,
 * what it says to the controller, its latency, and how long the service
 * asked to be left alone (Retry-After; -1: not asked).  Moves the
 * controller and the pause.  A failure of a send that started before the
 * last pause tells nothing new (its host was already known down); an
 * answer, whenever sent, says the host is up.  Returns DEST_DONE_PAUSED when the host just paused (for
 * d->hold_until_ns - now_ns), DEST_DONE_OPENED when a paused host
 * answered again, else 0. */
#define DEST_DONE_PAUSED 1
#define DEST_DONE_OPENED 2
int dest_done(struct dest *d, uint32_t epoch, enum dest_result res,
	      enum rate_outcome ro, double latency_ms, int64_t retry_after_ns,
	      int64_t now_ns);
/* Move every host's controller; 1 when a rate changed. */
int dest_tick(struct dest_set *s, int64_t now_ns);
/* A new rate for every host (a control; 0 lifts the limit). */
void dest_set_rate(struct dest_set *s, double rate, int64_t now_ns);
/* Its rate now (0: no limit); the rates summed; hosts paused now. */
double dest_rate(const struct dest *d);
double dest_rate_sum(const struct dest_set *s);
size_t dest_paused(const struct dest_set *s, int64_t now_ns);

#endif
