/*
 * The spool's backend contract (spool.h, queue.h), written once and run
 * against every backend in the table below: the directory, and a NATS
 * JetStream server started here on 127.0.0.1 (tests/helpers/nats.sh;
 * skipped when nats-server is not installed).  A backend joins by adding
 * a row: how to make a fresh location, how to damage what it stores, how
 * to remove it, and what it does not promise (redrive-spool(5)).
 *
 * Log tier: appended batches are acknowledged and read back whole and
 * in order; a batch is atomic across a kill -9; a refused batch leaves
 * nothing; damage is reported and skipped, and what follows it is read.
 * Queue tier: due records are offered; intent, ok, retry, dead, release
 * and revive do what they say; a new queue sees the same states (from a
 * checkpoint or from the log alone); a consumer killed with events in
 * flight loses no record, and an intent with no outcome counts.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pend.h"
#include "queue.h"
#include "rec.h"
#include "spool.h"
#include "t.h"

/* --- the backends -------------------------------------------------------- */

struct backend {
	const char *name;
	/* A fresh, empty location, into loc; 0, or -1 when this backend
	 * cannot run here (its server is not installed). */
	int (*make)(char *loc, size_t n);
	/* Damage the stored bytes near the middle of what is stored, so a
	 * reader has something to report and skip; NULL when the backend
	 * keeps its own checksums and reports loss itself (verify). */
	void (*damage)(const char *loc);
	void (*drop)(const char *loc);
	/* Batches are atomic across a crash (NATS: each line is a message). */
	int atomic;
	/* Taken records come back after the lease when their consumer dies,
	 * not at once: how long to wait, in ms. */
	int lease_ms;
};

static int dir_make(char *loc, size_t n)
{
	snprintf(loc, n, "%s/rd-contract-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(loc))
		abort();
	return 0;
}

static void dir_damage(const char *loc)
{
	char path[512];
	struct stat st;
	unsigned char c;
	int fd;

	snprintf(path, sizeof(path), "%s/%020d.ndjson.gz", loc, 1);
	if ((fd = open(path, O_RDWR)) < 0 || fstat(fd, &st) < 0)
		abort();
	if (pread(fd, &c, 1, st.st_size / 2) != 1)
		abort();
	c ^= 0x5a;
	if (pwrite(fd, &c, 1, st.st_size / 2) != 1)
		abort();
	close(fd);
}

static void dir_drop(const char *loc)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", loc);
	if (system(cmd) != 0)
		abort();
}

/* One nats-server for the whole run, a stream per location. */
static struct {
	int tried, up;
	long pid;
	int port;
	char dir[256];
	unsigned streams;
} ns;

