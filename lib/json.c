/*
 * json.c - strict JSON reader into an arena DOM, and the string escaper.
 *
 * Speed comes from three choices.  Nodes are taken from blocks that
 * outlive a parse, so the steady state allocates nothing.  All unescaped
 * text of one parse goes into a single buffer sized from the input before
 * parsing starts: a string's unescaped form plus its NUL is never longer
 * than its quoted source, and a number's copy plus NUL is paid for by the
 * delimiter that must follow it, so n + 1 bytes always suffice and the
 * inner loops never check for room.  And runs of plain string bytes are
 * found and copied eight at a time with word-wide tests (SWAR), which stay
 * endian-neutral because a word with any flagged byte is redone byte by
 * byte.
 *
 * The parser is iterative: an explicit stack of JSON_MAX_DEPTH frames
 * replaces recursion, so hostile nesting costs neither C stack nor time.
 *
 * Not done here: number conversion (json_num.c converts on demand, from
 * the kept source text).
 */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "banned.h"

struct json_block {
	struct json_block *next;
	size_t cap;
	struct json_val v[];
};

#define FIRST_BLOCK 256 /* nodes; a typical record needs well under this */
#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull

/*
 * 0: json_add_str copies the byte as is; else the letter it writes after
 * a backslash.  The parser's byte loop reuses it: below 0x7f, a byte that
 * needs no escape on output may stand unescaped in input.
 */
