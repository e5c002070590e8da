/* Unit tests for lib/redact (URLs, header names, user patterns) and the
 * URL scanner it stands on, lib/url. */
#include <string.h>

#include "redact.h"
#include "url.h"
#include "t.h"

static const struct { const char *in, *want; } urls[] = {
	{ "https://user:pw@h.example/p", "https://[REDACTED]@h.example/p" },
	{ "https://ghp_tokenonly@github.example/x", "https://[REDACTED]@github.example/x" },
	{ "http://h/p?api_key=abc&page=2", "http://h/p?api_key=[REDACTED]&page=2" },
	{ "http://h/p?page=2&access_token=a.b.c#frag", "http://h/p?page=2&access_token=[REDACTED]#frag" },
	{ "http://h/p?X-Amz-Signature=ff&X-Amz-Credential=AK%2F1&x=1",
	  "http://h/p?X-Amz-Signature=[REDACTED]&X-Amz-Credential=[REDACTED]&x=1" },
	{ "http://h/?token=&password=p&secret=s&sig=1&key=k&pwd=q&code=c",
	  "http://h/?token=[REDACTED]&password=[REDACTED]&secret=[REDACTED]&sig=[REDACTED]&key=[REDACTED]&pwd=[REDACTED]&code=[REDACTED]" },
	{ "http://u:p@[::1]:8080/a?b=1&Token=z", "http://[REDACTED]@[::1]:8080/a?b=1&Token=[REDACTED]" },
	{ "http://h/p?tokenless", "http://h/p?tokenless" },
	{ "http://h/p?monkey=1&keys=2", "http://h/p?monkey=1&keys=2" },
	{ "http://h/a@b/c?x=1", "http://h/a@b/c?x=1" },
	{ "not a url ?token=1", "not a url ?token=[REDACTED]" },
	/* URLs that do not parse keep no secret either */
	{ "http://u:hunter2@[::1", "http://[REDACTED]@[::1" },
	{ "http://u:pw@h:99999999/p?token=t", "http://[REDACTED]@h:99999999/p?token=[REDACTED]" },
	{ "http://a@b@[x/p@q", "http://[REDACTED]@[x/p@q" },
	{ "http://[::1/x?a=1", "http://[::1/x?a=1" },
	{ "http://h/p?&&token=1&", "http://h/p?&&token=[REDACTED]&" },
	/* a name percent-encoded, pairs split at ';', the fragment */
	{ "http://h/p?api%5Fkey=SC&pass%77ord=SD&n=1", "http://h/p?api%5Fkey=[REDACTED]&pass%77ord=[REDACTED]&n=1" },
	{ "http://h/p?x=1;token=SE;y=2", "http://h/p?x=1;token=[REDACTED];y=2" },
	{ "http://h/cb#access_token=SB&state=s", "http://h/cb#access_token=[REDACTED]&state=s" },
	{ "http://h/p#section-2", "http://h/p#section-2" },
	/* a JSON Web Token in the query (Mercure's, some WebSocket logins) */
	{ "http://h/ws?jwt=eyJ.a.b&id_jwt=eyJ.c.d&n=1", "http://h/ws?jwt=[REDACTED]&id_jwt=[REDACTED]&n=1" },
	/* a short password's name and a private key's (they reached an
	 * access log in clear) */
	{ "http://h/p?pass=P1&private_key=K1&PrivateKey=K2&passage=3", "http://h/p?pass=[REDACTED]&private_key=[REDACTED]&PrivateKey=[REDACTED]&passage=3" },
};

static const struct {
	const char *url;
	const char *host, *port, *path, *query, *userinfo;
	int ok;
} splits[] = {
	{ "http://h/p", "h", NULL, "/p", NULL, NULL, 1 },
	{ "https://u:p@h.example:8443/a/b?q=1#f", "h.example", "8443", "/a/b", "q=1", "u:p", 1 },
	{ "http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254", NULL, "/", NULL, NULL, 1 },
	{ "http://[fd00::1]:80", "fd00::1", "80", "", NULL, NULL, 1 },
	{ "http://a@b@h/", "h", NULL, "/", NULL, "a@b", 1 },
	{ "http://h?x", "h", NULL, "", "x", NULL, 1 },
	{ "http://[::1", NULL, NULL, NULL, NULL, NULL, 0 },
	{ "http://[::1]x/", NULL, NULL, NULL, NULL, NULL, 0 },
	{ "://h/", NULL, NULL, NULL, NULL, NULL, 0 },
	{ "h/p", NULL, NULL, NULL, NULL, NULL, 0 },
	{ "1http://h/", NULL, NULL, NULL, NULL, NULL, 0 },
};

static void check_span(const char *u, const struct url_span *s,
		       const char *want, const char *name)
{
	if (!want) {
		T_OK(!s->present, name);
		return;
	}
	T_OK(s->present && s->len == strlen(want) &&
	     memcmp(u + s->off, want, s->len) == 0, name);
}

/* Free text: a failure message or an error naming URLs (redact_msg). */
static const struct { const char *in, *want; } msgs[] = {
	{ "connect to http://ops:pw@h:1/a?access_token=t1 failed",
	  "connect to http://[REDACTED]@h:1/a?access_token=[REDACTED] failed" },
	{ "retry /a?token=t2&n=1 later", "retry /a?token=[REDACTED]&n=1 later" },
	{ "upstream said 'https://u@h/x' (503)", "upstream said 'https://[REDACTED]@h/x' (503)" },
	{ "<http://h/p?sig=ab>, \"http://h/q?key=k\"",
	  "<http://h/p?sig=[REDACTED]>, \"http://h/q?key=[REDACTED]\"" },
	{ "url=https://a:b@h/p", "url=https://[REDACTED]@h/p" },
	{ "HTTP 503", "HTTP 503" },
	{ "what? nothing ://here", "what? nothing ://here" },
	{ "", "" },
};

