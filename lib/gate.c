/*
 * gate.c - run the gate command and track its verdict (see gate.h).
 *
 * The command's stderr is a non-blocking pipe read on every poll while it
 * runs, and drained when it is reaped, so a chatty gate never blocks on a
 * full pipe and its last words are never lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gate.h"
#include "banned.h"

void gate_init(struct gate *g, const char *cmd, int64_t every_ns,
	       int64_t timeout_ns)
{
	memset(g, 0, sizeof(*g));
	g->cmd = cmd;
	g->every_ns = every_ns > 0 ? every_ns : 5000000000LL;
	g->timeout_ns = timeout_ns > 0 ? timeout_ns : 30000000000LL;
	g->quiet_stdout = 1;
	g->state = cmd ? GATE_UNKNOWN : GATE_OPEN;
	g->errfd = -1;
}

const char *gate_state_name(enum gate_state s)
{
	switch (s) {
	case GATE_OPEN: return "open";
	case GATE_CLOSED: return "closed";
	case GATE_BROKEN: return "broken";
	case GATE_UNKNOWN: break;
	}
	return "unknown";
}

int gate_running(const struct gate *g)
{
	return g->pid > 0;
}

/* A line is complete: keep it (without trailing blanks) unless empty. */
static void end_line(struct gate *g)
{
	while (g->npart && (g->part[g->npart - 1] == ' ' ||
			    g->part[g->npart - 1] == '\r' ||
			    g->part[g->npart - 1] == '\t'))
		g->npart--;
	g->part[g->npart] = '\0';
	if (g->npart) {
		memcpy(g->cur_line, g->part, g->npart + 1);
		if (g->on_line)
			g->on_line(g->line_ctx, g->part);
	}
	g->npart = 0;
}

/* Read what the command wrote to stderr; at the end, close the pipe. */
static void read_err(struct gate *g, int final)
{
	char b[4096];
	ssize_t k;

	while (g->errfd >= 0) {
		k = read(g->errfd, b, sizeof(b));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		for (ssize_t i = 0; i < k; i++) {
			unsigned char c = (unsigned char)b[i];

			if (c == '\n') {
				end_line(g);
			} else if (g->npart < GATE_LINE_MAX) {
				/* Never a raw escape sequence on a terminal;
				 * past the cap the line is cut. */
				g->part[g->npart++] = (char)(c == '\t' ? ' ' :
					c < 0x20 || c == 0x7f ? '?' : c);
			}
		}
	}
	if (final && g->errfd >= 0) {
		/* What a grandchild still holding the pipe writes later is
		 * not this check's answer. */
		close(g->errfd);
		g->errfd = -1;
		end_line(g);
	}
}

/*
 * In the child, before exec: close every descriptor above 2.  The gate is
 * the user's command; what the replay holds (its connections, the spool,
 * its lock) is none of its business, and a connection it inherited would
 * outlive the replay.  Close-on-exec already covers every descriptor
 * redrive opens; this also covers what a library opens without it and
 * what the replay itself inherited.  Only system calls here: the parent
 * may have threads (libcurl's resolver), so nothing that allocates.
 */
static void close_from_3(void)
{
	struct rlimit rl;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
#endif
	/* Kernels before 5.9: one by one, up to the descriptor limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > (1u << 20))
		rl.rlim_cur = 1u << 20;
	for (rlim_t fd = 3; fd < rl.rlim_cur; fd++)
		close((int)fd);
}

int gate_kick(struct gate *g, int64_t now_ns, struct rd_err *err)
{
	int fds[2];
	pid_t pid;

	if (!g->cmd || g->pid > 0)
		return 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return rd_err_sys(err, errno, "cannot start the gate command");
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return rd_err_sys(err, errno, "cannot start the gate command");
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		/* Own process group, so a timeout kills the whole pipeline. */
		setpgid(0, 0);
		dup2(fds[1], 2);
		if (fd >= 0) {
			dup2(fd, 0);
			if (g->quiet_stdout)
				dup2(fd, 1);
			else
				dup2(2, 1);
		}
		close_from_3();
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", g->cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	close(fds[1]);
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	if (g->errfd >= 0)
		close(g->errfd);
	g->errfd = fds[0];
	g->npart = 0;
	g->cur_line[0] = '\0';
	g->pid = pid;
	g->started_ns = now_ns;
	g->runs++;
	return 0;
}

const char *gate_describe(const struct gate *g, char *out, size_t n)
{
	int k;

	if (g->runs == 0 || (g->state == GATE_UNKNOWN && g->pid > 0)) {
		snprintf(out, n, "not evaluated yet");
		return out;
	}
	if (g->timed_out)
		k = snprintf(out, n, "timed out after %gs",
			     (double)g->timeout_ns / 1e9);
	else if (g->last_signal)
		k = snprintf(out, n, "killed by signal %d", g->last_signal);
	else
		k = snprintf(out, n, "exit %d", g->last_status);
	if (g->last_line[0] && k >= 0 && (size_t)k < n)
		snprintf(out + k, n - (size_t)k, ": %s", g->last_line);
	return out;
}

static int settle(struct gate *g, int status, int by_timeout, int64_t now_ns,
		  struct rd_err *err)
{
	enum gate_state old = g->state;
	char why[GATE_LINE_MAX + 64];

	read_err(g, 1);
	/* Even when empty: a line from an earlier check would explain the
	 * wrong verdict. */
	memcpy(g->last_line, g->cur_line, sizeof(g->last_line));
	g->pid = 0;
	g->timed_out = by_timeout;
	g->last_signal = !by_timeout && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	g->last_status = WIFEXITED(status) ? WEXITSTATUS(status) :
			 WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
	g->next_ns = now_ns + g->every_ns;
	if (g->last_signal || (!by_timeout && (g->last_status == 126 ||
					       g->last_status == 127))) {
		g->state = GATE_BROKEN;
		gate_describe(g, why, sizeof(why));
		return rd_err_set(err, RD_E_INVAL,
				  g->last_signal ?
				  "the gate command gave no answer (%s)" :
				  "the gate command cannot run (%s)", why);
	}
	g->state = g->last_status == 0 ? GATE_OPEN : GATE_CLOSED;
	return g->state != old;
}

int gate_poll(struct gate *g, int64_t now_ns, struct rd_err *err)
{
	int status;
	pid_t r;

	if (!g->cmd)
		return 0;
	if (g->pid > 0) {
		read_err(g, 0);
		r = waitpid(g->pid, &status, WNOHANG);
		if (r == g->pid)
			return settle(g, status, 0, now_ns, err);
		if (r < 0 && errno != EINTR) {
			g->pid = 0;
			return rd_err_sys(err, errno, "cannot wait for the gate command");
		}
		if (now_ns - g->started_ns > g->timeout_ns) {
			kill(-g->pid, SIGKILL);
			while (waitpid(g->pid, &status, 0) < 0 && errno == EINTR)
				;
			return settle(g, status, 1, now_ns, err);
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
	if (g->errfd >= 0) {
		close(g->errfd);
		g->errfd = -1;
	}
}
