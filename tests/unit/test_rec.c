/* Unit tests for lib/rec: ids, timestamps, parsing, validation and the
 * canonical line. */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "rec.h"
#include "rec_rollup.h"
#include "rec_run.h"
#include "t.h"

struct bad {
	const char *in;
	const char *msg; /* prefix of the expected message */
};

static const struct bad bads[] = {
	{ "[1]", "a record must be a JSON object" },
	{ "{\"method\":\"GET\"", "invalid JSON: byte" },
	{ "{\"url\":\"http://h/\"}", "field 'method': missing" },
	{ "{\"method\":\"GET\"}", "field 'url': missing" },
	{ "{\"method\":\"G ET\",\"url\":\"http://h/\"}", "field 'method': not an HTTP method token" },
	{ "{\"method\":\"GET\",\"url\":\"ftp://h/\"}", "field 'url': not an absolute http or https URL" },
	{ "{\"method\":\"GET\",\"url\":\"http:///x\"}", "field 'url': no valid host" },
	{ "{\"method\":\"GET\",\"url\":\"http://h:0/\"}", "field 'url': the port is not 1 to 65535" },
	{ "{\"method\":\"GET\",\"url\":\"http://h:65536/\"}", "field 'url': the port is not 1 to 65535" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/a b\"}", "field 'url': a space, a control byte" },
	{ "{\"method\":\"GET\",\"url\":\"http://[::1:80/\"}", "field 'url': no valid host" },
	/* the last one won: POST was stored as GET */
	{ "{\"method\":\"POST\",\"url\":\"http://h/\",\"method\":\"GET\"}", "field 'method' given twice" },
	{ "{\"method\":\"POST\",\"url\":\"http://h/\",\"failure\":{\"type\":\"a\",\"type\":\"b\"}}", "field 'failure.type' given twice" },
	{ "{\"method\":\"POST\",\"url\":\"http://h/\",\"tags\":{\"a\":\"1\",\"a\":\"2\"}}", "field 'tags.a' given twice" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"headers\":[[\"A\",\"x\\r\\nB: y\"]]}", "field 'headers' entry 1 ('A'): value contains CR, LF, NUL" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"headers\":[[\"A\",\"x\\u0000\"]]}", "field 'headers' entry 1 ('A'): value contains" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"headers\":[[\"A B\",\"x\"]]}", "field 'headers' entry 1: name is not a token" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"headers\":[[\"A\"]]}", "field 'headers' entry 1: must be a [name, value] pair" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"headers\":{\"A\":1}}", "field 'headers.A': value must be a string" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"headers\":\"A: b\"}", "field 'headers': must be an array" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"body\":\"a\",\"body_b64\":\"YQ==\"}", "fields 'body' and 'body_b64' exclude each other" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"body_b64\":\"Y*==\"}", "field 'body_b64':" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"body\":5}", "field 'body': must be a string" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"failure\":{\"type\":\"Bad Type\"}}", "field 'failure.type'" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"failure\":{\"status\":1000}}", "field 'failure.status'" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"failure\":{\"code\":1}}", "unknown field 'failure.code'" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"attempts\":-1}", "field 'attempts'" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"attempts\":1.5}", "field 'attempts'" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"tags\":{\"a\":1}}", "field 'tags.a': must be a string" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"captured_at\":\"yesterday\"}", "field 'captured_at'" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"v\":2}", "field 'v': schema version 1 expected" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"id\":\"01JDZ0000000000000000000000\"}", "field 'id': ids are assigned by rd-capture" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"bogus\":1}", "unknown field 'bogus'" },
	{ "{\"method\":\"GET\",\"url\":\"http://h/\",\"idempotency_key\":\"a\\nb\"}", "field 'idempotency_key'" },
};

static int starts(const char *s, const char *pre)
{
	return strncmp(s, pre, strlen(pre)) == 0;
}

/* A record with n copies of item in field (an array or object), stored
 * (with an id) or as capture input. */
static void many(struct buf *b, int stored, const char *field, int n,
		 const char *open, const char *item, const char *close)
{
	buf_reset(b);
	buf_adds(b, stored ? "{\"id\":\"01JDZ00000000000000000000A\"," : "{");
	buf_adds(b, "\"method\":\"GET\",\"url\":\"http://h/\",\"");
	buf_adds(b, field);
	buf_adds(b, "\":");
	buf_adds(b, open);
	for (int i = 0; i < n; i++)
		buf_addf(b, i ? ",%s" : "%s", item);
	buf_adds(b, close);
	buf_adds(b, "}");
}

