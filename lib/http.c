/*
 * http.c - the HTTP engine on the libcurl multi interface (see http.h).
 *
 * Each transfer owns a copy of its request, so callers may reuse their
 * buffers at once.  Easy handles are recycled through a free list:
 * curl_easy_reset keeps nothing of the last request, while the multi
 * handle keeps the connection pool, which is what makes reuse work.
 * Headers that would change the bytes sent are neutralised here, in one
 * place: curl's default Accept and Expect and its form Content-Type are
 * removed unless the request carries its own, and hop-by-hop framing
 * headers of the captured request are left to the transport.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "clk.h"
#include "http.h"
#include "http_int.h"
#include "lazy.h"
#include "xalloc.h"
#include "banned.h"

static int global_ready;

void http_opts_init(struct http_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 30000;
	o->connect_timeout_ms = 10000;
	o->max_conns = 64;
	o->max_response = 64u << 20;
	o->stream_head_timeout_ms = 30000;
	o->stream_idle_timeout_ms = 30000;
}

const char *http_err_name(enum http_err e)
{
	switch (e) {
	case HTTP_ERR_NONE: return "";
	case HTTP_ERR_TIMEOUT: return "timeout";
	case HTTP_ERR_DNS: return "dns";
	case HTTP_ERR_CONNECT: return "connect";
	case HTTP_ERR_TLS: return "tls";
	case HTTP_ERR_NETWORK: return "network";
	case HTTP_ERR_REFUSED: return "refused";
	case HTTP_ERR_OTHER: break;
	}
	return "error";
}

/* The descriptors above 2 that a child would inherit, as listed in
 * /proc/self/fd; none when it cannot be read.  Caller frees *fds. */
static size_t inheritable_fds(int **fds)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t n = 0, cap = 0;

	*fds = NULL;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		int fl;

		if (end == e->d_name || *end || fd < 3 || fd > INT_MAX ||
		    fd == dirfd(d))
			continue;
		if ((fl = fcntl((int)fd, F_GETFD)) < 0 || (fl & FD_CLOEXEC))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			*fds = xrealloc(*fds, cap * sizeof(**fds));
		}
		(*fds)[n++] = (int)fd;
	}
	closedir(d);
	return n;
}

/*
 * libcurl 7.x opens the multi handle's wake-up socket pair without
 * close-on-exec (later versions fix it), and a command the caller runs
 * would inherit it.  The descriptors that curl_multi_init added are found
 * by comparing what was inheritable before and after, and marked.  The
 * pair libcurl's threaded resolver opens during a lookup lives only as
 * long as the lookup; the gate closes every descriptor above 2 in its
 * child for those (see gate.c).
 */
static CURLM *multi_init_cloexec(void)
{
	int *before = NULL, *after = NULL;
	size_t nb = inheritable_fds(&before), na;
	CURLM *m = curl_multi_init();

	na = inheritable_fds(&after);
	for (size_t i = 0; i < na; i++) {
		size_t j = 0;

		while (j < nb && before[j] != after[i])
			j++;
		if (j == nb)
			fcntl(after[i], F_SETFD, FD_CLOEXEC);
	}
	free(before);
	free(after);
	return m;
}

