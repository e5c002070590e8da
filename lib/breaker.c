/*
 * breaker.c - circuit breaker state machine and its JSON state (see
 * breaker.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breaker.h"
#include "json.h"
#include "num.h"
#include "rec.h"
#include "xalloc.h"
#include "banned.h"

void breaker_init(struct breaker *b, unsigned open_after, unsigned close_after,
		  int64_t cooldown_ms)
{
	memset(b, 0, sizeof(*b));
	b->open_after = open_after ? open_after : 1;
	b->close_after = close_after ? close_after : 1;
	b->cooldown_ms = cooldown_ms;
}

void breaker_release(struct breaker *b)
{
	for (size_t i = 0; i < b->nsamples; i++)
		free(b->samples[i].key);
	free(b->samples);
	b->samples = NULL;
	b->nsamples = 0;
}

const char *breaker_state_name(enum breaker_state s)
{
	return s == BREAKER_OPEN ? "open" : s == BREAKER_HALF_OPEN ? "half-open" :
	       "closed";
}

static void open_now(struct breaker *b, int64_t now)
{
	b->state = BREAKER_OPEN;
	b->opened_ms = now;
	b->good = 0;
}

int breaker_step(struct breaker *b, int healthy, int64_t now)
{
	/* opened "in the future": the clock stepped back since; the
	 * cooldown counts from now, not from a time that may be hours
	 * away */
	if (b->state == BREAKER_OPEN && b->opened_ms > now)
		b->opened_ms = now;
	if (b->state == BREAKER_OPEN && now - b->opened_ms >= b->cooldown_ms) {
		b->state = BREAKER_HALF_OPEN;
		b->good = 0;
	}
	switch (b->state) {
	case BREAKER_CLOSED:
		if (healthy) {
			b->bad = 0;
			return 1;
		}
		if (++b->bad >= b->open_after)
			open_now(b, now);
		return 0;
	case BREAKER_OPEN:
		return 0;
	case BREAKER_HALF_OPEN:
		if (!healthy) {
			b->bad++;
			open_now(b, now);
			return 0;
		}
		if (++b->good >= b->close_after) {
			b->state = BREAKER_CLOSED;
			b->bad = 0;
			return 1;
		}
		return 0;
	}
	return 0;
}

const struct breaker_sample *breaker_sample_get(const struct breaker *b,
						const char *key)
{
	for (size_t i = 0; i < b->nsamples; i++)
		if (strcmp(b->samples[i].key, key) == 0)
			return &b->samples[i];
	return NULL;
}

/* The group of a sample key: up to its last " #", or all of it. */
static size_t group_len(const char *key)
{
	const char *h = strrchr(key, '#');

	return h && h > key && h[-1] == ' ' ? (size_t)(h - 1 - key) : strlen(key);
}

static int stale(const char *key, const struct breaker *fresh, int64_t at_ms)
{
	const struct breaker_sample *s = breaker_sample_get(fresh, key);
	size_t g = group_len(key);

	if (s && s->at_ms == at_ms)
		return 0;
	for (size_t i = 0; i < fresh->nsamples; i++)
		if (fresh->samples[i].at_ms == at_ms &&
		    group_len(fresh->samples[i].key) == g &&
		    strncmp(fresh->samples[i].key, key, g) == 0)
			return 1;
	return 0;
}

void breaker_sample_prune(struct breaker *b, const struct breaker *fresh,
			  int64_t at_ms)
{
	size_t k = 0;

	for (size_t i = 0; i < b->nsamples; i++) {
		if (stale(b->samples[i].key, fresh, at_ms)) {
			free(b->samples[i].key);
			continue;
		}
		b->samples[k++] = b->samples[i];
	}
	b->nsamples = k;
}

