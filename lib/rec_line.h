/*
 * rec_line.h - the pieces every line of the record schema is written and
 * read with, shared by rec.c (requests), rec_event.c (attempt, dead,
 * revive) and rec_run.c (run lines), so that the canonical prefix and
 * field syntax exist once.  Not for use outside the rec modules.
 */
#ifndef REC_LINE_H
#define REC_LINE_H

#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "rd.h"
#include "rec.h"

/* Every line begins with this, then its kind (redrive-spool(5)). */
#define REC_LINE_PREFIX "{\"v\":1,\"kind\":\""

/* {"v":1,"kind":"KIND","id":"ID" - the line is left open. */
void rec_line_head(struct buf *b, const char *kind, const char *id);
/* ,"k": */
void rec_line_key(struct buf *b, const char *k);
/* ,"k":"2026-11-30T04:00:00.000Z" */
void rec_line_time(struct buf *b, const char *k, int64_t ms);
/* ,"k":"escaped" */
void rec_line_str(struct buf *b, const char *k, struct rec_str s);
/* ,"body":"text" when UTF-8, else ,"body_b64":"..." */
void rec_line_body(struct buf *b, struct rec_str body);

/* A line as a JSON document, refused when larger than a record can be;
 * the tree is p's until its next use. */
const struct json_val *rec_line_doc(struct rec_parser *p, const char *text,
				    size_t n, struct rd_err *err);
/* out borrows v's string; RD_E_INVAL naming field when v is not one. */
int rec_line_want_string(const struct json_val *v, const char *field,
			 struct rec_str *out, struct rd_err *err);
/* A [[name, value], ...] array into p's header table, capped at
 * REC_MAX_HEADERS; r->hdrs and r->nhdrs point there. */
int rec_line_headers(struct rec_parser *p, const struct json_val *v,
		     struct rec_req *r, struct rd_err *err);

#endif
