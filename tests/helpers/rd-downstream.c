/*
 * rd-downstream - a simulated downstream HTTP/1.1 service for the bats
 * tests, the demo and the benchmarks; not part of redrive itself.
 *
 * One thread runs a level-triggered epoll loop over non-blocking sockets on
 * 127.0.0.1.  A connection is a state machine: read a head, stream the body
 * (Content-Length or chunked) through SHA-256 without keeping it, decide
 * the status, park the response on the timer list for --latency, write it,
 * then parse the next request.  Reads pause while a response is pending, so
 * pipelined requests are answered in order.  A connection that must close
 * sends its response, shuts down writing and drains input for LINGER_S
 * seconds, so that a client still sending sees the answer, not a reset.
 *
 * Decisions for an ordinary request, in order: --route prefix, outage
 * (--outage-file, --outage), --capacity token bucket, --fail-first per
 * Idempotency-Key, --status.  --queue makes a service that slows instead
 * of refusing: one server takes ordinary requests in arrival order, 1/N
 * of a second each, and a request's --latency starts when it is served.
 * /metrics and /health bypass the knobs, the log, --queue and --latency;
 * /health is 503 during an outage.  Durations, windows, the bucket and
 * the queue use CLOCK_MONOTONIC; only log timestamps use wall time.
 *
 * Invariants: every response has Content-Length (but 204, which must not);
 * a body is at most BODY_MAX bytes and a head HEAD_MAX; all state lives in
 * struct srv, and signals arrive through a signalfd.  Deliberately not
 * here: TLS, HTTP/2, IPv6, idle timeouts, keeping bodies.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "msg.h"
#include "xalloc.h"
#include "banned.h"

#define BODY_MAX ((uint64_t)64 << 20)
#define HEAD_MAX ((size_t)64 << 10)
#define READ_CHUNK ((size_t)16 << 10)
#define LINGER_S 1.0
#define NBUCKETS 13

static const double bucket_le[NBUCKETS - 1] = {
	0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
static const char *const bucket_name[NBUCKETS] = {
	"0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
	"2.5", "5", "10", "+Inf"
};

/* ---- SHA-256 (FIPS 180-4) ---- */

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	unsigned char blk[64];
	size_t n; /* bytes waiting in blk */
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], v[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + w[i - 7] +
		       (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(v, h, sizeof(v));
	for (i = 0; i < 64; i++) {
		t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
		t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0])); /* h=g ... e=d ... b=a */
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += v[i];
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
		0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->bytes = s->n = 0;
}

static void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t k = 64 - s->n < n ? 64 - s->n : n;

	s->bytes += n;
	if (s->n) { /* top up the partial block first */
		memcpy(s->blk + s->n, p, k);
		s->n += k;
		p += k;
		n -= k;
		if (s->n < 64)
			return;
		sha256_block(s->h, s->blk);
		s->n = 0;
	}
	for (; n >= 64; p += 64, n -= 64)
		sha256_block(s->h, p);
	memcpy(s->blk, p, n);
	s->n = n;
}

/* Finish s into 64 lowercase hex digits and a NUL; s is spent. */
static void sha256_hex(struct sha256 *s, char hex[65])
{
	unsigned char pad[128] = { 0x80 }, len[8];
	uint64_t bits = s->bytes * 8;
	int i;

	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(s, pad, (s->n < 56 ? 56 : 120) - s->n);
	sha256_update(s, len, 8);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x",
			 (unsigned)(s->h[i / 4] >> (24 - 8 * (i % 4))) & 0xff);
}

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

/* The count of key k[0..n), created at 0; borrowed until the next call. */
static uint64_t *keytab_count(struct keytab *t, const char *k, size_t n)
{
	struct key_slot *old = t->slot;
	uint64_t h = 0xcbf29ce484222325u;
	size_t i, j, cap;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 0x100000001b3u;
	if ((t->used + 1) * 10 > t->cap * 7) { /* keep the load under 70% */
		cap = t->cap ? t->cap * 2 : 64;
		t->slot = xcalloc(cap, sizeof(*t->slot));
		for (i = 0; i < t->cap; i++) {
			if (!old[i].key)
				continue;
			for (j = old[i].hash & (cap - 1); t->slot[j].key;)
				j = (j + 1) & (cap - 1);
			t->slot[j] = old[i];
		}
		free(old);
		t->cap = cap;
	}
	for (i = h & (t->cap - 1); t->slot[i].key; i = (i + 1) & (t->cap - 1))
		if (t->slot[i].hash == h && t->slot[i].len == n &&
		    memcmp(t->slot[i].key, k, n) == 0)
			return &t->slot[i].count;
	t->slot[i] = (struct key_slot){ xmemdup(k, n), n, h, 0 };
	t->used++;
	return &t->slot[i].count;
}

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

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double rand01(struct srv *s) /* splitmix64 */
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

