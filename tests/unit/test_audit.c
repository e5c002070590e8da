/* Unit tests for lib/audit: route folding, the group cap, and the fold of
 * a scripted history. */
#include <string.h>

#include "audit.h"
#include "rx.h"
#include "t.h"

static void route_is(const struct audit_opts *o, const char *method,
		     const char *url, const char *want)
{
	struct rec_req q;
	struct buf b;

	memset(&q, 0, sizeof(q));
	q.method.p = method;
	q.method.n = strlen(method);
	q.url.p = url;
	q.url.n = strlen(url);
	buf_init(&b);
	audit_route(o, &q, &b);
	T_EQ_STR(b.data, want, url);
	buf_release(&b);
}

static void line(struct audit *a, const char *s)
{
	struct spool_item it;

	memset(&it, 0, sizeof(it));
	it.line = s;
	it.len = strlen(s);
	audit_fold(a, &it);
}

int main(void)
{
	struct audit_opts o;
	struct audit_rule rule;
	struct audit a;
	struct rd_err err;
	struct buf b;
	uint32_t att;

	memset(&o, 0, sizeof(o));
	route_is(&o, "GET", "http://h/orders/123/items?x=1", "GET h/orders/:n/items");
	route_is(&o, "PUT", "https://h:8443/u/0b3f6c1e-8a2d-4c3e-9f10-123456789abc", "PUT h:8443/u/:uuid");
	route_is(&o, "GET", "http://h/r/01JDZ00000000000000000000A", "GET h/r/:ulid");
	route_is(&o, "GET", "http://h/blob/deadbeefdeadbeef00", "GET h/blob/:hex");
	route_is(&o, "GET", "http://h/v1/orders", "GET h/v1/orders");
	route_is(&o, "GET", "http://h", "GET h/");
	rx_new("/users/[^/]+", &rule.rx, &err);
	rule.repl = "/users/:user";
	o.rules = &rule;
	o.nrules = 1;
	route_is(&o, "GET", "http://h/users/alice/cart", "GET h/users/:user/cart");
	rx_free(rule.rx);

	/* a scripted history, and the group cap */
	memset(&o, 0, sizeof(o));
	o.max_groups = 1;
	o.now_ms = 1800000000000LL;
	audit_init(&a, &o);
	buf_init(&b);
	line(&a, "{\"v\":1,\"kind\":\"request\",\"id\":\"01JDZ00000000000000000000A\",\"captured_at\":\"2026-11-25T00:00:00.000Z\",\"method\":\"POST\",\"url\":\"http://h/a/1\",\"headers\":[],\"body\":\"\",\"failure\":{\"type\":\"http_503\"},\"attempts\":0,\"idempotency_key\":\"k\"}");
	line(&a, "{\"v\":1,\"kind\":\"request\",\"id\":\"01JDZ00000000000000000000B\",\"captured_at\":\"2026-11-25T00:00:01.000Z\",\"method\":\"GET\",\"url\":\"http://g/b\",\"headers\":[],\"body\":\"\",\"failure\":{\"type\":\"timeout\"},\"attempts\":0,\"idempotency_key\":\"k\"}");
	line(&a, "{\"v\":1,\"kind\":\"attempt\",\"id\":\"01JDZ0000000000000000000E1\",\"ref\":\"01JDZ00000000000000000000A\",\"at\":\"2026-11-25T00:01:00.000Z\",\"attempt\":1,\"outcome\":\"retry\",\"status\":503,\"latency_ms\":2.5,\"next_due\":\"2026-11-25T00:02:00.000Z\"}");
	line(&a, "{\"v\":1,\"kind\":\"attempt\",\"id\":\"01JDZ0000000000000000000E2\",\"ref\":\"01JDZ00000000000000000000A\",\"at\":\"2026-11-25T00:02:00.000Z\",\"attempt\":2,\"outcome\":\"ok\",\"status\":200,\"latency_ms\":1.5}");
	line(&a, "{\"v\":1,\"kind\":\"attempt\",\"id\":\"01JDZ0000000000000000000E3\",\"ref\":\"01JDZ00000000000000000000Q\",\"at\":\"2026-11-25T00:02:00.000Z\",\"attempt\":1,\"outcome\":\"ok\",\"status\":200,\"latency_ms\":1.5}");
	line(&a, "{\"v\":1,\"kind\":\"request\",\"id\":\"garbage\"}");
	audit_finish(&a);
	T_EQ_INT(a.s.requests, 2, "two requests");
	T_OK(a.s.ok == 1 && a.s.pending == 1 && a.s.due == 1, "states");
	T_OK(a.s.attempts == 2 && a.s.attempts_ok == 1 && a.s.attempts_retry == 1,
	     "attempts by outcome; one about an unknown request ignored");
	T_EQ_INT(a.s.replayed, 1, "one replayed");
	T_OK(audit_amplification(a.s.attempts, a.s.replayed) == 2, "amplification");
	T_EQ_INT(a.s.bad_lines, 1, "the bad line is counted");
	T_EQ_INT(audit_state_of(&a, "01JDZ00000000000000000000A", &att), AUDIT_OK, "state by id");
	T_EQ_INT(att, 2, "and its attempts");
	T_EQ_INT(a.s.by_route.n, 2, "one route, then (other)");
	T_EQ_STR(a.s.by_route.g[1].name, "(other)", "the cap's group");
	T_OK(a.s.by_attempts[0] == 1 && a.s.by_attempts[2] == 1, "by attempt count");
	T_EQ_INT(a.s.latency.n, 2, "latencies");
	audit_release(&a);
	buf_release(&b);
	return t_done();
}
