/* Unit tests for the directory spool's commit rules: readers see only
 * committed batches (an interval writer's waiting batches, a batch taken
 * back at close), rolls commit what waits, members stay small, records
 * over the limit are refused, a dead writer's complete members are
 * indexed by a reader, a segment deleted under a writer is not written
 * to, checkpoint marks notice a changed log, the size cap holds across
 * writers, unsafe directories are refused, and index entries name each
 * member by the first id the writer handed over. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idx.h"
#include "rec.h"
#include "sdir.h"
#include "spool.h"
#include "t.h"

static struct rec_idgen g;

/*
 * A batch of n lines padded with pad incompressible bytes each, handed
 * over with their ids (as the batch layer does); with ids NULL through
 * plain spool_append, with the first id only.  canon: lines in the
 * record schema's canonical form, else lines with no id in them.  The
 * ids go to ids_out (n * REC_ID_LEN chars) when it is not NULL.
 */
static int append_as(struct spool *sp, int n, int pad, int canon, int with_ids,
		     struct buf *ids_out, struct rd_err *err)
{
	struct buf b, ids;
	char id[REC_ID_LEN + 1];
	struct spool_batch sb;
	int r;

	buf_init(&b);
	buf_init(&ids);
	for (int i = 0; i < n; i++) {
		rec_id_next(&g, rec_now_ms(), id);
		buf_add(&ids, id, REC_ID_LEN);
		if (canon)
			buf_addf(&b, "{\"v\":1,\"kind\":\"request\",\"id\":\"%s\",\"pad\":\"", id);
		else
			buf_adds(&b, "{\"pad\":\"");
		for (int k = 0; k < pad; k++)
			buf_addc(&b, (char)('a' + rand() % 26));
		buf_adds(&b, "\"}\n");
	}
	buf_addc(&ids, '\0');
	sb.data = b.data;
	sb.len = b.len;
	sb.count = (uint32_t)n;
	sb.first_id = ids.data;
	r = with_ids ? spool_append_ids(sp, &sb, ids.data, err) :
		       spool_append(sp, &sb, err);
	if (ids_out)
		buf_add(ids_out, ids.data, (size_t)n * REC_ID_LEN);
	buf_release(&ids);
	buf_release(&b);
	return r;
}

/* A batch of n records padded with pad incompressible bytes each. */
static int append(struct spool *sp, int n, int pad, struct rd_err *err)
{
	return append_as(sp, n, pad, 1, 1, NULL, err);
}

static int count(struct spool *sp)
{
	struct spool_iter *it;
	struct spool_item item;
	struct rd_err err;
	int n = 0, r;

	if (spool_iter_new(sp, NULL, &it, &err) < 0)
		return -1;
	while ((r = spool_iter_next(it, &item, &err)) == 1)
		n++;
	spool_iter_free(it);
	return r < 0 ? -1 : n;
}

/* The position of the k-th line (0-based). */
static struct spool_pos pos_of(struct spool *sp, int k)
{
	struct spool_iter *it;
	struct spool_item item;
	struct spool_pos p = { 0, 0, 0 };
	struct rd_err err;

	if (spool_iter_new(sp, NULL, &it, &err) < 0)
		return p;
	for (int i = 0; spool_iter_next(it, &item, &err) == 1; i++)
		if (i == k) {
			p = item.pos;
			p.line++;
			break;
		}
	spool_iter_free(it);
	return p;
}

static off_t fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static uint64_t entries(const char *idx)
{
	return (uint64_t)(fsize(idx) - IDX_HEADER_SIZE) / IDX_ENTRY_SIZE;
}

static void seg_path(char *out, size_t n, const char *dir, int seg,
		     const char *suffix)
{
	snprintf(out, n, "%s/%020d%s", dir, seg, suffix);
}

