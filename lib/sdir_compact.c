/*
 * sdir_compact.c - rewriting one sealed segment without some of its
 * lines: the directory backend's side of compaction (spool_rewrite).
 *
 * The kept lines are packed into new members, as a writer packs them, in
 * "<seg>.ndjson.gz.compact" with their index in "<seg>.idx.compact"; both
 * are synced, then swapped in:
 *   1. the new segment is renamed over the old one;
 *   2. the new index is renamed over the old one, and the directory
 *      synced.
 * A crash at any point leaves the old segment or the new one, whole.
 * Between 1 and 2 the new segment has the old index beside it: readers
 * take an index for hints only (a member whose entry does not fit is
 * read by scanning), so they still read it right, and
 * spool_rewrite_clean finishes the swap: a new index left without its
 * segment file belongs to the segment already in place.  Both new files
 * left means the swap never began: they are removed.  Readers that had
 * the old segment open keep reading it.  Only sealed segments are rewritten:
 * writers append to the newest and never touch the others.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdir.h"
#include "sysio.h"
#include "xalloc.h"
#include "banned.h"

#define TMP_SUFFIX ".compact"

struct rw_out {
	struct sdir *d;
	int fd;                 /* the new segment */
	uint64_t off;           /* bytes written to it */
	struct buf chunk;       /* lines of the member being gathered */
	struct buf member;      /* that member, compressed */
	struct gzm_writer gw;
	struct idx_entry *ents;
	size_t nents, cap;
	char sname[80];
};

/* Compress the gathered lines into one member at the end of the file. */
static int flush_member(struct rw_out *w, struct rd_err *err)
{
	struct idx_entry *e;
	int ret;

	if (!w->chunk.len)
		return 0;
	buf_reset(&w->member);
	if ((ret = gzm_build(&w->gw, &w->member, w->chunk.data, w->chunk.len, err)) < 0)
		return ret;
	if (sysio_pwrite(w->fd, w->member.data, w->member.len, (off_t)w->off) !=
	    (ssize_t)w->member.len)
		return rd_err_sys(err, errno ? errno : ENOSPC, "write '%s/%s'",
				  w->d->path, w->sname);
	if (w->nents == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		w->ents = xrealloc(w->ents, w->cap * sizeof(*w->ents));
	}
	e = &w->ents[w->nents++];
	e->off = w->off;
	e->len = (uint32_t)w->member.len;
	e->count = sdir_count_lines(w->chunk.data, w->chunk.len);
	sdir_first_id(w->chunk.data, w->chunk.len, e->first_id);
	w->off += w->member.len;
	buf_reset(&w->chunk);
	return 0;
}

/* One line, with its newline: a member never holds more than
 * SPOOL_MEMBER_BYTES of lines unless one line alone is longer. */
static int add_line(struct rw_out *w, const char *p, size_t n, struct rd_err *err)
{
	int ret;

	if (w->chunk.len && w->chunk.len + n + 1 > SPOOL_MEMBER_BYTES &&
	    (ret = flush_member(w, err)) < 0)
		return ret;
	buf_add(&w->chunk, p, n);
	buf_addc(&w->chunk, '\n');
	return 0;
}

/* Lines of text, each ending in a newline. */
static int add_lines(struct rw_out *w, const char *p, size_t n, struct rd_err *err)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;
		int ret;

		if (k && (ret = add_line(w, p, k, err)) < 0)
			return ret;
		k += nl ? 1 : 0;
		p += k;
		n -= k;
	}
	return 0;
}

/* A reader's notice while the old segment is read: damage there means
 * the segment is not rewritten (what cannot be read is not thrown away). */
static void on_damage(void *ctx, const struct spool_notice *n)
{
	if (n->kind == SPOOL_NOTICE_DAMAGE)
		*(int *)ctx = 1;
}

/* Read segment seg's lines into w, keeping those rw keeps.  1 when a
 * line was dropped, 0 when none, RD_E_CORRUPT on damage. */
static int copy_kept(struct rw_out *w, uint64_t seg, const struct spool_rewrite *rw,
		     struct spool_rewrite_stats *st, struct rd_err *err)
{
	struct sdir *d = w->d;
	struct spool_opts saved = d->o;
	struct spool_pos from = { seg, 0, 0 };
	struct spool_item it;
	void *iter = NULL;
	int damaged = 0, dropped = 0, ret;

