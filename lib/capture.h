/*
 * capture.h - the capture engine: requests from every input rd-capture
 * takes (NDJSON records, raw HTTP/1.1 messages, any JSON through a jq
 * filter, or one request built by the caller) checked, given an id and
 * stored in batches, each acknowledged only once it is durable under the
 * spool's fsync policy.
 *
 * Invariants: a refused input is reported (with its place: "line 3",
 * "message 2", "input 1, output 4") and never half-stored; the inputs
 * around it are stored.  An acknowledgement (the id, or a JSON object) is
 * handed to the caller only after the batch holding its record is
 * durable.  When the input goes idle, what is buffered is made durable
 * and acknowledged before the engine blocks on more.  A batch is handed
 * to the spool only after the one before it was acknowledged, so when the
 * caller cannot write acks (on_acks returns non-zero) nothing more is
 * stored: the records stored without their ack are those of the batch
 * being acknowledged (and, with --fsync interval, those waiting for their
 * sync), all counted in stored.
 *
 * Deliberately not here: printing (the caller is told of refusals and
 * gets the acknowledgements to write) and sending (rd-capture --try).
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "buf.h"
#include "rd.h"
#include "rec.h"
#include "spool.h"

struct capture_opts {
	uint64_t max_record;        /* bytes of one record */
	int json_acks;              /* acks as {"id","input","method","url"} */
	int no_acks;                /* acknowledge nothing on the output */
	const char *idem_header;    /* a request's own key is in this header */
	const char *scheme;         /* raw: of origin-form targets */
	const char *jq;             /* capture_jq's filter */
	const struct rec_req *proto;/* raw: failure, key, attempts and tags
				     * the command line gives; NULL: none */
	int reject_fd;              /* refused inputs, verbatim; -1: none */
	size_t batch_bytes, batch_records;
	/* acks (lines) that are durable; the callee writes and empties it,
	 * and returns non-zero when output is gone (no more input is read) */
	int (*on_acks)(void *ctx, struct buf *acks);
	/* one refused input: where it was and why */
	void (*on_reject)(void *ctx, const char *what, const char *why);
	void *ctx;
};

struct capture {
	const struct capture_opts *o;
	struct spool *sp;           /* borrowed */
	struct batch b;
	struct rec_idgen ids;
	struct rec_parser parser;
	struct buf out, ack, tmp;
	uint64_t stored, rejected;  /* durable (handed to on_acks, or not
				     * once stopped), refused */
	int stop;                   /* the output is gone: read, store no more */
	int complete;               /* the input was all read and stored
				     * (capture_finish got that far) */
};

/* Prepare to store into sp (borrowed).  RD_E_IO when no random id key
 * can be made. */
int capture_init(struct capture *c, const struct capture_opts *o,
		 struct spool *sp, struct rd_err *err);
void capture_release(struct capture *c);

/* Read fd to its end in each format.  0 when the input was read (some of
 * it may have been refused: c->rejected), or a negative code with err:
 * RD_E_IO (input or spool), RD_E_INVAL (a jq filter that does not
 * compile), RD_E_FULL (input over the limit, or the spool cap). */
int capture_ndjson(struct capture *c, int fd, struct rd_err *err);
int capture_raw(struct capture *c, int fd, struct rd_err *err);
int capture_jq(struct capture *c, int fd, struct rd_err *err);

/* Give rec an id (unless it has one), its own idempotency key and a
 * capture time, and queue it; where numbers its input for the ack. */
int capture_store(struct capture *c, struct rec_req *rec, uint64_t where,
		  struct rd_err *err);

/* Give rec, built from a raw message or the curl-like flags, what the
 * command line says of it (o->proto): its failure, attempts, idempotency
 * key and tags.  rec borrows them from o->proto. */
void capture_proto(const struct capture *c, struct rec_req *rec);

/* rec's id now, before it is stored (rd-capture --try sends it first),
 * and its own idempotency key from its headers. */
void capture_name(struct capture *c, struct rec_req *rec);

/* Make everything durable and hand over the last acks. */
int capture_finish(struct capture *c, struct rd_err *err);

#endif
