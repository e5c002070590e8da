/* Unit tests for lib/wout: curl's --write-out format, parsed and rendered
 * with fixed transfer facts.  The expected texts follow curl 7.88's own
 * formats (three-digit status, seconds with six decimals). */
#include <stdlib.h>
#include <string.h>

#include "wout.h"
#include "t.h"

struct rcase {
	const char *fmt;
	const char *out, *err;
};

static const char hdrs[] =
	"HTTP/1.1 301 Moved\r\nLocation: /b\r\nX-Trace: first\r\n\r\n"
	"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nx-trace:  second \r\n"
	"X-Trace: third\r\n\r\n";

static const struct rcase renders[] = {
	{ "%{http_code}", "200", "" },
	{ "%{response_code}\\n", "200\n", "" },
	{ "code=%{http_code} t=%{time_total}", "code=200 t=0.012345", "" },
	{ "%{url_effective} %{size_download}", "http://h/b 42", "" },
	/* as curl 7.88 prints them: only \n, \r and \t are escapes */
	{ "100%% \\t\\r\\\\ \\q|%x|%", "100% \t\r\\\\ \\q|%x|%", "" },
	{ "%{method} %{scheme} %{num_redirects}", "POST http 1", "" },
	{ "%header{x-trace}|%header{CONTENT-TYPE}|%header{none}", "second|text/plain|", "" },
	{ "a%{stderr}b%{http_code}%{stdout}c", "ac", "b200" },
	{ "%{time_connect} %{time_starttransfer}", "0.000500 0.010000", "" },
	{ "%{remote_ip}:%{remote_port} %{http_version}", "127.0.0.1:8080 1.1", "" },
	{ "%{speed_download}", "3402", "" },
	{ "", "", "" },
	{ "%", "%", "" },
	{ "%x", "%x", "" },
};

static const char *const refused[] = {
	"%{nope}", "%{http_code", "%header{x", "a %{time_totally} b", "%{}",
};

int main(void)
{
	struct wout_vals v;
	struct rd_err err;

	memset(&v, 0, sizeof(v));
	v.status = 200;
	v.http_version = "1.1";
	v.method = "POST";
	v.scheme = "http";
	v.url = "http://h/a";
	v.url_effective = "http://h/b";
	v.num_redirects = 1;
	v.remote_ip = "127.0.0.1";
	v.remote_port = 8080;
	v.size_download = 42;
	v.time_connect = 0.0005;
	v.time_starttransfer = 0.01;
	v.time_total = 0.012345;
	v.headers = hdrs;
	v.headers_len = strlen(hdrs);
	for (size_t i = 0; i < sizeof(renders) / sizeof(renders[0]); i++) {
		struct wout *w = NULL;
		struct buf out, eout;

		buf_init(&out);
		buf_init(&eout);
		if (!T_OK(wout_new(renders[i].fmt, &w, &err) == 0, renders[i].fmt)) {
			printf("#   %s\n", err.msg);
			continue;
		}
		wout_render(w, &v, &out, &eout);
		T_EQ_STR(out.data ? out.data : "", renders[i].out, renders[i].fmt);
		T_EQ_STR(eout.data ? eout.data : "", renders[i].err, renders[i].fmt);
		buf_release(&out);
		buf_release(&eout);
		wout_free(w);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct wout *w = NULL;

		T_OK(wout_new(refused[i], &w, &err) == RD_E_INVAL && !w &&
		     strstr(err.msg, "byte "), refused[i]);
	}
	return t_done();
}
