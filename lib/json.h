/*
 * json.h - a strict RFC 8259 JSON reader into a reusable DOM, and the
 * string escaper that every JSON writer in redrive uses.  One concept per
 * file: json.c reads, json_num.c converts numbers, json_write.c writes
 * (json_add_str, json_utf8_check); json_int.h holds what they share.
 *
 * The reader is built for NDJSON: one line per json_parse call, many calls
 * per document struct.  Nodes and unescaped text live in arenas owned by
 * struct json_doc; a parse reuses them, so a steady stream of records costs
 * no allocation after the first few lines.  A tree is therefore borrowed:
 * it stays valid until the next json_parse on the same doc or
 * json_doc_release.
 *
 * Strictness: exactly one value per input, whitespace is only space, tab,
 * CR and LF, numbers follow the RFC grammar, strings are valid UTF-8 with
 * no raw control characters, nesting is at most JSON_MAX_DEPTH.  Every
 * rejection names the 0-based byte offset of the offending byte (the input
 * length when the input ends too early).
 *
 * Deliberately not here: a writer for whole documents (callers build JSON
 * with struct buf and json_add_str), comments, NaN/Infinity, duplicate-key
 * detection (members are kept in document order, duplicates included).
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>

#include "buf.h"
#include "rd.h"

/* Deepest nesting of arrays and objects json_parse accepts. */
#define JSON_MAX_DEPTH 64

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

struct json_val {
	enum json_type type;
	/* STRING: unescaped bytes, NUL-terminated (may hold NULs: use len);
	 * NUMBER: its source text, NUL-terminated; NULL otherwise. */
	const char *str;
	size_t len;
	/* Object members: the unescaped key, NUL-terminated; NULL otherwise. */
	const char *key;
	size_t keylen;
	size_t offset;          /* byte offset in the input of the value */
	size_t count;           /* ARRAY/OBJECT: number of children */
	struct json_val *child; /* ARRAY/OBJECT: first child, document order */
	struct json_val *next;  /* next sibling, NULL for the last */
};

struct json_block;

/* Private: the arenas behind the trees json_parse returns. */
struct json_doc {
	struct json_block *blocks;   /* node blocks, kept across parses */
	struct json_block *cur;      /* block nodes are being taken from */
	struct json_val *free_node;  /* next free node in cur */
	struct json_val *end_node;   /* one past the last node of cur */
	char *text;                  /* unescaped strings and number text */
	size_t text_cap;
};

/* Initialise an empty document (no allocation). */
void json_doc_init(struct json_doc *d);

/* Free the arenas; every tree parsed with d becomes invalid.  d is left
 * initialised and reusable.  Accepts NULL. */
void json_doc_release(struct json_doc *d);

/*
 * Parse exactly one JSON value from p[0..n); whitespace may surround it,
 * anything else after it is an error.  The tree is borrowed from d until
 * the next json_parse on d or json_doc_release(d).
 *
 * On failure returns NULL, sets err (RD_E_INVAL) to "byte N: reason", e.g.
 * "byte 17: expected ':' after object key", and stores N in *err_off when
 * err_off is not NULL.  N is the 0-based offset of the offending byte, or
 * n when the input ends early.
 *
 * Strings must be valid UTF-8 (no overlongs, surrogates or code points
 * above U+10FFFF); \u escapes, surrogate pairs included, become UTF-8 and
 * \u0000 becomes a NUL byte.  Arrays and objects nest at most
 * JSON_MAX_DEPTH deep.
 */
const struct json_val *json_parse(struct json_doc *d, const char *p, size_t n,
				  size_t *err_off, struct rd_err *err);

/* A cap on the size of one parse's tree, and where it was reached. */
struct json_cap {
	size_t max_values;     /* values (of every type) in the document */
	/* Set when the cap stopped a parse: the key of the root object's
	 * member being read then, NUL-terminated and borrowed like a tree;
	 * NULL when the root is not an object or the cap was reached at a
	 * member of its own. */
	const char *over_key;
};

/*
 * json_parse, refusing a document of more than lim->max_values values
 * before its tree is built whole, so the memory a parse takes is bounded
 * by what the caller accepts, not by the input's size (each value costs
 * a node many times the size of its shortest text).  Past the cap:
 * NULL, RD_E_FULL with "byte N: more than M values", and lim->over_key
 * set.  Any other failure is as for json_parse.  lim may be NULL.
 */
const struct json_val *json_parse_cap(struct json_doc *d, const char *p,
				      size_t n, struct json_cap *lim,
				      size_t *err_off, struct rd_err *err);

/* The first member of obj named key (compared as bytes, so a key holding
 * a NUL never matches), or NULL.  NULL too when obj is NULL or not an
 * object.  The result is borrowed like obj. */
const struct json_val *json_get(const struct json_val *obj, const char *key);

/*
 * A NUMBER whose exact value is an integer in [min, max]: "7", "-0",
 * "7.0", "7e2" and "700e-2" qualify, "7.5" and "1e-1" do not.  Returns 0
 * and sets *out, or -1 (*out untouched) when v is NULL, not a NUMBER, not
 * integral or out of range.
 */
int json_int(const struct json_val *v, long long min, long long max,
	     long long *out);

/* A NUMBER as the nearest double.  Returns 0 and sets *out, or -1 when v
 * is NULL, not a NUMBER, or too large in magnitude for a finite double
 * (e.g. 1e400).  Tiny values round to a subnormal or zero. */
int json_num(const struct json_val *v, double *out);

/*
 * Append s[0..n) to b as a quoted JSON string.  Escapes '"' and '\\' and
 * writes \n \r \t \b \f for those controls, \u00xx (lowercase hex) for the
 * other bytes below 0x20 and for 0x7f.  Bytes from 0x80 up are copied as
 * they are: the caller guarantees s is valid UTF-8 (see json_utf8_check).
 * s may be NULL when n is 0.
 */
void json_add_str(struct buf *b, const char *s, size_t n);

/* Returns -1 when s[0..n) is valid UTF-8 (by the rules json_parse
 * applies), else the offset of the first byte of the first ill-formed
 * sequence.  s may be NULL when n is 0. */
long json_utf8_check(const char *s, size_t n);

#endif
