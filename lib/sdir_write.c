/*
 * sdir_write.c - appending to the directory spool: members, the commit
 * rule, repair of what a dead writer left, rolls and the size cap.
 *
 * A batch is cut into members of about SPOOL_MEMBER_BYTES of whole lines
 * (one damaged byte then costs one member, not the batch), written with a
 * single pwrite at the end of the current segment under the writers'
 * lock.  The batch is committed by its index entries, written with one
 * more pwrite only once the --fsync policy is met:
 *   always, batch  fdatasync of the segment, then the entries; then the
 *                  lock is released and the batch may be acknowledged;
 *   interval       the entries wait, with the lock held, until the sync
 *                  (spool_sync, or an append once the interval is due):
 *                  other writers wait meanwhile, readers do not see them;
 *   never          the entries at once, with no data sync.
 * Readers serve the newest segment only up to its last index entry, so a
 * batch taken back after a failed write, sync or index write was never
 * seen.  A roll first commits (and so syncs) what waits in the old
 * segment; a new segment is fsynced into its directory before a member
 * goes into it.  The index itself is never synced: it is a hint, and a
 * reader or writer rebuilds lost entries from the members.
 *
 * Each member's index entry is named by the id of its first line, which
 * the writer hands over with the lines (spool_append_ids): the bytes of a
 * record are never parsed here.  Only members nobody handed over (what a
 * dead writer left, or a later member of a plain spool_append) are named
 * by reading their first line back (sdir_first_id).
 *
 * Under the lock a writer first re-resolves the current segment (a roll
 * by another writer shows as the next number existing) and checks that
 * the segment ends where its index says.  If not, a writer died
 * mid-batch: complete members past the index are indexed, and the first
 * byte that does not start one begins a torn tail, which is cut and
 * reported.  The cost is bounded by the unindexed tail, never by the
 * segment size.
 *
 * The cap (--max-spool-size) is checked under the lock before each
 * append against what is on disk: the other segments, measured when the
 * current one changes (or when the cap seems reached, to see deletions),
 * plus the current segment as this writer just checked it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clk.h"
#include "idx.h"
#include "sdir.h"
#include "sysio.h"
#include "xalloc.h"
#include "banned.h"

static uint64_t mono_ms(void)
{
	return (uint64_t)(clk_mono_ns() / 1000000);
}

uint32_t sdir_count_lines(const char *p, size_t n)
{
	uint32_t c = 0;
	const char *e = p + n;

	while (p < e && (p = memchr(p, '\n', (size_t)(e - p)))) {
		c++;
		p++;
	}
	return c;
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

/* Open segment `seg` and its index for append, creating both if asked. */
static int open_seg(struct sdir *d, uint64_t seg, int create, struct rd_err *err)
{
	char sname[64], iname[64];
	uint64_t n;
	int ret, made = 0, fl = O_RDWR | (create ? O_CREAT | O_EXCL : 0);

	close_seg(d);
	d->sealed_ok = 0;
	sdir_seg_name(sname, sizeof(sname), seg, SEG_SUFFIX);
	sdir_seg_name(iname, sizeof(iname), seg, IDX_SUFFIX);
	if ((d->segfd = sdir_open_file(d, sname, fl, err)) < 0)
		return d->segfd;
	/* The index may be missing (lost or removed): rebuild it. */
	d->idxfd = sdir_open_file(d, iname, O_RDWR | O_CREAT, err);
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
	if (lseek(d->idxfd, 0, SEEK_END) == 0) {
		if ((ret = idx_create(d->idxfd, err)) < 0)
			return ret;
		made = 1;
	}
	if ((create || made) && (ret = sdir_fsync_dir(d, err)) < 0)
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

	/* A current segment deleted by hand is not appended to: what went
	 * into the unlinked file would be acknowledged and lost. */
	if (d->seg && (fstat(d->segfd, &st) < 0 || st.st_nlink == 0)) {
		close_seg(d);
		d->seg = 0;
	}
	if (d->seg == 0) {
		uint64_t *v = NULL;
		size_t n = 0;

		if ((ret = sdir_list_segs(d, &v, &n, NULL, err)) < 0)
			return ret;
		ret = n ? open_seg(d, v[n - 1], 0, err) : open_seg(d, 1, 1, err);
		free(v);
		if (ret < 0)
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

/* Drop index entries that describe no data (torn, or past the end). */
static int drop_dead_entries(struct sdir *d, uint64_t size, uint64_t *n,
			     uint64_t *off, struct rd_err *err)
{
	char iname[64];
	struct idx_entry e;
	int ret;

	sdir_seg_name(iname, sizeof(iname), d->seg, IDX_SUFFIX);
	*off = 0;
	while (*n > 0) {
		ret = idx_read(d->idxfd, *n - 1, &e, err);
		if (ret == RD_E_CORRUPT || (ret == 0 && e.off + e.len > size)) {
			if ((ret = idx_truncate(d->idxfd, *n - 1, err)) < 0)
				return ret;
			sdir_notify(d, SPOOL_NOTICE_REINDEX, iname,
			       IDX_HEADER_SIZE + (*n - 1) * IDX_ENTRY_SIZE,
			       IDX_ENTRY_SIZE, 0,
			       "dropped an index entry with no data behind it");
			(*n)--;
			continue;
		}
		if (ret < 0)
			return ret;
		*off = e.off + e.len;
		break;
	}
	return 0;
}

/*
 * Under the lock: make the segment end where its index ends.  Index
 * entries past the data are dropped; complete members past the last entry
 * are indexed; with cut, the first bad byte after that starts a torn
 * tail, which is cut (a reader only stops there).  Sets d->end,
 * d->committed and d->nent.
 */
static int check_tail(struct sdir *d, int cut, struct rd_err *err)
{
	struct stat st;
	struct idx_entry e;
	uint64_t n, off, size, from, count = 0;
	char sname[64];
	int ret;

	sdir_seg_name(sname, sizeof(sname), d->seg, SEG_SUFFIX);
	if (fstat(d->segfd, &st) < 0)
		return rd_err_sys(err, errno, "stat '%s'", sname);
	size = (uint64_t)st.st_size;
	if ((ret = idx_count(d->idxfd, &n, err)) < 0 ||
	    (ret = drop_dead_entries(d, size, &n, &off, err)) < 0)
		return ret;
	from = off;
	gzm_reader_drop(&d->gr);
	while (off < size) {
		off_t len = 0;
		int st2;

		buf_reset(&d->scratch);
		st2 = gzm_read(&d->gr, d->segfd, (off_t)off, (off_t)size,
			       &d->scratch, d->o.dir.max_member_bytes, &len, err);
		if (st2 < 0)
			return st2;
		if (st2 != GZM_OK) {
			char why[sizeof(err->msg)];

			if (!cut)
				break;
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
		e.count = sdir_count_lines(d->scratch.data, d->scratch.len);
		sdir_first_id(d->scratch.data, d->scratch.len, e.first_id);
		if ((ret = idx_write(d->idxfd, n, &e, err)) < 0)
			return ret;
		count += e.count;
		n++;
		off += (uint64_t)len;
	}
	if (off > from)
		sdir_notify(d, SPOOL_NOTICE_REINDEX, sname, from, off - from,
			    (int64_t)count,
			    "indexed complete members a writer that died left unindexed");
	gzm_reader_drop(&d->gr);
	d->end = d->committed = off < size ? off : size;
	d->nent = n;
	return 0;
}

static void release(struct sdir *d)
{
	sdir_unlock(d);
	d->locked = 0;
}

/* Take back everything written but not committed (nothing of it was
 * acknowledged or seen).  A failure to do so is added to err. */
static void discard(struct sdir *d, struct rd_err *err)
{
	if (!d->locked || d->segfd < 0)
		return;
	/* Also after a short write, whose bytes lie past d->end. */
	if (ftruncate(d->segfd, (off_t)d->committed) < 0 && err) {
		size_t k = strlen(err->msg);
		char tmp[64];

		snprintf(err->msg + k, sizeof(err->msg) - k,
			 " (and could not take the batch back: %s)",
			 strerror_r(errno, tmp, sizeof(tmp)));
	}
	d->end = d->committed;
	d->npend = 0;
}

/* Make what waits durable (per the policy), then index it: the commit. */
static int commit(struct sdir *d, struct rd_err *err)
{
	char sname[64];
	int ret;

	if (!d->npend)
		return 0;
	if (d->o.fsync != SPOOL_FSYNC_NEVER && sysio_fdatasync(d->segfd) < 0) {
		sdir_seg_name(sname, sizeof(sname), d->seg, SEG_SUFFIX);
		/* Final: taken back, never retried until it "succeeds". */
		ret = rd_err_sys(err, errno, "fsync '%s/%s'", d->path, sname);
		discard(d, err);
		return ret;
	}
	if ((ret = idx_write_n(d->idxfd, d->nent, d->pend, d->npend, err)) < 0) {
		discard(d, err);
		return ret;
	}
	d->nent += d->npend;
	d->npend = 0;
	d->committed = d->end;
	d->last_sync_ms = mono_ms();
	return 0;
}

/* Where the next member of a batch ends: at the last newline within
 * SPOOL_MEMBER_BYTES, or after one longer line. */
static size_t member_cut(const char *p, size_t n)
{
	const char *nl;

	if (n <= SPOOL_MEMBER_BYTES)
		return n;
	nl = memrchr(p, '\n', SPOOL_MEMBER_BYTES);
	if (nl)
		return (size_t)(nl - p) + 1;
	nl = memchr(p + SPOOL_MEMBER_BYTES, '\n', n - SPOOL_MEMBER_BYTES);
	return nl ? (size_t)(nl - p) + 1 : n;
}

static struct idx_entry *pend_slot(struct sdir *d)
{
	if (d->npend == d->pend_cap) {
		d->pend_cap = d->pend_cap ? d->pend_cap * 2 : 64;
		d->pend = xrealloc(d->pend, d->pend_cap * sizeof(*d->pend));
	}
	return &d->pend[d->npend++];
}

/*
 * The id that names a member beginning at line `line` of batch b (p: that
 * line), for its index entry: handed over by the writer, who knows its
 * records.  Only a caller of plain spool_append (ids NULL) leaves the id
 * of a member after the first to be read back from its line.
 */
static void member_id(const struct spool_batch *b, const char *ids,
		      uint32_t line, const char *p, size_t n,
		      char out[REC_ID_LEN + 1])
{
	const char *id = NULL;

	if (ids && line < b->count)
		id = ids + (size_t)line * REC_ID_LEN;
	else if (line == 0 && b->first_id)
		id = b->first_id;
	if (!id) {
		sdir_first_id(p, n, out);
		return;
	}
	out[0] = '\0';
	if (rec_id_valid(id, REC_ID_LEN)) {
		memcpy(out, id, REC_ID_LEN);
		out[REC_ID_LEN] = '\0';
	}
}

/* Compress the batch into members in d->member; their entries are added
 * to pend with offsets relative to the batch (write_batch moves them). */
static int build_members(struct sdir *d, const struct spool_batch *b,
			 const char *ids, struct rd_err *err)
{
	const char *p = b->data, *e = b->data + b->len;
	uint32_t line = 0;
	int ret;

	buf_reset(&d->member);
	while (p < e) {
		size_t n = member_cut(p, (size_t)(e - p)), off0 = d->member.len;
		struct idx_entry *ent;

		/* A line never spans members, so a record longer than what
		 * readers inflate is refused here rather than stored unread. */
		if (n - 1 > SPOOL_RECORD_MAX || n > d->o.dir.max_member_bytes)
			return rd_err_set(err, RD_E_FULL,
					  "a record of %zu bytes is over the %zu-byte limit of a spool record",
					  n - 1, (size_t)(SPOOL_RECORD_MAX <
					  d->o.dir.max_member_bytes ? SPOOL_RECORD_MAX :
					  d->o.dir.max_member_bytes - 1));
		if ((ret = gzm_build(&d->gw, &d->member, p, n, err)) < 0)
			return ret;
		ent = pend_slot(d);
		ent->off = off0;
		ent->len = (uint32_t)(d->member.len - off0);
		ent->count = sdir_count_lines(p, n);
		member_id(b, ids, line, p, n, ent->first_id);
		line += ent->count;
		p += n;
	}
	return 0;
}

/* Under the lock: one write of the batch's members at the end. */
static int write_batch(struct sdir *d, size_t first, struct rd_err *err)
{
	char sname[64];
	ssize_t k;

	sdir_seg_name(sname, sizeof(sname), d->seg, SEG_SUFFIX);
	k = sysio_pwrite(d->segfd, d->member.data, d->member.len, (off_t)d->end);
	if (k != (ssize_t)d->member.len) {
		int e2 = k < 0 ? errno : ENOSPC;

		/* A short write hides its cause (ENOSPC, EFBIG, EIO); one
		 * write of the rest reveals it.  The batch fails either way. */
		if (k >= 0 && sysio_pwrite(d->segfd, d->member.data + k,
				     d->member.len - (size_t)k,
				     (off_t)d->end + k) < 0)
			e2 = errno;
		return rd_err_sys(err, e2, "write '%s/%s'", d->path, sname);
	}
	for (size_t i = first; i < d->npend; i++)
		d->pend[i].off += d->end;
	d->end += d->member.len;
	return 0;
}

/* The bytes of every segment but the current one, and their indexes. */
static int measure_sealed(struct sdir *d, struct rd_err *err)
{
	struct stat s1, s2;
	uint64_t *v = NULL, total = 0, cur;
	size_t n;
	int ret = sdir_list_segs(d, &v, &n, &total, err);

	free(v);
	if (ret < 0)
		return ret;
	if (fstat(d->segfd, &s1) < 0 || fstat(d->idxfd, &s2) < 0)
		return rd_err_sys(err, errno, "stat '%s'", d->path);
	cur = (uint64_t)s1.st_size + (uint64_t)s2.st_size;
	d->sealed = total > cur ? total - cur : 0;
	d->sealed_ok = 1;
	return 0;
}

/* Under the lock: refuse the batch when it would take the spool past
 * --max-spool-size.  need: its members and index entries. */
static int check_cap(struct sdir *d, uint64_t need, struct rd_err *err)
{
	uint64_t used = 0, max = d->o.max_bytes;
	int ret;

	if (!max)
		return 0;
	for (int fresh = 0; fresh < 2; fresh++) {
		/* A stale figure only overestimates (segments are deleted,
		 * never grown, by anyone else): measure again before saying
		 * no. */
		if ((fresh || !d->sealed_ok) && (ret = measure_sealed(d, err)) < 0)
			return ret;
		used = d->sealed + d->end + IDX_HEADER_SIZE +
		       (d->nent + d->npend) * IDX_ENTRY_SIZE;
		if (used + need <= max)
			return 0;
	}
	if (need > max)
		return rd_err_set(err, RD_E_FULL,
				  "spool '%s' is full even when empty for this batch: it needs %llu bytes, over the whole cap of %llu (--max-spool-size)",
				  d->path, (unsigned long long)need,
				  (unsigned long long)max);
	return rd_err_set(err, RD_E_FULL,
			  "spool '%s' is full: %llu of %llu bytes used, and this batch needs %llu more (--max-spool-size)",
			  d->path, (unsigned long long)used,
			  (unsigned long long)max, (unsigned long long)need);
}

/* Under the lock: roll when the batch does not fit, then check the cap.
 * The batch's own entries are pend[first..]. */
static int make_room(struct sdir *d, size_t first, struct rd_err *err)
{
	size_t nb = d->npend - first;
	int ret;

	if (d->end > 0 && d->end + d->member.len > d->o.dir.segment_bytes) {
		/* What waits in this segment is committed (synced) before
		 * it is left behind.  The batch's own entries, not written
		 * yet, stay past the ones committed. */
		d->npend = first;
		if ((ret = commit(d, err)) < 0)
			return ret;
		/* The old segment joins the sealed ones, as it is. */
		{
			uint64_t sealed = d->sealed + d->end + IDX_HEADER_SIZE +
					  d->nent * IDX_ENTRY_SIZE;
			int known = d->sealed_ok;

			if ((ret = open_seg(d, d->seg + 1, 1, err)) < 0)
				return ret;
			d->sealed = sealed;
			d->sealed_ok = known;
		}
		d->end = d->committed = d->nent = 0;
		memmove(d->pend, d->pend + first, nb * sizeof(*d->pend));
		d->npend = nb;
	}
	return check_cap(d, d->member.len + nb * IDX_ENTRY_SIZE, err);
}

/* Lock, find the current segment and check its tail, unless this handle
 * holds the lock already (batches waiting for the interval sync). */
static int take_lock(struct sdir *d, struct rd_err *err)
{
	int ret;

	if (d->locked)
		return 0;
	if ((ret = sdir_follow(d, err)) < 0)
		return ret;
	if (ret == 1) {         /* nothing of the old directory holds */
		close_seg(d);
		d->seg = 0;
		d->sealed_ok = 0;
	}
	if ((ret = sdir_lock(d, LOCK_EX, err)) < 0)
		return ret;
	d->locked = 1;
	if ((ret = resolve_current(d, err)) < 0 ||
	    (ret = check_tail(d, 1, err)) < 0) {
		release(d);
		return ret;
	}
	return 0;
}

int sdir_append(void *impl, const struct spool_batch *b, const char *ids,
		struct rd_err *err)
{
	struct sdir *d = impl;
	size_t first = d->npend;
	int ret;

	if ((ret = build_members(d, b, ids, err)) < 0 ||
	    (ret = take_lock(d, err)) < 0 ||
	    (ret = make_room(d, first, err)) < 0 ||
	    (ret = write_batch(d, first, err)) < 0)
		goto fail;
	if (d->o.fsync == SPOOL_FSYNC_INTERVAL &&
	    mono_ms() - d->last_sync_ms < d->o.fsync_interval_ms)
		return 0;	/* the lock stays: spool_sync commits */
	if ((ret = commit(d, err)) < 0)
		goto fail;
	release(d);
	return 1;
fail:
	/* Nothing that was not acknowledged stays: the caller drops the
	 * acknowledgements of every batch still waiting, too. */
	discard(d, err);
	if (d->locked)
		release(d);
	d->npend = 0;
	return ret;
}

int sdir_seal(void *impl, struct rd_err *err)
{
	struct sdir *d = impl;
	int ret;

	if (d->npend)
		return rd_err_set(err, RD_E_INVAL, "a batch of this handle is not committed");
	if ((ret = take_lock(d, err)) < 0)
		return ret;
	/* what a writer left uncommitted is cut by take_lock, as before any
	 * append: only committed data is sealed */
	if (d->end == 0) {
		release(d);
		return 0;
	}
	ret = open_seg(d, d->seg + 1, 1, err);
	release(d);
	return ret < 0 ? ret : 1;
}

int sdir_sync(void *impl, struct rd_err *err)
{
	struct sdir *d = impl;
	int ret;

	if (!d->locked)
		return 0;	/* every policy but interval commits at once */
	ret = commit(d, err);
	release(d);
	return ret;
}

int64_t sdir_sync_due_ms(const void *impl)
{
	const struct sdir *d = impl;
	uint64_t now, due;

	if (d->o.fsync != SPOOL_FSYNC_INTERVAL || !d->npend)
		return -1;
	now = mono_ms();
	due = d->last_sync_ms + d->o.fsync_interval_ms;
	return now >= due ? 0 : (int64_t)(due - now);
}

void sdir_write_close(struct sdir *d)
{
	/* Not synced means not acknowledged: take it back, so that a
	 * batch the caller reported as not stored is not delivered. */
	discard(d, NULL);
	if (d->locked)
		release(d);
	close_seg(d);
	d->seg = 0;
}

uint64_t sdir_settle(struct sdir *d)
{
	struct rd_err e;
	uint64_t seg = 0;

	/* Our own waiting batches are not a dead writer's. */
	if (d->locked || sdir_lock(d, LOCK_EX | LOCK_NB, &e) < 0)
		return 0;
	d->locked = 1;
	if (resolve_current(d, &e) == 0 && check_tail(d, 0, &e) == 0)
		seg = d->seg;
	release(d);
	return seg;
}
