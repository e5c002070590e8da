/*
 * sel.c - the selection filters (see sel.h).
 *
 * The id set is a sorted array of packed ids, sorted lazily on the first
 * match after additions.  A jq predicate sees the stored line; its first
 * output decides, and any further outputs are drained so the next record
 * starts clean.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "jqf.h"
#include "rx.h"
#include "sel.h"
#include "xalloc.h"
#include "banned.h"

struct sel {
	struct sel_opts o;
	struct jqf *jq;
	struct rx *rx;
	unsigned char (*ids)[REC_ID_BIN];
	unsigned char *seen;        /* per sorted id: a record had it */
	size_t nids, cap;
	int sorted;
	struct buf in, out;
};

int sel_new(const struct sel_opts *o, struct sel **out, struct rd_err *err)
{
	struct sel *s = xcalloc(1, sizeof(*s));
	int ret;

	s->o = *o;
	buf_init(&s->in);
	buf_init(&s->out);
	if (o->where && (ret = jqf_new("--where", o->where, &s->jq, err)) < 0)
		goto fail;
	if (o->match_url && (ret = rx_new(o->match_url, &s->rx, err)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	sel_free(s);
	*out = NULL;
	return ret;
}

int sel_all(const struct sel *s)
{
	return !s->jq && !s->rx && !s->o.since_ms && !s->o.until_ms &&
	       !s->o.nfailures && !sel_nids(s);
}

void sel_free(struct sel *s)
{
	if (!s)
		return;
	jqf_free(s->jq);
	rx_free(s->rx);
	free(s->ids);
	free(s->seen);
	buf_release(&s->in);
	buf_release(&s->out);
	free(s);
}

void sel_add_id(struct sel *s, const char *id)
{
	if (s->nids == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->ids = xrealloc(s->ids, s->cap * sizeof(*s->ids));
	}
	rec_id_pack(id, s->ids[s->nids++]);
	s->sorted = 0;
}

size_t sel_nids(const struct sel *s)
{
	return s->nids;
}

size_t sel_unseen(const struct sel *s, void (*fn)(void *ctx, const char *id),
		  void *ctx)
{
	char id[REC_ID_LEN + 1];
	size_t n = 0;

	for (size_t i = 0; i < s->nids; i++) {
		if (s->seen && s->seen[i])
			continue;
		rec_id_unpack(s->ids[i], id);
		if (fn)
			fn(ctx, id);
		n++;
	}
	return n;
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, REC_ID_BIN);
}

/* The quote that closes the string opened at p, past escaped ones. */
static const char *closing(const char *p)
{
	for (const char *q = p + 1; *q; q++) {
		if (*q == '\\' && q[1])
			q++;
		else if (*q == *p)
			return q;
	}
	return NULL;
}

/* The last "...)" in s: where jq marks a value it cut short. */
static const char *last_cut(const char *s)
{
	const char *r = NULL;

	while ((s = strstr(s, "...)"))) {
		r = s;
		s += 4;
	}
	return r;
}

/* jq's errors quote the values they stumbled on, which come from the
 * record (a header's value, the body): each quoted part is masked.  A
 * long value is cut by jq with "...)" and no closing quote, as in
 * `string ("Bearer abc...) and number (1) cannot be added`; the value
 * itself may hold quotes, "..." or even "...)", and a second cut value
 * may follow.  So from a quote with a cut after it, everything up to
 * the last cut is masked; else up to the closing quote, or the end. */
static void mask_quoted(struct rd_err *err)
{
	struct buf b;
	const char *p = err->msg, *close;

	buf_init(&b);
	while (*p) {
		if (*p != '"' && *p != '\'') {
			buf_addc(&b, *p++);
			continue;
		}
		buf_addc(&b, *p);
		buf_adds(&b, "[REDACTED]");
		if ((close = last_cut(p + 1))) {
			p = close;
		} else if ((close = closing(p))) {
			buf_addc(&b, *p);
			p = close + 1;
		} else {
			break;
		}
	}
	rd_err_set(err, err->code, "%s", b.data ? b.data : "");
	buf_release(&b);
}

static int where_match(struct sel *s, const char *line, size_t len,
		       struct rd_err *err)
{
	size_t no;
	int r, verdict = -1, ret = 0;

	/* One feed per record: the parser must drain a buffer before the
	 * next one is given. */
	buf_reset(&s->in);
	buf_add(&s->in, line, len);
	buf_addc(&s->in, '\n');
	jqf_feed(s->jq, s->in.data, s->in.len, 0);
	while ((r = jqf_next(s->jq, &s->out, &no, err)) != 0) {
		if (r < 0) {
			ret = r;
			continue;
		}
		if (verdict < 0)
			verdict = !(strcmp(s->out.data, "false") == 0 ||
				    strcmp(s->out.data, "null") == 0);
	}
	if (ret < 0) {
		if (!s->o.show_secrets)
			mask_quoted(err);
		return ret;
	}
	return verdict > 0;
}

int sel_match(struct sel *s, const struct rec_req *r, const char *line,
	      size_t len, struct rd_err *err)
{
	if (s->nids) {
		unsigned char bin[REC_ID_BIN];

		const unsigned char (*hit)[REC_ID_BIN];

		if (!s->sorted) {
			size_t k = 0;

			qsort(s->ids, s->nids, sizeof(*s->ids), cmp_id);
			/* an id named twice is one id */
			for (size_t i = 0; i < s->nids; i++)
				if (!k || memcmp(s->ids[i], s->ids[k - 1], REC_ID_BIN))
					memmove(s->ids[k++], s->ids[i], REC_ID_BIN);
			s->nids = k;
			free(s->seen);
			s->seen = xcalloc(s->nids, 1);
			s->sorted = 1;
		}
		rec_id_pack(r->id, bin);
		if (!(hit = bsearch(bin, s->ids, s->nids, sizeof(*s->ids), cmp_id)))
			return 0;
		s->seen[hit - (const unsigned char (*)[REC_ID_BIN])s->ids] = 1;
	}
	if (s->o.nfailures) {
		char type[128];
		size_t n = r->fail_type.n < sizeof(type) - 1 ?
			   r->fail_type.n : sizeof(type) - 1;
		size_t i;

		memcpy(type, r->fail_type.p, n);
		type[n] = '\0';
		for (i = 0; i < s->o.nfailures; i++)
			if (fnmatch(s->o.failures[i], type, 0) == 0)
				break;
		if (i == s->o.nfailures)
			return 0;
	}
	if (s->o.since_ms && r->captured_ms < s->o.since_ms)
		return 0;
	if (s->o.until_ms && r->captured_ms >= s->o.until_ms)
		return 0;
	if (s->rx && rx_match(s->rx, r->url.p, r->url.n) != 1)
		return 0;
	if (s->jq)
		return where_match(s, line, len, err);
	return 1;
}

int sel_parse_time(const char *s, int64_t now_ms, int64_t *out,
		   struct rd_err *err)
{
	uint64_t ago;
	struct rd_err e2;

	if (rec_time_parse(s, strlen(s), out) == 0)
		return 0;
	if (cli_parse_duration(s, &ago, &e2) == 0) {
		*out = now_ms - (int64_t)ago;
		return 0;
	}
	return rd_err_set(err, RD_E_INVAL,
			  "'%s' is neither an RFC 3339 time nor a duration like 2h",
			  s);
}
