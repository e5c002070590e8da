/* Unit tests for the spool interface over the directory backend: append,
 * iterate, roll, repair of torn tails and lost index entries, damage
 * reporting, fsync policies, the size cap and refusal of symlinks. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idx.h"
#include "rec.h"
#include "spool.h"
#include "t.h"

struct seen {
	int cut, reindex, damage;
	uint64_t last_off;
	int64_t last_lost;
};

static void on_notice(void *ctx, const struct spool_notice *n)
{
	struct seen *s = ctx;

	if (n->kind == SPOOL_NOTICE_CUT)
		s->cut++;
	else if (n->kind == SPOOL_NOTICE_REINDEX)
		s->reindex++;
	else
		s->damage++;
	s->last_off = n->offset;
	s->last_lost = n->lost;
}

static struct rec_idgen g;

/* A batch of n lines, "line <k>" for k from *next. */
static int append(struct spool *sp, int n, int *next, struct rd_err *err)
{
	struct buf b;
	char id[REC_ID_LEN + 1], first[REC_ID_LEN + 1];
	struct spool_batch sb;
	int r;

	buf_init(&b);
	for (int i = 0; i < n; i++) {
		rec_id_next(&g, rec_now_ms(), id);
		if (i == 0)
			memcpy(first, id, sizeof(first));
		buf_addf(&b, "{\"v\":1,\"kind\":\"request\",\"id\":\"%s\",\"n\":%d,\"pad\":\"%0200d\"}\n",
			 id, (*next)++, 0);
	}
	sb.data = b.data;
	sb.len = b.len;
	sb.count = (uint32_t)n;
	sb.first_id = first;
	r = spool_append(sp, &sb, err);
	buf_release(&b);
	return r;
}

/* Read everything; returns the count and checks "n" increases. */
static int read_all(struct spool *sp, int *ordered, int *last_n)
{
	struct spool_iter *it;
	struct spool_item item;
	struct rd_err err;
	int cnt = 0, prev = -1, r;

	*ordered = 1;
	if (spool_iter_new(sp, NULL, &it, &err) < 0)
		return -1;
	while ((r = spool_iter_next(it, &item, &err)) == 1) {
		const char *p = strstr(item.line, "\"n\":");
		int n = p ? (int)strtol(p + 4, NULL, 10) : -1;

		if (n <= prev)
			*ordered = 0;
		prev = n;
		cnt++;
	}
	spool_iter_free(it);
	*last_n = prev;
	return r < 0 ? -1 : cnt;
}

static off_t fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* What the groups of cases share: the scratch directory, the paths of
 * the spool under test and its first segment and index, the options, what
 * the notices said and the next record number. */
struct tctx {
	char dir[32], path[512], seg1[600], idx1[600];
	struct spool_opts o;
	struct spool *sp;
	struct seen seen;
	int next;
};