/* Every dimension of a record has a limit, for input and stored lines
 * alike, and a line of far more than a record holds is refused before
 * its tree is built (the message names the field and the limit). */
static void test_limits(struct rec_parser *p)
{
	struct rec_req r;
	struct rd_err err;
	struct buf b, v;
	char item[64];

	buf_init(&b);
	buf_init(&v);
	for (int stored = 0; stored < 2; stored++) {
		many(&b, stored, "headers", REC_MAX_HEADERS, "[", "[\"a\",\"\"]", "]");
		T_OK(rec_req_parse(p, b.data, b.len, stored, &r, &err) == 0 &&
		     r.nhdrs == REC_MAX_HEADERS, "headers up to the limit");
		many(&b, stored, "headers", REC_MAX_HEADERS + 1, "[", "[\"a\",\"\"]", "]");
		T_OK(rec_req_parse(p, b.data, b.len, stored, &r, &err) < 0, "one more: refused");
		T_EQ_STR(err.msg, "field 'headers': more than 200 headers", "named");
		many(&b, stored, "headers", 100000, "[", "[\"a\",\"\"]", "]");
		T_OK(rec_req_parse(p, b.data, b.len, stored, &r, &err) < 0, "100000: refused");
		T_EQ_STR(err.msg, "field 'headers': more than 200 headers", "the same way");
		T_OK(p->hcap <= REC_MAX_HEADERS, "and never held");
		many(&b, stored, "headers", REC_MAX_HEADERS + 1, "{", "\"a\":\"\"", "}");
		T_OK(rec_req_parse(p, b.data, b.len, stored, &r, &err) < 0 &&
		     strcmp(err.msg, "field 'headers': more than 200 headers") == 0,
		     "headers as an object too");
		for (int i = 0; i < REC_MAX_TAGS + 1; i++) {
			snprintf(item, sizeof(item), "\"k%d\":\"v\"", i);
			buf_addf(&v, "%s%s", i ? "," : "", item);
		}
		many(&b, stored, "tags", 1, "{", v.data, "}");
		buf_reset(&v);
		T_OK(rec_req_parse(p, b.data, b.len, stored, &r, &err) < 0, "tags over the limit");
		T_EQ_STR(err.msg, "field 'tags': more than 100 tags", "named");
		many(&b, stored, "x", 5000, "[", "0", "]");
		T_OK(rec_req_parse(p, b.data, b.len, stored, &r, &err) < 0, "a big unknown field");
		T_OK(strstr(err.msg, "field 'x': more than ") != NULL, "named by its field");
	}
	buf_adds(&v, "[[\"a\",\"");
	for (int i = 0; i < REC_MAX_HDR_VALUE + 1; i++)
		buf_addc(&v, 'x');
	buf_adds(&v, "\"]]");
	many(&b, 0, "headers", 1, "", v.data, "");
	T_OK(rec_req_parse(p, b.data, b.len, 0, &r, &err) < 0, "a header value over the limit");
	T_EQ_STR(err.msg, "field 'headers' entry 1 ('a'): value longer than 65536 bytes", "named");
	buf_reset(&v);
	buf_adds(&v, "{\"t\":\"");
	for (int i = 0; i < REC_MAX_TAG_VALUE + 1; i++)
		buf_addc(&v, 'x');
	buf_adds(&v, "\"}");
	many(&b, 0, "tags", 1, "", v.data, "");
	T_OK(rec_req_parse(p, b.data, b.len, 0, &r, &err) < 0, "a tag value over the limit");
	T_EQ_STR(err.msg, "field 'tags.t': value longer than 4096 bytes", "named");
	buf_release(&b);
	buf_release(&v);
}

static int cmp_id(const void *x, const void *y)
{
	return strcmp(x, y);
}

