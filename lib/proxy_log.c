/*
 * proxy_log.c - rd-proxy's access log: one JSON object per request, on
 * one line, appended with one write() so that lines from the server's
 * threads never interleave.  URLs are written with their secrets redacted
 * (user:password@ and credential query values, lib/redact); headers and
 * bodies are never written.  A reopen (after rotation, on SIGHUP) swaps
 * the descriptor under the same lock as the writes, so no line is lost or
 * split between the two files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clk.h"
#include "json.h"
#include "proxy_int.h"
#include "redact.h"
#include "xalloc.h"
#include "banned.h"

struct proxy_log {
	pthread_mutex_t lock;
	int fd;                  /* -1: no log */
	int own;                 /* opened here (not standard output) */
	int failed;              /* a write failed; said once */
};

static int open_log(const char *path, int *fd, struct rd_err *err)
{
	if (strcmp(path, "-") == 0) {
		*fd = STDOUT_FILENO;
		return 0;
	}
	*fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (*fd < 0)
		return rd_err_sys(err, errno, "cannot open the access log '%s'", path);
	return 0;
}

int proxy_log_open(struct proxy *p, struct rd_err *err)
{
	struct proxy_log *l = xcalloc(1, sizeof(*l));
	int ret;

	p->log = l;
	l->fd = -1;
	pthread_mutex_init(&l->lock, NULL);
	if (!p->o.access_log)
		return 0;
	if ((ret = open_log(p->o.access_log, &l->fd, err)) < 0)
		return ret;
	l->own = l->fd != STDOUT_FILENO;
	return 0;
}

int proxy_log_reopen(struct proxy *p, struct rd_err *err)
{
	struct proxy_log *l = p->log;
	int fd, old, ret;

	if (!l || !l->own)
		return 0;
	if ((ret = open_log(p->o.access_log, &fd, err)) < 0)
		return ret;
	pthread_mutex_lock(&l->lock);
	old = l->fd;
	l->fd = fd;
	l->failed = 0;
	pthread_mutex_unlock(&l->lock);
	close(old);
	return 0;
}

void proxy_log_close(struct proxy *p)
{
	struct proxy_log *l = p->log;

	if (!l)
		return;
	if (l->own && close(l->fd) < 0)
		proxy_say(p, PROXY_ERROR, "cannot write the access log: %s",
			  strerror(errno));
	pthread_mutex_destroy(&l->lock);
	free(l);
	p->log = NULL;
}

/* The request's URL at the upstream, redacted; before it was made, the
 * target as received, without its query. */
static void add_url(const struct proxy_ex *ex, struct buf *b)
{
	struct buf u;

	buf_init(&u);
	if (ex->url.len)
		redact_url(NULL, ex->url.data, ex->url.len, &u);
	else    /* refused before it was rebased: as received, its query
		 * left out and, in the absolute form, its userinfo masked */
		redact_url(NULL, ex->target, strcspn(ex->target, "?"), &u);
	json_add_str(b, u.data ? u.data : "", u.len);
	buf_release(&u);
}

void proxy_log_ex(struct proxy *p, const struct proxy_ex *ex, int status)
{
	struct proxy_log *l = p->log;
	char t[REC_TIME_LEN + 1];
	struct buf b;
	ssize_t w;

	if (!l || l->fd < 0)
		return;
	buf_init(&b);
	rec_time_fmt(rec_now_ms(), t);
	buf_addf(&b, "{\"t\":\"%s\",\"client\":", t);
	json_add_str(&b, ex->client, strlen(ex->client));
	buf_adds(&b, ",\"method\":");
	json_add_str(&b, ex->method, strlen(ex->method));
	buf_adds(&b, ",\"url\":");
	add_url(ex, &b);
	buf_addf(&b, ",\"status\":%d,\"outcome\":\"%s\"", status,
		 proxy_outcome_name(ex->outcome));
	if (ex->up_status)
		buf_addf(&b, ",\"upstream_status\":%d", ex->up_status);
	if (ex->fail.type[0]) {
		buf_adds(&b, ",\"failure\":");
		json_add_str(&b, ex->fail.type, strlen(ex->fail.type));
	}
	if (ex->outcome == PROXY_OUT_CAPTURED)
		buf_addf(&b, ",\"id\":\"%s\"", ex->id);
	buf_addf(&b, ",\"bytes_in\":%zu,\"bytes_out\":%llu,\"ms\":%.3f}\n",
		 ex->body.len, (unsigned long long)ex->bytes_out,
		 (double)(clk_mono_ns() - ex->t0_ns) / 1e6);
	pthread_mutex_lock(&l->lock);
	w = write(l->fd, b.data, b.len);
	if (w != (ssize_t)b.len && !l->failed) {
		l->failed = 1;
		proxy_say(p, PROXY_ERROR, "cannot write the access log: %s",
			  w < 0 ? strerror(errno) : "short write");
	}
	pthread_mutex_unlock(&l->lock);
	buf_release(&b);
}