/* Create, append, read back; then a torn tail and appended garbage. */
static void test_tails(struct tctx *t)
{
	struct rd_err err;
	struct stat st;
	int ordered, last, n, fd;

	T_OK(spool_open(t->path, &t->o, &t->sp, &err) == RD_E_INVAL &&
	     strstr(err.msg, "does not exist"), "missing spool is an error without create");
	t->o.create = 1;
	T_OK(spool_open(t->path, &t->o, &t->sp, &err) == 0, "create spool");
	T_OK(stat(t->path, &st) == 0 && (st.st_mode & 0777) == 0700, "spool dir is 0700");
	T_OK(append(t->sp, 3, &t->next, &err) == 1, "batch append is durable at once");
	T_OK(append(t->sp, 2, &t->next, &err) == 1, "second batch");
	T_OK(stat(t->seg1, &st) == 0 && (st.st_mode & 0777) == 0600, "segment is 0600");
	T_OK(stat(t->idx1, &st) == 0 && (st.st_mode & 0777) == 0600, "index is 0600");
	n = read_all(t->sp, &ordered, &last);
	T_EQ_INT(n, 5, "five lines read back");
	T_OK(ordered && last == 4, "in log order");
	{
		char cmd[1400];

		snprintf(cmd, sizeof(cmd), "gzip -t '%s' && test $(zcat '%s' | wc -l) -eq 5",
			 t->seg1, t->seg1);
		T_OK(system(cmd) == 0, "gzip -t and zcat accept the segment");
	}

	/* A torn tail: cut the last member short (a power loss).  A reader
	 * drops the index entry that has no data behind it; the next writer
	 * cuts the partial member. */
	T_OK(truncate(t->seg1, fsize(t->seg1) - 7) == 0, "tear the tail");
	t->seen = (struct seen){ 0 };
	n = read_all(t->sp, &ordered, &last);
	T_EQ_INT(n, 3, "a torn last member is not served");
	T_EQ_INT(t->seen.damage, 0, "a torn tail of the newest segment is not damage");
	T_EQ_INT(t->seen.reindex, 1, "the reader dropped the entry with no data");
	t->seen = (struct seen){ 0 };
	T_OK(append(t->sp, 1, &t->next, &err) == 1, "append after a torn tail");
	T_OK(t->seen.cut == 1 && t->seen.reindex == 0, "tail cut and reported");
	n = read_all(t->sp, &ordered, &last);
	T_EQ_INT(n, 4, "3 old + 1 new after repair");
	T_OK(ordered && last == 5, "new record follows");

	/* Garbage appended by something else. */
	fd = open(t->seg1, O_WRONLY | O_APPEND);
	T_OK(fd >= 0 && write(fd, "garbage!garbage!", 16) == 16, "append garbage");
	close(fd);
	t->seen = (struct seen){ 0 };
	n = read_all(t->sp, &ordered, &last);
	T_EQ_INT(n, 4, "garbage is not served");
	T_EQ_INT(t->seen.damage, 0, "garbage past the committed end is not read at all");
	t->seen = (struct seen){ 0 };
	T_OK(append(t->sp, 2, &t->next, &err) == 1, "append after garbage");
	T_EQ_INT(t->seen.cut, 1, "garbage cut by the next writer");
	T_EQ_INT(read_all(t->sp, &ordered, &last), 6, "6 records after garbage repair");
}

/* A lost index entry, a lost index and a bit flip in a middle member. */
static void test_index(struct tctx *t)
{
	struct rd_err err;
	int ordered, last, n, fd;

	/* A lost index entry: the member is complete, the next writer indexes it. */
	{
		uint64_t cnt;

		fd = open(t->idx1, O_RDWR);
		T_OK(idx_count(fd, &cnt, &err) == 0 && cnt == 3, "three index entries");
		T_OK(idx_truncate(fd, cnt - 1, &err) == 0, "lose the last entry");
		close(fd);
		t->seen = (struct seen){ 0 };
		T_OK(append(t->sp, 1, &t->next, &err) == 1, "append after lost entry");
		T_OK(t->seen.reindex == 1 && t->seen.cut == 0, "member re-indexed, nothing cut");
		fd = open(t->idx1, O_RDWR);
		T_OK(idx_count(fd, &cnt, &err) == 0 && cnt == 4, "index complete again");
		close(fd);
		T_EQ_INT(read_all(t->sp, &ordered, &last), 7, "7 records");
	}
	/* Whole index removed: rebuilt from the members. */
	T_OK(unlink(t->idx1) == 0, "remove index");
	spool_close(t->sp);
	T_OK(spool_open(t->path, &t->o, &t->sp, &err) == 0, "reopen");
	t->seen = (struct seen){ 0 };
	T_OK(append(t->sp, 1, &t->next, &err) == 1, "append rebuilds the index");
	T_EQ_INT(t->seen.reindex, 1, "one notice for the members re-indexed");
	T_EQ_INT(t->seen.last_lost, 7, "naming the 7 records they hold");
	T_EQ_INT(read_all(t->sp, &ordered, &last), 8, "8 records");

	/* A bit flip in a middle member: reported with offset and count,
	 * the members after it still read. */
	{
		struct idx_entry e;

		fd = open(t->idx1, O_RDWR);
		T_OK(idx_read(fd, 1, &e, &err) == 0, "read entry 1");
		close(fd);
		fd = open(t->seg1, O_RDWR);
		{
			unsigned char c;

			T_OK(pread(fd, &c, 1, (off_t)(e.off + e.len / 2)) == 1, "read byte");
			c ^= 0x10;
			T_OK(pwrite(fd, &c, 1, (off_t)(e.off + e.len / 2)) == 1, "flip bit");
		}
		close(fd);
		t->seen = (struct seen){ 0 };
		n = read_all(t->sp, &ordered, &last);
		T_EQ_INT(n, 8 - (int)e.count, "only the damaged member is lost");
		T_OK(t->seen.damage == 1 && t->seen.last_off == e.off &&
		     t->seen.last_lost == (int64_t)e.count,
		     "damage reported with offset and lost count");
		T_OK(ordered && last == t->next - 1, "reading continues after damage");
		t->seen = (struct seen){ 0 };
		T_OK(append(t->sp, 1, &t->next, &err) == 1 && t->seen.cut == 0,
		     "a writer never cuts committed, indexed data");
	}
	spool_close(t->sp);
}

