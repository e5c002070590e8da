/*
 * sysio.c - EINTR-safe writes and syncs (see sysio.h).
 */
#include <errno.h>
#include <unistd.h>

#include "sysio.h"
#include "banned.h"

ssize_t sysio_pwrite(int fd, const void *p, size_t n, off_t off)
{
	ssize_t k;

	do
		k = pwrite(fd, p, n, off);
	while (k < 0 && errno == EINTR);
	return k;
}

int sysio_fsync(int fd)
{
	int r;

	do
		r = fsync(fd);
	while (r < 0 && errno == EINTR);
	return r;
}

int sysio_fdatasync(int fd)
{
	int r;

	do
		r = fdatasync(fd);
	while (r < 0 && errno == EINTR);
	return r;
}
