/*
 * proxy.h - rd-proxy's engine: an HTTP/1.1 reverse proxy in front of one
 * upstream that forwards every request and captures into the spool the
 * ones whose upstream attempt failed.
 *
 * Invariants:
 *  - An upstream answer is relayed unchanged (status, headers less the
 *    hop-by-hop ones, body) and streamed: what one exchange holds is
 *    bounded (PROXY_PIPE_BYTES of body, plus libcurl's buffer), whatever
 *    the size of the answer.
 *  - A request is captured only when its method is in the capture set and
 *    the upstream attempt failed at the transport (connect, DNS, TLS,
 *    reset, timeout) or answered a status of the capture set, or when the
 *    breaker file says open.  It is then answered 202 (or the upstream's
 *    own error) with its record id and idempotency key, and only once the
 *    record is durable under the spool's fsync policy.  When the capture
 *    fails the answer is 503 with Retry-After, never 202.
 *  - A malformed request is answered 400 and is neither forwarded nor
 *    captured.  Every resource has a bound: connections, memory of a
 *    connection, time for a head and for a body, size of a record, bytes
 *    buffered in all, records waiting for the spool, transfers to the
 *    upstream.
 *
 * Threads: `threads` workers, each driving one libmicrohttpd daemon (the
 * clients, proxy_server.c) and one HTTP engine (the upstream,
 * proxy_relay.c) from one event loop, so a request is read, forwarded
 * and answered without changing threads; one spool writer
 * (proxy_capture.c) and one housekeeper (timeouts, the breaker file).
 * Deliberately not here: option parsing, printing (notices go to a
 * callback) and signal handling; the caller does those.
 */
#ifndef PROXY_H
#define PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "rd.h"
#include "spool.h"

/* Body bytes one exchange holds between the upstream and the client. */
#define PROXY_PIPE_BYTES ((size_t)64 << 10)
/* After the grace of a stop, the most the answers it settled may take. */
#define PROXY_CUT_MS 2000
/* Of an upstream error answer relayed after a capture, the body kept. */
#define PROXY_HELD_BYTES ((size_t)64 << 10)

enum proxy_notice_level { PROXY_INFO, PROXY_WARN, PROXY_ERROR };

struct proxy_opts {
	const char *listen;           /* ADDR:PORT; port 0 picks one */
	const char *upstream;         /* base URL: scheme://host[:port][/prefix] */
	const char *metrics_listen;   /* ADDR:PORT of /metrics, or NULL */
	const char *access_log;       /* JSON lines file, "-" stdout, or NULL */
	const char *breaker;          /* rd-health --state file, or NULL */
	struct spool *sp;             /* borrowed; written by the writer only */
	enum spool_fsync fsync;       /* the spool's policy (batch sizes) */
	struct http_opts http;        /* the upstream transport */
	struct http_okset capture_status; /* default 502, 503, 504 */
	const char *const *capture_methods; /* NULL: POST PUT PATCH DELETE */
	size_t ncapture_methods;
	int answer_upstream;          /* captured: the upstream's error, not 202 */
	const char *idem_header;      /* NULL: none added nor announced (a
				       * client's Idempotency-Key is still
				       * its key, forwarded as sent) */
	uint64_t max_record;          /* request body bytes; 413 beyond */
	uint64_t max_buffer;          /* bytes buffered in all; 503 beyond */
	unsigned max_connections;
	size_t connection_memory;     /* libmicrohttpd's pool per connection */
	uint64_t header_timeout_ms;   /* a head (and keep-alive idle) */
	uint64_t body_timeout_ms;     /* a request body, from its head */
	uint64_t idle_timeout_ms;     /* a connection with no traffic */
	unsigned capture_queue;       /* records waiting for the writer */
	unsigned upstream_concurrency;/* transfers to the upstream at once */
	unsigned threads;             /* server threads */
	uint64_t retry_after_s;       /* in the 503s rd-proxy makes */
	/* What the service has to tell its operator (a breaker file that
	 * cannot be read, a failed capture, a log that cannot be written);
	 * called from any thread; may be NULL. */
	void (*notice)(void *ctx, enum proxy_notice_level lvl, const char *text);
	void *notice_ctx;
};

/* Defaults: the numbers documented in rd-proxy(1). */
void proxy_opts_init(struct proxy_opts *o);

/* Why name cannot be the idempotency header (not a token; hop-by-hop or
 * framing, Host, Expect: a header rd-proxy does not forward as sent;
 * Redrive-Id), or NULL when it can. */
const char *proxy_idem_header_why(const char *name);

struct proxy;

/*
 * Check the options, open the access log, bind the listening sockets and
 * start every thread.  RD_E_INVAL for a bad address or upstream URL,
 * RD_E_IO (a bind, a thread, the log), RD_E_UNSUPP when libcurl is
 * missing.  Caller frees with proxy_free.
 */
int proxy_new(const struct proxy_opts *o, struct proxy **out,
	      struct rd_err *err);

/* After the line that says where it listens: the breaker's state when
 * it is not closed, and from now on each change of it, as notices. */
void proxy_breaker_say(struct proxy *p);

/* The addresses bound, as ADDR:PORT (port 0 resolved); metrics "" when
 * none. */
void proxy_bound(const struct proxy *p, char *listen, size_t n,
		 char *metrics, size_t m);

/* Reopen the access log (after rotation).  RD_E_IO: the old one stays. */
int proxy_reopen_log(struct proxy *p, struct rd_err *err);

/*
 * Stop accepting connections (the listening sockets are closed) and wait
 * up to grace_ms for the exchanges in flight to end (records being
 * captured are made durable and answered).  Then a request still waiting
 * for the upstream is settled as if it had timed out: captured (and
 * answered 202) when it is captureable, else answered 503; an answer
 * under way is cut; and those answers get up to PROXY_CUT_MS more to go
 * out.  Returns how many exchanges were open when the grace ran out.
 */
unsigned proxy_drain(struct proxy *p, uint64_t grace_ms);

/* Stop everything (ending open exchanges) and free.  Accepts NULL. */
void proxy_free(struct proxy *p);

#endif
