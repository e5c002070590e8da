/*
 * rw.c - shaping the replayed request (see rw.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "rw.h"
#include "xalloc.h"
#include "banned.h"

void rw_init(struct rw *w, const struct rw_rules *rules)
{
	memset(w, 0, sizeof(*w));
	w->rules = rules;
	buf_init(&w->url);
	buf_init(&w->orig);
}

void rw_release(struct rw *w)
{
	buf_release(&w->url);
	buf_release(&w->orig);
	free(w->hdrs);
	w->hdrs = NULL;
}

static int host_allowed(const struct rw_rules *r, const char *host,
			const char *orig_host)
{
	if (!r->allow_hosts)
		return strcmp(host, orig_host) == 0;
	for (size_t i = 0; i < r->nallow; i++) {
		const char *a = r->allow_hosts[i];

		if (a[0] == '*' && a[1] == '.') {
			size_t hl = strlen(host), al = strlen(a + 1);

			if (hl > al && strcasecmp(host + hl - al, a + 1) == 0)
				return 1;
		} else if (strcasecmp(host, a) == 0) {
			return 1;
		}
	}
	return 0;
}

static int dropped(const struct rw_rules *r, const struct hdr *h)
{
	for (size_t i = 0; i < r->ndrop; i++)
		if (r->drop_hdrs[i] && hdr_is(h, r->drop_hdrs[i]))
			return 1;
	for (size_t i = 0; i < r->nset; i++)
		if (r->set_hdrs[i].name_len == h->name_len &&
		    strncasecmp(r->set_hdrs[i].name, h->name, h->name_len) == 0)
			return 1;
	/* an empty key is no key: the record's goes in its place */
	if (r->idem_header && !h->value_len && hdr_is(h, r->idem_header))
		return 1;
	/* A captured Host names the old target; curl sets the new one. */
	return r->target && hdr_is(h, "host");
}

static void add_hdr(struct rw *w, size_t *n, const struct hdr *h)
{
	if (*n == w->hcap) {
		w->hcap = w->hcap ? w->hcap * 2 : 16;
		w->hdrs = xrealloc(w->hdrs, w->hcap * sizeof(*w->hdrs));
	}
	w->hdrs[(*n)++] = *h;
}

int rw_build(struct rw *w, const struct rec_req *q, struct http_req *out,
	     struct rd_err *err)
{
	const struct rw_rules *r = w->rules;
	char ohost[256];
	size_t n = 0;
	int ret, key_set = 0;

	buf_reset(&w->orig);
	buf_add(&w->orig, q->url.p, q->url.n);
	buf_reset(&w->url);
	if (r->target) {
		if ((ret = http_url_rebase(w->orig.data, r->target, &w->url, err)) < 0)
			return ret;
	} else {
		buf_add(&w->url, q->url.p, q->url.n);
	}
	/* A captured key header goes as captured: the service saw it on the
	 * first attempt (a client's own key, kept beside rd-proxy's under
	 * another name).  The record's key goes to a request without one. */
	for (size_t i = 0; i < q->nhdrs; i++)
		if (!dropped(r, &q->hdrs[i])) {
			add_hdr(w, &n, &q->hdrs[i]);
			if (r->idem_header && hdr_is(&q->hdrs[i], r->idem_header))
				key_set = 1;
		}
	for (size_t i = 0; i < r->nset; i++) {
		add_hdr(w, &n, &r->set_hdrs[i]);
		/* -H replaces the key as it replaces any header */
		if (r->idem_header && hdr_is(&r->set_hdrs[i], r->idem_header))
			key_set = 1;
	}
	if (r->idem_header && !key_set) {
		struct hdr k = { r->idem_header, strlen(r->idem_header),
				 q->idem_key.n ? q->idem_key.p : q->id,
				 q->idem_key.n ? q->idem_key.n : REC_ID_LEN };

		add_hdr(w, &n, &k);
	}
	memset(out, 0, sizeof(*out));
	out->method = q->method.p;
	out->method_len = q->method.n;
	out->url = w->url.data;
	out->hdrs = w->hdrs;
	out->nhdrs = n;
	out->body = q->body.p;
	out->body_len = q->body.n;
	/* As captured, with no list: the record's own host, allowed by
	 * definition; the link-local check happens at connect time. */
	if (!r->target && !r->allow_hosts)
		return 1;
	if ((ret = http_url_host(w->url.data, w->host, sizeof(w->host), err)) < 0)
		return ret;
	if (r->allow_hosts)
		return host_allowed(r, w->host, NULL);
	if ((ret = http_url_host(w->orig.data, ohost, sizeof(ohost), err)) < 0)
		return ret;
	return host_allowed(r, w->host, ohost);
}

/* 1 when the allow-list names this address as a literal. */
static int named(const struct rw_rules *r, const struct sockaddr *sa)
{
	for (size_t i = 0; r && i < r->nallow; i++) {
		unsigned char a[16];

		if (sa->sa_family == AF_INET &&
		    inet_pton(AF_INET, r->allow_hosts[i], a) == 1 &&
		    memcmp(a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4) == 0)
			return 1;
		if (sa->sa_family == AF_INET6 &&
		    inet_pton(AF_INET6, r->allow_hosts[i], a) == 1 &&
		    memcmp(a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16) == 0)
			return 1;
	}
	return 0;
}

const char *rw_refuse_link_local(void *ctx, const struct sockaddr *sa)
{
	enum addr_class c = addr_classify(sa);

	/* An allowed name may still resolve to a metadata address (DNS
	 * rebinding): only the address itself, named, lets one through. */
	if ((c == ADDR_METADATA || c == ADDR_LINK_LOCAL) && named(ctx, sa))
		return NULL;
	/* The message a refused attempt records: which rule refused it. */
	if (c == ADDR_METADATA)
		return "a cloud metadata address, refused unless the allow-list (--allow-host) names this address";
	if (c == ADDR_LINK_LOCAL)
		return "a link-local address (cloud metadata services live there), refused unless the allow-list (--allow-host) names this address";
	return NULL;
}
