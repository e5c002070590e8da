/*
 * capture.c - the capture engine (see capture.h): the input readers, ids,
 * batches and acknowledgements of rd-capture.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "jqf.h"
#include "json.h"
#include "lineio.h"
#include "rawhttp.h"
#include "redact.h"
#include "banned.h"

int capture_init(struct capture *c, const struct capture_opts *o,
		 struct spool *sp, struct rd_err *err)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	c->sp = sp;
	buf_init(&c->out);
	buf_init(&c->ack);
	buf_init(&c->tmp);
	rec_parser_init(&c->parser);
	batch_init(&c->b, sp, o->batch_bytes, o->batch_records);
	return rec_idgen_init(&c->ids, err);
}

void capture_release(struct capture *c)
{
	batch_release(&c->b);
	rec_parser_release(&c->parser);
	buf_release(&c->out);
	buf_release(&c->ack);
	buf_release(&c->tmp);
}

/* Hand over what is durable; once the output is gone, only count it. */
static void drain(struct capture *c)
{
	for (size_t i = 0; i < c->out.len; i++)
		c->stored += c->out.data[i] == '\n';
	if (c->out.len && !c->stop && !c->o->no_acks && c->o->on_acks &&
	    c->o->on_acks(c->o->ctx, &c->out))
		c->stop = 1;
	buf_reset(&c->out);
}

/* Acknowledge the batch in flight before another is stored: when its
 * acks cannot be written, nothing more goes to the spool. */
static int settle(struct capture *c, struct rd_err *e2)
{
	int ret = batch_wait(&c->b, &c->out, e2);

	drain(c);
	return ret;
}

/* One refused input: told to the caller, kept verbatim with --reject. */
static int reject(struct capture *c, const char *what, const char *text,
		  size_t n, const char *why, struct rd_err *err)
{
	c->rejected++;
	if (c->o->on_reject)
		c->o->on_reject(c->o->ctx, what, why);
	if (c->o->reject_fd >= 0 && text) {
		struct buf t;
		size_t done;
		int e;

		buf_init(&t);
		buf_add(&t, text, n);
		buf_addc(&t, '\n');
		e = buf_write_fd(&t, c->o->reject_fd, &done);
		buf_release(&t);
		if (e < 0)
			return rd_err_sys(err, -e, "cannot keep a refused input (--reject)");
	}
	return 0;
}

void capture_name(struct capture *c, struct rec_req *rec)
{
	const char *h = c->o->idem_header ? c->o->idem_header : "Idempotency-Key";

	if (!rec->id[0])
		rec_id_next(&c->ids, rec_now_ms(), rec->id);
	/* A request that already carries an idempotency key keeps it: the
	 * downstream may have seen that key on the failed attempt. */
	for (size_t i = 0; !rec->idem_key.n && i < rec->nhdrs; i++)
		if (rec->hdrs[i].value_len && hdr_is(&rec->hdrs[i], h)) {
			rec->idem_key.p = rec->hdrs[i].value;
			rec->idem_key.n = rec->hdrs[i].value_len;
		}
}

static void make_ack(struct capture *c, const struct rec_req *rec,
		     uint64_t where)
{
	buf_reset(&c->ack);
	if (c->o->no_acks) {    /* a bare line: counted, never said */
		buf_addc(&c->ack, '\n');
		return;
	}
	if (!c->o->json_acks) {
		buf_adds(&c->ack, rec->id);
		buf_addc(&c->ack, '\n');
		return;
	}
	buf_adds(&c->ack, "{\"id\":\"");
	buf_adds(&c->ack, rec->id);
	buf_addf(&c->ack, "\",\"input\":%llu,\"method\":", (unsigned long long)where);
	json_add_str(&c->ack, rec->method.p, rec->method.n);
	buf_adds(&c->ack, ",\"url\":");
	buf_reset(&c->tmp);
	redact_url(NULL, rec->url.p, rec->url.n, &c->tmp);
	json_add_str(&c->ack, c->tmp.data, c->tmp.len);
	buf_adds(&c->ack, "}\n");
}

int capture_store(struct capture *c, struct rec_req *rec, uint64_t where,
		  struct rd_err *err)
{
	struct rd_err e2;
	int k, ret;

	capture_name(c, rec);
	/* the key a header gave must be one a record can hold too */
	if (!rec_idem_key_valid(rec->idem_key)) {
		char what[64];

		snprintf(what, sizeof(what), "input %llu", (unsigned long long)where);
		return reject(c, what, NULL, 0,
			      "its idempotency key header is over the 256 bytes of UTF-8 a record's key holds", err);
	}
	if (!rec->has_captured) {
		rec->captured_ms = rec_now_ms();
		rec->has_captured = 1;
	}
	make_ack(c, rec, where);
	k = batch_add(&c->b, rec, c->ack.data, c->ack.len);
	if (k < 0) {
		char what[64], why[160];

		/* Longer than any reader inflates (spool.h): refused, rather
		 * than stored and never read. */
		snprintf(what, sizeof(what), "input %llu", (unsigned long long)where);
		snprintf(why, sizeof(why),
			 "record is %zu bytes as stored, over the %zu-byte limit of a spool record",
			 c->b.last_line, c->b.max_line);
		return reject(c, what, NULL, 0, why, err);
	}
	if (!k)
		return 0;
	/* acknowledgements of batches made durable before a failure are
	 * said all the same */
	if ((ret = settle(c, &e2)) >= 0 && !c->stop)
		ret = batch_flush(&c->b, &c->out, &e2);
	if (ret < 0)
		return rd_err_set(err, e2.code ? e2.code : RD_E_IO,
				  "cannot store records: %s", e2.msg);
	return 0;
}

