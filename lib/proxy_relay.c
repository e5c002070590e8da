/*
 * proxy_relay.c - the worker threads of rd-proxy and the upstream side:
 * each thread runs one event loop over its own HTTP engine (lib/http,
 * streamed) and its own libmicrohttpd daemon (proxy_server.c), waiting on
 * both at once (http_poll with the daemon's epoll descriptor), so the
 * requests its daemon reads are forwarded and answered by the same thread.
 * At most upstream_concurrency transfers run at once in all (the rest
 * wait in order).  The relay decides what each outcome means: relay the
 * answer, capture the request, or answer the client itself.
 *
 * The daemon's callbacks and the writer talk to it through a command
 * queue (submit, resume, cancel; http_wakeup when posted from another
 * thread); only this thread touches the engine, an
 * exchange's transfer and what it fills before handing over (the head,
 * the fail fields).  A request goes out as rd-replay would send its
 * record (rw_build): the same headers, and for a captureable one the
 * idempotency header with the record's key, so the first attempt and
 * every replay carry the same bytes and key.
 *
 * Capture conditions: a transport failure before any answer (connect,
 * DNS, TLS, reset, timeout), or an answer in the capture status set, for
 * a method of the capture set.  An answer is committed to once its head
 * is relayed: a failure after that aborts the client's connection and is
 * not captured, because the upstream has answered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clk.h"
#include "proxy_head.h"
#include "proxy_int.h"
#include "rw.h"
#include "xalloc.h"
#include "banned.h"

enum { CMD_SUBMIT = 1, CMD_RESUME = 2, CMD_CANCEL = 4 };

struct proxy_relay {
	struct proxy *p;
	unsigned idx;                  /* drives the server's daemon idx */
	int quiesced;                  /* its daemon accepts no more */
	struct http *h;
	pthread_t th;
	int started;
	pthread_mutex_t lock;          /* the command queue, at_relay */
	struct proxy_ex *cmd_first, *cmd_last;
	int quit;
	atomic_uint busy;              /* exchanges the relay holds */
	/* relay thread only */
	struct proxy_ex **wait;        /* submitted, waiting for a slot */
	size_t nwait, wcap, whead;
	unsigned inflight, limit;      /* transfers, and this relay's share */
	struct proxy_ex **wake;        /* to wake once this round is done */
	size_t nwake, wakecap;
	int due;                       /* the engine may have work (see loop) */
	int64_t ran_ns;                /* its last round */
	struct rw_rules rules, rules_keyed;
	struct rw rw, rw_keyed;
};

/*
 * Commands come from the relay's own thread (the callbacks of the daemon
 * it drives, which read the queue before it waits again), or from the
 * main thread once it is halted; so a post never needs to wake it.
 */
static void post(struct proxy_ex *ex, unsigned cmd)
{
	struct proxy_relay *r = ex->rl;

	pthread_mutex_lock(&r->lock);
	if (cmd == CMD_SUBMIT) {
		ex->at_relay = 1;
		atomic_fetch_add(&r->busy, 1);
		proxy_ex_get(ex);       /* the relay's, until it lets go */
	} else if (!ex->at_relay) {
		pthread_mutex_unlock(&r->lock);
		return;
	}
	ex->cmds |= cmd;
	if (!ex->in_cmdq) {
		ex->in_cmdq = 1;
		proxy_ex_get(ex);       /* the queue's */
		ex->cmd_next = NULL;
		*(r->cmd_last ? &r->cmd_last->cmd_next : &r->cmd_first) = ex;
		r->cmd_last = ex;
	}
	pthread_mutex_unlock(&r->lock);
}

void proxy_relay_submit(struct proxy_ex *ex)
{
	struct proxy *p = ex->p;

	/* The thread that read the request, else the next in turn. */
	if (!ex->rl)
		ex->rl = p->rls[atomic_fetch_add(&p->next_rl, 1) % p->nrl];
	post(ex, CMD_SUBMIT);
}

void proxy_relay_resume(struct proxy_ex *ex)
{
	if (ex->rl)
		post(ex, CMD_RESUME);
}

void proxy_relay_cancel(struct proxy_ex *ex)
{
	if (ex->rl)
		post(ex, CMD_CANCEL);
}

unsigned proxy_relay_busy(const struct proxy *p)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->nrl; i++)
		n += atomic_load(&p->rls[i]->busy);
	return n;
}

/* The relay is done with ex. */
static void let_go(struct proxy_relay *r, struct proxy_ex *ex)
{
	pthread_mutex_lock(&r->lock);
	ex->at_relay = 0;
	pthread_mutex_unlock(&r->lock);
	atomic_fetch_sub(&r->busy, 1);
	proxy_ex_put(ex);
}

