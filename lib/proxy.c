/*
 * proxy.c - the proxy's life (see proxy.h): options, start and stop in
 * order, the exchanges' references and the global buffer budget, local
 * answers, and the housekeeper thread (timeouts of connections, the
 * breaker file).
 *
 * Start order is writer, relay engines, server daemons, relay threads
 * (which drive the daemons), housekeeper, so that nothing reaches a part
 * that is not running.  Stop order: housekeeper, relay threads, daemons
 * (their connections end, and the relays are told), relay engines, then
 * the writer, which stops last and still makes durable what was handed
 * to it (a record handed over is stored even if its client is gone; no
 * client is told "captured" about one that is not).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "breaker.h"
#include "brkfile.h"
#include "clk.h"
#include "json.h"
#include "proxy.h"
#include "proxy_head.h"
#include "proxy_int.h"
#include "redact.h"
#include "xalloc.h"
#include "banned.h"

#define HK_TICK_MS 100
#define BREAKER_EVERY_NS ((int64_t)500 * 1000000)
#define UPSTREAM_EVERY_NS ((int64_t)1000 * 1000000)
#define UPSTREAM_REMIND_NS ((int64_t)60 * 1000000000)

void proxy_opts_init(struct proxy_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->fsync = SPOOL_FSYNC_BATCH;
	http_opts_init(&o->http);
	o->http.connect_timeout_ms = 5000;
	o->http.max_conns = 256;
	http_okset_parse("502,503,504", &o->capture_status, NULL);
	o->idem_header = "Idempotency-Key";
	o->max_record = 16ULL << 20;
	o->max_buffer = 256ULL << 20;
	o->max_connections = 4096;
	o->connection_memory = 32 << 10;
	o->header_timeout_ms = 10000;
	o->body_timeout_ms = 30000;
	o->idle_timeout_ms = 60000;
	o->capture_queue = 4096;
	o->upstream_concurrency = 256;
	o->threads = 0;         /* half the processors (proxy_relay.c) */
	o->retry_after_s = 5;
}

void proxy_say(struct proxy *p, enum proxy_notice_level lvl,
	       const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (!p->o.notice)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	p->o.notice(p->o.notice_ctx, lvl, text);
}

struct proxy_ex *proxy_ex_new(struct proxy *p, const char *target)
{
	struct proxy_ex *ex = xcalloc(1, sizeof(*ex));

	atomic_init(&ex->refs, 1);
	ex->p = p;
	pthread_mutex_init(&ex->lock, NULL);
	ex->t0_ns = clk_mono_ns();
	ex->target = xstrdup(target);
	ex->up_content_length = -1;
	buf_init(&ex->url);
	buf_init(&ex->arena);
	buf_init(&ex->body);
	buf_init(&ex->up_head);
	buf_init(&ex->pipe);
	buf_init(&ex->ans_body);
	atomic_fetch_add(&p->exchanges, 1);
	pthread_mutex_lock(&p->ex_lock);
	if ((ex->all_next = p->ex_first))
		ex->all_next->all_prev = ex;
	p->ex_first = ex;
	pthread_mutex_unlock(&p->ex_lock);
	return ex;
}

void proxy_ex_each(struct proxy *p, void (*fn)(struct proxy_ex *ex))
{
	pthread_mutex_lock(&p->ex_lock);
	for (struct proxy_ex *ex = p->ex_first; ex; ex = ex->all_next)
		fn(ex);
	pthread_mutex_unlock(&p->ex_lock);
}

void proxy_ex_get(struct proxy_ex *ex)
{
	atomic_fetch_add(&ex->refs, 1);
}

void proxy_ex_put(struct proxy_ex *ex)
{
	struct proxy *p;

	if (!ex || atomic_fetch_sub(&ex->refs, 1) != 1)
		return;
	p = ex->p;
	pthread_mutex_lock(&p->ex_lock);
	*(ex->all_prev ? &ex->all_prev->all_next : &p->ex_first) = ex->all_next;
	if (ex->all_next)
		ex->all_next->all_prev = ex->all_prev;
	pthread_mutex_unlock(&p->ex_lock);
	atomic_fetch_sub(&p->buffered, ex->reserved);
	pthread_mutex_destroy(&ex->lock);
	free(ex->target);
	free(ex->hdrs);
	buf_release(&ex->url);
	buf_release(&ex->arena);
	buf_release(&ex->body);
	buf_release(&ex->up_head);
	buf_release(&ex->pipe);
	buf_release(&ex->ans_body);
	free(ex);
	atomic_fetch_sub(&p->exchanges, 1);
}

