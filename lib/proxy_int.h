/*
 * proxy_int.h - what the files of the proxy share: the proxy itself and
 * the exchange (one request and its answer) that its threads hand to one
 * another.  Internal to lib/proxy*.c.
 *
 * An exchange moves between parts, and each move is a hand-over under
 * its lock (the server and the relay of an exchange run in the same
 * worker thread; the writer in its own):
 *   server (libmicrohttpd's callbacks) reads the request, then hands it to
 *     the relay (forward) or the writer (capture) and suspends the
 *     connection;
 *   relay  gets the upstream's head: either hands it back for streaming
 *     (st = PROXY_ST_STREAM, then body pieces through the pipe), or keeps
 *     it for the capture decision when the transfer ends;
 *   writer makes the record durable and sets the answer;
 *   whoever sets an answer or fills the pipe wakes the connection
 *     (proxy_server_wake), and libmicrohttpd calls back in its thread.
 * A reference is held by each party that may still touch it: the
 * connection (until libmicrohttpd says the request ended), the response
 * being sent, the relay (until its transfer ends) and the writer (until
 * it answers).  The last one frees it.
 */
#ifndef PROXY_INT_H
#define PROXY_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "proxy.h"
#include "rec.h"

struct MHD_Connection;             /* libmicrohttpd's: proxy_server.c only */
struct proxy_server;
struct proxy_relay;
struct proxy_writer;
struct proxy_log;

enum proxy_st {
	PROXY_ST_RECV = 0,  /* the request is arriving */
	PROXY_ST_WAIT,      /* at the upstream or the writer */
	PROXY_ST_STREAM,    /* the upstream's head is ready, body in the pipe */
	PROXY_ST_ANSWER,    /* a local answer is ready (ans_*) */
	PROXY_ST_SENT       /* a response was queued */
};

/* What became of a request, for the metrics and the access log. */
enum proxy_outcome {
	PROXY_OUT_NONE = 0,     /* the client went away first */
	PROXY_OUT_FORWARDED,    /* the upstream's answer was relayed */
	PROXY_OUT_RELAYED_ERROR,/* an upstream failure, relayed (not captured) */
	PROXY_OUT_CAPTURED,     /* stored, answered 202 (or the upstream's error) */
	PROXY_OUT_CAPTURE_FAILED,/* could not be stored: 503 */
	PROXY_OUT_REFUSED,      /* malformed or too large: 400, 413, 431 */
	PROXY_OUT_SHED,         /* over a limit, or breaker open: 503 */
	PROXY_OUT_ABORTED,      /* the upstream failed mid-answer */
	PROXY_OUT_N
};

/* Why an exchange is captured, or what failed. */
struct proxy_fail {
	char type[32];          /* timeout, connect, dns, tls, network, http_503, breaker */
	char msg[200];
	int status;             /* the upstream's status, 0 when none */
	int attempted;          /* the upstream was tried */
};

