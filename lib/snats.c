/*
 * snats.c - the NATS JetStream backend, log tier (see snats.h and
 * spool_be.h): the location, the stream, appends, iteration through an
 * ordered consumer, state files, verify.
 *
 * A position is the stream sequence (spool_pos.off; seg is always 0, and
 * line 1 means "after it").  An append publishes each line with its id
 * as Nats-Msg-Id and returns only when every PubAck is in: a retry of a
 * batch whose ack was lost stores nothing twice within the dedupe window.
 * A batch is not atomic here: when a publish fails, lines before it may
 * be stored (not acknowledged; at least once).
 */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "clk.h"
#include "lazy.h"
#include "queue_be.h"
#include "snats.h"
#include "spool_be.h"
#include "xalloc.h"
#include "banned.h"

#define DEDUPE_NS (10LL * 60 * 1000000000)

/* --- helpers ------------------------------------------------------------- */

/* An answer that a moment may change: the JetStream API or a new
 * stream not yet listening on the server we talk to (just after the
 * cluster formed or the stream was made, or while a leader is elected). */
int snats_transient(natsStatus s, jsErrCode jerr)
{
	return s == NATS_NO_RESPONDERS || s == NATS_TIMEOUT ||
	       jerr == JSClusterNotAvailErr;
}

/* The settle window (SNATS_SETTLE_MS) of a request that may be retried.
 * snats_settle_again says whether one more try is worth making: while the
 * window lasts, and always a second one.  A try that came back after the
 * window only because the process was stopped while it waited (SIGSTOP,
 * a VM paused) is not the server's silence; its answer may be in the
 * socket already, and the next try, with the same Nats-Msg-Ids, reads it. */
struct snats_settle snats_settle_start(void)
{
	return (struct snats_settle){ clk_mono_ns() + (int64_t)SNATS_SETTLE_MS * 1000000, 0 };
}

bool snats_settle_again(struct snats_settle *st)
{
	return ++st->tries < 2 || clk_mono_ns() < st->until;
}

void snats_subject(const struct snats *n, char *out, size_t len,
		   const char *kind, const char *tail)
{
	snprintf(out, len, "rd.%s.%s%s%s", n->stream, kind, tail ? "." : "",
		 tail ? tail : "");
}

int snats_err(const struct snats *n, struct rd_err *err, natsStatus s,
	      jsErrCode jerr, const char *what)
{
	const char *text = nats_GetLastError(NULL), *p;

	if (!text || !*text)
		text = natsStatus_GetText(s);
	/* the library's "(conn.c:2088): " says where in its own code */
	if (text[0] == '(' && (p = strstr(text, "): ")))
		text = p + 3;
	if (s == NATS_NO_SERVER || s == NATS_CONNECTION_CLOSED ||
	    s == NATS_CONNECTION_DISCONNECTED)
		return rd_err_set(err, RD_E_IO, "%s: cannot reach NATS at %s: %s",
				  what, n->where, text);
	if (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED)
		return rd_err_set(err, RD_E_IO, "%s: NATS at %s refused us: %s",
				  what, n->where, text);
	if (jerr == JSStreamNotFoundErr)
		return rd_err_set(err, RD_E_INVAL, "%s: stream '%s' does not exist at %s",
				  what, n->stream, n->where);
	if (s == NATS_TIMEOUT)
		return rd_err_set(err, RD_E_IO, "%s: NATS at %s did not answer in time",
				  what, n->where);
	return rd_err_set(err, RD_E_IO, "%s: %s (stream '%s' at %s)", what, text,
			  n->stream, n->where);
}

/* The last message on subject, or with none, the one at seq: both are
 * asked of the stream's leader. */
static int get_msg(struct snats *n, const char *subject, uint64_t seq,
		   natsMsg **m, struct rd_err *err)
{
	/* a stream leader killed: its election takes a few seconds */
	struct snats_settle st = snats_settle_start();
	jsErrCode jerr;
	natsStatus s;

	for (;;) {
		jerr = 0;
		*m = NULL;
		s = subject ? js_GetLastMsg(m, n->js, n->stream, subject, NULL, &jerr) :
			      js_GetMsg(m, n->js, n->stream, seq, NULL, &jerr);
		if (s == NATS_OK)
			return 1;
		*m = NULL;
		if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr)
			return 0;
		if (!snats_transient(s, jerr) || !snats_settle_again(&st))
			return snats_err(n, err, s, jerr, "reading the stream");
		clk_sleep_ms(200);
	}
}

