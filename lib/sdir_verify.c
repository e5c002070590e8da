/*
 * sdir_verify.c - spool_verify for the directory backend: every member of
 * every segment inflated and checked, and the side index cross-checked
 * against what is really there.
 *
 * Findings name the file and byte offset, and what they cost: for a
 * damaged member, the records its index entry says it held (or unknown
 * without one).  The walk resynchronises as readers do (next indexed
 * member, or the next valid gzip header), so one bad member does not hide
 * the rest.  It holds the writers' lock shared, so no append is in
 * progress (nor a batch waiting for its interval sync) and a torn tail
 * really is one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idx.h"
#include "sdir.h"
#include "xalloc.h"
#include "banned.h"

struct walk {
	struct sdir *d;
	void (*found)(void *ctx, const struct spool_finding *f);
	void *ctx;
	struct spool_verify_stats *st;
	char file[64];
};

static void report(struct walk *w, const char *file, uint64_t off,
		   uint64_t bytes, int64_t lost, const char *what)
{
	struct spool_finding f;

	f.file = file;
	f.offset = off;
	f.bytes = bytes;
	f.lost = lost;
	f.what = what;
	w->st->findings++;
	if (w->found)
		w->found(w->ctx, &f);
}

static uint32_t lines_in(const struct buf *b)
{
	uint32_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

/* Load index entries one by one, so a damaged entry costs only itself. */
static struct idx_entry *load_index(struct walk *w, uint64_t seg, uint64_t *n,
				    int **ok)
{
	char iname[64];
	struct idx_entry *ix = NULL;
	struct rd_err err;
	uint64_t cnt = 0;
	int fd;

	*n = 0;
	*ok = NULL;
	sdir_seg_name(iname, sizeof(iname), seg, IDX_SUFFIX);
	fd = sdir_open_file(w->d, iname, O_RDONLY, &err);
	if (fd < 0) {
		report(w, iname, 0, 0, 0, err.sys == ENOENT ? "index file missing" :
		       err.msg);
		return NULL;
	}
	if (idx_count(fd, &cnt, &err) < 0) {
		report(w, iname, 0, 0, 0, "index header damaged");
		close(fd);
		return NULL;
	}
	ix = xcalloc(cnt ? cnt : 1, sizeof(*ix));
	*ok = xcalloc(cnt ? cnt : 1, sizeof(**ok));
	for (uint64_t i = 0; i < cnt; i++) {
		if (idx_read(fd, i, &ix[i], &err) < 0) {
			report(w, iname, IDX_HEADER_SIZE + i * IDX_ENTRY_SIZE,
			       IDX_ENTRY_SIZE, 0, "index entry damaged (CRC mismatch)");
			ix[i].off = UINT64_MAX;
		}
	}
	close(fd);
	*n = cnt;
	return ix;
}

/* The entry for the member at off, or -1.  Members are walked in order
 * and entries are in order, so *from moves forward only: the walk costs
 * one pass over the index, not one per member.  Damaged entries
 * (UINT64_MAX) are passed over. */
static long entry_at(const struct idx_entry *ix, uint64_t n, uint64_t off,
		     uint64_t *from)
{
	uint64_t i = *from;

	while (i < n && (ix[i].off == UINT64_MAX || ix[i].off < off))
		i++;
	*from = i;
	return i < n && ix[i].off == off ? (long)i : -1;
}

