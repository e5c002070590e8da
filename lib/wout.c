/*
 * wout.c - curl's --write-out format (see wout.h).  The format is parsed
 * once into pieces, so a bad variable is found before anything is sent.
 */
#include "wout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "xalloc.h"
#include "banned.h"

enum var {
	V_HTTP_CODE, V_HTTP_VERSION, V_METHOD, V_SCHEME, V_URL,
	V_URL_EFFECTIVE, V_REDIRECT_URL, V_NUM_REDIRECTS, V_CONTENT_TYPE,
	V_REMOTE_IP, V_REMOTE_PORT, V_SIZE_DOWNLOAD, V_SIZE_UPLOAD,
	V_SIZE_HEADER, V_SIZE_REQUEST, V_SPEED_DOWNLOAD, V_SPEED_UPLOAD,
	V_TIME_NAMELOOKUP, V_TIME_CONNECT, V_TIME_APPCONNECT,
	V_TIME_PRETRANSFER, V_TIME_STARTTRANSFER, V_TIME_REDIRECT,
	V_TIME_TOTAL, V_ERRORMSG, V_EXITCODE
};

static const struct { const char *name; enum var v; } vars[] = {
	{ "http_code", V_HTTP_CODE }, { "response_code", V_HTTP_CODE },
	{ "http_version", V_HTTP_VERSION }, { "method", V_METHOD },
	{ "scheme", V_SCHEME }, { "url", V_URL },
	{ "url_effective", V_URL_EFFECTIVE }, { "redirect_url", V_REDIRECT_URL },
	{ "num_redirects", V_NUM_REDIRECTS }, { "content_type", V_CONTENT_TYPE },
	{ "remote_ip", V_REMOTE_IP }, { "remote_port", V_REMOTE_PORT },
	{ "size_download", V_SIZE_DOWNLOAD }, { "size_upload", V_SIZE_UPLOAD },
	{ "size_header", V_SIZE_HEADER }, { "size_request", V_SIZE_REQUEST },
	{ "speed_download", V_SPEED_DOWNLOAD }, { "speed_upload", V_SPEED_UPLOAD },
	{ "time_namelookup", V_TIME_NAMELOOKUP }, { "time_connect", V_TIME_CONNECT },
	{ "time_appconnect", V_TIME_APPCONNECT },
	{ "time_pretransfer", V_TIME_PRETRANSFER },
	{ "time_starttransfer", V_TIME_STARTTRANSFER },
	{ "time_redirect", V_TIME_REDIRECT }, { "time_total", V_TIME_TOTAL },
	{ "errormsg", V_ERRORMSG }, { "exitcode", V_EXITCODE },
};

enum kind { P_TEXT, P_VAR, P_HEADER, P_TO_STDERR, P_TO_STDOUT };

struct piece {
	enum kind kind;
	enum var var;
	char *text;       /* P_TEXT: the text; P_HEADER: the field name */
	size_t len;
};

struct wout {
	struct piece *p;
	size_t n;
};

static void add_piece(struct wout *w, enum kind k, enum var v,
		      const char *text, size_t len)
{
	struct piece *p;

	/* Adjacent text joins the previous piece. */
	if (k == P_TEXT && w->n && w->p[w->n - 1].kind == P_TEXT) {
		p = &w->p[w->n - 1];
		p->text = xrealloc(p->text, p->len + len + 1);
		memcpy(p->text + p->len, text, len);
		p->len += len;
		p->text[p->len] = '\0';
		return;
	}
	w->p = xrealloc(w->p, (w->n + 1) * sizeof(*w->p));
	p = &w->p[w->n++];
	p->kind = k;
	p->var = v;
	p->text = xmemdup(text, len);
	p->len = len;
}

/* %{name} at s (past the "%{"); returns the bytes used or -1. */
static int parse_var(struct wout *w, const char *s, size_t at,
		     struct rd_err *err)
{
	const char *end = strchr(s, '}');
	size_t n;

