/*
 * proxy_request.c - one request on rd-proxy's client side: its head judged
 * (proxy_head.c's guard, and the line endings only libmicrohttpd's buffer
 * shows), its fields and body taken into an exchange within the limits,
 * the hand-over to the relay or the writer while the connection is
 * suspended, and the answer queued when it is woken: a local one, the
 * upstream's held error, or the upstream's answer streamed from the pipe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "proxy_head.h"
#include "proxy_server.h"
#include "xalloc.h"
#include "banned.h"

/* Suspend the connection unless ex left `while_st` meanwhile.  Returns 1
 * when suspended. */
static int suspend_if(struct proxy_ex *ex, enum proxy_st while_st)
{
	int done = 0;

	pthread_mutex_lock(&ex->lock);
	if (ex->st == while_st) {
		ex->suspended = 1;
		MHD_suspend_connection(ex->conn);
		done = 1;
	}
	pthread_mutex_unlock(&ex->lock);
	return done;
}

/* ---- answers ---- */

static int add_hdr(void *ctx, const char *name, size_t nn, const char *v,
		   size_t vn)
{
	char n[REC_MAX_HDR_NAME + 1], *val = xmemdup(v, vn);

	snprintf(n, sizeof(n), "%.*s", (int)nn, name);
	/* Refused only for what no header may hold; such a one is left out. */
	MHD_add_response_header(ctx, n, val);
	free(val);
	return 0;
}

static void add_ids(struct proxy_ex *ex, struct MHD_Response *r)
{
	char key[260];

	if (!ex->ans_ids)
		return;
	MHD_add_response_header(r, "Redrive-Id", ex->id);
	if (ex->p->o.idem_header) {
		snprintf(key, sizeof(key), "%.*s", (int)ex->key.n, ex->key.p);
		MHD_add_response_header(r, ex->p->o.idem_header, key);
	}
}

static enum MHD_Result queue(struct proxy_ex *ex, struct MHD_Connection *conn,
			     int status, struct MHD_Response *r)
{
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);

	MHD_destroy_response(r);
	ex->st = PROXY_ST_SENT;
	return ret;
}

static enum MHD_Result respond_local(struct proxy_ex *ex,
				     struct MHD_Connection *conn)
{
	struct MHD_Response *r;
	char ra[32];

	if (ex->ans_status == 0) {       /* the upstream's error, held */
		int64_t n;

		r = MHD_create_response_from_buffer(ex->pipe.len, ex->pipe.data,
						    MHD_RESPMEM_MUST_COPY);
		ex->bytes_out += ex->pipe.len;
		proxy_head_each(ex->up_head.data, ex->up_head.len, add_hdr, r, &n);
		add_ids(ex, r);
		return queue(ex, conn, ex->up_status, r);
	}
	r = MHD_create_response_from_buffer(ex->ans_body.len, ex->ans_body.data,
					    MHD_RESPMEM_MUST_COPY);
	ex->bytes_out += ex->ans_body.len;
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (ex->ans_retry_after) {
		snprintf(ra, sizeof(ra), "%llu", (unsigned long long)ex->p->o.retry_after_s);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	add_ids(ex, r);
	return queue(ex, conn, ex->ans_status, r);
}

/* The upstream's body, out of the pipe; suspends when it is empty. */
static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct proxy_ex *ex = cls;
	size_t have, n;
	int resume = 0;

	(void)pos;
	pthread_mutex_lock(&ex->lock);
	have = ex->pipe.len - ex->pipe_off;
	if (have) {
		n = have < max ? have : max;
		memcpy(out, ex->pipe.data + ex->pipe_off, n);
		ex->pipe_off += n;
		if (ex->pipe_off == ex->pipe.len)
			ex->pipe.len = ex->pipe_off = 0;
		/* Resume the upstream once a whole libcurl piece fits again. */
		if (ex->paused && !ex->resume_asked &&
		    ex->pipe.len - ex->pipe_off <= PROXY_PIPE_BYTES / 2)
			resume = ex->resume_asked = 1;
		ex->bytes_out += n;
		pthread_mutex_unlock(&ex->lock);
		if (resume)
			proxy_relay_resume(ex);
		return (ssize_t)n;
	}
	if (ex->body_end) {
		n = ex->body_end;
		pthread_mutex_unlock(&ex->lock);
		return n == 1 ? MHD_CONTENT_READER_END_OF_STREAM :
		       MHD_CONTENT_READER_END_WITH_ERROR;
	}
	ex->suspended = 1;
	MHD_suspend_connection(ex->conn);
	pthread_mutex_unlock(&ex->lock);
	return 0;
}

static void reader_done(void *cls)
{
	proxy_ex_put(cls);
}

