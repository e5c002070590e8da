/*
 * sdir.c - the directory spool backend: a segmented, append-only log of
 * gzip members.
 *
 * Layout (see redrive-spool(5)):
 *   LOCK                         writers serialise on flock(LOCK_EX)
 *   00000000000000000001.ndjson.gz  segment: concatenated gzip members
 *   00000000000000000001.idx        its side index (idx.h)
 *   replay.lock, replay.ckpt     replay's claim and state (sdir_state.c)
 *
 * Invariants:
 *  - Committed bytes are never rewritten.  Each batch is one gzip member
 *    written with one pwrite at the end of the current segment, under the
 *    lock; a short write is truncated back before the lock is released.
 *  - Under the lock, a writer first re-resolves the current segment (a
 *    roll by another writer is seen through the existence of the next
 *    number) and checks that the segment ends where its index says.  If
 *    not, the previous writer died mid-batch: complete members past the
 *    index are re-indexed and anything else is cut and reported.  The cost
 *    is bounded by the unindexed tail, never by the segment size.
 *  - Creating a file or a segment is followed by an fsync of the directory.
 *  - Files are 0600 and opened O_NOFOLLOW: a symlink planted in the spool
 *    is refused, never followed.
 *
 * Reading is in sdir_read.c; sdir.h holds what the two files share.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "gzm.h"
#include "idx.h"
#include "rec.h"
#include "sdir.h"
#include "xalloc.h"
#include "clk.h"
#include "sysio.h"
#include "banned.h"

static uint64_t mono_ms(void)
{
	return (uint64_t)(clk_mono_ns() / 1000000);
}

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
	snprintf(where, sizeof(where), "%s/%s", d->path, file);
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

static int open_file(struct sdir *d, const char *name, int flags,
		     struct rd_err *err)
{
	int fd = openat(d->dirfd, name, flags | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return rd_err_sys(err, errno, "cannot open '%s/%s'", d->path,
				  name);
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

static int sdir_open(const char *where, const struct spool_opts *o,
		     void **impl, struct rd_err *err)
{
	struct sdir *d = xcalloc(1, sizeof(*d));
	struct stat st;
	int ret = 0;

	d->path = xstrdup(where);
	d->o = *o;
	d->dirfd = d->lockfd = d->claimfd = d->segfd = d->idxfd = -1;
	gzm_writer_init(&d->gw, o->level);
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
	d->last_sync_ms = mono_ms();
out:
	if (ret < 0) {
		sdir_backend.close(d);
		return ret;
	}
	*impl = d;
	return 0;
}

static void close_seg(struct sdir *d)
{
	if (d->segfd >= 0)
		close(d->segfd);
	if (d->idxfd >= 0)
		close(d->idxfd);
	d->segfd = d->idxfd = -1;
	gzm_reader_drop(&d->gr);
}

static void sdir_close(void *impl)
{
	struct sdir *d = impl;

	if (!d)
		return;
	close_seg(d);
	sdir_unclaim(d);
	if (d->lockfd >= 0)
		close(d->lockfd);
	if (d->dirfd >= 0)
		close(d->dirfd);
	gzm_writer_release(&d->gw);
	gzm_reader_release(&d->gr);
	buf_release(&d->member);
	buf_release(&d->scratch);
	free(d->path);
	free(d);
}

/* Open segment `seg` and its index for append, creating both if asked. */
static int open_seg(struct sdir *d, uint64_t seg, int create, struct rd_err *err)
{
	char sname[64], iname[64];
	uint64_t n;
	int ret, fl = O_RDWR | (create ? O_CREAT | O_EXCL : 0);

	close_seg(d);
	sdir_seg_name(sname, sizeof(sname), seg, SEG_SUFFIX);
	sdir_seg_name(iname, sizeof(iname), seg, IDX_SUFFIX);
	if ((d->segfd = open_file(d, sname, fl, err)) < 0)
		return d->segfd;
	/* The index may be missing (lost or removed): rebuild it. */
	d->idxfd = open_file(d, iname, O_RDWR | O_CREAT, err);
	if (d->idxfd < 0)
		return d->idxfd;
	if ((ret = idx_count(d->idxfd, &n, err)) == RD_E_CORRUPT) {
		/* A bad header: start the index over; the tail check will
		 * re-index the segment from its members. */
		if (ftruncate(d->idxfd, 0) < 0)
			return rd_err_sys(err, errno, "truncate '%s'", iname);
		sdir_notify(d, SPOOL_NOTICE_REINDEX, iname, 0, 0, 0,
		       "index header damaged; rebuilding");
		ret = 0;
	}
	if (ret < 0)
		return ret;
	if (lseek(d->idxfd, 0, SEEK_END) == 0 &&
	    (ret = idx_create(d->idxfd, err)) < 0)
		return ret;
	if (create && (ret = sdir_fsync_dir(d, err)) < 0)
		return ret;
	d->seg = seg;
	return 0;
}

