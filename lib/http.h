/*
 * http.h - the HTTP engine: many requests at once over the libcurl multi
 * interface, shared by rd-replay and `rd-capture --try`.
 *
 * Invariants:
 *  - The bytes sent are the bytes given: method, body, and headers in
 *    order with duplicates.  libcurl's own defaults (Accept, Expect, a form
 *    Content-Type) are suppressed; only framing headers (Host when absent,
 *    Content-Length) are curl's, because the transport owns framing.
 *  - Every transfer has a timeout.  Only http and https are spoken.
 *    Redirects are not followed, but for `rd-capture --try -L`, which asks
 *    as curl -L does (http_opts.follow).
 *  - Connections are reused across requests (the multi handle keeps the
 *    pool); HTTP/2 is negotiated over TLS, or forced with prior knowledge.
 *  - Connections go straight to the request's host: proxies named in the
 *    environment (http_proxy, https_proxy, ALL_PROXY and their kind) are
 *    ignored, because a proxy would make the address refuse_addr judges
 *    the proxy's, not the one the request is for.
 *  - Every descriptor the engine opens, and those libcurl opens when the
 *    engine is created, is close-on-exec: a command the caller runs (the
 *    replay gate) never inherits a connection.
 * The engine is http.c; streamed responses http_stream.c; URLs are
 * http_url.c, and what an outcome means http_class.c.  The CURL types
 * never leave these files.  It does not decide what a
 * result means for a record (see http_classify) and never prints.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "hdr.h"
#include "rd.h"

enum http_version {
	HTTP_V_DEFAULT = 0,  /* HTTP/1.1 in clear, HTTP/2 offered over TLS */
	HTTP_V_1_1,          /* HTTP/1.1 only */
	HTTP_V_2_PRIOR       /* HTTP/2 without upgrade, also in clear */
};

/* The most of a response head kept with keep_head. */
#define HTTP_HEAD_MAX 16384

struct http_opts {
	uint64_t timeout_ms;          /* whole transfer; default 30 s */
	uint64_t connect_timeout_ms;  /* default 10 s */
	unsigned max_conns;           /* connection pool cap; default 64;
				       * 0: none (the caller caps) */
	int insecure;                 /* skip TLS verification */
	const char *cacert;           /* CA bundle file, NULL: system */
	enum http_version version;
	int keep_response;            /* keep response headers and body */
	size_t max_response;          /* cap on a kept body; default 64 MiB */
	/* Without keep_response: keep the header block of the final
	 * response (at most HTTP_HEAD_MAX bytes) and the first body_peek
	 * bytes of its body; the rest of the body is read and dropped, so a
	 * large answer costs no memory and never fails the transfer. */
	int keep_head;
	size_t body_peek;
	/* rd-capture --try only, as curl's options: */
	int follow;                   /* -L: follow redirects */
	long max_redirs;              /* with follow; 0: curl's 50 */
	int decode;                   /* --compressed: decode the body */
	int all_heads;                /* keep every response's header block,
				       * after redirects too (-i -L) */
	int want_info;                /* fill http_res.info (-w) */
	/* Asked about every address a connection is opened to, after name
	 * resolution (numeric, as curl gives it); returns NULL to allow, or
	 * why it is refused (a static string; the transfer then ends with
	 * HTTP_ERR_REFUSED and a message naming the address and why).
	 * NULL: allow all. */
	const char *(*refuse_addr)(void *ctx, const struct sockaddr *sa);
	void *refuse_ctx;
	/* Streams (http_stream) only, instead of timeout_ms: how long the
	 * final response head may take, and the longest wait between two
	 * pieces of its body while the reader takes them; default 30 s. */
	uint64_t stream_head_timeout_ms;
	uint64_t stream_idle_timeout_ms;
};

void http_opts_init(struct http_opts *o);

struct http_req {
	const char *method;
	size_t method_len;
	const char *url;          /* NUL-terminated */
	const struct hdr *hdrs;
	size_t nhdrs;
	const char *body;
	size_t body_len;
	void *udata;              /* handed back in the result */
};

