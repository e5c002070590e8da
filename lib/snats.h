/*
 * snats.h - the NATS JetStream backend's own state, shared by its log
 * tier (snats.c) and its queue tier (snats_queue.c).  Nothing else
 * includes it; tools reach the backend through spool.h and queue.h with
 * a location of the form nats://[user:pass@]host:port[,host:port...]/STREAM.
 *
 * One stream per location, Limits retention (an acknowledged request
 * stays, so the audit keeps its history), file storage, three replicas
 * when the cluster has three or more servers, a dedupe window of 10
 * minutes.  The size cap is checked by writers before each batch, not
 * by the stream (see room() in snats.c).  Subjects, under rd.<STREAM>:
 *   req.<id>                a captured request, Nats-Msg-Id = its id
 *   ev.<ref>                every event about request ref (intent,
 *                           withdraw, attempt, dead, revive; the kind
 *                           is in the line), Nats-Msg-Id = the event's
 *                           id, or a key (an intent's, a withdraw's:
 *                           snats_record.c)
 *   run                     rd-replay's run lines
 *   state.<name>            a small state file, the last message kept
 *                           (rollup)
 * redrive-spool(5) lists what does not map, and what follows from it.
 */
#ifndef SNATS_H
#define SNATS_H

#include <nats/nats.h>
#include <pthread.h>
#include <stdint.h>

#include "rd.h"
#include "rec.h"
#include "spool.h"

#define SNATS_STREAM_MAX 64
#define SNATS_SUBJ_MAX (SNATS_STREAM_MAX + 96)
/* A Nats-Msg-Id: an id, or an intent's or a withdraw's key (snats_key):
 * <id>.<seq>.i<n>[.<withdraw id>][.w], 88 bytes at most. */
#define SNATS_MSGID_MAX 96
/* How long a JetStream request may take before it counts as failed. */
#define SNATS_WAIT_MS 5000
/* How long a cluster may take to answer again (a meta or stream leader
 * elected, a stream just made): what is transient is retried this long,
 * and at least once (snats_settle_again in snats.c). */
#define SNATS_SETTLE_MS (3 * SNATS_WAIT_MS)

/* A request's settle window, from its first try (snats.c). */
struct snats_settle {
	int64_t until;
	int tries;
};

struct snats {
	char stream[SNATS_STREAM_MAX + 1];
	char where[512];           /* the location, password masked */
	struct spool_opts o;
	natsConnection *nc;
	jsCtx *js;
	struct rec_parser rp;      /* for events handed to append */
	/* Asynchronous publishes, counted from the library's thread: each
	 * PubAck (or error) bumps done; errs counts the errors, the last
	 * one described in pub_err. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t pub_sent, pub_done, pub_errs, pub_transient;
	char pub_err[256];
	int pub_full;
	/* The Nats-Msg-Ids the queue tier gives its intents instead of
	 * their event ids (snats_key), on the caller's thread; and, from
	 * the library's thread under mu, the ids of publishes answered as
	 * duplicates while there are keys. */
	struct snats_key {
		char ev[REC_ID_LEN + 1];
		char msgid[SNATS_MSGID_MAX];
	} *keys;
	size_t nkeys, keys_cap, key_at;
	char (*dups)[SNATS_MSGID_MAX];
	size_t ndups, dups_cap;
	int want_dups;
};

/* A location taken apart (snats_loc.c). */
struct snats_loc {
	char *servers[16];         /* "nats://host:port", owned */
	int nservers;
	char user[128], pass[128];
	char stream[SNATS_STREAM_MAX + 1];
};

/* Parse where into *l (release it with snats_loc_release, even after a
 * failure), and write where as shown, its password masked, into shown.
 * RD_E_INVAL with the reason. */
int snats_loc_parse(const char *where, struct snats_loc *l, char *shown,
		    size_t shown_n, struct rd_err *err);
void snats_loc_release(struct snats_loc *l);

