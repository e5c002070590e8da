/*
 * batch.h - group records into spool batches and release their
 * acknowledgements only when the fsync policy is met.
 *
 * The caller attaches an opaque ack text to each record (the line it will
 * print for it).  Ack texts move to the caller's output buffer only once
 * spool_append (or spool_sync) says the record is durable, so a tool never
 * reports a record stored before it is.
 */
#ifndef BATCH_H
#define BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rec.h"
#include "spool.h"

struct batch {
	struct spool *sp;        /* borrowed */
	size_t max_bytes;        /* flush when the batch reaches this size */
	uint32_t max_records;    /* ... or this many records */
	struct buf lines;        /* canonical lines of the open batch */
	uint32_t count;
	char first_id[REC_ID_LEN + 1];
	struct buf acks;         /* ack texts of the open batch */
	struct buf unsynced;     /* ack texts written, awaiting an fsync */
};

void batch_init(struct batch *b, struct spool *sp, size_t max_bytes,
		uint32_t max_records);
void batch_release(struct batch *b);

/* Add a record (r->id set) with its ack text.  Returns 1 when the batch is
 * full and should be flushed, else 0. */
int batch_add(struct batch *b, const struct rec_req *r, const char *ack,
	      size_t ack_len);

/* Append the open batch.  Ack texts of every record now durable are
 * appended to out.  On error nothing of the open batch is stored and its
 * acks are dropped (the caller reports the failure). */
int batch_flush(struct batch *b, struct buf *out, struct rd_err *err);

/* Flush, then fsync so that every record added is durable; acks to out. */
int batch_finish(struct batch *b, struct buf *out, struct rd_err *err);

/* If an interval sync is due, do it and release its acks to out. */
int batch_tick(struct batch *b, struct buf *out, struct rd_err *err);

#endif