/* What went wrong below HTTP; HTTP_ERR_NONE when a response came. */
enum http_err {
	HTTP_ERR_NONE = 0,
	HTTP_ERR_TIMEOUT,
	HTTP_ERR_DNS,
	HTTP_ERR_CONNECT,
	HTTP_ERR_TLS,
	HTTP_ERR_NETWORK,    /* send or receive failed mid-way */
	HTTP_ERR_REFUSED,    /* refused by refuse_addr or protocol rules */
	HTTP_ERR_OTHER
};

struct http_res {
	void *udata;
	int status;               /* 0 when no response */
	enum http_err err;
	const char *errmsg;       /* "" when none; borrowed for the callback */
	double latency_ms;        /* from submit to completion */
	int64_t retry_after_ms;   /* Retry-After as a delay, -1 when none */
	const struct buf *headers;/* raw response headers, when kept */
	const struct buf *body;   /* response body, or its first bytes */
	uint64_t body_bytes;      /* body bytes received, kept or not */
	const struct http_info *info; /* with o->want_info, else NULL;
				       * borrowed for the callback */
};

/* 1 for a header that frames the message (Content-Length,
 * Transfer-Encoding, Connection and the other hop-by-hop ones): the
 * engine never sends a captured one, because the transport frames. */
int http_hop_by_hop(const char *name, size_t len);

/* A short name for err: "timeout", "dns", "connect", "tls", "network",
 * "refused", "error"; "" for HTTP_ERR_NONE. */
const char *http_err_name(enum http_err e);

struct http;

/* Caller frees with http_free.  RD_E_IO when libcurl cannot start. */
int http_new(const struct http_opts *o, struct http **out,
	     struct rd_err *err);
/* Abort every transfer (no callbacks) and free.  Accepts NULL. */
void http_free(struct http *h);

/* Whether the engine sends a body (and its Content-Length) for r: one it
 * has, or the empty one of a POST, PUT or PATCH. */
int http_req_has_body(const struct http_req *r);

/* Start a request.  Everything in r is copied.  RD_E_INVAL for a request
 * curl refuses to set up (the message says which part). */
int http_submit(struct http *h, const struct http_req *r, struct rd_err *err);

/* Transfers submitted and not yet reported. */
unsigned http_inflight(const struct http *h);

typedef void (*http_done_fn)(void *ctx, const struct http_res *res);

/*
 * Drive transfers: wait up to wait_ms for activity (0: do not wait), move
 * data, and call done once for each finished transfer.  Returns the
 * number finished, or RD_E_IO when the multi interface fails.
 */
int http_run(struct http *h, int wait_ms, http_done_fn done, void *ctx);

/* Abort every transfer still running, without result callbacks: drop
 * (may be NULL) gets each one's udata to release.  Returns how many. */
unsigned http_abort_all(struct http *h, void (*drop)(void *udata));

/*
 * Streaming (rd-proxy's relay): the response is handed over as it
 * arrives instead of kept.  on_head gets the final response (1xx answers
 * are skipped): its status and its header block as received, status line
 * first, at most HTTP_HEAD_MAX bytes (a longer one ends the transfer with
 * HTTP_ERR_OTHER); returning < 0 ends the transfer (HTTP_ERR_OTHER).
 * on_body gets each piece of the body; it returns HTTP_STREAM_FULL when
 * it cannot take the piece now, and the engine then keeps that piece and
 * reads nothing more of the response until http_xfer_resume, when it
 * hands the same piece over again.  So a slow reader holds the upstream
 * back (TCP flow control) and costs at most one piece of libcurl's
 * buffer per transfer.  Trailers are not handed over.
 */
enum { HTTP_STREAM_TAKEN = 0, HTTP_STREAM_FULL = 1 };

struct http_stream_cb {
	int (*on_head)(void *udata, int status, const char *head, size_t len);
	int (*on_body)(void *udata, const char *p, size_t n);
};

/* One transfer, for http_xfer_resume and http_xfer_cancel: valid from
 * http_stream until its result is reported by http_run, or it is
 * cancelled. */
struct http_xfer;

/*
 * Start a streamed request (as http_submit; r->udata is handed to the
 * callbacks and the result).  Its deadlines are stream_head_timeout_ms
 * and stream_idle_timeout_ms (not counted while paused); either ends it
 * with HTTP_ERR_TIMEOUT.  *x gets the transfer.  The callbacks run inside
 * http_run, in its thread.
 */