/* The run line: written, peeked, parsed back; not a request or event. */
static void test_run(void)
{
	struct rec_run r, back;
	struct rd_err err;
	struct buf out;
	const char *bad = "{\"v\":1,\"kind\":\"run\",\"id\":\"01M85VK3Q0J6Y2T8C1B4D7E9FA\",\"at\":\"yesterday\"}";
	const char *neg = "{\"v\":1,\"kind\":\"run\",\"id\":\"01M85VK3Q0J6Y2T8C1B4D7E9FA\",\"at\":\"2026-11-30T04:00:00.000Z\",\"pending\":-1}";

	buf_init(&out);
	memset(&r, 0, sizeof(r));
	memcpy(r.id, "01M85VK3Q0J6Y2T8C1B4D7E9FA", REC_ID_LEN + 1);
	r.at_ms = 1796011200250LL;
	r.pid = 1234;
	r.rate = 98.46;
	r.rate_limit = 100;
	r.gate = REC_GATE_CLOSED;
	r.pending = 8800;
	r.sent = 1200;
	r.ok = 1180;
	r.retry = 15;
	r.dead = 5;
	rec_run_to_json(&out, &r);
	T_EQ_STR(out.data, "{\"v\":1,\"kind\":\"run\",\"id\":\"01M85VK3Q0J6Y2T8C1B4D7E9FA\","
		 "\"at\":\"2026-11-30T04:00:00.250Z\",\"pid\":1234,\"state\":\"running\","
		 "\"rate\":98.5,\"rate_limit\":100,\"gate\":\"closed\",\"pending\":8800,"
		 "\"sent\":1200,\"ok\":1180,\"retry\":15,\"dead\":5}\n",
		 "a run line, as redrive-spool(5) shows it");
	T_OK(rec_run_peek(out.data, out.len), "it peeks as a run line");
	T_EQ_INT(rec_kind_peek(out.data, out.len), REC_UNKNOWN,
		 "and as no request or event, so the lifecycle skips it");
	r.ended = 1;
	r.gate = REC_GATE_OPEN;
	buf_reset(&out);
	rec_run_to_json(&out, &r);
	T_OK(rec_run_parse(out.data, out.len - 1, &back, &err) == 0 &&
	     back.at_ms == r.at_ms && back.pid == 1234 && back.rate == 98.5 &&
	     back.rate_limit == 100 && back.gate == REC_GATE_OPEN &&
	     back.pending == 8800 && back.dead == 5 && back.ended == 1 &&
	     strcmp(back.id, r.id) == 0, "it parses back, ended");
	T_OK(rec_run_parse(bad, strlen(bad), &back, &err) == RD_E_INVAL &&
	     strstr(err.msg, "'at'") != NULL, "a bad time names the field");
	T_OK(rec_run_parse(neg, strlen(neg), &back, &err) == RD_E_INVAL &&
	     strstr(err.msg, "'pending'") != NULL, "a negative count names the field");
	T_OK(!rec_run_peek("{\"v\":1,\"kind\":\"request\"", 26), "a request is no run line");
	buf_release(&out);
}

/* The rollup line: written, peeked, parsed back; not a request or event;
 * counts that cannot be refused. */
static void test_rollup(void)
{
	struct rec_rollup r, back;
	struct rd_err err;
	struct buf out;
	const char *more = "{\"v\":1,\"kind\":\"rollup\",\"id\":\"01M85VK3Q0J6Y2T8C1B4D7E9FA\",\"at\":\"2026-11-30T04:00:00.000Z\",\"requests\":2,\"ok\":2,\"dead\":1,\"sends\":3,\"sends_ok\":2,\"sends_retry\":1,\"sends_permanent\":0,\"replayed\":2}";
	const char *none = "{\"v\":1,\"kind\":\"rollup\",\"id\":\"01M85VK3Q0J6Y2T8C1B4D7E9FA\",\"at\":\"2026-11-30T04:00:00.000Z\",\"requests\":2}";

	buf_init(&out);
	memset(&r, 0, sizeof(r));
	memcpy(r.id, "01M85VK3Q0J6Y2T8C1B4D7E9FA", REC_ID_LEN + 1);
	r.at_ms = 1796011200250LL;
	r.requests = 1000;
	r.ok = 990;
	r.dead = 10;
	r.sends = 1046;
	r.sends_ok = 990;
	r.sends_retry = 50;
	r.sends_permanent = 6;
	r.replayed = 1000;
	r.first_ms = 1796011100000LL;
	r.last_ms = 1796011150000LL;
	rec_rollup_to_json(&out, &r);
	T_EQ_STR(out.data, "{\"v\":1,\"kind\":\"rollup\",\"id\":\"01M85VK3Q0J6Y2T8C1B4D7E9FA\","
		 "\"at\":\"2026-11-30T04:00:00.250Z\",\"requests\":1000,\"ok\":990,\"dead\":10,"
		 "\"sends\":1046,\"sends_ok\":990,\"sends_retry\":50,\"sends_permanent\":6,"
		 "\"replayed\":1000,\"first\":\"2026-11-30T03:58:20.000Z\","
		 "\"last\":\"2026-11-30T03:59:10.000Z\"}\n",
		 "a rollup line, as redrive-spool(5) shows it");
	T_OK(rec_rollup_peek(out.data, out.len), "it peeks as a rollup line");
	T_OK(!rec_run_peek(out.data, out.len), "and not as a run line");
	T_EQ_INT(rec_kind_peek(out.data, out.len), REC_UNKNOWN,
		 "nor as a request or event, so the lifecycle skips it");
	T_OK(rec_rollup_parse(out.data, out.len - 1, &back, &err) == 0 &&
	     memcmp(&back, &r, sizeof(r)) == 0, "it parses back whole");
	T_OK(rec_rollup_parse(more, strlen(more), &back, &err) == RD_E_INVAL &&
	     strstr(err.msg, "'requests'") != NULL, "more ok and dead than requests is refused");
	T_OK(rec_rollup_parse(none, strlen(none), &back, &err) == RD_E_INVAL &&
	     strstr(err.msg, "'ok'") != NULL, "a count left out names the field");
	buf_release(&out);
}