static const char *reason(int code)
{
	static const struct { int code; const char *text; } tab[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
		{ 204, "No Content" }, { 400, "Bad Request" },
		{ 404, "Not Found" }, { 409, "Conflict" },
		{ 413, "Content Too Large" }, { 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" }
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].code == code)
			return tab[i].text;
	return "Status";
}

/* A JSON string.  Valid UTF-8 is copied; otherwise bytes from 0x80 up
 * become \u00XX, so that every log line stays valid JSON. */
static void add_jstr(struct buf *b, const char *p, size_t n)
{
	int utf8 = json_utf8_check(p, n) < 0;

	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '"' || ch == '\\')
			buf_addc(b, '\\');
		if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && !utf8))
			buf_addf(b, "\\u%04x", ch);
		else
			buf_addc(b, (char)ch);
	}
	buf_addc(b, '"');
}

/* ---- timers and connection plumbing ---- */

static void timer_add(struct srv *s, struct conn *c, double deadline)
{
	struct conn *p = s->ttail;

	while (p && p->deadline > deadline) /* usually stops at the tail */
		p = p->tprev;
	c->deadline = deadline;
	c->tprev = p;
	c->tnext = p ? p->tnext : s->thead;
	*(c->tnext ? &c->tnext->tprev : &s->ttail) = c;
	*(p ? &p->tnext : &s->thead) = c;
	c->timed = 1;
}

static void timer_del(struct srv *s, struct conn *c)
{
	if (!c->timed)
		return;
	*(c->tprev ? &c->tprev->tnext : &s->thead) = c->tnext;
	*(c->tnext ? &c->tnext->tprev : &s->ttail) = c->tprev;
	c->tprev = c->tnext = NULL;
	c->timed = 0;
}

static void set_interest(struct srv *s, int fd, void *ptr, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = ptr };

	epoll_ctl(s->ep, EPOLL_CTL_MOD, fd, &e);
}

static void conn_want(struct srv *s, struct conn *c, uint32_t ev)
{
	if (c->ev != ev)
		set_interest(s, c->fd, c, ev);
	c->ev = ev;
}

static void req_reset(struct conn *c)
{
	free(c->method);
	free(c->target);
	free(c->key);
	c->method = c->target = c->key = NULL;
	c->key_len = 0;
	c->head_only = c->expect = c->chunked = 0;
	c->body_len = c->remaining = 0;
	c->st = ST_HEAD;
}

static void conn_close(struct srv *s, struct conn *c)
{
	timer_del(s, c);
	*(c->prev ? &c->prev->next : &s->conns) = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->fd);
	req_reset(c);
	buf_release(&c->in);
	buf_release(&c->out);
	buf_release(&c->raw);
	free(c);
	if (s->accept_paused) { /* a descriptor is free again */
		s->accept_paused = 0;
		set_interest(s, s->lfd, &s->lfd, EPOLLIN);
	}
}

/* ---- responses, metrics and the log ---- */

static void respond(struct srv *s, struct conn *c, int code,
		    const char *ctype, const char *body, size_t n)
{
	struct buf *b = &c->out;

	buf_reset(b);
	c->out_pos = 0;
	c->status = code;
	c->close_after |= c->http10;
	buf_addf(b, "HTTP/1.1 %d %s\r\n", code, reason(code));
	if (code != 204)
		buf_addf(b, "Content-Type: %s\r\nContent-Length: %zu\r\n",
			 ctype, n);
	if ((code == 429 || code == 503) && s->o.retry_after >= 0)
		buf_addf(b, "Retry-After: %ld\r\n", s->o.retry_after);
	buf_adds(b, c->close_after ? "Connection: close\r\n\r\n" : "\r\n");
	if (!c->head_only && code != 204)
		buf_add(b, body, n);
}

/* The response leaves now: count it, then write it. */
static void send_begin(struct srv *s, struct conn *c)
{
	double d = mono() - c->t_recv;
	int i;

	if (c->counted) {
		for (i = 0; i < NBUCKETS - 1 && d > bucket_le[i]; i++)
			;
		s->buckets[i]++;
		s->by_code[c->status]++;
		s->dur_sum += d;
		s->dur_count++;
	}
	c->st = ST_WRITE;
}

/* A request that cannot be served: answer code, then close.  Returns 1. */
static int conn_error(struct srv *s, struct conn *c, int code)
{
	static const char body[] = "{\"ok\":false}";

	c->close_after = c->counted = 1;
	c->head_only = 0;
	c->t_recv = mono();
	respond(s, c, code, "application/json", body, sizeof(body) - 1);
	send_begin(s, c);
	return 1;
}