struct proxy_ex {
	atomic_int refs;
	struct proxy *p;
	struct MHD_Connection *conn;
	pthread_mutex_t lock;      /* guards st, suspended, the pipe and its flags */
	enum proxy_st st;
	int suspended;             /* the connection waits for a wake */
	int64_t t0_ns;
	/* the request */
	char method[33];
	char *target;              /* as received */
	char client[64];
	struct buf url;            /* the upstream URL */
	struct buf arena;          /* header names and values */
	struct hdr *hdrs;          /* into arena, once the head is read */
	size_t nhdrs;
	struct buf body;
	uint64_t reserved;         /* bytes counted against max_buffer */
	int captureable;
	int refuse;                /* the status of a local refusal, 0: none */
	const char *refuse_why;    /* static, or refuse_text */
	char refuse_text[160];
	char id[REC_ID_LEN + 1];   /* captureable: named before forwarding */
	struct rec_str key;        /* its idempotency key (client's or id) */
	/* the upstream (relay thread, but where said) */
	struct http_xfer *xf;
	int up_status;             /* of the head, 0 before */
	struct buf up_head;        /* the head to relay (server reads it
				    * once st is STREAM or ANSWER) */
	int64_t up_content_length; /* -1 when unknown */
	int hold;                  /* the answer waits for the capture decision */
	int paused;                /* (lock) the transfer waits for pipe room */
	int resume_asked;          /* (lock) a resume is on its way */
	struct buf pipe;           /* (lock) body pieces for the client */
	size_t pipe_off;
	int body_end;              /* (lock) 1 complete, -1 failed */
	struct proxy_fail fail;
	/* the answer, when local */
	int ans_status;
	struct buf ans_body;
	int ans_retry_after;       /* add Retry-After */
	int ans_ids;               /* add Redrive-Id and the key */
	enum proxy_outcome outcome;
	int64_t capture_ns;        /* from hand-over to durable */
	uint64_t bytes_out;
	/* queues: the relay's commands, the writer's records */
	unsigned cmds;             /* (relay lock) what the relay is asked */
	int in_cmdq;               /* (relay lock) on its command queue */
	int at_relay;              /* (relay lock) the relay holds a reference */
	int wake_pending;          /* (relay thread) on its list to wake */
	struct proxy_relay *rl;    /* the relay it was submitted to */
	struct proxy_ex *cmd_next, *w_next;
	struct proxy_ex *all_prev, *all_next; /* (proxy's ex_lock) alive */
};

struct proxy_counters {
	atomic_uint_fast64_t outcome[PROXY_OUT_N];
	atomic_uint_fast64_t upstream_err[8];   /* by enum http_err */
	atomic_uint_fast64_t cap_bucket[16];    /* capture latency, cumulative
						 * at exposition */
	atomic_uint_fast64_t cap_count, cap_sum_us;
	atomic_uint_fast64_t bytes_in, bytes_out;
	/* upstream attempts that got an answer it meant (not of the capture
	 * statuses), and those that did not: what its notices tell */
	atomic_uint_fast64_t up_ok, up_failed;
};

struct proxy {
	struct proxy_opts o;
	char base[2048];           /* the upstream, without a trailing '/' */
	char bound[128], mbound[128];
	struct proxy_server *srv;
	struct proxy_relay **rls;        /* one engine per relay thread */
	unsigned nrl;
	atomic_uint next_rl;
	struct proxy_writer *wr;
	struct proxy_log *log;
	struct proxy_counters c;
	atomic_uint_fast64_t buffered;   /* bytes reserved by exchanges */
	atomic_int exchanges;            /* alive */
	pthread_mutex_t ex_lock;         /* the list of those alive */
	struct proxy_ex *ex_first;
	atomic_int breaker_open;
	atomic_int draining;             /* 1 draining, 2 its grace is over */
	pthread_mutex_t ids_lock;
	struct rec_idgen ids;
	/* the housekeeper */
	pthread_t hk;
	int hk_started, hk_quit;
	pthread_mutex_t hk_lock;
	pthread_cond_t hk_cond;
	char brk_sig[64];                /* what the breaker file looked like */
	int brk_warned;
	int brk_state, brk_saying;       /* under hk_lock: the state last
					  * read, and whether changes are told */
	/* the upstream's state as notices tell it (the housekeeper's) */
	pthread_mutex_t fail_lock;
	char up_fail[200];               /* (fail_lock) the last failure */
	uint64_t up_seen_ok, up_seen_failed, up_unsaid;
	int up_failing;
	int64_t up_since_ns, up_said_ns;
};