/*
 * The whole answer is in the pipe (the transfer ended well, with as many
 * bytes as its Content-Length said): it becomes the response's buffer,
 * so libmicrohttpd sends head and body in one write and nothing waits for
 * a reader.  Not for HEAD (its head's length is not the body's), 204 and
 * 304 (no body), nor an answer framed by chunks or by the end of the
 * connection (its length is only known here).  Returns NULL otherwise.
 * Under ex->lock.
 */
static struct MHD_Response *whole_answer(struct proxy_ex *ex)
{
	struct MHD_Response *r;
	size_t len;
	char *d;

	if (ex->body_end != 1 || ex->pipe_off || ex->up_content_length < 0 ||
	    (uint64_t)ex->up_content_length != ex->pipe.len ||
	    ex->up_status == 204 || ex->up_status == 304 ||
	    strcmp(ex->method, "HEAD") == 0)
		return NULL;
	d = buf_detach(&ex->pipe, &len);
	r = MHD_create_response_from_buffer_with_free_callback_cls(len, d, free, d);
	if (!r) {
		free(d);
		return NULL;
	}
	ex->bytes_out += len;
	return r;
}

static enum MHD_Result respond_stream(struct proxy_ex *ex,
				      struct MHD_Connection *conn)
{
	uint64_t size = ex->up_content_length >= 0 ?
			(uint64_t)ex->up_content_length : MHD_SIZE_UNKNOWN;
	struct MHD_Response *r;
	int64_t n;

	if (ex->up_status == 204)
		size = 0;               /* libmicrohttpd sends no length */
	pthread_mutex_lock(&ex->lock);
	r = whole_answer(ex);
	pthread_mutex_unlock(&ex->lock);
	if (!r) {
		r = MHD_create_response_from_callback(size, 32 << 10, reader, ex,
						      reader_done);
		proxy_ex_get(ex);
	}
	/* A 304 has no body, but libmicrohttpd 0.9.75 gives it the length
	 * of the response (the upstream's Content-Length, relayed as it
	 * was) or chunked framing; with neither, it would say
	 * "Content-Length: 0", which is not the representation's.  Without
	 * one, the connection then closes after it instead. */
	if (ex->up_status == 304 && size == MHD_SIZE_UNKNOWN)
		MHD_set_response_options(r, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT,
					 MHD_RO_END);
	proxy_head_each(ex->up_head.data, ex->up_head.len, add_hdr, r, &n);
	if (ex->outcome == PROXY_OUT_NONE)
		ex->outcome = PROXY_OUT_FORWARDED;
	return queue(ex, conn, ex->up_status, r);
}

/* ---- requests ---- */

struct collect {
	struct hdr *h;
	size_t n, cap;
};

static enum MHD_Result collect_hdr(void *cls, enum MHD_ValueKind kind,
				   const char *key, size_t key_size,
				   const char *value, size_t value_size)
{
	struct collect *c = cls;

	(void)kind;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->h = xrealloc(c->h, c->cap * sizeof(*c->h));
	}
	c->h[c->n].name = key;
	c->h[c->n].name_len = key_size;
	c->h[c->n].value = value ? value : "";
	c->h[c->n].value_len = value ? value_size : 0;
	c->n++;
	return MHD_YES;
}

/*
 * libmicrohttpd 0.9.75 ends a line at a bare LF as at CR LF, with no
 * option to refuse it, and gives no access to the bytes.  It keeps each
 * field in its read buffer, in place, with the line end overwritten by
 * NULs: one for LF, two for CR LF.  So two fields that follow each other
 * there are one byte apart at a bare LF, two at CR LF.  The head ends
 * head_len bytes after the method (where the request line starts), so
 * the last field (or the version, when there is none) ends four bytes
 * before it, two line ends of CR LF, or fewer with a bare LF.  A folded
 * line (obsolete line folding) is the one thing that moves a field: it
 * joins the line to the one before elsewhere, and mangles it (X-A: a
 * folded onto " b" became "X-Ab: a").  Long heads sent in pieces stay in
 * place (rd-proxy.bats: 16 KB in 2000-byte pieces).
 * LAYOUT_OK, LAYOUT_BARE_LF or LAYOUT_MOVED.
 */
enum { LAYOUT_OK, LAYOUT_BARE_LF, LAYOUT_MOVED };

