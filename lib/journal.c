/*
 * journal.c - a replay run's events on their way into the spool (see
 * journal.h).
 *
 * Which response headers an attempt keeps: the ones that explain a
 * failure to a person reading a dead letter, and nothing that grants
 * access.  Content-Type and Content-Length (what the body is), Retry-After
 * (when the service asked to come back), Location (a redirect, which is
 * never followed), WWW-Authenticate (why credentials were refused), Server
 * and Via (who answered: the service, or a proxy in front of it) and
 * X-Request-Id (the service's own name for the request, to find it in its
 * logs).
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clk.h"
#include "journal.h"
#include "json.h"
#include "redact.h"
#include "banned.h"

#define EV_FLUSH_NS 100000000LL
#define VALUE_MAX 256        /* a kept header value is cut here */
#define STATUS_LINE_MAX 200

static const char *const kept_headers[] = {
	"content-type", "content-length", "retry-after", "location",
	"www-authenticate", "server", "via", "x-request-id", NULL
};

int journal_init(struct journal *j, struct spool *sp, size_t body_max,
		 struct rd_err *err)
{
	memset(j, 0, sizeof(*j));
	j->sp = sp;
	j->body_max = body_max;
	buf_init(&j->ev);
	buf_init(&j->line_ids);
	buf_init(&j->resp);
	return rec_idgen_init(&j->ids, err);
}

void journal_release(struct journal *j)
{
	buf_release(&j->ev);
	buf_release(&j->line_ids);
	buf_release(&j->resp);
}

/* A new line, with the id id: the batch's first names it. */
static void begin(struct journal *j, const char *id)
{
	buf_add(&j->line_ids, id, REC_ID_LEN);
	if (j->n == 0) {
		memcpy(j->first, id, sizeof(j->first));
		j->since_ns = clk_mono_ns();
	}
	j->n++;
}

void journal_add(struct journal *j, struct rec_event *e, int64_t now_ms)
{
	rec_id_next(&j->ids, now_ms, e->id);
	begin(j, e->id);
	j->outcomes += e->kind != REC_INTENT;
	rec_event_to_json(&j->ev, e);
}

void journal_run(struct journal *j, struct rec_run *r)
{
	rec_id_next(&j->ids, r->at_ms, r->id);
	begin(j, r->id);
	rec_run_to_json(&j->ev, r);
}

int journal_due(const struct journal *j, uint32_t max_events, int64_t now_ns)
{
	return j->n && (j->outcomes >= max_events || j->ev.len >= JOURNAL_BATCH_BYTES ||
			now_ns - j->since_ns >= EV_FLUSH_NS);
}

int journal_flush(struct journal *j, struct rd_err *err)
{
	struct spool_batch b;
	int ret;

	if (j->failed) {
		if (err)
			*err = j->ferr;
		return j->ferr.code ? j->ferr.code : RD_E_IO;
	}
	if (j->n == 0)
		return 0;
	b.data = j->ev.data;
	b.len = j->ev.len;
	b.count = j->n;
	b.first_id = j->first;
	ret = spool_append_ids(j->sp, &b, j->line_ids.data, &j->ferr);
	if (ret >= 0)
		ret = spool_sync(j->sp, &j->ferr);
	if (ret < 0) {
		/* Nothing of the batch is stored: those sends will be made
		 * again by the next run, which is the at-least-once promise. */
		j->failed = 1;
		if (err)
			*err = j->ferr;
		return ret;
	}
	buf_reset(&j->ev);
	buf_reset(&j->line_ids);
	j->n = 0;
	j->outcomes = 0;
	return 0;
}

static int kept(const char *name, size_t n)
{
	for (size_t i = 0; kept_headers[i]; i++)
		if (strlen(kept_headers[i]) == n &&
		    strncasecmp(name, kept_headers[i], n) == 0)
			return 1;
	return 0;
}

/* Copy s into j->resp as printable ASCII (a header is not promised to be
 * UTF-8, and an event is JSON); returns its offset there. */