	d->o.notice = on_damage;
	d->o.notice_ctx = &damaged;
	if ((ret = sdir_iter_new(d, &from, &iter, err)) < 0)
		goto out;
	while ((ret = sdir_iter_next(iter, &it, err)) > 0 && it.pos.seg == seg) {
		st->lines_in++;
		if (!rw->keep(rw->ctx, it.line, it.len)) {
			dropped = 1;
			continue;
		}
		st->lines_kept++;
		if ((ret = add_line(w, it.line, it.len, err)) < 0)
			break;
	}
	sdir_iter_free(iter);
out:
	d->o.notice = saved.notice;
	d->o.notice_ctx = saved.notice_ctx;
	if (ret < 0)
		return ret;
	if (damaged)
		return rd_err_set(err, RD_E_CORRUPT,
				  "segment %llu of '%s' has damage: left as it is",
				  (unsigned long long)seg, d->path);
	return dropped;
}

/* The new index, synced. */
static int write_index(struct rw_out *w, const char *name, struct rd_err *err)
{
	int fd = sdir_open_file(w->d, name, O_WRONLY | O_CREAT | O_EXCL, err);
	int ret;

	if (fd < 0)
		return fd;
	if ((ret = idx_create(fd, err)) < 0 ||
	    (w->nents && (ret = idx_write_n(fd, 0, w->ents, w->nents, err)) < 0))
		goto out;
	if (sysio_fsync(fd) < 0)
		ret = rd_err_sys(err, errno, "fsync '%s/%s'", w->d->path, name);
out:
	close(fd);
	return ret;
}

/* Steps 1 and 2 of the swap. */
static int swap_in(struct sdir *d, uint64_t seg, const char *stmp,
		   const char *itmp, struct rd_err *err)
{
	char sname[64], iname[64];

	sdir_seg_name(sname, sizeof(sname), seg, SEG_SUFFIX);
	sdir_seg_name(iname, sizeof(iname), seg, IDX_SUFFIX);
	if (renameat(d->dirfd, stmp, d->dirfd, sname) < 0)
		return rd_err_sys(err, errno, "rename '%s/%s'", d->path, stmp);
	if (renameat(d->dirfd, itmp, d->dirfd, iname) < 0)
		return rd_err_sys(err, errno, "rename '%s/%s'", d->path, itmp);
	return sdir_fsync_dir(d, err);
}

static int sealed(struct sdir *d, uint64_t seg, struct rd_err *err)
{
	uint64_t *segs;
	size_t n, i;
	int ret;

	if ((ret = sdir_list_segs(d, &segs, &n, NULL, err)) < 0)
		return ret;
	for (i = 0; i + 1 < n && segs[i] != seg; i++)
		;
	ret = i + 1 < n;
	free(segs);
	if (!ret)
		return rd_err_set(err, RD_E_INVAL, "segment %llu of '%s' is not sealed",
				  (unsigned long long)seg, d->path);
	return 0;
}

int sdir_rewrite(void *impl, uint64_t seg, const struct spool_rewrite *rw,
		 struct spool_rewrite_stats *st, struct rd_err *err)
{
	struct sdir *d = impl;
	struct rw_out w;
	char stmp[80], itmp[80], sname[64];
	int ret;

