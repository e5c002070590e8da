/*
 * pend.c - the pending set (see pend.h).
 *
 * Entries live in one array in order of first sight; idtab finds them by
 * id.  The checkpoint is a header,
 * the raw entries and a CRC32, written and read without a second copy of
 * the entries, so a million pending records cost one array, not three.
 * It is a cache of the fold, only ever read by the same build on the same
 * machine, and a mismatch means "fold from the beginning", never a wrong
 * answer.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "idtab.h"
#include "life.h"
#include "pend.h"
#include "xalloc.h"
#include "banned.h"

/* 2: entries carry a revive count; a version-1 checkpoint is folded
 * again from the log rather than trusted with revive counts of zero.
 * 3: the header carries the spool's mark of the log it describes.
 * 4: entries pack a 40-bit member offset (pend.h). */
#define CKPT_MAGIC "rd-replay-checkpoint-4\n"

void pend_init(struct pend *p)
{
	memset(p, 0, sizeof(*p));
	idtab_init(&p->idx, sizeof(struct pend_ent));
}

void pend_release(struct pend *p)
{
	free(p->ents);
	idtab_release(&p->idx);
	pend_init(p);
}

static struct pend_ent *find_bin(struct pend *p, const unsigned char *bin)
{
	long i = idtab_find(&p->idx, p->ents, bin);

	return i < 0 ? NULL : &p->ents[i];
}

struct pend_ent *pend_get(struct pend *p, const char *id)
{
	unsigned char bin[REC_ID_BIN];

	rec_id_pack(id, bin);
	return find_bin(p, bin);
}

static void count(struct pend *p, uint8_t state, int delta)
{
	uint64_t *c = state == PEND_PENDING ? &p->pending :
		      state == PEND_DEAD    ? &p->dead : &p->done;

	*c += (uint64_t)(int64_t)delta;
}

void pend_set_state(struct pend *p, struct pend_ent *e, enum pend_state s)
{
	count(p, e->state, -1);
	e->state = (uint8_t)s;
	count(p, e->state, 1);
}

static struct pend_ent *add(struct pend *p, const unsigned char *bin)
{
	struct pend_ent *e;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 1024;
		p->ents = xrealloc(p->ents, p->cap * sizeof(*p->ents));
	}
	e = &p->ents[p->n];
	memset(e, 0, sizeof(*e));
	memcpy(e->id, bin, REC_ID_BIN);
	p->n++;
	idtab_add(&p->idx, p->ents, p->n - 1, p->n);
	count(p, PEND_PENDING, 1);
	return e;
}

void pend_pos(const struct pend_ent *e, struct spool_pos *out)
{
	out->seg = e->seg;
	out->off = e->off;
	out->line = (uint32_t)e->line;
}

static int fold_request(struct pend *p, const struct spool_item *it,
			struct rec_parser *rp, struct rd_err *err)
{
	unsigned char bin[REC_ID_BIN];
	struct pend_ent *e;
	const char *id;
	struct rec_req r;

	/* Canonical lines carry the id at a fixed place; anything else is
	 * parsed in full. */
	if (!(id = rec_request_id_peek(it->line, it->len))) {
		if (rec_req_parse(rp, it->line, it->len, 1, &r, err) < 0)
			return RD_E_INVAL;
		id = r.id;
	}
	rec_id_pack(id, bin);
	if (find_bin(p, bin))
		return 0;
	if (it->pos.off >> PEND_OFF_BITS || it->pos.line >> (64 - PEND_OFF_BITS) ||
	    it->pos.seg > UINT32_MAX)
		return rd_err_set(err, RD_E_INVAL,
				  "record %.*s sits past what replay addresses (segment %llu, byte %llu, line %u)",
				  REC_ID_LEN, id, (unsigned long long)it->pos.seg,
				  (unsigned long long)it->pos.off, it->pos.line);
	e = add(p, bin);
	e->seg = (uint32_t)it->pos.seg;
	e->off = it->pos.off;
	e->line = it->pos.line;
	return 0;
}

void pend_apply(struct pend *p, struct pend_ent *e, const struct rec_event *ev)
{
	struct life l;

	l.state = (enum life_state)e->state;
	l.due_ms = e->due_ms;
	l.attempts = e->attempts;
	l.earlier = 0;
	l.revives = e->revives;
	life_apply(&l, ev);
	if ((uint8_t)l.state != e->state)
		pend_set_state(p, e, (enum pend_state)l.state);
	e->due_ms = l.due_ms;
	e->attempts = l.attempts > 65535 ? 65535 : (uint16_t)l.attempts;
	e->revives = l.revives > PEND_REVIVES_MAX ? PEND_REVIVES_MAX : (uint8_t)l.revives;
}

int pend_fold(struct pend *p, const struct spool_item *it,
	      struct rec_parser *rp, struct rd_err *err)
{
	enum rec_kind k = rec_kind_peek(it->line, it->len);
	struct rec_event ev;
	struct pend_ent *e;

	if (k == REC_UNKNOWN)
		return 0;
	if (k == REC_REQUEST)
		return fold_request(p, it, rp, err);
	if (rec_event_parse(rp, it->line, it->len, &ev, err) < 0)
		return RD_E_INVAL;
	if (!(e = pend_get(p, ev.ref)))
		return 0;
	pend_apply(p, e, &ev);
	return 0;
}

