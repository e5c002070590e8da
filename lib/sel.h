/*
 * sel.h - which records a run works on: the selection filters shared by
 * rd-replay (and, later, rd-audit).
 *
 * A record is selected when it passes every filter given: an explicit id
 * set (from standard input), failure types (shell patterns such as
 * 'http_5*'), a capture-time window, a PCRE2 match on the URL and a jq
 * predicate over the stored line.  Cheap checks run before jq.  No I/O.
 */
#ifndef SEL_H
#define SEL_H

#include <stddef.h>
#include <stdint.h>

#include "rd.h"
#include "rec.h"

struct sel_opts {
	const char *where;          /* jq filter; selected when truthy */
	const char *match_url;      /* PCRE2 pattern */
	int64_t since_ms, until_ms; /* captured_at window; 0 = open */
	const char *const *failures;/* fnmatch patterns on failure.type */
	size_t nfailures;
	int show_secrets;           /* --no-redact: a --where error's quoted
				     * values as they are (else masked) */
};

struct sel;

/* Compile the filters.  RD_E_INVAL naming the bad filter.  Caller frees
 * with sel_free. */
int sel_new(const struct sel_opts *o, struct sel **out, struct rd_err *err);
void sel_free(struct sel *s);

/* Restrict the selection to ids added here (any number of calls). */
void sel_add_id(struct sel *s, const char *id);
/* Number of ids added. */
size_t sel_nids(const struct sel *s);
/* 1 when s selects every record (no filter given, no ids added). */
int sel_all(const struct sel *s);
/* The ids added that no record given to sel_match carried: fn (may be
 * NULL) gets each; returns how many. */
size_t sel_unseen(const struct sel *s, void (*fn)(void *ctx, const char *id),
		  void *ctx);

/*
 * 1 when the record r (parsed from line[0..len)) is selected, 0 when not.
 * RD_E_INVAL when the jq filter fails on this record (message in err):
 * the record is then not selected.
 */
int sel_match(struct sel *s, const struct rec_req *r, const char *line,
	      size_t len, struct rd_err *err);

/* Parse a --since/--until value: an RFC 3339 time, or a duration meaning
 * that long before now_ms ("2h").  Result in wall-clock ms. */
int sel_parse_time(const char *s, int64_t now_ms, int64_t *out,
		   struct rd_err *err);

#endif
