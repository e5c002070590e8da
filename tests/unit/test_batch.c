/*
 * test_batch.c - batching through the writer thread: acks are released
 * only after the append (and its fsync policy) is done, in input order,
 * and batches reach the spool in order; an append error drops both the
 * batch in flight and the open one, acknowledging neither.
 */
#include "batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "t.h"

static struct rec_idgen g;

/* Add record n with ack "n\n"; returns batch_add's "full" flag. */
static int add(struct batch *b, int n)
{
	struct rec_req r;
	char url[64], ack[32];

	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "http://h.example/%d", n);
	snprintf(ack, sizeof(ack), "%d\n", n);
	r.method.p = "POST";
	r.method.n = 4;
	r.url.p = url;
	r.url.n = strlen(url);
	r.body.p = "";
	r.fail_type.p = "timeout";
	r.fail_type.n = 7;
	r.captured_ms = rec_now_ms();
	rec_id_next(&g, r.captured_ms, r.id);
	return batch_add(b, &r, ack, strlen(ack));
}

/* "0\n1\n...\n(n-1)\n" */
static void seq(struct buf *out, int from, int to)
{
	buf_reset(out);
	for (int i = from; i < to; i++)
		buf_addf(out, "%d\n", i);
}

/* The URLs' numbers in spool order, as "n\n" lines. */
static void stored(struct spool *sp, struct buf *out)
{
	struct spool_iter *it;
	struct spool_item item;
	struct rd_err err;

	buf_reset(out);
	if (spool_iter_new(sp, NULL, &it, &err) < 0)
		return;
	while (spool_iter_next(it, &item, &err) == 1) {
		const char *u = memmem(item.line, item.len, "h.example/", 10);

		if (u)
			buf_addf(out, "%ld\n", strtol(u + 10, NULL, 10));
	}
	spool_iter_free(it);
}

/* Batches of 7, pipelined: every ack, in order, each after its
 * batch is stored. */
static void test_pipelined(const char *dir)
{
	char path[600];
	struct spool_opts o;
	struct spool *sp;
	struct batch b;
	struct rd_err err;
	struct buf out, want, got;
	int i;

	buf_init(&out);
	buf_init(&want);
	buf_init(&got);
	spool_opts_init(&o);
	o.create = 1;
	snprintf(path, sizeof(path), "%s/a", dir);
	T_OK(spool_open(path, &o, &sp, &err) == 0, "open");
	batch_init(&b, sp, 1 << 20, 7);
	{
		int bad = 0;

		for (i = 0; i < 1000; i++)
			if (add(&b, i) && batch_flush(&b, &out, &err) < 0)
				bad++;
		T_EQ_INT(bad, 0, "every hand-over succeeds");
	}
	T_OK(batch_finish(&b, &out, &err) == 0, "finish");
	seq(&want, 0, 1000);
	T_EQ_STR(out.data, want.data, "1000 acks in input order");
	stored(sp, &got);
	T_EQ_STR(got.data, want.data, "1000 records stored in input order");
	batch_release(&b);
	spool_close(sp);
	buf_release(&out);
	buf_release(&want);
	buf_release(&got);
}

/* A handed-over batch is not acknowledged before batch_wait. */
static void test_wait(const char *dir)
{
	char path[600];
	struct spool_opts o;
	struct spool *sp;
	struct batch b;
	struct rd_err err;
	struct buf out;

	buf_init(&out);
	spool_opts_init(&o);
	o.create = 1;
	snprintf(path, sizeof(path), "%s/b", dir);
	T_OK(spool_open(path, &o, &sp, &err) == 0, "open");
	batch_init(&b, sp, 1 << 20, 3);
	buf_reset(&out);
	add(&b, 0);
	add(&b, 1);
	T_OK(add(&b, 2) == 1, "third record fills the batch");
	T_OK(batch_flush(&b, &out, &err) == 0, "hand over");
	T_EQ_INT(out.len, 0, "no ack before the append is waited for");
	T_OK(batch_wait(&b, &out, &err) == 0, "wait");
	T_EQ_STR(out.data, "0\n1\n2\n", "acks after the wait");
	add(&b, 3);
	T_OK(batch_commit(&b, &out, &err) == 0, "commit a partial batch");
	T_EQ_STR(out.data, "0\n1\n2\n3\n", "commit acknowledges at once");
	batch_release(&b);
	spool_close(sp);
	buf_release(&out);
}

/* --fsync interval: written but not acknowledged until synced. */
static void test_interval(const char *dir)
{
	char path[600];
	struct spool_opts o;
	struct spool *sp;
	struct batch b;
	struct rd_err err;
	struct buf out;

	buf_init(&out);
	spool_opts_init(&o);
	o.create = 1;
	snprintf(path, sizeof(path), "%s/c", dir);
	o.fsync = SPOOL_FSYNC_INTERVAL;
	o.fsync_interval_ms = 3600 * 1000;
	T_OK(spool_open(path, &o, &sp, &err) == 0, "open");
	batch_init(&b, sp, 1 << 20, 100);
	buf_reset(&out);
	add(&b, 0);
	add(&b, 1);
	T_OK(batch_commit(&b, &out, &err) == 0 && out.len == 0,
	     "interval: no ack before the sync");
	T_OK(batch_tick(&b, &out, &err) == 0 && out.len == 0,
	     "interval: not due yet, still no ack");
	T_OK(batch_finish(&b, &out, &err) == 0, "finish syncs");
	T_EQ_STR(out.data, "0\n1\n", "interval: acks after the sync");
	batch_release(&b);
	spool_close(sp);
	buf_release(&out);
}