static int layout(const char *method, size_t head_len, const char *version,
		  const struct collect *c)
{
	uintptr_t end = (uintptr_t)version + strlen(version);
	uintptr_t head_end = (uintptr_t)method + head_len;

	for (size_t i = 0; i < c->n; i++) {
		uintptr_t next = (uintptr_t)c->h[i].name;

		if (next == end + 1)
			return LAYOUT_BARE_LF;
		if (next != end + 2)
			return LAYOUT_MOVED;
		end = (uintptr_t)c->h[i].value + c->h[i].value_len;
	}
	if (!head_len || head_end == end + 4)
		return LAYOUT_OK;
	return head_end >= end + 2 && head_end < end + 4 ? LAYOUT_BARE_LF :
	       LAYOUT_MOVED;
}

/* The fields kept for forwarding and capture, copied out of the server's
 * buffer into the arena: not the hop-by-hop ones (those Connection names
 * too), nor Host (the upstream's is sent), nor Expect (answered here);
 * with room for one more, the idempotency key's (proxy_ex_name). */
static void keep_headers(struct proxy_ex *ex, const struct collect *c)
{
	size_t k = 0;

	ex->hdrs = xcalloc(c->n + 1, sizeof(*ex->hdrs));
	for (size_t i = 0; i < c->n; i++)
		if (!hdr_is(&c->h[i], "host") && !hdr_is(&c->h[i], "expect"))
			ex->hdrs[k++] = c->h[i];
	k = proxy_hop_drop(ex->hdrs, k);
	hdr_own(ex->hdrs, k, &ex->arena);
	ex->nhdrs = k;
}

/* Why the guard refused, with the field it refused: its place and name
 * (never its value). */
static void refused_field(struct proxy_ex *ex, const struct collect *c,
			  const struct proxy_guard *g)
{
	const struct hdr *f;

	ex->refuse_why = g->why;
	if (!g->why || g->field < 0)
		return;
	f = &c->h[g->field];
	snprintf(ex->refuse_text, sizeof(ex->refuse_text), "%s: header field %ld, '%.*s'",
		 g->why, g->field + 1, (int)(f->name_len > 64 ? 64 : f->name_len), f->name);
	ex->refuse_why = ex->refuse_text;
}

/* The head is read: judge it and take what is kept.  0 to read the body,
 * or the status of a refusal (ex->refuse_why says why). */
static int begin(struct proxy_ex *ex, struct MHD_Connection *conn,
		 const char *method, const char *version)
{
	struct proxy *p = ex->p;
	const union MHD_ConnectionInfo *ci;
	struct collect c = { NULL, 0, 0 };
	struct proxy_guard g;
	struct rd_err err;
	int st, k;

	if ((ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS)))
		addr_text(ci->client_addr, ex->client, sizeof(ex->client));
	snprintf(ex->method, sizeof(ex->method), "%s", method);
	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, collect_hdr, &c);
	st = proxy_guard(c.h, c.n, strcmp(version, "HTTP/1.0") == 0, &g);
	refused_field(ex, &c, &g);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (st == 0 && p->srv->lf_check &&
	    (k = layout(method, ci ? ci->header_size : 0, version, &c)) != LAYOUT_OK) {
		st = 400;
		ex->refuse_why = k == LAYOUT_BARE_LF ? "a line ends in a bare LF" :
				 "a header line is folded (obsolete line folding)";
	}
	if (st == 0 && strlen(method) >= sizeof(ex->method)) {
		st = 400;
		ex->refuse_why = "method too long";
	}
	if (st == 0 && proxy_target_url(p->base, ex->target, &ex->url, &err) < 0) {
		st = 400;
		snprintf(ex->refuse_text, sizeof(ex->refuse_text), "%.150s", err.msg);
		ex->refuse_why = ex->refuse_text;
	}
	if (st == 0) {
		keep_headers(ex, &c);
		ex->captureable = proxy_method_in(ex->method, p->o.capture_methods,
						  p->o.ncapture_methods);
		/* What a record cannot hold (a header value that is not
		 * UTF-8, a key too long) is forwarded all the same: only a
		 * capture needs a record (proxy_capture judges it then). */
		if (ex->captureable)
			st = proxy_ex_name(ex);
	}
	free(c.h);
	if (st)
		return st;
	if (g.content_length > 0 && (uint64_t)g.content_length > p->o.max_record) {
		ex->refuse_why = "request body over the record size limit";
		return 413;
	}
	if (g.content_length > 0 && proxy_reserve(ex, (uint64_t)g.content_length) < 0) {
		ex->refuse_why = "buffer limit reached";
		return 503;
	}
	return 0;
}

/* A piece of body: kept, or counted and dropped once over a limit (the
 * answer can only be queued when the body has been read). */
