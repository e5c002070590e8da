/*
 * rec_event.c - the event lines of the record schema (intent, withdraw,
 * attempt, dead, revive): their canonical JSON and their parser (see
 * rec.h, redrive-spool(5)).
 */
#include <math.h>
#include <string.h>

#include "b64.h"
#include "json.h"
#include "num.h"
#include "rec.h"
#include "rec_line.h"
#include "banned.h"

static const char *kind_name(enum rec_kind k)
{
	switch (k) {
	case REC_REQUEST: return "request";
	case REC_ATTEMPT: return "attempt";
	case REC_DEAD: return "dead";
	case REC_REVIVE: return "revive";
	case REC_INTENT: return "intent";
	case REC_WITHDRAW: return "withdraw";
	default: return "unknown";
	}
}

static void add_response(struct buf *b, const struct rec_event *e)
{
	rec_line_key(b, "response");
	buf_adds(b, "{\"status_line\":");
	json_add_str(b, e->status_line.p, e->status_line.n);
	rec_line_key(b, "headers");
	buf_addc(b, '[');
	for (size_t i = 0; i < e->nresp_hdrs; i++) {
		if (i)
			buf_addc(b, ',');
		buf_addc(b, '[');
		json_add_str(b, e->resp_hdrs[i].name, e->resp_hdrs[i].name_len);
		buf_addc(b, ',');
		json_add_str(b, e->resp_hdrs[i].value, e->resp_hdrs[i].value_len);
		buf_addc(b, ']');
	}
	buf_addc(b, ']');
	if (e->resp_body.n)
		rec_line_body(b, e->resp_body);
	if (e->resp_truncated)
		buf_adds(b, ",\"body_truncated\":true");
	buf_addc(b, '}');
}

void rec_event_to_json(struct buf *out, const struct rec_event *e)
{
	rec_line_head(out, kind_name(e->kind), e->id);
	buf_adds(out, ",\"ref\":\"");
	buf_add(out, e->ref, REC_ID_LEN);
	buf_addc(out, '"');
	rec_line_time(out, "at", e->at_ms);
	if (e->kind == REC_INTENT || e->kind == REC_WITHDRAW)
		buf_addf(out, ",\"attempt\":%lld", e->attempt);
	if (e->kind == REC_ATTEMPT) {
		buf_addf(out, ",\"attempt\":%lld", e->attempt);
		rec_line_key(out, "outcome");
		buf_addc(out, '"');
		buf_adds(out, rec_outcome_name(e->outcome));
		buf_addc(out, '"');
		/* microseconds, as the shortest decimal that reads back */
		buf_addf(out, ",\"status\":%d,\"latency_ms\":", e->status);
		num_add(out, round(e->latency_ms * 1000) / 1000, NUM_JSON);
		if (e->error.n)
			rec_line_str(out, "error", e->error);
		if (e->next_due_ms)
			rec_line_time(out, "next_due", e->next_due_ms);
		if (e->has_response)
			add_response(out, e);
	}
	if (e->reason.n)
		rec_line_str(out, "reason", e->reason);
	if (e->kind == REC_REVIVE) {
		if (e->user.n)
			rec_line_str(out, "user", e->user);
		if (e->revives > 0)
			buf_addf(out, ",\"revives\":%lld", e->revives);
	}
	buf_adds(out, "}\n");
}

/* An attempt's "response" object.  Unknown members are ignored, as
 * everywhere in a stored line. */
static int parse_response(struct rec_parser *p, const struct json_val *v,
			  struct rec_event *e, struct rd_err *err)
{
	const struct json_val *c;
	struct rec_req hold;
	struct rd_err berr;

	if (v->type != JSON_OBJECT)
		return rd_err_set(err, RD_E_INVAL,
				  "field 'response': must be an object");
	e->has_response = 1;
	for (c = v->child; c; c = c->next) {
		if (strcmp(c->key, "status_line") == 0) {
			if (rec_line_want_string(c, "response.status_line",
					&e->status_line, err))
				return RD_E_INVAL;
		} else if (strcmp(c->key, "headers") == 0) {
			/* Events carry no request headers: the parser's
			 * header array is free for the response's. */
			memset(&hold, 0, sizeof(hold));
			if (rec_line_headers(p, c, &hold, err))
				return RD_E_INVAL;
			e->resp_hdrs = hold.hdrs;
			e->nresp_hdrs = hold.nhdrs;
		} else if (strcmp(c->key, "body") == 0) {
			if (rec_line_want_string(c, "response.body", &e->resp_body, err))
				return RD_E_INVAL;
		} else if (strcmp(c->key, "body_b64") == 0) {
			buf_reset(&p->body);
			if (c->type != JSON_STRING ||
			    b64_decode(&p->body, c->str, c->len, &berr))
				return rd_err_set(err, RD_E_INVAL,
						  "field 'response.body_b64': not base64");
			e->resp_body.p = p->body.data ? p->body.data : "";
			e->resp_body.n = p->body.len;
		} else if (strcmp(c->key, "body_truncated") == 0) {
			e->resp_truncated = c->type == JSON_TRUE;
		}
	}
	return 0;
}

