/* Unit tests for lib/prom: the query API answers that prom_query reads.
 * The answers follow the examples and formats of Prometheus's own API
 * documentation (prometheus/prometheus docs/querying/api.md: "Format
 * overview", "Instant queries", "Expression query result formats"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "t.h"

struct acase {
	const char *name, *text;
	int ret;            /* 0, RD_E_INVAL, RD_E_IO or RD_E_CORRUPT */
	size_t n;
	double v[3];
	const char *why;    /* part of the message when refused */
};

/* docs/querying/api.md */
static const struct acase cases[] = {
	{ "the instant query example: up, a vector of two series",
	  "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	  "{\"metric\":{\"__name__\":\"up\",\"job\":\"prometheus\",\"instance\":\"localhost:9090\"},"
	  "\"value\":[1435781451.781,\"1\"]},"
	  "{\"metric\":{\"__name__\":\"up\",\"job\":\"node\",\"instance\":\"localhost:9100\"},"
	  "\"value\":[1435781451.781,\"0\"]}]}}", 0, 2, { 1, 0 }, NULL },
	{ "a scalar: [ <unix_time>, \"<scalar_value>\" ]",
	  "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1435781451.781,\"0.25\"]}}",
	  0, 1, { 0.25 }, NULL },
	{ "an empty vector: no data",
	  "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}",
	  0, 0, { 0 }, NULL },
	{ "sample values as Go writes them: +Inf, -Inf, NaN, exponents",
	  "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	  "{\"metric\":{},\"value\":[1,\"+Inf\"]},{\"metric\":{},\"value\":[1,\"-Inf\"]},"
	  "{\"metric\":{},\"value\":[1,\"1.5e-07\"]}]}}", 0, 3, { INFINITY, -INFINITY, 1.5e-7 }, NULL },
	{ "warnings beside the data are no error",
	  "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"2\"]},"
	  "\"warnings\":[\"PromQL info: metric might not be a counter\"],\"infos\":[]}",
	  0, 1, { 2 }, NULL },
	{ "an error envelope: errorType and error",
	  "{\"status\":\"error\",\"errorType\":\"bad_data\","
	  "\"error\":\"invalid parameter \\\"query\\\": 1:1: parse error: unexpected end of input\"}",
	  RD_E_INVAL, 0, { 0 }, "rejected the query: invalid parameter \"query\": 1:1: parse error" },
	{ "a range vector is not an instant",
	  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}",
	  RD_E_INVAL, 0, { 0 }, "gives a matrix" },
	{ "a string result",
	  "{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[1,\"hello\"]}}",
	  RD_E_INVAL, 0, { 0 }, "gives a string" },
	{ "a value that is not a number",
	  "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"0x10\"]}}",
	  RD_E_CORRUPT, 0, { 0 }, "malformed value" },
	{ "no data member", "{\"status\":\"success\"}", RD_E_CORRUPT, 0, { 0 }, "without data" },
	{ "an error that may pass: a timeout",
	  "{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out in query execution\"}",
	  RD_E_IO, 0, { 0 }, "rejected the query: query timed out" },
	{ "an HTML error page", "<html><body>502 Bad Gateway</body></html>",
	  RD_E_CORRUPT, 0, { 0 }, "not a query API answer" },
	{ "an empty body", "", RD_E_CORRUPT, 0, { 0 }, "not a query API answer" },
};

static int same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct acase *c = &cases[i];
		struct rd_err err = { 0 };
		double *v = NULL;
		size_t n = 99;
		int ret = prom_answer(c->text, strlen(c->text), &v, &n, &err);
		int ok = ret == c->ret;

		if (ret == 0) {
			ok &= n == c->n;
			for (size_t k = 0; ok && k < n; k++)
				ok &= same(v[k], c->v[k]);
		} else {
			ok &= !v && n == 0 && c->why && strstr(err.msg, c->why) != NULL;
		}
		if (!T_OK(ok, c->name))
			printf("#   ret %d, n %zu, '%s'\n", ret, n, err.msg);
		free(v);
	}
	return t_done();
}