/* Iteration, for spool_backend (snats_iter.c); the same contract as
 * spool_iter_new, spool_iter_next and spool_iter_free. */
int snats_iter_new(void *impl, const struct spool_pos *from, void **out,
		   struct rd_err *err);
int snats_iter_next(void *impl, struct spool_item *item, struct rd_err *err);
void snats_iter_free(void *impl);

/* The subject of a request, an event or a state file, into out. */
void snats_subject(const struct snats *n, char *out, size_t len,
		   const char *kind, const char *tail);
/* An error from the library as RD_E_* with a message naming what was
 * done and the location; full when the server said the stream is full. */
int snats_err(const struct snats *n, struct rd_err *err, natsStatus s,
	      jsErrCode jerr, const char *what);
/* Whether a failure is one a moment may change (no responders, a
 * timeout, JetStream temporarily unavailable); and whether a request
 * that failed so is worth one more try in its settle window. */
int snats_transient(natsStatus s, jsErrCode jerr);
struct snats_settle snats_settle_start(void);
bool snats_settle_again(struct snats_settle *st);
/* The last message on subject (NULL when there is none: 0), else 1 with
 * *m to destroy with natsMsg_Destroy, or an error. */
int snats_last(struct snats *n, const char *subject, natsMsg **m,
	       struct rd_err *err);
/* The message at seq, as snats_last: 0 when the stream has none there. */
int snats_at(struct snats *n, uint64_t seq, natsMsg **m, struct rd_err *err);
/* Publish lines (each ending in '\n') and wait for every PubAck: 1 when
 * all are stored, or an error (RD_E_FULL at the cap).  Not atomic: some
 * lines may be stored when it fails. */
int snats_publish(struct snats *n, const char *data, size_t len,
		  const char *ids, struct rd_err *err);
/* The stream's info (destroy with jsStreamInfo_Destroy).  Flags:
 * SNATS_LED, only its leader's (an answer that names no leader, a
 * replica's own, is asked again within the settle window; see snats.c);
 * SNATS_DELETED, with the sequences deleted inside it (State.Deleted). */
#define SNATS_LED 1
#define SNATS_DELETED 2
int snats_stream_info(struct snats *n, jsStreamInfo **si, int flags,
		      struct rd_err *err);

/* One server's view of the stream, from its monitoring endpoint
 * (snats_verify.c). */
struct snats_node {
	char name[64];             /* its server_name */
	int answered, has;         /* it answered; it holds the stream */
	uint64_t msgs, bytes, first, last, lost;
	char leader[64];           /* the stream's leader, as it sees it */
	char why[200];             /* why it did not answer */
};
/* A server's /varz and /jsz?accounts=true&streams=true answers, taken
 * apart into *nd (answered set).  RD_E_INVAL naming what is missing. */
int snats_node_parse(const char *varz, size_t vlen, const char *jsz, size_t jlen,
		     const char *stream, struct snats_node *nd, struct rd_err *err);
/* How nd differs from the leader's view ld, described into out: 1, or 0
 * when it does not (nd == ld: only its own faults). */
int snats_node_diff(const struct snats_node *nd, const struct snats_node *ld,
		    char *out, size_t n);
/* spool_verify (snats_verify.c). */
int snats_verify(void *impl, void (*found)(void *ctx, const struct spool_finding *f),
		 void *ctx, struct spool_verify_stats *st, struct rd_err *err);

/* Publish the event with the id ev_id (REC_ID_LEN chars) under the
 * Nats-Msg-Id msgid instead of its id, until snats_keys_end: the stream
 * stores only the first of two events with one key in its dedupe
 * window, and answers the second as a duplicate. */
void snats_key(struct snats *n, const char *ev_id, const char *msgid);
/* After the publishes of the keyed events: dup(ctx, msgid) for each
 * answered as a duplicate (a retry of ours, or another's first), then
 * the keys are forgotten. */
void snats_keys_end(struct snats *n, void (*dup)(void *ctx, const char *msgid),
		    void *ctx);

#endif
