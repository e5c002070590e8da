/*
 * batch.c - batching, the writer thread and acknowledgement release.  No
 * I/O of its own beyond the spool calls; the caller prints what lands in
 * `out`.  The writer thread touches only the fl_* fields and the spool;
 * the caller's thread touches them only after joining it.
 */
#include "batch.h"

#include <string.h>

#include "banned.h"

void batch_init(struct batch *b, struct spool *sp, size_t max_bytes,
		uint32_t max_records)
{
	memset(b, 0, sizeof(*b));
	b->sp = sp;
	b->max_bytes = max_bytes;
	b->max_records = max_records ? max_records : 1;
	b->max_line = SPOOL_RECORD_MAX;
	buf_init(&b->lines);
	buf_init(&b->ids);
	buf_init(&b->acks);
	buf_init(&b->unsynced);
	buf_init(&b->fl_lines);
	buf_init(&b->fl_ids);
	buf_init(&b->fl_acks);
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
}

void batch_release(struct batch *b)
{
	if (b->started) {
		pthread_mutex_lock(&b->lock);
		b->quit = 1;
		pthread_cond_broadcast(&b->cond);
		pthread_mutex_unlock(&b->lock);
		pthread_join(b->th, NULL);
		b->started = 0;
	}
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
	buf_release(&b->lines);
	buf_release(&b->ids);
	buf_release(&b->acks);
	buf_release(&b->unsynced);
	buf_release(&b->fl_lines);
	buf_release(&b->fl_ids);
	buf_release(&b->fl_acks);
}

int batch_add(struct batch *b, const struct rec_req *r, const char *ack,
	      size_t ack_len)
{
	size_t before = b->lines.len;

	rec_req_to_json(&b->lines, r);
	/* Checked on the line as stored, which escaping and base64 make
	 * longer than the input that passed --max-record-size. */
	b->last_line = b->lines.len - before - 1;
	if (b->last_line > b->max_line) {
		b->lines.len = before;
		b->lines.data[before] = '\0';
		return RD_E_FULL;
	}
	buf_add(&b->ids, r->id, REC_ID_LEN);
	buf_add(&b->acks, ack, ack_len);
	b->count++;
	return b->lines.len >= b->max_bytes || b->count >= b->max_records;
}

static void release(struct batch *b, struct buf *from, struct buf *out)
{
	buf_add(out, from->data, from->len);
	buf_reset(from);
}

static void append_in_flight(struct batch *b)
{
	struct spool_batch sb;

	sb.data = b->fl_lines.data;
	sb.len = b->fl_lines.len;
	sb.count = b->fl_count;
	sb.first_id = b->fl_ids.data;
	b->fl_ret = spool_append_ids(b->sp, &sb, b->fl_ids.data, &b->fl_err);
}

/* The writer: append each batch handed over, until told to quit.  A batch
 * handed over before quit is always appended. */
static void *writer(void *arg)
{
	struct batch *b = arg;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		while (!(b->busy && !b->done) && !b->quit)
			pthread_cond_wait(&b->cond, &b->lock);
		if (b->busy && !b->done) {
			pthread_mutex_unlock(&b->lock);
			append_in_flight(b);
			pthread_mutex_lock(&b->lock);
			b->done = 1;
			pthread_cond_broadcast(&b->cond);
			continue;
		}
		break;
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

int batch_wait(struct batch *b, struct buf *out, struct rd_err *err)
{
	if (!b->busy)
		return 0;
	pthread_mutex_lock(&b->lock);
	while (!b->done)
		pthread_cond_wait(&b->cond, &b->lock);
	b->busy = b->done = 0;
	pthread_mutex_unlock(&b->lock);
	buf_reset(&b->fl_lines);
	buf_reset(&b->fl_ids);
	if (b->fl_ret < 0) {
		/* The spool took back whatever was not acknowledged. */
		buf_reset(&b->fl_acks);
		buf_reset(&b->unsynced);
		if (err)
			*err = b->fl_err;
		return b->fl_ret;
	}
	release(b, &b->fl_acks, &b->unsynced);
	if (b->fl_ret > 0)
		release(b, &b->unsynced, out);
	return 0;
}

static void swap_buf(struct buf *x, struct buf *y)
{
	struct buf t = *x;

	*x = *y;
	*y = t;
}

/* Hand the open batch over: to the writer thread when background, else
 * append it here and now (the writer is idle after batch_wait). */
static int hand_over(struct batch *b, int background, struct buf *out,
		     struct rd_err *err)
{
	int r = batch_wait(b, out, err);

	if (r < 0) {
		buf_reset(&b->lines);
		buf_reset(&b->ids);
		buf_reset(&b->acks);
		b->count = 0;
		return r;
	}
	if (b->count == 0)
		return 0;
	/* Swapping keeps both buffers' storage: no allocation per batch. */
	swap_buf(&b->lines, &b->fl_lines);
	swap_buf(&b->ids, &b->fl_ids);
	swap_buf(&b->acks, &b->fl_acks);
	b->fl_count = b->count;
	b->count = 0;
	if (background && !b->started &&
	    pthread_create(&b->th, NULL, writer, b) == 0)
		b->started = 1;
	pthread_mutex_lock(&b->lock);
	b->busy = 1;
	b->done = 0;
	if (background && b->started) {
		pthread_cond_broadcast(&b->cond);
		pthread_mutex_unlock(&b->lock);
		return 0;
	}
	pthread_mutex_unlock(&b->lock);
	append_in_flight(b);
	pthread_mutex_lock(&b->lock);
	b->done = 1;
	pthread_mutex_unlock(&b->lock);
	return background ? 0 : batch_wait(b, out, err);
}

int batch_flush(struct batch *b, struct buf *out, struct rd_err *err)
{
	return hand_over(b, 1, out, err);
}

int batch_commit(struct batch *b, struct buf *out, struct rd_err *err)
{
	return hand_over(b, 0, out, err);
}

void batch_drop(struct batch *b)
{
	buf_reset(&b->lines);
	buf_reset(&b->ids);
	buf_reset(&b->acks);
	b->count = 0;
}

int batch_finish(struct batch *b, struct buf *out, struct rd_err *err)
{
	int r;

	if ((r = batch_commit(b, out, err)) < 0)
		return r;
	if (b->unsynced.len) {
		if ((r = spool_sync(b->sp, err)) < 0) {
			buf_reset(&b->unsynced);	/* taken back */
			return r;
		}
		release(b, &b->unsynced, out);
	}
	return 0;
}

int batch_tick(struct batch *b, struct buf *out, struct rd_err *err)
{
	int r;

	if ((r = batch_wait(b, out, err)) < 0)
		return r;
	if (!b->unsynced.len || spool_sync_due_ms(b->sp) != 0)
		return 0;
	if ((r = spool_sync(b->sp, err)) < 0) {
		buf_reset(&b->unsynced);	/* taken back */
		return r;
	}
	release(b, &b->unsynced, out);
	return 0;
}
