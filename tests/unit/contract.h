/*
 * contract.h - what the backend contract's tests share (test_contract.c,
 * test_contract_lease.c): the table of backends, each with how to make a
 * fresh location, damage what it stores and remove it (a NATS JetStream
 * server started on 127.0.0.1 by tests/helpers/nats.sh, skipped when
 * nats-server is not installed), and the helpers that append requests
 * and drive a queue.  Each test program includes it once.
 */
#ifndef CONTRACT_H
#define CONTRACT_H

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
	/* The queue asks the selection (queue_opts.selects) of records
	 * before they are due (NATS: only once delivered, due). */
	int selects;
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
	{ "dir", dir_make, dir_damage, dir_drop, 1, 0, 1 },
	{ "nats", nats_make, NULL, nats_drop, 0, 2000, 0 },
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

/* --- the queue tier's helpers ------------------------------------------- */

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

#endif
