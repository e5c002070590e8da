/*
 * afile.h - small files replaced whole: write a temporary file beside the
 * target, fsync it, rename it over the target, fsync the directory.  A
 * crash leaves the old content or the new, never a mix.  Used for spool
 * state (checkpoints) and rd-health's --state file.
 */
#ifndef AFILE_H
#define AFILE_H

#include <stddef.h>
#include <sys/uio.h>

#include "buf.h"
#include "rd.h"

/* Replace name (relative to dirfd, never following a symlink) with the
 * pieces in iov, mode 0600.  dirpath names the directory in messages. */
int afile_write_at(int dirfd, const char *dirpath, const char *name,
		   const struct iovec *iov, int iovcnt, struct rd_err *err);

/* Flags of afile_put_at. */
enum {
	/* No fsync of the file or the directory: readers still see the old
	 * content or the new, never a mix, but a power loss may keep the
	 * old file, or leave an empty one.  For files that are only a
	 * picture of the moment (a status rewritten every second), where
	 * two fsyncs a second would cost the log's writers. */
	AFILE_NO_SYNC = 1
};

/* afile_write_at with flags. */
int afile_put_at(int dirfd, const char *dirpath, const char *name,
		 const struct iovec *iov, int iovcnt, unsigned flags,
		 struct rd_err *err);

/* The same for a path: its directory is opened for the rename and sync. */
int afile_write(const char *path, const void *data, size_t len,
		struct rd_err *err);

/* Append the content of path to out: 1 when read, 0 when it does not
 * exist, RD_E_FULL past max bytes, RD_E_IO otherwise. */
int afile_read(const char *path, struct buf *out, size_t max,
	       struct rd_err *err);

#endif