/* A failed append (the cap) acknowledges nothing of the batch in
 * flight nor of the open one. */
static void test_failed_append(const char *dir)
{
	char path[600];
	struct spool_opts o;
	struct spool *sp;
	struct batch b;
	struct rd_err err;
	struct buf out, got;

	buf_init(&out);
	buf_init(&got);
	snprintf(path, sizeof(path), "%s/d", dir);
	spool_opts_init(&o);
	o.create = 1;
	o.max_bytes = 1;
	T_OK(spool_open(path, &o, &sp, &err) == 0, "open");
	batch_init(&b, sp, 1 << 20, 2);
	buf_reset(&out);
	add(&b, 0);
	add(&b, 1);
	T_OK(batch_flush(&b, &out, &err) == 0, "hand over a batch that will fail");
	add(&b, 2);
	T_OK(batch_finish(&b, &out, &err) == RD_E_FULL, "the failure surfaces");
	T_OK(strstr(err.msg, "full") != NULL, "with its reason");
	T_EQ_INT(out.len, 0, "nothing acknowledged");
	stored(sp, &got);
	T_EQ_INT(got.len, 0, "nothing stored");
	batch_release(&b);
	spool_close(sp);
	buf_release(&out);
	buf_release(&got);
}

/* --fsync interval: a failure takes back the batches still waiting,
 * and their acks go with them, never to be released by a later
 * sync. */
static void test_failed_sync(const char *dir)
{
	char path[600];
	struct spool_opts o;
	struct spool *sp;
	struct batch b;
	struct rd_err err;
	struct buf out, got;
	int i;

	buf_init(&out);
	buf_init(&got);
	snprintf(path, sizeof(path), "%s/e", dir);
	spool_opts_init(&o);
	o.create = 1;
	o.fsync = SPOOL_FSYNC_INTERVAL;
	o.fsync_interval_ms = 3600 * 1000;
	o.max_bytes = 3000;
	T_OK(spool_open(path, &o, &sp, &err) == 0, "open");
	batch_init(&b, sp, 1 << 20, 5000);
	buf_reset(&out);
	for (i = 0; i < 10; i++)
		add(&b, i);
	T_OK(batch_commit(&b, &out, &err) == 0 && out.len == 0, "ten records wait");
	for (i = 10; i < 2010; i++)
		add(&b, i);
	T_OK(batch_commit(&b, &out, &err) == RD_E_FULL, "the next batch fails");
	T_OK(batch_finish(&b, &out, &err) == 0, "a later sync succeeds");
	T_EQ_INT(out.len, 0, "and acknowledges nothing taken back");
	stored(sp, &got);
	T_EQ_INT(got.len, 0, "nothing stored");
	batch_release(&b);
	spool_close(sp);
	buf_release(&out);
	buf_release(&got);
}

/* A record longer, as stored, than readers inflate is refused,
 * and the batch stays as it was. */
static void test_long_record(const char *dir)
{
	char path[600];
	struct spool_opts o;
	struct spool *sp;
	struct batch b;
	struct rd_err err;
	struct buf out;

	buf_init(&out);
	snprintf(path, sizeof(path), "%s/f", dir);
	spool_opts_init(&o);
	o.create = 1;
	T_OK(spool_open(path, &o, &sp, &err) == 0, "open");
	batch_init(&b, sp, 1 << 20, 10);
	T_EQ_INT(b.max_line, SPOOL_RECORD_MAX, "the limit is the spool's");
	buf_reset(&out);
	add(&b, 0);
	b.max_line = 100;
	T_EQ_INT(add(&b, 1000), RD_E_FULL, "a record over the limit is refused");
	T_OK(b.last_line > 100, "its length is told");
	b.max_line = SPOOL_RECORD_MAX;
	add(&b, 2);
	T_OK(batch_finish(&b, &out, &err) == 0, "the others are stored");
	T_EQ_STR(out.data, "0\n2\n", "and acknowledged");
	batch_release(&b);
	spool_close(sp);
	buf_release(&out);
}

int main(void)
{
	char dir[] = "/tmp/rd-test-batch.XXXXXX", cmd[600];
	struct rd_err err;

	if (!mkdtemp(dir) || rec_idgen_init(&g, &err) < 0)
		return 2;
	test_pipelined(dir);
	test_wait(dir);
	test_interval(dir);
	test_failed_append(dir);
	test_failed_sync(dir);
	test_long_record(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 2;
	return t_done();
}