int snats_last(struct snats *n, const char *subject, natsMsg **m,
	       struct rd_err *err)
{
	return get_msg(n, subject, 0, m, err);
}

int snats_at(struct snats *n, uint64_t seq, natsMsg **m, struct rd_err *err)
{
	return get_msg(n, NULL, seq, m, err);
}

/* A publish answered as a duplicate, kept for snats_keys_end (mu held). */
static void note_dup(struct snats *n, natsMsg *msg)
{
	const char *id = NULL;

	if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK || !id)
		return;
	if (n->ndups == n->dups_cap) {
		n->dups_cap = n->dups_cap ? 2 * n->dups_cap : 16;
		n->dups = xrealloc(n->dups, n->dups_cap * sizeof(*n->dups));
	}
	snprintf(n->dups[n->ndups++], SNATS_MSGID_MAX, "%s", id);
}

void snats_key(struct snats *n, const char *ev_id, const char *msgid)
{
	struct snats_key *k;

	if (n->nkeys == n->keys_cap) {
		n->keys_cap = n->keys_cap ? 2 * n->keys_cap : 16;
		n->keys = xrealloc(n->keys, n->keys_cap * sizeof(*n->keys));
	}
	k = &n->keys[n->nkeys++];
	memcpy(k->ev, ev_id, REC_ID_LEN);
	k->ev[REC_ID_LEN] = '\0';
	snprintf(k->msgid, sizeof(k->msgid), "%s", msgid);
	pthread_mutex_lock(&n->mu);
	n->want_dups = 1;
	pthread_mutex_unlock(&n->mu);
}

void snats_keys_end(struct snats *n, void (*dup)(void *ctx, const char *msgid),
		    void *ctx)
{
	char (*dups)[SNATS_MSGID_MAX];
	size_t nd;

	/* taken out first: dup may ask the server, whose answers come on
	 * the library's thread */
	pthread_mutex_lock(&n->mu);
	dups = n->dups;
	nd = n->ndups;
	n->dups = NULL;
	n->ndups = n->dups_cap = 0;
	n->want_dups = 0;
	pthread_mutex_unlock(&n->mu);
	for (size_t i = 0; i < nd; i++)
		dup(ctx, dups[i]);
	free(dups);
	n->nkeys = 0;
	n->key_at = 0;
}

/* The key an event is published under, if it has one: the keys come in
 * the order their events are published, so the search starts where the
 * last one was found. */
static const char *key_of(struct snats *n, const char *ev_id)
{
	for (size_t k = 0; k < n->nkeys; k++) {
		size_t i = (n->key_at + k) % n->nkeys;

		if (memcmp(n->keys[i].ev, ev_id, REC_ID_LEN) == 0) {
			n->key_at = i + 1;
			return n->keys[i].msgid;
		}
	}
	return NULL;
}

/* Every PubAck, or its error, from the library's thread. */
static void on_pub_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae,
		       void *closure)
{
	struct snats *n = closure;

	(void)js;
	pthread_mutex_lock(&n->mu);
	if (pa && pa->Duplicate && n->want_dups)
		note_dup(n, msg);
	if (pae) {
		n->pub_errs++;
		snprintf(n->pub_err, sizeof(n->pub_err), "%s",
			 pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err));
		n->pub_full = pae->ErrCode == JSStreamStoreFailedErr ||
			      (pae->ErrText && strstr(pae->ErrText, "maximum"));
		n->pub_transient += snats_transient(pae->Err, pae->ErrCode);
	}
	n->pub_done++;
	pthread_cond_broadcast(&n->cv);
	pthread_mutex_unlock(&n->mu);
	natsMsg_Destroy(msg);
}

/* Wait until every publish so far has its answer: 0, or RD_E_IO when
 * none came within SNATS_WAIT_MS. */
