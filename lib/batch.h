/*
 * batch.h - group records into spool batches and release their
 * acknowledgements only when the fsync policy is met.
 *
 * The caller attaches an opaque ack text to each record (the line it will
 * print for it).  Ack texts move to the caller's output buffer only once
 * spool_append (or spool_sync) says the record is durable, so a tool never
 * reports a record stored before it is.
 *
 * Appends are pipelined: batch_flush hands a full batch to a writer
 * thread (compress, write, fsync) and returns, so the caller parses the
 * next batch meanwhile.  The same thread appends every batch, so the
 * system calls of appends come from one thread, in order.  At most one batch is in flight, so batches reach
 * the spool in order.  While one is in flight the spool belongs to the
 * writer: call spool functions only after batch_wait.
 */
#ifndef BATCH_H
#define BATCH_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rec.h"
#include "spool.h"

struct batch {
	struct spool *sp;        /* borrowed */
	size_t max_bytes;        /* flush when the batch reaches this size */
	uint32_t max_records;    /* ... or this many records */
	size_t max_line;         /* longest record as stored; default
				  * SPOOL_RECORD_MAX, what readers inflate */
	size_t last_line;        /* length of the last record added */
	struct buf lines;        /* canonical lines of the open batch */
	struct buf ids;          /* their ids, REC_ID_LEN chars each, in line
				  * order: handed to the spool with the lines,
				  * so it never reads them back out of them */
	uint32_t count;
	struct buf acks;         /* ack texts of the open batch */
	struct buf unsynced;     /* ack texts written, awaiting an fsync */
	/* The batch in flight, owned by the writer until batch_wait.  One
	 * writer thread lives as long as the batch; lock guards the flags. */
	int started;             /* the writer thread exists */
	int busy;                /* a batch was handed over, not yet waited */
	int done, quit;
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct buf fl_lines, fl_ids, fl_acks;
	uint32_t fl_count;
	int fl_ret;
	struct rd_err fl_err;
};

void batch_init(struct batch *b, struct spool *sp, size_t max_bytes,
		uint32_t max_records);
/* Waits for a batch in flight, then frees everything. */
void batch_release(struct batch *b);

/* Add a record (r->id set) with its ack text.  Returns 1 when the batch is
 * full and should be flushed, else 0; RD_E_FULL, with the batch as it
 * was, when the record's canonical line (last_line bytes) is longer than
 * max_line: readers would not inflate it, so it must not be stored. */
int batch_add(struct batch *b, const struct rec_req *r, const char *ack,
	      size_t ack_len);

/* Wait for the batch in flight (as batch_wait), then start appending the
 * open batch in the background.  On error (of the batch in flight) the
 * open batch is dropped too: nothing of either is acknowledged. */
int batch_flush(struct batch *b, struct buf *out, struct rd_err *err);

/* Wait for the batch in flight, then append the open batch in this
 * thread; acks of what is durable go to out.  For an input that went idle
 * or ended: no thread is started for it. */
int batch_commit(struct batch *b, struct buf *out, struct rd_err *err);

/* Wait for the batch in flight.  Ack texts of every record now durable
 * are appended to out.  On error nothing of that batch is stored, nor of
 * the batches still waiting for an interval sync: all their acks are
 * dropped (the caller reports the failure). */
int batch_wait(struct batch *b, struct buf *out, struct rd_err *err);

/* Forget the open batch: its records were added but are never to be
 * stored (the caller's output is gone).  The batch in flight, and those
 * waiting for an interval sync, are not touched. */
void batch_drop(struct batch *b);

/* Commit, then fsync so that every record added is durable; acks to out. */
int batch_finish(struct batch *b, struct buf *out, struct rd_err *err);

/* Wait; then, if an interval sync is due, do it and release its acks. */
int batch_tick(struct batch *b, struct buf *out, struct rd_err *err);

#endif