	if (!end)
		return rd_err_set(err, RD_E_INVAL,
				  "byte %zu: '%%{' without its closing '}'", at);
	n = (size_t)(end - s);
	if (n == 6 && strncmp(s, "stderr", 6) == 0) {
		add_piece(w, P_TO_STDERR, 0, "", 0);
		return (int)n + 1;
	}
	if (n == 6 && strncmp(s, "stdout", 6) == 0) {
		add_piece(w, P_TO_STDOUT, 0, "", 0);
		return (int)n + 1;
	}
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (strlen(vars[i].name) == n && strncmp(vars[i].name, s, n) == 0) {
			add_piece(w, P_VAR, vars[i].v, "", 0);
			return (int)n + 1;
		}
	return rd_err_set(err, RD_E_INVAL, "byte %zu: unknown variable '%%{%.*s}'",
			  at, (int)(n > 64 ? 64 : n), s);
}

static int parse(struct wout *w, const char *f, struct rd_err *err)
{
	size_t i = 0;

	while (f[i]) {
		int used;

		if (f[i] == '\\' && f[i + 1] && strchr("nrt", f[i + 1])) {
			char c = f[i + 1] == 'n' ? '\n' : f[i + 1] == 'r' ? '\r' : '\t';

			add_piece(w, P_TEXT, 0, &c, 1);
			i += 2;
		} else if (f[i] == '%' && f[i + 1] == '%') {
			add_piece(w, P_TEXT, 0, "%", 1);
			i += 2;
		} else if (f[i] == '%' && f[i + 1] == '{') {
			if ((used = parse_var(w, f + i + 2, i, err)) < 0)
				return used;
			i += 2 + (size_t)used;
		} else if (strncmp(f + i, "%header{", 8) == 0) {
			const char *end = strchr(f + i + 8, '}');

			if (!end)
				return rd_err_set(err, RD_E_INVAL,
						  "byte %zu: '%%header{' without its closing '}'", i);
			add_piece(w, P_HEADER, 0, f + i + 8, (size_t)(end - f - i - 8));
			i = (size_t)(end - f) + 1;
		} else {
			add_piece(w, P_TEXT, 0, f + i, 1);
			i++;
		}
	}
	return 0;
}

int wout_new(const char *fmt, struct wout **out, struct rd_err *err)
{
	struct wout *w = xcalloc(1, sizeof(*w));
	struct buf file;
	int ret = 0, fd = -1;

	buf_init(&file);
	*out = NULL;
	if (fmt[0] == '@') {
		fd = strcmp(fmt + 1, "-") == 0 ? STDIN_FILENO :
		     open(fmt + 1, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ret = rd_err_sys(err, errno, "cannot open '%s'", fmt + 1);
			goto out;
		}
		if ((ret = buf_read_fd(&file, fd, 1 << 20, err)) < 0)
			goto out;
		if (memchr(file.data ? file.data : "", '\0', file.len)) {
			ret = rd_err_set(err, RD_E_INVAL, "'%s' holds a NUL byte", fmt + 1);
			goto out;
		}
		fmt = file.data ? file.data : "";
	}
	if ((ret = parse(w, fmt, err)) < 0)
		goto out;
	*out = w;
	w = NULL;
out:
	if (fd > STDIN_FILENO)
		close(fd);
	buf_release(&file);
	wout_free(w);
	return ret;
}

void wout_free(struct wout *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->p[i].text);
	free(w->p);
	free(w);
}