static int wait_acks(struct snats *n)
{
	struct timespec until;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SNATS_WAIT_MS / 1000;
	pthread_mutex_lock(&n->mu);
	while (n->pub_done < n->pub_sent && ret == 0)
		ret = pthread_cond_timedwait(&n->cv, &n->mu, &until);
	ret = n->pub_done < n->pub_sent ? RD_E_IO : 0;
	pthread_mutex_unlock(&n->mu);
	return ret;
}

/* The publishes whose answers will never come (lost with a connection
 * to a server killed, say) are taken back from the library, which then
 * drops their late answers: without this, every later pass would wait
 * for them too, and time out.  The next pass publishes the lines again,
 * with the same Nats-Msg-Ids, so what did get stored is not stored twice. */
static void reclaim(struct snats *n)
{
	natsMsgList lost = { 0 };

	if (js_PublishAsyncGetPendingList(&lost, n->js) != NATS_OK)
		return;
	pthread_mutex_lock(&n->mu);
	n->pub_done += (uint64_t)lost.Count;
	pthread_mutex_unlock(&n->mu);
	natsMsgList_Destroy(&lost);
}

/* The subject a line goes to, and its id for the dedupe window (msgid,
 * SNATS_MSGID_MAX bytes): a request's id, an event's id or key. */
static int line_subject(struct snats *n, const char *line, size_t len,
			const char *id, char *subj, size_t subj_n, char *msgid)
{
	enum rec_kind k = rec_kind_peek(line, len);
	struct rec_event ev;
	struct rd_err lerr;
	const char *rid, *key;

	msgid[0] = '\0';
	if (k == REC_REQUEST) {
		if (id)
			memcpy(msgid, id, REC_ID_LEN);
		else if ((rid = rec_request_id_peek(line, len)))
			memcpy(msgid, rid, REC_ID_LEN);
		else
			return RD_E_INVAL;
		msgid[REC_ID_LEN] = '\0';
		snats_subject(n, subj, subj_n, "req", msgid);
		return 0;
	}
	if (k == REC_UNKNOWN || rec_event_parse(&n->rp, line, len, &ev, &lerr) < 0) {
		snats_subject(n, subj, subj_n, "run", NULL);
		return 0;
	}
	key = n->nkeys ? key_of(n, ev.id) : NULL;
	snprintf(msgid, SNATS_MSGID_MAX, "%s", key ? key : ev.id);
	/* every event about a record on one subject: its last message is
	 * the record's state (snats_queue.c), one exact lookup */
	snats_subject(n, subj, subj_n, "ev", ev.ref);
	return 0;
}

/* The size cap (--max-spool-size), checked by the writer before each
 * batch: RD_E_FULL when the stream would pass it.  Writers racing each
 * other may pass it by a batch each; nothing stored is ever dropped. */
static int room(struct snats *n, size_t len, struct rd_err *err)
{
	jsStreamInfo *si = NULL;
	uint64_t have;
	int ret;

	if (!n->o.max_bytes)
		return 0;
	if ((ret = snats_stream_info(n, &si, SNATS_LED, err)) < 0)
		return ret;
	have = si->State.Bytes;
	jsStreamInfo_Destroy(si);
	if (have + len > n->o.max_bytes)
		return rd_err_set(err, RD_E_FULL,
				  "stream '%s' at %s is full: it holds %llu bytes, and --max-spool-size is %llu",
				  n->stream, n->where, (unsigned long long)have,
				  (unsigned long long)n->o.max_bytes);
	return 0;
}

/* One pass over the lines: 1 when all are stored, 0 when the only
 * refusals were transient ones (another pass may store them), or an
 * error. */
