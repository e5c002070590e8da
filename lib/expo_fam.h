/*
 * expo_fam.h - the metric families of one exposition page, private to
 * expo.c: every name seen, its TYPE and HELP, found by a hash table so a
 * page of many families reads in linear time.
 *
 * A sample's family is found as Prometheus's client parser finds it
 * (setOrCreateCurrentMF): a name_count, name_sum or name_bucket belongs to
 * name when name is a summary or histogram.
 */
#ifndef EXPO_FAM_H
#define EXPO_FAM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "expo.h"

struct expo_fam {
	size_t off, len;  /* the name, in expo_famtab.names */
	int typed;        /* by a TYPE line or by a sample (untyped) */
	int helped;
	enum expo_type type;
};

struct expo_famtab {
	struct buf names;
	struct expo_fam *v;
	size_t n, cap;
	uint32_t *slots;  /* family index + 1; 0 is empty */
	size_t nslots;    /* a power of two, at least twice n */
};

/* Which part of a summary or histogram a sample name is. */
enum expo_part { PART_NONE, PART_COUNT, PART_SUM };

void expo_famtab_init(struct expo_famtab *t);
void expo_famtab_release(struct expo_famtab *t);

/* The family of a sample or meta line's name, created when new; *part
 * says which part of a summary or histogram it names.  The pointer is good
 * until the next call. */
struct expo_fam *expo_fam_of(struct expo_famtab *t, const char *name, size_t n,
			     enum expo_part *part);

#endif