/*
 * Clients are woken once per round of the engine, not per callback: a
 * small answer's head, body and end arrive in one round, and its client
 * then wakes once and sends it whole, instead of waking for the head and
 * suspending again for the body.
 */
static void later(struct proxy_relay *r, struct proxy_ex *ex)
{
	if (ex->wake_pending)
		return;
	if (r->nwake == r->wakecap) {
		r->wakecap = r->wakecap ? r->wakecap * 2 : 64;
		r->wake = xrealloc(r->wake, r->wakecap * sizeof(*r->wake));
	}
	ex->wake_pending = 1;
	proxy_ex_get(ex);
	r->wake[r->nwake++] = ex;
}

static void wake_all(struct proxy_relay *r)
{
	for (size_t i = 0; i < r->nwake; i++) {
		r->wake[i]->wake_pending = 0;
		proxy_server_wake(r->wake[i]);
		proxy_ex_put(r->wake[i]);
	}
	r->nwake = 0;
}

/* ---- the engine's callbacks ---- */

static int no_hdr(void *ctx, const char *n, size_t nn, const char *v, size_t vn)
{
	(void)ctx, (void)n, (void)nn, (void)v, (void)vn;
	return 0;
}

static int on_head(void *udata, int status, const char *head, size_t len)
{
	struct proxy_ex *ex = udata;
	struct proxy *p = ex->p;

	if (proxy_head_each(head, len, no_hdr, NULL, &ex->up_content_length) < 0)
		return -1;
	buf_add(&ex->up_head, head, len);
	ex->up_status = status;
	if (http_okset_has(&p->o.capture_status, status)) {
		char what[32];

		snprintf(what, sizeof(what), "HTTP %d", status);
		proxy_upstream_failed(p, what);
		if (ex->captureable) {
			ex->hold = 1;   /* decided when the transfer ends */
			return 0;
		}
		ex->outcome = PROXY_OUT_RELAYED_ERROR;
	} else {
		atomic_fetch_add(&p->c.up_ok, 1);
	}
	pthread_mutex_lock(&ex->lock);
	ex->st = PROXY_ST_STREAM;
	pthread_mutex_unlock(&ex->lock);
	later(ex->rl, ex);
	return 0;
}

static int on_body(void *udata, const char *d, size_t n)
{
	struct proxy_ex *ex = udata;
	size_t have;

	if (ex->hold) {
		/* its first PROXY_HELD_BYTES, cut there: a piece past them is
		 * never followed by a later one that fits */
		if (ex->p->o.answer_upstream && ex->pipe.len < PROXY_HELD_BYTES)
			buf_add(&ex->pipe, d, n < PROXY_HELD_BYTES - ex->pipe.len ?
				n : PROXY_HELD_BYTES - ex->pipe.len);
		return HTTP_STREAM_TAKEN;
	}
	pthread_mutex_lock(&ex->lock);
	have = ex->pipe.len - ex->pipe_off;
	if (!ex->conn) {                /* the client is gone: drop it */
		pthread_mutex_unlock(&ex->lock);
		return HTTP_STREAM_TAKEN;
	}
	if (have && have + n > PROXY_PIPE_BYTES) {
		ex->paused = 1;
		pthread_mutex_unlock(&ex->lock);
		return HTTP_STREAM_FULL;
	}
	if (ex->pipe_off) {             /* keep what is unread at the front */
		memmove(ex->pipe.data, ex->pipe.data + ex->pipe_off, have);
		ex->pipe.len = have;
		ex->pipe_off = 0;
	}
	buf_add(&ex->pipe, d, n);
	pthread_mutex_unlock(&ex->lock);
	later(ex->rl, ex);
	return HTTP_STREAM_TAKEN;
}

static const struct http_stream_cb stream_cb = { on_head, on_body };

/* Failures that say the upstream did not get to answer. */
static int capture_err(enum http_err e)
{
	return e == HTTP_ERR_TIMEOUT || e == HTTP_ERR_DNS ||
	       e == HTTP_ERR_CONNECT || e == HTTP_ERR_TLS ||
	       e == HTTP_ERR_NETWORK;
}

/* No answer was relayed: capture, or answer the client here; cut: the
 * grace of a stop ran out first (1 at the upstream, 2 before it). */
