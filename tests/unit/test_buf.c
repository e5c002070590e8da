/*
 * test_buf.c - the byte buffer: growth, formatting, NUL termination, and
 * moving whole buffers to and from file descriptors within a limit.
 */
#include "buf.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"

int main(void)
{
	struct buf b, r;
	struct rd_err err;
	size_t done = 0;
	int p[2];

	buf_init(&b);
	buf_init(&r);
	for (int i = 0; i < 10000; i++)
		buf_addf(&b, "%d,", i);
	T_OK(b.len > 40000 && b.data[b.len] == '\0', "grows and stays NUL-terminated");
	T_OK(strncmp(b.data, "0,1,2,", 6) == 0, "content in order");

	/* Through a pipe and back. */
	if (pipe(p) < 0 || fork() == 0) {
		close(p[0]);
		_exit(buf_write_fd(&b, p[1], &done) == 0 && done == b.len ? 0 : 1);
	}
	close(p[1]);
	T_EQ_INT(buf_read_fd(&r, p[0], b.len, &err), 0, "read until EOF");
	close(p[0]);
	wait(NULL);
	T_OK(r.len == b.len && memcmp(r.data, b.data, b.len) == 0 &&
	     r.data[r.len] == '\0', "what was written is what is read");

	/* Past the limit: refused, with the limit named. */
	buf_reset(&r);
	if (pipe(p) < 0 || fork() == 0) {
		close(p[0]);
		_exit(buf_write_fd(&b, p[1], NULL) == 0 ? 0 : 1);
	}
	close(p[1]);
	T_EQ_INT(buf_read_fd(&r, p[0], 1000, &err), RD_E_FULL, "over max is refused");
	T_OK(strstr(err.msg, "larger than the 1000-byte limit") != NULL, "limit named");
	T_OK(r.len < 1000 + 65536 + 1, "never holds much more than max");
	close(p[0]);
	wait(NULL);

	/* A closed reader: the write error comes back as -EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (pipe(p) == 0) {
		close(p[0]);
		T_EQ_INT(buf_write_fd(&b, p[1], &done), -EPIPE, "EPIPE reported");
		T_EQ_INT(done, 0, "nothing written");
		close(p[1]);
	}
	buf_release(&b);
	buf_release(&r);
	return t_done();
}
