/*
 * batch.c - batching and acknowledgement release.  No I/O of its own
 * beyond the spool calls; the caller prints what lands in `out`.
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
	buf_init(&b->lines);
	buf_init(&b->acks);
	buf_init(&b->unsynced);
}

void batch_release(struct batch *b)
{
	buf_release(&b->lines);
	buf_release(&b->acks);
	buf_release(&b->unsynced);
}

int batch_add(struct batch *b, const struct rec_req *r, const char *ack,
	      size_t ack_len)
{
	if (b->count == 0)
		memcpy(b->first_id, r->id, REC_ID_LEN + 1);
	rec_req_to_json(&b->lines, r);
	buf_add(&b->acks, ack, ack_len);
	b->count++;
	return b->lines.len >= b->max_bytes || b->count >= b->max_records;
}

static void release(struct batch *b, struct buf *from, struct buf *out)
{
	buf_add(out, from->data, from->len);
	buf_reset(from);
}

int batch_flush(struct batch *b, struct buf *out, struct rd_err *err)
{
	struct spool_batch sb;
	int r;

	if (b->count == 0)
		return 0;
	sb.data = b->lines.data;
	sb.len = b->lines.len;
	sb.count = b->count;
	sb.first_id = b->first_id;
	r = spool_append(b->sp, &sb, err);
	buf_reset(&b->lines);
	b->count = 0;
	if (r < 0) {
		buf_reset(&b->acks);
		return r;
	}
	release(b, &b->acks, &b->unsynced);
	if (r > 0)
		release(b, &b->unsynced, out);
	return 0;
}

int batch_finish(struct batch *b, struct buf *out, struct rd_err *err)
{
	int r;

	if ((r = batch_flush(b, out, err)) < 0)
		return r;
	if (b->unsynced.len) {
		if ((r = spool_sync(b->sp, err)) < 0)
			return r;
		release(b, &b->unsynced, out);
	}
	return 0;
}

int batch_tick(struct batch *b, struct buf *out, struct rd_err *err)
{
	int r;

	if (!b->unsynced.len || spool_sync_due_ms(b->sp) != 0)
		return 0;
	if ((r = spool_sync(b->sp, err)) < 0)
		return r;
	release(b, &b->unsynced, out);
	return 0;
}