static size_t put_clean(struct journal *j, const char *s, size_t n, size_t max)
{
	size_t at = j->resp.len;

	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		buf_addc(&j->resp, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	return at;
}

/* Offsets into j->resp become pointers once it stops growing. */
struct span {
	size_t off, len;
};

static void parse_head(struct journal *j, const char *p, size_t n,
		       struct span *status, struct span name[], struct span value[],
		       size_t *nh)
{
	const char *end = p + n;
	int first = 1;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *colon;

		while (le > p && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
			le--;
		if (first) {
			status->len = (size_t)(le - p) < STATUS_LINE_MAX ?
				      (size_t)(le - p) : STATUS_LINE_MAX;
			status->off = put_clean(j, p, (size_t)(le - p), STATUS_LINE_MAX);
			first = 0;
		} else if ((colon = memchr(p, ':', (size_t)(le - p))) &&
			   kept(p, (size_t)(colon - p)) && *nh < JOURNAL_HDRS_MAX) {
			const char *v = colon + 1;
			size_t vl;

			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			vl = (size_t)(le - v) < VALUE_MAX ? (size_t)(le - v) : VALUE_MAX;
			name[*nh].off = put_clean(j, p, (size_t)(colon - p), VALUE_MAX);
			name[*nh].len = (size_t)(colon - p) < VALUE_MAX ?
					(size_t)(colon - p) : VALUE_MAX;
			/* The set holds no secret, but a name redact knows as
			 * one is never stored in clear, whatever the set. */
			if (redact_header_name(NULL, p, (size_t)(colon - p))) {
				value[*nh].off = put_clean(j, "[REDACTED]", 10, 10);
				value[*nh].len = 10;
			} else {
				value[*nh].off = put_clean(j, v, vl, VALUE_MAX);
				value[*nh].len = vl;
			}
			(*nh)++;
		}
		p = eol ? eol + 1 : end;
	}
}

/* A body cut in the middle of a UTF-8 sequence stays text: drop the
 * partial sequence at the cut rather than turn it all into base64. */
static size_t utf8_cut(const char *s, size_t n)
{
	long bad = json_utf8_check(s, n);

	if (bad >= 0 && (size_t)bad + 4 > n && json_utf8_check(s, (size_t)bad) < 0)
		return (size_t)bad;
	return n;
}

void journal_response(struct journal *j, struct rec_event *e,
		      const struct http_res *res)
{
	struct span status = { 0, 0 }, name[JOURNAL_HDRS_MAX], value[JOURNAL_HDRS_MAX];
	size_t nh = 0, body_at, body_len = 0;
	const struct buf *h = res->headers, *b = res->body;

	if (res->status == 0 || !h || h->len == 0)
		return;
	buf_reset(&j->resp);
	parse_head(j, h->data, h->len, &status, name, value, &nh);
	body_at = j->resp.len;
	if (b && b->len && j->body_max) {
		body_len = b->len < j->body_max ? b->len : j->body_max;
		if (res->body_bytes > body_len)
			body_len = utf8_cut(b->data, body_len);
		buf_add(&j->resp, b->data, body_len);
	}
	e->has_response = 1;
	e->status_line.p = j->resp.data + status.off;
	e->status_line.n = status.len;
	for (size_t i = 0; i < nh; i++) {
		j->hdrs[i].name = j->resp.data + name[i].off;
		j->hdrs[i].name_len = name[i].len;
		j->hdrs[i].value = j->resp.data + value[i].off;
		j->hdrs[i].value_len = value[i].len;
	}
	e->resp_hdrs = j->hdrs;
	e->nresp_hdrs = nh;
	e->resp_body.p = j->resp.data + body_at;
	e->resp_body.n = body_len;
	e->resp_truncated = res->body_bytes > body_len;
}

void journal_dead(struct journal *j, const char *ref, int64_t now_ms,
		  const char *reason)
{
	struct rec_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = REC_DEAD;
	memcpy(ev.ref, ref, sizeof(ev.ref));
	ev.at_ms = now_ms;
	ev.reason.p = reason;
	ev.reason.n = strlen(reason);
	journal_add(j, &ev, now_ms);
}

void journal_user(char *out, size_t n)
{
	struct passwd pw, *res = NULL;
	char b[4096];
	const char *u = getenv("USER");

	/* The name goes into a JSON event: UTF-8 only. */
	if (getpwuid_r(getuid(), &pw, b, sizeof(b), &res) == 0 && res &&
	    res->pw_name[0] &&
	    json_utf8_check(res->pw_name, strlen(res->pw_name)) < 0)
		snprintf(out, n, "%s", res->pw_name);
	else if (u && *u && json_utf8_check(u, strlen(u)) < 0)
		snprintf(out, n, "%s", u);
	else
		snprintf(out, n, "uid %u", (unsigned)getuid());
}

void journal_revive(struct journal *j, const char *ref, int64_t now_ms,
		    const char *reason, const char *user, long long n,
		    struct rec_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = REC_REVIVE;
	memcpy(ev->ref, ref, sizeof(ev->ref));
	ev->at_ms = now_ms;
	ev->reason.p = reason;
	ev->reason.n = strlen(reason);
	ev->user.p = user ? user : "";
	ev->user.n = user ? strlen(user) : 0;
	ev->revives = n;
	journal_add(j, ev, now_ms);
}
