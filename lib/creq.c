/*
 * creq.c - curl-like request options (see creq.h).  Options are kept as
 * given and turned into a request only in creq_finish, so that a limit
 * given later on the command line still applies to an earlier @FILE.
 */
#include <curl/curlver.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b64.h"
#include "creq.h"
#include "json.h"
#include "xalloc.h"
#include "banned.h"

/* The User-Agent curl sends, from the libcurl redrive is built with. */
#define CURL_AGENT "curl/" LIBCURL_VERSION

void creq_init(struct creq *c, uint64_t max_body)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->body);
	buf_init(&c->url);
	c->max_body = max_body;
}

void creq_release(struct creq *c)
{
	buf_release(&c->body);
	buf_release(&c->url);
	free(c->hdrs);
	free(c->items);
	for (size_t i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	free(c->owned);
	c->hdrs = NULL;
	c->items = NULL;
	c->owned = NULL;
	c->nhdrs = c->nitems = c->nowned = 0;
}

static char *own(struct creq *c, char *s)
{
	c->owned = xrealloc(c->owned, (c->nowned + 1) * sizeof(*c->owned));
	c->owned[c->nowned++] = s;
	return s;
}

static void add_item(struct creq *c, int opt, const char *arg)
{
	c->items = xrealloc(c->items, (c->nitems + 1) * sizeof(*c->items));
	c->items[c->nitems].opt = opt;
	c->items[c->nitems++].arg = arg;
}

int creq_option(struct creq *c, int opt, const char *arg, struct rd_err *err)
{
	switch (opt) {
	case 'X': c->method = arg; return 1;
	case 'G': c->get = 1; return 1;
	case 'A': c->agent = arg; return 1;
	case CREQ_OPT_COMPRESSED: c->compressed = 1; return 1;
	case 'u':
		if (!strchr(arg, ':'))
			return rd_err_set(err, RD_E_INVAL,
					  "-u needs user:password (there is no password prompt)");
		c->user = arg;
		return 1;
	case 'e':
		if (strstr(arg, ";auto"))
			return rd_err_set(err, RD_E_INVAL,
					  "-e: ';auto' is not supported: give the Referer itself");
		c->referer = arg;
		return 1;
	case 'b':
		if (!strchr(arg, '='))
			return rd_err_set(err, RD_E_INVAL,
					  "-b '%s': a cookie file is not supported: give NAME=VALUE",
					  arg);
		c->cookie = arg;
		return 1;
	case CREQ_OPT_JSON:
		c->json = 1;
		/* fall through */
	case 'H': case 'd': case CREQ_OPT_DATA_ASCII: case CREQ_OPT_DATA_RAW:
	case CREQ_OPT_DATA_BINARY: case CREQ_OPT_DATA_URLENCODE:
		add_item(c, opt, arg);
		return 1;
	}
	return 0;
}

int creq_given(const struct creq *c)
{
	return c->method || c->user || c->agent || c->referer || c->cookie ||
	       c->get || c->compressed || c->nitems;
}

/* The errors of a header option never quote what was given: a value, or
 * a line with no colon, may be a credential (`-H "$TOKEN"`). */
int creq_parse_header(const char *arg, size_t idx, struct hdr *h,
		      struct rd_err *err)
{
	const char *colon = strchr(arg, ':');
	const char *v;

	if (!colon || colon == arg)
		return rd_err_set(err, RD_E_INVAL,
				  "--header %zu: not 'Name: value' (%s)", idx,
				  colon ? "no name before the colon" : "no colon");
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	h->name = arg;
	h->name_len = (size_t)(colon - arg);
	h->value = v;
	h->value_len = strlen(v);
	return 0;
}

/* What a record can hold, checked where the header is given, so the
 * error numbers it as given: a token for a name (shown, as it is no
 * secret), a value of UTF-8 with no control byte (never shown). */
static int check_header(const struct hdr *h, size_t idx, struct rd_err *err)
{
	long bad;

	if (!rec_hdr_name_valid(h->name, h->name_len))
		return rd_err_set(err, RD_E_INVAL,
				  "--header %zu: the name is not a token (letters, digits and !#$%%&'*+-.^_`|~)",
				  idx);
	if (!h->value)
		return 0;
	if (!rec_hdr_value_valid(h->value, h->value_len))
		return rd_err_set(err, RD_E_INVAL,
				  "--header %zu (%.*s): the value holds CR, LF, NUL or another control byte",
				  idx, (int)(h->name_len > 64 ? 64 : h->name_len), h->name);
	if ((bad = json_utf8_check(h->value, h->value_len)) >= 0)
		return rd_err_set(err, RD_E_INVAL,
				  "--header %zu (%.*s): the value is not valid UTF-8 at byte %ld",
				  idx, (int)(h->name_len > 64 ? 64 : h->name_len), h->name, bad);
	return 0;
}

int creq_header_add(const char *arg, struct hdr **v, size_t *n,
		    struct rd_err *err)
{
	struct hdr h;

	if (creq_parse_header(arg, *n + 1, &h, err) < 0 ||
	    check_header(&h, *n + 1, err) < 0)
		return RD_E_INVAL;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = h;
	return 0;
}

/* The whole of file (or stdin for "-"), at most max bytes, into out. */
static int read_file(const char *path, uint64_t max, struct buf *out,
		     struct rd_err *err)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO :
		 open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return rd_err_sys(err, errno, "cannot open '%s'", path);
	ret = buf_read_fd(out, fd, (size_t)max, err);
	if (fd != STDIN_FILENO)
		close(fd);
	if (ret < 0) {
		struct rd_err e2 = *err;

		return rd_err_set(err, ret, "'%s': %s%s", path, e2.msg,
				  ret == RD_E_FULL ? " (--max-record-size)" : "");
	}
	return 0;
}

