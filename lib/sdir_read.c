/*
 * sdir_read.c - iteration over a directory spool: segments in order,
 * members through gzm, lines out of each member.
 *
 * Readers take no lock.  A torn member at the very end of the newest
 * segment is a write in progress, not damage, and ends the log for now;
 * any other member that fails to inflate is reported with file and offset
 * (and the records it cost, when the index knows) and skipped, resuming at
 * the next indexed member or the next valid gzip header.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idx.h"
#include "sdir.h"
#include "xalloc.h"
#include "banned.h"

struct sdir_iter {
	struct sdir *d;
	uint64_t *segs;
	size_t nsegs, si;
	int fd;
	uint64_t size;
	struct idx_entry *ix;
	uint64_t nix;
	uint64_t off;          /* next member to read */
	uint64_t member_off;   /* member whose lines are being served */
	uint32_t line;
	uint32_t skip;         /* lines to skip in the first member */
	int skip_armed;        /* skip applies to the next member read */
	struct spool_pos from;
	int have_from;
	struct buf data;
	size_t dpos;
	struct gzm_reader gr;
};

int sdir_iter_new(void *impl, const struct spool_pos *from, void **out,
			 struct rd_err *err)
{
	struct sdir *d = impl;
	struct sdir_iter *it = xcalloc(1, sizeof(*it));
	int ret;

	it->d = d;
	it->fd = -1;
	buf_init(&it->data);
	gzm_reader_init(&it->gr);
	if ((ret = sdir_list_segs(d, &it->segs, &it->nsegs, NULL, err)) < 0) {
		sdir_iter_free(it);
		return ret;
	}
	if (from) {
		it->from = *from;
		it->have_from = 1;
		while (it->si < it->nsegs && it->segs[it->si] < from->seg)
			it->si++;
	}
	*out = it;
	return 0;
}

static void iter_close_seg(struct sdir_iter *it)
{
	if (it->fd >= 0)
		close(it->fd);
	it->fd = -1;
	free(it->ix);
	it->ix = NULL;
	it->nix = 0;
	gzm_reader_drop(&it->gr);
}