static void metrics_body(struct srv *s, struct buf *b)
{
	static const char dur[] = "rd_downstream_request_duration_seconds";
	uint64_t cum = 0;
	int i;

	buf_adds(b, "# HELP rd_downstream_requests_total Responses sent, by "
		 "status code; /health is counted, /metrics is not.\n"
		 "# TYPE rd_downstream_requests_total counter\n");
	for (i = 0; i < 600; i++)
		if (s->by_code[i])
			buf_addf(b, "rd_downstream_requests_total{code=\"%d\"} "
				 "%llu\n", i, (unsigned long long)s->by_code[i]);
	buf_addf(b, "# HELP %s Time from receiving a whole request to sending "
		 "its response, --latency included; /health is counted, "
		 "/metrics is not.\n# TYPE %s histogram\n", dur, dur);
	for (i = 0; i < NBUCKETS; i++) {
		cum += s->buckets[i];
		buf_addf(b, "%s_bucket{le=\"%s\"} %llu\n", dur, bucket_name[i],
			 (unsigned long long)cum);
	}
	buf_addf(b, "%s_sum %.9g\n%s_count %llu\n", dur, s->dur_sum, dur,
		 (unsigned long long)s->dur_count);
}

static void log_request(struct srv *s, struct conn *c, const char *hex)
{
	struct buf *b = &s->scratch;
	struct timespec ts;
	struct tm tm;
	char t[32];

	if (s->logfd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!gmtime_r(&ts.tv_sec, &tm) ||
	    !strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm))
		t[0] = '\0';
	buf_reset(b);
	buf_addf(b, "{\"t\":\"%s.%03ldZ\",\"method\":", t, ts.tv_nsec / 1000000);
	add_jstr(b, c->method, strlen(c->method));
	buf_adds(b, ",\"path\":");
	add_jstr(b, c->target, strlen(c->target));
	buf_adds(b, ",\"key\":");
	add_jstr(b, c->key ? c->key : "", c->key_len);
	buf_addf(b, ",\"sha256\":\"%s\",\"bytes\":%llu,\"status\":%d}\n", hex,
		 (unsigned long long)c->body_len, c->status);
	if (write(s->logfd, b->data, b->len) != (ssize_t)b->len)
		msg_error(&s->m, "cannot write the log: %s", strerror(errno));
}

static int in_outage(struct srv *s, double t)
{
	struct stat st;

	if (s->o.outage_file && stat(s->o.outage_file, &st) == 0)
		return 1;
	for (size_t i = 0; i < s->o.noutages; i++)
		if (t - s->t0 >= s->o.outages[2 * i] &&
		    t - s->t0 < s->o.outages[2 * i + 1])
			return 1;
	return 0;
}

static int decide(struct srv *s, struct conn *c, double t)
{
	uint64_t *n;

	for (size_t i = 0; i < s->o.nroutes; i++)
		if (strncmp(c->target, s->o.routes[i].prefix,
			    s->o.routes[i].len) == 0)
			return s->o.routes[i].code;
	if (in_outage(s, t))
		return s->o.fail_status;
	if (s->o.capacity > 0) {
		s->tokens += (t - s->t_refill) * s->o.capacity;
		s->tokens = s->tokens > s->burst ? s->burst : s->tokens;
		s->t_refill = t;
		if (s->tokens < 1)
			return s->o.fail_status;
		s->tokens -= 1;
	}
	if (s->o.fail_first && c->key) {
		n = keytab_count(&s->keys, c->key, c->key_len);
		if (*n < s->o.fail_first) {
			(*n)++;
			return s->o.fail_status;
		}
	}
	return s->o.status;
}