static void test_interval(const char *dir)
{
	struct spool_opts o;
	struct spool *w = NULL, *r = NULL;
	struct rd_err err;
	char seg[600];
	off_t before;

	spool_opts_init(&o);
	o.create = 1;
	o.fsync = SPOOL_FSYNC_INTERVAL;
	o.fsync_interval_ms = 3600000;
	T_OK(spool_open(dir, &o, &w, &err) == 0, "open interval writer");
	o.fsync = SPOOL_FSYNC_BATCH;
	T_OK(spool_open(dir, &o, &r, &err) == 0, "open reader");
	T_EQ_INT(append(w, 10, 100, &err), 0, "written, waiting for the interval");
	T_EQ_INT(append(w, 10, 100, &err), 0, "a second batch waits too");
	T_EQ_INT(count(r), 0, "a reader sees none of the waiting batches");
	T_EQ_INT(spool_sync(w, &err), 0, "the interval sync");
	T_EQ_INT(count(r), 20, "once synced they are committed and seen");
	T_EQ_INT(append(r, 1, 10, &err), 1, "another writer appends after it");
	T_EQ_INT(count(r), 21, "21 records");
	/* Waiting batches of a writer that stops without syncing were
	 * never acknowledged: they are taken back. */
	seg_path(seg, sizeof(seg), dir, 1, ".ndjson.gz");
	before = fsize(seg);
	T_EQ_INT(append(w, 5, 100, &err), 0, "written, waiting");
	T_OK(fsize(seg) > before, "on disk");
	spool_close(w);
	T_EQ_INT(fsize(seg), before, "taken back at close");
	T_EQ_INT(count(r), 21, "nothing of it read");
	spool_close(r);
}

static void test_interval_roll(const char *dir)
{
	struct spool_opts o;
	struct spool *w = NULL, *r = NULL;
	struct rd_err err;
	char idx1[600], seg2[600];
	int n = 0;

	spool_opts_init(&o);
	o.create = 1;
	o.fsync = SPOOL_FSYNC_INTERVAL;
	o.fsync_interval_ms = 3600000;
	o.dir.segment_bytes = 4096;
	T_OK(spool_open(dir, &o, &w, &err) == 0, "open interval writer, 4K segments");
	seg_path(seg2, sizeof(seg2), dir, 2, ".ndjson.gz");
	seg_path(idx1, sizeof(idx1), dir, 1, ".idx");
	while (fsize(seg2) <= 0 && n < 1000)
		if (append(w, 5, 300, &err) == 0)
			n += 5;
	T_OK(fsize(seg2) > 0, "rolled");
	T_OK(entries(idx1) > 0, "the rolled segment's batches are committed");
	o.fsync = SPOOL_FSYNC_BATCH;
	T_OK(spool_open(dir, &o, &r, &err) == 0, "open reader");
	T_EQ_INT(count(r), n - 5, "all but the batch in the new segment are seen");
	T_EQ_INT(spool_sync(w, &err), 0, "sync");
	T_EQ_INT(count(r), n, "and then that one too");
	spool_close(w);
	spool_close(r);
}

static void test_members(const char *dir)
{
	struct spool_opts o;
	struct spool *sp = NULL;
	struct rd_err err;
	char seg[600], idx[600];
	uint64_t n;
	int fd, ok = 1;

	spool_opts_init(&o);
	o.create = 1;
	T_OK(spool_open(dir, &o, &sp, &err) == 0, "open");
	T_EQ_INT(append(sp, 1000, 400, &err), 1, "a 450 KB batch");
	seg_path(seg, sizeof(seg), dir, 1, ".ndjson.gz");
	seg_path(idx, sizeof(idx), dir, 1, ".idx");
	n = entries(idx);
	T_OK(n >= 7, "cut into members of at most 64 KiB, one index entry each");
	fd = open(idx, O_RDONLY);
	for (uint64_t i = 0; i < n; i++) {
		struct idx_entry e;

		ok &= idx_read(fd, i, &e, &err) == 0 && e.count > 0 &&
		      e.count * 450 <= SPOOL_MEMBER_BYTES + 450;
	}
	close(fd);
	T_OK(ok, "every member holds about 64 KiB of records or less");
	T_EQ_INT(count(sp), 1000, "all read back");
	{
		char cmd[1300];

		snprintf(cmd, sizeof(cmd), "gzip -t '%s' && test $(zcat '%s' | wc -l) -eq 1000",
			 seg, seg);
		T_OK(system(cmd) == 0, "gzip -t and zcat read the members");
	}
	spool_close(sp);
	/* A line longer than what readers inflate is refused. */
	o.dir.max_member_bytes = 4096;
	T_OK(spool_open(dir, &o, &sp, &err) == 0, "open with a 4 KiB member bound");
	T_EQ_INT(append(sp, 1, 5000, &err), RD_E_FULL, "a 5 KB record refused");
	T_OK(strstr(err.msg, "over the") != NULL, "saying it is over the limit");
	T_EQ_INT(append(sp, 1, 3000, &err), 1, "a 3 KB record stored");
	spool_close(sp);
}

static void count_finding(void *ctx, const struct spool_finding *f)
{
	(*(int *)ctx)++;
}

/*
 * The index names each member by its first record.  The writer hands the
 * ids over (spool_append_ids), so the directory takes them from there and
 * never out of the lines: even lines with no id in them get the ids they
 * were handed.  Through plain spool_append (the first id only) the later
 * members' ids are read back from the lines' canonical prefixes, and come
 * out the same.  Either way verify finds the index agreeing with the
 * members.
 */
