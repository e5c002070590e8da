/* Unit tests for lib/sel: each filter alone and together, and --since
 * parsing. */
#include <string.h>

#include "rec.h"
#include "sel.h"
#include "t.h"

static const char line[] =
	"{\"v\":1,\"kind\":\"request\",\"id\":\"01JDZ00000000000000000000A\","
	"\"captured_at\":\"2026-11-25T10:00:00.000Z\",\"method\":\"POST\","
	"\"url\":\"http://h/v1/pay/42\",\"headers\":[],\"body\":\"{\\\"n\\\":7}\","
	"\"failure\":{\"type\":\"http_503\",\"status\":503},\"attempts\":0,"
	"\"idempotency_key\":\"01JDZ00000000000000000000A\"}";

static int match(const struct sel_opts *o, const char *add_id)
{
	struct rec_parser rp;
	struct rec_req r;
	struct sel *s;
	struct rd_err err;
	int m;

	if (sel_new(o, &s, &err) < 0)
		return -9;
	if (add_id)
		sel_add_id(s, add_id);
	rec_parser_init(&rp);
	rec_req_parse(&rp, line, strlen(line), 1, &r, &err);
	m = sel_match(s, &r, line, strlen(line), &err);
	/* twice: a filter leaves no state behind */
	m = m == sel_match(s, &r, line, strlen(line), &err) ? m : -8;
	rec_parser_release(&rp);
	sel_free(s);
	return m;
}

int main(void)
{
	struct sel_opts o;
	struct sel *s;
	struct rd_err err;
	const char *f503[] = { "http_5*" }, *ftime[] = { "timeout", "dns" };
	int64_t t;

	memset(&o, 0, sizeof(o));
	T_EQ_INT(match(&o, NULL), 1, "no filter selects");
	o.match_url = "/pay/[0-9]+$";
	T_EQ_INT(match(&o, NULL), 1, "url regex matches");
	o.match_url = "/refund/";
	T_EQ_INT(match(&o, NULL), 0, "url regex does not");
	o.match_url = NULL;
	o.where = ".body | fromjson | .n == 7";
	T_EQ_INT(match(&o, NULL), 1, "jq true");
	o.where = ".failure.status == 500";
	T_EQ_INT(match(&o, NULL), 0, "jq false");
	o.where = ".nothing";
	T_EQ_INT(match(&o, NULL), 0, "jq null is false");
	o.where = "error(\"boom\")";
	T_OK(match(&o, NULL) < 0, "a jq runtime error is reported");
	o.where = NULL;
	o.failures = f503;
	o.nfailures = 1;
	T_EQ_INT(match(&o, NULL), 1, "failure pattern");
	o.failures = ftime;
	o.nfailures = 2;
	T_EQ_INT(match(&o, NULL), 0, "other failure types");
	o.nfailures = 0;
	rec_time_parse("2026-11-25T09:00:00Z", 20, &o.since_ms);
	rec_time_parse("2026-11-25T10:00:00Z", 20, &o.until_ms);
	T_EQ_INT(match(&o, NULL), 0, "until is exclusive");
	o.until_ms += 1;
	T_EQ_INT(match(&o, NULL), 1, "inside the window");
	o.since_ms = o.until_ms;
	T_EQ_INT(match(&o, NULL), 0, "since is inclusive of later only");
	memset(&o, 0, sizeof(o));
	T_EQ_INT(match(&o, "01JDZ00000000000000000000A"), 1, "id in the set");
	T_EQ_INT(match(&o, "01JDZ00000000000000000000B"), 0, "id not in the set");

	o.where = ".[";
	T_OK(sel_new(&o, &s, &err) < 0, "bad jq refused");
	o.where = NULL;
	o.match_url = "(";
	T_OK(sel_new(&o, &s, &err) < 0 && strstr(err.msg, "offset"), "bad regex names the offset");

	T_EQ_INT(sel_parse_time("2h", 10000000, &t, &err), 0, "duration ago");
	T_EQ_INT(t, 10000000 - 7200000, "2h before now");
	T_EQ_INT(sel_parse_time("2026-11-25T10:00:00Z", 0, &t, &err), 0, "RFC 3339");
	T_OK(sel_parse_time("yesterday", 0, &t, &err) < 0, "garbage refused");
	return t_done();
}
