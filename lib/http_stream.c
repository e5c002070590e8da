/*
 * http_stream.c - streamed responses (see http.h): the final head and
 * each piece of the body handed to the caller as libcurl delivers them,
 * with back-pressure, and the deadlines of streams.
 *
 * Back-pressure is libcurl's pause: a write callback that returns
 * CURL_WRITEFUNC_PAUSE leaves the piece with libcurl, which stops reading
 * the socket until curl_easy_pause(CURLPAUSE_CONT) and then delivers the
 * same piece again.  So what a slow reader costs is bounded by libcurl's
 * receive buffer, not by the size of the answer.
 *
 * A stream has no whole-transfer timeout (a long download that keeps
 * moving is fine); instead each transfer carries one deadline: for its
 * head, then for its next piece of body (swept by http_deadline.c).  A
 * paused stream has none: the reader's own timeouts govern it.
 * Deliberately not here: decoding (bodies go as received) and choosing
 * which headers to relay.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "clk.h"
#include "http.h"
#include "http_int.h"
#include "banned.h"

static int64_t idle_deadline(const struct http_xfer *x)
{
	return clk_mono_ns() + (int64_t)x->h->o.stream_idle_timeout_ms * 1000000;
}

size_t http_stream_header(struct http_xfer *x, const char *p, size_t len)
{
	long status = 0;

	if (x->rhdrs.len + len > HTTP_HEAD_MAX) {
		snprintf(x->errbuf, sizeof(x->errbuf),
			 "response head longer than %d bytes", HTTP_HEAD_MAX);
		return 0;       /* ends the transfer */
	}
	buf_add(&x->rhdrs, p, len);
	if (!((len == 2 && p[0] == '\r' && p[1] == '\n') ||
	      (len == 1 && p[0] == '\n')))
		return len;
	/* The blank line: a head is complete; 1xx ones are not the answer. */
	curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200)
		return len;
	x->head_done = 1;
	x->deadline_ns = idle_deadline(x);
	x->timeout_what = "the next piece of the response body";
	if (x->scb->on_head(x->udata, (int)status, x->rhdrs.data,
			    x->rhdrs.len) < 0) {
		snprintf(x->errbuf, sizeof(x->errbuf), "response refused by the reader");
		return 0;
	}
	return len;
}

size_t http_stream_body(struct http_xfer *x, const char *p, size_t len)
{
	if (x->scb->on_body(x->udata, p, len) == HTTP_STREAM_FULL) {
		x->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	x->body_seen += len;
	x->deadline_ns = idle_deadline(x);
	return len;
}

int http_stream(struct http *h, const struct http_req *r,
		const struct http_stream_cb *cb, struct http_xfer **x,
		struct rd_err *err)
{
	return http_xfer_submit(h, r, cb, x, err);
}

void http_xfer_resume(struct http *h, struct http_xfer *x)
{
	(void)h;
	if (!x->paused)
		return;
	x->paused = 0;
	x->deadline_ns = idle_deadline(x);
	/* May hand the kept piece over at once, and pause again. */
	curl_easy_pause(x->e, CURLPAUSE_CONT);
}

void http_xfer_cancel(struct http *h, struct http_xfer *x)
{
	http_xfer_recycle(h, x);
}

int http_poll(struct http *h, int extra_fd, int wait_ms)
{
	struct curl_waitfd w = { extra_fd, CURL_WAIT_POLLIN, 0 };
	int64_t t = http_deadline_enter(h);
	int n = 0;
	CURLMcode mc;

	mc = curl_multi_poll(h->m, extra_fd >= 0 ? &w : NULL, extra_fd >= 0,
			     wait_ms, &n);
	http_deadline_after(h, t, wait_ms);
	http_deadline_leave(h);
	if (mc != CURLM_OK)
		return RD_E_IO;
	/* n counts extra_fd too: alone, it leaves the transfers nothing to
	 * do (a libcurl timer due meanwhile ends the next wait at once). */
	return n == 1 && w.revents ? 0 : 1;
}

void http_wakeup(struct http *h)
{
	curl_multi_wakeup(h->m);
}
