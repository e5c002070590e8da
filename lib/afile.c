/*
 * afile.c - replace small files atomically and durably (see afile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"
#include "xalloc.h"
#include "sysio.h"
#include "banned.h"

int afile_write_at(int dirfd, const char *dirpath, const char *name,
		   const struct iovec *iov, int iovcnt, struct rd_err *err)
{
	return afile_put_at(dirfd, dirpath, name, iov, iovcnt, 0, err);
}

int afile_put_at(int dirfd, const char *dirpath, const char *name,
		 const struct iovec *iov, int iovcnt, unsigned flags,
		 struct rd_err *err)
{
	char tmp[512];
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp))
		return rd_err_set(err, RD_E_INVAL, "file name '%s' is too long", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
	if (fd < 0)
		return rd_err_sys(err, errno, "cannot create '%s/%s'", dirpath, tmp);
	for (int i = 0; i < iovcnt; i++) {
		const char *p = iov[i].iov_base;
		size_t len = iov[i].iov_len;

		while (len > 0) {
			ssize_t w = write(fd, p, len);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				ret = rd_err_sys(err, errno, "write '%s/%s'", dirpath, tmp);
				goto fail;
			}
			p += w;
			len -= (size_t)w;
		}
	}
	if (!(flags & AFILE_NO_SYNC) && sysio_fsync(fd) < 0) {
		ret = rd_err_sys(err, errno, "fsync '%s/%s'", dirpath, tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		ret = rd_err_sys(err, errno, "close '%s/%s'", dirpath, tmp);
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		ret = rd_err_sys(err, errno, "rename '%s/%s'", dirpath, tmp);
		goto fail;
	}
	if (!(flags & AFILE_NO_SYNC) && sysio_fsync(dirfd) < 0)
		return rd_err_sys(err, errno, "fsync '%s'", dirpath);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return ret;
}

int afile_write(const char *path, const void *data, size_t len,
		struct rd_err *err)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	const char *name = slash ? slash + 1 : path;
	struct iovec iov = { (void *)(uintptr_t)data, len };
	int dfd, ret;

	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		ret = rd_err_sys(err, errno, "cannot open directory '%s'",
				 slash ? dir : ".");
		free(dir);
		return ret;
	}
	ret = afile_write_at(dfd, slash ? dir : ".", name, &iov, 1, err);
	close(dfd);
	free(dir);
	return ret;
}

int afile_read(const char *path, struct buf *out, size_t max,
	       struct rd_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), ret;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return rd_err_sys(err, errno, "cannot open '%s'", path);
	}
	ret = buf_read_fd(out, fd, max, err);
	close(fd);
	return ret < 0 ? ret : 1;
}
