/*
 * idtab.h - find a record's entry by its id: an open-addressing table of
 * indexes into the caller's array of entries, each of which starts with
 * the 16-byte packed id (rec_id_pack).  Used by the replay's pending set
 * and by the audit's fold.  4 bytes per slot, at least two slots per
 * entry; ULIDs end in 80 random bits, which make the hash.
 */
#ifndef IDTAB_H
#define IDTAB_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

struct idtab {
	uint32_t *slots;    /* index + 1, 0 = empty */
	size_t nslots;      /* a power of two */
	const unsigned char *base; /* the entries, borrowed */
	size_t stride;      /* bytes per entry */
};

void idtab_init(struct idtab *t, size_t stride);
void idtab_release(struct idtab *t);
/* The index of the entry with this id, or -1.  base: the entries now. */
long idtab_find(struct idtab *t, const void *base, const unsigned char *id);
/* Index entry idx (of n entries in all, at base), growing as needed. */
void idtab_add(struct idtab *t, const void *base, size_t idx, size_t n);
/* Forget everything and index the n entries at base. */
void idtab_rebuild(struct idtab *t, const void *base, size_t n);

#endif