static void nats_stop(void)
{
	char cmd[300];

	if (!ns.up)
		return;
	kill((pid_t)ns.pid, SIGTERM);
	for (int i = 0; i < 100 && kill((pid_t)ns.pid, 0) == 0; i++)
		usleep(50000);
	kill((pid_t)ns.pid, SIGKILL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ns.dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", ns.dir);
	ns.up = 0;
}

static int nats_make(char *loc, size_t n)
{
	if (!ns.tried) {
		const char *top = getenv("RD_TOP") ? getenv("RD_TOP") : ".";
		char cmd[600];
		int mon;
		FILE *p;

		ns.tried = 1;
		if (system("command -v nats-server > /dev/null 2>&1") != 0) {
			printf("# nats-server is not installed: the NATS backend is not tested\n");
			return -1;
		}
		snprintf(ns.dir, sizeof(ns.dir), "%s/rd-contract-nats-XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(ns.dir))
			abort();
		snprintf(cmd, sizeof(cmd), "sh '%s/tests/helpers/nats.sh' single '%s'", top, ns.dir);
		if (!(p = popen(cmd, "r")) ||
		    fscanf(p, "%ld %d %d", &ns.pid, &ns.port, &mon) != 3) {
			printf("# nats-server did not start\n");
			abort();
		}
		pclose(p);
		ns.up = 1;
		atexit(nats_stop);
	}
	if (!ns.up)
		return -1;
	snprintf(loc, n, "nats://127.0.0.1:%d/CT%u_%ld", ns.port, ++ns.streams,
		 (long)getpid());
	return 0;
}

/* Streams go with the server. */
static void nats_drop(const char *loc)
{
	(void)loc;
}

static const struct backend backends[] = {
	{ "dir", dir_make, dir_damage, dir_drop, 1, 0 },
	{ "nats", nats_make, NULL, nats_drop, 0, 2000 },
};

/* --- helpers ------------------------------------------------------------- */

static struct rec_idgen ids;
static int64_t now_ms;
static int lease_ms;   /* of the backend under test */

struct notes {
	int damage;
};

static void on_notice(void *ctx, const struct spool_notice *n)
{
	struct notes *s = ctx;

	s->damage += n->kind == SPOOL_NOTICE_DAMAGE;
}

static struct spool *open_at(const char *loc, uint64_t max_bytes,
			     struct notes *notes)
{
	struct spool_opts o;
	struct spool *sp = NULL;
	struct rd_err err;

	spool_opts_init(&o);
	o.create = 1;
	o.max_bytes = max_bytes;
	o.notice = notes ? on_notice : NULL;
	o.notice_ctx = notes;
	if (spool_open(loc, &o, &sp, &err) < 0) {
		printf("# spool_open %s: %s\n", loc, err.msg);
		abort();
	}
	return sp;
}

/* Append one batch of n requests tagged "tag-<batch>"; their ids go to
 * out (n * (REC_ID_LEN + 1)) when given.  Returns spool_append's code. */
static int put(struct spool *sp, int batch, int n, char *out)
{
	struct buf b, tag;
	char id[REC_ID_LEN + 1], first[REC_ID_LEN + 1];
	struct spool_batch sb;
	struct rec_req q;
	struct rd_err err;
	int ret;

	buf_init(&b);
	buf_init(&tag);
	for (int i = 0; i < n; i++) {
		rec_id_next(&ids, now_ms, id);
		if (i == 0)
			memcpy(first, id, sizeof(first));
		if (out)
			memcpy(out + (size_t)i * (REC_ID_LEN + 1), id, REC_ID_LEN + 1);
		buf_reset(&tag);
		buf_addf(&tag, "tag-%d.%d.%0300d", batch, i, 0);
		memset(&q, 0, sizeof(q));
		memcpy(q.id, id, sizeof(q.id));
		q.captured_ms = now_ms;
		q.method.p = "POST";
		q.method.n = 4;
		q.url.p = "http://127.0.0.1:9/x";
		q.url.n = strlen(q.url.p);
		q.body.p = tag.data;
		q.body.n = tag.len;
		rec_req_to_json(&b, &q);
	}
	sb.data = b.data;
	sb.len = b.len;
	sb.count = (uint32_t)n;
	sb.first_id = first;
	ret = spool_append(sp, &sb, &err);
	buf_release(&b);
	buf_release(&tag);
	return ret;
}

/* Lines per batch tag, read back in order: counts[k] for batch k; the
 * batches must come in increasing order.  Returns the lines read. */
static int read_back(struct spool *sp, int *counts, int nb, int *ordered)
{
	struct spool_iter *it = NULL;
	struct spool_item item;
	struct rd_err err;
	int total = 0, last = -1;

	*ordered = 1;
	memset(counts, 0, sizeof(*counts) * (size_t)nb);
	if (spool_iter_new(sp, NULL, &it, &err) < 0)
		abort();
	while (spool_iter_next(it, &item, &err) > 0) {
		/* lower case: never part of an id (Crockford base32) */
		const char *p = memmem(item.line, item.len, "tag-", 4);
		int k;

		total++;
		if (!p || sscanf(p + 4, "%d", &k) != 1 || k < 0 || k >= nb)
			continue;
		counts[k]++;
		if (k < last)
			*ordered = 0;
		last = k;
	}
	spool_iter_free(it);
	return total;
}

/* --- the log tier -------------------------------------------------------- */

static void log_ack(const struct backend *be)
{
	char loc[256], name[128];
	int counts[3], ordered, sizes[3] = { 1, 5, 50 }, acked = 1;
	struct spool *sp;

	if (be->make(loc, sizeof(loc)) < 0)
		return;
	sp = open_at(loc, 0, NULL);
	for (int k = 0; k < 3; k++)
		acked &= put(sp, k, sizes[k], NULL) > 0;
	spool_close(sp);
	snprintf(name, sizeof(name), "%s: every batch acknowledged", be->name);
	T_OK(acked, name);
	sp = open_at(loc, 0, NULL);
	snprintf(name, sizeof(name), "%s: a new handle reads every line back", be->name);
	T_EQ_INT(read_back(sp, counts, 3, &ordered), 56, name);
	snprintf(name, sizeof(name), "%s: whole batches, in log order", be->name);
	T_OK(ordered && counts[0] == 1 && counts[1] == 5 && counts[2] == 50, name);
	spool_close(sp);
	be->drop(loc);
}

/* A writer killed at a random moment: every batch it had acknowledged
 * is there, and every batch there is whole. */
static void log_atomic(const struct backend *be, unsigned seed)
{
	enum { NB = 4000, PER = 20 };
	static int counts[NB];
	char loc[256], name[160];
	int pfd[2], ordered, acked = -1, k, whole = 1, lost = 0;
	struct spool *sp;
	pid_t pid;

	if (be->make(loc, sizeof(loc)) < 0)
		return;
	if (pipe(pfd) < 0)
		abort();
	if ((pid = fork()) == 0) {
		close(pfd[0]);
		sp = open_at(loc, 0, NULL);
		for (k = 0; k < NB; k++) {
			if (put(sp, k, PER, NULL) <= 0)
				_exit(3);
			if (write(pfd[1], &k, sizeof(k)) != sizeof(k))
				_exit(4);
		}
		_exit(0);
	}
	close(pfd[1]);
	srand(seed);
	usleep((useconds_t)(20000 + rand() % 60000));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	while (read(pfd[0], &k, sizeof(k)) == sizeof(k))
		acked = k;
	close(pfd[0]);
	sp = open_at(loc, 0, NULL);
	read_back(sp, counts, NB, &ordered);
	spool_close(sp);
	for (k = 0; k < NB; k++) {
		if (counts[k] != 0 && counts[k] != PER) {
			printf("#   batch %d: %d of %d lines\n", k, counts[k], PER);
			whole = 0;
		}
		if (k <= acked && counts[k] != PER)
			lost++;
	}
	if (be->atomic) {
		snprintf(name, sizeof(name), "%s: kill -9 of a writer (seed %u, %d acknowledged): no batch half there",
			 be->name, seed, acked + 1);
		T_OK(whole, name);
	}
	snprintf(name, sizeof(name), "%s: kill -9 of a writer (seed %u): no acknowledged batch lost",
		 be->name, seed);
	T_EQ_INT(lost, 0, name);
	be->drop(loc);
}

/* A batch refused at the size cap leaves nothing behind. */
static void log_refused(const struct backend *be)
{
	enum { NB = 2000 };
	static int counts[NB];
	char loc[256], name[128];
	int ordered, k, ret = 1, stored = 0, n;
	struct spool *sp;

	if (be->make(loc, sizeof(loc)) < 0)
		return;
	sp = open_at(loc, 16 << 10, NULL);
	for (k = 0; k < NB && (ret = put(sp, k, 10, NULL)) > 0; k++)
		stored++;
	spool_close(sp);
	snprintf(name, sizeof(name), "%s: the size cap refuses a batch", be->name);
	T_EQ_INT(ret, RD_E_FULL, name);
	sp = open_at(loc, 0, NULL);
	n = read_back(sp, counts, NB, &ordered);
	if (be->atomic) {
		snprintf(name, sizeof(name), "%s: a refused batch leaves no line", be->name);
		T_EQ_INT(n, stored * 10, name);
	} else {
		/* lines of the refused batch may be stored, unacknowledged */
		snprintf(name, sizeof(name), "%s: every acknowledged line is kept, and no more than the refused batch besides", be->name);
		if (!T_OK(n >= stored * 10 && n < (stored + 1) * 10, name))
			printf("#   %d lines, %d batches acknowledged\n", n, stored);
	}
	spool_close(sp);
	be->drop(loc);
}

/* Damage is reported, skipped, and what follows it is still read. */
static void log_damage(const struct backend *be)
{
	char loc[256], name[128];
	int counts[3], ordered, n;
	struct notes notes = { 0 };
	struct spool *sp;

	if (!be->damage || be->make(loc, sizeof(loc)) < 0)
		return;
	sp = open_at(loc, 0, NULL);
	for (int k = 0; k < 3; k++)
		put(sp, k, 100, NULL);
	spool_close(sp);
	be->damage(loc);
	sp = open_at(loc, 0, &notes);
	n = read_back(sp, counts, 3, &ordered);
	spool_close(sp);
	snprintf(name, sizeof(name), "%s: damage is reported", be->name);
	T_OK(notes.damage >= 1, name);
	snprintf(name, sizeof(name), "%s: damage is skipped, not read as records", be->name);
	T_OK(n < 300 && n > 0, name);
	snprintf(name, sizeof(name), "%s: what follows the damage is read", be->name);
	T_EQ_INT(counts[2], 100, name);
	be->drop(loc);
}

/* --- the queue tier ------------------------------------------------------ */

static struct queue *q_open(struct spool *sp, int consume, int revive)
{
	struct queue_opts o;
	struct queue *q = NULL;
	struct rd_err err;

	memset(&o, 0, sizeof(o));
	o.consume = consume;
	o.revive = revive;
	o.body_max = 64;
	o.lease_ms = (uint64_t)lease_ms;
	if (queue_open(sp, &o, &q, &err) < 0) {
		printf("# queue_open: %s\n", err.msg);
		abort();
	}
	return q;
}

/* The records a round offers at time t: their ids into got (a string
 * of ids, each followed by a space), slots into slots; how many. */
static int offered(struct queue *q, int64_t t, char *got, size_t n,
		   struct queue_rec *recs, int max)
{
	struct queue_rec rec;
	struct rd_err err;
	int64_t next;
	int k = 0;

	got[0] = '\0';
	if (queue_plan(q, t, 0, &next) <= 0)
		return 0;
	while (k < max && queue_next(q, t, &rec, &err) > 0) {
		snprintf(got + strlen(got), n - strlen(got), "%s ", rec.id);
		recs[k++] = rec;
	}
	return k;
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, REC_ID_LEN);
}

/* The ids in got, sorted: for checks where the order is the backend's. */
static void sorted(char *got)
{
	size_t n = strlen(got) / (REC_ID_LEN + 1);

	qsort(got, n, REC_ID_LEN + 1, cmp_id);
}

static void ids_of(char *out, size_t n, const char *ids_, const int *which,
		   int nw)
{
	out[0] = '\0';
	for (int i = 0; i < nw; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s ",
			 ids_ + (size_t)which[i] * (REC_ID_LEN + 1));
}

static void attempt(struct queue *q, const struct queue_rec *r,
		    enum rec_outcome out, int64_t due, const char *dead)
{
	struct rec_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = REC_ATTEMPT;
	memcpy(ev.ref, r->id, sizeof(ev.ref));
	ev.at_ms = now_ms;
	ev.attempt = r->attempts + 1;
	ev.outcome = out;
	ev.next_due_ms = due;
	ev.status = out == REC_OUT_OK ? 200 : 503;
	queue_attempt(q, r->slot, &ev, NULL, dead);
}

/* After queue_life's round: a new queue, from its checkpoint and then from
 * the log alone, sees the same states once the retry is due. */
static void queue_reopened(const struct backend *be, struct spool *sp,
			   const char *idv, int64_t due)
{
	char name[160], got[512], want[512];
	struct queue_rec recs[8];
	struct queue *q;
	struct rd_err err;
	int n;

	/* the retry's time comes, and a second more for a server that
	 * redelivers it on a loaded machine */
	while (rec_now_ms() <= due + 1000)
		usleep(50000);
	for (int pass = 0; pass < 2; pass++) {
		const char *how = pass ? "from the log alone" : "from its checkpoint";

		if (pass && spool_state_remove(sp, "replay.ckpt", &err) < 0)
			abort();
		q = q_open(sp, 1, 0);
		snprintf(name, sizeof(name), "%s: a new queue %s: two left", be->name, how);
		T_EQ_INT(queue_left(q), 2, name);
		n = offered(q, rec_now_ms(), got, sizeof(got), recs + 4, 4);
		sorted(got);
		ids_of(want, sizeof(want), idv, (int[]){ 1, 3 }, 2);
		snprintf(name, sizeof(name), "%s: a new queue %s offers the retry when due, and the released one", be->name, how);
		T_EQ_STR(got, want, name);
		snprintf(name, sizeof(name), "%s: the released record's intent counts as an attempt", be->name);
		T_OK(n == 2 && recs[4].attempts == 1 && recs[5].attempts == 1, name);
		queue_free(q);
	}
}

/* The dead record of queue_life, offered under revive and revived; a new
 * queue keeps the revive. */
static void queue_revived(const struct backend *be, struct spool *sp,
			  const char *idv)
{
	char name[160], got[512], want[512];
	struct queue_rec recs[8];
	struct queue_state qs;
	struct queue *q;
	struct rd_err err;
	int n, k;

	q = q_open(sp, 1, 1);
	n = offered(q, now_ms, got, sizeof(got), recs, 8);
	sorted(got);
	ids_of(want, sizeof(want), idv, (int[]){ 2, 3 }, 2);
	snprintf(name, sizeof(name), "%s: with revive, the dead record is offered", be->name);
	T_EQ_STR(got, want, name);
	k = n == 2 && recs[1].dead ? 1 : 0;
	if (n == 2 && recs[k].dead && !recs[1 - k].dead) {
		queue_revive(q, recs[k].slot, now_ms, "INC-1", "alice");
		queue_state(q, recs[k].slot, &qs);
		snprintf(name, sizeof(name), "%s: a revive makes it pending, attempts from 0", be->name);
		T_OK(qs.state == LIFE_PENDING && qs.attempts == 0, name);
	} else {
		T_OK(0, "the dead record is offered, marked dead");
	}
	queue_flush(q, &err);
	queue_free(q);
	q = q_open(sp, 1, 0);
	snprintf(name, sizeof(name), "%s: the revive is kept: three left", be->name);
	T_EQ_INT(queue_left(q), 3, name);
	queue_free(q);
}

/* Intent then ok, retry, dead (permanent) and release on four records;
 * what a round offers after each; the same states in a new queue, with
 * and without its checkpoint; and a revive. */
static void queue_life(const struct backend *be)
{
	char loc[256], name[160], got[512], want[512], idv[4 * (REC_ID_LEN + 1)];
	struct queue_rec recs[8];
	struct queue_state qs;
	struct spool *sp;
	struct queue *q;
	struct rd_err err;
	int64_t due;
	int n;

	if (be->make(loc, sizeof(loc)) < 0)
		return;
	sp = open_at(loc, 0, NULL);
	put(sp, 0, 4, idv);
	q = q_open(sp, 1, 0);
	n = offered(q, now_ms, got, sizeof(got), recs, 8);
	ids_of(want, sizeof(want), idv, (int[]){ 0, 1, 2, 3 }, 4);
	snprintf(name, sizeof(name), "%s: every due record is offered, in capture order", be->name);
	T_EQ_STR(got, want, name);
	if (n != 4)
		abort();
	for (int i = 0; i < 4; i++)
		T_EQ_INT(queue_intent(q, recs[i].slot, now_ms), 1, "an intent is attempt 1");
	snprintf(name, sizeof(name), "%s: a taken record is not offered again", be->name);
	T_EQ_INT(offered(q, now_ms, got, sizeof(got), recs + 4, 4), 0, name);
	attempt(q, &recs[0], REC_OUT_OK, 0, NULL);
	due = rec_now_ms() + 1500;
	attempt(q, &recs[1], REC_OUT_RETRY, due, NULL);
	attempt(q, &recs[2], REC_OUT_PERMANENT, 0, "permanent: 400");
	queue_mark(q, recs[3].slot, QUEUE_RELEASE);
	/* a slot's state is there until the flush that settles it */
	queue_state(q, recs[1].slot, &qs);
	snprintf(name, sizeof(name), "%s: retry: pending, due when it said", be->name);
	T_OK(qs.state == LIFE_PENDING && qs.due_ms == due && qs.attempts == 1, name);
	queue_state(q, recs[2].slot, &qs);
	snprintf(name, sizeof(name), "%s: permanent: dead", be->name);
	T_OK(qs.state == LIFE_DEAD, name);
	T_EQ_INT(queue_flush(q, &err), 0, "the events are flushed");
	offered(q, rec_now_ms(), got, sizeof(got), recs + 4, 4);
	ids_of(want, sizeof(want), idv, (int[]){ 3 }, 1);
	snprintf(name, sizeof(name), "%s: a released record is due again", be->name);
	T_EQ_STR(got, want, name);
	T_EQ_INT(queue_checkpoint(q, &err), 0, "a checkpoint is saved");
	queue_free(q);

	queue_reopened(be, sp, idv, due);
	queue_revived(be, sp, idv);
	spool_close(sp);
	be->drop(loc);
}

/* A consumer killed with events recorded but not flushed: every record
 * without a flushed final outcome is due again, each intent counted;
 * with a checkpoint in between, the same as a fold of the log alone. */
static void queue_crash(const struct backend *be, int ckpt)
{
	char loc[256], name[200], got[1024], want[1024], idv[10 * (REC_ID_LEN + 1)];
	struct queue_rec recs[10];
	struct spool *sp;
	struct queue *q;
	struct rd_err err;
	int status = 0;
	pid_t pid;

	if (be->make(loc, sizeof(loc)) < 0)
		return;
	sp = open_at(loc, 0, NULL);
	put(sp, 0, 10, idv);
	spool_close(sp);
	if ((pid = fork()) == 0) {
		sp = open_at(loc, 0, NULL);
		q = q_open(sp, 1, 0);
		if (offered(q, now_ms, got, sizeof(got), recs, 10) != 10)
			_exit(3);
		for (int i = 0; i < 10; i++)
			queue_intent(q, recs[i].slot, now_ms);
		for (int i = 0; i < 5; i++)
			attempt(q, &recs[i], REC_OUT_OK, 0, NULL);
		if (queue_flush(q, &err) < 0)
			_exit(4);
		if (ckpt) {
			if (queue_checkpoint(q, &err) < 0)
				_exit(5);
			for (int i = 5; i < 7; i++)
				attempt(q, &recs[i], REC_OUT_OK, 0, NULL);
			if (queue_flush(q, &err) < 0)
				_exit(6);
		}
		/* recorded, never flushed: lost with the process */
		for (int i = 7; i < 9; i++)
			attempt(q, &recs[i], REC_OUT_OK, 0, NULL);
		raise(SIGKILL);
		_exit(7);
	}
	waitpid(pid, &status, 0);
	/* what it had taken comes back when its lease ends (with two
	 * seconds to spare for the server's redelivery under load) */
	if (be->lease_ms)
		usleep((useconds_t)(be->lease_ms + 2000) * 1000);
	snprintf(name, sizeof(name), "%s: the consumer was killed (checkpoint: %d)", be->name, ckpt);
	T_OK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, name);
	for (int pass = 0; pass < 2; pass++) {
		int n, counted = 1;

		sp = open_at(loc, 0, NULL);
		if (pass && spool_state_remove(sp, "replay.ckpt", &err) < 0)
			abort();
		q = q_open(sp, 1, 0);
		n = offered(q, now_ms, got, sizeof(got), recs, 10);
		sorted(got);
		if (ckpt)
			ids_of(want, sizeof(want), idv, (int[]){ 7, 8, 9 }, 3);
		else
			ids_of(want, sizeof(want), idv, (int[]){ 5, 6, 7, 8, 9 }, 5);
		snprintf(name, sizeof(name), "%s: after kill -9 (checkpoint: %d, %s), exactly the records with no flushed outcome are due",
			 be->name, ckpt, pass ? "log alone" : "as left");
		T_EQ_STR(got, want, name);
		for (int i = 0; i < n; i++)
			counted &= recs[i].attempts == 1;
		snprintf(name, sizeof(name), "%s: after kill -9, each intent with no outcome counts as an attempt", be->name);
		T_OK(n > 0 && counted, name);
		queue_free(q);
		spool_close(sp);
	}
	be->drop(loc);
}