/* Make what is buffered durable, and say so. */
static int flush(struct capture *c, struct rd_err *err)
{
	struct rd_err e2;

	int ret;

	if ((ret = settle(c, &e2)) >= 0 && !c->stop) {
		ret = batch_commit(&c->b, &c->out, &e2);
		if (ret >= 0)
			ret = batch_tick(&c->b, &c->out, &e2);
		drain(c);
	}
	if (ret < 0)
		return rd_err_set(err, e2.code ? e2.code : RD_E_IO,
				  "cannot store records: %s", e2.msg);
	return 0;
}

int capture_finish(struct capture *c, struct rd_err *err)
{
	struct rd_err e2;
	int ret;

	/* Stopped: batches written and waiting for an interval sync are
	 * still made durable (a later reader would index them anyway), and
	 * counted as stored; the open batch is not written. */
	if ((ret = settle(c, &e2)) >= 0) {
		if (c->stop)
			batch_drop(&c->b);
		ret = batch_finish(&c->b, &c->out, &e2);
		/* stopped only now: every record read was stored */
		c->complete = !c->stop;
		drain(c);
	}
	if (ret < 0)
		return rd_err_set(err, e2.code ? e2.code : RD_E_IO,
				  "cannot store records: %s", e2.msg);
	return 0;
}

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* Before blocking on an idle input: durable and acknowledged first. */
static int idle(struct capture *c, int fd, struct rd_err *err)
{
	int64_t due;
	int ret;

	if ((ret = flush(c, err)) < 0)
		return ret;
	due = spool_sync_due_ms(c->sp);
	if (due > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, (int)due) == 0)
			return flush(c, err);
	}
	return 0;
}

/* A line over --max-record-size: refused once, kept whole with --reject
 * as it streams by, never held in memory. */
static int oversized(struct capture *c, const char *what, const char *p,
		     size_t n, int flags, struct rd_err *err)
{
	if (flags & LINEIO_OVER_FIRST) {
		char why[128];

		snprintf(why, sizeof(why),
			 "record is larger than the %llu-byte limit (--max-record-size)",
			 (unsigned long long)c->o->max_record);
		if (reject(c, what, NULL, 0, why, err) < 0)
			return RD_E_IO;
	}
	if (c->o->reject_fd >= 0 &&
	    (write(c->o->reject_fd, p, n) != (ssize_t)n ||
	     ((flags & LINEIO_OVER_LAST) && write(c->o->reject_fd, "\n", 1) != 1)))
		return rd_err_sys(err, errno, "cannot keep a refused input (--reject)");
	return 0;
}

int capture_ndjson(struct capture *c, int fd, struct rd_err *err)
{
	struct lineio l;
	char what[64];
	int ret = 0, k, flags;
	const char *p;
	size_t n;

	lineio_init(&l, fd, c->o->max_record);
	while (!c->stop) {
		struct rec_req rec;
		struct rd_err e2;

		if (!lineio_ready(&l) && (ret = idle(c, fd, err)) < 0)
			break;
		if ((k = lineio_next(&l, &p, &n, &flags, err)) <= 0) {
			ret = k;
			break;
		}
		snprintf(what, sizeof(what), "line %llu", (unsigned long long)l.lineno);
		if (flags & LINEIO_OVER) {
			if ((ret = oversized(c, what, p, n, flags, err)) < 0)
				break;
			continue;
		}
		if (blank(p, n))
			continue;
		if (rec_req_parse(&c->parser, p, n, 0, &rec, &e2) < 0)
			ret = reject(c, what, p, n, e2.msg, err);
		else
			ret = capture_store(c, &rec, l.lineno, err);
		if (ret < 0)
			break;
	}
	lineio_release(&l);
	return ret;
}

void capture_proto(const struct capture *c, struct rec_req *rec)
{
	const struct rec_req *p = c->o->proto;

	if (!p)
		return;
	rec->fail_type = p->fail_type;
	rec->fail_status = p->fail_status;
	rec->fail_msg = p->fail_msg;
	rec->attempts = p->attempts;
	rec->idem_key = p->idem_key;
	rec->tags = p->tags;
	rec->ntags = p->ntags;
}

/* One parsed raw message, as a record. */
static int raw_one(struct capture *c, const struct rawhttp_req *q,
		   const char *what, const char *text, size_t n, uint64_t msgno,
		   struct rd_err *err)
{
	struct rec_req rec;
	struct rd_err e2;
	int ret;