int http_stream(struct http *h, const struct http_req *r,
		const struct http_stream_cb *cb, struct http_xfer **x,
		struct rd_err *err);

/* Hand the kept piece over again and read on.  In http_run's thread. */
void http_xfer_resume(struct http *h, struct http_xfer *x);

/* End x now, with no result callback.  In http_run's thread. */
void http_xfer_cancel(struct http *h, struct http_xfer *x);

/* Wait up to wait_ms for activity on the engine's transfers, on
 * extra_fd (readable; -1 for none), or for http_wakeup, without moving
 * data: with http_run(h, 0, ...) around it, a caller can act on what one
 * round delivered, and drive another event source from the same thread,
 * before it waits.  1 when the transfers may have work for http_run,
 * 0 when only extra_fd is ready (a round of http_run would find nothing,
 * unless the caller started or resumed transfers since; a timer of
 * libcurl's that falls due ends the next wait at once), or RD_E_IO. */
int http_poll(struct http *h, int extra_fd, int wait_ms);

/* Make a wait inside http_run or http_poll return now.  Safe from any thread: how
 * another thread tells the one driving the engine that it has work. */
void http_wakeup(struct http *h);

/* Append s percent-encoded for a URL query value. */
void http_escape(const char *s, struct buf *out);

/* The host of an absolute URL, lowercased, without brackets or port,
 * into host (size n).  RD_E_INVAL when the URL does not parse. */
int http_url_host(const char *url, char *host, size_t n, struct rd_err *err);

/*
 * Rebase url onto base (scheme://host[:port][/prefix]): the result keeps
 * url's path and query after base's path prefix.  Appended to out.
 */
int http_url_rebase(const char *url, const char *base, struct buf *out,
		    struct rd_err *err);

/* The result of http_once, owned by the caller. */
/* What curl's -w reports about a finished transfer. */
struct http_info {
	struct buf url_effective, redirect_url;
	char content_type[256], remote_ip[64];
	long remote_port, num_redirects;
	int version;                  /* 10, 11, 20, 30; 0 when none */
	uint64_t size_download, size_upload, size_header, size_request;
	/* seconds from the start of the transfer */
	double t_namelookup, t_connect, t_appconnect, t_pretransfer;
	double t_starttransfer, t_redirect, t_total;
};

struct http_once {
	int status;
	enum http_err err;
	char errmsg[256];
	double latency_ms;
	int64_t retry_after_ms;
	struct buf headers, body;  /* kept when o->keep_response */
	struct http_info info;     /* with o->want_info */
};

void http_once_init(struct http_once *r);
void http_once_release(struct http_once *r);

/* Send one request and wait for its end (`rd-capture --try`).  Returns 0
 * when the transfer ended (check out->err and out->status), or a negative
 * code when it could not be made at all. */
int http_once(const struct http_opts *o, const struct http_req *r,
	      struct http_once *out, struct rd_err *err);

/* The Accept-Encoding curl --compressed sends with this libcurl ("deflate,
 * gzip, br, zstd" as its features allow), into out (size n).
 * RD_E_UNSUPP when libcurl cannot be loaded. */
int http_accept_encoding(char *out, size_t n, struct rd_err *err);

/* Parse a Retry-After value (delay seconds or an HTTP date) relative to
 * now_ms (wall clock).  The delay in ms (>= 0), or -1 when unparsable. */
int64_t http_parse_retry_after(const char *v, size_t n, int64_t now_ms);

/*
 * The set of statuses that count as success: "2xx" by default; a list of
 * codes and ranges like "200-299,304" or "2xx,304".
 */
struct http_okset {
	uint64_t bits[10];         /* statuses 0..639 */
};

void http_okset_default(struct http_okset *s);
int http_okset_parse(const char *spec, struct http_okset *s,
		     struct rd_err *err);
int http_okset_has(const struct http_okset *s, int status);

enum http_class {
	HTTP_OK = 0,     /* delivered */
	HTTP_RETRY,      /* try again later: transport errors, 408, 429, 5xx */
	HTTP_PERMANENT   /* no point in retrying: other statuses */
};

/* Classify a finished transfer. */
enum http_class http_classify(const struct http_res *res,
			      const struct http_okset *ok);

/* "ok", "retry" or "permanent". */
const char *http_class_name(enum http_class c);

#endif