/* The whole request is in: answer it now or after --latency.  Returns 1. */
/* --dump: the request's bytes, as they came, in a file of their own. */
static void dump_request(struct srv *s, struct conn *c)
{
	char path[4096];
	int fd;

	if (!s->o.dump_dir)
		return;
	snprintf(path, sizeof(path), "%s/%06llu.http", s->o.dump_dir,
		 (unsigned long long)++s->dumped);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, c->raw.data ? c->raw.data : "", c->raw.len) !=
			      (ssize_t)c->raw.len)
		msg_error(&s->m, "cannot write '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static int request_done(struct srv *s, struct conn *c)
{
	static const char up[] = "{\"status\":\"UP\"}";
	static const char down[] = "{\"status\":\"DOWN\"}";
	static const char json[] = "application/json";
	size_t plen = strcspn(c->target, "?");
	struct buf *b = &s->scratch;
	double delay;
	char hex[65];
	int code;

	c->t_recv = mono();
	c->counted = 1;
	buf_reset(b);
	if (plen == 8 && memcmp(c->target, "/metrics", 8) == 0) {
		metrics_body(s, b);
		c->counted = 0;
		respond(s, c, 200, "text/plain; version=0.0.4", b->data, b->len);
	} else if (plen == 7 && memcmp(c->target, "/health", 7) == 0) {
		if (in_outage(s, c->t_recv))
			respond(s, c, 503, json, down, sizeof(down) - 1);
		else
			respond(s, c, 200, json, up, sizeof(up) - 1);
	} else {
		code = decide(s, c, c->t_recv);
		if (code < 400) {
			buf_adds(b, "{\"ok\":true,\"key\":");
			add_jstr(b, c->key ? c->key : "", c->key_len);
			buf_addc(b, '}');
		} else {
			buf_adds(b, "{\"ok\":false}");
		}
		respond(s, c, code, json, b->data, b->len);
		sha256_hex(&c->sha, hex);
		log_request(s, c, hex);
		dump_request(s, c);
		delay = s->o.latency_ms + s->o.jitter_ms * rand01(s);
		if (s->o.queue > 0) { /* wait for the server, then be served */
			s->q_free = (s->q_free > c->t_recv ? s->q_free :
				     c->t_recv) + 1 / s->o.queue;
			delay += (s->q_free - c->t_recv) * 1000;
		}
		if (delay > 0) {
			c->st = ST_WAIT;
			timer_add(s, c, c->t_recv + delay / 1000);
			return 1;
		}
	}
	send_begin(s, c);
	return 1;
}

/* ---- request parsing ---- */

static int is_token(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) &&
		    !(p[i] && strchr("!#$%&'*+-.^_`|~", p[i])))
			return 0;
	return n > 0;
}

/* The offset just past the empty line that ends the head in p[0..n), or
 * 0 when it has not arrived.  p does not start with an empty line. */
