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
 * really is one.  An entry's first id, which its writer handed over, is
 * checked against the id read back from the member's first line
 * (sdir_first_id).
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
};

/* One segment being walked: its members against its index. */
struct seg {
	char name[64];
	int fd;
	int last;              /* the newest segment: a torn tail may end it */
	uint64_t size;
	struct idx_entry *ix;  /* damaged entries have off UINT64_MAX */
	uint64_t nix, cur;     /* entries, and where entry_at looks on */
	uint64_t iend;         /* where the last entry's member ends */
	int tail_damaged;      /* damage past iend: the next writer cuts
				* there, so what follows it is lost */
	int *matched;          /* entries that met their member */
	struct gzm_reader gr;
	struct buf data;
};

static void report(struct walk *w, const char *file, uint64_t off,
		   uint64_t bytes, int64_t lost, const char *what)
{
	struct spool_finding f;

	memset(&f, 0, sizeof(f));
	f.where = file;
	f.offset = off;
	f.bytes = bytes;
	f.lost = lost;
	f.what = what;
	w->st->findings++;
	if (w->found)
		w->found(w->ctx, &f);
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

/* A member that inflated: count it, and check it against its entry. */
static void check_member(struct walk *w, struct seg *g, uint64_t off,
			 uint64_t len)
{
	char why[160], fid[REC_ID_LEN + 1];
	const char *data = g->data.data ? g->data.data : "";
	uint32_t lines = sdir_count_lines(data, g->data.len);
	long e = entry_at(g->ix, g->nix, off, &g->cur);
	const struct idx_entry *x;

	w->st->members++;
	w->st->records += lines;
	if (e < 0 && g->last && off >= g->iend && !g->tail_damaged) {
		/* what a writer that died left, which the next reader or
		 * writer indexes (it holds the lock now: none is running) */
		w->st->unindexed++;
		return;
	}
	if (e < 0) {
		report(w, g->name, off, len, 0, "member not in the index");
		return;
	}
	x = &g->ix[e];
	g->matched[e] = 1;
	sdir_first_id(data, g->data.len, fid);
	if (x->len == len && x->count == lines && strcmp(fid, x->first_id) == 0)
		return;
	snprintf(why, sizeof(why),
		 "index entry %ld disagrees with the member (length %u/%llu, records %u/%u)",
		 e, x->len, (unsigned long long)len, x->count, lines);
	report(w, g->name, off, len, 0, why);
}

/* A member at off that did not inflate (s, with gerr's reason): report
 * it with what it cost, and return where the walk resumes, as readers
 * do: the next indexed member, else the next valid gzip header. */
static uint64_t skip_damage(struct walk *w, struct seg *g, uint64_t off,
			    int s, struct rd_err *gerr)
{
	char why[160];
	uint64_t next = UINT64_MAX;
	long e = entry_at(g->ix, g->nix, off, &g->cur);
	const char *what =
		s == GZM_TORN ? "truncated member" :
		s == GZM_GARBAGE ? "garbage (no gzip member here)" :
		s == GZM_TOO_BIG ? "member too large to inflate" :
		"damaged member";

	for (uint64_t i = 0; i < g->nix; i++)
		if (g->ix[i].off > off && g->ix[i].off < g->size &&
		    g->ix[i].off < next)
			next = g->ix[i].off;
	if (next == UINT64_MAX) {
		/* A failing scan says why in gerr, and the finding with it. */
		off_t s2 = gzm_scan(&g->gr, g->fd, (off_t)off + 1,
				    (off_t)g->size, gerr);

		next = s2 < 0 ? g->size : (uint64_t)s2;
	}
	if (s == GZM_TORN && g->last && next >= g->size)
		what = "torn tail (a write cut short)";
	if (g->last && off >= g->iend)
		g->tail_damaged = 1;
	if (e >= 0)
		g->matched[e] = 1;
	snprintf(why, sizeof(why), "%s%s%s", what, gerr->msg[0] ? ": " : "",
		 gerr->msg);
	report(w, g->name, off, next - off,
	       e >= 0 ? (int64_t)g->ix[e].count : -1, why);
	return next;
}

/* Index entries that no member answered: they point at nothing. */
static void report_unmatched(struct walk *w, const struct seg *g)
{
	char why[160];

	for (uint64_t i = 0; i < g->nix; i++) {
		if (g->matched[i] || g->ix[i].off == UINT64_MAX)
			continue;
		snprintf(why, sizeof(why), "index entry %llu points at offset %llu, where no member starts",
			 (unsigned long long)i, (unsigned long long)g->ix[i].off);
		report(w, g->name, g->ix[i].off, 0, (int64_t)g->ix[i].count, why);
	}
}

static int verify_seg(struct walk *w, uint64_t seg, int last, struct rd_err *err)
{
	struct seg g;
	struct stat st;
	uint64_t off = 0;
	int ret = 0;

	memset(&g, 0, sizeof(g));
	g.last = last;
	sdir_seg_name(g.name, sizeof(g.name), seg, SEG_SUFFIX);
	if ((g.fd = sdir_open_file(w->d, g.name, O_RDONLY, err)) < 0)
		return g.fd;
	if (fstat(g.fd, &st) < 0) {
		ret = rd_err_sys(err, errno, "stat '%s/%s'", w->d->path, g.name);
		close(g.fd);
		return ret;
	}
	g.size = (uint64_t)st.st_size;
	w->st->segments++;
	w->st->bytes += g.size;
	g.ix = load_index(w, seg, &g.nix, &g.matched);
	for (uint64_t i = 0; i < g.nix; i++)
		if (g.ix[i].off != UINT64_MAX && g.ix[i].off + g.ix[i].len > g.iend)
			g.iend = g.ix[i].off + g.ix[i].len;
	gzm_reader_init(&g.gr);
	buf_init(&g.data);
	while (off < g.size) {
		off_t len = 0;
		struct rd_err gerr;
		int s;

		buf_reset(&g.data);
		gerr.msg[0] = '\0';
		s = gzm_read(&g.gr, g.fd, (off_t)off, (off_t)g.size, &g.data,
			     w->d->o.dir.max_member_bytes, &len, &gerr);
		if (s < 0) {
			*err = gerr;
			ret = s;
			break;
		}
		if (s == GZM_OK) {
			check_member(w, &g, off, (uint64_t)len);
			off += (uint64_t)len;
		} else {
			off = skip_damage(w, &g, off, s, &gerr);
		}
	}
	if (ret == 0)
		report_unmatched(w, &g);
	free(g.ix);
	free(g.matched);
	buf_release(&g.data);
	gzm_reader_release(&g.gr);
	close(g.fd);
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
