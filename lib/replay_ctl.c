/*
 * replay_ctl.c - the control file of a running replay (see replay_ctl.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "num.h"
#include "replay_ctl.h"
#include "banned.h"

#define CTL_MAX 4096

int replay_ctl_write(struct spool *sp, struct replay_ctl *c, struct rd_err *err)
{
	struct rec_idgen g;
	struct buf b;
	struct iovec iov;
	char t[REC_TIME_LEN + 1];
	int ret;

	if ((ret = rec_idgen_init(&g, err)) < 0)
		return ret;
	c->at_ms = rec_now_ms();
	rec_id_next(&g, c->at_ms, c->id);
	rec_time_fmt(c->at_ms, t);
	buf_init(&b);
	buf_addf(&b, "{\"v\":1,\"id\":\"%s\",\"at\":\"%s\",\"rate\":", c->id, t);
	num_add(&b, c->rate, NUM_JSON);
	buf_adds(&b, ",\"by\":");
	json_add_str(&b, c->by, json_utf8_check(c->by, strlen(c->by)) < 0 ?
		     strlen(c->by) : 0);
	buf_adds(&b, "}\n");
	iov.iov_base = b.data;
	iov.iov_len = b.len;
	ret = spool_state_write(sp, REPLAY_CTL_NAME, &iov, 1, err);
	buf_release(&b);
	return ret;
}

int replay_ctl_read(struct spool *sp, struct replay_ctl *c, struct rd_err *err)
{
	struct json_doc doc;
	const struct json_val *root, *v;
	struct buf b;
	int ret;

	memset(c, 0, sizeof(*c));
	buf_init(&b);
	if ((ret = spool_state_read(sp, REPLAY_CTL_NAME, &b, CTL_MAX, err)) != 1) {
		buf_release(&b);
		return ret;
	}
	json_doc_init(&doc);
	root = json_parse(&doc, b.data, b.len, NULL, err);
	if (!root || root->type != JSON_OBJECT)
		ret = rd_err_set(err, RD_E_INVAL, "%s is not a JSON object", REPLAY_CTL_NAME);
	else if (!(v = json_get(root, "id")) || v->type != JSON_STRING ||
		 !rec_id_valid(v->str, v->len))
		ret = rd_err_set(err, RD_E_INVAL, "%s: field 'id': not an id", REPLAY_CTL_NAME);
	else {
		memcpy(c->id, v->str, REC_ID_LEN + 1);
		if (!(v = json_get(root, "rate")) || json_num(v, &c->rate) < 0 ||
		    !(c->rate >= 0) || !isfinite(c->rate))
			ret = rd_err_set(err, RD_E_INVAL, "%s: field 'rate': not a rate",
					 REPLAY_CTL_NAME);
		if ((v = json_get(root, "by")) && v->type == JSON_STRING)
			snprintf(c->by, sizeof(c->by), "%s", v->str);
		if ((v = json_get(root, "at")) && v->type == JSON_STRING)
			rec_time_parse(v->str, v->len, &c->at_ms);
	}
	json_doc_release(&doc);
	buf_release(&b);
	return ret;
}

int replay_ctl_set(struct spool *sp, double rate, const char *by, int wait_ms,
		   struct replay_status *st, struct rd_err *err)
{
	struct replay_ctl c;
	int ret;

	if ((ret = replay_status_read(sp, st, err)) < 0)
		return ret;
	if (ret == 0 || st->state != REPLAY_STATUS_RUNNING || !st->alive)
		return REPLAY_CTL_NOT_RUNNING;
	memset(&c, 0, sizeof(c));
	c.rate = rate;
	snprintf(c.by, sizeof(c.by), "%s", by ? by : "");
	if ((ret = replay_ctl_write(sp, &c, err)) < 0)
		return ret;
	for (int waited = 0; waited <= wait_ms; waited += 50) {
		struct timespec ts = { 0, 50000000 };

		if ((ret = replay_status_read(sp, st, err)) < 0)
			return ret;
		if (ret == 1 && strcmp(st->control, c.id) == 0)
			return REPLAY_CTL_TAKEN;
		if (ret == 1 && (st->state != REPLAY_STATUS_RUNNING || !st->alive))
			return REPLAY_CTL_NOT_RUNNING;
		nanosleep(&ts, NULL);
	}
	return REPLAY_CTL_NOT_TAKEN;
}