static size_t head_end(const char *p, size_t n)
{
	const char *nl = p, *end = p + n;

	while ((nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL) {
		nl++;
		if (nl < end && *nl == '\n')
			return (size_t)(nl + 1 - p);
		if (end - nl >= 2 && nl[0] == '\r' && nl[1] == '\n')
			return (size_t)(nl + 2 - p);
	}
	return 0;
}

/* Split off the next line (LF or CRLF) of a head ending in an empty line. */
static size_t take_line(const char **pp, const char **line)
{
	const char *p = *pp, *nl = strchr(p, '\n');
	size_t len = (size_t)(nl - p);

	*line = p;
	*pp = nl + 1;
	return len && p[len - 1] == '\r' ? len - 1 : len;
}

static int name_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

/* Parse the head h (a C string ending in an empty line) into c.  Returns 0,
 * or the status to refuse the request with. */
static int parse_head(struct conn *c, const char *h)
{
	const char *line, *sp1, *sp2, *v, *colon;
	size_t len, vlen, i;
	uint64_t cl = 0, n;
	int have_cl = 0;

	len = take_line(&h, &line);
	sp1 = memchr(line, ' ', len);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line)) : NULL;
	if (!sp2 || sp2 == sp1 + 1 || !is_token(line, (size_t)(sp1 - line)) ||
	    line + len - sp2 != 9 || (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 &&
				      memcmp(sp2 + 1, "HTTP/1.0", 8) != 0))
		return 400;
	for (v = sp1 + 1; v < sp2; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 400;
	c->http10 = sp2[8] == '0';
	c->method = xmemdup(line, (size_t)(sp1 - line));
	c->target = xmemdup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	c->head_only = strcmp(c->method, "HEAD") == 0;
	while ((len = take_line(&h, &line)) > 0) {
		colon = memchr(line, ':', len);
		if (!colon || !is_token(line, (size_t)(colon - line)))
			return 400; /* also obs-fold and space before ':' */
		for (v = colon + 1; v < line + len && (*v == ' ' || *v == '\t');)
			v++;
		for (vlen = (size_t)(line + len - v);
		     vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t');)
			vlen--;
		for (i = 0; i < vlen; i++)
			if (((unsigned char)v[i] < 0x20 && v[i] != '\t') ||
			    v[i] == 0x7f)
				return 400;
		len = (size_t)(colon - line);
		if (name_is(line, len, "content-length")) {
			for (i = 0, n = 0; i < vlen && n <= BODY_MAX; i++) {
				if (!isdigit((unsigned char)v[i]))
					return 400;
				n = n * 10 + (uint64_t)(v[i] - '0');
			}
			if (vlen == 0 || (have_cl && n != cl))
				return 400;
			if (n > BODY_MAX)
				return 413;
			cl = n;
			have_cl = 1;
		} else if (name_is(line, len, "transfer-encoding")) {
			if (!name_is(v, vlen, "chunked"))
				return 501;
			c->chunked = 1;
		} else if (name_is(line, len, "connection")) {
			for (i = 0; i + 5 <= vlen; i++) /* a "close" token */
				if (strncasecmp(v + i, "close", 5) == 0 &&
				    (i == 0 || strchr(" \t,", v[i - 1])) &&
				    (i + 5 == vlen || strchr(" \t,", v[i + 5])))
					c->close_after = 1;
		} else if (name_is(line, len, "idempotency-key") && vlen) {
			if (c->key)
				return 400; /* which one would count? */
			c->key = xmemdup(v, vlen);
			c->key_len = vlen;
		} else if (name_is(line, len, "expect")) {
			c->expect = name_is(v, vlen, "100-continue");
		}
	}
	if (c->chunked && have_cl)
		return 400;
	c->remaining = cl;
	return 0;
}

/* Consume buffered input.  Returns 1 once the connection is answering (a
 * response or an error is ready), 0 when it needs more input. */
static int conn_parse(struct srv *s, struct conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	for (;;) {
		char *p = c->in.data + c->in_pos, *nl, save;
		size_t avail = c->in.len - c->in_pos, k;
		uint64_t v = 0;
		int code, empty;

		switch (c->st) {
		case ST_HEAD:
			/* RFC 9112 2.2: skip empty lines before a request. */
			for (; avail && (*p == '\n' || (avail > 1 && *p == '\r' &&
						       p[1] == '\n')); avail -= k) {
				k = *p == '\n' ? 1 : 2;
				p += k;
				c->in_pos += k;
			}
			if ((k = head_end(p, avail)) == 0)
				return avail > HEAD_MAX ? conn_error(s, c, 431) : 0;
			if (k > HEAD_MAX)
				return conn_error(s, c, 431);
			if (memchr(p, '\0', k))
				return conn_error(s, c, 400);
			if (s->o.dump_dir) {
				buf_reset(&c->raw);
				buf_add(&c->raw, p, k);
			}
			save = p[k]; /* parse_head wants a C string */
			p[k] = '\0';
			code = parse_head(c, p);
			p[k] = save;
			c->in_pos += k;
			if (code)
				return conn_error(s, c, code);
			sha256_init(&c->sha);
			/* Best effort: a failed send shows in the next read. */
			if (c->expect && !c->http10 && (c->chunked || c->remaining) &&
			    send(c->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL) < 0)
				c->expect = 0;
			c->st = c->chunked ? ST_CHUNK_SIZE : ST_BODY;
			break;
		case ST_BODY:
		case ST_CHUNK_DATA:
			k = avail < c->remaining ? avail : (size_t)c->remaining;
			sha256_update(&c->sha, p, k);
			if (s->o.dump_dir)
				buf_add(&c->raw, p, k);
			c->in_pos += k;
			c->body_len += k;
			c->remaining -= k;
			if (c->remaining)
				return 0;
			if (c->st == ST_BODY)
				return request_done(s, c);
			c->st = ST_CHUNK_END;
			break;
		case ST_CHUNK_SIZE: /* the line types of a chunked body */
		case ST_CHUNK_END:
		case ST_TRAILER:
			if (!(nl = memchr(p, '\n', avail)))
				return avail > HEAD_MAX ? conn_error(s, c, 431) : 0;
			k = (size_t)(nl + 1 - p);
			c->in_pos += k;
			if (s->o.dump_dir)
				buf_add(&c->raw, p, k);
			empty = k == 1 || (k == 2 && *p == '\r');
			if (c->st == ST_CHUNK_END && !empty)
				return conn_error(s, c, 400);
			if (c->st == ST_CHUNK_END) {
				c->st = ST_CHUNK_SIZE;
			} else if (c->st == ST_TRAILER) { /* fields are ignored */
				if (empty)
					return request_done(s, c);
				if ((c->remaining += k) > HEAD_MAX)
					return conn_error(s, c, 431);
			} else { /* hex size, then extensions we ignore */
				for (k = 0; isxdigit((unsigned char)p[k]) &&
				     v <= BODY_MAX; k++)
					v = v * 16 + (uint64_t)(isdigit((unsigned char)p[k]) ?
						p[k] - '0' : (p[k] | 0x20) - 'a' + 10);
				if (k > 0 && (v > BODY_MAX || c->body_len + v > BODY_MAX))
					return conn_error(s, c, 413);
				if (k == 0 || !p[k] || !strchr(";\r\n \t", p[k]))
					return conn_error(s, c, 400);
				c->remaining = v;
				c->st = v ? ST_CHUNK_DATA : ST_TRAILER;
			}
			break;
		default:
			return 1;
		}
	}
}

/* ---- I/O and the loop ---- */

/* Append what the socket has: >0 bytes, 0 at end of input, -1 when it
 * would block, -2 on error. */
static ssize_t conn_read(struct conn *c)
{
	ssize_t n;

	if (c->in_pos > 0) {
		memmove(c->in.data, c->in.data + c->in_pos, c->in.len - c->in_pos);
		c->in.len -= c->in_pos;
		c->in_pos = 0;
	}
	do
		n = read(c->fd, buf_reserve(&c->in, READ_CHUNK), READ_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->in.len += (size_t)n;
		c->in.data[c->in.len] = '\0';
	}
	if (n >= 0)
		return n;
	return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -2;
}

/* Write pending output: 1 when all is sent, 0 when it would block, -1 on
 * error. */
static int conn_flush(struct conn *c)
{
	while (c->out_pos < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_pos,
				 c->out.len - c->out_pos, MSG_NOSIGNAL);

		if (n > 0)
			c->out_pos += (size_t)n;
		else if (n < 0 && errno != EINTR)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	}
	return 1;
}

