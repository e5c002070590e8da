/* The lifecycle (lib/life) and a property test of its consumers: random
 * logs of captures, intents, withdraws, attempts, dead and revive events
 * (some read twice),
 * folded by rd-replay's pending set (pend, resumed from a checkpoint
 * taken at a random point) and by rd-audit's fold (given the same
 * checkpoint), with a random run of members damaged after the checkpoint
 * was taken.  For every record audit can see, both must say the same
 * state. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "life.h"
#include "pend.h"
#include "t.h"

#define LINES_PER_MEMBER 8
#define MAXREC 64
#define MAXLINES 600

struct log {
	struct buf line[MAXLINES];
	size_t n;
	char id[MAXREC][REC_ID_LEN + 1];
	int revives[MAXREC];
	size_t nrec;
};

static uint64_t rnd_state = 88172645463325252ULL;

static unsigned rnd(unsigned n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (unsigned)(rnd_state % n);
}

static void pos_of(size_t i, struct spool_pos *p)
{
	p->seg = 1;
	p->off = (uint64_t)(i / LINES_PER_MEMBER) * 1000;
	p->line = (uint32_t)(i % LINES_PER_MEMBER);
}

static struct buf *next_line(struct log *lg)
{
	struct buf *b = &lg->line[lg->n++];

	buf_init(b);
	return b;
}

static void capture(struct log *lg, struct rec_idgen *g, int64_t t)
{
	struct rec_req q;
	struct buf *b = next_line(lg);

	memset(&q, 0, sizeof(q));
	rec_id_next(g, t, lg->id[lg->nrec]);
	memcpy(q.id, lg->id[lg->nrec], sizeof(q.id));
	q.captured_ms = t;
	q.method.p = "POST";
	q.method.n = 4;
	q.url.p = "http://h/o";
	q.url.n = 10;
	q.fail_type.p = "timeout";
	q.fail_type.n = 7;
	rec_req_to_json(b, &q);
	b->data[--b->len] = '\0';
	lg->nrec++;
}

static void event(struct log *lg, struct rec_idgen *g, int64_t t)
{
	struct rec_event e;
	unsigned r = rnd((unsigned)lg->nrec), k = rnd(10);
	struct buf *b = next_line(lg);

	memset(&e, 0, sizeof(e));
	rec_id_next(g, t, e.id);
	memcpy(e.ref, lg->id[r], sizeof(e.ref));
	e.at_ms = t;
	e.reason.p = "why";
	e.reason.n = 3;
	if (k == 5) {
		e.kind = rnd(3) ? REC_INTENT : REC_WITHDRAW;
		e.attempt = 1 + rnd(4);
	} else if (k < 5) {
		e.kind = REC_ATTEMPT;
		e.attempt = 1 + rnd(4);
		e.outcome = k < 2 ? REC_OUT_OK : k < 5 ? REC_OUT_RETRY : REC_OUT_PERMANENT;
		if (e.outcome == REC_OUT_RETRY)
			e.next_due_ms = t + 1000 * (1 + rnd(60));
		e.status = e.outcome == REC_OUT_OK ? 200 : 503;
	} else if (k < 8) {
		e.kind = REC_DEAD;
	} else {
		e.kind = REC_REVIVE;
		e.revives = ++lg->revives[r];
	}
	rec_event_to_json(b, &e);
	b->data[--b->len] = '\0';
}

static void make_log(struct log *lg, unsigned seed)
{
	struct rec_idgen g;
	int64_t t = 1796000000000LL;

	memset(lg, 0, sizeof(*lg));
	rnd_state ^= seed * 2654435761u;
	rec_idgen_init(&g, NULL);
	capture(lg, &g, t);
	while (lg->n < MAXLINES - 1) {
		unsigned k = rnd(10);

		t += 1 + rnd(500);
		if (k < 3 && lg->nrec < MAXREC)
			capture(lg, &g, t);
		else if (k == 3 && lg->n > 1) {
			/* an event read twice: the same line again (requests
			 * are written once: ids are unique) */
			size_t j = 1 + rnd((unsigned)lg->n - 1);
			struct buf *b;

			if (rec_kind_peek(lg->line[j].data, lg->line[j].len) == REC_REQUEST)
				continue;
			b = next_line(lg);
			buf_add(b, lg->line[j].data, lg->line[j].len);
		} else {
			event(lg, &g, t);
		}
	}
}

