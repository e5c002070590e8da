/*
 * rec_run.c - the run line of the spool schema (see rec_run.h).
 */
#include <math.h>
#include <string.h>

#include "json.h"
#include "num.h"
#include "rec_line.h"
#include "rec_run.h"
#include "banned.h"

static const char prefix[] = REC_LINE_PREFIX "run\"";

int rec_run_peek(const char *line, size_t n)
{
	return n >= sizeof(prefix) - 1 &&
	       memcmp(line, prefix, sizeof(prefix) - 1) == 0;
}

static const char *gate_word(enum rec_gate g)
{
	return g == REC_GATE_OPEN ? "open" : g == REC_GATE_CLOSED ? "closed" : "none";
}

void rec_run_to_json(struct buf *out, const struct rec_run *r)
{
	rec_line_head(out, "run", r->id);
	rec_line_time(out, "at", r->at_ms);
	buf_addf(out, ",\"pid\":%ld,\"state\":\"%s\",\"rate\":", r->pid,
		 r->ended ? "ended" : "running");
	/* a tenth of a request per second is all a chart needs */
	num_add(out, round(r->rate * 10) / 10, NUM_JSON);
	buf_adds(out, ",\"rate_limit\":");
	num_add(out, round(r->rate_limit * 10) / 10, NUM_JSON);
	buf_addf(out, ",\"gate\":\"%s\",\"pending\":%llu,\"sent\":%llu,\"ok\":%llu,"
		 "\"retry\":%llu,\"dead\":%llu}\n", gate_word(r->gate),
		 (unsigned long long)r->pending, (unsigned long long)r->sent,
		 (unsigned long long)r->ok, (unsigned long long)r->retry,
		 (unsigned long long)r->dead);
}

static int count(const struct json_val *root, const char *key, uint64_t *out,
		 struct rd_err *err)
{
	const struct json_val *v = json_get(root, key);
	long long n;

	if (!v)
		return 0;
	if (json_int(v, 0, INT64_MAX, &n) < 0)
		return rd_err_set(err, RD_E_INVAL, "field '%s': not a count", key);
	*out = (uint64_t)n;
	return 0;
}

int rec_run_parse(const char *line, size_t n, struct rec_run *r,
		  struct rd_err *err)
{
	struct json_doc doc;
	const struct json_val *root, *v;
	long long pid;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	json_doc_init(&doc);
	if (!(root = json_parse(&doc, line, n, NULL, err))) {
		ret = RD_E_INVAL;
		goto out;
	}
	if (!(v = json_get(root, "at")) || v->type != JSON_STRING ||
	    rec_time_parse(v->str, v->len, &r->at_ms) < 0) {
		ret = rd_err_set(err, RD_E_INVAL, "field 'at': not an RFC 3339 time");
		goto out;
	}
	if ((v = json_get(root, "id")) && v->type == JSON_STRING &&
	    v->len == REC_ID_LEN)
		memcpy(r->id, v->str, REC_ID_LEN + 1);
	if ((v = json_get(root, "pid")) && json_int(v, 0, INT32_MAX, &pid) == 0)
		r->pid = (long)pid;
	if ((v = json_get(root, "state")) && v->type == JSON_STRING)
		r->ended = strcmp(v->str, "ended") == 0;
	if ((v = json_get(root, "rate")) && json_num(v, &r->rate) < 0)
		ret = rd_err_set(err, RD_E_INVAL, "field 'rate': not a number");
	if ((v = json_get(root, "rate_limit")) && json_num(v, &r->rate_limit) < 0)
		ret = rd_err_set(err, RD_E_INVAL, "field 'rate_limit': not a number");
	if ((v = json_get(root, "gate")) && v->type == JSON_STRING)
		r->gate = strcmp(v->str, "open") == 0 ? REC_GATE_OPEN :
			  strcmp(v->str, "closed") == 0 ? REC_GATE_CLOSED :
			  REC_GATE_NONE;
	if (ret == 0 && ((ret = count(root, "pending", &r->pending, err)) < 0 ||
			 (ret = count(root, "sent", &r->sent, err)) < 0 ||
			 (ret = count(root, "ok", &r->ok, err)) < 0 ||
			 (ret = count(root, "retry", &r->retry, err)) < 0 ||
			 (ret = count(root, "dead", &r->dead, err)) < 0))
		goto out;
out:
	json_doc_release(&doc);
	return ret;
}