/* The first field called name in the last header block of h. */
static void find_header(const struct wout_vals *v, const char *name,
			size_t nlen, struct buf *out)
{
	const char *h = v->headers, *end, *block, *p;

	if (!h || nlen == 0)
		return;
	end = h + v->headers_len;
	/* After redirects the block holds every response: use the last. */
	for (block = p = h; p < end; ) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol ? eol + 1 : end;

		if ((size_t)(end - p) > 5 && strncmp(p, "HTTP/", 5) == 0)
			block = p;
		p = next;
	}
	for (p = block; p < end; ) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *vs, *ve;

		if ((size_t)(le - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			for (vs = p + nlen + 1; vs < le && (*vs == ' ' || *vs == '\t'); vs++)
				;
			for (ve = le; ve > vs && (ve[-1] == '\r' || ve[-1] == ' ' ||
						   ve[-1] == '\t'); ve--)
				;
			buf_add(out, vs, (size_t)(ve - vs));
			return;
		}
		p = eol ? eol + 1 : end;
	}
}

static double speed(uint64_t bytes, double secs)
{
	return secs > 0 ? (double)bytes / secs : 0;
}

static void put_var(enum var var, const struct wout_vals *v, struct buf *o)
{
	const char *s = NULL;

	switch (var) {
	case V_HTTP_CODE: buf_addf(o, "%03d", v->status); return;
	case V_NUM_REDIRECTS: buf_addf(o, "%ld", v->num_redirects); return;
	case V_REMOTE_PORT: buf_addf(o, "%ld", v->remote_port); return;
	case V_EXITCODE: buf_addf(o, "%d", v->exitcode); return;
	case V_SIZE_DOWNLOAD: buf_addf(o, "%llu", (unsigned long long)v->size_download); return;
	case V_SIZE_UPLOAD: buf_addf(o, "%llu", (unsigned long long)v->size_upload); return;
	case V_SIZE_HEADER: buf_addf(o, "%llu", (unsigned long long)v->size_header); return;
	case V_SIZE_REQUEST: buf_addf(o, "%llu", (unsigned long long)v->size_request); return;
	case V_SPEED_DOWNLOAD: buf_addf(o, "%.0f", speed(v->size_download, v->time_total)); return;
	case V_SPEED_UPLOAD: buf_addf(o, "%.0f", speed(v->size_upload, v->time_total)); return;
	case V_TIME_NAMELOOKUP: buf_addf(o, "%.6f", v->time_namelookup); return;
	case V_TIME_CONNECT: buf_addf(o, "%.6f", v->time_connect); return;
	case V_TIME_APPCONNECT: buf_addf(o, "%.6f", v->time_appconnect); return;
	case V_TIME_PRETRANSFER: buf_addf(o, "%.6f", v->time_pretransfer); return;
	case V_TIME_STARTTRANSFER: buf_addf(o, "%.6f", v->time_starttransfer); return;
	case V_TIME_REDIRECT: buf_addf(o, "%.6f", v->time_redirect); return;
	case V_TIME_TOTAL: buf_addf(o, "%.6f", v->time_total); return;
	case V_HTTP_VERSION: s = v->http_version; break;
	case V_METHOD: s = v->method; break;
	case V_SCHEME: s = v->scheme; break;
	case V_URL: s = v->url; break;
	case V_URL_EFFECTIVE: s = v->url_effective; break;
	case V_REDIRECT_URL: s = v->redirect_url; break;
	case V_CONTENT_TYPE: s = v->content_type; break;
	case V_REMOTE_IP: s = v->remote_ip; break;
	case V_ERRORMSG: s = v->errormsg; break;
	}
	if (s)
		buf_adds(o, s);
}

void wout_render(const struct wout *w, const struct wout_vals *v,
		 struct buf *out, struct buf *errout)
{
	struct buf *to = out;

	for (size_t i = 0; i < w->n; i++) {
		const struct piece *p = &w->p[i];

		switch (p->kind) {
		case P_TEXT: buf_add(to, p->text, p->len); break;
		case P_VAR: put_var(p->var, v, to); break;
		case P_HEADER: find_header(v, p->text, p->len, to); break;
		case P_TO_STDERR: to = errout; break;
		case P_TO_STDOUT: to = out; break;
		}
	}
}
