/*
 * sendrec.c - send one record now (see sendrec.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sendrec.h"
#include "xalloc.h"
#include "banned.h"

void sendrec_result_init(struct sendrec_result *r)
{
	memset(r, 0, sizeof(*r));
	http_once_init(&r->res);
}

void sendrec_result_release(struct sendrec_result *r)
{
	http_once_release(&r->res);
}

int sendrec_try(struct rec_req *rec, const struct http_opts *ho,
		const struct http_okset *ok, struct sendrec_result *out,
		struct rd_err *err)
{
	struct http_hdr *h = xcalloc(rec->nhdrs ? rec->nhdrs : 1, sizeof(*h));
	struct http_req q;
	struct http_res view;
	char *url = xmemdup(rec->url.p, rec->url.n);
	int ret;

	for (size_t i = 0; i < rec->nhdrs; i++) {
		h[i].name = rec->hdrs[i].name.p;
		h[i].name_len = rec->hdrs[i].name.n;
		h[i].value = rec->hdrs[i].value.p;
		h[i].value_len = rec->hdrs[i].value.n;
	}
	memset(&q, 0, sizeof(q));
	q.method = rec->method.p;
	q.method_len = rec->method.n;
	q.url = url;
	q.hdrs = h;
	q.nhdrs = rec->nhdrs;
	q.body = rec->body.p;
	q.body_len = rec->body.n;
	ret = http_once(ho, &q, &out->res, err);
	free(url);
	free(h);
	if (ret < 0)
		return ret;
	memset(&view, 0, sizeof(view));
	view.status = out->res.status;
	view.err = out->res.err;
	out->cls = http_classify(&view, ok);
	if (out->cls == HTTP_OK)
		return 0;
	if (out->res.err != HTTP_ERR_NONE) {
		snprintf(out->fail_type, sizeof(out->fail_type), "%s",
			 http_err_name(out->res.err));
		snprintf(out->fail_msg, sizeof(out->fail_msg), "%s",
			 out->res.errmsg);
	} else {
		snprintf(out->fail_type, sizeof(out->fail_type), "http_%d",
			 out->res.status);
		snprintf(out->fail_msg, sizeof(out->fail_msg), "HTTP %d",
			 out->res.status);
	}
	rec->fail_type.p = out->fail_type;
	rec->fail_type.n = strlen(out->fail_type);
	rec->fail_msg.p = out->fail_msg;
	rec->fail_msg.n = strlen(out->fail_msg);
	rec->fail_status = out->res.status;
	rec->attempts++;
	return 0;
}