/* Run c as far as it goes without blocking; c may be freed. */
static void conn_drive(struct srv *s, struct conn *c)
{
	ssize_t r;

	for (;;) {
		if (c->st == ST_WAIT) {
			conn_want(s, c, 0);
			return;
		}
		if (c->st == ST_WRITE) {
			if ((r = conn_flush(c)) < 0)
				break;
			if (r == 0) {
				conn_want(s, c, EPOLLOUT);
				return;
			}
			if (c->close_after) { /* lingering close */
				shutdown(c->fd, SHUT_WR);
				c->st = ST_DRAIN;
				timer_add(s, c, mono() + LINGER_S);
			} else {
				req_reset(c);
			}
			continue;
		}
		if (c->st != ST_DRAIN && conn_parse(s, c))
			continue;
		if ((r = conn_read(c)) > 0 && c->st == ST_DRAIN)
			c->in.len = c->in_pos = 0;
		if (r > 0)
			continue;
		if (r == -1) {
			conn_want(s, c, EPOLLIN);
			return;
		}
		break;
	}
	conn_close(s, c);
}

static void srv_accept(struct srv *s)
{
	struct epoll_event e = { .events = EPOLLIN };
	struct conn *c;
	int fd, one = 1;

	while ((fd = accept4(s->lfd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0 ||
	       errno == EINTR || errno == ECONNABORTED) {
		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->ev = EPOLLIN;
		buf_reserve(&c->in, READ_CHUNK); /* in.data is never NULL */
		e.data.ptr = c;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
			close(fd);
			buf_release(&c->in);
			free(c);
			continue;
		}
		if ((c->next = s->conns) != NULL)
			s->conns->prev = c;
		s->conns = c;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK) {
		/* Out of descriptors: wait for a connection to close. */
		s->accept_paused = 1;
		set_interest(s, s->lfd, &s->lfd, 0);
	}
}

static void srv_timers(struct srv *s)
{
	double t = mono();
	struct conn *c;

	while ((c = s->thead) != NULL && c->deadline <= t) {
		timer_del(s, c);
		if (c->st == ST_DRAIN) {
			conn_close(s, c);
		} else {
			send_begin(s, c);
			conn_drive(s, c);
		}
	}
}

/* Write "value\n" to path through path.tmp and a rename. */
static int write_atomic(const char *path, long value)
{
	size_t n = strlen(path) + 5;
	char *tmp = xmalloc(n), line[32];
	int fd, len, rc = -1;

	snprintf(tmp, n, "%s.tmp", path);
	len = snprintf(line, sizeof(line), "%ld\n", value);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0 && write(fd, line, (size_t)len) == len && close(fd) == 0)
		rc = rename(tmp, path);
	else if (fd >= 0)
		close(fd);
	free(tmp);
	return rc;
}

static int srv_listen(struct srv *s)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct epoll_event el = { .events = EPOLLIN, .data.ptr = &s->lfd };
	struct epoll_event es = { .events = EPOLLIN, .data.ptr = &s->sfd };
	socklen_t len = sizeof(sin);
	const char *file;
	int one = 1;
	sigset_t set;

	sin.sin_port = htons((uint16_t)s->o.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 ||
	    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(s->lfd, 4096) < 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&sin, &len) < 0) {
		msg_error(&s->m, "cannot listen on 127.0.0.1:%d: %s", s->o.port,
			  strerror(errno));
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->ep < 0 || s->sfd < 0 ||
	    epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &el) < 0 ||
	    epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sfd, &es) < 0) {
		msg_error(&s->m, "cannot set up epoll: %s", strerror(errno));
		return -1;
	}
	/* The pid first: a test that sees the port may read the pid. */
	if ((file = s->o.pid_file) && write_atomic(file, (long)getpid()) < 0)
		goto fail;
	if ((file = s->o.port_file) &&
	    write_atomic(file, (long)ntohs(sin.sin_port)) < 0)
		goto fail;
	return 0;
fail:
	msg_error(&s->m, "cannot write '%s': %s", file, strerror(errno));
	return -1;
}

/* ---- the command line ---- */

