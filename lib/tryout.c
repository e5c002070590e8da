/*
 * tryout.c - curl's transfer and output options for --try (see
 * tryout.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_http.h"
#include "tryout.h"
#include "banned.h"

void tryout_init(struct tryout *t)
{
	memset(t, 0, sizeof(*t));
	http_opts_init(&t->http);
	t->http.keep_response = 1;
	http_okset_default(&t->ok);
}

void tryout_release(struct tryout *t)
{
	wout_free(t->wout);
	t->wout = NULL;
}

/* curl's seconds ("5", "2.5"); rd-capture's durations ("500ms") too. */
static int seconds(const char *opt, const char *arg, uint64_t *ms,
		   struct rd_err *err)
{
	struct rd_err e2;

	if (cli_parse_duration(arg, ms, &e2) < 0)
		return rd_err_set(err, RD_E_INVAL, "%s: %s", opt, e2.msg);
	if (*ms == 0)
		return rd_err_set(err, RD_E_INVAL, "%s: must be above zero", opt);
	return 0;
}

static int value_option(struct tryout *t, int opt, const char *arg,
			struct rd_err *err)
{
	struct rd_err e2;
	uint64_t v;

	switch (opt) {
	case 'o': t->output = arg; return 1;
	case 'w':
		wout_free(t->wout);
		t->wout = NULL;
		if (wout_new(arg, &t->wout, &e2) < 0)
			return rd_err_set(err, RD_E_INVAL, "-w: %s", e2.msg);
		t->http.want_info = 1;
		return 1;
	case TRYOUT_OPT_MAX_REDIRS:
		if (cli_parse_u64(arg, 0, 1000, &v, &e2) < 0)
			return rd_err_set(err, RD_E_INVAL, "--max-redirs: %s", e2.msg);
		t->http.max_redirs = (long)v;
		return 1;
	case 'm': case TRYOUT_OPT_TIMEOUT:
		return seconds(opt == 'm' ? "--max-time" : "--timeout", arg,
			       &t->http.timeout_ms, err) < 0 ? RD_E_INVAL : 1;
	case TRYOUT_OPT_CONNECT_TIMEOUT:
		return seconds("--connect-timeout", arg,
			       &t->http.connect_timeout_ms, err) < 0 ? RD_E_INVAL : 1;
	case TRYOUT_OPT_CACERT:
		if (cli_cacert(arg, err) < 0)
			return RD_E_INVAL;
		t->http.cacert = arg;
		return 1;
	case TRYOUT_OPT_SUCCESS:
		if (http_okset_parse(arg, &t->ok, &e2) < 0)
			return rd_err_set(err, RD_E_INVAL, "--success: %s", e2.msg);
		return 1;
	}
	return 0;
}

int tryout_option(struct tryout *t, int opt, const char *arg,
		  struct rd_err *err)
{
	static const struct { int opt; const char *name; } names[] = {
		{ 'i', "-i" }, { 'o', "-o" }, { 'w', "-w" }, { 'f', "-f" },
		{ TRYOUT_OPT_FAIL_WITH_BODY, "--fail-with-body" }, { 'L', "-L" },
		{ TRYOUT_OPT_MAX_REDIRS, "--max-redirs" }, { 'm', "-m" },
		{ TRYOUT_OPT_TIMEOUT, "--timeout" },
		{ TRYOUT_OPT_CONNECT_TIMEOUT, "--connect-timeout" }, { 'k', "-k" },
		{ TRYOUT_OPT_CACERT, "--cacert" }, { TRYOUT_OPT_SUCCESS, "--success" },
	};
	int ret = 1;

	switch (opt) {
	case 'i': t->include = t->http.all_heads = 1; break;
	case 'f': t->fail = 1; break;
	case TRYOUT_OPT_FAIL_WITH_BODY: t->fail_with_body = 1; break;
	case 's': t->silent = 1; return 1;      /* meaningful without --try */
	case 'S': t->show_error = 1; return 1;
	case 'L': t->http.follow = 1; break;
	case 'k': t->http.insecure = 1; break;
	default:
		ret = value_option(t, opt, arg, err);
	}
	if (t->fail && t->fail_with_body)   /* as curl refuses them */
		return rd_err_set(err, RD_E_INVAL,
				  "--fail and --fail-with-body cannot be used together");
	for (size_t i = 0; ret == 1 && !t->given && i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].opt == opt)
			t->given = names[i].name;
	return ret;
}

static const char *version_name(int v)
{
	return v == 10 ? "1.0" : v == 11 ? "1.1" : v == 20 ? "2" :
	       v == 30 ? "3" : "0";
}

int tryout_makes_file(const struct tryout *t, const struct http_once *res,
		      const struct buf *body)
{
	int failed = res->err == HTTP_ERR_NONE && res->status >= 400;

	return body->len > 0 ||
	       (res->status > 0 && !(t->fail && !t->fail_with_body && failed));
}

void tryout_render(const struct tryout *t, const struct http_once *res,
		   const char *method, const char *url, int exitcode,
		   struct buf *body, struct buf *out, struct buf *errout)
{
	const struct http_info *in = &res->info;
	int failed = res->err == HTTP_ERR_NONE && res->status >= 400;
	struct wout_vals v;

	if (t->include)
		buf_add(body, res->headers.data ? res->headers.data : "",
			res->headers.len);
	/* -f drops the body of an HTTP error, as curl does; with -i the
	 * headers are already out, as curl writes them before it knows */
	if (!(t->fail && !t->fail_with_body && failed))
		buf_add(body, res->body.data ? res->body.data : "", res->body.len);
	if (!t->wout)
		return;
	memset(&v, 0, sizeof(v));
	v.status = res->status;
	v.http_version = version_name(in->version);
	v.method = method;
	v.url = url;
	v.url_effective = in->url_effective.len ? in->url_effective.data : url;
	v.redirect_url = in->redirect_url.len ? in->redirect_url.data : NULL;
	v.scheme = strncmp(v.url_effective, "https:", 6) == 0 ? "https" : "http";
	v.content_type = in->content_type[0] ? in->content_type : NULL;
	v.remote_ip = in->remote_ip;
	v.remote_port = in->remote_port;
	v.num_redirects = in->num_redirects;
	v.errormsg = res->errmsg[0] ? res->errmsg : NULL;
	v.exitcode = exitcode;
	v.size_download = in->size_download;
	v.size_upload = in->size_upload;
	v.size_header = in->size_header;
	v.size_request = in->size_request;
	v.time_namelookup = in->t_namelookup;
	v.time_connect = in->t_connect;
	v.time_appconnect = in->t_appconnect;
	v.time_pretransfer = in->t_pretransfer;
	v.time_starttransfer = in->t_starttransfer;
	v.time_redirect = in->t_redirect;
	v.time_total = in->t_total;
	v.headers = res->headers.data;
	v.headers_len = res->headers.len;
	wout_render(t->wout, &v, out, errout);
}