int proxy_reserve(struct proxy_ex *ex, uint64_t n)
{
	struct proxy *p = ex->p;
	uint64_t was = atomic_fetch_add(&p->buffered, n);

	if (was + n > p->o.max_buffer) {
		atomic_fetch_sub(&p->buffered, n);
		return RD_E_FULL;
	}
	ex->reserved += n;
	return 0;
}

void proxy_answer(struct proxy_ex *ex, int status, enum proxy_outcome out,
		  const char *text)
{
	struct buf *b = &ex->ans_body;

	buf_reset(b);
	ex->ans_status = status;
	ex->outcome = out;
	ex->ans_retry_after = status == 503;
	if (out == PROXY_OUT_CAPTURED) {
		ex->ans_ids = 1;
		buf_adds(b, "{\"status\":\"captured\",\"id\":\"");
		buf_adds(b, ex->id);
		buf_adds(b, "\",\"idempotency_key\":");
		json_add_str(b, ex->key.p, ex->key.n);
		buf_adds(b, ",\"reason\":");
		json_add_str(b, ex->fail.type, strlen(ex->fail.type));
	} else {
		buf_adds(b, "{\"error\":");
		json_add_str(b, text, strlen(text));
	}
	buf_adds(b, "}\n");
	ex->st = PROXY_ST_ANSWER;
}

int proxy_ex_name(struct proxy_ex *ex)
{
	struct proxy *p = ex->p;
	const char *h = p->o.idem_header ? p->o.idem_header : "Idempotency-Key";
	size_t k = 0;
	int found = 0;

	pthread_mutex_lock(&p->ids_lock);
	rec_id_next(&p->ids, rec_now_ms(), ex->id);
	pthread_mutex_unlock(&p->ids_lock);
	ex->key.p = ex->id;
	ex->key.n = REC_ID_LEN;
	/* The client's own key is kept: the upstream may have seen it.  So
	 * it is with --no-idempotency-key, which only adds none.  Sent
	 * twice, the same key is one; two different ones are refused. */
	for (size_t i = 0; i < ex->nhdrs; i++) {
		const struct hdr *f = &ex->hdrs[i];

		if (!f->value_len || !hdr_is(f, h))
			continue;
		if (found && (f->value_len != ex->key.n ||
			      memcmp(f->value, ex->key.p, f->value_len) != 0)) {
			snprintf(ex->refuse_text, sizeof(ex->refuse_text),
				 "%.100s repeated with different values", h);
			ex->refuse_why = ex->refuse_text;
			return 400;
		}
		ex->key.p = f->value;
		ex->key.n = f->value_len;
		found = 1;
	}
	if (!p->o.idem_header)
		return 0;
	/* The record holds the request as forwarded: the key's header once,
	 * last, as rw_build sends it (hdrs has room for one more).  So a
	 * replay sends it as captured, under the same name, whatever
	 * rd-replay's own --idempotency-header. */
	for (size_t i = 0; i < ex->nhdrs; i++)
		if (!hdr_is(&ex->hdrs[i], h))
			ex->hdrs[k++] = ex->hdrs[i];
	ex->hdrs[k].name = h;
	ex->hdrs[k].name_len = strlen(h);
	ex->hdrs[k].value = ex->key.p;
	ex->hdrs[k].value_len = ex->key.n;
	ex->nhdrs = k + 1;
	return 0;
}

/* A state of the breaker, as the service's log tells it. */
static void breaker_say(struct proxy *p, int state)
{
	proxy_say(p, PROXY_WARN, "breaker %s: %s", breaker_state_name(state),
		  state == BREAKER_OPEN ? "capturing without forwarding" :
		  state == BREAKER_HALF_OPEN ? "forwarding, a probe decides" :
		  "forwarding");
}