/* curl's --data-urlencode: unreserved bytes kept, space as '+'. */
static void urlencode(struct buf *out, const char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || (ch && strchr("-._~", ch))) {
			buf_addc(out, (char)ch);
		} else if (ch == ' ') {
			buf_addc(out, '+');
		} else {
			buf_addc(out, '%');
			buf_addc(out, hex[ch >> 4]);
			buf_addc(out, hex[ch & 15]);
		}
	}
}

/* --data-urlencode ARG: content, =content, name=content, @file or
 * name@file; the name is sent as given, the content encoded. */
static int add_urlencoded(struct creq *c, const char *arg, struct rd_err *err)
{
	const char *eq = strchr(arg, '='), *at = strchr(arg, '@');
	struct buf f;
	int ret = 0;

	buf_init(&f);
	if (at && (!eq || at < eq)) {
		buf_add(&c->body, arg, (size_t)(at - arg));
		if (at > arg)
			buf_addc(&c->body, '=');
		if ((ret = read_file(at + 1, c->max_body, &f, err)) == 0)
			urlencode(&c->body, f.data ? f.data : "", f.len);
	} else if (eq) {
		buf_add(&c->body, arg, (size_t)(eq - arg + (eq > arg)));
		urlencode(&c->body, eq + 1, strlen(eq + 1));
	} else {
		urlencode(&c->body, arg, strlen(arg));
	}
	buf_release(&f);
	return ret;
}

/* One data option, appended to the body as curl joins them. */
static int add_data(struct creq *c, const struct creq_item *it,
		    struct rd_err *err)
{
	const char *a = it->arg;
	struct buf f;
	int ret;

	if (c->have_data && it->opt != CREQ_OPT_JSON)
		buf_addc(&c->body, '&');
	c->have_data = 1;
	if (it->opt == CREQ_OPT_DATA_URLENCODE)
		return add_urlencoded(c, a, err);
	if (it->opt == CREQ_OPT_DATA_RAW || a[0] != '@') {
		buf_adds(&c->body, a);
		return 0;
	}
	buf_init(&f);
	if ((ret = read_file(a + 1, c->max_body, &f, err)) == 0)
		for (size_t i = 0; i < f.len; i++)
			if (it->opt == CREQ_OPT_DATA_BINARY || it->opt == CREQ_OPT_JSON ||
			    (f.data[i] != '\r' && f.data[i] != '\n'))
				buf_addc(&c->body, f.data[i]);
	buf_release(&f);
	return ret;
}

/* 1 when an -H header (sent or dropped) names name: curl's own default
 * for it then goes. */
static int custom(const struct hdr *h, size_t n, const char *name)
{
	return hdr_find(h, n, 0, name) < n;
}

/* One -H argument: "Name: value", "Name:" (drop: an empty value),
 * "Name;" (send it empty).  Appended to *h. */
static int parse_custom(const char *arg, struct hdr **h, size_t *n,
			struct rd_err *err)
{
	struct hdr x;
	size_t len = strlen(arg);

	/* Checked as they come: a -H @FILE of a million lines is refused
	 * at the limit, not read whole first. */
	if (*n >= REC_MAX_HEADERS)
		return rd_err_set(err, RD_E_INVAL, "--header: more than %d headers",
				  REC_MAX_HEADERS);
	if (len > 1 && arg[len - 1] == ';' && !strchr(arg, ':')) {
		x.name = arg;
		x.name_len = len - 1;
		x.value = NULL;     /* sent, with an empty value */
		x.value_len = 0;
	} else if (creq_parse_header(arg, *n + 1, &x, err) < 0) {
		return RD_E_INVAL;
	} else if (x.value_len == 0) {
		x.value = "";       /* dropped */
	}
	if (check_header(&x, *n + 1, err) < 0)
		return RD_E_INVAL;
	*h = xrealloc(*h, (*n + 1) * sizeof(**h));
	(*h)[(*n)++] = x;
	return 0;
}

