/*
 * sdir.c - the directory spool backend: a segmented, append-only log of
 * gzip members.  This file opens the spool and its files, keeps the
 * writers' lock and the ownership rules; appending is in sdir_write.c,
 * reading in sdir_read.c.
 *
 * Layout (see redrive-spool(5)):
 *   00000000000000000001.ndjson.gz  segment: concatenated gzip members
 *   00000000000000000001.idx        its side index (idx.h)
 *   replay.lock, replay.ckpt     replay's claim and state (sdir_state.c)
 *
 * Invariants:
 *  - Committed bytes are never rewritten.  A batch is written with one
 *    pwrite at the end of the current segment under the writers' lock,
 *    and it is committed by its index entries, written only once the
 *    --fsync policy is met.  Readers serve the newest segment only up to
 *    its last index entry, so they never see a batch that may yet be
 *    taken back (sdir_write.c, sdir_read.c).
 *  - The writers' lock is flock on the spool directory itself: unlike a
 *    lock file, nobody can delete it from under its holder and so let a
 *    second writer in.
 *  - Creating a file or a segment is followed by an fsync of the directory.
 *  - Files are 0600 and opened O_NOFOLLOW: a symlink planted in the spool
 *    is refused, never followed.  Unless the spool is trusted, a directory
 *    or file that another user owns or can write to is refused, as ssh's
 *    StrictModes does: whoever can write there can plant requests.
 */
#include "sdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "gzm.h"
#include "queue_be.h"
#include "spool_be.h"
#include "xalloc.h"
#include "clk.h"
#include "sysio.h"
#include "banned.h"

void sdir_seg_name(char *out, size_t n, uint64_t seg, const char *suffix)
{
	snprintf(out, n, "%0*llu%s", SEG_DIGITS, (unsigned long long)seg, suffix);
}

void sdir_notify(const struct sdir *d, enum spool_notice_kind kind,
		   const char *file, uint64_t off, uint64_t bytes, int64_t lost,
		   const char *reason)
{
	struct spool_notice n;
	char where[PATH_MAX + 64];

	if (!d->o.notice)
		return;
	if (file)
		snprintf(where, sizeof(where), "%s/%s", d->path, file);
	else
		snprintf(where, sizeof(where), "%s", d->path);
	n.kind = kind;
	n.where = where;
	n.offset = off;
	n.bytes = bytes;
	n.lost = lost;
	n.reason = reason;
	d->o.notice(d->o.notice_ctx, &n);
}

/* Parse "<20 digits>.ndjson.gz"; 0 when the name is not a segment. */
static uint64_t seg_number(const char *name)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < SEG_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	return strcmp(name + SEG_DIGITS, SEG_SUFFIX) == 0 ? v : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* All segment numbers in log order.  Caller frees *out. */
int sdir_list_segs(struct sdir *d, uint64_t **out, size_t *n,
		     uint64_t *bytes, struct rd_err *err)
{
	DIR *dir;
	struct dirent *de;
	uint64_t *v = NULL;
	size_t cnt = 0, cap = 0;
	int fd = openat(d->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(dir = fdopendir(fd))) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return rd_err_sys(err, e, "cannot list '%s'", d->path);
	}
	if (bytes)
		*bytes = 0;
	while ((de = readdir(dir))) {
		uint64_t s = seg_number(de->d_name);

		if (bytes && (s || strstr(de->d_name, IDX_SUFFIX))) {
			struct stat st;

			if (fstatat(d->dirfd, de->d_name, &st,
				    AT_SYMLINK_NOFOLLOW) == 0)
				*bytes += (uint64_t)st.st_size;
		}
		if (!s)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[cnt++] = s;
	}
	closedir(dir);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_u64);
	*out = v;
	*n = cnt;
	return 0;
}

int sdir_fsync_dir(struct sdir *d, struct rd_err *err)
{
	if (sysio_fsync(d->dirfd) < 0)
		return rd_err_sys(err, errno, "fsync '%s'", d->path);
	return 0;
}