int http_new(const struct http_opts *o, struct http **out, struct rd_err *err)
{
	struct http *h;

	/* Not thread-safe by libcurl's rules; tools call it from main. */
	if (lazy_curl_load(err) < 0)
		return RD_E_UNSUPP;
	if (!global_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return rd_err_set(err, RD_E_IO, "cannot initialise libcurl");
		global_ready = 1;
	}
	h = xcalloc(1, sizeof(*h));
	h->o = *o;
	if (!(h->m = multi_init_cloexec())) {
		free(h);
		return rd_err_set(err, RD_E_IO, "cannot create a curl multi handle");
	}
	curl_multi_setopt(h->m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o->max_conns);
	curl_multi_setopt(h->m, CURLMOPT_MAXCONNECTS, (long)o->max_conns);
	curl_multi_setopt(h->m, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	*out = h;
	return 0;
}

static void xfer_destroy(struct http_xfer *x)
{
	curl_easy_cleanup(x->e);
	buf_release(&x->rhdrs);
	buf_release(&x->rbody);
	free(x);
}

/* Drop what one request owned; keep the easy handle and buffers. */
static void xfer_clear(struct http_xfer *x)
{
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	free(x->body);
	free(x->url);
	free(x->method);
	x->body = x->url = x->method = NULL;
	buf_reset(&x->rhdrs);
	buf_reset(&x->rbody);
	x->body_seen = 0;
	x->scb = NULL;
	x->head_done = x->paused = 0;
}

static void live_unlink(struct http_xfer *x)
{
	*x->prevp = x->next;
	if (x->next)
		x->next->prevp = x->prevp;
	x->next = NULL;
	x->prevp = NULL;
}

void http_xfer_recycle(struct http *h, struct http_xfer *x)
{
	live_unlink(x);
	curl_multi_remove_handle(h->m, x->e);
	xfer_clear(x);
	x->next = h->free_list;
	h->free_list = x;
	h->inflight--;
}

unsigned http_abort_all(struct http *h, void (*drop)(void *udata))
{
	unsigned n = 0;

	while (h->live) {
		if (drop)
			drop(h->live->udata);
		http_xfer_recycle(h, h->live);
		n++;
	}
	return n;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	http_abort_all(h, NULL);
	while (h->free_list) {
		struct http_xfer *x = h->free_list;

		h->free_list = x->next;
		xfer_destroy(x);
	}
	curl_multi_cleanup(h->m);
	buf_release(&h->info.url_effective);
	buf_release(&h->info.redirect_url);
	free(h);
}

unsigned http_inflight(const struct http *h)
{
	return h->inflight;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct http_xfer *x = ud;
	size_t len = size * n;
	const struct http_opts *o = &x->h->o;

	if (x->scb)
		return http_stream_body(x, p, len);
	x->body_seen += len;
	if (o->keep_response) {
		if (x->rbody.len + len > o->max_response)
			return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
		buf_add(&x->rbody, p, len);
	} else if (o->keep_head && x->rbody.len < o->body_peek) {
		size_t room = o->body_peek - x->rbody.len;

		buf_add(&x->rbody, p, len < room ? len : room);
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct http_xfer *x = ud;
	size_t len = size * n;
	static const char ra[] = "retry-after:";

	if (x->head_done)
		return len;     /* a streamed answer's trailers: not relayed */
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* A new response (after 1xx): forget the previous one. */
		x->retry_after_ms = -1;
		if (!x->h->o.all_heads)
			buf_reset(&x->rhdrs);
		buf_reset(&x->rbody);
		x->body_seen = 0;
	} else if (len > sizeof(ra) - 1 &&
		   strncasecmp(p, ra, sizeof(ra) - 1) == 0) {
		const char *v = p + sizeof(ra) - 1, *end = p + len;

		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
				   end[-1] == ' ' || end[-1] == '\t'))
			end--;
		x->retry_after_ms = http_parse_retry_after(v, (size_t)(end - v),
							   clk_wall_ms());
	}
	if (x->scb)
		return http_stream_header(x, p, len);
	if (x->h->o.keep_response ||
	    (x->h->o.keep_head && x->rhdrs.len + len <= HTTP_HEAD_MAX))
		buf_add(&x->rhdrs, p, len);
	return len;
}

/* Every socket of a transfer is opened here, after name resolution and
 * for the address it connects to (a proxy's never: see http_submit), so
 * this is where an address is judged.  Close-on-exec, so that a command
 * the caller runs never holds a connection. */
static curl_socket_t on_open(void *ud, curlsocktype purpose,
			     struct curl_sockaddr *a)
{
	struct http_xfer *x = ud;
	const struct http_opts *o = &x->h->o;
	const char *why;