/* -H @FILE: one header per line, CR and blank lines ignored. */
static int custom_file(struct creq *c, const char *path, struct hdr **h,
		       size_t *n, struct rd_err *err)
{
	struct buf f;
	const char *p;
	char *line;
	int ret;

	buf_init(&f);
	if ((ret = read_file(path, 1 << 20, &f, err)) < 0)
		goto out;
	p = f.data ? f.data : "";
	while (*p) {
		size_t l = strcspn(p, "\n");
		size_t e = l;

		while (e && p[e - 1] == '\r')
			e--;
		if (e) {
			line = own(c, xmemdup(p, e));
			if ((ret = parse_custom(line, h, n, err)) < 0)
				goto out;
		}
		p += l + (p[l] == '\n');
	}
out:
	buf_release(&f);
	return ret;
}

static void put(struct creq *c, const char *name, const char *value)
{
	struct hdr *x;

	c->hdrs = xrealloc(c->hdrs, (c->nhdrs + 1) * sizeof(*c->hdrs));
	x = &c->hdrs[c->nhdrs++];
	x->name = name;
	x->name_len = strlen(name);
	x->value = value;
	x->value_len = strlen(value);
}

/* The header list in curl's order (see creq.h). */
static void build_headers(struct creq *c, const struct hdr *h, size_t n)
{
	int form = c->have_data && !c->get && !c->json;

	if (c->user && !custom(h, n, "Authorization")) {
		struct buf b;

		buf_init(&b);
		buf_adds(&b, "Basic ");
		b64_encode(&b, c->user, strlen(c->user));
		put(c, "Authorization", own(c, buf_detach(&b, NULL)));
	}
	if (!custom(h, n, "User-Agent") && (!c->agent || *c->agent))
		put(c, "User-Agent", c->agent ? c->agent : CURL_AGENT);
	if (!custom(h, n, "Accept") && !c->json)
		put(c, "Accept", "*/*");
	if (c->compressed && c->accept_encoding && !custom(h, n, "Accept-Encoding"))
		put(c, "Accept-Encoding", c->accept_encoding);
	if (c->referer && !custom(h, n, "Referer"))
		put(c, "Referer", c->referer);
	if (c->cookie)
		put(c, "Cookie", c->cookie);
	for (size_t i = 0; i < n; i++) {
		if (h[i].value && h[i].value_len == 0)
			continue;           /* "Name:" drops it */
		c->hdrs = xrealloc(c->hdrs, (c->nhdrs + 1) * sizeof(*c->hdrs));
		c->hdrs[c->nhdrs] = h[i];
		if (!h[i].value)
			c->hdrs[c->nhdrs].value = "";
		c->nhdrs++;
	}
	if (c->json && !custom(h, n, "Content-Type"))
		put(c, "Content-Type", "application/json");
	if (c->json && !custom(h, n, "Accept"))
		put(c, "Accept", "application/json");
	if (form && !custom(h, n, "Content-Type"))
		put(c, "Content-Type", "application/x-www-form-urlencoded");
}

int creq_finish(struct creq *c, const char *url, struct rd_err *err)
{
	struct hdr *h = NULL;
	size_t n = 0;
	int ret = 0;

	for (size_t i = 0; i < c->nitems && ret == 0; i++) {
		const struct creq_item *it = &c->items[i];

		if (it->opt != 'H')
			ret = add_data(c, it, err);
		else if (it->arg[0] == '@')
			ret = custom_file(c, it->arg + 1, &h, &n, err);
		else
			ret = parse_custom(it->arg, &h, &n, err);
		if (ret == 0 && c->body.len > c->max_body)
			ret = rd_err_set(err, RD_E_FULL,
					 "the body is larger than %llu bytes (--max-record-size)",
					 (unsigned long long)c->max_body);
	}
	if (ret < 0)
		goto out;
	buf_adds(&c->url, url);
	if (c->get && c->have_data) {
		/* -G: the data is the query, as curl sends it. */
		buf_addc(&c->url, strchr(url, '?') ? '&' : '?');
		buf_add(&c->url, c->body.data ? c->body.data : "", c->body.len);
		buf_reset(&c->body);
	}
	build_headers(c, h, n);
out:
	free(h);
	return ret;
}

void creq_to_rec(const struct creq *c, struct rec_req *r)
{
	r->method.p = c->method ? c->method :
		      c->have_data && !c->get ? "POST" : "GET";
	r->method.n = strlen(r->method.p);
	r->url.p = c->url.data ? c->url.data : "";
	r->url.n = c->url.len;
	r->hdrs = c->hdrs;
	r->nhdrs = c->nhdrs;
	r->body.p = c->body.data ? c->body.data : "";
	r->body.n = c->body.len;
}
