/*
 * json_int.h - what the JSON reader (json.c) and writer (json_write.c)
 * share: the escape table and the word-wide and UTF-8 byte tests.  Not an
 * interface: nothing outside the json modules includes it.
 *
 * The word-wide (SWAR) tests look at eight bytes at a time and stay
 * endian-neutral, because a word with any flagged byte is redone byte by
 * byte.
 */
#ifndef JSON_INT_H
#define JSON_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JSON_ONES 0x0101010101010101ull
#define JSON_HIGH 0x8080808080808080ull

/*
 * 0: json_add_str copies the byte as is; else the letter it writes after
 * a backslash.  The parser's byte loop reuses it: below 0x7f, a byte that
 * needs no escape on output may stand unescaped in input.  Defined in
 * json_write.c.
 */
extern const char json_str_esc[256];

static inline uint64_t json_load8(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* Nonzero iff some byte of w is zero (exact, whatever the other bytes). */
static inline uint64_t json_has_zero(uint64_t w)
{
	return (w - JSON_ONES) & ~w & JSON_HIGH;
}

/* Length of the well-formed UTF-8 sequence at p (Unicode table 3-7), or 0. */
static inline size_t json_utf8_seq(const unsigned char *p,
				   const unsigned char *end)
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

#endif
