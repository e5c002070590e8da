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
 */
#include <stdlib.h>
#include <string.h>

#include "snats.h"
#include "xalloc.h"
#include "banned.h"

struct snats_iter {
	struct snats *n;
	natsSubscription *sub;
	natsMsg *m;                /* the item handed out, until the next */
	uint64_t last;             /* the stream's last sequence at the start */
	uint64_t seen;             /* the last sequence delivered to us */
	uint64_t start;            /* the first sequence asked for */
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

	if ((ret = snats_stream_info(it->n, &si, 1, err)) < 0)
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

/* The read's ordered consumer, from the sequence after the last one
 * delivered (the first asked for, before any): a new one each time. */
static int iter_subscribe(struct snats_iter *it, struct rd_err *err)
{
	struct snats *n = it->n;
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
	so.Config.OptStartSeq = it->seen ? it->seen + 1 : it->start;
	snats_subject(n, subj, sizeof(subj), ">", NULL);
	if ((s = js_SubscribeSync(&it->sub, n->js, subj, NULL, &so, &jerr)) != NATS_OK)
		return snats_err(n, err, s, jerr, "reading the stream");
	return 0;
}

void snats_iter_free(void *impl)
{
	struct snats_iter *it = impl;

	if (!it)
		return;
	natsMsg_Destroy(it->m);
	natsSubscription_Destroy(it->sub);
	free(it);
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
	if ((ret = snats_stream_info(n, &si, 1, err)) < 0) {
		free(it);
		return ret;
	}
	it->last = si->State.LastSeq;
	jsStreamInfo_Destroy(si);
	if (start < 1)
		start = 1;
	if (start > it->last) {
		it->done = 1;
		*out = it;
		return 0;
	}
	it->start = start;
	if ((ret = iter_subscribe(it, err)) < 0) {
		free(it);
		return ret;
	}
	*out = it;
	return 0;
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
		jsMsgMetaData *md = NULL;
		natsStatus s = natsSubscription_NextMsg(&it->m, it->sub, SNATS_WAIT_MS);
		uint64_t seq;

		if (s == NATS_TIMEOUT) {
			int ret = iter_quiet(it, err);

			it->m = NULL;
			if (ret == 1 && (ret = iter_subscribe(it, err)) == 0)
				continue;
			it->done = 1;
			return ret;
		}
		if (s != NATS_OK)
			return snats_err(it->n, err, s, 0, "reading the stream");
		if ((s = natsMsg_GetMetaData(&md, it->m)) != NATS_OK)
			return snats_err(it->n, err, s, 0, "reading the stream");
		seq = md->Sequence.Stream;
		it->seen = seq;
		it->quiet = 0;
		/* the end is the last sequence there was at the start, never
		 * the consumer's pending count (0 too soon after a reset) */
		it->done = seq >= it->last;
		jsMsgMetaData_Destroy(md);
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