/* The attempts the fold of the whole log counts for the record id. */
static unsigned fold_attempts(struct spool *sp, const char *id)
{
	struct spool_iter *it = NULL;
	struct spool_item item;
	struct rec_parser rp;
	struct rd_err err, lerr;
	struct pend_ent *e;
	struct pend p;
	unsigned n = 0;

	pend_init(&p);
	rec_parser_init(&rp);
	if (spool_iter_new(sp, NULL, &it, &err) < 0)
		abort();
	while (spool_iter_next(it, &item, &err) > 0)
		pend_fold(&p, &item, &rp, &lerr);
	if ((e = pend_get(&p, id)))
		n = e->attempts;
	spool_iter_free(it);
	rec_parser_release(&rp);
	pend_release(&p);
	return n;
}

/* A backend with leases: one record held by two consumers at once (the
 * first one's lease ran out before it recorded its intent, and the
 * second one took the redelivery).  Both number their send 1; only the
 * first to record it may send, so the fold counts every send. */
static void queue_two_holders(const struct backend *be, int b_first)
{
	char loc[256], name[200], got[128], idv[REC_ID_LEN + 1];
	struct queue_rec ra, rb;
	struct spool *spa, *spb;
	struct queue *qa, *qb, *first, *second;
	const struct queue_rec *rf, *rs;
	struct rd_err err;
	int hf, hs, tries = 0;

	if (be->make(loc, sizeof(loc)) < 0)
		return;
	spa = open_at(loc, 0, NULL);
	spb = open_at(loc, 0, NULL);
	put(spa, 0, 1, idv);
	qa = q_open(spa, 1, 0);
	T_EQ_INT(offered(qa, now_ms, got, sizeof(got), &ra, 1), 1, "the first consumer is offered the record");
	qb = q_open(spb, 1, 0);
	/* its lease runs out (nothing keeps it: qa is left alone) */
	while (offered(qb, rec_now_ms(), got, sizeof(got), &rb, 1) == 0 &&
	       tries++ < (be->lease_ms + 8000) / 200)
		usleep(200000);
	snprintf(name, sizeof(name), "%s: the second consumer is offered the same record once the lease ran out", be->name);
	T_OK(strncmp(got, idv, REC_ID_LEN) == 0, name);
	first = b_first ? qb : qa;
	second = b_first ? qa : qb;
	rf = b_first ? &rb : &ra;
	rs = b_first ? &ra : &rb;
	snprintf(name, sizeof(name), "%s: both number their send 1", be->name);
	T_OK(queue_intent(first, rf->slot, rec_now_ms()) == 1 &&
	     queue_intent(second, rs->slot, rec_now_ms()) == 1, name);
	T_OK(queue_flush(first, &err) == 0 && queue_flush(second, &err) == 0,
	     "both intents are flushed");
	hf = queue_holds(first, rf->slot);
	hs = queue_holds(second, rs->slot);
	snprintf(name, sizeof(name), "%s: the first to record attempt 1 holds the record, the other does not (%s first)",
		 be->name, b_first ? "the second consumer" : "the first consumer");
	T_OK(hf && !hs, name);
	if (hf)
		attempt(first, rf, REC_OUT_OK, 0, NULL);
	if (!hs)
		queue_mark(second, rs->slot, QUEUE_RELEASE);
	else
		attempt(second, rs, REC_OUT_OK, 0, NULL);
	T_OK(queue_flush(first, &err) == 0 && queue_flush(second, &err) == 0,
	     "the outcomes are flushed");
	snprintf(name, sizeof(name), "%s: the fold counts every send of the record", be->name);
	T_EQ_INT(fold_attempts(spa, idv), hf + hs, name);
	queue_free(qa);
	queue_free(qb);
	spool_close(spa);
	spool_close(spb);
	be->drop(loc);
}

