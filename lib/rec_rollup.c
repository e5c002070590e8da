/*
 * rec_rollup.c - the rollup line of the spool schema (see rec_rollup.h).
 */
#include <string.h>

#include "json.h"
#include "rec_line.h"
#include "rec_rollup.h"
#include "banned.h"

static const char prefix[] = REC_LINE_PREFIX "rollup\"";

int rec_rollup_peek(const char *line, size_t n)
{
	return n >= sizeof(prefix) - 1 &&
	       memcmp(line, prefix, sizeof(prefix) - 1) == 0;
}

void rec_rollup_to_json(struct buf *out, const struct rec_rollup *r)
{
	rec_line_head(out, "rollup", r->id);
	rec_line_time(out, "at", r->at_ms);
	buf_addf(out, ",\"requests\":%llu,\"ok\":%llu,\"dead\":%llu,\"sends\":%llu,"
		 "\"sends_ok\":%llu,\"sends_retry\":%llu,\"sends_permanent\":%llu,"
		 "\"replayed\":%llu", (unsigned long long)r->requests,
		 (unsigned long long)r->ok, (unsigned long long)r->dead,
		 (unsigned long long)r->sends, (unsigned long long)r->sends_ok,
		 (unsigned long long)r->sends_retry,
		 (unsigned long long)r->sends_permanent, (unsigned long long)r->replayed);
	if (r->first_ms)
		rec_line_time(out, "first", r->first_ms);
	if (r->last_ms)
		rec_line_time(out, "last", r->last_ms);
	buf_adds(out, "}\n");
}

static int count(const struct json_val *root, const char *key, uint64_t *out,
		 struct rd_err *err)
{
	const struct json_val *v = json_get(root, key);
	long long n;

	if (!v || json_int(v, 0, INT64_MAX, &n) < 0)
		return rd_err_set(err, RD_E_INVAL, "field '%s': not a count", key);
	*out = (uint64_t)n;
	return 0;
}

static int when(const struct json_val *root, const char *key, int64_t *out,
		int need, struct rd_err *err)
{
	const struct json_val *v = json_get(root, key);

	if (!v && !need)
		return 0;
	if (!v || v->type != JSON_STRING || rec_time_parse(v->str, v->len, out) < 0)
		return rd_err_set(err, RD_E_INVAL, "field '%s': not an RFC 3339 time", key);
	return 0;
}

int rec_rollup_parse(const char *line, size_t n, struct rec_rollup *r,
		     struct rd_err *err)
{
	struct json_doc doc;
	const struct json_val *root, *v;
	int ret;

	memset(r, 0, sizeof(*r));
	json_doc_init(&doc);
	if (!(root = json_parse(&doc, line, n, NULL, err))) {
		ret = RD_E_INVAL;
		goto out;
	}
	if ((v = json_get(root, "id")) && v->type == JSON_STRING &&
	    v->len == REC_ID_LEN)
		memcpy(r->id, v->str, REC_ID_LEN + 1);
	if ((ret = when(root, "at", &r->at_ms, 1, err)) < 0 ||
	    (ret = count(root, "requests", &r->requests, err)) < 0 ||
	    (ret = count(root, "ok", &r->ok, err)) < 0 ||
	    (ret = count(root, "dead", &r->dead, err)) < 0 ||
	    (ret = count(root, "sends", &r->sends, err)) < 0 ||
	    (ret = count(root, "sends_ok", &r->sends_ok, err)) < 0 ||
	    (ret = count(root, "sends_retry", &r->sends_retry, err)) < 0 ||
	    (ret = count(root, "sends_permanent", &r->sends_permanent, err)) < 0 ||
	    (ret = count(root, "replayed", &r->replayed, err)) < 0 ||
	    (ret = when(root, "first", &r->first_ms, 0, err)) < 0 ||
	    (ret = when(root, "last", &r->last_ms, 0, err)) < 0)
		goto out;
	if (r->ok + r->dead > r->requests || r->replayed > r->requests)
		ret = rd_err_set(err, RD_E_INVAL, "field 'requests': fewer than ok, dead or replayed");
out:
	json_doc_release(&doc);
	return ret;
}