/* One generator: valid ids that carry their time and always increase. */
static void test_ids(struct rec_idgen *g)
{
	char a[REC_ID_LEN + 1], b[REC_ID_LEN + 1];
	struct rd_err err;
	size_t i;
	int mono = 1;

	T_OK(rec_idgen_init(g, &err) == 0, "idgen seeds");
	rec_id_next(g, 1700000000123, a);
	T_OK(rec_id_valid(a, strlen(a)), "id is valid");
	T_EQ_INT(rec_id_ms(a), 1700000000123, "id carries its time");
	for (i = 0; i < 10000; i++) {
		rec_id_next(g, i < 5000 ? 1700000000123 : 1700000000000, b);
		if (strcmp(b, a) <= 0)
			mono = 0;
		memcpy(a, b, sizeof(a));
	}
	T_OK(mono, "ids strictly increase, even when the clock steps back");
}

/* Concurrent writers: many generators in the same milliseconds (the case
 * of eight rd-capture processes started together) never produce the same
 * id. */
static void test_id_collisions(void)
{
	enum { GENS = 64, MSS = 50, PER = 4 };
	static char ids[GENS * MSS * PER][REC_ID_LEN + 1];
	struct rec_idgen gs[GENS];
	struct rd_err err;
	size_t i, k = 0, dup = 0;

	for (int j = 0; j < GENS; j++)
		rec_idgen_init(&gs[j], &err);
	for (int m = 0; m < MSS; m++)
		for (int j = 0; j < GENS; j++)
			for (int q = 0; q < PER; q++)
				rec_id_next(&gs[j], 1700000000000 + m, ids[k++]);
	qsort(ids, k, sizeof(ids[0]), cmp_id);
	for (i = 1; i < k; i++)
		dup += strcmp(ids[i - 1], ids[i]) == 0;
	T_EQ_INT(dup, 0, "no two generators collide in the same millisecond");
}

/* What is not an id. */
static void test_bad_ids(void)
{
	T_OK(!rec_id_valid("01JDZ00000000000000000000I", 26), "I is not Crockford");
	T_OK(!rec_id_valid("81JDZ000000000000000000000", 26), "first digit <= 7");
	T_OK(!rec_id_valid("01JDZ", 5), "short id refused");
}

/* Timestamps formatted, and parsed with offsets, short fractions and
 * what is not a timestamp. */
