/*
 * cli_store.h - how a writer stores records, parsed in one place for the
 * tools that capture (rd-capture, rd-proxy), with the same names, limits
 * and errors: --fsync, --fsync-interval, --segment-size, --max-spool-size
 * and --max-record-size.  Each tool keeps its own --help lines (what a
 * refusal means differs: an exit status, a 413 or a 503).
 */
#ifndef CLI_STORE_H
#define CLI_STORE_H

#include <getopt.h>
#include <stdint.h>

#include "rd.h"
#include "spool.h"

enum {
	CLI_OPT_FSYNC = 0x1020,
	CLI_OPT_FSYNC_INTERVAL,
	CLI_OPT_SEGMENT_SIZE,
	CLI_OPT_MAX_SPOOL,
	CLI_OPT_MAX_RECORD
};

/* The block's entries for getopt_long's table. */
#define CLI_STORE_LONG                                                       \
	{ "fsync", required_argument, NULL, CLI_OPT_FSYNC },                 \
	{ "fsync-interval", required_argument, NULL, CLI_OPT_FSYNC_INTERVAL }, \
	{ "segment-size", required_argument, NULL, CLI_OPT_SEGMENT_SIZE },   \
	{ "max-spool-size", required_argument, NULL, CLI_OPT_MAX_SPOOL },    \
	{ "max-record-size", required_argument, NULL, CLI_OPT_MAX_RECORD }

/*
 * Apply option opt (getopt_long's value) to so and *max_record: 1 when it
 * is one of the block's, 0 when not, RD_E_INVAL with err naming the
 * option ("--segment-size: ...") when its value is bad.  An interval and
 * a record size are above zero; a segment is 4KiB to 1GiB (replay
 * addresses members with 32-bit offsets); --max-spool-size 0 is no cap,
 * the default.
 */
int cli_store_opt(struct spool_opts *so, uint64_t *max_record, int opt,
		  const char *arg, struct rd_err *err);

#endif
