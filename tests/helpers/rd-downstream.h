/*
 * rd-downstream.h - what the files of rd-downstream share: its limits, its
 * options, a connection and the server's state, and the calls between
 * rd-downstream.c (the server), rd-downstream-http.c (reading a request)
 * and rd-downstream-opts.c (the command line).  See rd-downstream.c for
 * how the server works.
 */
#ifndef RD_DOWNSTREAM_H
#define RD_DOWNSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg.h"

#define BODY_MAX ((uint64_t)64 << 20)
#define HEAD_MAX ((size_t)64 << 10)
#define NBUCKETS 13

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	unsigned char blk[64];
	size_t n; /* bytes waiting in blk */
};

/* ---- request counts per Idempotency-Key: open addressing, FNV-1a ---- */

struct key_slot {
	char *key; /* owned; NULL in an empty slot */
	size_t len;
	uint64_t hash, count;
};

struct keytab {
	struct key_slot *slot;
	size_t cap, used; /* cap is 0 or a power of two */
};

/* ---- state ---- */

struct route {
	const char *prefix; /* borrowed from argv, not NUL-terminated */
	size_t len;
	int code;
};

struct opts {
	int port, fail_status, status;
	long retry_after; /* -1: no header */
	uint64_t fail_first;
	double capacity, latency_ms, jitter_ms; /* capacity 0: unlimited */
	double queue;   /* requests served per second, in order; 0: no queue */
	const char *port_file, *pid_file, *log_file, *outage_file;
	const char *dump_dir;
	struct route *routes;
	double *outages; /* [start, end) pairs, seconds after start */
	size_t nroutes, noutages;
};

enum cstate {
	ST_HEAD, ST_BODY, ST_CHUNK_SIZE, ST_CHUNK_DATA, ST_CHUNK_END,
	ST_TRAILER, ST_WAIT, ST_WRITE, ST_DRAIN
};

struct conn {
	int fd, timed, status;
	enum cstate st;
	uint32_t ev;    /* the registered epoll interest */
	struct buf in;  /* received; unparsed from in_pos */
	struct buf raw; /* --dump: the current request's bytes as received */
	struct buf out; /* the response; unsent from out_pos */
	size_t in_pos, out_pos, key_len;
	char *method, *target, *key; /* the current request; owned */
	int http10, head_only, expect, chunked, close_after, counted;
	uint64_t body_len, remaining; /* remaining: body, chunk or trailer */
	struct sha256 sha;
	double t_recv, deadline;
	struct conn *prev, *next;   /* every connection */
	struct conn *tprev, *tnext; /* the timer list, by deadline */
};

struct srv {
	struct opts o;
	struct msg m;
	int ep, lfd, sfd, logfd, accept_paused;
	double t0, tokens, burst, t_refill;
	double q_free;  /* --queue: when the server is next free */
	uint64_t rng;
	struct keytab keys;
	struct conn *conns, *thead, *ttail;
	struct buf scratch;
	uint64_t by_code[600], buckets[NBUCKETS], dur_count, dumped;
	double dur_sum;
};

/* ---- rd-downstream-http.c ---- */

/* Consume buffered input.  Returns 1 once the connection is answering (a
 * response or an error is ready), 0 when it needs more input. */
int conn_parse(struct srv *s, struct conn *c);
/* Finish s into 64 lowercase hex digits and a NUL; s is spent. */
void sha256_hex(struct sha256 *s, char hex[65]);

/* ---- rd-downstream-opts.c ---- */

/* Read the command line into o.  Returns -1 to go on and serve, else the
 * exit status to end with now: after --help, or after a usage error,
 * which it reports through m. */
int opts_parse(struct opts *o, const struct msg *m, int argc, char *argv[]);

/* ---- rd-downstream.c, for the parser ---- */

/* A request that cannot be served: answer code, then close.  Returns 1. */
int conn_error(struct srv *s, struct conn *c, int code);
/* The whole request is in: answer it now or after --latency.  Returns 1. */
int request_done(struct srv *s, struct conn *c);

#endif