static void test_times(void)
{
	char t[REC_TIME_LEN + 1];
	int64_t ms;

	rec_time_fmt(0, t);
	T_EQ_STR(t, "1970-01-01T00:00:00.000Z", "epoch formats");
	rec_time_fmt(1732406400123, t);
	T_EQ_STR(t, "2024-11-24T00:00:00.123Z", "time formats with ms");
	T_OK(rec_time_parse(t, strlen(t), &ms) == 0 && ms == 1732406400123,
	     "time round trip");
	T_OK(rec_time_parse("2024-11-24T02:00:00+02:00", 25, &ms) == 0 &&
	     ms == 1732406400000, "offset applied");
	T_OK(rec_time_parse("9999-12-31T23:59:59.9999-23:59", 30, &ms) < 0,
	     "a time an offset carries past 9999 in UTC is refused");
	T_OK(rec_time_parse("0000-01-01T00:00:00+00:01", 25, &ms) < 0,
	     "and before 0000");
	T_OK(rec_time_parse("9999-12-31T23:59:59Z", 20, &ms) == 0 &&
	     ms == 253402300799000LL, "9999-12-31T23:59:59Z is the last");
	T_OK(rec_time_parse("2024-11-24T00:00:00.5Z", 22, &ms) == 0 &&
	     ms == 1732406400500, "short fraction");
	T_OK(rec_time_parse("2024-13-01T00:00:00Z", 20, &ms) < 0, "month 13");
	T_OK(rec_time_parse("2024-11-24T00:00:00", 19, &ms) < 0, "no zone");
	T_OK(rec_time_parse("2024-11-24T00:00:00Zx", 21, &ms) < 0, "garbage");
}

/* Each bad record is refused with its message. */
static void test_bad_records(struct rec_parser *p)
{
	struct rec_req r;
	struct rd_err err;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		int rc = rec_req_parse(p, bads[i].in, strlen(bads[i].in), 0, &r,
				       &err);

		T_OK(rc == RD_E_INVAL && starts(err.msg, bads[i].msg), bads[i].msg);
		if (rc != RD_E_INVAL || !starts(err.msg, bads[i].msg))
			printf("#   input %s\n#   got %d '%s'\n", bads[i].in, rc,
			       err.msg);
	}
}

/* A full record: its canonical line, read back as a stored line. */
static void test_canonical(struct rec_parser *p, struct rec_idgen *g)
{
	const char *in =
		"{\"method\":\"POST\",\"url\":\"http://127.0.0.1:8080/x?a=1\","
		"\"headers\":[[\"X-A\",\"1\"],[\"X-A\",\"2\"],[\"Content-Type\",\"text/plain\"]],"
		"\"body\":\"hi \\\"there\\\"\",\"failure\":{\"type\":\"http_503\",\"status\":503,\"message\":\"busy\"},"
		"\"attempts\":2,\"tags\":{\"svc\":\"pay\"},\"captured_at\":\"2024-11-24T00:00:00Z\"}";
#define WANT_TAIL \
		"\"captured_at\":\"2024-11-24T00:00:00.000Z\",\"method\":\"POST\"," \
		"\"url\":\"http://127.0.0.1:8080/x?a=1\",\"headers\":[[\"X-A\",\"1\"],[\"X-A\",\"2\"]," \
		"[\"Content-Type\",\"text/plain\"]],\"body\":\"hi \\\"there\\\"\"," \
		"\"failure\":{\"type\":\"http_503\",\"status\":503,\"message\":\"busy\"}," \
		"\"attempts\":2,\"idempotency_key\":\"%s\",\"tags\":{\"svc\":\"pay\"}}\n"
	char want[1024], line[4096];
	struct rec_req r;
	struct rd_err err;
	struct buf out;

	buf_init(&out);
	T_OK(rec_req_parse(p, in, strlen(in), 0, &r, &err) == 0,
	     "full record parses");
	rec_id_next(g, rec_now_ms(), r.id);
	rec_req_to_json(&out, &r);
	snprintf(want, sizeof(want), "{\"v\":1,\"kind\":\"request\",\"id\":\"%s\",", r.id);
	snprintf(want + strlen(want), sizeof(want) - strlen(want), WANT_TAIL, r.id);
	T_EQ_STR(out.data, want, "canonical line, duplicates and order kept");
	T_EQ_INT(rec_kind_peek(out.data, out.len), REC_REQUEST, "peek request");
	/* Read it back as a stored line and write it again. */
	snprintf(line, sizeof(line), "%.*s", (int)out.len - 1, out.data);
	T_OK(rec_req_parse(p, line, strlen(line), 1, &r, &err) == 0,
	     "stored line parses");
	buf_reset(&out);
	rec_req_to_json(&out, &r);
	T_EQ_STR(out.data, want, "stored line round-trips byte for byte");
	T_OK(rec_req_parse(p, line, strlen(line), 0, &r, &err) < 0,
	     "a stored line is not capture input (it has an id)");
	buf_release(&out);
}