static int publish_once(struct snats *n, const char *data, size_t len,
			const char *ids, struct rd_err *err)
{
	const char *p = data, *e = data + len;
	jsPubOptions po;
	natsStatus s = NATS_OK;
	uint64_t errs0, trans0;
	size_t k = 0;

	n->key_at = 0;
	pthread_mutex_lock(&n->mu);
	errs0 = n->pub_errs;
	trans0 = n->pub_transient;
	pthread_mutex_unlock(&n->mu);
	while (p < e && s == NATS_OK) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t ll = (size_t)((nl ? nl : e) - p);
		char subj[SNATS_SUBJ_MAX + REC_ID_LEN], msgid[SNATS_MSGID_MAX];

		if (line_subject(n, p, ll, ids ? ids + k * REC_ID_LEN : NULL,
				 subj, sizeof(subj), msgid) < 0)
			return rd_err_set(err, RD_E_INVAL,
					  "a request line without an id cannot go to NATS");
		if ((int)ll > natsConnection_GetMaxPayload(n->nc))
			return rd_err_set(err, RD_E_FULL,
					  "a record of %zu bytes is over the NATS server's max_payload (%lld bytes)",
					  ll, (long long)natsConnection_GetMaxPayload(n->nc));
		jsPubOptions_Init(&po);
		po.MsgId = msgid[0] ? msgid : NULL;
		pthread_mutex_lock(&n->mu);
		n->pub_sent++;
		pthread_mutex_unlock(&n->mu);
		s = js_PublishAsync(n->js, subj, p, (int)ll, &po);
		if (s != NATS_OK) {
			pthread_mutex_lock(&n->mu);
			n->pub_sent--;
			pthread_mutex_unlock(&n->mu);
		}
		p = nl ? nl + 1 : e;
		k++;
	}
	/* no answer yet (a leader being elected): again, same Msg-Ids */
	if (wait_acks(n) < 0) {
		reclaim(n);
		pthread_mutex_lock(&n->mu);
		snprintf(n->pub_err, sizeof(n->pub_err),
			 "no acknowledgement within %d s", SNATS_WAIT_MS / 1000);
		pthread_mutex_unlock(&n->mu);
		return 0;
	}
	if (s != NATS_OK)
		return snats_err(n, err, s, 0, "storing in NATS");
	pthread_mutex_lock(&n->mu);
	if (n->pub_errs != errs0 && n->pub_errs - errs0 == n->pub_transient - trans0) {
		pthread_mutex_unlock(&n->mu);
		return 0;
	}
	if (n->pub_errs != errs0) {
		int full = n->pub_full;

		pthread_mutex_unlock(&n->mu);
		return rd_err_set(err, full ? RD_E_FULL : RD_E_IO,
				  "stream '%s' at %s refused a record: %s%s", n->stream,
				  n->where, n->pub_err,
				  full ? " (the stream is at its size limit)" : "");
	}
	pthread_mutex_unlock(&n->mu);
	return 1;
}

/* A pass refused for a moment (no responders: the stream not yet, or
 * no longer, listening where we are) is made again, with the same
 * Nats-Msg-Ids: what a pass stored is not stored twice.  Bounded by
 * SNATS_SETTLE_MS. */
int snats_publish(struct snats *n, const char *data, size_t len,
		  const char *ids, struct rd_err *err)
{
	struct snats_settle st = snats_settle_start();
	int ret;

	if ((ret = room(n, len, err)) < 0)
		return ret;
	while ((ret = publish_once(n, data, len, ids, err)) == 0) {
		if (!snats_settle_again(&st))
			return rd_err_set(err, RD_E_IO,
					  "stream '%s' at %s refused a record: %s",
					  n->stream, n->where, n->pub_err);
		clk_sleep_ms(100);
	}
	return ret;
}

/* --- open and close ------------------------------------------------------ */

static void snats_close(void *impl)
{
	struct snats *n = impl;

	if (!n)
		return;
	jsCtx_Destroy(n->js);
	natsConnection_Destroy(n->nc);
	rec_parser_release(&n->rp);
	free(n->keys);
	free(n->dups);
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->cv);
	free(n);
}