	memset(&rec, 0, sizeof(rec));
	rec.method.p = q->method;
	rec.method.n = strlen(q->method);
	rec.url.p = q->url;
	rec.url.n = strlen(q->url);
	rec.hdrs = q->hdrs;
	rec.nhdrs = q->nhdrs;
	rec.body.p = q->body ? q->body : "";
	rec.body.n = q->body_len;
	capture_proto(c, &rec);
	if (rec_req_validate(&rec, &e2) < 0)
		ret = reject(c, what, text, n, e2.msg, err);
	else
		ret = capture_store(c, &rec, msgno, err);
	return ret;
}

int capture_raw(struct capture *c, int fd, struct rd_err *err)
{
	struct rawhttp_stream s;
	struct buf in;
	size_t start, used;
	uint64_t msgno = 0;
	int ret, got;

	buf_init(&in);
	/* The whole stream is bounded by the record limit times a margin
	 * for pipelined messages; larger input is refused, not buffered. */
	if ((ret = buf_read_fd(&in, fd, c->o->max_record + 65536, err)) < 0) {
		if (ret == RD_E_FULL && err) {
			struct rd_err e2 = *err;

			rd_err_set(err, RD_E_FULL, "%s (--max-record-size)", e2.msg);
		}
		goto out;
	}
	rawhttp_stream_init(&s, in.data, in.len);
	for (;;) {
		struct rawhttp_req q;
		struct rd_err e2;
		char what[64];

		rawhttp_req_init(&q);
		snprintf(what, sizeof(what), "message %llu", (unsigned long long)++msgno);
		/* Empty lines between and after messages are not messages. */
		got = rawhttp_next(&s, c->o->scheme, &q, &start, &used, &e2);
		if (got < 0) {
			char why[600];

			/* Offsets in the message are relative to its start;
			 * after a bad one, where the next starts is unknown. */
			snprintf(why, sizeof(why), "%s (message starts at byte %zu)",
				 e2.msg, start);
			ret = reject(c, what, in.data + start, in.len - start, why, err);
		} else if (got > 0) {
			ret = raw_one(c, &q, what, in.data + start, used, msgno, err);
		}
		rawhttp_req_release(&q);
		if (got <= 0 || ret < 0 || c->stop)
			break;
	}
out:
	buf_release(&in);
	return ret;
}

/* One output of the filter: a record, or a refusal naming it. */
static int jq_one(struct capture *c, const struct buf *text, size_t input_no,
		  size_t outs, struct rd_err *err)
{
	struct rec_req rec;
	struct rd_err e2;
	char what[96];

	snprintf(what, sizeof(what), "input %zu, output %zu", input_no, outs);
	if (text->len > c->o->max_record)
		return reject(c, what, text->data, text->len,
			      "record is larger than the limit (--max-record-size)", err);
	if (rec_req_parse(&c->parser, text->data, text->len, 0, &rec, &e2) < 0)
		return reject(c, what, text->data, text->len, e2.msg, err);
	return capture_store(c, &rec, input_no, err);
}

/* The next bytes of fd into the filter: 1 at the end, 0, or RD_E_IO. */
static int jq_feed(struct jqf *f, int fd, struct buf *chunk, struct rd_err *err)
{
	char *d;
	ssize_t n;

	buf_reset(chunk);
	d = buf_reserve(chunk, 1 << 16);
	do
		n = read(fd, d, 1 << 16);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return rd_err_sys(err, errno, "cannot read input");
	jqf_feed(f, d, (size_t)n, n == 0);
	return n == 0;
}

int capture_jq(struct capture *c, int fd, struct rd_err *err)
{
	struct jqf *f = NULL;
	struct buf chunk, text;
	size_t input_no = 0, outs = 0, last_input = 0;
	int ret, eof = 0, k;

	buf_init(&chunk);
	buf_init(&text);
	if ((ret = jqf_new("--jq", c->o->jq, &f, err)) < 0)
		goto out;
	while (!c->stop) {
		struct rd_err e2;

		k = jqf_next(f, &text, &input_no, &e2);
		if (k == 1 || k == RD_E_INVAL) {
			char what[96];

			/* an error counts as the input's next output */
			outs = input_no == last_input ? outs + 1 : 1;
			last_input = input_no;
			snprintf(what, sizeof(what), "input %zu, output %zu",
				 input_no, outs);
			ret = k == 1 ? jq_one(c, &text, input_no, outs, err) :
			      reject(c, what, NULL, 0, e2.msg, err);
			if (ret < 0)
				break;
			continue;
		}
		if (k == RD_E_CORRUPT) {
			char what[64];

			snprintf(what, sizeof(what), "input %zu", input_no);
			ret = reject(c, what, NULL, 0, e2.msg, err);
			break;
		}
		if (eof || (ret = flush(c, err)) < 0 ||
		    (ret = eof = jq_feed(f, fd, &chunk, err)) < 0)
			break;
		ret = 0;
	}
out:
	jqf_free(f);
	buf_release(&chunk);
	buf_release(&text);
	return ret;
}