static const char str_esc[256] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'u',
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static inline uint64_t load8(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* Nonzero iff some byte of w is zero (exact, whatever the other bytes). */
static inline uint64_t has_zero(uint64_t w)
{
	return (w - ONES) & ~w & HIGH;
}

/* Nonzero iff some byte is '"', '\\', below 0x20 or from 0x80 up. */
static inline uint64_t parse_special(uint64_t w)
{
	return has_zero(w ^ (ONES * '"')) | has_zero(w ^ (ONES * '\\')) |
	       ((w - ONES * 0x20) & ~w & HIGH) | (w & HIGH);
}

/* Nonzero iff some byte is '"', '\\', below 0x20 or 0x7f. */
static inline uint64_t write_special(uint64_t w)
{
	return has_zero(w ^ (ONES * '"')) | has_zero(w ^ (ONES * '\\')) |
	       has_zero(w ^ (ONES * 0x7f)) | ((w - ONES * 0x20) & ~w & HIGH);
}

/* Length of the well-formed UTF-8 sequence at p (Unicode table 3-7), or 0. */
static inline size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	size_t avail = (size_t)(end - p);
	unsigned c = p[0], lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (c == 0xe0)
			lo = 0xa0; /* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
		return avail >= 3 && p[1] >= lo && p[1] <= hi &&
		       (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c < 0xf5) {
		if (c == 0xf0)
			lo = 0x90; /* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
		return avail >= 4 && p[1] >= lo && p[1] <= hi &&
		       (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

long json_utf8_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end;
	size_t k;

	if (n == 0)
		return -1;
	end = p + n;
	while (p < end) {
		while (end - p >= 8 && !(load8(p) & HIGH))
			p += 8;
		while (p < end && *p < 0x80)
			p++;
		if (p == end)
			break;
		k = utf8_seq(p, end);
		if (!k)
			return (long)(p - (const unsigned char *)s);
		p += k;
	}
	return -1;
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
		while (end - p >= 8 && !parse_special(load8(p))) {
			memcpy(o, p, 8);
			o += 8;
			p += 8;
		}
		/* ASCII that needs no escape in output needs none in input;
		 * DEL, which only output escapes, takes the slow branch. */
		while (p < end && *p < 0x7f && !str_esc[*p])
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
			k = utf8_seq(p, end);
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

/*
 * The parser is a state machine over three labels: `value` (a value must
 * start at p), `after` (a value just ended; what may follow depends on the
 * innermost container) and `member` (an object key must start at p).
 * `close` pops a container.  Each new node is linked in before its content
 * is known, so containers need no fix-up pass.
 */
const struct json_val *json_parse(struct json_doc *d, const char *src, size_t n,
				  size_t *err_off, struct rd_err *err)
{
	return json_parse_cap(d, src, n, NULL, err_off, err);
}

/* The key of the root object's member that holds the innermost open
 * container, or the member about to be read (see json_cap). */
static const char *root_member(const struct json_val *root, int depth,
			       const struct frame *stack,
			       const struct json_val *parent, const char *key)
{
	if (!root || root->type != JSON_OBJECT)
		return NULL;
	if (depth <= 1)
		return key;
	return depth == 2 ? parent->key : stack[2].parent->key;
}

const struct json_val *json_parse_cap(struct json_doc *d, const char *src,
				      size_t n, struct json_cap *lim,
				      size_t *err_off, struct rd_err *err)
{
	static const char empty[1] = "";
	const unsigned char *s = (const unsigned char *)(n ? src : empty);
	const unsigned char *p = s, *end = s + n, *q;
	struct frame stack[JSON_MAX_DEPTH];
	struct json_val *root = NULL, *parent = NULL, *v;
	struct json_val **tail = &root;
	const char *key = NULL;
	size_t keylen = 0, off;
	unsigned char *o;
	struct scan sc = { NULL, NULL };
	int depth = 0, over = 0;
	size_t values = 0;

	if (lim)
		lim->over_key = NULL;
	/* See the file comment for why n + 1 bytes of text always suffice. */
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
	o = (unsigned char *)d->text;
	d->cur = NULL;
	if (d->blocks)
		more_nodes(d);
	else
		d->free_node = d->end_node = NULL;

value:
	p = skip_ws(p, end);
	if (p == end) {
		fail_at(&sc, end, eof_msg);
		goto fail;
	}
	if (lim && lim->max_values && values++ == lim->max_values) {
		lim->over_key = root_member(root, depth, stack, parent, key);
		over = 1;
		fail_at(&sc, p, "too many values");
		goto fail;
	}
	v = new_node(d);
	*v = (struct json_val){ .key = key, .keylen = keylen,
				.offset = (size_t)(p - s) };
	*tail = v;
	tail = &v->next;
	if (parent)
		parent->count++;
	key = NULL;
	keylen = 0;
	switch (*p) {
	case '{':
	case '[':
		if (depth == JSON_MAX_DEPTH) {
			fail_at(&sc, p, "nesting deeper than 64 levels");
			goto fail;
		}
		v->type = *p == '{' ? JSON_OBJECT : JSON_ARRAY;
		stack[depth].parent = parent;
		stack[depth].tail = tail;
		depth++;
		parent = v;
		tail = &v->child;
		p = skip_ws(p + 1, end);
		if (p < end && *p == (v->type == JSON_OBJECT ? '}' : ']')) {
			p++;
			goto close;
		}
		if (v->type == JSON_OBJECT)
			goto member;
		goto value;
	case '"':
		v->type = JSON_STRING;
		v->str = (const char *)o;
		p = scan_string(p + 1, end, &o, &v->len, &sc);
		break;
	case 't':
		v->type = JSON_TRUE;
		p = scan_word(p, end, "true", 4, &sc);
		break;
	case 'f':
		v->type = JSON_FALSE;
		p = scan_word(p, end, "false", 5, &sc);
		break;
	case 'n':
		v->type = JSON_NULL;
		p = scan_word(p, end, "null", 4, &sc);
		break;
	default:
		if (*p != '-' && !is_digit(*p)) {
			fail_at(&sc, p, "expected a value");
			goto fail;
		}
		v->type = JSON_NUMBER;
		q = scan_number(p, end, &sc);
		if (!q)
			goto fail;
		v->str = (const char *)o;
		v->len = (size_t)(q - p);
		memcpy(o, p, v->len);
		o += v->len;
		*o++ = '\0';
		p = q;
		break;
	}
	if (!p)
		goto fail;

after:
	p = skip_ws(p, end);
	if (depth == 0) {
		if (p == end)
			return root;
		fail_at(&sc, p, "unexpected data after the JSON value");
		goto fail;
	}
	if (p == end) {
		fail_at(&sc, end, eof_msg);
		goto fail;
	}
	if (parent->type == JSON_ARRAY) {
		if (*p == ',') {
			p++;
			goto value;
		}
		if (*p == ']') {
			p++;
			goto close;
		}
		fail_at(&sc, p, "expected ',' or ']' after array element");
		goto fail;
	}
	if (*p == '}') {
		p++;
		goto close;
	}
	if (*p != ',') {
		fail_at(&sc, p, "expected ',' or '}' after object member");
		goto fail;
	}
	p = skip_ws(p + 1, end);

member:
	if (p == end) {
		fail_at(&sc, end, eof_msg);
		goto fail;
	}
	if (*p != '"') {
		fail_at(&sc, p, "expected '\"' to start an object key");
		goto fail;
	}
	key = (const char *)o;
	p = scan_string(p + 1, end, &o, &keylen, &sc);
	if (!p)
		goto fail;
	p = skip_ws(p, end);
	if (p == end) {
		fail_at(&sc, end, eof_msg);
		goto fail;
	}
	if (*p != ':') {
		fail_at(&sc, p, "expected ':' after object key");
		goto fail;
	}
	p++;
	goto value;

close:
	depth--;
	parent = stack[depth].parent;
	tail = stack[depth].tail;
	goto after;

fail:
	off = (size_t)(sc.err_at - s);
	if (err_off)
		*err_off = off;
	if (over)
		rd_err_set(err, RD_E_FULL, "byte %zu: more than %zu values", off,
			   lim->max_values);
	else
		rd_err_set(err, RD_E_INVAL, "byte %zu: %s", off, sc.why);
	return NULL;
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

void json_add_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end, *run;
	char *o;
	unsigned c;

	/* Room for the quotes and every byte unescaped; each escape below
	 * reserves again for its extra bytes. */
	o = buf_reserve(b, n + 2);
	*o++ = '"';
	end = n ? p + n : p;
	while (p < end) {
		run = p;
		while (end - p >= 8 && !write_special(load8(p)))
			p += 8;
		while (p < end && !str_esc[*p])
			p++;
		memcpy(o, run, (size_t)(p - run));
		o += p - run;
		if (p == end)
			break;
		b->len = (size_t)(o - b->data);
		o = buf_reserve(b, (size_t)(end - p) + 7);
		c = *p++;
		*o++ = '\\';
		*o++ = str_esc[c];
		if (str_esc[c] == 'u') {
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->data);
}
