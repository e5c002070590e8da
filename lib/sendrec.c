/*
 * sendrec.c - send one record now (see sendrec.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sendrec.h"
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

int sendrec_try(struct rec_req *rec, const struct rw_rules *rules,
		const struct http_opts *ho, const struct http_okset *ok,
		struct sendrec_result *out, struct rd_err *err)
{
	struct http_req q;
	struct http_res view;
	struct rw w;
	int ret;

	rw_init(&w, rules);
	if ((ret = rw_build(&w, rec, &q, err)) == 1)
		ret = http_once(ho, &q, &out->res, err);
	else if (ret == 0)
		ret = rd_err_set(err, RD_E_INVAL, "host '%s' is not allowed", w.host);
	rw_release(&w);
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
