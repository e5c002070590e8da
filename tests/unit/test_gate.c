/* Unit tests for lib/gate: open, closed, timed out (closed) and broken
 * gates, the last line of their stderr, and the descriptors they get. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clk.h"
#include "gate.h"
#include "t.h"

static int lines;

static void on_line(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
	lines++;
}

/* Run one check to its end; the last gate_poll result. */
static int settle(struct gate *g, struct rd_err *err)
{
	int ret = 0;

	gate_kick(g, clk_mono_ns(), err);
	while (gate_running(g)) {
		struct timespec ts = { 0, 5000000 };

		nanosleep(&ts, NULL);
		ret = gate_poll(g, clk_mono_ns(), err);
	}
	return ret;
}

int main(void)
{
	struct gate g;
	struct rd_err err;
	char why[GATE_LINE_MAX + 64];

	gate_init(&g, "true", 1000000000LL, 2000000000LL);
	T_EQ_INT(settle(&g, &err), 1, "state changes");
	T_EQ_INT(g.state, GATE_OPEN, "exit 0 opens");
	T_EQ_STR(gate_describe(&g, why, sizeof(why)), "exit 0", "described");
	gate_release(&g);

	gate_init(&g, "echo one >&2; printf 'two\\t\\033[31m \\n\\n' >&2; exit 3",
		  1000000000LL, 2000000000LL);
	g.on_line = on_line;
	settle(&g, &err);
	T_EQ_INT(g.state, GATE_CLOSED, "another status closes");
	T_EQ_STR(g.last_line, "two ?[31m", "the last non-empty line, cleaned");
	T_EQ_INT(lines, 2, "each line handed on");
	T_EQ_STR(gate_describe(&g, why, sizeof(why)), "exit 3: two ?[31m", "why");
	/* the next check's silence is not explained by this one's words */
	g.cmd = "exit 1";
	settle(&g, &err);
	T_EQ_STR(gate_describe(&g, why, sizeof(why)), "exit 1", "no stale line");
	gate_release(&g);

	gate_init(&g, "echo 'no such thing' >&2; exit 127", 1000000000LL, 2000000000LL);
	T_EQ_INT(settle(&g, &err), RD_E_INVAL, "127 is an error");
	T_EQ_INT(g.state, GATE_BROKEN, "broken");
	T_EQ_STR(err.msg, "the gate command cannot run (exit 127: no such thing)", "the message");
	gate_release(&g);

	gate_init(&g, "exit 126", 1000000000LL, 2000000000LL);
	T_EQ_INT(settle(&g, &err), RD_E_INVAL, "126 is an error");
	gate_release(&g);

	gate_init(&g, "kill -TERM $$", 1000000000LL, 2000000000LL);
	T_EQ_INT(settle(&g, &err), RD_E_INVAL, "killed by a signal is an error");
	T_OK(strstr(err.msg, "killed by signal 15") != NULL, "which signal");
	gate_release(&g);

	/* a second for the shell to start and say it, on a loaded machine */
	gate_init(&g, "echo waiting >&2; sleep 5", 1000000000LL, 1000000000LL);
	T_EQ_INT(settle(&g, &err), 1, "killed by the timeout: no error");
	T_EQ_INT(g.state, GATE_CLOSED, "but closed");
	T_EQ_STR(gate_describe(&g, why, sizeof(why)), "timed out after 1s: waiting", "said so");
	gate_release(&g);

	/* The command gets standard input, output and error, and nothing
	 * else: not a descriptor of ours left inheritable (a pipe made
	 * without close-on-exec, as a library might), nor one of the gate's
	 * own making.  `test -e` is a builtin, so the shell looks at its own
	 * table without opening anything. */
	{
		int p[2];

		T_OK(pipe(p) == 0, "a pipe without close-on-exec");
		gate_init(&g, "n=3; while [ $n -lt 64 ]; do "
			  "if [ -e /proc/$$/fd/$n ]; then echo \"fd $n inherited\" >&2; exit 1; fi; "
			  "n=$((n + 1)); done", 1000000000LL, 5000000000LL);
		settle(&g, &err);
		T_EQ_INT(g.state, GATE_OPEN, "the gate sees only 0, 1 and 2");
		T_EQ_STR(g.last_line, "", "nothing inherited");
		gate_release(&g);
		close(p[0]);
		close(p[1]);
	}

	gate_init(&g, NULL, 0, 0);
	T_EQ_INT(g.state, GATE_OPEN, "no command: always open");
	T_EQ_STR(gate_state_name(GATE_BROKEN), "broken", "names");
	return t_done();
}