static void body_piece(struct proxy_ex *ex, const char *d, size_t n)
{
	struct proxy *p = ex->p;

	ex->p->c.bytes_in += n;
	if (ex->refuse)
		return;
	if (ex->body.len + n > p->o.max_record) {
		ex->refuse = 413;
		ex->refuse_why = "request body over the record size limit";
		buf_release(&ex->body);
		return;
	}
	if (ex->body.len + n > ex->reserved && proxy_reserve(ex, n) < 0) {
		ex->refuse = 503;
		ex->refuse_why = "buffer limit reached";
		buf_release(&ex->body);
		return;
	}
	buf_add(&ex->body, d, n);
}

static enum proxy_outcome refusal_outcome(int status)
{
	return status == 503 ? PROXY_OUT_SHED : PROXY_OUT_REFUSED;
}

/* The body is in: shed, capture at once (breaker open) or forward, by
 * the relay thread that drives this connection's daemon. */
static void dispatch(struct proxy_ex *ex, unsigned part)
{
	struct proxy *p = ex->p;

	ex->st = PROXY_ST_WAIT;
	ex->rl = p->rls[part];          /* drives this connection's daemon */
	if (!atomic_load(&p->breaker_open)) {
		proxy_relay_submit(ex);
		return;
	}
	if (!ex->captureable) {
		proxy_answer(ex, 503, PROXY_OUT_SHED, "the upstream's breaker is open");
		return;
	}
	snprintf(ex->fail.type, sizeof(ex->fail.type), "breaker");
	snprintf(ex->fail.msg, sizeof(ex->fail.msg),
		 "not forwarded: the breaker file says open");
	proxy_capture(ex);              /* else answered 503 */
}

enum MHD_Result proxy_server_on_request(void *cls, struct MHD_Connection *conn,
					const char *url, const char *method,
					const char *version, const char *data,
					size_t *data_size, void **con_cls)
{
	struct proxy_ex *ex = *con_cls;
	struct part *pt = cls;
	struct proxy *p = pt->p;
	int st;

	(void)url;
	if (!ex)
		return MHD_NO;
	if (ex->st == PROXY_ST_RECV && !ex->conn) {
		ex->conn = conn;
		proxy_server_phase(p, conn, PH_BODY);
		if ((st = begin(ex, conn, method, version)) != 0) {
			proxy_answer(ex, st, refusal_outcome(st), ex->refuse_why);
			return respond_local(ex, conn);
		}
		return MHD_YES;
	}
	if (*data_size) {
		body_piece(ex, data, *data_size);
		*data_size = 0;
		return MHD_YES;
	}
	if (ex->st == PROXY_ST_RECV) {
		proxy_server_phase(p, conn, PH_NONE);
		if (ex->refuse)
			proxy_answer(ex, ex->refuse, refusal_outcome(ex->refuse),
				     ex->refuse_why);
		else
			dispatch(ex, pt->i);
	}
	if (ex->st == PROXY_ST_WAIT && suspend_if(ex, PROXY_ST_WAIT))
		return MHD_YES;
	if (ex->st == PROXY_ST_STREAM)
		return respond_stream(ex, conn);
	if (ex->st == PROXY_ST_ANSWER)
		return respond_local(ex, conn);
	return MHD_NO;
}

void *proxy_server_on_uri(void *cls, const char *uri,
			  struct MHD_Connection *conn)
{
	(void)conn;
	return proxy_ex_new(((struct part *)cls)->p, uri);
}

void proxy_server_on_completed(void *cls, struct MHD_Connection *conn,
			       void **con_cls,
			       enum MHD_RequestTerminationCode toe)
{
	struct proxy *p = ((struct part *)cls)->p;
	struct proxy_ex *ex = *con_cls;
	const union MHD_ConnectionInfo *ci;
	int status = 0;

	if (!ex)
		return;
	*con_cls = NULL;
	pthread_mutex_lock(&ex->lock);
	ex->conn = NULL;
	ex->suspended = 0;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK &&
	    ex->outcome == PROXY_OUT_FORWARDED)
		ex->outcome = PROXY_OUT_ABORTED;
	pthread_mutex_unlock(&ex->lock);
	proxy_relay_cancel(ex);
	if ((ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS)))
		status = (int)ci->http_status;
	/* answered by libmicrohttpd itself (a head too large, a malformed
	 * one), before any of it reached rd-proxy */
	if (ex->outcome == PROXY_OUT_NONE && status >= 400)
		ex->outcome = PROXY_OUT_REFUSED;
	/* (who sent it, for the log, when begin never ran) */
	if (!ex->client[0] &&
	    (ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS)))
		addr_text(ci->client_addr, ex->client, sizeof(ex->client));
	atomic_fetch_add(&p->c.outcome[ex->outcome], 1);
	atomic_fetch_add(&p->c.bytes_out, ex->bytes_out);
	proxy_log_ex(p, ex, status);
	proxy_server_phase(p, conn, PH_HEAD);
	proxy_ex_put(ex);
}
