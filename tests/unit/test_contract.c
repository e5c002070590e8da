/*
 * The spool's backend contract (spool.h, queue.h), written once and run
 * against every backend in contract.h's table: the directory, and a NATS
 * JetStream server started here on 127.0.0.1.  A backend joins by adding
 * a row there; what it does not promise is in redrive-spool(5).
 *
 * Log tier: appended batches are acknowledged and read back whole and
 * in order; a batch is atomic across a kill -9; a refused batch leaves
 * nothing; damage is reported and skipped, and what follows it is read.
 * Queue tier: due records are offered; intent, withdraw, ok, retry,
 * dead, release and revive do what they say; a new queue sees the same
 * states (from a checkpoint or from the log alone), and sends a withdrawn
 * record under the number taken back; a consumer killed with events in
 * flight loses no record, and an intent with no outcome counts.
 * Backends with leases: test_contract_lease.c.
 */
#include "contract.h"

/* --- the children --------------------------------------------------------- */

/*
 * The processes log_atomic and queue_crash kill run this program again,
 * in a role (main): a forked copy of a process in which libnats runs its
 * threads can inherit one of their locks held (its collector's), and
 * then wait on it forever.
 */
enum { ATOMIC_NB = 4000, ATOMIC_PER = 20 };   /* log_atomic's batches, lines */

static void child_exec(const char *role, const char *loc, int arg)
{
	char a[32], now[32], lease[32];

	snprintf(a, sizeof(a), "%d", arg);
	snprintf(now, sizeof(now), "%lld", (long long)now_ms);
	snprintf(lease, sizeof(lease), "%d", lease_ms);
	execl("/proc/self/exe", "test_contract", role, loc, a, now, lease, (char *)NULL);
	_exit(127);
}

/* log_atomic's writer: batch after batch, each acknowledged on fd. */
static int atomic_writer(const char *loc, int fd)
{
	struct spool *sp = open_at(loc, 0, NULL);

	for (int k = 0; k < ATOMIC_NB; k++) {
		if (put(sp, k, ATOMIC_PER, NULL) <= 0)
			return 3;
		if (write(fd, &k, sizeof(k)) != sizeof(k))
			return 4;
	}
	return 0;
}

/* queue_crash's consumer: takes ten records, records events, flushes
 * some, and kills itself with the rest in memory. */