/* The breaker file as rd-health wrote it: closed, open or half-open.
 * Read again only when it changed (rd-health replaces it whole, so a new
 * inode or time). */
static void breaker_poll(struct proxy *p)
{
	struct breaker b;
	struct rd_err err;
	struct stat st;
	char sig[64];
	int k, state;

	if (stat(p->o.breaker, &st) < 0) {
		snprintf(sig, sizeof(sig), "missing");
	} else {
		snprintf(sig, sizeof(sig), "%llu:%lld:%lld.%09ld",
			 (unsigned long long)st.st_ino, (long long)st.st_size,
			 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	}
	if (strcmp(sig, p->brk_sig) == 0)
		return;
	snprintf(p->brk_sig, sizeof(p->brk_sig), "%s", sig);
	breaker_init(&b, 1, 1, 0);
	k = brkfile_load(p->o.breaker, &b, &err);
	if (k < 0) {
		/* Forwarding is the safe side: failures are still captured. */
		if (!p->brk_warned)
			proxy_say(p, PROXY_WARN, "breaker file: %s; forwarding", err.msg);
		p->brk_warned = 1;
		state = BREAKER_CLOSED;
	} else {
		p->brk_warned = 0;
		state = k == 0 ? (int)b.state : BREAKER_CLOSED;
	}
	breaker_release(&b);
	atomic_store(&p->breaker_open, state == BREAKER_OPEN);
	/* A change of state is news for whoever watches the service's log:
	 * shown unless -q, once the line saying where rd-proxy listens is
	 * out (proxy_breaker_say) */
	pthread_mutex_lock(&p->hk_lock);
	if (state != p->brk_state && p->brk_saying)
		breaker_say(p, state);
	p->brk_state = state;
	pthread_mutex_unlock(&p->hk_lock);
}

void proxy_breaker_say(struct proxy *p)
{
	pthread_mutex_lock(&p->hk_lock);
	if (p->o.breaker && p->brk_state != BREAKER_CLOSED)
		breaker_say(p, p->brk_state);
	p->brk_saying = 1;
	pthread_mutex_unlock(&p->hk_lock);
}

void proxy_upstream_failed(struct proxy *p, const char *what)
{
	atomic_fetch_add(&p->c.up_failed, 1);
	pthread_mutex_lock(&p->fail_lock);
	snprintf(p->up_fail, sizeof(p->up_fail), "%s", what);
	pthread_mutex_unlock(&p->fail_lock);
}

/* Each second: the upstream's state, for whoever watches the service's
 * log.  Failing when a second's attempts all failed, answering again
 * when a second's all got answers; while failing, a count each minute.
 * Told unless -q, once the line saying where rd-proxy listens is out. */
static void upstream_poll(struct proxy *p, int64_t now)
{
	uint64_t ok = atomic_load(&p->c.up_ok), bad = atomic_load(&p->c.up_failed);
	uint64_t dok = ok - p->up_seen_ok, dbad = bad - p->up_seen_failed;
	char why[sizeof(p->up_fail)];
	int saying;

	p->up_seen_ok = ok;
	p->up_seen_failed = bad;
	pthread_mutex_lock(&p->hk_lock);
	saying = p->brk_saying;
	pthread_mutex_unlock(&p->hk_lock);
	pthread_mutex_lock(&p->fail_lock);
	memcpy(why, p->up_fail, sizeof(why));
	pthread_mutex_unlock(&p->fail_lock);
	if (!saying)
		return;
	if (!p->up_failing && dbad && !dok) {
		p->up_failing = 1;
		p->up_since_ns = p->up_said_ns = now;
		p->up_unsaid = 0;
		proxy_say(p, PROXY_WARN, "upstream failing: %llu request%s in the last second, none answered (%s)",
			  (unsigned long long)dbad, dbad == 1 ? "" : "s", why);
	} else if (p->up_failing && dok && !dbad) {
		p->up_failing = 0;
		proxy_say(p, PROXY_WARN, "upstream answering again, after %lld s failing",
			  (long long)((now - p->up_since_ns) / 1000000000));
	} else if (p->up_failing) {
		p->up_unsaid += dbad;
		if (p->up_unsaid && now - p->up_said_ns >= UPSTREAM_REMIND_NS) {
			proxy_say(p, PROXY_WARN, "upstream still failing: %llu requests in the last minute (%s)",
				  (unsigned long long)p->up_unsaid, why);
			p->up_said_ns = now;
			p->up_unsaid = 0;
		}
	}
}

static void *housekeeper(void *arg)
{
	struct proxy *p = arg;
	int64_t brk_next = 0, up_next = clk_mono_ns() + UPSTREAM_EVERY_NS;

	pthread_mutex_lock(&p->hk_lock);
	while (!p->hk_quit) {
		struct timespec ts;

		pthread_mutex_unlock(&p->hk_lock);
		proxy_server_sweep(p);
		if (p->o.breaker && clk_mono_ns() >= brk_next) {
			breaker_poll(p);
			brk_next = clk_mono_ns() + BREAKER_EVERY_NS;
		}
		if (clk_mono_ns() >= up_next) {
			upstream_poll(p, clk_mono_ns());
			up_next = clk_mono_ns() + UPSTREAM_EVERY_NS;
		}
		pthread_mutex_lock(&p->hk_lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += HK_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!p->hk_quit)
			pthread_cond_timedwait(&p->hk_cond, &p->hk_lock, &ts);
	}
	pthread_mutex_unlock(&p->hk_lock);
	return NULL;
}

const char *proxy_idem_header_why(const char *name)
{
	size_t n = strlen(name);

	if (!rec_hdr_name_valid(name, n))
		return "is not a header name";
	if (proxy_hop_name(name, n))
		return "is a hop-by-hop or framing field, never forwarded as sent";
	if (strcasecmp(name, "host") == 0)
		return "is set by rd-proxy: the upstream's";
	if (strcasecmp(name, "expect") == 0)
		return "is answered by rd-proxy, never forwarded";
	if (strcasecmp(name, "redrive-id") == 0)
		return "is the header of the record's id in a capture's answer";
	return NULL;
}

static int check_opts(struct proxy *p, struct rd_err *err)
{
	const struct proxy_opts *o = &p->o;
	const char *why;
	size_t n;

	if (!o->listen || !o->upstream || !o->sp)
		return rd_err_set(err, RD_E_INVAL, "a listen address, an upstream and a spool are needed");
	if (o->idem_header && (why = proxy_idem_header_why(o->idem_header)))
		return rd_err_set(err, RD_E_INVAL, "idempotency header '%s' %s",
				  o->idem_header, why);
	if (!rec_url_valid(o->upstream, strlen(o->upstream)) ||
	    strchr(o->upstream, '?') || strchr(o->upstream, '#'))
	{
		char shown[512];

		return rd_err_set(err, RD_E_INVAL,
				  "upstream '%s' is not an http or https URL without query",
				  redact_url_to(o->upstream, shown, sizeof(shown)));
	}
	n = strlen(o->upstream);
	while (n && o->upstream[n - 1] == '/')
		n--;
	if (n >= sizeof(p->base))
		return rd_err_set(err, RD_E_INVAL, "upstream URL is too long");
	memcpy(p->base, o->upstream, n);
	p->base[n] = '\0';
	return 0;
}

int proxy_new(const struct proxy_opts *o, struct proxy **out,
	      struct rd_err *err)
{
	static const char *const unsafe[] = { "POST", "PUT", "PATCH", "DELETE" };
	struct proxy *p = xcalloc(1, sizeof(*p));
	int ret;

	p->o = *o;
	if (!p->o.capture_methods) {
		p->o.capture_methods = unsafe;
		p->o.ncapture_methods = 4;
	}
	pthread_mutex_init(&p->ids_lock, NULL);
	pthread_mutex_init(&p->ex_lock, NULL);
	pthread_mutex_init(&p->hk_lock, NULL);
	pthread_mutex_init(&p->fail_lock, NULL);
	pthread_cond_init(&p->hk_cond, NULL);
	*out = p;
	if ((ret = check_opts(p, err)) < 0 ||
	    (ret = rec_idgen_init(&p->ids, err)) < 0 ||
	    (ret = proxy_log_open(p, err)) < 0 ||
	    (ret = proxy_writer_start(p, err)) < 0 ||
	    (ret = proxy_relay_start(p, err)) < 0)
		return ret;
	if (p->o.breaker)
		breaker_poll(p);
	if ((ret = proxy_server_start(p, err)) < 0 ||
	    (ret = proxy_relay_run(p, err)) < 0)
		return ret;
	if (pthread_create(&p->hk, NULL, housekeeper, p) != 0)
		return rd_err_set(err, RD_E_IO, "cannot start a thread");
	p->hk_started = 1;
	return 0;
}

void proxy_bound(const struct proxy *p, char *listen, size_t n,
		 char *metrics, size_t m)
{
	snprintf(listen, n, "%s", p->bound);
	snprintf(metrics, m, "%s", p->mbound);
}

int proxy_reopen_log(struct proxy *p, struct rd_err *err)
{
	return proxy_log_reopen(p, err);
}

/* Exchanges past their request: at the upstream or the writer, or
 * being answered. */
static unsigned answering(struct proxy *p)
{
	unsigned n = 0;

	pthread_mutex_lock(&p->ex_lock);
	for (struct proxy_ex *ex = p->ex_first; ex; ex = ex->all_next) {
		pthread_mutex_lock(&ex->lock);
		n += ex->st != PROXY_ST_RECV;
		pthread_mutex_unlock(&ex->lock);
	}
	pthread_mutex_unlock(&p->ex_lock);
	return n;
}

/* Wait until cond(p) is 0 or the deadline passes; its last value. */
static unsigned wait_until(struct proxy *p, int64_t until,
			   unsigned (*cond)(struct proxy *p))
{
	unsigned left;

	while ((left = cond(p)) > 0 && clk_mono_ns() < until) {
		struct timespec ts = { 0, 20 * 1000000L };

		nanosleep(&ts, NULL);
	}
	return left;
}

static unsigned alive(struct proxy *p)
{
	int n = atomic_load(&p->exchanges);

	return n > 0 ? (unsigned)n : 0;
}

unsigned proxy_drain(struct proxy *p, uint64_t grace_ms)
{
	int64_t until = clk_mono_ns() + (int64_t)grace_ms * 1000000;
	unsigned left;

	atomic_store(&p->draining, 1);
	proxy_relay_poke(p);    /* each quiesces the daemon it drives */
	proxy_writer_poke(p);   /* it syncs what waits for an interval */
	if ((left = wait_until(p, until, alive)) == 0)
		return 0;
	/* The grace is over: what still waits for the upstream is captured
	 * or answered 503 (proxy_relay.c), and those answers go out. */
	atomic_store(&p->draining, 2);
	proxy_relay_poke(p);
	wait_until(p, clk_mono_ns() + (int64_t)PROXY_CUT_MS * 1000000, answering);
	return left;
}

void proxy_free(struct proxy *p)
{
	if (!p)
		return;
	if (p->hk_started) {
		pthread_mutex_lock(&p->hk_lock);
		p->hk_quit = 1;
		pthread_cond_broadcast(&p->hk_cond);
		pthread_mutex_unlock(&p->hk_lock);
		pthread_join(p->hk, NULL);
	}
	proxy_relay_halt(p);    /* nothing drives the daemons any more */
	/* What is queued is stored and its client woken, while the relays
	 * (which a wake touches) still exist. */
	proxy_writer_stop(p);
	proxy_server_stop(p);   /* their connections end: relays are told */
	proxy_relay_stop(p);
	proxy_server_free(p);
	proxy_writer_free(p);
	proxy_log_close(p);
	pthread_mutex_destroy(&p->ids_lock);
	pthread_mutex_destroy(&p->ex_lock);
	pthread_mutex_destroy(&p->hk_lock);
	pthread_mutex_destroy(&p->fail_lock);
	pthread_cond_destroy(&p->hk_cond);
	free(p);
}
