/*
 * Unit tests for lib/json's escaper, json_add_str: its output for known
 * input, and every byte value read back by the parser, alone, in runs
 * and as UTF-8.  The parser itself is in test_json.c.
 */
#include <string.h>

#include "json.h"
#include "t.h"

/* Escaper output for known input; every ASCII byte read back. */
static void test_add_str(struct json_doc *d)
{
	static const char in[] = "a\"b\\c\n\r\t\b\f\x01\x1f\x7f\xc3\xa9/\0z";
	const struct json_val *v;
	struct rd_err err;
	struct buf b;
	int c, pos, bad = 0;

	buf_init(&b);
	json_add_str(&b, in, sizeof(in) - 1);
	T_EQ_STR(b.data, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\xc3\xa9/\\u0000z\"",
		 "json_add_str escapes");
	buf_reset(&b);
	json_add_str(&b, NULL, 0);
	T_EQ_STR(b.data, "\"\"", "json_add_str empty");
	buf_reset(&b);
	buf_adds(&b, "{\"k\":");
	json_add_str(&b, "0123456789abcdefghij", 20);
	buf_addc(&b, '}');
	T_EQ_STR(b.data, "{\"k\":\"0123456789abcdefghij\"}", "json_add_str appends");

	/* Every byte below 0x80, alone and at every position of a 17-byte
	 * run so both the word loop and the byte loop see it. */
	for (c = 0; c < 0x80; c++) {
		for (pos = -1; pos < 17; pos++) {
			char raw[17];
			size_t n = 1;

			if (pos < 0) {
				raw[0] = (char)c;
			} else {
				memset(raw, 'x', sizeof(raw));
				raw[pos] = (char)c;
				n = sizeof(raw);
			}
			buf_reset(&b);
			json_add_str(&b, raw, n);
			v = json_parse(d, b.data, b.len, NULL, &err);
			if (!v || v->type != JSON_STRING || v->len != n ||
			    memcmp(v->str, raw, n) != 0)
				bad++;
		}
	}
	T_EQ_INT(bad, 0, "round trip of all ASCII bytes at every position");
	buf_release(&b);
}

/* Bytes from 0x80 up: alone, as UTF-8, and all in one string. */
static void test_add_str_high(struct json_doc *d)
{
	const struct json_val *v;
	struct rd_err err;
	struct buf b, s;
	int c, bad = 0;

	buf_init(&b);
	buf_init(&s);
	/* Bytes from 0x80 up are not UTF-8 alone: copied, then refused. */
	for (c = 0x80; c < 0x100; c++) {
		char raw[1] = { (char)c };
		size_t off = 0;

		buf_reset(&b);
		json_add_str(&b, raw, 1);
		if (b.len != 3 || (unsigned char)b.data[1] != c ||
		    json_parse(d, b.data, b.len, &off, &err) != NULL || off != 1)
			bad++;
	}
	T_EQ_INT(bad, 0, "bytes 0x80-0xff copied raw and refused alone");

	/* ... and as UTF-8 (U+0080..U+00FF, plus wider code points). */
	bad = 0;
	for (c = 0x80; c < 0x100; c++) {
		char raw[2] = { (char)(0xc0 | c >> 6), (char)(0x80 | (c & 0x3f)) };

		buf_reset(&b);
		json_add_str(&b, raw, 2);
		v = json_parse(d, b.data, b.len, NULL, &err);
		if (!v || v->len != 2 || memcmp(v->str, raw, 2) != 0)
			bad++;
	}
	T_EQ_INT(bad, 0, "round trip of U+0080..U+00FF");

	/* One string holding all 256 values, the high ones as UTF-8. */
	buf_reset(&s);
	for (c = 0; c < 0x100; c++) {
		if (c < 0x80) {
			buf_addc(&s, (char)c);
		} else {
			buf_addc(&s, (char)(0xc0 | c >> 6));
			buf_addc(&s, (char)(0x80 | (c & 0x3f)));
		}
	}
	buf_add(&s, "\xe2\x82\xac\xf0\x9f\x98\x80", 7);
	T_EQ_INT(json_utf8_check(s.data, s.len), -1, "all-bytes string is UTF-8");
	buf_reset(&b);
	json_add_str(&b, s.data, s.len);
	v = json_parse(d, b.data, b.len, NULL, &err);
	T_OK(v && v->len == s.len && memcmp(v->str, s.data, s.len) == 0,
	     "round trip of all byte values in one string");
	T_OK(memchr(b.data, '\n', b.len) == NULL && memchr(b.data, 0x7f, b.len) == NULL,
	     "escaped form has no raw newline or DEL");
	buf_release(&b);
	buf_release(&s);
}

int main(void)
{
	struct json_doc d;

	json_doc_init(&d);
	test_add_str(&d);
	test_add_str_high(&d);
	json_doc_release(&d);
	return t_done();
}