static void settle(struct proxy_ex *ex, const struct http_res *res, int cut)
{
	struct proxy_fail *f = &ex->fail;
	char text[300];

	f->attempted = cut != 2;
	if (ex->hold) {
		f->status = ex->up_status;
		snprintf(f->type, sizeof(f->type), "http_%d", ex->up_status);
		snprintf(f->msg, sizeof(f->msg), "HTTP %d", ex->up_status);
	} else {
		snprintf(f->type, sizeof(f->type), "%s", http_err_name(res->err));
		snprintf(f->msg, sizeof(f->msg), "%s", res->errmsg);
		if (!cut) {     /* (a stop's cut is not the upstream's) */
			snprintf(text, sizeof(text), "%s: %s", f->type, f->msg);
			proxy_upstream_failed(ex->p, text);
		}
	}
	if (ex->captureable && (ex->hold || capture_err(res->err))) {
		if (proxy_capture(ex) == 0)
			return;
	} else if (cut) {
		pthread_mutex_lock(&ex->lock);
		proxy_answer(ex, 503, PROXY_OUT_SHED,
			     "rd-proxy is stopping: no answer from the upstream within its grace");
		pthread_mutex_unlock(&ex->lock);
	} else {
		snprintf(text, sizeof(text), "upstream: %s", res->errmsg);
		pthread_mutex_lock(&ex->lock);
		proxy_answer(ex, res->err == HTTP_ERR_TIMEOUT ? 504 : 502,
			     PROXY_OUT_RELAYED_ERROR, text);
		pthread_mutex_unlock(&ex->lock);
	}
	later(ex->rl, ex);
}

static void on_done(void *ctx, const struct http_res *res)
{
	struct proxy_relay *r = ctx;
	struct proxy_ex *ex = res->udata;

	ex->xf = NULL;
	r->inflight--;
	if (res->err != HTTP_ERR_NONE)
		atomic_fetch_add(&r->p->c.upstream_err[res->err & 7], 1);
	if (ex->up_status && !ex->hold) {       /* an answer is on its way */
		pthread_mutex_lock(&ex->lock);
		ex->body_end = res->err == HTTP_ERR_NONE ? 1 : -1;
		if (res->err != HTTP_ERR_NONE)
			ex->outcome = PROXY_OUT_ABORTED;
		pthread_mutex_unlock(&ex->lock);
		later(r, ex);
	} else {
		settle(ex, res, 0);
	}
	let_go(r, ex);
}

/* The grace of a stop ran out with ex at the upstream (its transfer
 * ended here, by http_abort_all) or waiting for it (r's queue): what has
 * no answer yet is settled as a timeout (captured, or 503), and an answer
 * under way is cut. */
static void cut_one(void *udata)
{
	struct proxy_ex *ex = udata;
	struct proxy_relay *r = ex->rl;
	struct http_res res;
	int queued = !ex->xf;

	memset(&res, 0, sizeof(res));
	res.udata = ex;
	res.err = HTTP_ERR_TIMEOUT;
	res.errmsg = queued ? "not sent: rd-proxy stopped before an upstream slot was free" :
		     "no answer before rd-proxy stopped (its grace ran out)";
	if (!queued) {
		ex->xf = NULL;
		r->inflight--;
	}
	if (ex->up_status && !ex->hold) {
		pthread_mutex_lock(&ex->lock);
		ex->body_end = -1;
		ex->outcome = PROXY_OUT_ABORTED;
		pthread_mutex_unlock(&ex->lock);
		later(r, ex);
	} else {
		settle(ex, &res, queued ? 2 : 1);
	}
	let_go(r, ex);
}

static void cut_all(struct proxy_relay *r)
{
	http_abort_all(r->h, cut_one);
	for (; r->whead < r->nwait; r->whead++)
		if (r->wait[r->whead])
			cut_one(r->wait[r->whead]);
	r->whead = r->nwait = 0;
}

/* ---- the thread ---- */

static void start_one(struct proxy_relay *r, struct proxy_ex *ex)
{
	struct rec_req rec;
	struct http_req q;
	struct rw *w = ex->captureable && r->p->o.idem_header ? &r->rw_keyed : &r->rw;
	struct http_res res;
	struct rd_err err;

	memset(&rec, 0, sizeof(rec));
	memcpy(rec.id, ex->id, sizeof(rec.id));
	rec.method.p = ex->method;
	rec.method.n = strlen(ex->method);
	rec.url.p = ex->url.data;
	rec.url.n = ex->url.len;
	rec.hdrs = ex->hdrs;
	rec.nhdrs = ex->nhdrs;
	rec.body.p = ex->body.data ? ex->body.data : "";
	rec.body.n = ex->body.len;
	rec.idem_key = ex->key;
	if (rw_build(w, &rec, &q, &err) == 1) {
		q.udata = ex;
		if (http_stream(r->h, &q, &stream_cb, &ex->xf, &err) == 0) {
			r->inflight++;
			return;
		}
	}
	memset(&res, 0, sizeof(res));
	res.udata = ex;
	res.err = HTTP_ERR_OTHER;
	res.errmsg = err.msg;
	r->inflight++;
	on_done(r, &res);
}

