/* Unit tests for lib/pend: folding requests and events, idempotent
 * refolds, the checkpoint round trip and its damage checks. */
#include <string.h>

#include "pend.h"
#include "rec.h"
#include "t.h"

static void fold(struct pend *p, struct rec_parser *rp, const char *line,
		 uint32_t n)
{
	struct spool_item it;
	struct rd_err err;

	it.line = line;
	it.len = strlen(line);
	it.pos.seg = 1;
	it.pos.off = 100;
	it.pos.line = n;
	pend_fold(p, &it, rp, &err);
}

static void event(struct buf *b, enum rec_kind k, const char *ref,
		  long long attempt, const char *outcome, int64_t due)
{
	struct rec_event e;

	memset(&e, 0, sizeof(e));
	e.kind = k;
	memcpy(e.id, "01JDZ0000000000000000000ZZ", REC_ID_LEN + 1);
	memcpy(e.ref, ref, REC_ID_LEN + 1);
	e.at_ms = 1700000000000LL;
	e.attempt = attempt;
	if (outcome)
		e.outcome = strcmp(outcome, "ok") == 0 ? REC_OUT_OK :
			    strcmp(outcome, "retry") == 0 ? REC_OUT_RETRY :
			    REC_OUT_PERMANENT;
	e.next_due_ms = due;
	e.reason.p = "r";
	e.reason.n = 1;
	buf_reset(b);
	rec_event_to_json(b, &e);
	b->data[--b->len] = '\0'; /* no newline */
}

static void revive_event(struct buf *b, const char *ref, long long n)
{
	struct rec_event e;

	memset(&e, 0, sizeof(e));
	e.kind = REC_REVIVE;
	memcpy(e.id, "01JDZ0000000000000000000ZY", REC_ID_LEN + 1);
	memcpy(e.ref, ref, REC_ID_LEN + 1);
	e.at_ms = 1700000000000LL;
	e.reason.p = "INC-7";
	e.reason.n = 5;
	e.user.p = "alice";
	e.user.n = 5;
	e.revives = n;
	buf_reset(b);
	rec_event_to_json(b, &e);
	b->data[--b->len] = '\0';
}

/* A request line past 4 GiB into its part keeps its position: entries
 * address 40-bit offsets (the limit was 32 bits). */
static void far_offset(void)
{
	static const char a[] = "01JDZ00000000000000000000F";
	struct rec_parser rp;
	struct spool_item it;
	struct spool_pos at;
	struct rd_err err;
	struct buf line;
	struct pend p;
	struct pend_ent *e;

	pend_init(&p);
	rec_parser_init(&rp);
	buf_init(&line);
	buf_addf(&line, "{\"v\":1,\"kind\":\"request\",\"id\":\"%s\",\"captured_at\":\"2026-11-25T00:00:00.000Z\",\"method\":\"GET\",\"url\":\"http://h/\",\"headers\":[],\"body\":\"\",\"failure\":{\"type\":\"x\"},\"attempts\":0,\"idempotency_key\":\"%s\"}", a, a);
	it.line = line.data;
	it.len = line.len;
	it.pos.seg = 9;
	it.pos.off = (5ULL << 30) + 17;
	it.pos.line = 70000;
	T_EQ_INT(pend_fold(&p, &it, &rp, &err), 0, "a record 5 GiB into its part folds");
	e = pend_get(&p, a);
	if (e)
		pend_pos(e, &at);
	T_OK(e && at.seg == 9 && at.off == (5ULL << 30) + 17 && at.line == 70000,
	     "its position comes back whole");
	it.pos.off = 1ULL << 40;
	T_EQ_INT(pend_fold(&p, &it, &rp, &err), 0, "a known record folds again");
	pend_release(&p);
	pend_init(&p);
	T_EQ_INT(pend_fold(&p, &it, &rp, &err), RD_E_INVAL,
		 "an offset past 2^40 is refused, not truncated");
	pend_release(&p);
	rec_parser_release(&rp);
	buf_release(&line);
}

/* The two requests of the tests below, a and b. */
static const char id_a[] = "01JDZ00000000000000000000A";
static const char id_b[] = "01JDZ00000000000000000000B";

/* Packing an id to its binary form and back. */
static void test_ids(void)
{
	unsigned char bin[REC_ID_BIN];
	char id[REC_ID_LEN + 1];

	rec_id_pack(id_a, bin);
	rec_id_unpack(bin, id);
	T_EQ_STR(id, id_a, "id pack round trip");
	rec_id_pack("7ZZZZZZZZZZZZZZZZZZZZZZZZZ", bin);
	rec_id_unpack(bin, id);
	T_EQ_STR(id, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "largest id round trip");
}

/* Requests a and b folded into p: once each however often they are read,
 * with their positions. */