/* A binary body goes out as base64 and comes back identical. */
static void test_binary_body(struct rec_parser *p, struct rec_idgen *g)
{
	unsigned char bin[256];
	struct buf js, b64;
	char id[REC_ID_LEN + 1];
	struct rec_req r;
	struct rd_err err;
	struct buf out;
	size_t i;

	for (i = 0; i < 256; i++)
		bin[i] = (unsigned char)(255 - i);
	buf_init(&js);
	buf_init(&b64);
	buf_init(&out);
	b64_encode(&b64, bin, sizeof(bin));
	buf_addf(&js, "{\"method\":\"PUT\",\"url\":\"https://h/b\",\"body_b64\":\"%s\"}",
		 b64.data);
	T_OK(rec_req_parse(p, js.data, js.len, 0, &r, &err) == 0,
	     "binary record parses");
	rec_id_next(g, rec_now_ms(), r.id);
	memcpy(id, r.id, sizeof(id));
	buf_reset(&out);
	rec_req_to_json(&out, &r);
	T_OK(strstr(out.data, "\"body_b64\":") != NULL, "binary stored as base64");
	T_OK(strstr(out.data, "\"failure\":{\"type\":\"unknown\"}") != NULL,
	     "failure type defaults to unknown");
	T_OK(rec_req_parse(p, out.data, out.len - 1, 1, &r, &err) == 0,
	     "binary stored line parses");
	T_OK(r.body.n == 256 && memcmp(r.body.p, bin, 256) == 0,
	     "binary body round-trips");
	T_EQ_STR(r.id, id, "id kept");
	buf_release(&js);
	buf_release(&b64);
	buf_release(&out);
}

/* Headers as an object are accepted and stored as pairs. */
static void test_object_headers(struct rec_parser *p, struct rec_idgen *g)
{
	const char *in = "{\"method\":\"GET\",\"url\":\"http://[::1]:9/\",\"headers\":{\"A\":\"1\",\"B\":\"2\"}}";
	struct rec_req r;
	struct rd_err err;
	struct buf out;

	buf_init(&out);
	T_OK(rec_req_parse(p, in, strlen(in), 0, &r, &err) == 0,
	     "object headers and IPv6 host");
	T_EQ_INT(r.nhdrs, 2, "two headers");
	rec_id_next(g, rec_now_ms(), r.id);
	r.captured_ms = 1;
	buf_reset(&out);
	rec_req_to_json(&out, &r);
	T_OK(strstr(out.data, "\"headers\":[[\"A\",\"1\"],[\"B\",\"2\"]]") != NULL,
	     "object headers become pairs");
	buf_release(&out);
}

/* Attempt and dead events round-trip; a bad outcome is refused. */
static void test_events(struct rec_parser *p, struct rec_idgen *g)
{
	struct rec_event e, back;
	struct rd_err err;
	struct buf out;

	buf_init(&out);
	memset(&e, 0, sizeof(e));
	e.kind = REC_ATTEMPT;
	rec_id_next(g, rec_now_ms(), e.id);
	rec_id_next(g, rec_now_ms(), e.ref);
	e.at_ms = 1732406400123;
	e.attempt = 3;
	e.outcome = REC_OUT_RETRY;
	e.status = 503;
	e.latency_ms = 12.5;
	e.next_due_ms = 1732406460123;
	buf_reset(&out);
	rec_event_to_json(&out, &e);
	T_EQ_INT(rec_kind_peek(out.data, out.len), REC_ATTEMPT, "peek attempt");
	T_OK(rec_event_parse(p, out.data, out.len - 1, &back, &err) == 0,
	     "attempt parses");
	T_OK(back.kind == REC_ATTEMPT && back.attempt == 3 &&
	     back.status == 503 && back.latency_ms == 12.5 &&
	     back.next_due_ms == e.next_due_ms &&
	     strcmp(back.ref, e.ref) == 0 && back.outcome == REC_OUT_RETRY,
	     "attempt round-trips");
	T_OK(strstr(out.data, ",\"outcome\":\"retry\",") != NULL,
	     "the outcome is written as its name");
	{
		static const char *const bad[] = {
			"{\"v\":1,\"kind\":\"attempt\",\"id\":\"01JDZ00000000000000000000A\",\"ref\":\"01JDZ00000000000000000000B\",\"at\":\"2024-11-24T00:00:00.123Z\",\"attempt\":1,\"outcome\":\"maybe\"}",
			"{\"v\":1,\"kind\":\"attempt\",\"id\":\"01JDZ00000000000000000000A\",\"ref\":\"01JDZ00000000000000000000B\",\"at\":\"2024-11-24T00:00:00.123Z\",\"attempt\":1}",
		};
		T_OK(rec_event_parse(p, bad[0], strlen(bad[0]), &back, &err) == RD_E_INVAL &&
		     strstr(err.msg, "'outcome'") != NULL, "an unknown outcome names the field");
		T_OK(rec_event_parse(p, bad[1], strlen(bad[1]), &back, &err) == RD_E_INVAL &&
		     strstr(err.msg, "'outcome'") != NULL, "an attempt without one is refused");
	}
	e.kind = REC_DEAD;
	e.reason.p = "max attempts";
	e.reason.n = 12;
	buf_reset(&out);
	rec_event_to_json(&out, &e);
	T_EQ_INT(rec_kind_peek(out.data, out.len), REC_DEAD, "peek dead");
	T_OK(rec_event_parse(p, out.data, out.len - 1, &back, &err) == 0 &&
	     back.kind == REC_DEAD && back.reason.n == 12, "dead round-trips");
	T_EQ_INT(rec_kind_peek("{\"a\":1}", 7), REC_UNKNOWN, "peek unknown");
	buf_release(&out);
}