/* Rolling: small segments, every record intact across many. */
static void test_roll(struct tctx *t)
{
	struct rd_err err;
	int ordered, last;

	snprintf(t->path, sizeof(t->path), "%s/roll", t->dir);
	t->o.dir.segment_bytes = 4096;
	T_OK(spool_open(t->path, &t->o, &t->sp, &err) == 0, "open roll spool");
	t->next = 0;
	for (int i = 0; i < 60; i++)
		if (append(t->sp, 5, &t->next, &err) != 1)
			break;
	T_EQ_INT(t->next, 300, "300 records appended");
	T_EQ_INT(read_all(t->sp, &ordered, &last), 300, "300 read across segments");
	T_OK(ordered, "order across segments");
	snprintf(t->seg1, sizeof(t->seg1), "%s/00000000000000000001.ndjson.gz", t->path);
	T_OK(fsize(t->seg1) > 0 && fsize(t->seg1) <= 4096,
	     "a sealed segment stays within --segment-size");
	snprintf(t->seg1, sizeof(t->seg1), "%s/00000000000000000002.ndjson.gz", t->path);
	T_OK(fsize(t->seg1) > 0, "rolled to a second segment");
	{
		/* Resume from a position. */
		struct spool_iter *it;
		struct spool_item item;
		struct spool_pos mid = { 0 };
		int k = 0, first_n = -1;

		spool_iter_new(t->sp, NULL, &it, &err);
		while (spool_iter_next(it, &item, &err) == 1)
			if (++k == 123)
				mid = item.pos;
		spool_iter_free(it);
		spool_iter_new(t->sp, &mid, &it, &err);
		if (spool_iter_next(it, &item, &err) == 1)
			first_n = (int)strtol(strstr(item.line, "\"n\":") + 4, NULL, 10);
		spool_iter_free(it);
		T_EQ_INT(first_n, 122, "iteration resumes at a position");
	}
	spool_close(t->sp);
}