static void test_requests(struct pend *p, struct rec_parser *rp,
			  struct buf *line)
{
	struct pend_ent *e;

	buf_addf(line, "{\"v\":1,\"kind\":\"request\",\"id\":\"%s\",\"captured_at\":\"2026-11-25T00:00:00.000Z\",\"method\":\"GET\",\"url\":\"http://h/\",\"headers\":[],\"body\":\"\",\"failure\":{\"type\":\"x\"},\"attempts\":0,\"idempotency_key\":\"%s\"}", id_a, id_a);
	fold(p, rp, line->data, 0);
	fold(p, rp, line->data, 0);
	T_EQ_INT(p->n, 1, "a request folded twice is one entry");
	buf_reset(line);
	buf_addf(line, "{\"v\":1,\"kind\":\"request\",\"id\":\"%s\",\"captured_at\":\"2026-11-25T00:00:00.000Z\",\"method\":\"GET\",\"url\":\"http://h/\",\"headers\":[],\"body\":\"\",\"failure\":{\"type\":\"x\"},\"attempts\":0,\"idempotency_key\":\"%s\"}", id_b, id_b);
	fold(p, rp, line->data, 1);
	T_EQ_INT(p->pending, 2, "two pending");
	e = pend_get(p, id_b);
	T_OK(e && e->line == 1 && e->off == 100 && e->seg == 1, "position kept");
}

/* Attempt, dead and revive events on a and b, each folded twice. */
static void test_outcomes(struct pend *p, struct rec_parser *rp,
			  struct buf *line)
{
	struct pend_ent *e;

	event(line, REC_ATTEMPT, id_a, 1, "retry", 1700000005000LL);
	fold(p, rp, line->data, 2);
	e = pend_get(p, id_a);
	T_OK(e->attempts == 1 && e->due_ms == 1700000005000LL, "retry sets attempts and due");
	fold(p, rp, line->data, 2);
	T_EQ_INT(pend_get(p, id_a)->attempts, 1, "refold changes nothing");
	event(line, REC_ATTEMPT, id_a, 2, "ok", 0);
	fold(p, rp, line->data, 3);
	T_EQ_INT(pend_get(p, id_a)->state, PEND_DONE, "ok resolves");
	event(line, REC_ATTEMPT, id_b, 1, "permanent", 0);
	fold(p, rp, line->data, 4);
	event(line, REC_DEAD, id_b, 0, NULL, 0);
	fold(p, rp, line->data, 5);
	T_EQ_INT(pend_get(p, id_b)->state, PEND_DEAD, "dead");
	T_OK(p->pending == 0 && p->dead == 1 && p->done == 1, "counters follow");
	event(line, REC_REVIVE, id_b, 0, NULL, 0);
	fold(p, rp, line->data, 6);
	e = pend_get(p, id_b);
	T_OK(e->state == PEND_PENDING && e->attempts == 0, "revive resets");
	T_EQ_INT(e->revives, 1, "an old revive event without a count counts one");
	fold(p, rp, line->data, 6);
	T_EQ_INT(pend_get(p, id_b)->revives, 1, "refolding a revive of a pending record changes nothing");
}

/* The revive count of b as revive events with counts are folded, up to
 * its cap; and an event about no known request. */
static void test_revive_counts(struct pend *p, struct rec_parser *rp,
			       struct buf *line)
{
	struct pend_ent *e;

	/* A run revives in memory, the record dies again, then the run's
	 * own revive event is folded back from the log: the count is the
	 * event's, not one more. */
	pend_set_state(p, pend_get(p, id_b), PEND_DEAD);
	revive_event(line, id_b, 2);
	fold(p, rp, line->data, 6);
	pend_set_state(p, pend_get(p, id_b), PEND_DEAD);
	fold(p, rp, line->data, 6);
	e = pend_get(p, id_b);
	T_OK(e->state == PEND_DEAD && e->revives == 2,
	     "a revive read again (its count not above ours) changes nothing");
	revive_event(line, id_b, 3);
	fold(p, rp, line->data, 6);
	e = pend_get(p, id_b);
	T_OK(e->state == PEND_PENDING && e->revives == 3, "a revive event sets its own count");
	pend_set_state(p, e, PEND_DEAD);
	revive_event(line, id_b, 500);
	fold(p, rp, line->data, 6);
	T_EQ_INT(pend_get(p, id_b)->revives, PEND_REVIVES_MAX, "the count saturates");
	T_EQ_INT(sizeof(struct pend_ent), 40, "an entry stays 40 bytes");
	pend_set_state(p, pend_get(p, id_b), PEND_DEAD);
	revive_event(line, id_b, 501);
	fold(p, rp, line->data, 6);
	T_OK(pend_get(p, id_b)->revives == PEND_REVIVES_MAX && p->pending == 1 && p->dead == 0,
	     "revived again past the cap: counters follow");
	event(line, REC_ATTEMPT, "01JDZ0000000000000000000QQ", 1, "ok", 0);
	fold(p, rp, line->data, 7);
	T_EQ_INT(p->n, 2, "events about unknown requests are ignored");
}