int sdir_check_owner(const struct sdir *d, const struct stat *st,
		     const char *name, struct rd_err *err)
{
	const char *sep = name ? "/" : "";

	if (d->o.trust)
		return 0;
	/* As ssh's StrictModes: yours or root's, and writable by no one
	 * else.  Root's own files cannot be planted by anyone else. */
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return rd_err_set(err, RD_E_INVAL,
				  "'%s%s%s' belongs to another user (uid %lu), who could plant requests for replay; refused (--trust-spool uses it anyway)",
				  d->path, sep, name ? name : "",
				  (unsigned long)st->st_uid);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return rd_err_set(err, RD_E_INVAL,
				  "'%s%s%s' can be written by other users (mode %04o), who could plant requests for replay; refused (--trust-spool uses it anyway)",
				  d->path, sep, name ? name : "",
				  (unsigned)(st->st_mode & 07777));
	return 0;
}

int sdir_open_file(struct sdir *d, const char *name, int flags,
		   struct rd_err *err)
{
	struct stat st;
	int fd = openat(d->dirfd, name, flags | O_CLOEXEC | O_NOFOLLOW, 0600);
	int ret;

	if (fd < 0)
		return rd_err_sys(err, errno, "cannot open '%s/%s'", d->path,
				  name);
	if (fstat(fd, &st) < 0) {
		ret = rd_err_sys(err, errno, "stat '%s/%s'", d->path, name);
		close(fd);
		return ret;
	}
	if ((ret = sdir_check_owner(d, &st, name, err)) < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

/* mkdir -p with mode 0700, fsyncing the parent of each directory made. */
static int make_dirs(const char *path, struct rd_err *err)
{
	char *p = xstrdup(path), *s;
	int ret = 0;

	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0700) == 0) {
			char *slash = strrchr(p, '/');
			int pfd;

			if (slash && slash != p)
				*slash = '\0';
			pfd = open(slash == p ? "/" : (slash ? p : "."),
				   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (slash && slash != p)
				*slash = '/';
			if (pfd >= 0) {
				if (sysio_fsync(pfd) < 0)
					ret = rd_err_sys(err, errno, "fsync parent of '%s'", p);
				close(pfd);
			}
		} else if (errno != EEXIST) {
			ret = rd_err_sys(err, errno, "cannot create '%s'", p);
		}
		*s = c;
		if (ret < 0 || c == '\0')
			break;
	}
	free(p);
	return ret;
}

int sdir_follow(struct sdir *d, struct rd_err *err)
{
	struct stat held, now;
	int fd, gone, ret;

	if (fstat(d->dirfd, &held) < 0)
		return rd_err_sys(err, errno, "stat '%s'", d->path);
	gone = stat(d->path, &now) < 0;
	if (!gone && now.st_dev == held.st_dev && now.st_ino == held.st_ino)
		return 0;
	if (d->o.create && (ret = make_dirs(d->path, err)) < 0)
		return ret;
	fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ?
			rd_err_set(err, RD_E_IO, "spool '%s' was removed while in use", d->path) :
			rd_err_sys(err, errno, "cannot open spool '%s'", d->path);
	if (fstat(fd, &now) < 0) {
		ret = rd_err_sys(err, errno, "stat '%s'", d->path);
		close(fd);
		return ret;
	}
	if ((ret = sdir_check_owner(d, &now, NULL, err)) < 0) {
		close(fd);
		return ret;
	}
	close(d->dirfd);
	d->dirfd = fd;
	if (d->lockfd >= 0)
		close(d->lockfd);
	d->lockfd = -1;
	sdir_notify(d, SPOOL_NOTICE_MOVED, NULL, 0, 0, 0,
		    gone ? "removed and made again" : "replaced");
	return 1;
}

static void sdir_close(void *impl);

