/*
 * hdr.h - one HTTP header field: the one header type of redrive, shared
 * by every input (NDJSON records, the curl-like flags, raw HTTP, rd-proxy's
 * requests), the record schema (rec), the rewriting for replay (rw), the
 * renderers (dryrun) and the transport (http).
 *
 * A header is a borrowed view: a name and a value, each a pointer and a
 * length, because every producer already holds the bytes somewhere (a
 * parsed JSON document, argv, the input of a raw message, a server's read
 * buffer) and every consumer takes bytes with their length (JSON
 * escaping, libcurl's header lines).  Neither is required to be
 * NUL-terminated; a value may be empty.  Why this shape and not a
 * NUL-terminated or owning one: a record may carry any bytes a JSON
 * string can (lengths, not strlen), and a view costs nothing to pass from
 * the parser to the writer to the sender, so there is no conversion left
 * between layers.  Case in names is kept as given; comparisons of names
 * ignore ASCII case, as HTTP field names do.
 *
 * A module that must own header bytes (rawhttp, rd-proxy's exchanges)
 * copies them with hdr_own into one buffer it keeps, and points its
 * headers there.
 *
 * Deliberately not here: what a valid name or value is (the record
 * schema's rule, rec_hdr_name_valid and rec_hdr_value_valid), and which
 * headers frame a message (the transport's, http_hop_by_hop).
 */
#ifndef HDR_H
#define HDR_H

#include <stddef.h>

#include "buf.h"

struct hdr {
	const char *name;    /* borrowed; not NUL-terminated */
	size_t name_len;
	const char *value;   /* borrowed; not NUL-terminated; may be empty */
	size_t value_len;
};

/* 1 when h is named name (a C string), ASCII case ignored, else 0. */
int hdr_is(const struct hdr *h, const char *name);

/* The index of the first of h[from..n) named name, or n when none is. */
size_t hdr_find(const struct hdr *h, size_t n, size_t from, const char *name);

/*
 * Copy the name and value bytes of h[0..n) to the end of arena, each
 * followed by a NUL (so the copies are C strings too), and point h at the
 * copies.  Whatever h pointed to may go away afterwards; the headers are
 * then borrowed from arena until it is next appended to or released.
 */
void hdr_own(struct hdr *h, size_t n, struct buf *arena);

#endif
