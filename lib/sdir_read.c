/*
 * sdir_read.c - iteration over a directory spool: segments in order,
 * members through gzm, lines out of each member.
 *
 * Readers take no lock, and see only committed data.  A sealed segment
 * (one with a newer segment after it) is committed whole: a roll happens
 * only after the writer committed and checked it.  The newest segment is
 * served only up to the end of its last valid index entry, the committed
 * watermark: bytes past it may be a batch still waiting for its sync, or
 * one about to be taken back.  When such bytes exist and no writer holds
 * the lock, a writer died there; the reader then indexes its complete
 * members, as the next writer would (sdir_settle), and serves them.
 *
 * A member that fails to inflate is reported with file and offset (and
 * the records it cost, when the index knows) and skipped, resuming at the
 * next indexed member or the next valid gzip header.
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
	uint64_t damaged;      /* members skipped */
};

/*
 * Not a search of the line: the record schema (redrive-spool(5), RECORDS)
 * writes every line with the keys v, kind and id first and no spaces, so
 * the id stands at a fixed place after the kind word, the same prefix
 * rec_kind_peek reads the kind from.  Kinds this version does not know
 * (the journal's run lines) keep that prefix too.
 */
void sdir_first_id(const char *data, size_t len, char out[REC_ID_LEN + 1])
{
	static const char head[] = "{\"v\":1,\"kind\":\"";
	static const char key[] = "\",\"id\":\"";
	const size_t hn = sizeof(head) - 1, kn = sizeof(key) - 1;
	const char *p = data, *e = data + len, *q;

	out[0] = '\0';
	if (len < hn || memcmp(p, head, hn) != 0)
		return;
	/* The kind word: short, and free of quotes by the schema. */
	for (q = p + hn; q < e && q - p < 64 && *q != '"'; q++)
		;
	if ((size_t)(e - q) < kn + REC_ID_LEN + 1 ||
	    memcmp(q, key, kn) != 0 || q[kn + REC_ID_LEN] != '"' ||
	    !rec_id_valid(q + kn, REC_ID_LEN))
		return;
	memcpy(out, q + kn, REC_ID_LEN);
	out[REC_ID_LEN] = '\0';
}

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

int sdir_load_index(struct sdir *d, uint64_t seg, uint64_t size,
		    struct idx_entry **out, uint64_t *n, struct rd_err *err)
{
	char iname[64];
	struct rd_err ierr;
	uint64_t j = 0;
	int ifd;

	*out = NULL;
	*n = 0;
	sdir_seg_name(iname, sizeof(iname), seg, IDX_SUFFIX);
	ifd = sdir_open_file(d, iname, O_RDONLY, &ierr);
	if (ifd == RD_E_INVAL) {	/* not safe to take hints from */
		if (err)
			*err = ierr;
		return ifd;
	}
	if (ifd < 0)
		return 0;
	/* A damaged index only costs hints (and, in the newest segment,
	 * what the next writer indexes again). */
	if (idx_load(ifd, out, n, &ierr) < 0)
		*n = 0;
	close(ifd);
	/* Entries describing bytes the segment does not have (a power loss
	 * kept the index and not the data) are no hints at all. */
	for (uint64_t i = 0; i < *n; i++)
		if ((*out)[i].off + (*out)[i].len <= size &&
		    (j == 0 || (*out)[i].off >= (*out)[j - 1].off + (*out)[j - 1].len))
			(*out)[j++] = (*out)[i];
	*n = j;
	if (!j) {
		free(*out);
		*out = NULL;
	}
	return 0;
}

/* The committed end of the newest segment: where its last entry ends. */
static uint64_t watermark(const struct sdir_iter *it)
{
	return it->nix ? it->ix[it->nix - 1].off + it->ix[it->nix - 1].len : 0;
}

/* Size and index of the open segment, as they are now. */
static int iter_load(struct sdir_iter *it, uint64_t seg, struct rd_err *err)
{
	struct stat st;
	int ret;

	if (fstat(it->fd, &st) < 0)
		return rd_err_sys(err, errno, "stat '%s' segment %llu", it->d->path,
				  (unsigned long long)seg);
	it->size = (uint64_t)st.st_size;
	free(it->ix);
	if ((ret = sdir_load_index(it->d, seg, it->size, &it->ix, &it->nix,
				   err)) < 0)
		return ret;
	return 0;
}

