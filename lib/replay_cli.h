/*
 * replay_cli.h - rd-replay's own options, read into the run's options
 * (struct replay_opts) and the selection: the ids of its option table,
 * each value parsed and range-checked by group (pace, retries and dead
 * letters, selection, request, run), and then what they say together.
 *
 * Every error comes back as the usage message the tool prints, naming
 * the option ("--burst: ...").  Deliberately not here: the usage text and
 * the option table (cmd/rd-replay.c), the common flags (lib/cli) and the
 * connection flags (lib/cli_http), which the tool reads before these.
 */
#ifndef REPLAY_CLI_H
#define REPLAY_CLI_H

#include <stddef.h>

#include "cli.h"
#include "dest.h"
#include "http.h"
#include "rd.h"
#include "replay.h"
#include "sel.h"

/* The long-only option ids; -c (--concurrency) and -H (--header) keep
 * their letters. */
enum {
	REPLAY_OPT_RATE = CLI_OPT_TOOL, REPLAY_OPT_BURST, REPLAY_OPT_ADAPTIVE,
	REPLAY_OPT_ADAPTIVE_START, REPLAY_OPT_LAT_TARGET, REPLAY_OPT_ERR_TARGET,
	REPLAY_OPT_LAT_TOLERANCE, REPLAY_OPT_RAMP, REPLAY_OPT_GATE,
	REPLAY_OPT_GATE_EVERY, REPLAY_OPT_GATE_TIMEOUT, REPLAY_OPT_MAX_ATTEMPTS,
	REPLAY_OPT_BACKOFF, REPLAY_OPT_BACKOFF_MAX, REPLAY_OPT_SUCCESS,
	REPLAY_OPT_WHERE, REPLAY_OPT_MATCH_URL, REPLAY_OPT_SINCE,
	REPLAY_OPT_UNTIL, REPLAY_OPT_FAILURE, REPLAY_OPT_LIMIT, REPLAY_OPT_STDIN,
	REPLAY_OPT_REVIVE, REPLAY_OPT_TARGET, REPLAY_OPT_DROP_HEADER,
	REPLAY_OPT_IDEM_HEADER, REPLAY_OPT_NO_IDEM, REPLAY_OPT_ALLOW_HOST,
	REPLAY_OPT_TIMEOUT, REPLAY_OPT_MAX_TIME, REPLAY_OPT_GRACE,
	REPLAY_OPT_DRY_RUN, REPLAY_OPT_MAX_AGE, REPLAY_OPT_RESPONSE_BYTES,
	REPLAY_OPT_REASON, REPLAY_OPT_MAX_REVIVES, REPLAY_OPT_FORCE,
	REPLAY_OPT_NO_REDACT, REPLAY_OPT_SET_RATE
};

/* What the options give.  The strings are borrowed from argv; the arrays
 * are the struct's own, and r and so point into them after
 * replay_cli_check. */
struct replay_cli {
	struct replay_opts r;
	struct sel_opts so;
	const char **failures, **drops, **allows;
	size_t nfailures, ndrops, nallows;
	struct hdr *sets;          /* -H */
	int use_stdin;
	const char *since, *until; /* as typed, read by replay_cli_check */
	const char *max_age;       /* as typed */
	int no_redact;
	int set_rate;              /* --set-rate given: set_rate_to, then exit */
	double set_rate_to;
	struct dest_limit *limits; /* --rate/--concurrency HOST=... */
	size_t nlimits;
};

/* The defaults (replay_opts_init's); release with replay_cli_release. */
void replay_cli_init(struct replay_cli *o);
/* Frees the arrays; the struct may be released twice. */
void replay_cli_release(struct replay_cli *o);

/*
 * Apply option opt (getopt_long's value) with its value arg (borrowed
 * until the run ends): 1 when it is one of rd-replay's own, 0 when not,
 * RD_E_INVAL with err the usage message when its value is bad.
 */
int replay_cli_opt(struct replay_cli *o, int opt, const char *arg,
		   struct rd_err *err);

/*
 * After the last option: refuse what does not go together, read --since
 * and --until, and point o->r and o->so at the lists.  0, or RD_E_INVAL
 * with err the usage message.
 */
int replay_cli_check(struct replay_cli *o, struct rd_err *err);

#endif
