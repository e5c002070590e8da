/*
 * sdir_state.c - claims and state files of the directory spool.
 *
 * A claim is flock(LOCK_EX | LOCK_NB) on "<role>.lock", held until the
 * spool is closed (or the process dies: the kernel drops it, so a kill -9
 * never leaves a stale claim).  It is separate from LOCK, which writers
 * take per batch, so a claimed spool still accepts captures.  State files
 * are replaced whole through afile, so a crash leaves the old or the new
 * content, never a mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "afile.h"
#include "sdir.h"
#include "banned.h"

static int name_ok(const char *name)
{
	if (!*name || name[0] == '.' || strlen(name) > 48)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

int sdir_claim(void *impl, const char *role, struct rd_err *err)
{
	struct sdir *d = impl;
	char name[64];

	if (!name_ok(role))
		return rd_err_set(err, RD_E_INVAL, "bad claim name '%s'", role);
	if (d->claimfd >= 0)
		return 0;
	snprintf(name, sizeof(name), "%s.lock", role);
	d->claimfd = openat(d->dirfd, name,
			    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->claimfd < 0)
		return rd_err_sys(err, errno, "cannot open '%s/%s'", d->path, name);
	while (flock(d->claimfd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		close(d->claimfd);
		d->claimfd = -1;
		if (e == EWOULDBLOCK)
			return rd_err_set(err, RD_E_LOCKED,
					  "'%s/%s' is held by another process",
					  d->path, name);
		return rd_err_sys(err, e, "cannot lock '%s/%s'", d->path, name);
	}
	return 0;
}

int sdir_state_read(void *impl, const char *name, struct buf *out,
		    size_t max, struct rd_err *err)
{
	struct sdir *d = impl;
	int fd, ret;

	if (!name_ok(name))
		return rd_err_set(err, RD_E_INVAL, "bad state file name '%s'", name);
	fd = openat(d->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return rd_err_sys(err, errno, "cannot open '%s/%s'", d->path, name);
	}
	ret = buf_read_fd(out, fd, max, err);
	close(fd);
	return ret < 0 ? ret : 1;
}

int sdir_state_write(void *impl, const char *name, const struct iovec *iov,
		     int iovcnt, struct rd_err *err)
{
	struct sdir *d = impl;

	if (!name_ok(name))
		return rd_err_set(err, RD_E_INVAL, "bad state file name '%s'", name);
	return afile_write_at(d->dirfd, d->path, name, iov, iovcnt, err);
}
