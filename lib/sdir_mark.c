/*
 * sdir_mark.c - checkpoint marks of the directory spool: what a reader
 * keeps beside a position so that, later, it can tell whether the log
 * still holds what it read.
 *
 * A position alone (segment, member offset, line) cannot tell: an
 * operator may delete segments, and new ones then start at a number the
 * position is already past; a power loss may take back bytes that were
 * read, and the next batch then lands at the same offset.  A mark names
 * the members by their content: the first id and record count of the
 * member at the position, and the first id of the oldest segment.  Ids
 * are unique, so the same id at the same place means the same member.
 * Checking reads two members (at most a few KiB to inflate), never the
 * log.
 *
 * Deliberately not here: deciding what to do about a mismatch (the
 * caller reads the log from the beginning).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sdir.h"
#include "banned.h"

#define MARK_MAGIC "sdm1"

struct mark {
	char magic[4];
	uint32_t count;        /* records in the member at the position */
	uint64_t base;         /* the oldest segment */
	uint64_t seg, off;     /* the position's member */
	char base_id[REC_ID_LEN];
	char id[REC_ID_LEN];
};

_Static_assert(sizeof(struct mark) <= SPOOL_MARK_SIZE, "a mark fits");

/* The first id and record count of the member at (seg, off), read from
 * the segment itself: the index entry carries both, as its writer handed
 * them over, but the index is only a hint and a mark must say what the
 * log holds.  The id comes from the first line's canonical prefix
 * (sdir_first_id), never from a search of the line.  0, or RD_E_CORRUPT
 * when there is no whole member there, or another code. */
static int member_ident(struct sdir *d, uint64_t seg, uint64_t off,
			char id[REC_ID_LEN + 1], uint32_t *count,
			struct rd_err *err)
{
	char sname[64];
	struct gzm_reader gr;
	struct buf data;
	struct stat st;
	off_t len = 0;
	int fd, st2;

	sdir_seg_name(sname, sizeof(sname), seg, SEG_SUFFIX);
	if ((fd = sdir_open_file(d, sname, O_RDONLY, err)) < 0)
		return err && err->sys == ENOENT ?
			rd_err_set(err, RD_E_CORRUPT, "segment %llu is gone",
				   (unsigned long long)seg) : fd;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return rd_err_sys(err, errno, "stat '%s/%s'", d->path, sname);
	}
	gzm_reader_init(&gr);
	buf_init(&data);
	st2 = gzm_read(&gr, fd, (off_t)off, st.st_size, &data,
		       d->o.dir.max_member_bytes, &len, err);
	if (st2 == GZM_OK) {
		sdir_first_id(data.data ? data.data : "", data.len, id);
		*count = sdir_count_lines(data.data ? data.data : "", data.len);
	} else if (st2 > 0) {
		st2 = rd_err_set(err, RD_E_CORRUPT,
				 "segment %llu holds no whole member at byte %llu",
				 (unsigned long long)seg, (unsigned long long)off);
	}
	buf_release(&data);
	gzm_reader_release(&gr);
	close(fd);
	return st2;
}

int sdir_mark(void *impl, const struct spool_pos *pos, struct spool_mark *m,
	      struct rd_err *err)
{
	struct sdir *d = impl;
	struct mark k;
	char id[REC_ID_LEN + 1];
	uint64_t *v = NULL;
	uint32_t base_count;
	size_t n = 0;
	int ret;

	memset(&k, 0, sizeof(k));
	memcpy(k.magic, MARK_MAGIC, sizeof(k.magic));
	if (pos && pos->seg) {
		if ((ret = sdir_list_segs(d, &v, &n, NULL, err)) < 0)
			return ret;
		k.base = n ? v[0] : 0;
		free(v);
		k.seg = pos->seg;
		k.off = pos->off;
		/* A member that cannot be read now leaves its id empty: the
		 * check then fails, and the next run reads everything. */
		if (k.base && member_ident(d, k.base, 0, id, &base_count, NULL) == 0)
			memcpy(k.base_id, id, REC_ID_LEN);
		if (member_ident(d, k.seg, k.off, id, &k.count, NULL) == 0)
			memcpy(k.id, id, REC_ID_LEN);
	}
	memset(m, 0, sizeof(*m));
	memcpy(m->b, &k, sizeof(k));
	return 0;
}

/* 0 when segments base..seg are all there, in a row. */
static int check_segments(struct sdir *d, const struct mark *k,
			  struct rd_err *err)
{
	uint64_t *v = NULL;
	size_t n = 0, upto = 0;
	int ret;

	if ((ret = sdir_list_segs(d, &v, &n, NULL, err)) < 0)
		return ret;
	for (size_t i = 0; i < n; i++)
		upto += v[i] <= k->seg;
	if (!n || v[0] != k->base)
		ret = rd_err_set(err, RD_E_CORRUPT,
				 "the oldest segment is now %llu, it was %llu",
				 (unsigned long long)(n ? v[0] : 0),
				 (unsigned long long)k->base);
	else if (upto != k->seg - k->base + 1)
		ret = rd_err_set(err, RD_E_CORRUPT,
				 "segments between %llu and %llu are gone",
				 (unsigned long long)k->base,
				 (unsigned long long)k->seg);
	free(v);
	return ret;
}

int sdir_mark_check(void *impl, const struct spool_pos *pos,
		    const struct spool_mark *m, struct rd_err *err)
{
	struct sdir *d = impl;
	struct mark k;
	char id[REC_ID_LEN + 1];
	uint32_t count = 0;
	int ret;

	memcpy(&k, m->b, sizeof(k));
	if (memcmp(k.magic, MARK_MAGIC, sizeof(k.magic)) != 0)
		return rd_err_set(err, RD_E_CORRUPT, "it has no mark of the log");
	if (!pos->seg && !k.seg)
		return 0;	/* nothing was read: nothing to hold */
	if (pos->seg != k.seg || pos->off != k.off)
		return rd_err_set(err, RD_E_CORRUPT, "its mark is for another position");
	if ((ret = check_segments(d, &k, err)) < 0)
		return ret;
	if ((ret = member_ident(d, k.base, 0, id, &count, err)) < 0)
		return ret;
	if (!k.base_id[0] || memcmp(id, k.base_id, REC_ID_LEN) != 0)
		return rd_err_set(err, RD_E_CORRUPT,
				  "segment %llu now begins with other records",
				  (unsigned long long)k.base);
	if ((ret = member_ident(d, k.seg, k.off, id, &count, err)) < 0)
		return ret;
	if (!k.id[0] || memcmp(id, k.id, REC_ID_LEN) != 0 || count != k.count ||
	    pos->line > count)
		return rd_err_set(err, RD_E_CORRUPT,
				  "segment %llu holds other records at byte %llu than it read there",
				  (unsigned long long)k.seg, (unsigned long long)k.off);
	return 0;
}
