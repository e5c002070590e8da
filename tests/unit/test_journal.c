/* Unit tests for lib/journal: what a failed attempt keeps of its
 * response (status line, the chosen headers, never a secret, the first
 * bytes of the body), and when a batch is due. */
#include <string.h>

#include "journal.h"
#include "t.h"

static int resp_hdr_is(const struct rec_event *e, size_t i, const char *n,
		  const char *v)
{
	return i < e->nresp_hdrs && e->resp_hdrs[i].name_len == strlen(n) &&
	       memcmp(e->resp_hdrs[i].name, n, strlen(n)) == 0 &&
	       e->resp_hdrs[i].value_len == strlen(v) &&
	       memcmp(e->resp_hdrs[i].value, v, strlen(v)) == 0;
}

static void response(struct journal *j, struct rec_event *e, int status,
		     const char *head, const char *body, size_t body_len,
		     uint64_t body_bytes)
{
	struct buf h, b;
	struct http_res res;

	buf_init(&h);
	buf_init(&b);
	buf_adds(&h, head);
	buf_add(&b, body, body_len);
	memset(&res, 0, sizeof(res));
	res.status = status;
	res.errmsg = "";
	res.headers = &h;
	res.body = &b;
	res.body_bytes = body_bytes;
	memset(e, 0, sizeof(*e));
	journal_response(j, e, &res);
	/* e borrows from j, not from these */
	buf_release(&h);
	buf_release(&b);
}

int main(void)
{
	struct journal j;
	struct rec_event e;
	struct rd_err err;
	static const char head[] =
		"HTTP/1.1 503 Service Unavailable\r\n"
		"Date: Mon, 30 Nov 2026 04:00:00 GMT\r\n"
		"content-type: application/json\r\n"
		"Set-Cookie: session=s3cret; HttpOnly\r\n"
		"Retry-After:  30 \r\n"
		"X-Request-Id: req-\x01\xff-7\r\n"
		"Authorization: Bearer s3cret\r\n"
		"\r\n";
	static const char utf8[] = "caf\xc3\xa9 ferm\xc3\xa9";

	T_EQ_INT(journal_init(&j, NULL, 8, &err), 0, "init");
	response(&j, &e, 503, head, "{\"error\":\"maintenance\"}", 23, 23);
	T_OK(e.has_response, "a response is kept");
	T_OK(e.status_line.n == 32 &&
	     memcmp(e.status_line.p, "HTTP/1.1 503 Service Unavailable", 32) == 0,
	     "the status line, without its CRLF");
	T_EQ_INT(e.nresp_hdrs, 3, "only the chosen headers");
	T_OK(resp_hdr_is(&e, 0, "content-type", "application/json"), "names as sent");
	T_OK(resp_hdr_is(&e, 1, "Retry-After", "30"), "values trimmed");
	T_OK(resp_hdr_is(&e, 2, "X-Request-Id", "req-?" "?-7"), "control and non-ASCII bytes become '?'");
	T_OK(e.resp_body.n == 8 && memcmp(e.resp_body.p, "{\"error\"", 8) == 0,
	     "the first body_max bytes");
	T_OK(e.resp_truncated, "and it says the body was longer");
	for (size_t i = 0; i < e.nresp_hdrs; i++)
		T_OK(memmem(e.resp_hdrs[i].value, e.resp_hdrs[i].value_len, "s3cret", 6) == NULL,
		     "no secret kept");

	response(&j, &e, 400, "HTTP/2 400 \r\ncontent-length: 2\r\n\r\n", "no", 2, 2);
	T_OK(e.status_line.n == 10 && !e.resp_truncated && e.resp_body.n == 2,
	     "HTTP/2, a short body whole");

	/* cut in the middle of a UTF-8 sequence: the partial one goes */
	j.body_max = 4;
	response(&j, &e, 500, "HTTP/1.1 500 x\r\n\r\n", utf8, sizeof(utf8) - 1,
		 sizeof(utf8) - 1);
	T_OK(e.resp_body.n == 3 && memcmp(e.resp_body.p, "caf", 3) == 0 &&
	     e.resp_truncated, "a cut never leaves half a character");

	j.body_max = 0;
	response(&j, &e, 500, "HTTP/1.1 500 x\r\n\r\n", "body", 4, 4);
	T_OK(e.has_response && e.resp_body.n == 0 && e.resp_truncated,
	     "body_max 0 keeps no body");

	response(&j, &e, 0, "", "", 0, 0);
	T_OK(!e.has_response, "no response, nothing kept");

	/* when a batch is due */
	T_EQ_INT(journal_due(&j, 4, 0), 0, "an empty batch is never due");
	memset(&e, 0, sizeof(e));
	e.kind = REC_DEAD;
	memcpy(e.ref, "01JDZ00000000000000000000A", REC_ID_LEN + 1);
	e.reason.p = "r";
	e.reason.n = 1;
	journal_add(&j, &e, 1700000000000LL);
	T_EQ_INT(journal_due(&j, 4, j.since_ns), 0, "one fresh event is not due");
	T_EQ_INT(journal_due(&j, 1, j.since_ns), 1, "due at the count");
	T_EQ_INT(journal_due(&j, 4, j.since_ns + 100000000LL), 1, "due after 100 ms");
	T_OK(rec_id_valid(e.id, REC_ID_LEN), "the event got an id");
	{
		char u[64];

		journal_user(u, sizeof(u));
		T_OK(u[0] != '\0', "someone acts");
	}
	journal_release(&j);
	return t_done();
}