static int iter_open_seg(struct sdir_iter *it, struct rd_err *err)
{
	char sname[64], iname[64];
	struct stat st;
	uint64_t seg = it->segs[it->si];
	int ifd;

	sdir_seg_name(sname, sizeof(sname), seg, SEG_SUFFIX);
	sdir_seg_name(iname, sizeof(iname), seg, IDX_SUFFIX);
	it->fd = openat(it->d->dirfd, sname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (it->fd < 0) {
		if (errno == ENOENT)	/* removed by retention meanwhile */
			return 0;
		return rd_err_sys(err, errno, "cannot open '%s/%s'",
				  it->d->path, sname);
	}
	if (fstat(it->fd, &st) < 0)
		return rd_err_sys(err, errno, "stat '%s/%s'", it->d->path, sname);
	it->size = (uint64_t)st.st_size;
	ifd = openat(it->d->dirfd, iname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (ifd >= 0) {
		struct rd_err ierr;

		/* A damaged index only costs us resynchronisation hints. */
		if (idx_load(ifd, &it->ix, &it->nix, &ierr) < 0)
			it->nix = 0;
		close(ifd);
	}
	it->off = 0;
	if (it->have_from && seg == it->from.seg) {
		it->off = it->from.off;
		it->skip = it->from.line;
		it->skip_armed = 1;
	}
	it->have_from = 0;
	return 0;
}

/* Index entry at exactly off, or NULL. */
static const struct idx_entry *entry_at(const struct sdir_iter *it, uint64_t off)
{
	uint64_t lo = 0, hi = it->nix;

	while (lo < hi) {
		uint64_t mid = (lo + hi) / 2;

		if (it->ix[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < it->nix && it->ix[lo].off == off ? &it->ix[lo] : NULL;
}

/* First indexed member after off, or 0 when none. */
static uint64_t entry_after(const struct sdir_iter *it, uint64_t off)
{
	for (uint64_t i = 0; i < it->nix; i++)
		if (it->ix[i].off > off && it->ix[i].off < it->size)
			return it->ix[i].off;
	return 0;
}

int sdir_iter_next(void *impl, struct spool_item *item,
			  struct rd_err *err)
{
	struct sdir_iter *it = impl;

	for (;;) {
		if (it->dpos < it->data.len) {
			char *s = it->data.data + it->dpos;
			char *nl = memchr(s, '\n', it->data.len - it->dpos);
			size_t n = nl ? (size_t)(nl - s) : it->data.len - it->dpos;

			it->dpos += n + (nl ? 1 : 0);
			if (it->skip) {
				it->skip--;
				it->line++;
				continue;
			}
			item->line = s;
			item->len = n;
			item->pos.seg = it->segs[it->si];
			item->pos.off = it->member_off;
			item->pos.line = it->line++;
			return 1;
		}
		if (it->fd < 0) {
			int ret;

			if (it->si >= it->nsegs)
				return 0;
			if ((ret = iter_open_seg(it, err)) < 0)
				return ret;
			if (it->fd < 0) {
				it->si++;
				continue;
			}
		}
		if (it->off >= it->size) {
			iter_close_seg(it);
			it->si++;
			continue;
		}
		{
			off_t len = 0;
			struct rd_err gerr;
			uint64_t next;
			const struct idx_entry *ent;
			char sname[64];
			int last = it->si + 1 == it->nsegs;
			int st;

			buf_reset(&it->data);
			it->dpos = 0;
			gerr.msg[0] = '\0';
			/* The index knows the length: inflate the member whole
			 * (fast); anything wrong goes to the streaming path,
			 * which says exactly what. */
			ent = entry_at(it, it->off);
			st = GZM_CORRUPT;
			if (ent && ent->len && it->off + ent->len <= it->size) {
				st = gzm_read_sized(&it->gr, it->fd, (off_t)it->off,
						    ent->len, &it->data,
						    it->d->o.max_member_bytes, &gerr);
				if (st == GZM_OK)
					len = (off_t)ent->len;
				else if (st < 0)
					return *err = gerr, st;
				else
					buf_reset(&it->data);
			}
			if (st != GZM_OK)
				st = gzm_read(&it->gr, it->fd, (off_t)it->off,
					      (off_t)it->size, &it->data,
					      it->d->o.max_member_bytes, &len, &gerr);
			if (st < 0) {
				*err = gerr;
				return st;
			}
			if (st == GZM_OK) {
				/* The skip is for the first member only, even
				 * if it held fewer lines than that. */
				if (it->skip_armed)
					it->skip_armed = 0;
				else
					it->skip = 0;
				it->member_off = it->off;
				it->off += (uint64_t)len;
				it->line = 0;
				continue;
			}
			buf_reset(&it->data);
			next = entry_after(it, it->off);
			if (st == GZM_TORN && last && !next) {
				/* A write in progress (or a crash the next
				 * writer will cut): the end, for now. */
				it->off = it->size;
				continue;
			}
			if (!next) {
				off_t s2 = gzm_scan(&it->gr, it->fd,
						    (off_t)it->off + 1,
						    (off_t)it->size, &gerr);
				if (s2 < 0) {
					*err = gerr;
					return (int)s2;
				}
				next = (uint64_t)s2;
			}
			ent = entry_at(it, it->off);
			sdir_seg_name(sname, sizeof(sname), it->segs[it->si],
				 SEG_SUFFIX);
			sdir_notify(it->d, SPOOL_NOTICE_DAMAGE, sname, it->off,
			       next - it->off, ent ? (int64_t)ent->count : -1,
			       gerr.msg[0] ? gerr.msg : "damaged member");
			it->off = next;
			it->skip = 0;
		}
	}
}

void sdir_iter_free(void *impl)
{
	struct sdir_iter *it = impl;

	if (!it)
		return;
	iter_close_seg(it);
	free(it->segs);
	buf_release(&it->data);
	gzm_reader_release(&it->gr);
	free(it);
}