static int connect_to(struct snats *n, const struct snats_loc *l, struct rd_err *err)
{
	natsOptions *no = NULL;
	jsOptions jo;
	natsStatus s;

	if ((s = natsOptions_Create(&no)) == NATS_OK &&
	    (s = natsOptions_SetServers(no, (const char **)l->servers, l->nservers)) == NATS_OK &&
	    (s = natsOptions_SetName(no, "redrive")) == NATS_OK &&
	    (s = natsOptions_SetTimeout(no, 2000)) == NATS_OK &&
	    (s = natsOptions_SetMaxReconnect(no, 60)) == NATS_OK &&
	    (s = natsOptions_SetReconnectWait(no, 500)) == NATS_OK &&
	    (!l->user[0] || (s = natsOptions_SetUserInfo(no, l->user, l->pass)) == NATS_OK))
		s = natsConnection_Connect(&n->nc, no);
	natsOptions_Destroy(no);
	if (s != NATS_OK)
		return snats_err(n, err, s, 0, "connecting");
	jsOptions_Init(&jo);
	jo.Wait = SNATS_WAIT_MS;
	jo.PublishAsync.MaxPending = 4096;
	jo.PublishAsync.AckHandler = on_pub_ack;
	jo.PublishAsync.AckHandlerClosure = n;
	if ((s = natsConnection_JetStream(&n->js, n->nc, &jo)) != NATS_OK)
		return snats_err(n, err, s, 0, "connecting");
	return 0;
}

/* Three replicas where the cluster has three servers or more. */
static int64_t replicas(struct snats *n)
{
	char **srv = NULL;
	int count = 0;

	if (natsConnection_GetServers(n->nc, &srv, &count) != NATS_OK)
		return 1;
	for (int i = 0; i < count; i++)
		free(srv[i]);
	free(srv);
	return count >= 3 ? 3 : 1;
}