size_t pend_clamp_due(struct pend *p, int64_t max_ms)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct pend_ent *e = &p->ents[i];

		if (e->state == PEND_PENDING && e->due_ms > max_ms) {
			e->due_ms = max_ms;
			n++;
		}
	}
	return n;
}

void pend_compact(struct pend *p)
{
	size_t j = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->ents[i].state != PEND_DONE)
			p->ents[j++] = p->ents[i];
	p->n = j;
	p->done = 0;
	idtab_rebuild(&p->idx, p->ents, p->n);
}

struct ckpt_head {
	char magic[sizeof(CKPT_MAGIC) - 1];
	uint32_t ent_size;
	uint32_t line;
	uint64_t seg, off;
	uint64_t n;
	struct spool_mark mark;
};

_Static_assert(sizeof(struct pend_ent) == 40,
	       "a pending entry stays 40 bytes (pend.h)");
_Static_assert(sizeof(struct ckpt_head) <= sizeof(((struct pend_ckpt *)0)->head),
	       "checkpoint header fits");

void pend_save(const struct pend *p, const struct spool_pos *resume,
	       const struct spool_mark *mark, struct pend_ckpt *ck)
{
	struct ckpt_head h;
	uLong crc;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CKPT_MAGIC, sizeof(h.magic));
	h.ent_size = sizeof(struct pend_ent);
	h.seg = resume->seg;
	h.off = resume->off;
	h.line = resume->line;
	h.n = p->n;
	h.mark = *mark;
	memcpy(ck->head, &h, sizeof(h));
	crc = crc32(0L, (const Bytef *)&h, sizeof(h));
	/* zlib takes at most 4 GiB per call; the entries stay below that */
	crc = crc32(crc, (const Bytef *)p->ents, (uInt)(p->n * sizeof(*p->ents)));
	ck->crc = (uint32_t)crc;
	ck->iov[0].iov_base = ck->head;
	ck->iov[0].iov_len = sizeof(h);
	ck->iov[1].iov_base = p->ents;
	ck->iov[1].iov_len = p->n * sizeof(*p->ents);
	ck->iov[2].iov_base = &ck->crc;
	ck->iov[2].iov_len = sizeof(ck->crc);
}

int pend_load(struct pend *p, struct buf *b, struct spool_pos *resume,
	      struct spool_mark *mark, struct rd_err *err)
{
	struct ckpt_head h;
	uint32_t crc, want;
	size_t len = b->len, j = 0;
	char *data;

	if (len < sizeof(h) + sizeof(crc))
		return rd_err_set(err, RD_E_CORRUPT, "checkpoint is truncated");
	memcpy(&h, b->data, sizeof(h));
	if (memcmp(h.magic, CKPT_MAGIC, sizeof(h.magic) - 2) == 0 &&
	    memcmp(h.magic, CKPT_MAGIC, sizeof(h.magic)) != 0)
		return rd_err_set(err, RD_E_CORRUPT,
				  "it was written by another version of rd-replay");
	if (memcmp(h.magic, CKPT_MAGIC, sizeof(h.magic)) != 0 ||
	    h.ent_size != sizeof(struct pend_ent))
		return rd_err_set(err, RD_E_CORRUPT, "checkpoint has an unknown format");
	if (h.n > (len - sizeof(h) - sizeof(crc)) / sizeof(struct pend_ent) ||
	    sizeof(h) + h.n * sizeof(struct pend_ent) + sizeof(crc) != len)
		return rd_err_set(err, RD_E_CORRUPT, "checkpoint size does not match its count");
	memcpy(&want, b->data + len - sizeof(crc), sizeof(crc));
	crc = (uint32_t)crc32(0L, (const Bytef *)b->data, (uInt)(len - sizeof(crc)));
	if (crc != want)
		return rd_err_set(err, RD_E_CORRUPT, "checkpoint CRC mismatch");
	for (size_t i = 0; i < h.n; i++) {
		uint8_t st = ((const struct pend_ent *)(const void *)
			      (b->data + sizeof(h)))[i].state;

		if (st > PEND_DONE)
			return rd_err_set(err, RD_E_CORRUPT,
					  "checkpoint entry %zu has a bad state", i);
	}
	pend_release(p);
	data = buf_detach(b, &len);
	memmove(data, data + sizeof(h), (size_t)h.n * sizeof(struct pend_ent));
	p->ents = (struct pend_ent *)(void *)data;
	for (size_t i = 0; i < h.n; i++) {
		struct pend_ent *e = &p->ents[i];

		if (e->state == PEND_DONE)
			continue;
		e->flags = 0;
		p->ents[j++] = *e;
		count(p, e->state, 1);
	}
	p->n = p->cap = j;
	p->ents = xrealloc(p->ents, (j ? j : 1) * sizeof(*p->ents));
	idtab_rebuild(&p->idx, p->ents, p->n);
	resume->seg = h.seg;
	resume->off = h.off;
	resume->line = h.line;
	*mark = h.mark;
	return 0;
}