/* The size cap, and the fsync policies. */
static void test_cap_fsync(struct tctx *t)
{
	struct rd_err err;
	int n;

	/* Size cap. */
	snprintf(t->path, sizeof(t->path), "%s/cap", t->dir);
	t->o.dir.segment_bytes = 64 << 20;
	t->o.max_bytes = 2000;
	T_OK(spool_open(t->path, &t->o, &t->sp, &err) == 0, "open capped spool");
	t->next = 0;
	n = 0;
	for (int i = 0; i < 50; i++) {
		int r = append(t->sp, 5, &t->next, &err);

		if (r < 0) {
			n = r;
			break;
		}
	}
	T_EQ_INT(n, RD_E_FULL, "cap refuses a batch");
	T_OK(strstr(err.msg, "is full") != NULL, "cap message says full");
	spool_close(t->sp);

	/* fsync policies. */
	snprintf(t->path, sizeof(t->path), "%s/pol", t->dir);
	t->o.max_bytes = 0;
	t->o.fsync = SPOOL_FSYNC_INTERVAL;
	t->o.fsync_interval_ms = 3600000;
	T_OK(spool_open(t->path, &t->o, &t->sp, &err) == 0, "open interval spool");
	T_EQ_INT(append(t->sp, 1, &t->next, &err), 0, "interval: written, not yet durable");
	T_OK(spool_sync_due_ms(t->sp) > 0, "interval: a sync is pending");
	T_EQ_INT(spool_sync(t->sp, &err), 0, "explicit sync");
	T_EQ_INT(spool_sync_due_ms(t->sp), -1, "nothing pending after sync");
	spool_close(t->sp);
	t->o.fsync = SPOOL_FSYNC_NEVER;
	T_OK(spool_open(t->path, &t->o, &t->sp, &err) == 0, "open never spool");
	T_EQ_INT(append(t->sp, 1, &t->next, &err), 1, "never: acknowledged after write");
	spool_close(t->sp);
	{
		enum spool_fsync f;

		T_OK(spool_fsync_parse("always", &f, &err) == 0 && f == SPOOL_FSYNC_ALWAYS,
		     "parse always");
		T_OK(spool_fsync_parse("sometimes", &f, &err) < 0, "bad policy refused");
	}
}

/* A planted symlink, and a backend that is not built. */
static void test_refusals(struct tctx *t)
{
	struct rd_err err;
	int n;

	/* A symlink planted as the next segment is refused, not followed. */
	snprintf(t->path, sizeof(t->path), "%s/link", t->dir);
	t->o.fsync = SPOOL_FSYNC_BATCH;
	t->o.dir.segment_bytes = 4096;
	T_OK(spool_open(t->path, &t->o, &t->sp, &err) == 0, "open link spool");
	T_EQ_INT(append(t->sp, 1, &t->next, &err), 1, "first append");
	snprintf(t->seg1, sizeof(t->seg1), "%s/00000000000000000002.ndjson.gz", t->path);
	T_OK(symlink("/tmp/rd-should-not-exist", t->seg1) == 0, "plant symlink");
	n = 0;
	for (int i = 0; i < 30 && n >= 0; i++)
		n = append(t->sp, 5, &t->next, &err);
	T_OK(n < 0 && strstr(err.msg, "Too many levels of symbolic links"),
	     "symlink segment refused");
	T_OK(access("/tmp/rd-should-not-exist", F_OK) != 0, "nothing written through the link");
	spool_close(t->sp);

	T_OK(spool_open("kafka://127.0.0.1:9092/S", &t->o, &t->sp, &err) == RD_E_UNSUPP,
	     "a backend this build does not have is refused");
	T_OK(spool_open("nats://127.0.0.1/S", &t->o, &t->sp, &err) < 0 && !t->sp,
	     "a NATS location that cannot be reached opens nothing");
}

int main(void)
{
	struct tctx t = { .dir = "/tmp/rd-test-spool.XXXXXX" };
	struct rd_err err;
	char cmd[600];

	rec_idgen_init(&g, &err);
	if (!mkdtemp(t.dir))
		return 1;
	snprintf(t.path, sizeof(t.path), "%s/sub/spool", t.dir);
	snprintf(t.seg1, sizeof(t.seg1), "%s/00000000000000000001.ndjson.gz", t.path);
	snprintf(t.idx1, sizeof(t.idx1), "%s/00000000000000000001.idx", t.path);
	spool_opts_init(&t.o);
	t.o.notice = on_notice;
	t.o.notice_ctx = &t.seen;
	test_tails(&t);
	test_index(&t);
	test_roll(&t);
	test_cap_fsync(&t);
	test_refusals(&t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t.dir);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}