struct idcase {
	const char *name;
	int canon, with_ids, findings;
};

static const struct idcase idcases[] = {
	{ "handed over", 1, 1, 0 },
	{ "first id only, canonical lines", 1, 0, 0 },
	/* The members hold no ids to agree with: verify says so. */
	{ "handed over, lines without ids", 0, 1, -1 },
};

static void test_first_ids(const char *dir)
{
	for (size_t c = 0; c < sizeof(idcases) / sizeof(idcases[0]); c++) {
		const struct idcase *t = &idcases[c];
		struct spool_opts o;
		struct spool *sp = NULL;
		struct spool_verify_stats st;
		struct rd_err err;
		struct buf ids;
		char sub[600], idx[700], name[200];
		uint64_t n, line = 0;
		int fd, ok = 1, found = 0;

		snprintf(sub, sizeof(sub), "%s/%zu", dir, c);
		spool_opts_init(&o);
		o.create = 1;
		buf_init(&ids);
		T_OK(spool_open(sub, &o, &sp, &err) == 0, "open");
		snprintf(name, sizeof(name), "%s: a batch of several members", t->name);
		T_EQ_INT(append_as(sp, 600, 300, t->canon, t->with_ids, &ids, &err), 1, name);
		seg_path(idx, sizeof(idx), sub, 1, ".idx");
		n = entries(idx);
		fd = open(idx, O_RDONLY);
		for (uint64_t i = 0; i < n; i++) {
			struct idx_entry e;

			ok &= idx_read(fd, i, &e, &err) == 0 && line < 600 &&
			      memcmp(e.first_id, ids.data + line * REC_ID_LEN,
				     REC_ID_LEN) == 0;
			line += e.count;
		}
		close(fd);
		snprintf(name, sizeof(name), "%s: several members", t->name);
		T_OK(n >= 3, name);
		snprintf(name, sizeof(name), "%s: each entry names its member's first record", t->name);
		T_OK(ok && line == 600, name);
		T_EQ_INT(spool_verify(sp, count_finding, &found, &st, &err), 0, "verify");
		snprintf(name, sizeof(name), "%s: verify's cross-check", t->name);
		if (t->findings < 0)
			T_EQ_INT(found, (long long)n, name);
		else
			T_EQ_INT(found, t->findings, name);
		buf_release(&ids);
		spool_close(sp);
	}
}

/* Reading a member's first id back from its line's canonical prefix. */
struct pcase {
	const char *line;
	const char *id;          /* "" when there is none */
};

static const struct pcase pcases[] = {
	{ "{\"v\":1,\"kind\":\"request\",\"id\":\"01JDZ00000000000000000000A\",\"x\":1}\n",
	  "01JDZ00000000000000000000A" },
	{ "{\"v\":1,\"kind\":\"attempt\",\"id\":\"01JDZ00000000000000000000B\"}",
	  "01JDZ00000000000000000000B" },
	/* a kind this version does not know keeps the prefix */
	{ "{\"v\":1,\"kind\":\"run\",\"id\":\"01JDZ00000000000000000000C\",\"pid\":7}\n",
	  "01JDZ00000000000000000000C" },
	/* not the canonical prefix: no id, however near one is */
	{ "{\"id\":\"01JDZ00000000000000000000D\",\"v\":1}\n", "" },
	{ "{\"v\":1, \"kind\":\"request\",\"id\":\"01JDZ00000000000000000000E\"}\n", "" },
	{ "{\"v\":1,\"kind\":\"request\",\"url\":\"01JDZ00000000000000000000F\"}\n", "" },
	{ "{\"v\":2,\"kind\":\"request\",\"id\":\"01JDZ00000000000000000000G\"}\n", "" },
	/* not an id: too long, too short, a letter outside the alphabet */
	{ "{\"v\":1,\"kind\":\"request\",\"id\":\"01JDZ00000000000000000000HH\"}\n", "" },
	{ "{\"v\":1,\"kind\":\"request\",\"id\":\"01JDZ0000000000000000000J\"}\n", "" },
	{ "{\"v\":1,\"kind\":\"request\",\"id\":\"01JDZ0000000000000000000UK\"}\n", "" },
	/* cut short */
	{ "{\"v\":1,\"kind\":\"request\",\"id\":\"01JDZ00000000000000000000M", "" },
	{ "{\"v\":1,\"kind\":\"requ", "" },
	{ "", "" },
};