/* What a failed attempt keeps of its response, and an attempt from before
 * responses were kept. */
static void test_responses(struct rec_parser *p, struct rec_idgen *g)
{
	static const struct hdr rh[] = {
		{ "Content-Type", 12, "text/plain", 10 },
		{ "Retry-After", 11, "5", 1 }
	};
	static const char bin[] = { 'o', 'k', (char)0xff, 0 };
	static const char old_attempt[] =
		"{\"v\":1,\"kind\":\"attempt\",\"id\":\"01JDZ0000000000000000000ZZ\","
		"\"ref\":\"01JDZ00000000000000000000A\",\"at\":\"2026-11-25T00:00:00.000Z\","
		"\"attempt\":1,\"outcome\":\"retry\",\"status\":503,\"latency_ms\":1.5}";
	struct rec_event e, back;
	struct rd_err err;
	struct buf out;

	buf_init(&out);
	memset(&e, 0, sizeof(e));
	e.kind = REC_ATTEMPT;
	rec_id_next(g, rec_now_ms(), e.id);
	rec_id_next(g, rec_now_ms(), e.ref);
	e.at_ms = 1732406400123;
	e.attempt = 1;
	e.outcome = REC_OUT_RETRY;
	e.status = 503;
	e.has_response = 1;
	e.status_line.p = "HTTP/1.1 503 Service Unavailable";
	e.status_line.n = strlen(e.status_line.p);
	e.resp_hdrs = rh;
	e.nresp_hdrs = 2;
	e.resp_body.p = "down \"for\" now";
	e.resp_body.n = strlen(e.resp_body.p);
	e.resp_truncated = 1;
	buf_reset(&out);
	rec_event_to_json(&out, &e);
	T_OK(strstr(out.data, ",\"response\":{\"status_line\":\"HTTP/1.1 503 Service Unavailable\","
		    "\"headers\":[[\"Content-Type\",\"text/plain\"],[\"Retry-After\",\"5\"]],"
		    "\"body\":\"down \\\"for\\\" now\",\"body_truncated\":true}}") != NULL,
	     "the response is written in its canonical place and form");
	T_OK(rec_event_parse(p, out.data, out.len - 1, &back, &err) == 0 &&
	     back.has_response && back.status_line.n == e.status_line.n &&
	     back.nresp_hdrs == 2 && back.resp_hdrs[1].value_len == 1 &&
	     back.resp_hdrs[1].value[0] == '5' && back.resp_truncated &&
	     back.resp_body.n == e.resp_body.n &&
	     memcmp(back.resp_body.p, e.resp_body.p, e.resp_body.n) == 0,
	     "the response round-trips");
	e.resp_body.p = bin;
	e.resp_body.n = 3;
	e.resp_truncated = 0;
	buf_reset(&out);
	rec_event_to_json(&out, &e);
	T_OK(strstr(out.data, "\"body_b64\":\"b2v/\"}") != NULL, "a body that is not UTF-8 is base64");
	T_OK(rec_event_parse(p, out.data, out.len - 1, &back, &err) == 0 &&
	     back.resp_body.n == 3 && memcmp(back.resp_body.p, bin, 3) == 0 &&
	     !back.resp_truncated, "and comes back as its bytes");
	T_OK(rec_event_parse(p, old_attempt, strlen(old_attempt), &back, &err) == 0 &&
	     !back.has_response && back.nresp_hdrs == 0 && back.status == 503,
	     "an attempt written before responses were kept still parses");
	buf_release(&out);
}