/* proxy.c: exchanges, limits, notices */
struct proxy_ex *proxy_ex_new(struct proxy *p, const char *target);
void proxy_ex_get(struct proxy_ex *ex);
void proxy_ex_put(struct proxy_ex *ex);
/* Reserve n more bytes of max_buffer for ex; 0, or RD_E_FULL. */
int proxy_reserve(struct proxy_ex *ex, uint64_t n);
void proxy_say(struct proxy *p, enum proxy_notice_level lvl,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An upstream attempt that got no answer it meant: what failed. */
void proxy_upstream_failed(struct proxy *p, const char *what);
/* Set a local answer (under ex->lock or before any hand-over). */
void proxy_answer(struct proxy_ex *ex, int status, enum proxy_outcome out,
		  const char *text);
/* A captureable exchange's id and key, before it is forwarded; its
 * headers then end with the key's, as it is sent.  0, or 400 when the
 * client sent the key's header twice with different values (which one
 * the upstream would take is its own guess): ex->refuse_why says so. */
int proxy_ex_name(struct proxy_ex *ex);
/* Call fn on every exchange alive, under the list's lock (fn may take
 * the exchange's own, and must not let go of it). */
void proxy_ex_each(struct proxy *p, void (*fn)(struct proxy_ex *ex));

/* proxy_server.c: libmicrohttpd, one daemon per relay thread */
int proxy_server_start(struct proxy *p, struct rd_err *err);
/* Daemon i's descriptor to wait on (its epoll set), and one round of its
 * work in the calling thread (relay i's): the ms until it needs the
 * next, at most 100. */
int proxy_server_fd(struct proxy *p, unsigned i);
int proxy_server_run(struct proxy *p, unsigned i);
/* Accept no more connections: daemon i from its own thread (the relay
 * that drives it, when draining), or all once the relays are halted. */
void proxy_server_quiesce_one(struct proxy *p, unsigned i);
void proxy_server_quiesce(struct proxy *p);
/* Stop the daemons (ending their connections); then proxy_server_free,
 * once nothing can wake a connection any more. */
void proxy_server_stop(struct proxy *p);
void proxy_server_free(struct proxy *p);
void proxy_server_sweep(struct proxy *p);
/* The client of ex may go on: its answer is set or its pipe moved. */
void proxy_server_wake(struct proxy_ex *ex);

/* proxy_relay.c: the upstream; each relay thread also drives a daemon */
int proxy_relay_start(struct proxy *p, struct rd_err *err);
/* Start the threads, once the server's daemons exist. */
int proxy_relay_run(struct proxy *p, struct rd_err *err);
/* Make every relay thread look at the proxy's state (draining) now. */
void proxy_relay_poke(struct proxy *p);
/* proxy_server_wake from another thread than the one that drives the
 * connection's daemon (the writer's): that thread is woken too. */
void proxy_relay_wake(struct proxy_ex *ex);
/* Stop the threads (before the daemons stop), then free (after). */
void proxy_relay_halt(struct proxy *p);
void proxy_relay_stop(struct proxy *p);
void proxy_relay_submit(struct proxy_ex *ex);
void proxy_relay_resume(struct proxy_ex *ex);
void proxy_relay_cancel(struct proxy_ex *ex);
/* Transfers at the upstream or waiting for a slot. */
unsigned proxy_relay_busy(const struct proxy *p);

/* proxy_capture.c: the spool writer */
int proxy_writer_start(struct proxy *p, struct rd_err *err);
/* Answer what is queued, then stop (a capture is then refused as full);
 * free once nothing reads the writer (the metrics) any more. */
void proxy_writer_stop(struct proxy *p);
void proxy_writer_free(struct proxy *p);
/* Look at the proxy's state (draining: sync what waits) now. */
void proxy_writer_poke(struct proxy *p);
/* Hand ex (its fail set) to the writer.  0, or RD_E_INVAL when a record
 * cannot hold the request, RD_E_FULL when the queue is full: ex is then
 * answered 503 (not handed over; the caller wakes its client). */
int proxy_capture(struct proxy_ex *ex);
unsigned proxy_writer_queued(const struct proxy *p);

/* proxy_log.c: the access log */
int proxy_log_open(struct proxy *p, struct rd_err *err);
int proxy_log_reopen(struct proxy *p, struct rd_err *err);
void proxy_log_close(struct proxy *p);
void proxy_log_ex(struct proxy *p, const struct proxy_ex *ex, int status);

/* proxy_metrics.c: Prometheus text */
void proxy_metrics_capture(struct proxy *p, int64_t ns);
void proxy_metrics_text(struct proxy *p, struct buf *out);
const char *proxy_outcome_name(enum proxy_outcome o);

#endif