static void test_prefix_ids(void)
{
	for (size_t i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		char got[REC_ID_LEN + 1], name[160];

		memset(got, 'x', sizeof(got));
		sdir_first_id(pcases[i].line, strlen(pcases[i].line), got);
		snprintf(name, sizeof(name), "first id of case %zu", i);
		T_EQ_STR(got, pcases[i].id, name);
	}
}

static void test_dead_writer(const char *dir)
{
	struct spool_opts o;
	struct spool *sp = NULL;
	struct rd_err err;
	char seg[600], idx[600], cmd[1400];

	spool_opts_init(&o);
	o.create = 1;
	T_OK(spool_open(dir, &o, &sp, &err) == 0, "open");
	T_EQ_INT(append(sp, 3, 10, &err), 1, "three records");
	seg_path(seg, sizeof(seg), dir, 1, ".ndjson.gz");
	seg_path(idx, sizeof(idx), dir, 1, ".idx");
	/* A writer that died after its write, before its index entry: a
	 * complete member with no entry, and no writer at work. */
	snprintf(cmd, sizeof(cmd),
		 "printf '{\"v\":1,\"kind\":\"request\",\"id\":\"01JDZ00000000000000000000A\"}\\n' | gzip -c >> '%s'",
		 seg);
	T_OK(system(cmd) == 0, "a member past the index");
	T_EQ_INT(entries(idx), 1, "not indexed");
	T_EQ_INT(count(sp), 4, "a reader indexes and serves it");
	T_EQ_INT(entries(idx), 2, "indexed");
	{
		struct idx_entry e;
		int fd = open(idx, O_RDONLY);

		T_OK(idx_read(fd, 1, &e, &err) == 0 &&
		     strcmp(e.first_id, "01JDZ00000000000000000000A") == 0,
		     "named by the id read back from its line");
		close(fd);
	}
	spool_close(sp);
}

static void test_deleted_current(const char *dir)
{
	struct spool_opts o;
	struct spool *sp = NULL;
	struct rd_err err;
	char seg[600], idx[600];

	spool_opts_init(&o);
	o.create = 1;
	T_OK(spool_open(dir, &o, &sp, &err) == 0, "open");
	T_EQ_INT(append(sp, 2, 10, &err), 1, "two records");
	seg_path(seg, sizeof(seg), dir, 1, ".ndjson.gz");
	seg_path(idx, sizeof(idx), dir, 1, ".idx");
	T_OK(unlink(seg) == 0 && unlink(idx) == 0, "the segment deleted by hand");
	T_EQ_INT(append(sp, 3, 10, &err), 1, "the writer appends on");
	T_EQ_INT(count(sp), 3, "into a segment that exists, not the unlinked one");
	spool_close(sp);
}

static void test_marks(const char *dir)
{
	struct spool_opts o;
	struct spool *sp = NULL;
	struct spool_mark m;
	struct spool_pos p;
	struct rd_err err;
	char seg1[600], idx1[600];
	off_t keep;

	spool_opts_init(&o);
	o.create = 1;
	o.dir.segment_bytes = 4096;
	T_OK(spool_open(dir, &o, &sp, &err) == 0, "open");
	for (int i = 0; i < 12; i++)
		append(sp, 4, 200, &err);
	seg_path(seg1, sizeof(seg1), dir, 1, ".ndjson.gz");
	seg_path(idx1, sizeof(idx1), dir, 1, ".idx");
	p = pos_of(sp, 41);
	T_OK(p.seg >= 2, "a position in a later segment");
	T_EQ_INT(spool_mark(sp, &p, &m, &err), 0, "mark");
	T_EQ_INT(spool_mark_check(sp, &p, &m, &err), 0, "the log still holds it");
	{
		struct spool_pos other = p;

		other.off += 1;
		T_EQ_INT(spool_mark_check(sp, &other, &m, &err), RD_E_CORRUPT,
			 "a mark is for its own position");
	}
	append(sp, 4, 200, &err);
	T_EQ_INT(spool_mark_check(sp, &p, &m, &err), 0, "appends change nothing");
	/* the oldest segment deleted by hand */
	T_OK(rename(seg1, "/tmp/rd-test-sdir-seg1") == 0, "delete segment 1");
	T_EQ_INT(spool_mark_check(sp, &p, &m, &err), RD_E_CORRUPT, "noticed");
	T_OK(strstr(err.msg, "oldest segment") != NULL, "saying so");
	T_OK(rename("/tmp/rd-test-sdir-seg1", seg1) == 0, "put it back");
	T_EQ_INT(spool_mark_check(sp, &p, &m, &err), 0, "the same log again");
	/* a power loss took back the position's member; a new batch lands
	 * where it was */
	{
		char segp[600];

		seg_path(segp, sizeof(segp), dir, (int)p.seg, ".ndjson.gz");
		keep = (off_t)p.off;
		T_OK(truncate(segp, keep) == 0, "the member is gone");
		T_EQ_INT(spool_mark_check(sp, &p, &m, &err), RD_E_CORRUPT,
			 "a member that is gone is noticed");
	}
	spool_close(sp);
	/* nothing read: nothing to hold */
	T_OK(spool_open(dir, &o, &sp, &err) == 0, "reopen");
	T_EQ_INT(spool_mark(sp, NULL, &m, &err), 0, "mark of nothing read");
	p.seg = p.off = p.line = 0;
	T_EQ_INT(spool_mark_check(sp, &p, &m, &err), 0, "holds whatever the log");
	spool_close(sp);
}

