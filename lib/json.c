/*
 * json.c - the reader's half of json.h: strict JSON into an arena DOM.
 *
 * Speed comes from three choices.  Nodes are taken from blocks that
 * outlive a parse, so the steady state allocates nothing.  All unescaped
 * text of one parse goes into a single buffer sized from the input before
 * parsing starts: a string's unescaped form plus its NUL is never longer
 * than its quoted source, and a number's copy plus NUL is paid for by the
 * delimiter that must follow it, so n + 1 bytes always suffice and the
 * inner loops never check for room.  And runs of plain string bytes are
 * found and copied eight at a time with word-wide tests (json_int.h).
 *
 * The parser is iterative: an explicit stack of JSON_MAX_DEPTH frames
 * replaces recursion, so hostile nesting costs neither C stack nor time.
 *
 * Not done here: number conversion (json_num.c converts on demand, from
 * the kept source text) and writing (json_write.c).
 */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_int.h"
#include "xalloc.h"
#include "banned.h"

struct json_block {
	struct json_block *next;
	size_t cap;
	struct json_val v[];
};

#define FIRST_BLOCK 256 /* nodes; a typical record needs well under this */

/* Nonzero iff some byte is '"', '\\', below 0x20 or from 0x80 up. */
static inline uint64_t parse_special(uint64_t w)
{
	return json_has_zero(w ^ (JSON_ONES * '"')) |
	       json_has_zero(w ^ (JSON_ONES * '\\')) |
	       ((w - JSON_ONES * 0x20) & ~w & JSON_HIGH) | (w & JSON_HIGH);
}

void json_doc_init(struct json_doc *d)
{
	d->blocks = NULL;
	d->cur = NULL;
	d->free_node = NULL;
	d->end_node = NULL;
	d->text = NULL;
	d->text_cap = 0;
}