static int crash_consumer(const char *loc, int ckpt)
{
	struct spool *sp = open_at(loc, 0, NULL);
	struct queue *q = q_open(sp, 1, 0);
	struct queue_rec recs[10];
	struct rd_err err;
	char got[1024];

	if (offered(q, now_ms, got, sizeof(got), recs, 10) != 10)
		return 3;
	for (int i = 0; i < 10; i++)
		queue_intent(q, recs[i].slot, now_ms);
	for (int i = 0; i < 5; i++)
		attempt(q, &recs[i], REC_OUT_OK, 0, NULL);
	if (queue_flush(q, &err) < 0)
		return 4;
	if (ckpt) {
		if (queue_checkpoint(q, &err) < 0)
			return 5;
		for (int i = 5; i < 7; i++)
			attempt(q, &recs[i], REC_OUT_OK, 0, NULL);
		if (queue_flush(q, &err) < 0)
			return 6;
	}
	/* recorded, never flushed: lost with the process */
	for (int i = 7; i < 9; i++)
		attempt(q, &recs[i], REC_OUT_OK, 0, NULL);
	raise(SIGKILL);
	return 7;
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
	enum { NB = ATOMIC_NB, PER = ATOMIC_PER };
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
		child_exec("--atomic-writer", loc, pfd[1]);
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

/* The selection of queue_selected: idv's second and third records, each
 * asked of once. */
struct picks {
	const char *idv;
	int asked[4];
};

static int pick(void *ctx, const struct queue_rec *rec)
{
	struct picks *p = ctx;

	for (int i = 0; i < 4; i++)
		if (memcmp(rec->id, p->idv + i * (REC_ID_LEN + 1), REC_ID_LEN) == 0) {
			p->asked[i]++;
			return i == 1 || i == 2;
		}
	return 0;
}

/* A selection asked of every record before it is due: of four, two
 * retries due later (the first sooner) and two due now, it takes the
 * second and the third; the first is neither waited for nor counted, the
 * fourth never offered.  Its queue opens on a checkpoint, so the records
 * it judges are read from the log for the purpose. */
static void queue_selected(const struct backend *be)
{
	char loc[256], got[512], want[512], idv[4 * (REC_ID_LEN + 1)];
	struct queue_rec recs[4];
	struct queue_opts o;
	struct picks p = { idv, { 0 } };
	struct spool *sp;
	struct queue *q;
	struct rd_err err;
	int64_t next, due0 = rec_now_ms() + 1800000, due1 = due0 + 1800000;

	if (!be->selects || be->make(loc, sizeof(loc)) < 0)
		return;
	sp = open_at(loc, 0, NULL);
	put(sp, 0, 4, idv);
	q = q_open(sp, 1, 0);
	if (offered(q, now_ms, got, sizeof(got), recs, 2) != 2)
		abort();
	queue_intent(q, recs[0].slot, now_ms);
	queue_intent(q, recs[1].slot, now_ms);
	attempt(q, &recs[0], REC_OUT_RETRY, due0, NULL);
	attempt(q, &recs[1], REC_OUT_RETRY, due1, NULL);
	T_EQ_INT(queue_checkpoint(q, &err), 0, "selected: the retries are saved");
	queue_free(q);

	memset(&o, 0, sizeof(o));
	o.consume = 1;
	o.selects = pick;
	o.ctx = &p;
	if (queue_open(sp, &o, &q, &err) < 0 || queue_refresh(q, &err) < 0)
		abort();
	T_OK(p.asked[0] == 1 && p.asked[1] == 1 && p.asked[2] == 1 && p.asked[3] == 1,
	     "dir: the selection is asked of each record once, due or not");
	T_EQ_INT((long long)queue_left(q), 2, "dir: what it did not select is not left");
	offered(q, rec_now_ms(), got, sizeof(got), recs, 4);
	ids_of(want, sizeof(want), idv, (int[]){ 2 }, 1);
	T_EQ_STR(got, want, "dir: only the selected record due now is offered");
	T_OK(recs[0].picked && !recs[0].seen, "dir: offered as picked, not yet judged");
	queue_intent(q, recs[0].slot, now_ms);
	attempt(q, &recs[0], REC_OUT_OK, 0, NULL);
	T_EQ_INT(queue_plan(q, rec_now_ms(), 0, &next), 0,
		 "dir: the selected retry is waited for");
	T_EQ_INT((long long)next, (long long)due1,
		 "dir: the next due is the selected retry's, not the sooner one's");
	if (queue_refresh(q, &err) < 0)
		abort();
	T_OK(p.asked[0] == 1 && p.asked[1] == 1 && p.asked[2] == 1 && p.asked[3] == 1,
	     "dir: a refresh asks nothing again");
	queue_free(q);
	spool_close(sp);
	be->drop(loc);
}

/* One pass of queue_withdrawn: a queue opened on the log (and on its
 * checkpoint, pass 1) offers both records; the withdrawn one (idv's
 * first) has no attempt, the other's intent still counts. */
static void withdrawn_seen(const struct backend *be, struct spool *sp,
			   const char *idv, int pass)
{
	const char *how = pass ? "from its checkpoint" : "from the log alone";
	char name[160], got[512];
	struct queue_rec recs[4];
	struct queue *q = q_open(sp, 1, 0);
	struct rd_err err;
	int n = offered(q, now_ms, got, sizeof(got), recs, 4), w;

	w = n == 2 && strcmp(recs[1].id, idv) == 0;
	snprintf(name, sizeof(name), "%s: a new queue %s: the withdrawn record is due, never attempted", be->name, how);
	T_OK(n == 2 && strcmp(recs[w].id, idv) == 0 && recs[w].attempts == 0, name);
	snprintf(name, sizeof(name), "%s: a new queue %s: an intent not withdrawn counts", be->name, how);
	T_OK(n == 2 && recs[1 - w].attempts == 1, name);
	if (!pass && queue_checkpoint(q, &err) < 0)
		abort();
	snprintf(name, sizeof(name), "%s: a new queue %s: the withdrawn record's next send is attempt 1", be->name, how);
	T_EQ_INT(n == 2 ? (int)queue_intent(q, recs[w].slot, now_ms) : 0, 1, name);
	/* that intent is not flushed: lost with the queue */
	queue_free(q);
}

/* Sends whose intents were recorded and that never started: a withdraw
 * takes the first one's back, and a new queue sees it so. */
static void queue_withdrawn(const struct backend *be)
{
	char loc[256], name[160], got[512], idv[2 * (REC_ID_LEN + 1)];
	struct queue_rec recs[4];
	struct queue_state qs;
	struct spool *sp;
	struct queue *q;
	struct rd_err err;
	int n, w;

	if (be->make(loc, sizeof(loc)) < 0)
		return;
	sp = open_at(loc, 0, NULL);
	put(sp, 0, 2, idv);
	q = q_open(sp, 1, 0);
	if (offered(q, now_ms, got, sizeof(got), recs, 4) != 2)
		abort();
	queue_intent(q, recs[0].slot, now_ms);
	queue_intent(q, recs[1].slot, now_ms);
	T_EQ_INT(queue_flush(q, &err), 0, "the intents are flushed");
	queue_withdraw(q, recs[0].slot, 1, now_ms);
	queue_state(q, recs[0].slot, &qs);
	snprintf(name, sizeof(name), "%s: a withdrawn intent is no attempt", be->name);
	T_OK(qs.state == LIFE_PENDING && qs.attempts == 0, name);
	T_EQ_INT(queue_flush(q, &err), 0, "the withdraw is flushed");
	snprintf(name, sizeof(name), "%s: a withdrawn record is due again", be->name);
	T_OK(offered(q, rec_now_ms(), got, sizeof(got), recs + 2, 2) == 1 &&
	     strcmp(recs[2].id, idv) == 0, name);
	queue_free(q);
	withdrawn_seen(be, sp, idv, 0);
	withdrawn_seen(be, sp, idv, 1);
	/* the number taken back is taken again, and that send may start:
	 * its intent is not refused as a duplicate of the one withdrawn */
	q = q_open(sp, 1, 0);
	n = offered(q, now_ms, got, sizeof(got), recs, 4);
	w = n == 2 && strcmp(recs[1].id, idv) == 0;
	snprintf(name, sizeof(name), "%s: the withdrawn record's next send is recorded and held", be->name);
	T_OK(n == 2 && strcmp(recs[w].id, idv) == 0 &&
	     queue_intent(q, recs[w].slot, now_ms) == 1 &&
	     queue_flush(q, &err) == 0 && queue_holds(q, recs[w].slot), name);
	queue_free(q);
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
	if ((pid = fork()) == 0)
		child_exec("--crash-consumer", loc, ckpt);
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

int main(int argc, char **argv)
{
	struct rd_err err;

	if (rec_idgen_init(&ids, &err) < 0)
		return 2;
	now_ms = rec_now_ms();
	/* a child's role (child_exec): ROLE LOC ARG NOW_MS LEASE_MS */
	if (argc == 6) {
		now_ms = strtoll(argv[4], NULL, 10);
		lease_ms = atoi(argv[5]);
		if (strcmp(argv[1], "--atomic-writer") == 0)
			return atomic_writer(argv[2], atoi(argv[3]));
		if (strcmp(argv[1], "--crash-consumer") == 0)
			return crash_consumer(argv[2], atoi(argv[3]));
		return 2;
	}
	for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		const struct backend *be = &backends[b];

		lease_ms = be->lease_ms;

		log_ack(be);
		for (unsigned seed = 1; seed <= 3; seed++)
			log_atomic(be, seed);
		log_refused(be);
		log_damage(be);
		queue_life(be);
		queue_withdrawn(be);
		queue_selected(be);
		queue_crash(be, 0);
		queue_crash(be, 1);
	}
	return t_done();
}
