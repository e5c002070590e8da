/*
 * replay_status.c - the status file of a replay (see replay_status.h).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "json.h"
#include "num.h"
#include "rec.h"
#include "replay_status.h"
#include "banned.h"

#define STATUS_MAX 65536

const char *replay_status_state_name(enum replay_status_state s)
{
	switch (s) {
	case REPLAY_STATUS_FINISHED: return "finished";
	case REPLAY_STATUS_FAILED: return "failed";
	case REPLAY_STATUS_RUNNING: break;
	}
	return "running";
}

static void add_time(struct buf *b, const char *key, int64_t ms)
{
	char t[REC_TIME_LEN + 1];

	rec_time_fmt(ms, t);
	buf_addf(b, ",\"%s\":\"%s\"", key, t);
}

static void add_text(struct buf *b, const char *key, const char *s)
{
	buf_addf(b, ",\"%s\":", key);
	/* Texts come from messages and the gate's stderr: keep the JSON
	 * valid whatever their bytes. */
	if (json_utf8_check(s, strlen(s)) < 0)
		json_add_str(b, s, strlen(s));
	else
		buf_adds(b, "\"?\"");
}

void replay_status_to_json(const struct replay_status *s, struct buf *out)
{
	buf_addf(out, "{\"v\":1,\"state\":\"%s\",\"pid\":%ld",
		 replay_status_state_name(s->state), s->pid);
	add_time(out, "since", s->since_ms);
	add_time(out, "updated", s->updated_ms);
	if (s->ended_ms)
		add_time(out, "ended", s->ended_ms);
	buf_addf(out, ",\"sent\":%llu,\"ok\":%llu,\"retry\":%llu,\"dead\":%llu,"
		 "\"revived\":%llu,\"pending\":%llu,\"rate\":",
		 (unsigned long long)s->sent, (unsigned long long)s->ok,
		 (unsigned long long)s->retry, (unsigned long long)s->dead,
		 (unsigned long long)s->revived, (unsigned long long)s->pending);
	/* a tenth of a request per second is all a picture needs */
	num_add(out, round(s->rate * 10) / 10, NUM_JSON);
	buf_adds(out, ",\"rate_limit\":");
	num_add(out, round(s->rate_limit * 10) / 10, NUM_JSON);
	add_text(out, "gate", s->gate[0] ? s->gate : "none");
	if (s->gate_why[0])
		add_text(out, "gate_why", s->gate_why);
	if (s->error[0])
		add_text(out, "error", s->error);
	if (s->control[0])
		add_text(out, "control", s->control);
	buf_adds(out, "}\n");
}

static int get_u64(const struct json_val *root, const char *key, uint64_t *out)
{
	long long v;
	const struct json_val *c = json_get(root, key);

	if (!c)
		return 0;
	if (json_int(c, 0, INT64_MAX, &v) < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int get_time(const struct json_val *root, const char *key, int64_t *out)
{
	const struct json_val *c = json_get(root, key);

	if (!c)
		return 0;
	if (c->type != JSON_STRING || rec_time_parse(c->str, c->len, out) < 0)
		return -1;
	return 0;
}

static void get_text(const struct json_val *root, const char *key, char *out,
		     size_t n)
{
	const struct json_val *c = json_get(root, key);

	if (c && c->type == JSON_STRING)
		snprintf(out, n, "%s", c->str);
}

int replay_status_parse(const char *text, size_t n, struct replay_status *out,
			struct rd_err *err)
{
	static const char *const counts[] = {
		"sent", "ok", "retry", "dead", "revived", "pending", NULL
	};
	uint64_t *dst[6];
	struct json_doc doc;
	const struct json_val *root, *c;
	long long pid = 0;
	const char *bad = NULL;

	memset(out, 0, sizeof(*out));
	dst[0] = &out->sent; dst[1] = &out->ok; dst[2] = &out->retry;
	dst[3] = &out->dead; dst[4] = &out->revived; dst[5] = &out->pending;
	json_doc_init(&doc);
	root = json_parse(&doc, text, n, NULL, NULL);
	if (!root || root->type != JSON_OBJECT) {
		json_doc_release(&doc);
		return rd_err_set(err, RD_E_INVAL, "the replay status is not a JSON object");
	}
	c = json_get(root, "state");
	if (!c || c->type != JSON_STRING)
		bad = "state";
	else if (strcmp(c->str, "finished") == 0)
		out->state = REPLAY_STATUS_FINISHED;
	else if (strcmp(c->str, "failed") == 0)
		out->state = REPLAY_STATUS_FAILED;
	if (json_int(json_get(root, "pid"), 0, 0x7fffffff, &pid) < 0)
		bad = "pid";
	out->pid = (long)pid;
	if (get_time(root, "since", &out->since_ms) < 0)
		bad = "since";
	if (get_time(root, "updated", &out->updated_ms) < 0)
		bad = "updated";
	if (get_time(root, "ended", &out->ended_ms) < 0)
		bad = "ended";
	for (int i = 0; counts[i]; i++)
		if (get_u64(root, counts[i], dst[i]) < 0)
			bad = counts[i];
	if (json_get(root, "rate") && json_num(json_get(root, "rate"), &out->rate) < 0)
		bad = "rate";
	if (json_get(root, "rate_limit") &&
	    json_num(json_get(root, "rate_limit"), &out->rate_limit) < 0)
		bad = "rate_limit";
	get_text(root, "gate", out->gate, sizeof(out->gate));
	get_text(root, "gate_why", out->gate_why, sizeof(out->gate_why));
	get_text(root, "control", out->control, sizeof(out->control));
	get_text(root, "error", out->error, sizeof(out->error));
	json_doc_release(&doc);
	if (bad)
		return rd_err_set(err, RD_E_INVAL, "the replay status has a bad '%s'", bad);
	return 0;
}

int replay_status_write(struct spool *sp, const struct replay_status *s,
			struct rd_err *err)
{
	struct buf b;
	struct iovec iov;
	int ret;

	buf_init(&b);
	replay_status_to_json(s, &b);
	iov.iov_base = b.data;
	iov.iov_len = b.len;
	ret = spool_state_put(sp, REPLAY_STATUS_NAME, &iov, 1,
			      SPOOL_STATE_VOLATILE, err);
	buf_release(&b);
	return ret;
}

int replay_status_read(struct spool *sp, struct replay_status *out,
		       struct rd_err *err)
{
	struct buf b;
	int ret;

	buf_init(&b);
	memset(out, 0, sizeof(*out));
	ret = spool_state_read(sp, REPLAY_STATUS_NAME, &b, STATUS_MAX, err);
	if (ret == 1) {
		if (replay_status_parse(b.data ? b.data : "", b.len, out, err) < 0)
			ret = RD_E_INVAL;
		else if (out->state == REPLAY_STATUS_RUNNING && out->pid > 0)
			out->alive = kill((pid_t)out->pid, 0) == 0 || errno == EPERM;
	}
	buf_release(&b);
	return ret;
}