/*
 * A holder whose view of a record is over a minute old reads it again
 * before its intent (fresh() in snats_record.c): the record was taken
 * over meanwhile (the first consumer's lease ran out), tried once and
 * left to retry; the first consumer, asked for its intent with a clock
 * minutes on, numbers its send 2, from the state it read again, and
 * holds the record.  Numbered from its old view, its intent would repeat
 * attempt 1's key and lose to it.
 */
static void queue_stale_holder(const struct backend *be)
{
	char loc[256], name[200], got[128], idv[REC_ID_LEN + 1];
	struct queue_rec ra, rb;
	struct spool *spa, *spb;
	struct queue *qa, *qb;
	struct rd_err err;
	int64_t t0 = rec_now_ms();
	int tries = 0;

	if (be->make(loc, sizeof(loc)) < 0)
		return;
	spa = open_at(loc, 0, NULL);
	spb = open_at(loc, 0, NULL);
	put(spa, 0, 1, idv);
	qa = q_open(spa, 1, 0);
	T_EQ_INT(offered(qa, t0, got, sizeof(got), &ra, 1), 1, "stale: the first consumer is offered the record");
	qb = q_open(spb, 1, 0);
	while (offered(qb, rec_now_ms(), got, sizeof(got), &rb, 1) == 0 &&
	       tries++ < (be->lease_ms + 8000) / 200)
		usleep(200000);
	snprintf(name, sizeof(name), "%s: stale: the second consumer tries the record once, to retry in a second", be->name);
	T_OK(strncmp(got, idv, REC_ID_LEN) == 0 &&
	     queue_intent(qb, rb.slot, rec_now_ms()) == 1 &&
	     queue_flush(qb, &err) == 0 && queue_holds(qb, rb.slot), name);
	attempt(qb, &rb, REC_OUT_RETRY, rec_now_ms() + 1000, NULL);
	T_OK(queue_flush(qb, &err) == 0, "stale: the retry is flushed");
	snprintf(name, sizeof(name), "%s: stale: five minutes on, the first consumer reads the record again and numbers its send 2", be->name);
	/* five minutes on: past STALE_MS (snats_queue.h), inside the
	 * server's ten-minute window for keys */
	T_EQ_INT((int)queue_intent(qa, ra.slot, t0 + 5 * 60000), 2, name);
	T_OK(queue_flush(qa, &err) == 0, "stale: its intent is flushed");
	snprintf(name, sizeof(name), "%s: stale: and holds the record", be->name);
	T_OK(queue_holds(qa, ra.slot), name);
	ra.attempts = 1;
	attempt(qa, &ra, REC_OUT_OK, 0, NULL);
	T_OK(queue_flush(qa, &err) == 0, "stale: the outcome is flushed");
	snprintf(name, sizeof(name), "%s: stale: the fold counts both sends", be->name);
	T_EQ_INT(fold_attempts(spa, idv), 2, name);
	queue_free(qa);
	queue_free(qb);
	spool_close(spa);
	spool_close(spb);
	be->drop(loc);
}

int main(void)
{
	struct rd_err err;

	if (rec_idgen_init(&ids, &err) < 0)
		return 2;
	now_ms = rec_now_ms();
	for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		const struct backend *be = &backends[b];

		lease_ms = be->lease_ms;

		log_ack(be);
		for (unsigned seed = 1; seed <= 3; seed++)
			log_atomic(be, seed);
		log_refused(be);
		log_damage(be);
		queue_life(be);
		queue_crash(be, 0);
		queue_crash(be, 1);
		if (be->lease_ms) {
			queue_two_holders(be, 0);
			queue_two_holders(be, 1);
			queue_stale_holder(be);
		}
	}
	return t_done();
}
