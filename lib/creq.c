/*
 * creq.c - curl-like request options (see creq.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "creq.h"
#include "xalloc.h"
#include "banned.h"

void creq_init(struct creq *c, uint64_t max_body)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->body);
	c->max_body = max_body;
}

void creq_release(struct creq *c)
{
	buf_release(&c->body);
	free(c->hdrs);
	c->hdrs = NULL;
	c->nhdrs = 0;
}

int creq_parse_header(const char *arg, struct rec_str *name,
		      struct rec_str *value, struct rd_err *err)
{
	const char *colon = strchr(arg, ':');
	const char *v;

	if (!colon || colon == arg)
		return rd_err_set(err, RD_E_INVAL, "header '%s' is not 'Name: value'", arg);
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	name->p = arg;
	name->n = (size_t)(colon - arg);
	value->p = v;
	value->n = strlen(v);
	return 0;
}

int creq_add_header(struct creq *c, const char *arg, struct rd_err *err)
{
	struct rec_str n, v;
	int ret;

	if ((ret = creq_parse_header(arg, &n, &v, err)) < 0)
		return ret;
	c->hdrs = xrealloc(c->hdrs, (c->nhdrs + 1) * sizeof(*c->hdrs));
	c->hdrs[c->nhdrs].name = n;
	c->hdrs[c->nhdrs].value = v;
	c->nhdrs++;
	return 0;
}

int creq_add_data(struct creq *c, const char *arg, enum creq_data kind,
		  struct rd_err *err)
{
	struct buf f;
	int fd, ret;

	if (c->have_data && kind == CREQ_DATA)
		buf_addc(&c->body, '&');
	c->have_data = 1;
	if (kind == CREQ_DATA_RAW || arg[0] != '@') {
		buf_adds(&c->body, arg);
		return 0;
	}
	fd = strcmp(arg + 1, "-") == 0 ? STDIN_FILENO :
	     open(arg + 1, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rd_err_sys(err, errno, "cannot open '%s'", arg + 1);
	buf_init(&f);
	ret = buf_read_fd(&f, fd, c->max_body, err);
	if (fd != STDIN_FILENO)
		close(fd);
	if (ret < 0) {
		struct rd_err e2 = *err;

		buf_release(&f);
		return rd_err_set(err, ret, "'%s': %s%s", arg + 1, e2.msg,
				  ret == RD_E_FULL ? " (--max-record-size)" : "");
	}
	for (size_t i = 0; i < f.len; i++)
		if (kind == CREQ_DATA_BINARY || (f.data[i] != '\r' && f.data[i] != '\n'))
			buf_addc(&c->body, f.data[i]);
	buf_release(&f);
	return 0;
}

void creq_finish(struct creq *c)
{
	int has_ct = 0;

	if (c->have_data) {
		for (size_t i = 0; i < c->nhdrs; i++)
			has_ct |= c->hdrs[i].name.n == 12 &&
				  strncasecmp(c->hdrs[i].name.p, "Content-Type", 12) == 0;
		if (!has_ct) { /* what curl -d sends */
			c->hdrs = xrealloc(c->hdrs, (c->nhdrs + 1) * sizeof(*c->hdrs));
			c->hdrs[c->nhdrs].name.p = "Content-Type";
			c->hdrs[c->nhdrs].name.n = 12;
			c->hdrs[c->nhdrs].value.p = "application/x-www-form-urlencoded";
			c->hdrs[c->nhdrs].value.n = 33;
			c->nhdrs++;
		}
	}
}

void creq_to_rec(const struct creq *c, const char *url, struct rec_req *r)
{
	r->method.p = c->method ? c->method : c->have_data ? "POST" : "GET";
	r->method.n = strlen(r->method.p);
	r->url.p = url;
	r->url.n = strlen(url);
	r->hdrs = c->hdrs;
	r->nhdrs = c->nhdrs;
	r->body.p = c->body.data ? c->body.data : "";
	r->body.n = c->body.len;
}
