/* Unit tests for lib/replay_status: the status file round trip, what a
 * reader makes of a file left by a process that is gone, and damage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay_status.h"
#include "t.h"

/* A running replay's status, with every field set. */
static void sample(struct replay_status *s)
{
	memset(s, 0, sizeof(*s));
	s->state = REPLAY_STATUS_RUNNING;
	s->pid = (long)getpid();
	s->since_ms = 1796011200000LL;
	s->updated_ms = 1796011201500LL;
	s->sent = 12;
	s->ok = 10;
	s->retry = 1;
	s->dead = 1;
	s->pending = 30;
	s->rate = 19.5;
	s->rate_limit = 20;
	snprintf(s->gate, sizeof(s->gate), "closed");
	snprintf(s->gate_why, sizeof(s->gate_why), "exit 1: db \"down\"");
}

/* s as JSON and back; a bad field and garbage refused. */
static void test_json(const struct replay_status *s)
{
	struct replay_status back;
	struct rd_err err;
	struct buf b;

	buf_init(&b);
	replay_status_to_json(s, &b);
	T_OK(strncmp(b.data, "{\"v\":1,\"state\":\"running\",\"pid\":", 31) == 0,
	     "one JSON object, version first");
	T_OK(strstr(b.data, "\"since\":\"2026-11-30T04:00:00.000Z\"") != NULL, "RFC 3339 times");
	T_OK(strstr(b.data, "\"ended\"") == NULL, "no end while running");
	T_EQ_INT(replay_status_parse(b.data, b.len, &back, &err), 0, "parses");
	T_OK(back.state == REPLAY_STATUS_RUNNING && back.pid == s->pid &&
	     back.since_ms == s->since_ms && back.updated_ms == s->updated_ms &&
	     back.sent == 12 && back.ok == 10 && back.retry == 1 && back.dead == 1 &&
	     back.pending == 30 && back.rate == 19.5 && back.rate_limit == 20,
	     "round trip of the numbers");
	T_EQ_STR(back.gate, "closed", "gate state");
	T_EQ_STR(back.gate_why, "exit 1: db \"down\"", "why the gate is closed");
	T_EQ_INT(replay_status_parse("{\"state\":\"running\",\"pid\":\"x\"}", 29, &back, &err),
		 RD_E_INVAL, "a bad field is refused");
	T_OK(strstr(err.msg, "'pid'") != NULL, "and named");
	T_EQ_INT(replay_status_parse("garbage", 7, &back, &err), RD_E_INVAL, "garbage refused");
	buf_release(&b);
}

/* s written through a spool in dir and read back: by a live process, by
 * one that is gone (what a kill -9 leaves), and a failed run. */
static void test_spool(struct replay_status *s, const char *dir)
{
	struct replay_status back;
	struct spool_opts so;
	struct spool *sp = NULL;
	struct rd_err err;
	char path[128];
	pid_t child;

	spool_opts_init(&so);
	so.create = 1;
	T_EQ_INT(spool_open(dir, &so, &sp, &err), 0, "spool opens");
	T_EQ_INT(replay_status_read(sp, &back, &err), 0, "none yet");
	T_EQ_INT(replay_status_write(sp, s, &err), 0, "written");
	T_EQ_INT(replay_status_read(sp, &back, &err), 1, "read back");
	T_OK(back.alive && back.sent == 12, "running, by a live process");
	snprintf(path, sizeof(path), "%s/replay.status", dir);
	{
		struct stat st;

		T_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "private");
	}
	/* a process that is gone: what a kill -9 leaves */
	child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	s->pid = (long)child;
	replay_status_write(sp, s, &err);
	T_EQ_INT(replay_status_read(sp, &back, &err), 1, "read");
	T_OK(back.state == REPLAY_STATUS_RUNNING && !back.alive, "says running, but its process is gone");
	s->state = REPLAY_STATUS_FAILED;
	s->ended_ms = s->updated_ms;
	snprintf(s->error, sizeof(s->error), "write failed");
	replay_status_write(sp, s, &err);
	T_EQ_INT(replay_status_read(sp, &back, &err), 1, "read");
	T_OK(back.state == REPLAY_STATUS_FAILED && back.ended_ms == s->ended_ms &&
	     strcmp(back.error, "write failed") == 0 && !back.alive, "failed, with why");
	spool_close(sp);
}

int main(void)
{
	struct replay_status s;
	char dir[] = "/tmp/rd-status.XXXXXX", cmd[256];

	sample(&s);
	test_json(&s);
	/* through a spool */
	if (!mkdtemp(dir))
		return 1;
	test_spool(&s, dir);
	T_EQ_STR(replay_status_state_name(REPLAY_STATUS_FINISHED), "finished", "names");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}