static void take_cmd(struct proxy_relay *r, struct proxy_ex *ex, unsigned cmd)
{
	if (cmd & CMD_CANCEL) {
		if (ex->xf) {
			http_xfer_cancel(r->h, ex->xf);
			ex->xf = NULL;
			r->inflight--;
			let_go(r, ex);
		} else {
			for (size_t i = r->whead; i < r->nwait; i++)
				if (r->wait[i] == ex) {
					r->wait[i] = NULL;
					let_go(r, ex);
				}
		}
		return;
	}
	if (cmd & CMD_SUBMIT) {
		if (r->nwait == r->wcap) {
			r->wcap = r->wcap ? r->wcap * 2 : 256;
			r->wait = xrealloc(r->wait, r->wcap * sizeof(*r->wait));
		}
		r->wait[r->nwait++] = ex;
	}
	if ((cmd & CMD_RESUME) && ex->xf) {
		pthread_mutex_lock(&ex->lock);
		ex->paused = ex->resume_asked = 0;
		pthread_mutex_unlock(&ex->lock);
		http_xfer_resume(r->h, ex->xf);
	}
}

/* Run the commands posted; 1 when told to quit. */
static int commands(struct proxy_relay *r)
{
	struct proxy_ex *ex, *next;
	int quit;

	pthread_mutex_lock(&r->lock);
	ex = r->cmd_first;
	r->cmd_first = r->cmd_last = NULL;
	quit = r->quit;
	pthread_mutex_unlock(&r->lock);
	if (ex)
		r->due = 1;
	for (; ex; ex = next) {
		unsigned cmd;

		pthread_mutex_lock(&r->lock);
		next = ex->cmd_next;
		cmd = ex->cmds;
		ex->cmds = 0;
		ex->in_cmdq = 0;
		pthread_mutex_unlock(&r->lock);
		take_cmd(r, ex, cmd);
		proxy_ex_put(ex);       /* the queue's */
	}
	return quit;
}

static void drop(void *udata)
{
	struct proxy_ex *ex = udata;

	let_go(ex->rl, ex);
}

/*
 * A round of the engine (curl_multi_perform) visits every transfer, and
 * checks the socket of each that waits for its answer: so it runs only
 * when it may have work, when a command or a start touched a transfer or
 * the wait says its sockets or timers want it, not when only the
 * daemon's clients woke the thread.  At least every RELAY_ROUND_NS all
 * the same, for the stream deadlines it sweeps.
 */
#define RELAY_ROUND_NS ((int64_t)50 * 1000000)

static void *relay_main(void *arg)
{
	struct proxy_relay *r = arg;
	int ms, busy, k;
	int64_t now;

	r->due = 1;
	while (!commands(r)) {
		/* Draining: its daemon accepts no more connections; once
		 * the grace is over, nothing waits for the upstream. */
		if (atomic_load(&r->p->draining) && !r->quiesced) {
			proxy_server_quiesce_one(r->p, r->idx);
			r->quiesced = 1;
		}
		if (atomic_load(&r->p->draining) > 1)
			cut_all(r);
		while (r->whead < r->nwait && r->inflight < r->limit) {
			struct proxy_ex *ex = r->wait[r->whead++];

			if (ex) {
				start_one(r, ex);
				r->due = 1;
			}
		}
		if (r->whead && r->whead >= r->nwait / 2) {
			memmove(r->wait, r->wait + r->whead,
				(r->nwait - r->whead) * sizeof(*r->wait));
			r->nwait -= r->whead;
			r->whead = 0;
		}
		/* Move data, wake the clients it was for, serve them, then
		 * wait for either side. */
		now = clk_mono_ns();
		if (r->due || now - r->ran_ns >= RELAY_ROUND_NS) {
			r->due = 0;
			r->ran_ns = now;
			if (http_run(r->h, 0, on_done, r) < 0)
				proxy_say(r->p, PROXY_ERROR, "the HTTP engine failed");
		}
		wake_all(r);
		ms = proxy_server_run(r->p, r->idx);
		pthread_mutex_lock(&r->lock);
		busy = r->cmd_first != NULL;
		pthread_mutex_unlock(&r->lock);
		if (busy)
			continue;
		if ((k = http_poll(r->h, proxy_server_fd(r->p, r->idx), ms)) < 0)
			proxy_say(r->p, PROXY_ERROR, "the HTTP engine failed");
		if (k != 0)
			r->due = 1;
	}
	return NULL;
}

