/*
 * snats_iter.c - reading a NATS stream in order (see snats.h): an
 * ordered consumer over every subject of the location, from a sequence,
 * to the last sequence there was when the read began.  State messages
 * are passed over; an item is one line, its position the sequence.
 *
 * The consumer is ephemeral, with one replica, placed by the server on
 * any server of the stream's group: one that is catching up delivers
 * nothing until it has, and one that fails takes the consumer with it.
 * So when nothing comes for SNATS_WAIT_MS while the stream holds more,
 * the read makes its consumer again from the next sequence, and gives up
 * only after SNATS_SETTLE_MS with nothing delivered.
 *
 * A replica can also lack messages its leader has (nats-server 2.9.10
 * leaves a killed leader, back, with a diverged replica), and a consumer
 * there skips them as if deleted.  So the read knows which sequences its
 * leader had deleted when it began, and asks the leader for every other
 * one the consumer skips: the read is the leader's, in order.  When the
 * leader no longer has one either, the read asks for the stream's first
 * sequence, once a gap, and goes on from there if it is later (its head
 * may have been dropped by its limits meanwhile).
 */
#include <stdlib.h>
#include <string.h>

#include "clk.h"
#include "snats.h"
#include "xalloc.h"
#include "banned.h"

struct snats_iter {
	struct snats *n;
	natsSubscription *sub;
	natsMsg *m;                /* the item handed out, until the next */
	uint64_t last;             /* the stream's last sequence at the start */
	uint64_t seen;             /* the last sequence delivered to us */
	uint64_t next;             /* the sequence to hand out next */
	natsMsg *held;             /* the consumer's message past a gap */
	uint64_t held_seq;
	uint64_t first_for;        /* the held_seq iter_first was asked for */
	uint64_t *del;             /* deleted at the start, ascending */
	size_t ndel;
	unsigned quiet;            /* waits in a row with nothing delivered */
	int done;
};

#define ITER_QUIET_MAX (SNATS_SETTLE_MS / SNATS_WAIT_MS)

/* No message came for a while: the end when the stream holds nothing
 * past what was delivered (its last messages may be gone: a state
 * rolled up, limits), 0; 1 when it does, and the consumer may be made
 * again; else RD_E_IO. */
static int iter_quiet(struct snats_iter *it, struct rd_err *err)
{
	jsStreamInfo *si = NULL;
	int end, ret;

	if ((ret = snats_stream_info(it->n, &si, SNATS_LED, err)) < 0)
		return ret;
	end = si->State.LastSeq <= it->seen || si->State.FirstSeq > it->last ||
	      !si->State.Msgs;
	jsStreamInfo_Destroy(si);
	if (end)
		return 0;
	if (++it->quiet < ITER_QUIET_MAX)
		return 1;
	return rd_err_set(err, RD_E_IO,
			  "reading the stream '%s' at %s: nothing came for %d s after sequence %llu of %llu, from %u consumers in turn",
			  it->n->stream, it->n->where, it->quiet * (SNATS_WAIT_MS / 1000),
			  (unsigned long long)it->seen, (unsigned long long)it->last, it->quiet);
}

/* The read's ordered consumer, from the next sequence to hand out (it
 * is made only while no message of the last one is held): a new one
 * each time.  Making it is asked again while the cluster settles (a
 * leader elected: JetStream temporarily unavailable). */
static int iter_subscribe(struct snats_iter *it, struct rd_err *err)
{
	struct snats *n = it->n;
	struct snats_settle st = snats_settle_start();
	jsSubOptions so;
	jsErrCode jerr = 0;
	char subj[SNATS_SUBJ_MAX];
	natsStatus s;

	natsSubscription_Destroy(it->sub);
	it->sub = NULL;
	jsSubOptions_Init(&so);
	so.Stream = n->stream;
	so.Ordered = true;
	so.Config.DeliverPolicy = js_DeliverByStartSequence;
	so.Config.OptStartSeq = it->next;
	snats_subject(n, subj, sizeof(subj), ">", NULL);
	while ((s = js_SubscribeSync(&it->sub, n->js, subj, NULL, &so, &jerr)) != NATS_OK) {
		it->sub = NULL;
		if (!snats_transient(s, jerr) || !snats_settle_again(&st))
			return snats_err(n, err, s, jerr, "reading the stream");
		jerr = 0;
		clk_sleep_ms(200);
	}
	return 0;
}

void snats_iter_free(void *impl)
{
	struct snats_iter *it = impl;

	if (!it)
		return;
	natsMsg_Destroy(it->m);
	natsMsg_Destroy(it->held);
	natsSubscription_Destroy(it->sub);
	free(it->del);
	free(it);
}