/* Checkpoint round trip of p into q: resolved entries do not come back.
 * ck receives a copy of the checkpoint's bytes. */
static void test_checkpoint(struct pend *p, struct pend *q, struct buf *ck)
{
	struct spool_pos at = { 7, 4096, 3 }, back;
	struct spool_mark mark, mark_back;
	struct pend_ckpt sv;
	struct rd_err err;
	struct buf file;

	memset(&mark, 0, sizeof(mark));
	memcpy(mark.b, "a mark of the log", 17);
	pend_save(p, &at, &mark, &sv);
	for (int i = 0; i < 3; i++)
		buf_add(ck, sv.iov[i].iov_base, sv.iov[i].iov_len);
	file = *ck;
	buf_init(ck);
	buf_add(ck, file.data, file.len);
	pend_init(q);
	T_EQ_INT(pend_load(q, &file, &back, &mark_back, &err), 0, "checkpoint loads");
	T_OK(file.data == NULL, "the buffer was taken over");
	T_OK(back.seg == 7 && back.off == 4096 && back.line == 3, "resume position");
	T_OK(memcmp(&mark_back, &mark, sizeof(mark)) == 0, "the mark of the log comes back");
	T_EQ_INT(q->n, 1, "only the unresolved entry");
	T_OK(pend_get(q, id_b) && !pend_get(q, id_a), "the right one");
	T_EQ_INT(q->pending, 1, "counters rebuilt");
	T_EQ_INT(pend_get(q, id_b)->revives, PEND_REVIVES_MAX, "the revive count survives a checkpoint");
}

/* The checkpoint in ck damaged every way, loaded again into q: refused. */
static void test_checkpoint_damage(struct pend *q, struct buf *ck)
{
	struct spool_pos back;
	struct spool_mark mark_back;
	struct rd_err err;
	int caught = 0;

	/* every flipped byte is caught */
	for (size_t i = 0; i < ck->len; i++) {
		struct pend r;

		ck->data[i] ^= 0x20;
		pend_init(&r);
		caught += pend_load(&r, ck, &back, &mark_back, &err) < 0;
		pend_release(&r);
		ck->data[i] ^= 0x20;
	}
	T_EQ_INT(caught, (long long)ck->len, "a bit flip anywhere is refused");
	/* checkpoints of the versions before revive counts and before marks
	 * of the log are refolded */
	memcpy(ck->data, "rd-replay-checkpoint-1\n", 23);
	T_OK(pend_load(q, ck, &back, &mark_back, &err) == RD_E_CORRUPT &&
	     strstr(err.msg, "another version") != NULL, "an older checkpoint is not trusted");
	memcpy(ck->data, "rd-replay-checkpoint-2\n", 23);
	T_OK(pend_load(q, ck, &back, &mark_back, &err) == RD_E_CORRUPT &&
	     strstr(err.msg, "another version") != NULL,
	     "a checkpoint without a mark of the log is not trusted");
	memcpy(ck->data, "rd-replay-checkpoint-3\n", 23);
	T_OK(pend_load(q, ck, &back, &mark_back, &err) == RD_E_CORRUPT &&
	     strstr(err.msg, "another version") != NULL,
	     "a checkpoint with 32-bit offsets is not trusted");
	memcpy(ck->data, "rd-replay-checkpoint-4\n", 23);
	ck->len--;
	T_OK(pend_load(q, ck, &back, &mark_back, &err) < 0, "truncated refused");
	ck->len = 1;
	T_OK(pend_load(q, ck, &back, &mark_back, &err) < 0, "garbage refused");
}

int main(void)
{
	struct pend p, q;
	struct rec_parser rp;
	struct buf line, ck;

	test_ids();
	pend_init(&p);
	rec_parser_init(&rp);
	buf_init(&line);
	buf_init(&ck);
	test_requests(&p, &rp, &line);
	test_outcomes(&p, &rp, &line);
	test_revive_counts(&p, &rp, &line);
	test_checkpoint(&p, &q, &ck);
	test_checkpoint_damage(&q, &ck);
	pend_compact(&p);
	T_OK(p.n == 1 && pend_get(&p, id_b) && !pend_get(&p, id_a), "compact drops resolved");
	far_offset();

	pend_release(&q);
	pend_release(&p);
	rec_parser_release(&rp);
	buf_release(&line);
	buf_release(&ck);
	return t_done();
}
