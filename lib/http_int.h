/*
 * http_int.h - what the files of the HTTP engine share (http.c, the
 * engine; http_stream.c, streamed responses): the transfer and the engine
 * themselves.  Internal: only lib/http*.c include it, because the CURL
 * types never leave those files.
 */
#ifndef HTTP_INT_H
#define HTTP_INT_H

#include <curl/curl.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"

struct http_xfer {
	struct http *h;
	CURL *e;
	struct curl_slist *hdrs;
	char *body, *url, *method;
	void *udata;
	int64_t start_ns;
	int64_t retry_after_ms;
	int refused;
	char refmsg[256];           /* why, when refused */
	struct buf rhdrs, rbody;
	uint64_t body_seen;         /* body bytes received */
	char errbuf[CURL_ERROR_SIZE];
	/* A streamed transfer (http_stream): its callbacks, NULL otherwise;
	 * whether its final head was handed over, whether the body is
	 * paused for the reader, and when it times out (monotonic ns). */
	const struct http_stream_cb *scb;
	int head_done, paused;
	int64_t deadline_ns;
	const char *timeout_what;   /* what the deadline waits for */
	struct http_xfer *next;     /* free list, or the live list */
	struct http_xfer **prevp;
};

struct http {
	struct http_opts o;
	struct http_info info;      /* of the transfer being reported */
	CURLM *m;
	struct http_xfer *free_list;
	struct http_xfer *live;
	unsigned inflight;
	int64_t swept_ns;           /* last look for transfers past deadline */
	int64_t left_ns;            /* when it last returned to its caller */
};

#define HTTP_NO_DEADLINE INT64_MAX

/* Start a transfer of r; with scb, a streamed one.  *out (may be NULL)
 * gets the transfer.  As http_submit. */
int http_xfer_submit(struct http *h, const struct http_req *r,
		     const struct http_stream_cb *scb, struct http_xfer **out,
		     struct rd_err *err);

/* Return x to the free list, without a result. */
void http_xfer_recycle(struct http *h, struct http_xfer *x);

/* The stream's side of libcurl's header and write callbacks. */
size_t http_stream_header(struct http_xfer *x, const char *p, size_t len);
size_t http_stream_body(struct http_xfer *x, const char *p, size_t len);

/* Report x's end through done: res has its err, status, errmsg and
 * retry_after_ms; this adds the rest (udata, latency, the response, and
 * with want_info what libcurl knows), then recycles x. */
void http_xfer_end(struct http *h, struct http_xfer *x, struct http_res *res,
		   http_done_fn done, void *ctx);

/* Deadlines and holds (http_deadline.c).  x's first deadline, from its
 * start: the whole response's, or a stream's head's. */
void http_deadline_start(struct http *h, struct http_xfer *x);
/* The engine is called (returns the time): the time since it last
 * returned was a hold, if long enough. */
int64_t http_deadline_enter(struct http *h);
/* It waited, or ran libcurl, from since, asked to wait wait_ms: any more
 * was a hold.  Returns the time. */
int64_t http_deadline_after(struct http *h, int64_t since, int wait_ms);
/* It returns to its caller. */
void http_deadline_leave(struct http *h);
/* wait_ms, or less: until the first deadline (not for short waits). */
int http_deadline_wait(const struct http *h, int wait_ms);
/* End every transfer past its deadline with HTTP_ERR_TIMEOUT, reporting
 * it through done.  Returns how many. */
int http_deadline_sweep(struct http *h, http_done_fn done, void *ctx);

#endif