/* Who revived and which revive it is, and a revive from before those
 * were kept. */
static void test_revives(struct rec_parser *p, struct rec_idgen *g)
{
	static const char old_revive[] =
		"{\"v\":1,\"kind\":\"revive\",\"id\":\"01JDZ0000000000000000000ZZ\","
		"\"ref\":\"01JDZ00000000000000000000A\",\"at\":\"2026-11-25T00:00:00.000Z\","
		"\"reason\":\"revived by rd-replay --revive\"}";
	struct rec_event e, back;
	struct rd_err err;
	struct buf out;

	buf_init(&out);
	memset(&e, 0, sizeof(e));
	e.kind = REC_REVIVE;
	rec_id_next(g, rec_now_ms(), e.id);
	rec_id_next(g, rec_now_ms(), e.ref);
	e.at_ms = 1732406400123;
	e.reason.p = "INC-7 fixed";
	e.reason.n = 11;
	e.user.p = "alice";
	e.user.n = 5;
	e.revives = 2;
	buf_reset(&out);
	rec_event_to_json(&out, &e);
	T_OK(strstr(out.data, ",\"reason\":\"INC-7 fixed\",\"user\":\"alice\",\"revives\":2}") != NULL,
	     "a revive says who and which revive it is");
	T_OK(rec_event_parse(p, out.data, out.len - 1, &back, &err) == 0 &&
	     back.kind == REC_REVIVE && back.revives == 2 && back.user.n == 5 &&
	     memcmp(back.user.p, "alice", 5) == 0, "the revive round-trips");
	T_OK(rec_event_parse(p, old_revive, strlen(old_revive), &back, &err) == 0 &&
	     back.revives == 0 && back.user.n == 0,
	     "a revive written before who and how often were kept still parses");
	buf_release(&out);
}

/* The id of a canonical request line, without parsing. */
static void test_id_peek(void)
{
	const char *req = "{\"v\":1,\"kind\":\"request\",\"id\":\"01M85VK3Q0J6Y2T8C1B4D7E9FA\",\"method\":\"GET\"}";
	const char *ev = "{\"v\":1,\"kind\":\"attempt\",\"id\":\"01M85VK3Q0J6Y2T8C1B4D7E9FA\"}";
	const char *moved = "{\"v\":1,\"kind\":\"request\",\"method\":\"GET\",\"id\":\"01M85VK3Q0J6Y2T8C1B4D7E9FA\"}";
	const char *longer = "{\"v\":1,\"kind\":\"request\",\"id\":\"01M85VK3Q0J6Y2T8C1B4D7E9FAX\"}";
	const char *idp = rec_request_id_peek(req, strlen(req));

	T_OK(idp && strncmp(idp, "01M85VK3Q0J6Y2T8C1B4D7E9FA", REC_ID_LEN) == 0,
	     "a canonical request line: its id");
	T_OK(!rec_request_id_peek(ev, strlen(ev)), "an event: none");
	T_OK(!rec_request_id_peek(moved, strlen(moved)), "id elsewhere: none, parse it");
	T_OK(!rec_request_id_peek(longer, strlen(longer)), "an id too long: none");
	T_OK(!rec_request_id_peek(req, 40), "cut short: none");
}

int main(void)
{
	struct rec_idgen g;
	struct rec_parser p;

	test_ids(&g);
	test_id_collisions();
	test_bad_ids();
	test_times();
	rec_parser_init(&p);
	test_bad_records(&p);
	test_canonical(&p, &g);
	test_binary_body(&p, &g);
	test_object_headers(&p, &g);
	test_events(&p, &g);
	test_responses(&p, &g);
	test_revives(&p, &g);
	test_limits(&p);
	test_run();
	test_rollup();
	test_id_peek();
	rec_parser_release(&p);
	return t_done();
}
