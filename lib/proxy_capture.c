/*
 * proxy_capture.c - the spool writer of rd-proxy: one thread takes the
 * exchanges to capture from a bounded queue, stores them as records in
 * batches (lib/batch), and answers each only once its record is durable
 * under the fsync policy.
 *
 * Every record gets an ack text of one newline; batch hands acks back in
 * the order the records were added and only when they are durable, so the
 * n-th newline acknowledges the n-th exchange still waiting.  When a
 * write or a sync fails, batch takes back everything not acknowledged,
 * and every exchange still waiting is answered 503: a 202 is never sent
 * for a record that is not stored.  What the queue holds when the proxy
 * stops is still stored and answered.  With --fsync interval a record
 * waits for the next periodic sync, and so does its answer; once the
 * proxy drains, for none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "clk.h"
#include "proxy_int.h"
#include "xalloc.h"
#include "banned.h"

#define BATCH_BYTES ((size_t)1 << 20)
#define BATCH_RECORDS 8192

struct proxy_writer {
	struct proxy *p;
	pthread_t th;
	int started;
	pthread_mutex_t lock;          /* the queue */
	pthread_cond_t cond;
	struct proxy_ex *first, *last;
	unsigned queued;
	int quit;
	/* writer thread only */
	struct batch b;
	struct proxy_ex *wfirst, *wlast; /* in the batch, awaiting their ack */
	struct buf out;
};

unsigned proxy_writer_queued(const struct proxy *p)
{
	return p->wr ? p->wr->queued : 0;
}

/* The answer of a stored record (ok 1) or of one not stored (0; -1 when
 * it never could be); then its client may go on. */
static void answer(struct proxy_ex *ex, int ok, const char *why)
{
	struct proxy *p = ex->p;
	char text[300];

	pthread_mutex_lock(&ex->lock);
	if (ok <= 0) {
		snprintf(text, sizeof(text), "not delivered, and not captured: %s", why);
		/* a record too large never fits: a retry would not help */
		proxy_answer(ex, ok < 0 ? 413 : 503, PROXY_OUT_CAPTURE_FAILED, text);
	} else if (!p->o.answer_upstream || !ex->fail.attempted) {
		proxy_answer(ex, 202, PROXY_OUT_CAPTURED, NULL);
	} else if (ex->hold) {          /* the upstream's own answer */
		proxy_answer(ex, 202, PROXY_OUT_CAPTURED, NULL);
		ex->ans_status = 0;
	} else {
		proxy_answer(ex, strcmp(ex->fail.type, "timeout") == 0 ? 504 : 502,
			     PROXY_OUT_CAPTURED, NULL);
	}
	pthread_mutex_unlock(&ex->lock);
	if (ok > 0)
		proxy_metrics_capture(p, clk_mono_ns() - ex->capture_ns);
	proxy_relay_wake(ex);
	proxy_ex_put(ex);
}

/* The record of ex, borrowing from it. */
static void record(const struct proxy_ex *ex, struct rec_req *rec)
{
	memset(rec, 0, sizeof(*rec));
	memcpy(rec->id, ex->id, sizeof(rec->id));
	rec->captured_ms = rec_now_ms();
	rec->has_captured = 1;
	rec->method.p = ex->method;
	rec->method.n = strlen(ex->method);
	rec->url.p = ex->url.data;
	rec->url.n = ex->url.len;
	rec->hdrs = ex->hdrs;
	rec->nhdrs = ex->nhdrs;
	rec->body.p = ex->body.data ? ex->body.data : "";
	rec->body.n = ex->body.len;
	rec->fail_type.p = ex->fail.type;
	rec->fail_type.n = strlen(ex->fail.type);
	rec->fail_msg.p = ex->fail.msg;
	rec->fail_msg.n = strlen(ex->fail.msg);
	rec->fail_status = ex->fail.status;
	rec->attempts = ex->fail.attempted;
	/* The key is stored only when it is the client's: empty means the
	 * id, as the schema says. */
	if (ex->key.p != ex->id)
		rec->idem_key = ex->key;
}

/* Not captured: 503, never 202.  Before the hand-over. */
static int lost(struct proxy_ex *ex, int code, const char *why)
{
	char text[300];

	snprintf(text, sizeof(text), "not delivered, and not captured: %s", why);
	pthread_mutex_lock(&ex->lock);
	proxy_answer(ex, 503, PROXY_OUT_CAPTURE_FAILED, text);
	pthread_mutex_unlock(&ex->lock);
	return code;
}

