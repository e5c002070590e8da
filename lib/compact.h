/*
 * compact.h - retention: resolved history older than a keep period leaves
 * the spool; an unresolved request never does (rd-compact(1)).
 *
 * One fold of the whole log through the lifecycle (life.h) gives each
 * request its state and the time of its last line.  A request is removed,
 * with every event about it, when
 *   - it was delivered (or, with dead, given up on),
 *   - its last line is older than keep, and
 *   - all of its lines lie in sealed parts of the log (the part writers
 *     append to is never rewritten: when it holds such lines, it is
 *     sealed first, as a roll would, and writers go on in a new one).
 * Each sealed part that holds such lines is rewritten without them
 * (spool_rewrite), with one rollup line (rec_rollup.h) counting the
 * requests whose capture it held, so rd-audit's totals stay whole.
 * Pending requests, and dead ones unless asked, stay with all their
 * events.  Events about no known request (what a run interrupted
 * between two parts leaves: the request went, its later events not yet)
 * go once older than keep, unless damage was skipped: a damaged member
 * may hold their request.
 *
 * The caller holds the replay claim: positions change, so the replay
 * checkpoint is removed before the first part is swapped (rd-replay then
 * folds the log again, as after any change it cannot vouch for).
 */
#ifndef COMPACT_H
#define COMPACT_H

#include <stdint.h>

#include "rd.h"
#include "spool.h"

#define COMPACT_KEEP_MS (7LL * 86400 * 1000)   /* rd-compact's --keep */
#define COMPACT_HINT_MAX ((uint64_t)32 << 20)  /* compact_hint reads a
						* spool up to this size */

struct compact_opts {
	int64_t keep_ms;        /* resolved this long ago at least */
	int dead;               /* dead requests go too */
	int dry;                /* count only: change nothing */
	int64_t now_ms;
};

struct compact_stats {
	uint64_t requests;      /* in the log */
	uint64_t removed, removed_ok, removed_dead, removed_lines;
	uint64_t removed_orphans;  /* events about no known request (of them) */
	uint64_t orphan_bytes;     /* their lines' bytes, uncompressed */
	uint64_t kept_pending, kept_dead, kept_ok;  /* requests that stay */
	uint64_t parts, parts_rewritten, parts_damaged;
	uint64_t bytes_before, bytes_after;         /* of the spool */
	uint64_t bytes_freed;   /* bytes the spool shrank by; dry: an
				 * estimate, the spool's bytes in the
				 * proportion of the lines that would go */
	uint64_t leftovers;     /* files an interrupted run left, removed */
	int sealed;             /* the newest part was sealed for this run */
	int dead_held;          /* --dead, but damage was skipped: dead
				 * records stay (a revive may be in it) */
};

/* For an error saying the spool at where is full (trust: spool_opts's):
 * what rd-compact with its
 * default --keep would free ("; rd-compact would free about 1.2 MiB (340
 * requests resolved over 7 days ago)"), from a dry run; on a spool over
 * COMPACT_HINT_MAX (whose dry run would take seconds), where to look
 * instead; "" when that cannot be told. */
void compact_hint(const char *where, int trust, int64_t now_ms, char *out,
		  size_t n);

/* Compact sp.  Damage in a part leaves that part as it is (counted in
 * parts_damaged).  0, or a negative code: what was swapped in before
 * stays, consistent. */
int compact_run(struct spool *sp, const struct compact_opts *o,
		struct compact_stats *st, struct rd_err *err);

#endif