static void item(const struct log *lg, size_t i, struct spool_item *it)
{
	it->line = lg->line[i].data;
	it->len = lg->line[i].len;
	pos_of(i, &it->pos);
}

/* One trial: checkpoint after line k, members [d0, d1) damaged after. */
static int trial(const struct log *lg, size_t k, size_t d0, size_t d1)
{
	struct pend run, ck_audit, tail;
	struct rec_parser rp;
	struct audit a;
	struct audit_opts o;
	struct pend_ckpt sv;
	struct spool_pos at, back;
	struct spool_mark mark;
	struct buf file;
	struct rd_err err;
	int bad = 0;

	rec_parser_init(&rp);
	pend_init(&run);
	/* rd-replay: the log read whole up to k, compacted, checkpointed */
	for (size_t i = 0; i < k; i++) {
		struct spool_item it;

		item(lg, i, &it);
		pend_fold(&run, &it, &rp, &err);
	}
	pend_compact(&run);
	pos_of(k, &at);
	memset(&mark, 0, sizeof(mark));
	pend_save(&run, &at, &mark, &sv);
	pend_init(&tail);
	pend_init(&ck_audit);
	for (int copy = 0; copy < 2; copy++) {
		buf_init(&file);
		for (int i = 0; i < 3; i++)
			buf_add(&file, sv.iov[i].iov_base, sv.iov[i].iov_len);
		pend_load(copy ? &ck_audit : &tail, &file, &back, &mark, &err);
		buf_release(&file);
	}
	pend_release(&run);
	/* then the damage, and both read what is left */
	memset(&o, 0, sizeof(o));
	o.now_ms = 1797000000000LL;
	o.ckpt = k ? &ck_audit : NULL;
	o.ckpt_at = at;
	audit_init(&a, &o);
	for (size_t i = 0; i < lg->n; i++) {
		struct spool_item it;
		size_t m = i / LINES_PER_MEMBER;

		if (m >= d0 && m < d1)
			continue;
		item(lg, i, &it);
		if (i >= k)
			pend_fold(&tail, &it, &rp, &err);
		audit_fold(&a, &it);
	}
	audit_finish(&a);
	for (size_t r = 0; r < lg->nrec; r++) {
		int as = audit_state_of(&a, lg->id[r], NULL);
		struct pend_ent *e = pend_get(&tail, lg->id[r]);
		int ps = e ? e->state : PEND_DONE;

		if (as < 0)
			continue; /* its request was in the damage */
		if (as != ps)
			bad++;
	}
	audit_release(&a);
	pend_release(&tail);
	pend_release(&ck_audit);
	rec_parser_release(&rp);
	return bad;
}