static const char usage_text[] =
"Usage: rd-downstream [OPTIONS]\n"
"A simulated downstream HTTP/1.1 service on 127.0.0.1 for tests and demos.\n"
"\n"
"      --port N             port to listen on (default 0: any free port)\n"
"      --port-file FILE     write the port to FILE once listening\n"
"      --pid-file FILE      write the process id to FILE\n"
"      --status CODE        status of a successful request (default 200)\n"
"      --route PREFIX=CODE  paths starting with PREFIX get CODE; repeatable\n"
"      --fail-first N       fail the first N requests of each Idempotency-Key\n"
"      --fail-status CODE   status of failures (default 503)\n"
"      --retry-after SECS   add Retry-After to every 429 and 503 response\n"
"      --outage-file FILE   fail every request while FILE exists\n"
"      --outage START:END   fail every request from START to END seconds\n"
"                           after start (fractions allowed); repeatable\n"
"      --capacity N         serve at most N requests per second (or N/m)\n"
"      --queue N            serve N requests per second in arrival order;\n"
"                           the rest wait (a service that slows, not refuses)\n"
"      --latency MS         delay every response by MS milliseconds\n"
"      --latency-jitter MS  add a random 0 to MS milliseconds to that\n"
"      --log FILE           append one JSON line per request to FILE\n"
"      --dump DIR           write each request, as received, to DIR/N.http\n"
"  -h, --help               show this help and exit\n"
"\n"
"Endpoints: GET /health, GET /metrics (Prometheus text format 0.0.4).\n";

enum {
	OPT_PORT = CLI_OPT_TOOL, OPT_PORT_FILE, OPT_PID_FILE, OPT_STATUS,
	OPT_ROUTE, OPT_FAIL_FIRST, OPT_FAIL_STATUS, OPT_RETRY_AFTER,
	OPT_OUTAGE_FILE, OPT_OUTAGE, OPT_CAPACITY, OPT_QUEUE, OPT_LATENCY,
	OPT_JITTER, OPT_LOG, OPT_DUMP
};

static const char short_opts[] = ":h";
static const struct option long_opts[] = {
	{ "port", required_argument, NULL, OPT_PORT },
	{ "port-file", required_argument, NULL, OPT_PORT_FILE },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "route", required_argument, NULL, OPT_ROUTE },
	{ "fail-first", required_argument, NULL, OPT_FAIL_FIRST },
	{ "fail-status", required_argument, NULL, OPT_FAIL_STATUS },
	{ "retry-after", required_argument, NULL, OPT_RETRY_AFTER },
	{ "outage-file", required_argument, NULL, OPT_OUTAGE_FILE },
	{ "outage", required_argument, NULL, OPT_OUTAGE },
	{ "capacity", required_argument, NULL, OPT_CAPACITY },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "latency-jitter", required_argument, NULL, OPT_JITTER },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "dump", required_argument, NULL, OPT_DUMP },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* A number in [0, max]; *end gets what follows it, which must be nothing
 * when end is NULL. */
static int parse_real(const char *s, double max, double *out, char **end)
{
	char *e;

	errno = 0;
	*out = strtod(s, &e);
	if (e == s || errno || !(*out >= 0 && *out <= max) || (!end && *e))
		return -1;
	if (end)
		*end = e;
	return 0;
}

/* Store one option in o; returns 0, or negative with the reason in err. */
static int parse_opt(struct opts *o, int c, char *arg, struct rd_err *err)
{
	uint64_t v = 0;
	double a, b;
	char *e;

	switch (c) {
	case OPT_PORT:
		if (cli_parse_u64(arg, 0, 65535, &v, err) == 0)
			o->port = (int)v;
		return err->code;
	case OPT_STATUS:
	case OPT_FAIL_STATUS:
		if (cli_parse_u64(arg, 200, 599, &v, err) == 0)
			*(c == OPT_STATUS ? &o->status : &o->fail_status) = (int)v;
		return err->code;
	case OPT_ROUTE:
		if (!(e = strrchr(arg, '=')) || e == arg)
			return rd_err_set(err, RD_E_INVAL, "'%s' is not PREFIX=CODE",
					  arg);
		if (cli_parse_u64(e + 1, 200, 599, &v, err) < 0)
			return err->code;
		o->routes = xrealloc(o->routes, (o->nroutes + 1) *
				     sizeof(*o->routes));
		o->routes[o->nroutes++] = (struct route){ arg,
			(size_t)(e - arg), (int)v };
		return 0;
	case OPT_FAIL_FIRST:
		return cli_parse_u64(arg, 0, UINT64_MAX, &o->fail_first, err);
	case OPT_RETRY_AFTER:
		if (cli_parse_u64(arg, 0, 86400 * 365, &v, err) == 0)
			o->retry_after = (long)v;
		return err->code;
	case OPT_OUTAGE:
		if (parse_real(arg, 1e9, &a, &e) || *e != ':' ||
		    parse_real(e + 1, 1e9, &b, NULL) || a >= b)
			return rd_err_set(err, RD_E_INVAL, "'%s' is not START:END "
					  "in seconds with START < END", arg);
		o->outages = xrealloc(o->outages, (o->noutages + 1) * 2 *
				      sizeof(*o->outages));
		o->outages[2 * o->noutages] = a;
		o->outages[2 * o->noutages++ + 1] = b;
		return 0;
	case OPT_CAPACITY:
		return cli_parse_rate(arg, &o->capacity, err);
	case OPT_QUEUE:
		return cli_parse_rate(arg, &o->queue, err);
	case OPT_LATENCY:
	case OPT_JITTER:
		if (parse_real(arg, 3600e3, &a, NULL))
			return rd_err_set(err, RD_E_INVAL, "'%s' is not a number "
					  "of milliseconds (0 to 3600000)", arg);
		*(c == OPT_LATENCY ? &o->latency_ms : &o->jitter_ms) = a;
		return 0;
	case OPT_PORT_FILE: o->port_file = arg; return 0;
	case OPT_PID_FILE: o->pid_file = arg; return 0;
	case OPT_OUTAGE_FILE: o->outage_file = arg; return 0;
	case OPT_LOG: o->log_file = arg; return 0;
	case OPT_DUMP: o->dump_dir = arg; return 0;
	}
	return rd_err_set(err, RD_E_INVAL, "unexpected option");
}