static int iter_open_seg(struct sdir_iter *it, struct rd_err *err)
{
	char sname[64];
	uint64_t seg = it->segs[it->si];
	struct rd_err oerr;
	int ret;

	sdir_seg_name(sname, sizeof(sname), seg, SEG_SUFFIX);
	it->fd = sdir_open_file(it->d, sname, O_RDONLY, &oerr);
	if (it->fd < 0) {
		it->fd = -1;
		if (oerr.sys == ENOENT)	/* removed by retention meanwhile */
			return 0;
		*err = oerr;
		return oerr.code ? oerr.code : RD_E_IO;
	}
	if ((ret = iter_load(it, seg, err)) < 0)
		return ret;
	if (it->si + 1 == it->nsegs && it->size > watermark(it)) {
		/* The newest segment: only what is committed.  Bytes past
		 * the watermark are a writer at work, or a dead one's. */
		uint64_t newest = sdir_settle(it->d);

		if (newest && (ret = iter_load(it, seg, err)) < 0)
			return ret;
		/* (sealed meanwhile by a roll: committed whole) */
		if (newest <= seg && it->size > watermark(it))
			it->size = watermark(it);
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

/* Past a member that does not inflate: report it and move to the next
 * indexed member, or the next valid gzip header.  0 or RD_E_IO. */
static int iter_skip_damage(struct sdir_iter *it, const struct rd_err *why,
			    struct rd_err *err)
{
	const struct idx_entry *ent = entry_at(it, it->off);
	uint64_t next = entry_after(it, it->off);
	struct rd_err gerr;
	char sname[64];

	/* Everything here is committed: a member cut short is damage too,
	 * never a write in progress. */
	if (!next) {
		off_t s2 = gzm_scan(&it->gr, it->fd, (off_t)it->off + 1,
				    (off_t)it->size, &gerr);

		if (s2 < 0) {
			*err = gerr;
			return (int)s2;
		}
		next = (uint64_t)s2;
	}
	sdir_seg_name(sname, sizeof(sname), it->segs[it->si], SEG_SUFFIX);
	sdir_notify(it->d, SPOOL_NOTICE_DAMAGE, sname, it->off, next - it->off,
		    ent ? (int64_t)ent->count : -1,
		    why->msg[0] ? why->msg : "damaged member");
	it->damaged++;
	it->off = next;
	it->skip = 0;
	return 0;
}

/* Inflate the member at it->off into it->data.  0 (data filled, or the
 * damage skipped and reported) or a negative code. */
static int iter_read_member(struct sdir_iter *it, struct rd_err *err)
{
	const struct idx_entry *ent = entry_at(it, it->off);
	struct rd_err gerr;
	off_t len = 0;
	int st = GZM_CORRUPT;

	buf_reset(&it->data);
	it->dpos = 0;
	gerr.msg[0] = '\0';
	/* The index knows the length: inflate the member whole (fast);
	 * anything wrong goes to the streaming path, which says exactly
	 * what. */
	if (ent && ent->len && it->off + ent->len <= it->size) {
		st = gzm_read_sized(&it->gr, it->fd, (off_t)it->off, ent->len,
				    &it->data, it->d->o.dir.max_member_bytes, &gerr);
		if (st == GZM_OK)
			len = (off_t)ent->len;
		else if (st < 0)
			return *err = gerr, st;
		else
			buf_reset(&it->data);
	}
	if (st != GZM_OK)
		st = gzm_read(&it->gr, it->fd, (off_t)it->off, (off_t)it->size,
			      &it->data, it->d->o.dir.max_member_bytes, &len, &gerr);
	if (st < 0) {
		*err = gerr;
		return st;
	}
	if (st != GZM_OK) {
		buf_reset(&it->data);
		return iter_skip_damage(it, &gerr, err);
	}
	/* The skip is for the first member only, even if it held fewer
	 * lines than that. */
	if (it->skip_armed)
		it->skip_armed = 0;
	else
		it->skip = 0;
	it->member_off = it->off;
	it->off += (uint64_t)len;
	it->line = 0;
	return 0;
}

int sdir_iter_next(void *impl, struct spool_item *item,
			  struct rd_err *err)
{
	struct sdir_iter *it = impl;
	int ret;

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
		if ((ret = iter_read_member(it, err)) < 0)
			return ret;
	}
}

uint64_t sdir_iter_damaged(const void *impl)
{
	return ((const struct sdir_iter *)impl)->damaged;
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
