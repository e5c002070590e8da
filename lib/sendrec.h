/*
 * sendrec.h - send one request record now and describe a failure the way
 * the spool records it.  This is `rd-capture --try`: a curl stand-in that
 * captures what it could not deliver.
 *
 * The request goes out as rd-replay would send it (rw_build): the same
 * bytes, with the idempotency header carrying the record's key, so the
 * first attempt and every replay of it share one key.  The record's id
 * is given before the send.  Nothing here stores anything.
 */
#ifndef SENDREC_H
#define SENDREC_H

#include "http.h"
#include "rd.h"
#include "rec.h"
#include "rw.h"

struct sendrec_result {
	struct http_once res;      /* status, error, response */
	enum http_class cls;
	char fail_type[32];        /* timeout, connect, ..., http_503 */
	char fail_msg[300];
};

void sendrec_result_init(struct sendrec_result *r);
void sendrec_result_release(struct sendrec_result *r);

/*
 * Send rec once.  Returns 0 with out->cls set (HTTP_OK: delivered), or a
 * negative code when the request could not be attempted.  When it was not
 * delivered, the failure fields of rec (type, status, message) point into
 * out and rec->attempts is incremented.
 */
int sendrec_try(struct rec_req *rec, const struct rw_rules *rules,
		const struct http_opts *ho, const struct http_okset *ok,
		struct sendrec_result *out, struct rd_err *err);

#endif