int proxy_capture(struct proxy_ex *ex)
{
	struct proxy_writer *w = ex->p->wr;
	struct rec_req rec;
	struct rd_err err;
	char why[200];

	/* Judged here, where a capture is needed, not when the request came:
	 * one a record cannot hold (a header that is not UTF-8) is still
	 * forwarded, and only its capture fails. */
	record(ex, &rec);
	if (rec_req_validate(&rec, &err) < 0) {
		if (!rec_idem_key_valid(ex->key))
			snprintf(why, sizeof(why), "the idempotency key header is over the 256 bytes of UTF-8 a record's key holds");
		else
			snprintf(why, sizeof(why), "a record cannot hold the request: %.140s", err.msg);
		return lost(ex, RD_E_INVAL, why);
	}
	pthread_mutex_lock(&w->lock);
	if (w->queued >= ex->p->o.capture_queue || w->quit) {
		pthread_mutex_unlock(&w->lock);
		return lost(ex, RD_E_FULL, "the capture queue is full");
	}
	proxy_ex_get(ex);               /* the writer's, until it answers */
	ex->capture_ns = clk_mono_ns();
	ex->w_next = NULL;
	*(w->last ? &w->last->w_next : &w->first) = ex;
	w->last = ex;
	w->queued++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* Answer the waiting exchanges the acks in w->out are for. */
static void settle(struct proxy_writer *w)
{
	for (size_t i = 0; i < w->out.len; i++) {
		struct proxy_ex *ex = w->wfirst;

		if (w->out.data[i] != '\n' || !ex)
			continue;
		w->wfirst = ex->w_next;
		if (!w->wfirst)
			w->wlast = NULL;
		answer(ex, 1, NULL);
	}
	buf_reset(&w->out);
}

static void fail_waiting(struct proxy_writer *w, const struct rd_err *err)
{
	proxy_say(w->p, PROXY_ERROR, "cannot store captured requests: %s", err->msg);
	while (w->wfirst) {
		struct proxy_ex *ex = w->wfirst;

		w->wfirst = ex->w_next;
		answer(ex, 0, err->code == RD_E_FULL ? "the spool is full" :
		       "the spool cannot be written");
	}
	w->wlast = NULL;
}

/* Add one record to the batch, committing when it is full. */
static void add(struct proxy_writer *w, struct proxy_ex *ex)
{
	struct rec_req rec;
	struct rd_err err;
	int k;

	record(ex, &rec);
	if ((k = batch_add(&w->b, &rec, "\n", 1)) < 0) {
		answer(ex, -1, "the record is over the spool's size limit");
		return;
	}
	ex->w_next = NULL;
	*(w->wlast ? &w->wlast->w_next : &w->wfirst) = ex;
	w->wlast = ex;
	if (k == 1 && batch_commit(&w->b, &w->out, &err) < 0)
		fail_waiting(w, &err);
	settle(w);
}

/* Wait for work, or for an interval sync to fall due.  With the lock. */
static void await(struct proxy_writer *w)
{
	int64_t due = w->wfirst ? spool_sync_due_ms(w->p->o.sp) : -1;
	struct timespec ts;

	/* draining: what waits for an interval sync is synced now, so its
	 * answer goes out within the grace */
	if (w->first || w->quit || due == 0 ||
	    (w->wfirst && atomic_load(&w->p->draining)))
		return;
	if (due < 0) {
		pthread_cond_wait(&w->cond, &w->lock);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += due / 1000;
	ts.tv_nsec += (long)(due % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&w->cond, &w->lock, &ts);
}

static void *writer_main(void *arg)
{
	struct proxy_writer *w = arg;
	struct rd_err err;
	int quit = 0;

	while (!quit) {
		struct proxy_ex *ex, *next;

		pthread_mutex_lock(&w->lock);
		await(w);
		ex = w->first;
		w->first = w->last = NULL;
		w->queued = 0;
		quit = w->quit;
		pthread_mutex_unlock(&w->lock);
		for (; ex; ex = next) {
			next = ex->w_next;
			add(w, ex);
		}
		if (batch_commit(&w->b, &w->out, &err) < 0 ||
		    batch_tick(&w->b, &w->out, &err) < 0 ||
		    (w->wfirst && atomic_load(&w->p->draining) &&
		     batch_finish(&w->b, &w->out, &err) < 0))
			fail_waiting(w, &err);
		settle(w);
	}
	/* Stopping: what waits for an interval sync is synced now. */
	if (batch_finish(&w->b, &w->out, &err) < 0)
		fail_waiting(w, &err);
	settle(w);
	return NULL;
}

int proxy_writer_start(struct proxy *p, struct rd_err *err)
{
	struct proxy_writer *w = xcalloc(1, sizeof(*w));

	p->wr = w;
	w->p = p;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	buf_init(&w->out);
	batch_init(&w->b, p->o.sp, BATCH_BYTES,
		   p->o.fsync == SPOOL_FSYNC_ALWAYS ? 1 : BATCH_RECORDS);
	if (pthread_create(&w->th, NULL, writer_main, w) != 0)
		return rd_err_set(err, RD_E_IO, "cannot start a thread");
	w->started = 1;
	return 0;
}

void proxy_writer_poke(struct proxy *p)
{
	struct proxy_writer *w = p->wr;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void proxy_writer_stop(struct proxy *p)
{
	struct proxy_writer *w = p->wr;

	if (!w)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->quit = 1;
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->th, NULL);
		w->started = 0;
	}
}

void proxy_writer_free(struct proxy *p)
{
	struct proxy_writer *w = p->wr;

	if (!w)
		return;
	proxy_writer_stop(p);
	batch_release(&w->b);
	buf_release(&w->out);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
	p->wr = NULL;
}