	(void)purpose;
	if (o->refuse_addr && (why = o->refuse_addr(o->refuse_ctx, &a->addr))) {
		char ip[INET6_ADDRSTRLEN];

		x->refused = 1;
		snprintf(x->refmsg, sizeof(x->refmsg), "not connecting to %s: %s",
			 addr_text(&a->addr, ip, sizeof(ip)), why);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Headers that frame the message belong to the transport, not to the
 * request: sending a captured Content-Length or Transfer-Encoding could
 * contradict the body curl actually frames. */
int http_hop_by_hop(const char *n, size_t len)
{
	static const char *const names[] = {
		"content-length", "transfer-encoding", "connection",
		"keep-alive", "proxy-connection", "te", "upgrade", NULL
	};

	for (size_t i = 0; names[i]; i++)
		if (strlen(names[i]) == len && strncasecmp(n, names[i], len) == 0)
			return 1;
	return 0;
}

static struct curl_slist *build_headers(const struct http_req *r,
					int has_body)
{
	struct curl_slist *l = NULL;
	struct buf line;
	int accept = 0, expect = 0, ctype = 0;

	buf_init(&line);
	for (size_t i = 0; i < r->nhdrs; i++) {
		const struct hdr *hd = &r->hdrs[i];

		if (http_hop_by_hop(hd->name, hd->name_len))
			continue;
		accept |= hdr_is(hd, "accept");
		expect |= hdr_is(hd, "expect");
		ctype |= hdr_is(hd, "content-type");
		buf_reset(&line);
		buf_add(&line, hd->name, hd->name_len);
		/* "Name;" is curl's way of sending a header with no value. */
		if (hd->value_len == 0) {
			buf_addc(&line, ';');
		} else {
			buf_adds(&line, ": ");
			buf_add(&line, hd->value, hd->value_len);
		}
		l = curl_slist_append(l, line.data);
	}
	/* "Name:" removes a header curl would add by itself. */
	if (!accept)
		l = curl_slist_append(l, "Accept:");
	if (!expect)
		l = curl_slist_append(l, "Expect:");
	if (has_body && !ctype)
		l = curl_slist_append(l, "Content-Type:");
	buf_release(&line);
	return l;
}

int http_submit(struct http *h, const struct http_req *r, struct rd_err *err)
{
	return http_xfer_submit(h, r, NULL, NULL, err);
}

/* A transfer to reuse from the free list, or a new one; NULL when
 * libcurl cannot make a handle. */
static struct http_xfer *xfer_take(struct http *h)
{
	struct http_xfer *x = h->free_list;

	if (x) {
		h->free_list = x->next;
		curl_easy_reset(x->e);
		return x;
	}
	x = xcalloc(1, sizeof(*x));
	x->h = h;
	buf_init(&x->rhdrs);
	buf_init(&x->rbody);
	if (!(x->e = curl_easy_init())) {
		free(x);
		return NULL;
	}
	return x;
}

/* The engine's options that do not depend on the request (see http.h):
 * protocols, redirects, proxies, timeouts, TLS and the HTTP version. */
static void set_transport(const struct http_xfer *x, const struct http_opts *o)
{
	CURL *e = x->e;

	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Never on replay; `rd-capture --try -L` asks, as curl -L does. */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, o->follow ? 1L : 0L);
	if (o->follow) {
		curl_easy_setopt(e, CURLOPT_MAXREDIRS, o->max_redirs ? o->max_redirs : 50L);
		curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	}
	/* "": decode what libcurl can; the request's own Accept-Encoding
	 * header, which --compressed put there, is the one sent. */
	if (o->decode)
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L); /* no dot-segment folding */
	/* "": no proxy, whatever http_proxy, https_proxy or ALL_PROXY say.
	 * Through a proxy, the address on_open judges would be the proxy's,
	 * and a request for a refused address would go out all the same. */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* The engine keeps the deadlines (http_deadline.c): libcurl would
	 * count the time the process was held still. */
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 0L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
	if (o->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
	switch (o->version) {
	case HTTP_V_1_1:
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
		break;
	case HTTP_V_2_PRIOR:
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
				 (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
		break;
	case HTTP_V_DEFAULT:
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
		break;
	}
	/* Waiting for a connection that might multiplex pays only where one
	 * can: HTTP/2 by prior knowledge, or TLS, where ALPN answers at the
	 * handshake.  On clear-text HTTP/1.1 it would queue every concurrent
	 * transfer behind the first response, and the latency measured would
	 * be the queue's, not the service's. */
	if (o->version == HTTP_V_2_PRIOR ||
	    (o->version == HTTP_V_DEFAULT && strncasecmp(x->url, "https:", 6) == 0))
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
}

/* r's method is m. */
static int http_method_is(const struct http_req *r, const char *m)
{
	return r->method_len == strlen(m) && memcmp(r->method, m, r->method_len) == 0;
}

int http_req_has_body(const struct http_req *r)
{
	return r->body_len > 0 || http_method_is(r, "POST") ||
	       http_method_is(r, "PUT") || http_method_is(r, "PATCH");
}

/* The request itself: URL, headers, the callbacks, method and body. */
static void set_request(struct http_xfer *x, const struct http_req *r)
{
	CURL *e = x->e;
	int has_body = http_req_has_body(r);

	x->hdrs = build_headers(r, has_body);
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	if (strcmp(x->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (has_body) {
		x->body = xmemdup(r->body ? r->body : "", r->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)r->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	/* After the body options, which would otherwise imply POST: the
	 * method as captured, unless it is the one curl sends by itself
	 * (a GET with a body too: curl would send POST) */
	if (has_body ? strcmp(x->method, "POST") != 0 :
	    strcmp(x->method, "GET") != 0 && strcmp(x->method, "HEAD") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
}

int http_xfer_submit(struct http *h, const struct http_req *r,
		     const struct http_stream_cb *scb, struct http_xfer **out,
		     struct rd_err *err)
{
	struct http_xfer *x = xfer_take(h);
	CURLMcode mc;

	if (!x)
		return rd_err_set(err, RD_E_IO, "cannot create a curl handle");
	x->udata = r->udata;
	x->refused = 0;
	x->refmsg[0] = '\0';
	x->retry_after_ms = -1;
	x->errbuf[0] = '\0';
	x->url = xstrdup(r->url);
	x->method = xmemdup(r->method, r->method_len);
	set_transport(x, &h->o);
	set_request(x, r);
	x->start_ns = clk_mono_ns();
	x->scb = scb;
	http_deadline_start(h, x);
	if ((mc = curl_multi_add_handle(h->m, x->e)) != CURLM_OK) {
		xfer_clear(x);
		x->next = h->free_list;
		h->free_list = x;
		return rd_err_set(err, RD_E_IO, "cannot start a transfer: %s",
				  curl_multi_strerror(mc));
	}
	x->next = h->live;
	if (h->live)
		h->live->prevp = &x->next;
	x->prevp = &h->live;
	h->live = x;
	h->inflight++;
	if (out)
		*out = x;
	return 0;
}

static enum http_err map_code(CURLcode c, int refused)
{
	switch (c) {
	case CURLE_OK:
		return HTTP_ERR_NONE;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_ERR_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTP_ERR_DNS;
	case CURLE_COULDNT_CONNECT:
		return refused ? HTTP_ERR_REFUSED : HTTP_ERR_CONNECT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_USE_SSL_FAILED:
		return HTTP_ERR_TLS;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY:
		return HTTP_ERR_NETWORK;
	case CURLE_UNSUPPORTED_PROTOCOL:
		return HTTP_ERR_REFUSED;
	default:
		return refused ? HTTP_ERR_REFUSED : HTTP_ERR_OTHER;
	}
}

static double secs(CURL *e, CURLINFO what)
{
	curl_off_t us = 0;

	curl_easy_getinfo(e, what, &us);
	return (double)us / 1e6;
}

static uint64_t count(CURL *e, CURLINFO what)
{
	curl_off_t v = 0;
	long l = 0;

	if (what == CURLINFO_HEADER_SIZE || what == CURLINFO_REQUEST_SIZE) {
		curl_easy_getinfo(e, what, &l);
		return l > 0 ? (uint64_t)l : 0;
	}
	curl_easy_getinfo(e, what, &v);
	return v > 0 ? (uint64_t)v : 0;
}

static void info_str(CURL *e, CURLINFO what, char *out, size_t n)
{
	char *s = NULL;

	curl_easy_getinfo(e, what, &s);
	snprintf(out, n, "%s", s ? s : "");
}

/* The facts -w asks about, read from the finished handle. */
static const struct http_info *collect_info(struct http *h, CURL *e)
{
	struct http_info *in = &h->info;
	char *u = NULL;
	long v = 0;

	buf_reset(&in->url_effective);
	buf_reset(&in->redirect_url);
	if (curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &u) == CURLE_OK && u)
		buf_adds(&in->url_effective, u);
	u = NULL;
	if (curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &u) == CURLE_OK && u)
		buf_adds(&in->redirect_url, u);
	info_str(e, CURLINFO_CONTENT_TYPE, in->content_type, sizeof(in->content_type));
	info_str(e, CURLINFO_PRIMARY_IP, in->remote_ip, sizeof(in->remote_ip));
	curl_easy_getinfo(e, CURLINFO_PRIMARY_PORT, &in->remote_port);
	curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &in->num_redirects);
	curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &v);
	in->version = v == CURL_HTTP_VERSION_1_0 ? 10 : v == CURL_HTTP_VERSION_1_1 ? 11 :
		      v == CURL_HTTP_VERSION_2_0 ? 20 : v == CURL_HTTP_VERSION_3 ? 30 : 0;
	in->size_download = count(e, CURLINFO_SIZE_DOWNLOAD_T);
	in->size_upload = count(e, CURLINFO_SIZE_UPLOAD_T);
	in->size_header = count(e, CURLINFO_HEADER_SIZE);
	in->size_request = count(e, CURLINFO_REQUEST_SIZE);
	in->t_namelookup = secs(e, CURLINFO_NAMELOOKUP_TIME_T);
	in->t_connect = secs(e, CURLINFO_CONNECT_TIME_T);
	in->t_appconnect = secs(e, CURLINFO_APPCONNECT_TIME_T);
	in->t_pretransfer = secs(e, CURLINFO_PRETRANSFER_TIME_T);
	in->t_starttransfer = secs(e, CURLINFO_STARTTRANSFER_TIME_T);
	in->t_redirect = secs(e, CURLINFO_REDIRECT_TIME_T);
	in->t_total = secs(e, CURLINFO_TOTAL_TIME_T);
	return in;
}

static int harvest(struct http *h, http_done_fn done, void *ctx)
{
	CURLMsg *msg;
	int left, n = 0;

	while ((msg = curl_multi_info_read(h->m, &left))) {
		struct http_xfer *x = NULL;
		struct http_res res;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &status);
		memset(&res, 0, sizeof(res));
		res.err = map_code(msg->data.result, x->refused);
		/* A transport error after the status line still lost the
		 * response: report it as the error it is. */
		res.status = res.err == HTTP_ERR_NONE ? (int)status : 0;
		if (res.err == HTTP_ERR_REFUSED && x->refused)
			res.errmsg = x->refmsg;
		else if (res.err != HTTP_ERR_NONE)
			res.errmsg = x->errbuf[0] ? x->errbuf :
				     curl_easy_strerror(msg->data.result);
		else
			res.errmsg = "";
		res.retry_after_ms = x->retry_after_ms;
		http_xfer_end(h, x, &res, done, ctx);
		n++;
	}
	return n;
}

void http_xfer_end(struct http *h, struct http_xfer *x, struct http_res *res,
		   http_done_fn done, void *ctx)
{
	res->udata = x->udata;
	res->latency_ms = (double)(clk_mono_ns() - x->start_ns) / 1e6;
	res->headers = &x->rhdrs;
	res->body = &x->rbody;
	res->body_bytes = x->body_seen;
	if (h->o.want_info)
		res->info = collect_info(h, x->e);
	done(ctx, res);
	http_xfer_recycle(h, x);
}

/* One round of libcurl, then what ended: the transfers it finished,
 * then those past their deadlines, once it has read what came. */
static int round_of(struct http *h, http_done_fn done, void *ctx, int64_t *t)
{
	int running, n;

	if (curl_multi_perform(h->m, &running) != CURLM_OK)
		return RD_E_IO;
	*t = http_deadline_after(h, *t, 0);
	n = harvest(h, done, ctx);
	return n + http_deadline_sweep(h, done, ctx);
}

int http_run(struct http *h, int wait_ms, http_done_fn done, void *ctx)
{
	int64_t t = http_deadline_enter(h);
	int n;

	if ((n = round_of(h, done, ctx, &t)) != 0 || wait_ms <= 0)
		goto out;
	wait_ms = http_deadline_wait(h, wait_ms);
	if (curl_multi_poll(h->m, NULL, 0, wait_ms, NULL) != CURLM_OK) {
		n = RD_E_IO;
		goto out;
	}
	t = http_deadline_after(h, t, wait_ms);
	n = round_of(h, done, ctx, &t);
out:
	http_deadline_leave(h);
	return n;
}

void http_once_init(struct http_once *r)
{
	memset(r, 0, sizeof(*r));
	r->retry_after_ms = -1;
	buf_init(&r->headers);
	buf_init(&r->body);
	buf_init(&r->info.url_effective);
	buf_init(&r->info.redirect_url);
}

void http_once_release(struct http_once *r)
{
	buf_release(&r->headers);
	buf_release(&r->body);
	buf_release(&r->info.url_effective);
	buf_release(&r->info.redirect_url);
}

static void once_done(void *ctx, const struct http_res *res)
{
	struct http_once *o = ctx;

	o->status = res->status;
	o->err = res->err;
	snprintf(o->errmsg, sizeof(o->errmsg), "%s", res->errmsg);
	o->latency_ms = res->latency_ms;
	o->retry_after_ms = res->retry_after_ms;
	buf_reset(&o->headers);
	buf_add(&o->headers, res->headers->data ? res->headers->data : "",
		res->headers->len);
	buf_reset(&o->body);
	buf_add(&o->body, res->body->data ? res->body->data : "", res->body->len);
	if (res->info) {
		struct buf u = o->info.url_effective, rd = o->info.redirect_url;

		o->info = *res->info;     /* the numbers and fixed strings */
		o->info.url_effective = u; /* and copies of the URLs */
		o->info.redirect_url = rd;
		buf_reset(&o->info.url_effective);
		buf_add(&o->info.url_effective, res->info->url_effective.data ?
			res->info->url_effective.data : "", res->info->url_effective.len);
		buf_reset(&o->info.redirect_url);
		buf_add(&o->info.redirect_url, res->info->redirect_url.data ?
			res->info->redirect_url.data : "", res->info->redirect_url.len);
	}
}

int http_once(const struct http_opts *o, const struct http_req *r,
	      struct http_once *out, struct rd_err *err)
{
	struct http *h = NULL;
	int ret;

	if ((ret = http_new(o, &h, err)) < 0)
		return ret;
	if ((ret = http_submit(h, r, err)) < 0)
		goto out;
	while (http_inflight(h) > 0)
		if ((ret = http_run(h, 1000, once_done, out)) < 0) {
			rd_err_set(err, RD_E_IO, "the HTTP engine failed");
			goto out;
		}
	ret = 0;
out:
	http_free(h);
	return ret;
}

int http_accept_encoding(char *out, size_t n, struct rd_err *err)
{
	const curl_version_info_data *v;
	struct buf b;

	if (lazy_curl_load(err) < 0)
		return RD_E_UNSUPP;
	v = curl_version_info(CURLVERSION_NOW);
	buf_init(&b);
	/* in the order curl --compressed writes them */
	if (v->features & CURL_VERSION_LIBZ)
		buf_adds(&b, "deflate, gzip");
	if (v->features & CURL_VERSION_BROTLI)
		buf_adds(&b, b.len ? ", br" : "br");
	if (v->features & CURL_VERSION_ZSTD)
		buf_adds(&b, b.len ? ", zstd" : "zstd");
	snprintf(out, n, "%s", b.data ? b.data : "identity");
	buf_release(&b);
	return 0;
}