void breaker_sample_put(struct breaker *b, const char *key, double value,
			int64_t at_ms)
{
	struct breaker_sample *s = (struct breaker_sample *)breaker_sample_get(b, key);

	if (!s) {
		b->samples = xrealloc(b->samples, (b->nsamples + 1) * sizeof(*s));
		s = &b->samples[b->nsamples++];
		s->key = xstrdup(key);
	}
	s->value = value;
	s->at_ms = at_ms;
}

void breaker_to_json(const struct breaker *b, struct buf *out)
{
	char t[REC_TIME_LEN + 1];

	buf_addf(out, "{\"v\":1,\"state\":\"%s\",\"bad\":%u,\"good\":%u",
		 breaker_state_name(b->state), b->bad, b->good);
	if (b->opened_ms) {
		rec_time_fmt(b->opened_ms, t);
		buf_addf(out, ",\"opened_at\":\"%s\"", t);
	}
	buf_adds(out, ",\"samples\":[");
	for (size_t i = 0; i < b->nsamples; i++) {
		rec_time_fmt(b->samples[i].at_ms, t);
		buf_adds(out, i ? ",{\"key\":" : "{\"key\":");
		json_add_str(out, b->samples[i].key, strlen(b->samples[i].key));
		buf_adds(out, ",\"value\":");
		/* every digit a later rate needs; null, not "nan", keeps
		 * the file JSON, and a null sample is dropped on load */
		num_add(out, b->samples[i].value, NUM_JSON);
		buf_addf(out, ",\"at\":\"%s\"}", t);
	}
	buf_adds(out, "]}\n");
}

int breaker_load(struct breaker *b, const char *text, size_t len,
		 struct rd_err *err)
{
	struct json_doc doc;
	const struct json_val *root, *v, *s;
	long long n;
	int ret = RD_E_CORRUPT;

	b->bad = b->good = 0;
	b->opened_ms = 0;
	json_doc_init(&doc);
	root = json_parse(&doc, text, len, NULL, NULL);
	if (!root || root->type != JSON_OBJECT ||
	    !(v = json_get(root, "state")) || v->type != JSON_STRING)
		goto out;
	if (strcmp(v->str, "closed") == 0)
		b->state = BREAKER_CLOSED;
	else if (strcmp(v->str, "open") == 0)
		b->state = BREAKER_OPEN;
	else if (strcmp(v->str, "half-open") == 0)
		b->state = BREAKER_HALF_OPEN;
	else
		goto out;
	/* what is there must be what this version writes: a file it
	 * cannot read is an error (exit 2), never a guess */
	if ((v = json_get(root, "v")) && json_int(v, 1, 1, &n) < 0)
		goto out;
	if ((v = json_get(root, "bad"))) {
		if (json_int(v, 0, 1000000000, &n) < 0)
			goto out;
		b->bad = (unsigned)n;
	}
	if ((v = json_get(root, "good"))) {
		if (json_int(v, 0, 1000000000, &n) < 0)
			goto out;
		b->good = (unsigned)n;
	}
	if ((v = json_get(root, "opened_at")) &&
	    (v->type != JSON_STRING || rec_time_parse(v->str, v->len, &b->opened_ms) < 0))
		goto out;
	if (b->state == BREAKER_OPEN && !b->opened_ms)
		goto out;
	if ((v = json_get(root, "samples")) && v->type == JSON_ARRAY)
		for (s = v->child; s; s = s->next) {
			const struct json_val *k = json_get(s, "key"),
					      *val = json_get(s, "value"),
					      *at = json_get(s, "at");
			double d;
			int64_t ms;

			if (k && k->type == JSON_STRING && val &&
			    json_num(val, &d) == 0 && at && at->type == JSON_STRING &&
			    rec_time_parse(at->str, at->len, &ms) == 0)
				breaker_sample_put(b, k->str, d, ms);
		}
	ret = 0;
out:
	json_doc_release(&doc);
	if (ret < 0)
		rd_err_set(err, ret, "not a rd-health state file");
	return ret;
}