static const char *const outcomes[] = { "ok", "retry", "permanent" };

const char *rec_outcome_name(enum rec_outcome o)
{
	return (unsigned)o < 3 ? outcomes[o] : "permanent";
}

static int parse_outcome(const struct json_val *v, enum rec_outcome *out,
			 struct rd_err *err)
{
	for (int i = 0; v->type == JSON_STRING && i < 3; i++)
		if (strcmp(v->str, outcomes[i]) == 0) {
			*out = (enum rec_outcome)i;
			return 0;
		}
	return rd_err_set(err, RD_E_INVAL,
			  "field 'outcome': must be ok, retry or permanent");
}

int rec_event_parse(struct rec_parser *p, const char *text, size_t n,
		    struct rec_event *e, struct rd_err *err)
{
	const struct json_val *root, *c;
	long long iv;
	int has_outcome = 0;

	memset(e, 0, sizeof(*e));
	if (!(root = rec_line_doc(p, text, n, err)))
		return RD_E_INVAL;
	if (root->type != JSON_OBJECT)
		return rd_err_set(err, RD_E_INVAL, "an event must be a JSON object");
	for (c = root->child; c; c = c->next) {
		const char *k = c->key;

		if (strcmp(k, "kind") == 0 && c->type == JSON_STRING) {
			e->kind = strcmp(c->str, "attempt") == 0 ? REC_ATTEMPT :
				  strcmp(c->str, "dead") == 0    ? REC_DEAD :
				  strcmp(c->str, "revive") == 0  ? REC_REVIVE :
				  strcmp(c->str, "intent") == 0  ? REC_INTENT :
				  strcmp(c->str, "withdraw") == 0 ? REC_WITHDRAW :
								   REC_UNKNOWN;
		} else if ((strcmp(k, "id") == 0 || strcmp(k, "ref") == 0)) {
			if (c->type != JSON_STRING || !rec_id_valid(c->str, c->len))
				return rd_err_set(err, RD_E_INVAL,
						  "field '%s': not a record id", k);
			memcpy(k[0] == 'i' ? e->id : e->ref, c->str,
			       REC_ID_LEN + 1);
		} else if (strcmp(k, "at") == 0 || strcmp(k, "next_due") == 0) {
			int64_t *dst = k[0] == 'a' ? &e->at_ms : &e->next_due_ms;

			if (c->type != JSON_STRING ||
			    rec_time_parse(c->str, c->len, dst))
				return rd_err_set(err, RD_E_INVAL,
						  "field '%s': must be an RFC 3339 timestamp",
						  k);
		} else if (strcmp(k, "attempt") == 0) {
			if (json_int(c, 0, 1000000, &e->attempt))
				return rd_err_set(err, RD_E_INVAL,
						  "field 'attempt': must be an integer");
		} else if (strcmp(k, "status") == 0) {
			if (json_int(c, 0, 999, &iv))
				return rd_err_set(err, RD_E_INVAL,
						  "field 'status': must be 0 to 999");
			e->status = (int)iv;
		} else if (strcmp(k, "latency_ms") == 0) {
			if (json_num(c, &e->latency_ms))
				return rd_err_set(err, RD_E_INVAL,
						  "field 'latency_ms': must be a number");
		} else if (strcmp(k, "outcome") == 0) {
			if (parse_outcome(c, &e->outcome, err) < 0)
				return RD_E_INVAL;
			has_outcome = 1;
		} else if (strcmp(k, "error") == 0) {
			if (rec_line_want_string(c, "error", &e->error, err))
				return RD_E_INVAL;
		} else if (strcmp(k, "reason") == 0) {
			if (rec_line_want_string(c, "reason", &e->reason, err))
				return RD_E_INVAL;
		} else if (strcmp(k, "user") == 0) {
			if (rec_line_want_string(c, "user", &e->user, err))
				return RD_E_INVAL;
		} else if (strcmp(k, "revives") == 0) {
			if (json_int(c, 0, 1000000, &e->revives))
				return rd_err_set(err, RD_E_INVAL,
						  "field 'revives': must be an integer");
		} else if (strcmp(k, "response") == 0) {
			if (parse_response(p, c, e, err) < 0)
				return RD_E_INVAL;
		}
	}
	if (e->kind == REC_UNKNOWN || !e->id[0] || !e->ref[0])
		return rd_err_set(err, RD_E_INVAL,
				  "not an event: needs kind, id and ref");
	if (e->kind == REC_ATTEMPT && !has_outcome)
		return rd_err_set(err, RD_E_INVAL, "an attempt needs field 'outcome'");
	return 0;
}