static int cmp_seq(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The leader's deleted sequences, and where the read starts: at the
 * first sequence asked for, or the stream's first, the later. */
static void iter_start(struct snats_iter *it, const jsStreamInfo *si,
		       uint64_t start)
{
	size_t n = si->State.DeletedLen > 0 ? (size_t)si->State.DeletedLen : 0;

	it->last = si->State.LastSeq;
	it->next = start > si->State.FirstSeq ? start : si->State.FirstSeq;
	if (n) {
		it->del = xmalloc(n * sizeof(*it->del));
		memcpy(it->del, si->State.Deleted, n * sizeof(*it->del));
		qsort(it->del, n, sizeof(*it->del), cmp_seq);
		it->ndel = n;
	}
}

static int deleted(const struct snats_iter *it, uint64_t seq)
{
	return it->ndel && bsearch(&seq, it->del, it->ndel, sizeof(*it->del), cmp_seq);
}

int snats_iter_new(void *impl, const struct spool_pos *from, void **out,
			  struct rd_err *err)
{
	struct snats *n = impl;
	struct snats_iter *it = xcalloc(1, sizeof(*it));
	uint64_t start = from ? from->off + (from->line ? 1 : 0) : 1;
	jsStreamInfo *si = NULL;
	int ret;

	it->n = n;
	if ((ret = snats_stream_info(n, &si, SNATS_LED | SNATS_DELETED, err)) < 0) {
		free(it);
		return ret;
	}
	if (start < 1)
		start = 1;
	iter_start(it, si, start);
	jsStreamInfo_Destroy(si);
	if (start > it->last) {
		it->done = 1;
		*out = it;
		return 0;
	}
	if ((ret = iter_subscribe(it, err)) < 0) {
		snats_iter_free(it);
		return ret;
	}
	*out = it;
	return 0;
}

/* The consumer's next message: 1 with *m and its sequence, 0 at the end
 * (the stream holds nothing past what came), or an error. */
static int from_consumer(struct snats_iter *it, natsMsg **m, uint64_t *seq,
			 struct rd_err *err)
{
	for (;;) {
		jsMsgMetaData *md = NULL;
		natsStatus s = natsSubscription_NextMsg(m, it->sub, SNATS_WAIT_MS);

		if (s == NATS_TIMEOUT) {
			int ret = iter_quiet(it, err);

			*m = NULL;
			if (ret == 1 && (ret = iter_subscribe(it, err)) == 0)
				continue;
			it->done = 1;
			return ret;
		}
		if (s != NATS_OK)
			return snats_err(it->n, err, s, 0, "reading the stream");
		if ((s = natsMsg_GetMetaData(&md, *m)) != NATS_OK)
			return snats_err(it->n, err, s, 0, "reading the stream");
		*seq = md->Sequence.Stream;
		jsMsgMetaData_Destroy(md);
		it->seen = *seq;
		it->quiet = 0;
		return 1;
	}
}

/* A sequence the leader had was not found: deleted since the read
 * began, or the stream's head dropped (MaxAge, MaxBytes, MaxMsgs), maybe
 * thousands of messages at once.  The read goes on from the stream's
 * first sequence now, if it is later, rather than ask for each.  Asked
 * once a gap: deletions inside the stream cost a request each, as
 * before. */
static int iter_first(struct snats_iter *it, struct rd_err *err)
{
	jsStreamInfo *si = NULL;
	int ret;

	if ((ret = snats_stream_info(it->n, &si, SNATS_LED, err)) < 0)
		return ret;
	if (si->State.FirstSeq > it->next)
		it->next = si->State.FirstSeq;
	jsStreamInfo_Destroy(si);
	return 0;
}

/* The message to hand out next, in the stream's order: 1 with *m and its
 * sequence, 0 at the end, or an error.  A sequence the consumer skipped
 * that the leader had not deleted when the read began is asked of the
 * leader (deleted since, it has none), while the consumer's next message
 * waits; one not found there moves the read to the stream's first
 * sequence (iter_first). */
static int next_msg(struct snats_iter *it, natsMsg **m, uint64_t *seq,
		    struct rd_err *err)
{
	int ret;

	for (;;) {
		if (!it->held) {
			if ((ret = from_consumer(it, m, seq, err)) <= 0)
				return ret;
			if (*seq < it->next) {        /* had already */
				natsMsg_Destroy(*m);
				*m = NULL;
				continue;
			}
			it->held = *m;
			it->held_seq = *seq;
			*m = NULL;
		}
		if (it->next >= it->held_seq || it->next > it->last) {
			*m = it->held;
			*seq = it->held_seq;
			it->held = NULL;
			it->next = *seq + 1;
			return 1;
		}
		*seq = it->next++;
		if (deleted(it, *seq))
			continue;
		if ((ret = snats_at(it->n, *seq, m, err)) != 0)
			return ret;
		if (it->next < it->held_seq && it->first_for != it->held_seq) {
			it->first_for = it->held_seq;   /* once a gap */
			if ((ret = iter_first(it, err)) < 0)
				return ret;
		}
	}
}

int snats_iter_next(void *impl, struct spool_item *item, struct rd_err *err)
{
	struct snats_iter *it = impl;
	char state[SNATS_SUBJ_MAX];
	size_t sl;

	snats_subject(it->n, state, sizeof(state), "state.", NULL);
	sl = strlen(state) - 1;   /* "rd.S.state." */
	natsMsg_Destroy(it->m);
	it->m = NULL;
	while (!it->done) {
		uint64_t seq = 0;
		int ret = next_msg(it, &it->m, &seq, err);

		if (ret <= 0)
			return ret;
		/* the end is the last sequence there was at the start, never
		 * the consumer's pending count (0 too soon after a reset) */
		it->done = seq >= it->last;
		if (strncmp(natsMsg_GetSubject(it->m), state, sl) == 0) {
			natsMsg_Destroy(it->m);
			it->m = NULL;
			continue;
		}
		item->line = natsMsg_GetData(it->m);
		item->len = (size_t)natsMsg_GetDataLength(it->m);
		item->pos.seg = 0;
		item->pos.off = seq;
		item->pos.line = 0;
		return 1;
	}
	return 0;
}