static void test_cap(const char *dir)
{
	struct spool_opts o;
	struct spool *a = NULL, *b = NULL;
	struct rd_err err;
	char cmd[700];
	int ra = 1, rb = 1, n = 0;
	FILE *f;
	long used = -1;

	spool_opts_init(&o);
	o.create = 1;
	o.max_bytes = 30000;
	T_OK(spool_open(dir, &o, &a, &err) == 0 && spool_open(dir, &o, &b, &err) == 0,
	     "two writers, one cap");
	while ((ra > 0 || rb > 0) && n++ < 100) {
		if (ra > 0)
			ra = append(a, 2, 1000, &err);
		if (rb > 0)
			rb = append(b, 2, 1000, &err);
	}
	T_OK(ra == RD_E_FULL && rb == RD_E_FULL, "both refused in the end");
	snprintf(cmd, sizeof(cmd), "cat '%s'/*.ndjson.gz '%s'/*.idx | wc -c", dir, dir);
	if ((f = popen(cmd, "r"))) {
		if (fscanf(f, "%ld", &used) != 1)
			used = -1;
		pclose(f);
	}
	T_OK(used > 20000 && used <= 30000, "the spool never went past the cap");
	spool_close(a);
	spool_close(b);
}

static void test_trust(const char *dir)
{
	struct spool_opts o;
	struct spool *sp = NULL;
	struct rd_err err;
	char seg[600];

	spool_opts_init(&o);
	o.create = 1;
	T_OK(spool_open(dir, &o, &sp, &err) == 0, "open");
	T_EQ_INT(append(sp, 1, 10, &err), 1, "one record");
	spool_close(sp);
	T_OK(chmod(dir, 0777) == 0, "the spool opened to everyone");
	T_EQ_INT(spool_open(dir, &o, &sp, &err), RD_E_INVAL, "refused");
	T_OK(strstr(err.msg, "can be written by other users") != NULL, "saying why");
	o.trust = 1;
	T_EQ_INT(spool_open(dir, &o, &sp, &err), 0, "trusted, it opens");
	spool_close(sp);
	o.trust = 0;
	T_OK(chmod(dir, 0700) == 0, "private again");
	seg_path(seg, sizeof(seg), dir, 1, ".ndjson.gz");
	T_OK(chmod(seg, 0666) == 0, "a segment anyone may write");
	T_OK(spool_open(dir, &o, &sp, &err) == 0, "the directory is fine");
	T_EQ_INT(count(sp), -1, "the segment is refused to readers");
	T_EQ_INT(append(sp, 1, 10, &err), RD_E_INVAL, "and to writers");
	spool_close(sp);
}

int main(void)
{
	char dir[] = "/tmp/rd-test-sdir.XXXXXX", path[64];
	struct rd_err err;

	if (!mkdtemp(dir) || rec_idgen_init(&g, &err) < 0)
		return 2;
	snprintf(path, sizeof(path), "%s/interval", dir);
	test_interval(path);
	snprintf(path, sizeof(path), "%s/roll", dir);
	test_interval_roll(path);
	snprintf(path, sizeof(path), "%s/members", dir);
	test_members(path);
	test_prefix_ids();
	snprintf(path, sizeof(path), "%s/ids", dir);
	test_first_ids(path);
	snprintf(path, sizeof(path), "%s/dead", dir);
	test_dead_writer(path);
	snprintf(path, sizeof(path), "%s/deleted", dir);
	test_deleted_current(path);
	snprintf(path, sizeof(path), "%s/marks", dir);
	test_marks(path);
	snprintf(path, sizeof(path), "%s/cap", dir);
	test_cap(path);
	snprintf(path, sizeof(path), "%s/trust", dir);
	test_trust(path);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return t_done();
}