static int verify_seg(struct walk *w, uint64_t seg, int last, struct rd_err *err)
{
	char sname[64], why[160], fid[REC_ID_LEN + 1];
	struct idx_entry *ix;
	struct gzm_reader gr;
	struct buf data;
	struct stat st;
	uint64_t nix, off = 0, size, cur = 0;
	int *matched, fd, ret = 0;

	sdir_seg_name(sname, sizeof(sname), seg, SEG_SUFFIX);
	fd = sdir_open_file(w->d, sname, O_RDONLY, err);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return rd_err_sys(err, errno, "stat '%s/%s'", w->d->path, sname);
	}
	size = (uint64_t)st.st_size;
	w->st->segments++;
	w->st->bytes += size;
	ix = load_index(w, seg, &nix, &matched);
	gzm_reader_init(&gr);
	buf_init(&data);
	while (off < size) {
		off_t len = 0;
		struct rd_err gerr;
		int s;
		long e;

		buf_reset(&data);
		gerr.msg[0] = '\0';
		s = gzm_read(&gr, fd, (off_t)off, (off_t)size, &data,
			     w->d->o.max_member_bytes, &len, &gerr);
		if (s < 0) {
			*err = gerr;
			ret = s;
			break;
		}
		e = entry_at(ix, nix, off, &cur);
		if (s == GZM_OK) {
			uint32_t lines = lines_in(&data);

			w->st->members++;
			w->st->records += lines;
			if (e < 0) {
				report(w, sname, off, (uint64_t)len, 0,
				       "member not in the index");
			} else {
				matched[e] = 1;
				if (ix[e].len != (uint64_t)len || ix[e].count != lines ||
				    (sdir_first_id(data.data ? data.data : "", data.len, fid),
				     strcmp(fid, ix[e].first_id) != 0)) {
					snprintf(why, sizeof(why),
						 "index entry %ld disagrees with the member (length %u/%lld, records %u/%u)",
						 e, ix[e].len, (long long)len, ix[e].count, lines);
					report(w, sname, off, (uint64_t)len, 0, why);
				}
			}
			off += (uint64_t)len;
			continue;
		}
		{
			uint64_t next = UINT64_MAX;

			for (uint64_t i = 0; i < nix; i++)
				if (ix[i].off > off && ix[i].off < size && ix[i].off < next)
					next = ix[i].off;
			if (next == UINT64_MAX) {
				off_t s2 = gzm_scan(&gr, fd, (off_t)off + 1, (off_t)size, &gerr);

				next = s2 < 0 ? size : (uint64_t)s2;
			}
			if (e >= 0)
				matched[e] = 1;
			snprintf(why, sizeof(why), "%s%s%s",
				 s == GZM_TORN ? (last && next >= size ?
						  "torn tail (a write cut short)" : "truncated member") :
				 s == GZM_GARBAGE ? "garbage (no gzip member here)" :
				 s == GZM_TOO_BIG ? "member too large to inflate" :
				 "damaged member", gerr.msg[0] ? ": " : "", gerr.msg);
			report(w, sname, off, next - off, e >= 0 ? (int64_t)ix[e].count : -1, why);
			off = next;
		}
	}
	for (uint64_t i = 0; ret == 0 && i < nix; i++) {
		if (matched[i] || ix[i].off == UINT64_MAX)
			continue;
		snprintf(why, sizeof(why), "index entry %llu points at offset %llu, where no member starts",
			 (unsigned long long)i, (unsigned long long)ix[i].off);
		report(w, sname, ix[i].off, 0, (int64_t)ix[i].count, why);
	}
	free(ix);
	free(matched);
	buf_release(&data);
	gzm_reader_release(&gr);
	close(fd);
	return ret;
}

int sdir_verify(void *impl,
		void (*found)(void *ctx, const struct spool_finding *f),
		void *ctx, struct spool_verify_stats *st, struct rd_err *err)
{
	struct sdir *d = impl;
	struct walk w;
	uint64_t *segs = NULL;
	size_t nsegs = 0;
	int ret;

	memset(st, 0, sizeof(*st));
	memset(&w, 0, sizeof(w));
	w.d = d;
	w.found = found;
	w.ctx = ctx;
	w.st = st;
	/* Our own batches waiting for an interval sync hold the lock
	 * already; verify sees them as a torn tail, which they are not
	 * yet. */
	if (!d->locked && (ret = sdir_lock(d, LOCK_SH, err)) < 0)
		return ret;
	if ((ret = sdir_list_segs(d, &segs, &nsegs, NULL, err)) < 0)
		goto out;
	for (size_t i = 0; i < nsegs; i++)
		if ((ret = verify_seg(&w, segs[i], i + 1 == nsegs, err)) < 0)
			break;
out:
	if (!d->locked)
		sdir_unlock(d);
	free(segs);
	return ret;
}