static int sdir_open(const char *where, const struct spool_opts *o,
		     void **impl, struct rd_err *err)
{
	struct sdir *d = xcalloc(1, sizeof(*d));
	struct stat st;
	int ret = 0;

	d->path = xstrdup(where);
	d->o = *o;
	d->dirfd = d->lockfd = d->claimfd = d->segfd = d->idxfd = -1;
	gzm_writer_init(&d->gw, o->dir.level);
	gzm_reader_init(&d->gr);
	buf_init(&d->member);
	buf_init(&d->scratch);
	if (o->create && (ret = make_dirs(where, err)) < 0)
		goto out;
	d->dirfd = open(where, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dirfd < 0) {
		ret = errno == ENOENT ?
			rd_err_set(err, RD_E_INVAL, "spool '%s' does not exist", where) :
			rd_err_sys(err, errno, "cannot open spool '%s'", where);
		goto out;
	}
	if (fstat(d->dirfd, &st) < 0) {
		ret = rd_err_sys(err, errno, "stat '%s'", where);
		goto out;
	}
	if ((ret = sdir_check_owner(d, &st, NULL, err)) < 0)
		goto out;
	d->last_sync_ms = (uint64_t)(clk_mono_ns() / 1000000);
out:
	if (ret < 0) {
		sdir_close(d);
		return ret;
	}
	*impl = d;
	return 0;
}

static void sdir_close(void *impl)
{
	struct sdir *d = impl;

	if (!d)
		return;
	sdir_write_close(d);
	sdir_unclaim(d);
	if (d->lockfd >= 0)
		close(d->lockfd);
	if (d->dirfd >= 0)
		close(d->dirfd);
	gzm_writer_release(&d->gw);
	gzm_reader_release(&d->gr);
	buf_release(&d->member);
	buf_release(&d->scratch);
	free(d->pend);
	free(d->path);
	free(d);
}

int sdir_lock(struct sdir *d, int how, struct rd_err *err)
{
	if (d->lockfd < 0) {
		/* A second open file description of the directory: flock
		 * belongs to it, so the lock is independent of dirfd. */
		d->lockfd = openat(d->dirfd, ".",
				   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d->lockfd < 0)
			return rd_err_sys(err, errno, "cannot open '%s'", d->path);
	}
	while (flock(d->lockfd, how) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return rd_err_set(err, RD_E_LOCKED,
					  "spool '%s' is being written", d->path);
		return rd_err_sys(err, errno, "cannot lock '%s'", d->path);
	}
	return 0;
}

void sdir_unlock(struct sdir *d)
{
	if (d->lockfd >= 0)
		flock(d->lockfd, LOCK_UN);
}

static int sdir_usage(void *impl, uint64_t *bytes, struct rd_err *err)
{
	uint64_t *v = NULL;
	size_t n;
	int ret = sdir_list_segs(impl, &v, &n, bytes, err);

	free(v);
	return ret;
}

const struct spool_backend sdir_backend = {
	.name = "dir",
	.open = sdir_open,
	.close = sdir_close,
	.append = sdir_append,
	.sync = sdir_sync,
	.sync_due_ms = sdir_sync_due_ms,
	.iter_new = sdir_iter_new,
	.iter_next = sdir_iter_next,
	.iter_free = sdir_iter_free,
	.iter_damaged = sdir_iter_damaged,
	.claim = sdir_claim,
	.claim_check = sdir_claim_check,
	.verify = sdir_verify,
	.state_read = sdir_state_read,
	.state_write = sdir_state_write,
	.usage = sdir_usage,
	.mark = sdir_mark,
	.mark_check = sdir_mark_check,
	.rewrite = sdir_rewrite,
	.rewrite_clean = sdir_rewrite_clean,
	.parts = sdir_parts,
	.state_remove = sdir_state_remove,
	.seal = sdir_seal,
	.queue = &queue_fold_ops,
};
