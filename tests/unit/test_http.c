/* Unit tests for lib/http: status sets, classification, Retry-After, URL
 * host and rebase.  No network. */
#include <string.h>

#include "http.h"
#include "t.h"

int main(void)
{
	struct http_okset s;
	struct http_res res;
	struct rd_err err;
	struct buf b;
	char host[64];

	http_okset_default(&s);
	T_OK(http_okset_has(&s, 200) && http_okset_has(&s, 299), "2xx by default");
	T_OK(!http_okset_has(&s, 304) && !http_okset_has(&s, 199), "only 2xx");
	T_EQ_INT(http_okset_parse("200-204,304,4xx", &s, &err), 0, "parse a set");
	T_OK(http_okset_has(&s, 204) && !http_okset_has(&s, 205), "range");
	T_OK(http_okset_has(&s, 304) && http_okset_has(&s, 404), "code and class");
	T_OK(http_okset_parse("99", &s, &err) < 0, "99 is not a status");
	T_OK(http_okset_parse("300-200", &s, &err) < 0, "reversed range");
	T_OK(http_okset_parse("2xx,", &s, &err) < 0, "trailing comma refused");
	T_OK(http_okset_parse(",200", &s, &err) < 0, "empty element refused");
	T_OK(http_okset_parse("abc", &s, &err) < 0, "garbage");
	T_OK(strstr(err.msg, "abc") != NULL, "message names the input");

	http_okset_default(&s);
	memset(&res, 0, sizeof(res));
	res.status = 201;
	T_EQ_INT(http_classify(&res, &s), HTTP_OK, "201 ok");
	res.status = 503;
	T_EQ_INT(http_classify(&res, &s), HTTP_RETRY, "503 retry");
	res.status = 429;
	T_EQ_INT(http_classify(&res, &s), HTTP_RETRY, "429 retry");
	res.status = 408;
	T_EQ_INT(http_classify(&res, &s), HTTP_RETRY, "408 retry");
	res.status = 404;
	T_EQ_INT(http_classify(&res, &s), HTTP_PERMANENT, "404 permanent");
	res.status = 301;
	T_EQ_INT(http_classify(&res, &s), HTTP_PERMANENT, "a redirect is not followed");
	res.status = 0;
	res.err = HTTP_ERR_TIMEOUT;
	T_EQ_INT(http_classify(&res, &s), HTTP_RETRY, "timeout retry");
	res.err = HTTP_ERR_DNS;
	T_EQ_INT(http_classify(&res, &s), HTTP_RETRY, "dns retry");
	res.err = HTTP_ERR_REFUSED;
	T_EQ_INT(http_classify(&res, &s), HTTP_PERMANENT, "refused address is permanent");

	T_EQ_INT(http_parse_retry_after("120", 3, 0), 120000, "delay seconds");
	T_EQ_INT(http_parse_retry_after("0", 1, 0), 0, "zero");
	T_EQ_INT(http_parse_retry_after("12a", 3, 0), -1, "garbage");
	T_EQ_INT(http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 29,
					1445412470000LL), 10000, "HTTP date");
	T_EQ_INT(http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 29,
					1445412490000LL), 0, "a date in the past is now");

	T_EQ_INT(http_url_host("http://Orders.Example:8080/x", host, sizeof(host), &err), 0, "host");
	T_EQ_STR(host, "orders.example", "lowercased, no port");
	T_EQ_INT(http_url_host("http://[::1]:80/", host, sizeof(host), &err), 0, "ipv6");
	T_EQ_STR(host, "::1", "no brackets");
	T_OK(http_url_host("not a url", host, sizeof(host), &err) < 0, "bad url");

	buf_init(&b);
	T_EQ_INT(http_url_rebase("http://a.example/v1/o?x=1", "https://b.example:8443", &b, &err), 0, "rebase");
	T_EQ_STR(b.data, "https://b.example:8443/v1/o?x=1", "path and query kept");
	buf_reset(&b);
	http_url_rebase("http://a/v1/o", "http://b/canary/", &b, &err);
	T_EQ_STR(b.data, "http://b/canary/v1/o", "base path prefixed");
	buf_reset(&b);
	http_url_rebase("http://a/x/../y", "http://b", &b, &err);
	T_EQ_STR(b.data, "http://b/x/../y", "dot segments kept as captured");
	buf_release(&b);

	T_OK(http_hop_by_hop("Content-Length", 14), "content-length is framing");
	T_OK(http_hop_by_hop("transfer-encoding", 17), "case-insensitive");
	T_OK(!http_hop_by_hop("Content-Type", 12), "content-type is not");
	return t_done();
}
