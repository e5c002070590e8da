/*
 * cli.h - what every tool's command line shares: the common flags, and the
 * one parser each for numbers, sizes, durations and rates.  Each parser
 * rejects trailing garbage, overflow and out-of-range values and returns a
 * reason that the cmd prints as a usage error.
 */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <stdint.h>

#include "rd.h"

/* Long-only option ids shared by all tools start here; tool-specific
 * long-only ids start at CLI_OPT_TOOL. */
enum {
	CLI_OPT_JSON = 0x1000,
	CLI_OPT_SPOOL,
	CLI_OPT_TRUST_SPOOL,
	CLI_OPT_TOOL = 0x1100
};

/* The common flags, spliced into each tool's option table. */
/* The leading ':' makes getopt report a missing value as ':' and stay
 * quiet; the tool prints cli_opt_error instead. */
#define CLI_COMMON_SHORT ":qvhV"
#define CLI_COMMON_LONG                                      \
	CLI_COMMON_LONG_NO_JSON,                             \
	{ "json", no_argument, NULL, CLI_OPT_JSON }
/* rd-capture's --json is curl's (a JSON body): it takes the rest. */
#define CLI_COMMON_LONG_NO_JSON                              \
	{ "spool", required_argument, NULL, CLI_OPT_SPOOL }, \
	{ "trust-spool", no_argument, NULL, CLI_OPT_TRUST_SPOOL }, \
	{ "quiet", no_argument, NULL, 'q' },                 \
	{ "verbose", no_argument, NULL, 'v' },               \
	{ "help", no_argument, NULL, 'h' },                  \
	{ "version", no_argument, NULL, 'V' }

struct cli_common {
	const char *spool; /* --spool, borrowed from argv */
	int trust_spool;   /* --trust-spool: use a spool another user owns
			    * or can write to (spool_opts.trust) */
	int json;
	int verbosity;   /* -1 with -q, +1 per -v */
	int help;
	int version;
};

void cli_common_init(struct cli_common *c);
/* Handle opt if it is a common flag: returns 1 when consumed, else 0. */
int cli_common_opt(struct cli_common *c, int opt, const char *arg);

/*
 * The spool location (a directory, or a backend's URL): --spool, else
 * $RD_SPOOL, else $XDG_STATE_HOME/redrive/spool, else
 * $HOME/.local/state/redrive/spool.  Writes into out (size n); returns 0
 * or RD_E_INVAL when none can be made.
 */
int cli_spool_location(const char *given, char *out, size_t n,
		       struct rd_err *err);

/* The location where as it may be shown: a URL location (nats://) with
 * its secrets masked as every URL is (redact_url_to: the userinfo and
 * secret query values), a path as it is.  Into out (n bytes, cut if
 * longer). */
void cli_spool_shown(const char *where, char *out, size_t n);

/* 1 when where names a directory spool that does not exist yet: nothing
 * was ever captured there.  The tools that work a spool through (replay,
 * compaction) have nothing to do then, so a cron job on a host that has
 * had no outage yet stays quiet; readers that report on one (rd-audit)
 * still refuse it. */
int cli_spool_missing(const char *where);

/* After the options: RD_E_INVAL when an argument is left at argv[optind]
 * (more, the caller's words: "; one URL at most", or ""), naming it
 * only when it is a URL, with its secrets masked: anything else may be
 * a credential (an unquoted `-H X-Key: TOKEN` leaves TOKEN here).
 * 0 when none is left. */
int cli_extra_arg(int argc, char *const argv[], int optind, const char *more,
		  struct rd_err *err);

/* An option's value refused: err says "OPT: why".  Returns RD_E_INVAL. */
int cli_opt_bad(struct rd_err *err, const char *opt, const struct rd_err *why);

/* Unsigned decimal integer in [min, max]. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		  struct rd_err *err);
/* Size: digits with an optional K, M, G or T suffix (powers of 1024, an
 * optional "iB" or "B" after it), e.g. "16MiB", "64M", "4096". */
int cli_parse_size(const char *s, uint64_t *out, struct rd_err *err);
/* Duration: a number (fraction allowed) with ms, s, m or h; a bare number
 * is seconds, at most 100000h.  Result in milliseconds. */
#define CLI_DURATION_MAX_MS (100000.0 * 3600000)
int cli_parse_duration(const char *s, uint64_t *ms, struct rd_err *err);
/* Rate: "200/s", "50/m", "10/h", or a bare number per second.  Result in
 * events per second, > 0. */
int cli_parse_rate(const char *s, double *per_sec, struct rd_err *err);

/*
 * The usage message for getopt_long's ':' (missing value) or '?' (unknown
 * option) return, naming the option, for a tool that set opterr = 0 and
 * starts its option string with ':'.  Written into buf; returns buf.
 */
const char *cli_opt_error(int c, char *const argv[], char *buf, size_t n);

/*
 * After the options: print the usage text for -h or "prog VERSION" for -V
 * to stdout.  Returns 1 when one was printed (the tool is done), 0 when
 * neither was asked for, RD_E_IO when stdout could not be written.
 */
int cli_help_version(const struct cli_common *c, const char *prog,
		     const char *usage);
/*
 * After getopt_long returned the long option longs[idx]: 1 when it was
 * typed in full, 0 when getopt took an abbreviation ("--head" for
 * "--header").  A tool that stands in for another program, whose own
 * options would be read as abbreviations of its, refuses those.
 */
int cli_long_exact(const struct option *longs, int idx, char *const argv[]);

struct compl_tool;
/*
 * The hidden first argument --completion-helper (compl.h): when argv[1]
 * is it, write what the completion script asked for to stdout and return
 * the exit status (0, or 2 for a bad request); else return -1.
 */
int cli_completion(const struct compl_tool *t, int argc, char *const argv[]);

/* Append s (borrowed) to the growing array *v of *n strings; the caller
 * frees the array with free(). */
void cli_list_add(const char ***v, size_t *n, const char *s);

/* 0 when u is an http or https URL; else RD_E_INVAL with "OPT: 'U' is
 * not an http or https URL", U with its credentials masked. */
int cli_http_url(const char *opt, const char *u, struct rd_err *err);

/* 0 when spec is ADDR:PORT to listen on (an IPv4 address or host name,
 * an IPv6 address in brackets, or nothing for every address, and a port
 * from 0 to 65535); else
 * RD_E_INVAL with a message that starts with "OPT: ". */
int cli_listen_addr(const char *opt, const char *spec, struct rd_err *err);

#endif
