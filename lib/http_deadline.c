/*
 * http_deadline.c - when the HTTP engine's transfers time out, and the
 * time the engine was held still, which does not count.
 *
 * Every transfer has one deadline (monotonic ns): a plain one for its
 * whole exchange (timeout_ms, from its start); a stream one for its head,
 * then for each next piece of its body (http_stream.c).  libcurl is given
 * no whole-transfer timeout, because it would count time in which no one
 * could read its sockets: when the process is stopped, its machine
 * paused, or its caller blocked (a slow disk sync, a NATS leader
 * election) while transfers are in flight, the answers that came
 * meanwhile wait in the socket buffers, and libcurl, which looks at the
 * clock before it reads, would call them timed out.  A send the service
 * answered would be recorded as failed, and sent again.
 *
 * So the engine measures its holds: the time its caller kept it away
 * (from its last return to its next call), and the time a wait or a
 * round of libcurl took beyond what was asked for.  A hold of HELD_MIN_NS
 * or more moves the deadline of each transfer it held later by as much
 * of the hold as the transfer was in flight for (the hold is taken to
 * have ended just now).  Shorter ones are ordinary work and count.
 * Deadlines are looked at only after libcurl has read what came.
 * libcurl keeps the connect timeout, within the whole deadline.
 */
#include <stdio.h>
#include <string.h>

#include "clk.h"
#include "http.h"
#include "http_int.h"
#include "banned.h"

/* Looking for expired deadlines costs a walk of the live list: at most
 * this often, so a busy engine does not walk it on every call. */
#define SWEEP_EVERY_NS ((int64_t)10 * 1000000)
#define HELD_MIN_NS ((int64_t)100 * 1000000)
#define MS_NS ((int64_t)1000000)

void http_deadline_start(struct http *h, struct http_xfer *x)
{
	uint64_t ms = x->scb ? h->o.stream_head_timeout_ms : h->o.timeout_ms;

	x->deadline_ns = ms ? x->start_ns + (int64_t)ms * MS_NS : HTTP_NO_DEADLINE;
	x->timeout_what = x->scb ? "the response head" : "the whole response";
}

/* A hold of held_ns that ended at now: each transfer in flight during it
 * waits that much longer. */
static void held(struct http *h, int64_t held_ns, int64_t now)
{
	if (held_ns < HELD_MIN_NS)
		return;
	for (struct http_xfer *x = h->live; x; x = x->next) {
		int64_t d = now - x->start_ns < held_ns ? now - x->start_ns : held_ns;

		if (d >= HELD_MIN_NS && x->deadline_ns != HTTP_NO_DEADLINE)
			x->deadline_ns += d;
	}
}

int64_t http_deadline_enter(struct http *h)
{
	int64_t now = clk_mono_ns();

	if (h->left_ns)
		held(h, now - h->left_ns, now);
	return now;
}

int64_t http_deadline_after(struct http *h, int64_t since, int wait_ms)
{
	int64_t now = clk_mono_ns();

	held(h, now - since - (int64_t)(wait_ms > 0 ? wait_ms : 0) * MS_NS, now);
	return now;
}

void http_deadline_leave(struct http *h)
{
	h->left_ns = clk_mono_ns();
}

int http_deadline_wait(const struct http *h, int wait_ms)
{
	int64_t now, first = HTTP_NO_DEADLINE;

	if (wait_ms <= 10)
		return wait_ms;
	for (const struct http_xfer *x = h->live; x; x = x->next)
		if (!x->paused && x->deadline_ns < first)
			first = x->deadline_ns;
	if (first == HTTP_NO_DEADLINE)
		return wait_ms;
	now = clk_mono_ns();
	if (first <= now)
		return 0;
	/* rounded up: a wait that ends just short of it would spin */
	return (first - now + MS_NS - 1) / MS_NS < wait_ms ?
	       (int)((first - now + MS_NS - 1) / MS_NS) : wait_ms;
}

static uint64_t timeout_ms(const struct http *h, const struct http_xfer *x)
{
	if (!x->scb)
		return h->o.timeout_ms;
	return x->head_done ? h->o.stream_idle_timeout_ms : h->o.stream_head_timeout_ms;
}

int http_deadline_sweep(struct http *h, http_done_fn done, void *ctx)
{
	int64_t now = clk_mono_ns();
	struct http_xfer *x, *next;
	int n = 0;

	if (now - h->swept_ns < SWEEP_EVERY_NS)
		return 0;
	h->swept_ns = now;
	for (x = h->live; x; x = next) {
		struct http_res res;
		char msg[160];

		next = x->next;
		if (x->paused || now < x->deadline_ns)
			continue;
		snprintf(msg, sizeof(msg), "%s did not come within %llu ms",
			 x->timeout_what, (unsigned long long)timeout_ms(h, x));
		memset(&res, 0, sizeof(res));
		res.err = HTTP_ERR_TIMEOUT;
		res.errmsg = msg;
		res.retry_after_ms = -1;
		http_xfer_end(h, x, &res, done, ctx);
		n++;
	}
	return n;
}
