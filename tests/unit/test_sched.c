/* Unit tests for replay scheduling: which records a run sends, and in
 * what order, from the state the log gives them, through rd-replay's
 * engine in --dry-run (no HTTP: each send it would make is handed to a
 * callback).  One spool per row of the table, in a temporary directory.
 *
 * The log: six requests, A to F, to two hosts, captured a minute ago.
 *   A  pending, never sent              -> due
 *   B  retry due in an hour             -> not yet
 *   C  retry due a second ago           -> due
 *   D  delivered                        -> never again
 *   E  dead after 5 attempts            -> only with --revive
 *   F  revived after dying              -> due
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "rec.h"
#include "replay.h"
#include "spool.h"
#include "t.h"

#define N 6

struct seen {
	char urls[16][64];
	size_t n;
};

static void on_dry(void *ctx, const struct http_req *q)
{
	struct seen *s = ctx;

	if (s->n < 16)
		snprintf(s->urls[s->n++], sizeof(s->urls[0]), "%s", q->url);
}

static void add_event(struct buf *b, struct rec_idgen *g, const char *ref,
		      enum rec_kind kind, int attempt, enum rec_outcome out,
		      int64_t at, int64_t due)
{
	struct rec_event e;

	memset(&e, 0, sizeof(e));
	rec_id_next(g, at, e.id);
	memcpy(e.ref, ref, sizeof(e.ref));
	e.kind = kind;
	e.at_ms = at;
	e.attempt = attempt;
	e.outcome = out;
	e.next_due_ms = due;
	e.status = out == REC_OUT_OK ? 200 : 503;
	e.reason.p = "why";
	e.reason.n = 3;
	e.revives = kind == REC_REVIVE ? 1 : 0;
	rec_event_to_json(b, &e);
}

/* The log above, in a new spool at dir. */
static int make_spool(const char *dir, int64_t now)
{
	static const char *const url[N] = {
		"http://a.example/A", "http://b.example/B", "http://a.example/C",
		"http://b.example/D", "http://a.example/E", "http://b.example/F",
	};
	char id[N][REC_ID_LEN + 1];
	struct spool_opts so;
	struct spool_batch sb;
	struct rec_idgen g;
	struct spool *sp;
	struct rd_err err;
	struct buf b;
	int ret;

	if (rec_idgen_init(&g, &err) < 0)
		return -1;
	buf_init(&b);
	for (int i = 0; i < N; i++) {
		struct rec_req q;

		memset(&q, 0, sizeof(q));
		rec_id_next(&g, now - 60000, id[i]);
		memcpy(q.id, id[i], sizeof(q.id));
		q.captured_ms = now - 60000;
		q.method.p = "POST";
		q.method.n = 4;
		q.url.p = url[i];
		q.url.n = strlen(url[i]);
		q.fail_type.p = "timeout";
		q.fail_type.n = 7;
		rec_req_to_json(&b, &q);
	}
	add_event(&b, &g, id[1], REC_ATTEMPT, 1, REC_OUT_RETRY, now - 50000, now + 3600000);
	add_event(&b, &g, id[2], REC_ATTEMPT, 1, REC_OUT_RETRY, now - 50000, now - 1000);
	add_event(&b, &g, id[3], REC_ATTEMPT, 1, REC_OUT_OK, now - 50000, 0);
	for (int a = 1; a <= 5; a++)
		add_event(&b, &g, id[4], REC_ATTEMPT, a, REC_OUT_RETRY, now - 50000 + a, now);
	add_event(&b, &g, id[4], REC_DEAD, 0, 0, now - 40000, 0);
	add_event(&b, &g, id[5], REC_DEAD, 0, 0, now - 40000, 0);
	add_event(&b, &g, id[5], REC_REVIVE, 0, 0, now - 30000, 0);
	spool_opts_init(&so);
	so.create = 1;
	if ((ret = spool_open(dir, &so, &sp, &err)) == 0) {
		sb.data = b.data;
		sb.len = b.len;
		sb.count = N + 11;
		sb.first_id = id[0];
		ret = spool_append(sp, &sb, &err) > 0 ? 0 : -1;
		spool_close(sp);
	}
	buf_release(&b);
	return ret;
}

struct row {
	const char *what;
	int revive;
	uint64_t limit;
	uint64_t max_age_ms;
	unsigned max_revives;
	const char *want;        /* the URLs' last letters, in order */
};

static void run_row(const struct row *row, int64_t now)
{
	char dir[] = "/tmp/rd-sched.XXXXXX", got[N + 1];
	struct replay_opts o;
	struct replay_stats st;
	struct seen s;
	struct rd_err err;
	size_t k = 0;

	if (!mkdtemp(dir) || make_spool(dir, now) < 0) {
		T_OK(0, row->what);
		return;
	}
	memset(&s, 0, sizeof(s));
	replay_opts_init(&o);
	o.dir = dir;
	o.dry = REPLAY_DRY_CURL;
	o.on_dry = on_dry;
	o.ctx = &s;
	o.revive = row->revive;
	o.limit = row->limit;
	o.max_age_ms = row->max_age_ms;
	if (row->max_revives)
		o.max_revives = row->max_revives;
	o.rate = 0;
	replay_run(&o, &st, &err);
	for (size_t i = 0; i < s.n && k < N; i++)
		got[k++] = s.urls[i][strlen(s.urls[i]) - 1];
	got[k] = '\0';
	T_EQ_STR(got, row->want, row->what);
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			T_OK(0, "cleanup");
	}
}

int main(void)
{
	static const struct row rows[] = {
		{ "due now, in log order: never sent, a retry that is due, a revived one", 0, 0, 0, 0, "ACF" },
		{ "--limit 2: the first two selected, in log order", 0, 2, 0, 0, "AC" },
		{ "--revive: the dead one comes back, with the due ones", 1, 0, 0, 0, "ACEF" },
		{ "--revive --limit 1: the limit counts the revived too", 1, 1, 0, 0, "A" },
		{ "--max-age 30s: all were captured a minute ago: none is sent", 0, 0, 30000, 0, "" },
		{ "--max-age 2m: all young enough", 0, 0, 120000, 0, "ACF" },
	};
	int64_t now = rec_now_ms();

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i], now);
	return t_done();
}