static void unit(void)
{
	struct life l;
	struct rec_event e;

	life_init(&l);
	memset(&e, 0, sizeof(e));
	e.kind = REC_ATTEMPT;
	e.attempt = 1;
	e.outcome = REC_OUT_RETRY;
	e.next_due_ms = 5000;
	T_EQ_INT(life_apply(&l, &e), LIFE_SAME, "a retry leaves it pending");
	T_OK(l.state == LIFE_PENDING && l.due_ms == 5000 && l.attempts == 1, "due later");
	e.kind = REC_DEAD;
	T_EQ_INT(life_apply(&l, &e), LIFE_RESOLVED, "dead resolves");
	T_EQ_INT(life_apply(&l, &e), LIFE_SAME, "dead read twice changes nothing");
	e.kind = REC_REVIVE;
	e.revives = 1;
	T_EQ_INT(life_apply(&l, &e), LIFE_REOPENED, "a revive reopens");
	T_OK(l.state == LIFE_PENDING && l.attempts == 0 && l.earlier == 1 && l.due_ms == 0,
	     "a revive starts the attempts again and keeps the sends");
	e.kind = REC_DEAD;
	life_apply(&l, &e);
	e.kind = REC_REVIVE;
	T_EQ_INT(life_apply(&l, &e), LIFE_SAME, "the same revive read again changes nothing");
	e.revives = 0;
	T_EQ_INT(life_apply(&l, &e), LIFE_REOPENED, "an old revive without a count counts one more");
	T_EQ_INT(l.revives, 2, "two revives");
	e.kind = REC_ATTEMPT;
	e.attempt = 2;
	e.outcome = REC_OUT_OK;
	T_EQ_INT(life_apply(&l, &e), LIFE_RESOLVED, "ok resolves");
	T_EQ_INT(life_sends(&l), 3, "one send before the first revive, two since");
	e.kind = REC_DEAD;
	T_EQ_INT(life_apply(&l, &e), LIFE_SAME, "delivered is final");
	T_EQ_INT(l.state, LIFE_DONE, "still delivered");
	e.kind = REC_ATTEMPT;
	e.attempt = 1;
	T_EQ_INT(l.attempts, 2, "an attempt number below ours is an old one");
	T_EQ_STR(life_state_name(LIFE_DEAD), "dead", "state names");
	/* an older attempt read back after a newer one was sent */
	life_init(&l);
	e.kind = REC_INTENT;
	e.attempt = 2;
	T_EQ_INT(life_apply(&l, &e), LIFE_SAME, "an intent changes no state");
	T_EQ_INT(l.attempts, 2, "but counts its send");
	/* a send prepared and never started: its intent withdrawn */
	e.kind = REC_WITHDRAW;
	e.attempt = 1;
	T_EQ_INT(life_apply(&l, &e), LIFE_SAME, "a withdraw changes no state");
	T_EQ_INT(l.attempts, 2, "a withdraw of an older number takes nothing back");
	e.attempt = 2;
	life_apply(&l, &e);
	T_EQ_INT(l.attempts, 1, "a withdraw takes its intent's send back");
	T_EQ_INT(life_sends(&l), 1, "so the send is not counted");
	life_apply(&l, &e);
	T_EQ_INT(l.attempts, 1, "a withdraw read twice takes nothing more");
	e.kind = REC_INTENT;
	life_apply(&l, &e);
	T_EQ_INT(l.attempts, 2, "the next send takes the number again");
	e.kind = REC_WITHDRAW;
	e.attempt = 0;
	life_init(&l);
	life_apply(&l, &e);
	T_EQ_INT(l.attempts, 0, "a withdraw of no number takes nothing");
	e.kind = REC_INTENT;
	e.attempt = 2;
	life_apply(&l, &e);
	e.kind = REC_ATTEMPT;
	e.outcome = REC_OUT_RETRY;
	e.attempt = 2;
	e.next_due_ms = 9000;
	life_apply(&l, &e);
	e.attempt = 1;
	e.next_due_ms = 1000;
	life_apply(&l, &e);
	T_EQ_INT(l.due_ms, 9000, "an older attempt does not bring the retry forward");
}

int main(void)
{
	int trials = 0, disagree = 0;

	unit();
	for (unsigned seed = 1; seed <= 60; seed++) {
		struct log *lg = malloc(sizeof(*lg));
		size_t members;

		make_log(lg, seed);
		members = (lg->n + LINES_PER_MEMBER - 1) / LINES_PER_MEMBER;
		for (int t = 0; t < 20; t++) {
			size_t k = t == 0 ? 0 : rnd((unsigned)lg->n + 1);
			size_t d0 = rnd((unsigned)members + 1);
			size_t d1 = t % 3 == 0 ? d0 : d0 + rnd(4);

			disagree += trial(lg, k, d0, d1) != 0;
			trials++;
		}
		for (size_t i = 0; i < lg->n; i++)
			buf_release(&lg->line[i]);
		free(lg);
	}
	T_EQ_INT(trials, 1200, "1200 random logs, checkpoints and damage");
	T_EQ_INT(disagree, 0, "replay and audit agree on every record of every trial");
	return t_done();
}
