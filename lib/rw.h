/*
 * rw.h - how a stored request becomes the request sent on replay: the
 * --target rebase, headers set and dropped, the idempotency header, and
 * the host allow-list that decides whether it may be sent at all.
 *
 * The body and the method are never rewritten.  Nothing here does I/O;
 * the built request borrows from the record and from struct rw until the
 * next rw_build.
 */
#ifndef RW_H
#define RW_H

#include <stddef.h>
#include <sys/socket.h>

#include "buf.h"
#include "http.h"
#include "rd.h"
#include "rec.h"

struct rw_rules {
	const char *target;              /* base URL, NULL: as captured */
	const struct hdr *set_hdrs;      /* replace captured ones */
	size_t nset;
	const char *const *drop_hdrs;
	size_t ndrop;
	const char *idem_header;         /* NULL: send none */
	const char *const *allow_hosts;  /* NULL: each record's own host */
	size_t nallow;
};

struct rw {
	const struct rw_rules *rules;    /* borrowed */
	struct buf url, orig;
	struct hdr *hdrs;
	size_t hcap;
	char host[256];                  /* host of the last built request */
};

void rw_init(struct rw *w, const struct rw_rules *rules);
void rw_release(struct rw *w);

/*
 * Build the request for record q into *out.  Returns 1 when it may be
 * sent, 0 when its host is not allowed (w->host names it), or RD_E_INVAL
 * when the URL cannot be rebuilt.
 */
int rw_build(struct rw *w, const struct rec_req *q, struct http_req *out,
	     struct rd_err *err);

/* For http_opts.refuse_addr, with ctx the struct rw_rules (or NULL):
 * refuse link-local addresses (169.254.0.0/16, fe80::/10) and cloud
 * metadata services, in every form addr_classify knows (IPv4 inside IPv6
 * included), whatever name led there, unless the allow-list names that
 * very address.  NULL to allow, else why not. */
const char *rw_refuse_link_local(void *ctx, const struct sockaddr *sa);

#endif