static int relay_start(struct proxy *p, struct proxy_relay *r,
		       struct rd_err *err)
{
	struct http_opts ho = p->o.http;
	int ret;

	r->p = p;
	pthread_mutex_init(&r->lock, NULL);
	/* shares that add up to the limit exactly */
	r->limit = p->o.upstream_concurrency / p->nrl +
		   (r->idx < p->o.upstream_concurrency % p->nrl);
	ho.keep_response = ho.keep_head = 0;
	ho.max_conns = r->limit;
	if ((ret = http_new(&ho, &r->h, err)) < 0)
		return ret;
	r->rules_keyed.idem_header = p->o.idem_header;
	rw_init(&r->rw, &r->rules);
	rw_init(&r->rw_keyed, &r->rules_keyed);
	return 0;
}

/* The default: half the processors online, at least one.  The other
 * half is left to the upstream, which often shares the host, and to the
 * clients: on 2 cores shared with the load generator and the upstream,
 * two threads served fewer requests than one, with longer tails
 * (bench/README.md). */
static unsigned default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN) / 2;

	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/*
 * As many relay threads as server threads, at most the upstream
 * concurrency: libcurl drives its transfers from one thread per engine,
 * and under load that thread, not the server's, is the busiest.
 */
int proxy_relay_start(struct proxy *p, struct rd_err *err)
{
	unsigned n = p->o.threads ? p->o.threads : default_threads();
	int ret;

	if (n > p->o.upstream_concurrency)
		n = p->o.upstream_concurrency;
	/* each thread's daemon takes a share of the connections, at least 1 */
	if (n > p->o.max_connections)
		n = p->o.max_connections;
	p->rls = xcalloc(n, sizeof(*p->rls));
	for (p->nrl = 0; p->nrl < n; p->nrl++) {
		p->rls[p->nrl] = xcalloc(1, sizeof(**p->rls));
		p->rls[p->nrl]->idx = p->nrl;
	}
	for (unsigned i = 0; i < n; i++)
		if ((ret = relay_start(p, p->rls[i], err)) < 0)
			return ret;
	return 0;
}

int proxy_relay_run(struct proxy *p, struct rd_err *err)
{
	for (unsigned i = 0; i < p->nrl; i++) {
		struct proxy_relay *r = p->rls[i];

		if (pthread_create(&r->th, NULL, relay_main, r) != 0)
			return rd_err_set(err, RD_E_IO, "cannot start a thread");
		r->started = 1;
	}
	return 0;
}

void proxy_relay_wake(struct proxy_ex *ex)
{
	proxy_server_wake(ex);
	/* The resumed connection is served by the thread that drives its
	 * daemon, which may be waiting: tell it. */
	if (ex->rl)
		http_wakeup(ex->rl->h);
}

void proxy_relay_poke(struct proxy *p)
{
	for (unsigned i = 0; i < p->nrl; i++)
		http_wakeup(p->rls[i]->h);
}

void proxy_relay_halt(struct proxy *p)
{
	for (unsigned i = 0; i < p->nrl; i++) {
		struct proxy_relay *r = p->rls[i];

		if (!r->started)
			continue;
		pthread_mutex_lock(&r->lock);
		r->quit = 1;
		pthread_mutex_unlock(&r->lock);
		http_wakeup(r->h);
		pthread_join(r->th, NULL);
		r->started = 0;
	}
}

/* After the daemons stopped: what they posted meanwhile, and the
 * transfers nobody waits for any more. */
static void relay_stop(struct proxy_relay *r)
{
	if (r->h) {
		commands(r);
		wake_all(r);
		http_abort_all(r->h, drop);
		for (; r->whead < r->nwait; r->whead++)
			if (r->wait[r->whead])
				let_go(r, r->wait[r->whead]);
	}
	http_free(r->h);
	rw_release(&r->rw);
	rw_release(&r->rw_keyed);
	pthread_mutex_destroy(&r->lock);
	free(r->wait);
	free(r->wake);
	free(r);
}

void proxy_relay_stop(struct proxy *p)
{
	proxy_relay_halt(p);
	for (unsigned i = 0; i < p->nrl; i++)
		relay_stop(p->rls[i]);
	free(p->rls);
	p->rls = NULL;
	p->nrl = 0;
}
