/*
 * gate.h - the replay gate: a command of the user's own, run with
 * /bin/sh -c, whose exit status opens (0) or closes (anything else)
 * sending.
 *
 * The gate runs in the background; the caller polls it from its event
 * loop, so in-flight requests keep moving while it runs.  A gate that
 * outlives its timeout is killed (its whole process group) and counts as
 * closed.  Running the user's command through the shell is the point of
 * this module; it is never given data from the spool.
 */
#ifndef GATE_H
#define GATE_H

#include <stdint.h>
#include <sys/types.h>

#include "rd.h"

enum gate_state {
	GATE_UNKNOWN = 0,  /* not evaluated yet */
	GATE_OPEN,
	GATE_CLOSED
};

struct gate {
	const char *cmd;       /* borrowed; NULL: always open */
	int64_t every_ns;      /* re-evaluate this often */
	int64_t timeout_ns;    /* kill a gate command running longer */
	int quiet_stdout;      /* send the command's stdout to /dev/null */
	enum gate_state state;
	pid_t pid;             /* running check, 0 when none */
	int64_t started_ns, next_ns;
	int last_status;       /* exit status, or 128 + signal */
	uint64_t runs;
};

void gate_init(struct gate *g, const char *cmd, int64_t every_ns,
	       int64_t timeout_ns);
/*
 * Reap a finished check and start the next one when it is due.  Returns
 * 1 when the state changed, 0 when not, or RD_E_IO when the command
 * cannot be started.
 */
int gate_poll(struct gate *g, int64_t now_ns, struct rd_err *err);
/* Start a check now if none is running. */
int gate_kick(struct gate *g, int64_t now_ns, struct rd_err *err);
/* 1 while a check is running. */
int gate_running(const struct gate *g);
/* Kill a running check and reap it. */
void gate_release(struct gate *g);
/* "open", "closed" or "unknown". */
const char *gate_state_name(enum gate_state s);

#endif