void json_doc_release(struct json_doc *d)
{
	struct json_block *b, *next;

	if (!d)
		return;
	for (b = d->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(d->text);
	json_doc_init(d);
}

/* Move to the next block, reusing one from an earlier parse if any. */
static void more_nodes(struct json_doc *d)
{
	struct json_block *b = d->cur ? d->cur->next : d->blocks;

	if (!b) {
		size_t cap = d->cur ? d->cur->cap * 2 : FIRST_BLOCK;

		if (cap > (SIZE_MAX - sizeof(*b)) / sizeof(b->v[0]))
			abort(); /* unreachable: memory would run out first */
		b = xmalloc(sizeof(*b) + cap * sizeof(b->v[0]));
		b->next = NULL;
		b->cap = cap;
		if (d->cur)
			d->cur->next = b;
		else
			d->blocks = b;
	}
	d->cur = b;
	d->free_node = b->v;
	d->end_node = b->v + b->cap;
}

static inline struct json_val *new_node(struct json_doc *d)
{
	if (d->free_node == d->end_node)
		more_nodes(d);
	return d->free_node++;
}

static inline const unsigned char *skip_ws(const unsigned char *p,
					   const unsigned char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

static inline int hexval(unsigned c)
{
	if (c - '0' < 10)
		return (int)(c - '0');
	c |= 0x20;
	if (c - 'a' < 6)
		return (int)(c - 'a' + 10);
	return -1;
}

/* Where and why a parse failed; the scanners fill it in one place. */
struct scan {
	const unsigned char *err_at; /* the offending byte, or end */
	const char *why;
	int full;                    /* the cap on values stopped it */
};

static const char eof_msg[] = "unexpected end of input";

/* Record an error and return NULL, for `return fail_at(...)`. */
static const unsigned char *fail_at(struct scan *sc, const unsigned char *at,
				    const char *why)
{
	sc->err_at = at;
	sc->why = why;
	return NULL;
}

/* Four hex digits at p (the byte after "\u"), or -1 with sc set; esc is
 * the backslash, which is what an error names. */
static long hex4(const unsigned char *p, const unsigned char *end,
		 const unsigned char *esc, struct scan *sc)
{
	long v = 0;
	int i, h;

	for (i = 0; i < 4; i++) {
		if (p + i == end) {
			fail_at(sc, end, eof_msg);
			return -1;
		}
		h = hexval(p[i]);
		if (h < 0) {
			fail_at(sc, esc, "invalid \\u escape (need four hex digits)");
			return -1;
		}
		v = v * 16 + h;
	}
	return v;
}

static inline unsigned char *put_utf8(unsigned char *o, unsigned long cp)
{
	if (cp < 0x80) {
		*o++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*o++ = (unsigned char)(0xc0 | cp >> 6);
		*o++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (unsigned char)(0xe0 | cp >> 12);
		*o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (unsigned char)(0xf0 | cp >> 18);
		*o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/*
 * One escape; p is at the backslash.  Writes the bytes at *op and returns
 * the position after the escape, or NULL with sc set.  A surrogate must
 * come as a high-low pair of \u escapes, which become one 4-byte sequence.
 */
static const unsigned char *unescape(const unsigned char *p,
				     const unsigned char *end,
				     unsigned char **op, struct scan *sc)
{
	static const char unpaired[] = "unpaired surrogate in \\u escape";
	const unsigned char *esc = p;
	unsigned char *o = *op;
	long cp, lo;

	if (++p == end)
		return fail_at(sc, end, eof_msg);
	switch (*p) {
	case '"': *o++ = '"'; break;
	case '\\': *o++ = '\\'; break;
	case '/': *o++ = '/'; break;
	case 'b': *o++ = '\b'; break;
	case 'f': *o++ = '\f'; break;
	case 'n': *o++ = '\n'; break;
	case 'r': *o++ = '\r'; break;
	case 't': *o++ = '\t'; break;
	case 'u':
		cp = hex4(p + 1, end, esc, sc);
		if (cp < 0)
			return NULL;
		p += 4;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return fail_at(sc, esc, unpaired);
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (end - p < 3 || p[1] != '\\' || p[2] != 'u')
				return fail_at(sc, esc, unpaired);
			lo = hex4(p + 3, end, p + 1, sc);
			if (lo < 0)
				return NULL;
			if (lo < 0xdc00 || lo > 0xdfff)
				return fail_at(sc, esc, unpaired);
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		}
		o = put_utf8(o, (unsigned long)cp);
		break;
	default:
		return fail_at(sc, esc, "invalid escape sequence");
	}
	*op = o;
	return p + 1;
}

/*
 * A string body from p (just past the opening quote) to the closing quote,
 * unescaped into *op and NUL-terminated.  Returns the position after the
 * closing quote and sets *len, or NULL with sc set.
 */
static const unsigned char *scan_string(const unsigned char *p,
					const unsigned char *end,
					unsigned char **op, size_t *len,
					struct scan *sc)
{
	unsigned char *o = *op, *start = o;
	size_t k;

	for (;;) {
		/* The room argument in the file comment covers these writes:
		 * the eight bytes are source bytes before the closing quote. */
		while (end - p >= 8 && !parse_special(json_load8(p))) {
			memcpy(o, p, 8);
			o += 8;
			p += 8;
		}
		/* ASCII that needs no escape in output needs none in input;
		 * DEL, which only output escapes, takes the slow branch. */
		while (p < end && *p < 0x7f && !json_str_esc[*p])
			*o++ = *p++;
		if (p == end)
			return fail_at(sc, end, eof_msg);
		if (*p == '"')
			break;
		if (*p == '\\') {
			p = unescape(p, end, &o, sc);
			if (!p)
				return NULL;
		} else if (*p < 0x20) {
			return fail_at(sc, p,
				       "control character in string (must be escaped)");
		} else {
			k = json_utf8_seq(p, end);
			if (!k)
				return fail_at(sc, p, "invalid UTF-8 in string");
			memcpy(o, p, k);
			o += k;
			p += k;
		}
	}
	*len = (size_t)(o - start);
	*o++ = '\0';
	*op = o;
	return p + 1;
}

static inline int is_digit(unsigned c)
{
	return c - '0' < 10;
}

/* The end of the number starting at p, checked against the RFC grammar,
 * or NULL with sc set. */
static const unsigned char *scan_number(const unsigned char *p,
					const unsigned char *end,
					struct scan *sc)
{
	if (*p == '-')
		p++;
	if (p == end)
		return fail_at(sc, end, eof_msg);
	if (*p == '0') {
		if (++p < end && is_digit(*p))
			return fail_at(sc, p, "leading zero in number");
	} else if (is_digit(*p)) {
		while (p < end && is_digit(*p))
			p++;
	} else {
		return fail_at(sc, p, "expected a digit after '-'");
	}
	if (p < end && *p == '.') {
		if (++p == end)
			return fail_at(sc, end, eof_msg);
		if (!is_digit(*p))
			return fail_at(sc, p, "expected a digit after '.'");
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end)
			return fail_at(sc, end, eof_msg);
		if (!is_digit(*p))
			return fail_at(sc, p, "expected a digit in exponent");
		while (p < end && is_digit(*p))
			p++;
	}
	return p;
}

/* The literal word at p, or NULL with sc naming the first wrong byte. */
static const unsigned char *scan_word(const unsigned char *p,
				      const unsigned char *end,
				      const char *word, size_t len,
				      struct scan *sc)
{
	size_t i;

	if ((size_t)(end - p) >= len && memcmp(p, word, len) == 0)
		return p + len;
	for (i = 0; p + i < end && i < len && p[i] == (unsigned char)word[i]; i++)
		;
	return fail_at(sc, p + i, p + i == end ? eof_msg : "invalid literal");
}

/* A container being filled: its node and where its next child links in. */
struct frame {
	struct json_val *parent;
	struct json_val **tail;
};

/* Where the next value goes: the open containers, the link it fills and,
 * inside an object, the key it is read under. */
struct nest {
	struct frame stack[JSON_MAX_DEPTH];
	int depth;
	struct json_val *parent;     /* the innermost open container, or NULL */
	struct json_val **tail;      /* where the next value links in */
	const char *key;
	size_t keylen;
};

const struct json_val *json_parse(struct json_doc *d, const char *src, size_t n,
				  size_t *err_off, struct rd_err *err)
{
	return json_parse_cap(d, src, n, NULL, err_off, err);
}

/* The key of the root object's member that holds the innermost open
 * container, or the member about to be read (see json_cap). */
static const char *root_member(const struct json_val *root,
			       const struct nest *ns)
{
	if (!root || root->type != JSON_OBJECT)
		return NULL;
	if (ns->depth <= 1)
		return ns->key;
	return ns->depth == 2 ? ns->parent->key : ns->stack[2].parent->key;
}

/* A node for the value starting at byte off, linked in where it goes. */
static inline struct json_val *link_value(struct json_doc *d, struct nest *ns,
					  size_t off)
{
	struct json_val *v = new_node(d);

	*v = (struct json_val){ .key = ns->key, .keylen = ns->keylen,
				.offset = off };
	*ns->tail = v;
	ns->tail = &v->next;
	if (ns->parent)
		ns->parent->count++;
	ns->key = NULL;
	ns->keylen = 0;
	return v;
}

/* Open v as the container that starts at p ('{' or '['): its children
 * link in next.  -1 with sc set when that nests too deep. */
static inline int nest_push(struct nest *ns, struct json_val *v,
			    const unsigned char *p, struct scan *sc)
{
	if (ns->depth == JSON_MAX_DEPTH) {
		fail_at(sc, p, "nesting deeper than 64 levels");
		return -1;
	}
	v->type = *p == '{' ? JSON_OBJECT : JSON_ARRAY;
	ns->stack[ns->depth].parent = ns->parent;
	ns->stack[ns->depth].tail = ns->tail;
	ns->depth++;
	ns->parent = v;
	ns->tail = &v->child;
	return 0;
}

/* Close the innermost container: values link in after it again. */
static inline void nest_pop(struct nest *ns)
{
	ns->depth--;
	ns->parent = ns->stack[ns->depth].parent;
	ns->tail = ns->stack[ns->depth].tail;
}

/*
 * Ready d for a parse of n bytes: room for all of its unescaped text in
 * one buffer (see the file comment for why n + 1 bytes always suffice),
 * and the node blocks of earlier parses rewound.  Returns where the text
 * goes.
 */
static unsigned char *parse_begin(struct json_doc *d, size_t n)
{
	if (d->text_cap < n + 1) {
		size_t cap = d->text_cap * 2;

		if (cap < n + 1)
			cap = n + 1;
		if (cap < 1024)
			cap = 1024;
		free(d->text);
		d->text = xmalloc(cap);
		d->text_cap = cap;
	}
	d->cur = NULL;
	if (d->blocks)
		more_nodes(d);
	else
		d->free_node = d->end_node = NULL;
	return (unsigned char *)d->text;
}

/*
 * A value that is not a container, at p (not at the end): a string, true,
 * false, null or a number, into v, its text at *op.  Returns the position
 * after it, or NULL with sc set.
 */
static inline const unsigned char *scan_scalar(struct json_val *v,
					       const unsigned char *p,
					       const unsigned char *end,
					       unsigned char **op,
					       struct scan *sc)
{
	const unsigned char *q;

	switch (*p) {
	case '"':
		v->type = JSON_STRING;
		v->str = (const char *)*op;
		return scan_string(p + 1, end, op, &v->len, sc);
	case 't':
		v->type = JSON_TRUE;
		return scan_word(p, end, "true", 4, sc);
	case 'f':
		v->type = JSON_FALSE;
		return scan_word(p, end, "false", 5, sc);
	case 'n':
		v->type = JSON_NULL;
		return scan_word(p, end, "null", 4, sc);
	}
	if (*p != '-' && !is_digit(*p))
		return fail_at(sc, p, "expected a value");
	v->type = JSON_NUMBER;
	q = scan_number(p, end, sc);
	if (!q)
		return NULL;
	v->str = (const char *)*op;
	v->len = (size_t)(q - p);
	memcpy(*op, p, v->len);
	*op += v->len;
	*(*op)++ = '\0';
	return q;
}

/* What follows a value inside a container. */
enum next { NEXT_VALUE, NEXT_MEMBER, NEXT_CLOSE, NEXT_FAIL };

/* The ',' or closing bracket after a value in a container of type t, at
 * *pp (past whitespace): consumed, and the state that comes next. */
static inline enum next scan_punct(enum json_type t, const unsigned char **pp,
				   const unsigned char *end, struct scan *sc)
{
	const unsigned char *p = *pp;
	int array = t == JSON_ARRAY;

	if (p == end) {
		fail_at(sc, end, eof_msg);
		return NEXT_FAIL;
	}
	if (*p == ',') {
		*pp = array ? p + 1 : skip_ws(p + 1, end);
		return array ? NEXT_VALUE : NEXT_MEMBER;
	}
	if (*p == (array ? ']' : '}')) {
		*pp = p + 1;
		return NEXT_CLOSE;
	}
	fail_at(sc, p, array ? "expected ',' or ']' after array element" :
		"expected ',' or '}' after object member");
	return NEXT_FAIL;
}

/* An object key at p and the ':' after it, the key unescaped at *op.
 * Returns the position past the ':', or NULL with sc set. */
static inline const unsigned char *scan_key(const unsigned char *p,
					    const unsigned char *end,
					    unsigned char **op, const char **key,
					    size_t *keylen, struct scan *sc)
{
	size_t len;

	if (p == end)
		return fail_at(sc, end, eof_msg);
	if (*p != '"')
		return fail_at(sc, p, "expected '\"' to start an object key");
	*key = (const char *)*op;
	/* Through a local: the length's address goes to scan_string, and
	 * the caller's copy then stays in a register. */
	p = scan_string(p + 1, end, op, &len, sc);
	if (!p)
		return NULL;
	*keylen = len;
	p = skip_ws(p, end);
	if (p == end)
		return fail_at(sc, end, eof_msg);
	if (*p != ':')
		return fail_at(sc, p, "expected ':' after object key");
	return p + 1;
}

/* The error of a failed parse of the input at s; returns NULL. */
static const struct json_val *parse_fail(const unsigned char *s,
					 const struct scan *sc,
					 const struct json_cap *lim,
					 size_t *err_off, struct rd_err *err)
{
	size_t off = (size_t)(sc->err_at - s);

	if (err_off)
		*err_off = off;
	if (sc->full)
		rd_err_set(err, RD_E_FULL, "byte %zu: more than %zu values", off,
			   lim->max_values);
	else
		rd_err_set(err, RD_E_INVAL, "byte %zu: %s", off, sc->why);
	return NULL;
}

/*
 * The parser is a state machine over three labels: `value` (a value must
 * start at p), `after` (a value just ended; what may follow depends on the
 * innermost container) and `member` (an object key must start at p).
 * `close` pops a container.  Each new node is linked in before its content
 * is known, so containers need no fix-up pass.  What a state reads is
 * scanned by the helpers above; the machine only links nodes and keeps
 * the stack.
 */
const struct json_val *json_parse_cap(struct json_doc *d, const char *src,
				      size_t n, struct json_cap *lim,
				      size_t *err_off, struct rd_err *err)
{
	static const char empty[1] = "";
	const unsigned char *s = (const unsigned char *)(n ? src : empty);
	const unsigned char *p = s, *end = s + n;
	struct json_val *root = NULL, *v;
	struct nest ns;
	size_t values = 0;
	unsigned char *o = parse_begin(d, n);
	struct scan sc = { NULL, NULL, 0 };

	ns.depth = 0;
	ns.parent = NULL;
	ns.tail = &root;
	ns.key = NULL;
	ns.keylen = 0;
	if (lim)
		lim->over_key = NULL;
value:
	p = skip_ws(p, end);
	if (p == end) {
		fail_at(&sc, end, eof_msg);
		goto fail;
	}
	if (lim && lim->max_values && values++ == lim->max_values) {
		lim->over_key = root_member(root, &ns);
		sc.full = 1;
		fail_at(&sc, p, "too many values");
		goto fail;
	}
	v = link_value(d, &ns, (size_t)(p - s));
	if (*p == '{' || *p == '[') {
		if (nest_push(&ns, v, p, &sc) < 0)
			goto fail;
		p = skip_ws(p + 1, end);
		if (p < end && *p == (v->type == JSON_OBJECT ? '}' : ']')) {
			p++;
			goto close;
		}
		if (v->type == JSON_OBJECT)
			goto member;
		goto value;
	}
	if (!(p = scan_scalar(v, p, end, &o, &sc)))
		goto fail;
after:
	p = skip_ws(p, end);
	if (ns.depth == 0) {
		if (p == end)
			return root;
		fail_at(&sc, p, "unexpected data after the JSON value");
		goto fail;
	}
	switch (scan_punct(ns.parent->type, &p, end, &sc)) {
	case NEXT_VALUE:
		goto value;
	case NEXT_CLOSE:
		goto close;
	case NEXT_FAIL:
		goto fail;
	case NEXT_MEMBER:
		break;
	}
member:
	if (!(p = scan_key(p, end, &o, &ns.key, &ns.keylen, &sc)))
		goto fail;
	goto value;
close:
	nest_pop(&ns);
	goto after;
fail:
	return parse_fail(s, &sc, lim, err_off, err);
}

const struct json_val *json_get(const struct json_val *obj, const char *key)
{
	const struct json_val *c;
	size_t kl;

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	kl = strlen(key);
	for (c = obj->child; c; c = c->next)
		if (c->keylen == kl && memcmp(c->key, key, kl) == 0)
			return c;
	return NULL;
}
