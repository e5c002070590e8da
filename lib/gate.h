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
 *
 * Its standard error goes through a pipe, so that its last line can say
 * why the gate is closed; each line is handed to on_line as it comes.  A
 * command that cannot run at all (the shell's 126 and 127, or killed by a
 * signal this module did not send) is not a closed gate but a broken one:
 * waiting for it to open would wait forever for a typo.
 */
#ifndef GATE_H
#define GATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rd.h"

enum gate_state {
	GATE_UNKNOWN = 0,  /* not evaluated yet */
	GATE_OPEN,
	GATE_CLOSED,
	GATE_BROKEN        /* the command cannot run (see above) */
};

#define GATE_LINE_MAX 200

struct gate {
	const char *cmd;       /* borrowed; NULL: always open */
	int64_t every_ns;      /* re-evaluate this often */
	int64_t timeout_ns;    /* kill a gate command running longer */
	int quiet_stdout;      /* send the command's stdout to /dev/null */
	enum gate_state state;
	pid_t pid;             /* running check, 0 when none */
	int errfd;             /* read end of its stderr, -1 when none */
	int64_t started_ns, next_ns;
	int last_status;       /* exit status, or 128 + signal */
	int last_signal;       /* the signal that ended it, 0 when none */
	int timed_out;         /* the last check was killed by the timeout */
	uint64_t runs;
	/* The last non-empty line the command wrote to stderr, control bytes
	 * replaced by '?', cut at GATE_LINE_MAX bytes, of the last check
	 * that ended; "" when it wrote none. */
	char last_line[GATE_LINE_MAX + 1];
	char cur_line[GATE_LINE_MAX + 1]; /* the same for the running check */
	char part[GATE_LINE_MAX + 1]; /* a line still being written */
	size_t npart;
	/* Each stderr line of the command, as it comes (cleaned as
	 * last_line).  May be NULL. */
	void (*on_line)(void *ctx, const char *line);
	void *line_ctx;
};

void gate_init(struct gate *g, const char *cmd, int64_t every_ns,
	       int64_t timeout_ns);
/*
 * Reap a finished check and start the next one when it is due.  Returns
 * 1 when the state changed, 0 when not, RD_E_IO when the command cannot
 * be started, or RD_E_INVAL when it ended as a broken gate (the state is
 * GATE_BROKEN and err says why, with the command's last stderr line).
 */
int gate_poll(struct gate *g, int64_t now_ns, struct rd_err *err);
/* Start a check now if none is running. */
int gate_kick(struct gate *g, int64_t now_ns, struct rd_err *err);
/* 1 while a check is running. */
int gate_running(const struct gate *g);
/* Kill a running check and reap it. */
void gate_release(struct gate *g);
/* "open", "closed", "broken" or "unknown". */
const char *gate_state_name(enum gate_state s);
/*
 * Why the last check ended as it did, for people: "exit 1: LINE",
 * "timed out after 30s", "killed by signal 9: LINE", or "exit 1" when the
 * command wrote nothing to stderr.  Written into out (size n); returns
 * out.
 */
const char *gate_describe(const struct gate *g, char *out, size_t n);

#endif