/* Under the lock: make d->seg the newest segment, creating the first. */
static int resolve_current(struct sdir *d, struct rd_err *err)
{
	char name[64];
	struct stat st;
	int ret;

	if (d->seg == 0) {
		uint64_t *v = NULL, bytes = 0;
		size_t n = 0;

		if ((ret = sdir_list_segs(d, &v, &n, &bytes, err)) < 0)
			return ret;
		d->used = bytes;
		ret = n ? open_seg(d, v[n - 1], 0, err) : open_seg(d, 1, 1, err);
		free(v);
		return ret;
	}
	/* Another writer may have rolled since our last batch. */
	for (;;) {
		sdir_seg_name(name, sizeof(name), d->seg + 1, SEG_SUFFIX);
		if (fstatat(d->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				return 0;
			return rd_err_sys(err, errno, "stat '%s'", name);
		}
		if ((ret = open_seg(d, d->seg + 1, 0, err)) < 0)
			return ret;
	}
}

void sdir_first_id(const char *data, size_t len, char out[REC_ID_LEN + 1])
{
	const char *p = memmem(data, len < 64 ? len : 64, "\"id\":\"", 6);

	out[0] = '\0';
	if (p && (size_t)(p + 6 + REC_ID_LEN - data) <= len &&
	    rec_id_valid(p + 6, REC_ID_LEN)) {
		memcpy(out, p + 6, REC_ID_LEN);
		out[REC_ID_LEN] = '\0';
	}
}

static uint32_t count_lines(const char *p, size_t n)
{
	uint32_t c = 0;
	const char *e = p + n;

	while (p < e && (p = memchr(p, '\n', (size_t)(e - p)))) {
		c++;
		p++;
	}
	return c;
}

/*
 * Under the lock: make the segment end exactly where its index ends.
 * Index entries past the end of the data are dropped; complete members
 * past the last entry are indexed; the first bad byte after that starts a
 * torn tail, which is cut.  *end receives the resulting segment size.
 */
static int check_tail(struct sdir *d, uint64_t *end, uint64_t *nent,
		      struct rd_err *err)
{
	struct stat st;
	struct idx_entry e;
	uint64_t n, off = 0, size;
	char sname[64], iname[64];
	int ret;

	sdir_seg_name(sname, sizeof(sname), d->seg, SEG_SUFFIX);
	sdir_seg_name(iname, sizeof(iname), d->seg, IDX_SUFFIX);
	if (fstat(d->segfd, &st) < 0)
		return rd_err_sys(err, errno, "stat '%s'", sname);
	size = (uint64_t)st.st_size;
	if ((ret = idx_count(d->idxfd, &n, err)) < 0)
		return ret;
	while (n > 0) {
		ret = idx_read(d->idxfd, n - 1, &e, err);
		if (ret == RD_E_CORRUPT || (ret == 0 && e.off + e.len > size)) {
			/* A torn entry, or one describing data that never
			 * reached the disk. */
			if ((ret = idx_truncate(d->idxfd, n - 1, err)) < 0)
				return ret;
			sdir_notify(d, SPOOL_NOTICE_REINDEX, iname,
			       IDX_HEADER_SIZE + (n - 1) * IDX_ENTRY_SIZE,
			       IDX_ENTRY_SIZE, 0,
			       "dropped an index entry with no data behind it");
			n--;
			continue;
		}
		if (ret < 0)
			return ret;
		off = e.off + e.len;
		break;
	}
	if (off == size) {
		*end = size;
		*nent = n;
		return 0;
	}
	/* The segment is longer than its index: walk the unindexed tail. */
	gzm_reader_drop(&d->gr);
	while (off < size) {
		off_t len = 0;
		int st2;

		buf_reset(&d->scratch);
		st2 = gzm_read(&d->gr, d->segfd, (off_t)off, (off_t)size,
			       &d->scratch, d->o.max_member_bytes, &len, err);
		if (st2 < 0)
			return st2;
		if (st2 != GZM_OK) {
			char why[sizeof(err->msg)];

			snprintf(why, sizeof(why), "%s", err ? err->msg : "damaged");
			if (ftruncate(d->segfd, (off_t)off) < 0)
				return rd_err_sys(err, errno, "truncate '%s'", sname);
			if (sysio_fdatasync(d->segfd) < 0)
				return rd_err_sys(err, errno, "fsync '%s'", sname);
			sdir_notify(d, SPOOL_NOTICE_CUT, sname, off, size - off, -1,
			       why);
			size = off;
			break;
		}
		e.off = off;
		e.len = (uint32_t)len;
		e.count = count_lines(d->scratch.data, d->scratch.len);
		sdir_first_id(d->scratch.data, d->scratch.len, e.first_id);
		if ((ret = idx_write(d->idxfd, n, &e, err)) < 0)
			return ret;
		sdir_notify(d, SPOOL_NOTICE_REINDEX, sname, off, (uint64_t)len,
		       e.count, "indexed a complete member the last writer left unindexed");
		n++;
		off += (uint64_t)len;
	}
	gzm_reader_drop(&d->gr);
	*end = size;
	*nent = n;
	return 0;
}

int sdir_lock_fd(struct sdir *d, struct rd_err *err)
{
	if (d->lockfd < 0) {
		d->lockfd = openat(d->dirfd, "LOCK",
				   O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (d->lockfd < 0)
			return rd_err_sys(err, errno, "cannot open '%s/LOCK'",
					  d->path);
	}
	return d->lockfd;
}

static int lock_spool(struct sdir *d, struct rd_err *err)
{
	int ret;

	if ((ret = sdir_lock_fd(d, err)) < 0)
		return ret;
	while (flock(d->lockfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return rd_err_sys(err, errno, "cannot lock '%s/LOCK'",
					  d->path);
	return 0;
}

static int do_sync(struct sdir *d, struct rd_err *err)
{
	if (d->segfd >= 0 && sysio_fdatasync(d->segfd) < 0)
		return rd_err_sys(err, errno, "fsync '%s' segment %llu", d->path,
				  (unsigned long long)d->seg);
	d->unsynced = 0;
	d->last_sync_ms = mono_ms();
	return 0;
}

static int sdir_append(void *impl, const struct spool_batch *b,
		       struct rd_err *err)
{
	struct sdir *d = impl;
	struct idx_entry e;
	uint64_t end = 0, nent = 0;
	char sname[64];
	ssize_t k;
	int ret, durable = 0;

	buf_reset(&d->member);
	if ((ret = gzm_build(&d->gw, &d->member, b->data, b->len, err)) < 0)
		return ret;
	if ((ret = lock_spool(d, err)) < 0)
		return ret;
	if ((ret = resolve_current(d, err)) < 0 ||
	    (ret = check_tail(d, &end, &nent, err)) < 0)
		goto out;
	if (end > 0 && end + d->member.len > d->o.segment_bytes) {
		if ((ret = open_seg(d, d->seg + 1, 1, err)) < 0)
			goto out;
		end = nent = 0;
		if (d->o.max_bytes) {
			uint64_t *v = NULL;
			size_t n;

			if ((ret = sdir_list_segs(d, &v, &n, &d->used, err)) < 0)
				goto out;
			free(v);
		}
	}
	if (d->o.max_bytes && d->used + d->member.len > d->o.max_bytes) {
		if (d->member.len > d->o.max_bytes)
			ret = rd_err_set(err, RD_E_FULL,
					 "spool '%s' is full even when empty for this batch: it needs %zu bytes, over the whole cap of %llu (--max-spool-size)",
					 d->path, d->member.len,
					 (unsigned long long)d->o.max_bytes);
		else
			ret = rd_err_set(err, RD_E_FULL,
					 "spool '%s' is full: %llu of %llu bytes used, and this batch needs %zu more (--max-spool-size)",
					 d->path, (unsigned long long)d->used,
					 (unsigned long long)d->o.max_bytes, d->member.len);
		goto out;
	}
	sdir_seg_name(sname, sizeof(sname), d->seg, SEG_SUFFIX);
	/* One write per member.  Anything short is taken back. */
	k = sysio_pwrite(d->segfd, d->member.data, d->member.len, (off_t)end);
	if (k != (ssize_t)d->member.len) {
		int e2 = k < 0 ? errno : ENOSPC;

		/* A short write hides its cause (ENOSPC, EFBIG, EIO); one
		 * write of the rest reveals it.  The batch fails either way. */
		if (k >= 0 && sysio_pwrite(d->segfd, d->member.data + k,
				     d->member.len - (size_t)k,
				     (off_t)end + k) < 0)
			e2 = errno;

		ret = rd_err_sys(err, e2, "write '%s/%s'", d->path, sname);
		if (ftruncate(d->segfd, (off_t)end) < 0)
			rd_err_sys(err, e2, "write '%s/%s' (and could not truncate back)",
				   d->path, sname);
		goto out;
	}
	d->unsynced = 1;
	if (d->o.fsync == SPOOL_FSYNC_ALWAYS || d->o.fsync == SPOOL_FSYNC_BATCH) {
		if ((ret = do_sync(d, err)) < 0) {
			/* Final for this batch: take it back, never retry. */
			if (ftruncate(d->segfd, (off_t)end) < 0)
				goto out;
			goto out;
		}
		durable = 1;
	}
	e.off = end;
	e.len = (uint32_t)d->member.len;
	e.count = b->count;
	memcpy(e.first_id, b->first_id ? b->first_id : "", REC_ID_LEN);
	e.first_id[REC_ID_LEN] = '\0';
	if ((ret = idx_write(d->idxfd, nent, &e, err)) < 0) {
		if (ftruncate(d->segfd, (off_t)end) < 0)
			goto out;
		goto out;
	}
	d->used += d->member.len;
	if (d->o.fsync == SPOOL_FSYNC_NEVER)
		durable = 1;
	else if (d->o.fsync == SPOOL_FSYNC_INTERVAL &&
		 mono_ms() - d->last_sync_ms >= d->o.fsync_interval_ms) {
		if ((ret = do_sync(d, err)) < 0)
			goto out;
		durable = 1;
	}
	ret = durable;
out:
	flock(d->lockfd, LOCK_UN);
	return ret;
}

static int sdir_sync(void *impl, struct rd_err *err)
{
	struct sdir *d = impl;

	if (!d->unsynced || d->o.fsync == SPOOL_FSYNC_NEVER)
		return 0;
	return do_sync(d, err);
}

static int64_t sdir_sync_due_ms(const void *impl)
{
	const struct sdir *d = impl;
	uint64_t now, due;

	if (d->o.fsync != SPOOL_FSYNC_INTERVAL || !d->unsynced)
		return -1;
	now = mono_ms();
	due = d->last_sync_ms + d->o.fsync_interval_ms;
	return now >= due ? 0 : (int64_t)(due - now);
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
	.claim = sdir_claim,
	.verify = sdir_verify,
	.state_read = sdir_state_read,
	.state_write = sdir_state_write,
	.usage = sdir_usage,
};
