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
 *
 * This file is the server: the loop, connections, decisions and answers.
 * Reading a request is in rd-downstream-http.c, the command line in
 * rd-downstream-opts.c, and what they share in rd-downstream.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "msg.h"
#include "rd-downstream.h"
#include "xalloc.h"
#include "banned.h"

#define READ_CHUNK ((size_t)16 << 10)
#define LINGER_S 1.0

static const double bucket_le[NBUCKETS - 1] = {
	0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
static const char *const bucket_name[NBUCKETS] = {
	"0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
	"2.5", "5", "10", "+Inf"
};

/* ---- request counts per Idempotency-Key: open addressing, FNV-1a ---- */

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

/* ---- clocks, chance and text ---- */

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

int conn_error(struct srv *s, struct conn *c, int code)
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

int request_done(struct srv *s, struct conn *c)
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

/* Serve until SIGTERM or SIGINT.  Returns the exit status. */
static int srv_run(struct srv *s)
{
	struct epoll_event evs[256];
	int n, stop = 0;

	while (!stop) {
		double d = s->thead ? s->thead->deadline - mono() : -1;

		n = epoll_wait(s->ep, evs, (int)(sizeof(evs) / sizeof(evs[0])),
			       !s->thead ? -1 : d <= 0 ? 0 : (int)ceil(d * 1000));
		if (n < 0 && errno != EINTR) {
			msg_error(&s->m, "epoll_wait: %s", strerror(errno));
			return RD_EXIT_ERROR;
		}
		for (int i = 0; i < n; i++) {
			struct conn *cn = evs[i].data.ptr;

			if (evs[i].data.ptr == &s->sfd)
				stop = 1;
			else if (evs[i].data.ptr == &s->lfd)
				srv_accept(s);
			/* A client gone while its answer waits: drop it, as
			 * level-triggered hang-ups would otherwise spin. */
			else if ((evs[i].events & (EPOLLERR | EPOLLHUP)) &&
				 cn->st == ST_WAIT)
				conn_close(s, cn);
			else
				conn_drive(s, cn);
		}
		srv_timers(s);
	}
	return RD_EXIT_OK;
}

/* Close and free what s holds, whatever stage it reached; rc is the exit
 * status so far.  Returns the exit status. */
static int srv_end(struct srv *s, int rc)
{
	while (s->conns)
		conn_close(s, s->conns);
	if (s->logfd >= 0 && close(s->logfd) < 0 && rc == RD_EXIT_OK) {
		msg_error(&s->m, "cannot close the log: %s", strerror(errno));
		rc = RD_EXIT_ERROR;
	}
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->sfd >= 0)
		close(s->sfd);
	if (s->ep >= 0)
		close(s->ep);
	for (size_t i = 0; i < s->keys.cap; i++)
		free(s->keys.slot[i].key);
	free(s->keys.slot);
	buf_release(&s->scratch);
	free(s->o.routes);
	free(s->o.outages);
	return rc;
}

int main(int argc, char *argv[])
{
	struct srv s = { .o = { .fail_status = 503, .status = 200,
				.retry_after = -1 },
			 .ep = -1, .lfd = -1, .sfd = -1, .logfd = -1 };
	struct rlimit rl;
	int rc;

	msg_init(&s.m, "rd-downstream");
	if ((rc = opts_parse(&s.o, &s.m, argc, argv)) >= 0)
		return srv_end(&s, rc);
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
		return srv_end(&s, RD_EXIT_ERROR);
	}
	if (srv_listen(&s) < 0)
		return srv_end(&s, RD_EXIT_ERROR);
	return srv_end(&s, srv_run(&s));
}
