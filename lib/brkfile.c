/*
 * brkfile.c - the --state file under a lock (see brkfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "afile.h"
#include "brkfile.h"
#include "banned.h"

/* A breaker and the counters of rates: 1000 series a selector
 * (HEALTH_RATE_SERIES) of some 100 bytes each, for many selectors. */
#define STATE_MAX (16 << 20)

int brkfile_load(const char *path, struct breaker *b, struct rd_err *err)
{
	struct buf st;
	int ret;

	buf_init(&st);
	if ((ret = afile_read(path, &st, STATE_MAX, err)) == 1) {
		ret = breaker_load(b, st.data, st.len, err) < 0 ?
		      rd_err_set(err, RD_E_CORRUPT,
				 "'%s' is not a rd-health state file; remove it to start with a closed breaker",
				 path) : 0;
	} else if (ret == 0) {
		ret = 1;
	}
	buf_release(&st);
	return ret;
}

/* Hold an exclusive lock on path.lock; the descriptor, or RD_E_IO. */
static int lock(const char *path, struct rd_err *err)
{
	char lp[4096];
	int fd;

	if ((size_t)snprintf(lp, sizeof(lp), "%s.lock", path) >= sizeof(lp))
		return rd_err_set(err, RD_E_INVAL, "state path is too long");
	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return rd_err_sys(err, errno, "cannot open '%s'", lp);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			rd_err_sys(err, errno, "cannot lock '%s'", lp);
			close(fd);
			return RD_E_IO;
		}
	return fd;
}

int brkfile_commit(const char *path, struct breaker *eval, int healthy,
		   int64_t now_ms, int *verdict, struct rd_err *err)
{
	struct breaker cur;
	struct buf out;
	int fd, ret;

	breaker_init(&cur, eval->open_after, eval->close_after, eval->cooldown_ms);
	buf_init(&out);
	if ((fd = lock(path, err)) < 0) {
		ret = fd;
		goto out;
	}
	/* What other runs wrote while this one probed wins over what it
	 * read before; only its own samples are newer. */
	if ((ret = brkfile_load(path, &cur, err)) < 0)
		goto out;
	breaker_sample_prune(&cur, eval, now_ms);
	for (size_t i = 0; i < eval->nsamples; i++)
		if (eval->samples[i].at_ms == now_ms)
			breaker_sample_put(&cur, eval->samples[i].key,
					   eval->samples[i].value, eval->samples[i].at_ms);
	*verdict = breaker_step(&cur, healthy, now_ms);
	breaker_to_json(&cur, &out);
	if ((ret = afile_write(path, out.data, out.len, err)) < 0)
		goto out;
	breaker_release(eval);
	*eval = cur;
	breaker_init(&cur, eval->open_after, eval->close_after, eval->cooldown_ms);
	ret = 0;
out:
	if (fd >= 0)
		close(fd); /* releases the lock */
	breaker_release(&cur);
	buf_release(&out);
	return ret;
}