static int ensure_stream(struct snats *n, struct rd_err *err)
{
	jsStreamInfo *si = NULL;
	jsStreamConfig sc;
	jsErrCode jerr = 0;
	char subj[SNATS_SUBJ_MAX];
	const char *subjects[1] = { subj };
	struct snats_settle st = snats_settle_start();
	natsStatus s;

again:
	jerr = 0;
	s = js_GetStreamInfo(&si, n->js, n->stream, NULL, &jerr);
	if (s == NATS_OK) {
		jsStreamInfo_Destroy(si);
		return 0;
	}
	if (snats_transient(s, jerr) && snats_settle_again(&st)) {
		clk_sleep_ms(100);
		goto again;
	}
	if (s == NATS_NOT_FOUND && !jerr)
		jerr = JSStreamNotFoundErr;
	if (jerr != JSStreamNotFoundErr || !n->o.create)
		return snats_err(n, err, s, jerr, "opening the spool");
	snats_subject(n, subj, sizeof(subj), ">", NULL);
	jsStreamConfig_Init(&sc);
	sc.Name = n->stream;
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Retention = js_LimitsPolicy;
	sc.Storage = js_FileStorage;
	sc.Discard = js_DiscardNew;
	sc.Replicas = replicas(n);
	/* No MaxBytes on the stream: nats-server 2.9.10 honours DiscardNew
	 * for it in its config but drops the oldest messages in fact
	 * (acknowledged captures).  Writers check the cap (room). */
	sc.MaxBytes = -1;
	sc.MaxMsgSize = (int32_t)(SPOOL_RECORD_MAX < 64u << 20 ? SPOOL_RECORD_MAX : 64u << 20);
	sc.Duplicates = DEDUPE_NS;
	sc.AllowRollup = true;
	sc.AllowDirect = true;
	jerr = 0;
	s = js_AddStream(&si, n->js, &sc, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	si = NULL;
	/* another writer may have made it first, or be making it */
	if (s != NATS_OK && jerr != JSStreamNameExistErr) {
		if (snats_transient(s, jerr) && snats_settle_again(&st)) {
			clk_sleep_ms(100);
			goto again;
		}
		return snats_err(n, err, s, jerr, "creating the stream");
	}
	return 0;
}

static int snats_open(const char *where, const struct spool_opts *o, void **impl,
		      struct rd_err *err)
{
	struct snats *n = xcalloc(1, sizeof(*n));
	struct snats_loc l;
	int ret;

	if ((ret = lazy_nats_load(err)) < 0) {
		free(n);
		return ret;
	}
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	rec_parser_init(&n->rp);
	n->o = *o;
	if ((ret = snats_loc_parse(where, &l, n->where, sizeof(n->where), err)) < 0) {
		snats_loc_release(&l);
		snats_close(n);
		return ret;
	}
	memcpy(n->stream, l.stream, sizeof(n->stream));
	ret = connect_to(n, &l, err);
	snats_loc_release(&l);
	if (ret < 0 || (ret = ensure_stream(n, err)) < 0) {
		snats_close(n);
		return ret;
	}
	*impl = n;
	return 0;
}

static int snats_append(void *impl, const struct spool_batch *b, const char *ids,
			struct rd_err *err)
{
	return snats_publish(impl, b->data, b->len, ids, err);
}

/* A PubAck means stored by the stream's quorum: nothing waits. */
static int snats_sync(void *impl, struct rd_err *err)
{
	(void)impl;
	(void)err;
	return 0;
}

static int64_t snats_sync_due_ms(const void *impl)
{
	(void)impl;
	return -1;
}

/* --- state files: the last message on a subject of their own ------------- */

static void state_subject(const struct snats *n, const char *name, char *out,
			  size_t len)
{
	char t[64];
	size_t i;

	/* a subject token has no '.' */
	for (i = 0; name[i] && i < sizeof(t) - 1; i++)
		t[i] = name[i] == '.' ? '_' : name[i];
	t[i] = '\0';
	snats_subject(n, out, len, "state", t);
}

static int snats_state_read(void *impl, const char *name, struct buf *out,
			    size_t max, struct rd_err *err)
{
	struct snats *n = impl;
	char subj[SNATS_SUBJ_MAX];
	natsMsg *m = NULL;
	int ret, len;

	state_subject(n, name, subj, sizeof(subj));
	if ((ret = snats_last(n, subj, &m, err)) <= 0)
		return ret;
	len = natsMsg_GetDataLength(m);
	if ((size_t)len > max) {
		natsMsg_Destroy(m);
		return rd_err_set(err, RD_E_FULL, "state '%s' is over %zu bytes", name, max);
	}
	if (len == 0) {             /* removed */
		natsMsg_Destroy(m);
		return 0;
	}
	buf_add(out, natsMsg_GetData(m), (size_t)len);
	natsMsg_Destroy(m);
	return 1;
}

static int put_state(struct snats *n, const char *name, const char *data,
		     size_t len, struct rd_err *err)
{
	char subj[SNATS_SUBJ_MAX];
	natsMsg *m = NULL;
	jsPubAck *pa = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	state_subject(n, name, subj, sizeof(subj));
	if ((s = natsMsg_Create(&m, subj, NULL, data, (int)len)) == NATS_OK &&
	    (s = natsMsgHeader_Set(m, "Nats-Rollup", "sub")) == NATS_OK)
		s = js_PublishMsg(&pa, n->js, m, NULL, &jerr);
	natsMsg_Destroy(m);
	jsPubAck_Destroy(pa);
	return s == NATS_OK ? 0 : snats_err(n, err, s, jerr, "writing a state");
}

static int snats_state_write(void *impl, const char *name,
			     const struct iovec *iov, int iovcnt, unsigned flags,
			     struct rd_err *err)
{
	struct buf b;
	int ret;

	(void)flags;
	buf_init(&b);
	for (int i = 0; i < iovcnt; i++)
		buf_add(&b, iov[i].iov_base, iov[i].iov_len);
	ret = put_state(impl, name, b.data ? b.data : "", b.len, err);
	buf_release(&b);
	return ret;
}

/* An empty state is none (rollup keeps only it). */
static int snats_state_remove(void *impl, const char *name, struct rd_err *err)
{
	return put_state(impl, name, "", 0, err);
}

/* --- the rest of the log tier -------------------------------------------- */

/* Many replayers share one stream's backlog through its consumer: there
 * is no exclusive claim. */
static int snats_claim(void *impl, const char *role, struct rd_err *err)
{
	(void)impl;
	if (strcmp(role, "replay") == 0)
		return 0;
	return rd_err_set(err, RD_E_UNSUPP,
			  "a NATS stream has no '%s' claim", role);
}

/*
 * The stream's state as its leader has it.  A server of the stream's
 * group that sees no leader (one just back from a crash, or cut off
 * while an election runs) answers too, with its own replica's state,
 * which may be far behind (nats-server's jsStreamInfoRequest), and the
 * first answer is the one taken: such an answer names no leader, and,
 * with led, is asked again while the settle window lasts.  A reader that
 * took its last sequence, or its end, from one would stop short,
 * silently.  --verify takes it (without SNATS_LED), and reports the
 * missing leader.
 */
int snats_stream_info(struct snats *n, jsStreamInfo **si, int flags, struct rd_err *err)
{
	struct snats_settle st = snats_settle_start();
	int led = flags & SNATS_LED;
	jsOptions o;
	jsErrCode jerr;
	natsStatus s;

	jsOptions_Init(&o);
	o.Stream.Info.DeletedDetails = (flags & SNATS_DELETED) != 0;
	for (;;) {
		jerr = 0;
		*si = NULL;
		s = js_GetStreamInfo(si, n->js, n->stream, &o, &jerr);
		if (s == NATS_OK && (!led || !(*si)->Cluster ||
		    ((*si)->Cluster->Leader && (*si)->Cluster->Leader[0])))
			return 0;
		if (s == NATS_OK) {
			jsStreamInfo_Destroy(*si);
			*si = NULL;
			if (!snats_settle_again(&st))
				return rd_err_set(err, RD_E_IO,
						  "reading the stream '%s' at %s: it has no leader (its servers answer only for their own replicas)",
						  n->stream, n->where);
		} else if (!snats_transient(s, jerr) || !snats_settle_again(&st)) {
			return snats_err(n, err, s, jerr, "reading the stream");
		}
		clk_sleep_ms(200);
	}
}

static int snats_usage(void *impl, uint64_t *bytes, struct rd_err *err)
{
	jsStreamInfo *si = NULL;
	int ret;

	if ((ret = snats_stream_info(impl, &si, SNATS_LED, err)) < 0)
		return ret;
	*bytes = si->State.Bytes;
	jsStreamInfo_Destroy(si);
	return 0;
}

/* Sequences never move: nothing to describe. */
static int snats_mark(void *impl, const struct spool_pos *pos,
		      struct spool_mark *m, struct rd_err *err)
{
	(void)impl;
	(void)pos;
	(void)err;
	memset(m, 0, sizeof(*m));
	return 0;
}

static int snats_mark_check(void *impl, const struct spool_pos *pos,
			    const struct spool_mark *m, struct rd_err *err)
{
	(void)impl;
	(void)pos;
	(void)m;
	(void)err;
	return 0;
}

static int no_compact(struct rd_err *err)
{
	return rd_err_set(err, RD_E_UNSUPP,
			  "a NATS stream drops history by its own limits (MaxAge, MaxBytes); rd-compact works on spool directories");
}

static int snats_rewrite(void *impl, uint64_t part, const struct spool_rewrite *rw,
			 struct spool_rewrite_stats *st, struct rd_err *err)
{
	(void)impl; (void)part; (void)rw; (void)st;
	return no_compact(err);
}

static int snats_rewrite_clean(void *impl, uint64_t *removed, struct rd_err *err)
{
	(void)impl; (void)removed;
	return no_compact(err);
}

static int snats_parts(void *impl, uint64_t **parts, size_t *n, struct rd_err *err)
{
	(void)impl; (void)parts; (void)n;
	return no_compact(err);
}

static int snats_seal(void *impl, struct rd_err *err)
{
	(void)impl;
	return no_compact(err);
}

const struct spool_backend snats_backend = {
	.name = "nats",
	.open = snats_open,
	.close = snats_close,
	.append = snats_append,
	.sync = snats_sync,
	.sync_due_ms = snats_sync_due_ms,
	.iter_new = snats_iter_new,
	.iter_next = snats_iter_next,
	.iter_free = snats_iter_free,
	.claim = snats_claim,
	.verify = snats_verify,
	.state_read = snats_state_read,
	.state_write = snats_state_write,
	.usage = snats_usage,
	.mark = snats_mark,
	.mark_check = snats_mark_check,
	.rewrite = snats_rewrite,
	.rewrite_clean = snats_rewrite_clean,
	.parts = snats_parts,
	.state_remove = snats_state_remove,
	.seal = snats_seal,
	.queue = &snats_queue_ops,
};
