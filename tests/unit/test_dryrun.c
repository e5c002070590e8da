/* Unit tests for lib/dryrun: one Host header in the raw rendering, framing
 * headers left out, the curl command quoted for the shell. */
#include <string.h>

#include "dryrun.h"
#include "t.h"

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

int main(void)
{
	struct hdr own[] = {
		{ "Host", 4, "api.example.com", 15 },
		{ "Content-Length", 14, "99", 2 },
		{ "X-A", 3, "it's", 4 }
	};
	struct http_req q;
	struct buf b;

	memset(&q, 0, sizeof(q));
	q.method = "POST";
	q.method_len = 4;
	q.url = "http://127.0.0.1:8080/v1/o?x=1";
	q.hdrs = own;
	q.nhdrs = 3;
	q.body = "{}";
	q.body_len = 2;
	buf_init(&b);
	dryrun_raw(&b, &q, NULL);
	T_OK(strncmp(b.data, "POST /v1/o?x=1 HTTP/1.1\r\n", 25) == 0, "request line");
	T_EQ_INT(count(b.data, "Host: "), 1, "a record's own Host: once");
	T_OK(strstr(b.data, "Host: api.example.com\r\n") != NULL, "and it is the record's");
	T_EQ_INT(count(b.data, "Content-Length: "), 1, "the record's framing is not repeated");
	T_OK(strstr(b.data, "Content-Length: 2\r\n\r\n{}\n") != NULL, "framed for the body");

	q.nhdrs = 0;
	buf_reset(&b);
	dryrun_raw(&b, &q, NULL);
	T_EQ_INT(count(b.data, "Host: "), 1, "no Host of its own: the URL's");
	T_OK(strstr(b.data, "Host: 127.0.0.1:8080\r\n") != NULL, "with its port");

	q.hdrs = own;
	q.nhdrs = 3;
	buf_reset(&b);
	dryrun_curl(&b, &q, NULL);
	T_OK(strstr(b.data, "-H 'X-A: it'\\''s'") != NULL, "quotes for the shell");
	T_OK(strstr(b.data, "Content-Length") == NULL, "no framing header");
	T_OK(strstr(b.data, "--data-binary '{}' 'http://127.0.0.1:8080/v1/o?x=1'\n") != NULL,
	     "body and URL");
	buf_release(&b);
	return t_done();
}