	memset(st, 0, sizeof(*st));
	if ((ret = sealed(d, seg, err)) < 0)
		return ret;
	memset(&w, 0, sizeof(w));
	w.d = d;
	buf_init(&w.chunk);
	buf_init(&w.member);
	gzm_writer_init(&w.gw, d->o.dir.level);
	sdir_seg_name(sname, sizeof(sname), seg, SEG_SUFFIX);
	snprintf(stmp, sizeof(stmp), "%s%s", sname, TMP_SUFFIX);
	sdir_seg_name(itmp, sizeof(itmp), seg, IDX_SUFFIX TMP_SUFFIX);
	snprintf(w.sname, sizeof(w.sname), "%s", stmp);
	unlinkat(d->dirfd, stmp, 0);
	unlinkat(d->dirfd, itmp, 0);
	if ((w.fd = sdir_open_file(d, stmp, O_WRONLY | O_CREAT | O_EXCL, err)) < 0) {
		ret = w.fd;
		goto out;
	}
	if ((ret = copy_kept(&w, seg, rw, st, err)) <= 0)
		goto out;
	if ((ret = add_lines(&w, rw->add, rw->add_len, err)) < 0 ||
	    (ret = flush_member(&w, err)) < 0)
		goto out;
	if (sysio_fsync(w.fd) < 0) {
		ret = rd_err_sys(err, errno, "fsync '%s/%s'", d->path, stmp);
		goto out;
	}
	if ((ret = write_index(&w, itmp, err)) < 0)
		goto out;
	st->bytes_after = w.off + IDX_HEADER_SIZE + w.nents * IDX_ENTRY_SIZE;
	if ((ret = swap_in(d, seg, stmp, itmp, err)) == 0)
		ret = 1;
out:
	if (w.fd >= 0)
		close(w.fd);
	if (ret <= 0 && faccessat(d->dirfd, stmp, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		/* nothing swapped in: the old segment stands.  (Once the new
		 * segment is in place, its index stays for the next run to
		 * finish the swap, as after a crash.) */
		unlinkat(d->dirfd, stmp, 0);
		unlinkat(d->dirfd, itmp, 0);
	}
	gzm_writer_release(&w.gw);
	buf_release(&w.chunk);
	buf_release(&w.member);
	free(w.ents);
	return ret;
}

/* A leftover: name is "<seg>.ndjson.gz.compact" or "<seg>.idx.compact".
 * A new index whose segment file is gone finishes its swap; anything
 * else is removed.  1 when something was done. */
static int clean_one(struct sdir *d, const char *name, struct rd_err *err)
{
	char sname[64], stmp[80], iname[64];
	uint64_t seg = 0;
	int i;

	for (i = 0; i < SEG_DIGITS && name[i] >= '0' && name[i] <= '9'; i++)
		seg = seg * 10 + (uint64_t)(name[i] - '0');
	if (i == SEG_DIGITS && strcmp(name + i, IDX_SUFFIX TMP_SUFFIX) == 0) {
		sdir_seg_name(sname, sizeof(sname), seg, SEG_SUFFIX);
		snprintf(stmp, sizeof(stmp), "%s%s", sname, TMP_SUFFIX);
		sdir_seg_name(iname, sizeof(iname), seg, IDX_SUFFIX);
		if (faccessat(d->dirfd, stmp, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno == ENOENT) {
			if (renameat(d->dirfd, name, d->dirfd, iname) < 0)
				return rd_err_sys(err, errno, "rename '%s/%s'", d->path, name);
			return 1;
		}
	}
	if (unlinkat(d->dirfd, name, 0) < 0 && errno != ENOENT)
		return rd_err_sys(err, errno, "remove '%s/%s'", d->path, name);
	return 1;
}

int sdir_rewrite_clean(void *impl, uint64_t *removed, struct rd_err *err)
{
	struct sdir *d = impl;
	int fd = openat(d->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t k = strlen(TMP_SUFFIX);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int ret = 0;
	DIR *dir;

	*removed = 0;
	if (fd < 0 || !(dir = fdopendir(fd))) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return rd_err_sys(err, e, "cannot list '%s'", d->path);
	}
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name);

		if (len > k && strcmp(de->d_name + len - k, TMP_SUFFIX) == 0) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
	}
	closedir(dir);
	/* segment files first: an index is finished only once its
	 * segment's leftover is known to be gone */
	for (size_t i = 0; i < n && ret >= 0; i++)
		if (strstr(names[i], SEG_SUFFIX TMP_SUFFIX) &&
		    (ret = clean_one(d, names[i], err)) > 0)
			(*removed)++;
	for (size_t i = 0; i < n && ret >= 0; i++)
		if (!strstr(names[i], SEG_SUFFIX TMP_SUFFIX) &&
		    (ret = clean_one(d, names[i], err)) > 0)
			(*removed)++;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (ret < 0)
		return ret;
	return *removed ? sdir_fsync_dir(d, err) : 0;
}

int sdir_state_remove(void *impl, const char *name, struct rd_err *err)
{
	struct sdir *d = impl;

	if (strchr(name, '/'))
		return rd_err_set(err, RD_E_INVAL, "bad state file name '%s'", name);
	if (unlinkat(d->dirfd, name, 0) < 0) {
		if (errno == ENOENT)
			return 0;
		return rd_err_sys(err, errno, "remove '%s/%s'", d->path, name);
	}
	return sdir_fsync_dir(d, err);
}

int sdir_parts(void *impl, uint64_t **parts, size_t *n, struct rd_err *err)
{
	return sdir_list_segs(impl, parts, n, NULL, err);
}
