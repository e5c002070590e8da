/*
 * gate.c - run the gate command and track its verdict (see gate.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gate.h"
#include "banned.h"

void gate_init(struct gate *g, const char *cmd, int64_t every_ns,
	       int64_t timeout_ns)
{
	g->cmd = cmd;
	g->every_ns = every_ns > 0 ? every_ns : 5000000000LL;
	g->timeout_ns = timeout_ns > 0 ? timeout_ns : 30000000000LL;
	g->quiet_stdout = 1;
	g->state = cmd ? GATE_UNKNOWN : GATE_OPEN;
	g->pid = 0;
	g->started_ns = g->next_ns = 0;
	g->last_status = 0;
	g->runs = 0;
}

const char *gate_state_name(enum gate_state s)
{
	return s == GATE_OPEN ? "open" : s == GATE_CLOSED ? "closed" : "unknown";
}

int gate_running(const struct gate *g)
{
	return g->pid > 0;
}

int gate_kick(struct gate *g, int64_t now_ns, struct rd_err *err)
{
	pid_t pid;

	if (!g->cmd || g->pid > 0)
		return 0;
	pid = fork();
	if (pid < 0)
		return rd_err_sys(err, errno, "cannot start the gate command");
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		/* Own process group, so a timeout kills the whole pipeline. */
		setpgid(0, 0);
		if (fd >= 0) {
			dup2(fd, 0);
			if (g->quiet_stdout)
				dup2(fd, 1);
			else
				dup2(2, 1);
		}
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", g->cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	g->pid = pid;
	g->started_ns = now_ns;
	g->runs++;
	return 0;
}

static int settle(struct gate *g, int status, int64_t now_ns)
{
	enum gate_state old = g->state;

	g->pid = 0;
	g->last_status = WIFEXITED(status) ? WEXITSTATUS(status) :
			 WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
	g->state = g->last_status == 0 ? GATE_OPEN : GATE_CLOSED;
	g->next_ns = now_ns + g->every_ns;
	return g->state != old;
}

int gate_poll(struct gate *g, int64_t now_ns, struct rd_err *err)
{
	int status;
	pid_t r;

	if (!g->cmd)
		return 0;
	if (g->pid > 0) {
		r = waitpid(g->pid, &status, WNOHANG);
		if (r == g->pid)
			return settle(g, status, now_ns);
		if (r < 0 && errno != EINTR) {
			g->pid = 0;
			return rd_err_sys(err, errno, "cannot wait for the gate command");
		}
		if (now_ns - g->started_ns > g->timeout_ns) {
			kill(-g->pid, SIGKILL);
			while (waitpid(g->pid, &status, 0) < 0 && errno == EINTR)
				;
			return settle(g, (128 + SIGKILL) << 8, now_ns);
		}
		return 0;
	}
	if (now_ns >= g->next_ns)
		return gate_kick(g, now_ns, err) < 0 ? RD_E_IO : 0;
	return 0;
}

void gate_release(struct gate *g)
{
	int status;

	if (g->pid > 0) {
		kill(-g->pid, SIGKILL);
		while (waitpid(g->pid, &status, 0) < 0 && errno == EINTR)
			;
		g->pid = 0;
	}
}