int main(int argc, char *argv[])
{
	struct srv s = { .o = { .fail_status = 503, .status = 200,
				.retry_after = -1 },
			 .ep = -1, .lfd = -1, .sfd = -1, .logfd = -1 };
	struct epoll_event evs[256];
	struct rd_err err = { 0 };
	struct rlimit rl;
	char why[256];
	int c, li = 0, n, rc = RD_EXIT_ERROR, stop = 0;

	msg_init(&s.m, "rd-downstream");
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, &li)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			rc = fflush(stdout) == 0 ? RD_EXIT_OK : RD_EXIT_ERROR;
			goto out;
		}
		if (c == ':' || c == '?') {
			msg_usage(&s.m, "%s", cli_opt_error(c, argv, why,
							    sizeof(why)));
			goto out;
		}
		if (parse_opt(&s.o, c, optarg, &err) < 0) {
			msg_usage(&s.m, "--%s: %s", long_opts[li].name, err.msg);
			goto out;
		}
	}
	if (optind < argc) {
		msg_usage(&s.m, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Room for thousands of connections when the hard limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	s.t0 = s.t_refill = mono();
	s.burst = s.tokens = s.o.capacity / 10 > 1 ? s.o.capacity / 10 : 1;
	s.rng = (uint64_t)getpid() ^ (uint64_t)(s.t0 * 1e9);
	if (s.o.log_file && (s.logfd = open(s.o.log_file, O_WRONLY | O_CREAT |
					    O_APPEND | O_CLOEXEC, 0644)) < 0) {
		msg_error(&s.m, "cannot open '%s': %s", s.o.log_file,
			  strerror(errno));
		goto out;
	}
	if (srv_listen(&s) < 0)
		goto out;
	while (!stop) {
		double d = s.thead ? s.thead->deadline - mono() : -1;

		n = epoll_wait(s.ep, evs, (int)(sizeof(evs) / sizeof(evs[0])),
			       !s.thead ? -1 : d <= 0 ? 0 : (int)ceil(d * 1000));
		if (n < 0 && errno != EINTR) {
			msg_error(&s.m, "epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (int i = 0; i < n; i++) {
			struct conn *cn = evs[i].data.ptr;

			if (evs[i].data.ptr == &s.sfd)
				stop = 1;
			else if (evs[i].data.ptr == &s.lfd)
				srv_accept(&s);
			/* A client gone while its answer waits: drop it, as
			 * level-triggered hang-ups would otherwise spin. */
			else if ((evs[i].events & (EPOLLERR | EPOLLHUP)) &&
				 cn->st == ST_WAIT)
				conn_close(&s, cn);
			else
				conn_drive(&s, cn);
		}
		srv_timers(&s);
	}
	rc = RD_EXIT_OK;
out:
	while (s.conns)
		conn_close(&s, s.conns);
	if (s.logfd >= 0 && close(s.logfd) < 0 && rc == RD_EXIT_OK) {
		msg_error(&s.m, "cannot close the log: %s", strerror(errno));
		rc = RD_EXIT_ERROR;
	}
	if (s.lfd >= 0)
		close(s.lfd);
	if (s.sfd >= 0)
		close(s.sfd);
	if (s.ep >= 0)
		close(s.ep);
	for (size_t i = 0; i < s.keys.cap; i++)
		free(s.keys.slot[i].key);
	free(s.keys.slot);
	buf_release(&s.scratch);
	free(s.o.routes);
	free(s.o.outages);
	return rc;
}
