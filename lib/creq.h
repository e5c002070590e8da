/*
 * creq.h - a request described the way curl takes it on its command line:
 * -X, -H 'Name: value' in order, and --data, --data-binary or --data-raw
 * (with @FILE), turned into a request record.
 *
 * It follows curl where curl's behaviour is what a script relies on:
 * --data strips CR and LF from files and joins repeats with '&', data
 * implies POST, and a form Content-Type is added when data comes without
 * one.  Reading @FILE refuses to hold more than the body limit.
 */
#ifndef CREQ_H
#define CREQ_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rd.h"
#include "rec.h"

enum creq_data {
	CREQ_DATA,         /* --data: @FILE without CR and LF */
	CREQ_DATA_BINARY,  /* --data-binary: @FILE verbatim */
	CREQ_DATA_RAW      /* --data-raw: taken literally */
};

struct creq {
	const char *method;     /* -X, borrowed; NULL: GET, or POST with data */
	struct rec_hdr *hdrs;   /* owned array; strings borrowed from argv */
	size_t nhdrs;
	struct buf body;
	int have_data;
	uint64_t max_body;
};

void creq_init(struct creq *c, uint64_t max_body);
void creq_release(struct creq *c);

/* Split "Name: value" (spaces after the colon skipped).  The results
 * borrow from arg.  RD_E_INVAL when there is no name and colon; the
 * characters are checked later, with the whole request
 * (rec_req_validate), so a bad one is reported like any bad input. */
int creq_parse_header(const char *arg, struct rec_str *name,
		      struct rec_str *value, struct rd_err *err);
/* -H: append a header; arg must outlive c. */
int creq_add_header(struct creq *c, const char *arg, struct rd_err *err);
/* --data*: append to the body.  RD_E_IO for an unreadable file, RD_E_FULL
 * past max_body. */
int creq_add_data(struct creq *c, const char *arg, enum creq_data kind,
		  struct rd_err *err);
/* After the last option: add the form Content-Type when data came
 * without one. */
void creq_finish(struct creq *c);
/* Fill method, URL, headers and body of r, which borrows from c and url. */
void creq_to_rec(const struct creq *c, const char *url, struct rec_req *r);

#endif
