/*
 * json_write.c - the writer's half of json.h: the string escaper every
 * JSON writer in redrive uses, and the UTF-8 check that tells a caller
 * whether a string may go through it (else it is written another way,
 * such as base64).
 *
 * Speed matters here as in the reader: capture writes every field of
 * every record through json_add_str.  Runs of bytes that need no escape
 * are found eight at a time with word-wide tests and copied whole, and
 * room is reserved once for the common case of no escapes at all.
 *
 * Deliberately not here: whole documents (callers build them in a struct
 * buf) and any reading of JSON (json.c).
 */
#include "json.h"

#include <stdint.h>
#include <string.h>

#include "json_int.h"
#include "banned.h"

const char json_str_esc[256] = {
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

/* Nonzero iff some byte is '"', '\\', below 0x20 or 0x7f. */
static inline uint64_t write_special(uint64_t w)
{
	return json_has_zero(w ^ (JSON_ONES * '"')) |
	       json_has_zero(w ^ (JSON_ONES * '\\')) |
	       json_has_zero(w ^ (JSON_ONES * 0x7f)) |
	       ((w - JSON_ONES * 0x20) & ~w & JSON_HIGH);
}

long json_utf8_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end;
	size_t k;

	if (n == 0)
		return -1;
	end = p + n;
	while (p < end) {
		while (end - p >= 8 && !(json_load8(p) & JSON_HIGH))
			p += 8;
		while (p < end && *p < 0x80)
			p++;
		if (p == end)
			break;
		k = json_utf8_seq(p, end);
		if (!k)
			return (long)(p - (const unsigned char *)s);
		p += k;
	}
	return -1;
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
		while (end - p >= 8 && !write_special(json_load8(p)))
			p += 8;
		while (p < end && !json_str_esc[*p])
			p++;
		memcpy(o, run, (size_t)(p - run));
		o += p - run;
		if (p == end)
			break;
		b->len = (size_t)(o - b->data);
		o = buf_reserve(b, (size_t)(end - p) + 7);
		c = *p++;
		*o++ = '\\';
		*o++ = json_str_esc[c];
		if (json_str_esc[c] == 'u') {
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