/* An attempt event as --show prints it. */
static void check_event(struct redact *r, struct buf *b)
{
	static const struct hdr rh[] = {
		{ "Set-Cookie", 10, "sid=s3cr3t", 10 },
		{ "Content-Type", 12, "text/plain", 10 },
	};
	struct rec_event e;

	memset(&e, 0, sizeof(e));
	e.kind = REC_ATTEMPT;
	memcpy(e.id, "01M8SZAKXSDJFKFN7T75Q7Z7YC", REC_ID_LEN + 1);
	memcpy(e.ref, "01M8SZAKW95CF7Y31VJZX4C11J", REC_ID_LEN + 1);
	e.attempt = 1;
	e.outcome = REC_OUT_RETRY;
	e.status = 503;
	e.error.p = "redirect to https://u:pw@h/x?token=t9 refused";
	e.error.n = strlen(e.error.p);
	e.has_response = 1;
	e.status_line.p = "HTTP/1.1 503 Service Unavailable";
	e.status_line.n = strlen(e.status_line.p);
	e.resp_hdrs = rh;
	e.nresp_hdrs = 2;
	e.resp_body.p = "card 4111-2222-3333-4444";
	e.resp_body.n = strlen(e.resp_body.p);
	buf_reset(b);
	redact_event_to_json(r, &e, b);
	T_OK(strstr(b->data, "[\"Set-Cookie\",\"[REDACTED]\"]") &&
	     strstr(b->data, "[\"Content-Type\",\"text/plain\"]"),
	     "an event's secret response header is masked, the others kept");
	T_OK(strstr(b->data, "\"error\":\"redirect to https://[REDACTED]@h/x?token=[REDACTED] refused\"") != NULL,
	     "an event's error has the URLs it names masked");
	T_OK(strstr(b->data, "\"body\":\"card [REDACTED]\"") != NULL,
	     "an event's response body goes through the user patterns");
	T_OK(!strstr(b->data, "s3cr3t") && !strstr(b->data, "pw@") &&
	     !strstr(b->data, "t9"), "no secret of the event is left");
}

int main(void)
{
	struct redact *r = NULL;
	const char *pats[] = { "^X-Tenant$", "4111-[0-9-]+" };
	struct rd_err err;
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		buf_reset(&b);
		redact_url(NULL, urls[i].in, strlen(urls[i].in), &b);
		T_EQ_STR(b.data, urls[i].want, urls[i].in);
	}
	for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		struct url_parts p;
		const char *u = splits[i].url;
		int ok = url_split(u, strlen(u), &p) == 0;

		T_EQ_INT(ok, splits[i].ok, u);
		if (!ok || !splits[i].ok)
			continue;
		check_span(u, &p.host, splits[i].host, u);
		check_span(u, &p.port, splits[i].port, u);
		T_OK(p.path.len == strlen(splits[i].path) &&
		     memcmp(u + p.path.off, splits[i].path, p.path.len) == 0, u);
		check_span(u, &p.query, splits[i].query, u);
		check_span(u, &p.userinfo, splits[i].userinfo, u);
	}
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		buf_reset(&b);
		buf_adds(&b, ""); /* data, even for an empty message */
		redact_msg(NULL, msgs[i].in, strlen(msgs[i].in), &b);
		T_EQ_STR(b.data, msgs[i].want, msgs[i].in);
	}
	T_OK(redact_header_name(NULL, "Authorization", 13), "Authorization");
	T_OK(redact_header_name(NULL, "x-api-key", 9), "x-api-key");
	T_OK(redact_header_name(NULL, "Set-Cookie", 10), "Set-Cookie");
	T_OK(!redact_header_name(NULL, "Content-Type", 12), "Content-Type");
	T_OK(redact_new(pats, 2, &r, &err) == 0, "user patterns compile");
	T_OK(redact_header_name(r, "X-Tenant", 8), "a user pattern names a header");
	buf_reset(&b);
	redact_url(r, "http://h/?X-Tenant=acme&n=1", 27, &b);
	T_EQ_STR(b.data, "http://h/?X-Tenant=[REDACTED]&n=1", "a user pattern names a query parameter");
	buf_reset(&b);
	redact_text(r, "card 4111-1111-1111-1111 ok", 27, &b);
	T_EQ_STR(b.data, "card [REDACTED] ok", "a user pattern masks text");
	{
		char out[64], small[16];

		T_EQ_STR(redact_url_to("https://bob:pw@h:8443/p?token=t&n=1", out, sizeof(out)),
			 "https://[REDACTED]@h:8443/p?token=[REDACTED]&n=1",
			 "redact_url_to masks as redact_url does");
		T_EQ_STR(redact_url_to("https://bob:pw@h/p", small, sizeof(small)),
			 "https://[REDACT", "redact_url_to cuts to fit, masked first");
		T_EQ_STR(redact_url_to("not a url", out, sizeof(out)), "not a url",
			 "redact_url_to leaves what is not a URL");
	}
	check_event(r, &b);
	redact_free(r);
	buf_release(&b);
	return t_done();
}
