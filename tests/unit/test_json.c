/*
 * Unit tests for lib/json: every value type, nesting, escapes and UTF-8,
 * each syntax error with its exact byte offset, the depth limit, number
 * conversion and arena reuse.  The escaper's round trip is in
 * test_json_str.c.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "t.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A printable, one-line name for an arbitrary input. */
static const char *label(struct buf *b, const char *prefix, const char *s,
			 size_t n)
{
	size_t i;

	buf_reset(b);
	buf_adds(b, prefix);
	buf_adds(b, ": ");
	for (i = 0; i < n && i < 60; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f)
			buf_addf(b, "\\x%02x", c);
		else
			buf_addc(b, (char)c);
	}
	if (i < n)
		buf_adds(b, "...");
	return b->data;
}

/* Canonical compact text of a tree; also checks each container's count. */
static int dump(struct buf *b, const struct json_val *v)
{
	const struct json_val *c;
	size_t k = 0;
	int ok = 1;

	switch (v->type) {
	case JSON_NULL: buf_adds(b, "null"); break;
	case JSON_FALSE: buf_adds(b, "false"); break;
	case JSON_TRUE: buf_adds(b, "true"); break;
	case JSON_NUMBER: buf_add(b, v->str, v->len); break;
	case JSON_STRING: json_add_str(b, v->str, v->len); break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		buf_addc(b, v->type == JSON_ARRAY ? '[' : '{');
		for (c = v->child; c; c = c->next, k++) {
			if (k)
				buf_addc(b, ',');
			if (v->type == JSON_OBJECT) {
				if (!c->key)
					ok = 0;
				else
					json_add_str(b, c->key, c->keylen);
				buf_addc(b, ':');
			} else if (c->key) {
				ok = 0;
			}
			ok &= dump(b, c);
		}
		buf_addc(b, v->type == JSON_ARRAY ? ']' : '}');
		if (k != v->count)
			ok = 0;
		break;
	}
	return ok;
}

struct good {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *want;
};

static const struct good goods[] = {
	{ "null", 0, "null" },
	{ "true", 0, "true" },
	{ "false", 0, "false" },
	{ " \t\r\n true \n", 0, "true" },
	{ "0", 0, "0" },
	{ "-0", 0, "-0" },
	{ "7", 0, "7" },
	{ "-123", 0, "-123" },
	{ "0.5", 0, "0.5" },
	{ "-1.5e+10", 0, "-1.5e+10" },
	{ "1E-2", 0, "1E-2" },
	{ "0e0", 0, "0e0" },
	{ "123456789012345678901234567890", 0, "123456789012345678901234567890" },
	{ "1e400", 0, "1e400" },
	{ "-1.0e-400", 0, "-1.0e-400" },
	{ "\"\"", 0, "\"\"" },
	{ "\"abc\"", 0, "\"abc\"" },
	{ "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 0, "\"\\\"\\\\/\\b\\f\\n\\r\\t\"" },
	{ "\"\\u0041\\u00e9\\u20AC\\uFFFF\"", 0, "\"A\xc3\xa9\xe2\x82\xac\xef\xbf\xbf\"" },
	{ "\"\\u007f\\u0080\\u07ff\\u0800\"", 0, "\"\\u007f\xc2\x80\xdf\xbf\xe0\xa0\x80\"" },
	{ "\"\\ud83d\\ude00\"", 0, "\"\xf0\x9f\x98\x80\"" },
	{ "\"\\uD800\\uDC00\\uDBFF\\uDFFF\"", 0, "\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"" },
	{ "\"a\\u0000b\"", 0, "\"a\\u0000b\"" },
	{ "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"", 0,
	  "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"" },
	{ "\"\xed\x9f\xbf\xee\x80\x80\"", 0, "\"\xed\x9f\xbf\xee\x80\x80\"" },
	{ "\"del\x7f\"", 0, "\"del\\u007f\"" },
	{ "\"0123456789abcdef\\n0123456789\\t01234567\"", 0,
	  "\"0123456789abcdef\\n0123456789\\t01234567\"" },
	{ "\"0123456\xc3\xa9" "0123456789\xe2\x82\xac" "abcdefgh\"", 0,
	  "\"0123456\xc3\xa9" "0123456789\xe2\x82\xac" "abcdefgh\"" },
	{ "[]", 0, "[]" },
	{ "{}", 0, "{}" },
	{ "[ ]", 0, "[]" },
	{ "{ \n}", 0, "{}" },
	{ " [ 1 , 2 ,\"x\" ] ", 0, "[1,2,\"x\"]" },
	{ "{\"a\":1,\"b\":[true,false,null]}", 0, "{\"a\":1,\"b\":[true,false,null]}" },
	{ "{ \"a\" : { \"b\" : { \"c\" : [ ] } } }", 0, "{\"a\":{\"b\":{\"c\":[]}}}" },
	{ "[[[]],{},[{}],[[1],[2,[3]]]]", 0, "[[[]],{},[{}],[[1],[2,[3]]]]" },
	{ "{\"a\":1,\"a\":2}", 0, "{\"a\":1,\"a\":2}" },
	{ "{\"a\\nb\":1,\"\\u00e9\":\"\"}", 0, "{\"a\\nb\":1,\"\xc3\xa9\":\"\"}" },
	{ "{\"\":0}", 0, "{\"\":0}" },
	{ "[1,-1,0.25,1e5,-0.0E-0]", 0, "[1,-1,0.25,1e5,-0.0E-0]" },
	{ "[true,false,null,\"s\",{},[]]", 0, "[true,false,null,\"s\",{},[]]" },
};

struct bad {
	const char *in;
	size_t len; /* 0: strlen(in) */
	size_t off;
	const char *why;
};

#define EOI "unexpected end of input"

static const struct bad bads[] = {
	/* structure */
	{ "", 0, 0, EOI },
	{ "   ", 0, 3, EOI },
	{ "[", 0, 1, EOI },
	{ "{", 0, 1, EOI },
	{ "[1", 0, 2, EOI },
	{ "[1,", 0, 3, EOI },
	{ "{\"a\"", 0, 4, EOI },
	{ "{\"a\":", 0, 5, EOI },
	{ "{\"a\":1", 0, 6, EOI },
	{ "{\"a\":1,", 0, 7, EOI },
	{ "]", 0, 0, "expected a value" },
	{ "}", 0, 0, "expected a value" },
	{ ",", 0, 0, "expected a value" },
	{ "[,]", 0, 1, "expected a value" },
	{ "[1,]", 0, 3, "expected a value" },
	{ "[1,,2]", 0, 3, "expected a value" },
	{ "{\"a\":}", 0, 5, "expected a value" },
	{ "[1 2]", 0, 3, "expected ',' or ']' after array element" },
	{ "[1}", 0, 2, "expected ',' or ']' after array element" },
	{ "[\"a\":1]", 0, 4, "expected ',' or ']' after array element" },
	{ "{\"a\" 1}", 0, 5, "expected ':' after object key" },
	{ "{\"a\",1}", 0, 4, "expected ':' after object key" },
	{ "{ \"key\"   = 1}", 0, 10, "expected ':' after object key" },
	{ "{\"a\":1,}", 0, 7, "expected '\"' to start an object key" },
	{ "{1:2}", 0, 1, "expected '\"' to start an object key" },
	{ "{a:1}", 0, 1, "expected '\"' to start an object key" },
	{ "{'a':1}", 0, 1, "expected '\"' to start an object key" },
	{ "{\"a\":1 \"b\":2}", 0, 7, "expected ',' or '}' after object member" },
	{ "{\"a\":1]", 0, 6, "expected ',' or '}' after object member" },
	/* trailing garbage */
	{ "1 2", 0, 2, "unexpected data after the JSON value" },
	{ "{}x", 0, 2, "unexpected data after the JSON value" },
	{ "[]]", 0, 2, "unexpected data after the JSON value" },
	{ "null null", 0, 5, "unexpected data after the JSON value" },
	{ "truex", 0, 4, "unexpected data after the JSON value" },
	{ "\"a\"\"b\"", 0, 3, "unexpected data after the JSON value" },
	{ "0x10", 0, 1, "unexpected data after the JSON value" },
	{ "1.5.2", 0, 3, "unexpected data after the JSON value" },
	{ "{}\n{}", 0, 3, "unexpected data after the JSON value" },
	{ "1\0", 2, 1, "unexpected data after the JSON value" },
	{ "[1]\f", 0, 3, "unexpected data after the JSON value" },
	/* literals and stray words */
	{ "nul", 0, 3, EOI },
	{ "nulx", 0, 3, "invalid literal" },
	{ "tru e", 0, 3, "invalid literal" },
	{ "fals", 0, 4, EOI },
	{ "[nil]", 0, 2, "invalid literal" },
	{ "True", 0, 0, "expected a value" },
	{ "NaN", 0, 0, "expected a value" },
	{ "Infinity", 0, 0, "expected a value" },
	{ "undefined", 0, 0, "expected a value" },
	{ "\0", 1, 0, "expected a value" },
	{ "[1,\0]", 5, 3, "expected a value" },
	{ "\xef\xbb\xbf{}", 0, 0, "expected a value" },
	{ "\v1", 0, 0, "expected a value" },
	/* numbers */
	{ "01", 0, 1, "leading zero in number" },
	{ "00", 0, 1, "leading zero in number" },
	{ "-01", 0, 2, "leading zero in number" },
	{ "[1,012]", 0, 4, "leading zero in number" },
	{ "-", 0, 1, EOI },
	{ "-a", 0, 1, "expected a digit after '-'" },
	{ "-Infinity", 0, 1, "expected a digit after '-'" },
	{ "--1", 0, 1, "expected a digit after '-'" },
	{ "- 1", 0, 1, "expected a digit after '-'" },
	{ "+1", 0, 0, "expected a value" },
	{ ".5", 0, 0, "expected a value" },
	{ "1.", 0, 2, EOI },
	{ "1.e5", 0, 2, "expected a digit after '.'" },
	{ "[1.]", 0, 3, "expected a digit after '.'" },
	{ "1e", 0, 2, EOI },
	{ "1e+", 0, 3, EOI },
	{ "1ex", 0, 2, "expected a digit in exponent" },
	{ "1e+-1", 0, 3, "expected a digit in exponent" },
	{ "[1E]", 0, 3, "expected a digit in exponent" },
	/* strings */
	{ "\"abc", 0, 4, EOI },
	{ "\"0123456789abcdef", 0, 17, EOI },
	{ "\"\\", 0, 2, EOI },
	{ "\"a\x01\"", 0, 2, "control character in string (must be escaped)" },
	{ "\"a\nb\"", 0, 2, "control character in string (must be escaped)" },
	{ "\"0123456789\tb\"", 0, 11, "control character in string (must be escaped)" },
	{ "\"0123456789\tbcdefghijk\"", 0, 11, "control character in string (must be escaped)" },
	{ "\"0123456789\x1f" "bcdefghijk\"", 0, 11, "control character in string (must be escaped)" },
	{ "\"a\0b\"", 5, 2, "control character in string (must be escaped)" },
	{ "{\"k\x1f\":1}", 0, 3, "control character in string (must be escaped)" },
	{ "\"\\x\"", 0, 1, "invalid escape sequence" },
	{ "\"ab\\'\"", 0, 3, "invalid escape sequence" },
	{ "\"\\U0041\"", 0, 1, "invalid escape sequence" },
	{ "\"\\u12G4\"", 0, 1, "invalid \\u escape (need four hex digits)" },
	{ "\"\\u12\"", 0, 1, "invalid \\u escape (need four hex digits)" },
	{ "\"\\u12", 0, 5, EOI },
	{ "\"\\ud800\"", 0, 1, "unpaired surrogate in \\u escape" },
	{ "\"\\udc00\"", 0, 1, "unpaired surrogate in \\u escape" },
	{ "\"\\uDFFF\\uD800\"", 0, 1, "unpaired surrogate in \\u escape" },
	{ "\"\\ud800\\u0041\"", 0, 1, "unpaired surrogate in \\u escape" },
	{ "\"\\ud800\\ud800\"", 0, 1, "unpaired surrogate in \\u escape" },
	{ "\"x\\ud83dx\"", 0, 2, "unpaired surrogate in \\u escape" },
	{ "\"ab\\ud800\\", 0, 3, "unpaired surrogate in \\u escape" },
	{ "\"\\ud800\\uZZZZ\"", 0, 7, "invalid \\u escape (need four hex digits)" },
	{ "\"\\ud800\\udc", 0, 11, EOI },
	/* invalid UTF-8 */
	{ "\"\x80\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xbf\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xc0\xaf\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xc1\xbf\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xe0\x80\xaf\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xe0\x9f\xbf\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xed\xa0\x80\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xed\xbf\xbf\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xf0\x80\x80\x80\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xf0\x8f\xbf\xbf\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xf4\x90\x80\x80\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xf5\x80\x80\x80\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xf8\x88\x80\x80\x80\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xff\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xfe\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"ab\xc3\"", 0, 3, "invalid UTF-8 in string" },
	{ "\"ab\xc3", 0, 3, "invalid UTF-8 in string" },
	{ "\"\xe2\x82\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xe2\x82x\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xf0\x9f\x98\"", 0, 1, "invalid UTF-8 in string" },
	{ "\"\xc3\xa9\xa9\"", 0, 3, "invalid UTF-8 in string" },
	{ "\"abcdefghij\xe2\x82\"", 0, 11, "invalid UTF-8 in string" },
	{ "\"0123456789\xff" "0123456789\"", 0, 11, "invalid UTF-8 in string" },
	{ "\"01234\xc3\xa9" "0123456789\xed\xa0\x80" "abcdefgh\"", 0, 18, "invalid UTF-8 in string" },
	{ "{\"\xc3\x28\":1}", 0, 2, "invalid UTF-8 in string" },
};

struct ival {
	const char *in;
	long long min, max;
	int ok;
	long long want;
};

static const struct ival ivals[] = {
	{ "0", 0, 0, 1, 0 },
	{ "-0", 0, 0, 1, 0 },
	{ "42", 0, 100, 1, 42 },
	{ "-42", -100, 100, 1, -42 },
	{ "100", 0, 99, 0, 0 },
	{ "5", 6, 10, 0, 0 },
	{ "-1", 0, 10, 0, 0 },
	{ "9223372036854775807", LLONG_MIN, LLONG_MAX, 1, LLONG_MAX },
	{ "9223372036854775808", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "-9223372036854775808", LLONG_MIN, LLONG_MAX, 1, LLONG_MIN },
	{ "-9223372036854775809", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "18446744073709551616", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "99999999999999999999", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "123456789012345678901234567890", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "1e2", 0, 1000, 1, 100 },
	{ "1E+2", 0, 1000, 1, 100 },
	{ "1.0", 0, 10, 1, 1 },
	{ "1.50e1", 0, 100, 1, 15 },
	{ "150e-1", 0, 100, 1, 15 },
	{ "1.5", 0, 10, 0, 0 },
	{ "15e-1", 0, 10, 0, 0 },
	{ "1e-1", 0, 10, 0, 0 },
	{ "0.1", 0, 10, 0, 0 },
	{ "0.0e5", 0, 10, 1, 0 },
	{ "0e-999999999999", 0, 10, 1, 0 },
	{ "1e18", 0, LLONG_MAX, 1, 1000000000000000000LL },
	{ "1e19", 0, LLONG_MAX, 0, 0 },
	{ "1e999999999999", 0, LLONG_MAX, 0, 0 },
	{ "9.223372036854775807e18", 0, LLONG_MAX, 1, LLONG_MAX },
	{ "9.223372036854775808e18", 0, LLONG_MAX, 0, 0 },
	{ "-9.223372036854775808e18", LLONG_MIN, 0, 1, LLONG_MIN },
	{ "0.00000000000000000000000000012e29", 0, 100, 1, 12 },
	{ "1000000000000000000000e-20", 0, 100, 1, 10 },
	{ "999", 0, 999, 1, 999 },
	{ "1000", 0, 999, 0, 0 },
	{ "1", 1, 1, 1, 1 },
};

struct dval {
	const char *in;
	int ok;
	double want;
};

static const struct dval dvals[] = {
	{ "0", 1, 0.0 },
	{ "0.5", 1, 0.5 },
	{ "-2.25", 1, -2.25 },
	{ "0.1", 1, 0.1 },
	{ "3.14159", 1, 3.14159 },
	{ "12.345", 1, 12.345 },
	{ "1e22", 1, 1e22 },
	{ "1e23", 1, 1e23 },
	{ "1e-22", 1, 1e-22 },
	{ "9007199254740993", 1, 9007199254740992.0 },
	{ "3463004755302980304e-5", 1, 3463004755302980304e-5 },
	{ "5555010504964135537e2", 1, 5555010504964135537e2 },
	{ "1927815659089850700e-18", 1, 1927815659089850700e-18 },
	{ "123456789012345678901234567890", 1, 1.2345678901234568e29 },
	{ "1.7976931348623157e308", 1, DBL_MAX },
	{ "2.2250738585072014e-308", 1, DBL_MIN },
	{ "4.9e-324", 1, 4.9e-324 },
	{ "1e-400", 1, 0.0 },
	{ "1e400", 0, 0 },
	{ "-1e400", 0, 0 },
	{ "1.8e308", 0, 0 },
};

static void test_good(struct json_doc *d, struct buf *name, struct buf *out)
{
	const struct json_val *v;
	struct rd_err err;
	size_t i, n;

	for (i = 0; i < N(goods); i++) {
		n = goods[i].len ? goods[i].len : strlen(goods[i].in);
		label(name, "parses", goods[i].in, n);
		v = json_parse(d, goods[i].in, n, NULL, &err);
		if (!T_OK(v != NULL, name->data)) {
			printf("#   %s\n", err.msg);
			continue;
		}
		buf_reset(out);
		T_OK(dump(out, v), name->data);
		T_EQ_STR(out->data, goods[i].want, name->data);
	}
}

static void test_bad(struct json_doc *d, struct buf *name)
{
	const struct json_val *v;
	struct rd_err err;
	char want[128];
	size_t i, n, off;

	for (i = 0; i < N(bads); i++) {
		n = bads[i].len ? bads[i].len : strlen(bads[i].in);
		label(name, "rejects", bads[i].in, n);
		off = (size_t)-1;
		memset(&err, 0, sizeof(err));
		v = json_parse(d, bads[i].in, n, &off, &err);
		T_OK(v == NULL && err.code == RD_E_INVAL, name->data);
		T_EQ_INT(off, bads[i].off, name->data);
		snprintf(want, sizeof(want), "byte %zu: %s", bads[i].off,
			 bads[i].why);
		T_EQ_STR(err.msg, want, name->data);
	}
	/* Both error outputs are optional. */
	T_OK(json_parse(d, "[", 1, NULL, NULL) == NULL, "error without err");
	T_OK(json_parse(d, NULL, 0, NULL, &err) == NULL &&
	     strcmp(err.msg, "byte 0: " EOI) == 0, "NULL empty input");
}

static void test_depth(struct json_doc *d)
{
	struct buf b;
	struct rd_err err;
	size_t off = 0, i;
	const struct json_val *v;
	int k;

	buf_init(&b);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		buf_addc(&b, '[');
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		buf_addc(&b, ']');
	v = json_parse(d, b.data, b.len, NULL, &err);
	for (k = 1; v && v->child; k++)
		v = v->child;
	T_EQ_INT(k, JSON_MAX_DEPTH, "64 nested arrays accepted");

	buf_reset(&b);
	for (i = 0; i <= JSON_MAX_DEPTH; i++)
		buf_addc(&b, '[');
	for (i = 0; i <= JSON_MAX_DEPTH; i++)
		buf_addc(&b, ']');
	T_OK(json_parse(d, b.data, b.len, &off, &err) == NULL, "65 arrays refused");
	T_EQ_INT(off, 64, "depth error at the 65th bracket");
	T_EQ_STR(err.msg, "byte 64: nesting deeper than 64 levels", "depth message");

	/* Objects count too, mixed with arrays; 5 bytes per "{\"a\":" level. */
	buf_reset(&b);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		buf_adds(&b, i % 2 ? "[" : "{\"a\":");
	buf_adds(&b, "1");
	for (i = JSON_MAX_DEPTH; i-- > 0;)
		buf_adds(&b, i % 2 ? "]" : "}");
	T_OK(json_parse(d, b.data, b.len, NULL, &err) != NULL,
	     "64 mixed levels accepted");
	buf_reset(&b);
	for (i = 0; i < 1000; i++)
		buf_adds(&b, "{\"a\":");
	T_OK(json_parse(d, b.data, b.len, &off, &err) == NULL,
	     "deep objects refused");
	T_EQ_INT(off, 64 * 5, "objects: error at the 65th brace");
	/* A deep but closed prefix followed by more values stays fine. */
	buf_reset(&b);
	buf_addc(&b, '[');
	for (i = 0; i < 1000; i++)
		buf_adds(&b, i ? ",[[[]]]" : "[[[]]]");
	buf_addc(&b, ']');
	v = json_parse(d, b.data, b.len, NULL, &err);
	T_OK(v && v->count == 1000, "depth is released on close");
	buf_release(&b);
}

static void test_tree(struct json_doc *d)
{
	static const char in[] = " {\"a\": [1, \"x\"], \"b\\u0000c\": null, \"a\": true, \"n\": -1.5e3}";
	const struct json_val *v, *c;
	struct rd_err err;
	double x;

	v = json_parse(d, in, sizeof(in) - 1, NULL, &err);
	if (!T_OK(v != NULL, "tree parses"))
		return;
	T_EQ_INT(v->type, JSON_OBJECT, "root type");
	T_EQ_INT(v->offset, 1, "root offset");
	T_EQ_INT(v->count, 4, "member count");
	T_OK(v->key == NULL && v->next == NULL, "root has no key or sibling");
	c = v->child;
	T_EQ_STR(c->key, "a", "first key");
	T_EQ_INT(c->keylen, 1, "first keylen");
	T_EQ_INT(c->type, JSON_ARRAY, "first is array");
	T_EQ_INT(c->offset, 7, "array offset");
	T_EQ_INT(c->count, 2, "array count");
	T_EQ_INT(c->child->type, JSON_NUMBER, "element 1 number");
	T_EQ_STR(c->child->str, "1", "element 1 text");
	T_EQ_INT(c->child->offset, 8, "element 1 offset");
	T_OK(c->child->key == NULL, "array element has no key");
	T_EQ_INT(c->child->next->type, JSON_STRING, "element 2 string");
	T_EQ_STR(c->child->next->str, "x", "element 2 text");
	T_EQ_INT(c->child->next->offset, 11, "element 2 offset");
	T_OK(c->child->next->next == NULL, "array ends");
	c = c->next;
	T_EQ_INT(c->keylen, 3, "key with NUL keeps its length");
	T_OK(memcmp(c->key, "b\0c", 4) == 0, "key with NUL unescaped");
	T_EQ_INT(c->type, JSON_NULL, "null member");
	T_EQ_INT(c->offset, (size_t)(strstr(in, "null") - in), "null offset");
	T_EQ_INT(json_get(v, "a")->type, JSON_ARRAY, "json_get finds the first duplicate");
	T_EQ_INT(json_get(v, "n")->type, JSON_NUMBER, "json_get last member");
	T_OK(json_num(json_get(v, "n"), &x) == 0 && x == -1500, "member as number");
	T_OK(json_get(v, "b") == NULL, "json_get does not match a key prefix");
	T_OK(json_get(v, "zz") == NULL, "json_get missing key");
	T_OK(json_get(v->child, "a") == NULL, "json_get on an array");
	T_OK(json_get(NULL, "a") == NULL, "json_get on NULL");
	T_OK(json_get(json_get(v, "missing"), "a") == NULL, "json_get chains");

	v = json_parse(d, "\"a\\u0000b\"", 10, NULL, &err);
	T_OK(v && v->len == 3 && memcmp(v->str, "a\0b", 4) == 0,
	     "\\u0000 becomes a NUL byte");
	v = json_parse(d, "\"\"", 2, NULL, &err);
	T_OK(v && v->len == 0 && v->str && v->str[0] == '\0', "empty string");
	v = json_parse(d, "-12.5e3", 7, NULL, &err);
	T_OK(v && v->type == JSON_NUMBER && v->len == 7 &&
	     strcmp(v->str, "-12.5e3") == 0, "number keeps its source text");
	v = json_parse(d, "[]", 2, NULL, &err);
	T_OK(v && v->count == 0 && v->child == NULL, "empty array");
	/* Input need not be NUL-terminated: a number at the very end. */
	v = json_parse(d, "[1,23]", 5 - 1, NULL, &err);
	T_OK(v == NULL, "cut input refused");
	v = json_parse(d, "12345", 3, NULL, &err);
	T_OK(v && strcmp(v->str, "123") == 0, "number ends at n");
}

static void test_numbers(struct json_doc *d, struct buf *name)
{
	const struct json_val *v;
	struct rd_err err;
	long long iv;
	double x;
	size_t i;

	for (i = 0; i < N(ivals); i++) {
		label(name, "json_int", ivals[i].in, strlen(ivals[i].in));
		v = json_parse(d, ivals[i].in, strlen(ivals[i].in), NULL, &err);
		iv = -7;
		T_EQ_INT(v && json_int(v, ivals[i].min, ivals[i].max, &iv) == 0,
			 ivals[i].ok, name->data);
		T_EQ_INT(iv, ivals[i].ok ? ivals[i].want : -7, name->data);
	}
	v = json_parse(d, "\"5\"", 3, NULL, &err);
	T_OK(json_int(v, 0, 10, &iv) < 0, "json_int refuses a string");
	T_OK(json_num(v, &x) < 0, "json_num refuses a string");
	v = json_parse(d, "true", 4, NULL, &err);
	T_OK(json_int(v, 0, 10, &iv) < 0 && json_num(v, &x) < 0,
	     "numbers refuse true");
	T_OK(json_int(NULL, 0, 10, &iv) < 0 && json_num(NULL, &x) < 0,
	     "numbers refuse NULL");

	for (i = 0; i < N(dvals); i++) {
		label(name, "json_num", dvals[i].in, strlen(dvals[i].in));
		v = json_parse(d, dvals[i].in, strlen(dvals[i].in), NULL, &err);
		x = -7;
		T_EQ_INT(v && json_num(v, &x) == 0, dvals[i].ok, name->data);
		T_OK(dvals[i].ok ? x == dvals[i].want : x == -7, name->data);
	}
	v = json_parse(d, "-0", 2, NULL, &err);
	T_OK(json_num(v, &x) == 0 && x == 0 && signbit(x), "-0 keeps its sign");
	/* Every short decimal agrees with strtod (the fast path is exact). */
	{
		char txt[64];
		int bad = 0, k;
		unsigned long r = 12345;

		for (k = 0; k < 20000; k++) {
			int len;

			r = r * 6364136223846793005ul + 1442695040888963407ul;
			if (k % 2)
				len = snprintf(txt, sizeof(txt), "%lu.%03lue%d",
					       (r >> 20) % 100000000000ul,
					       (r >> 8) % 1000, (int)(r % 45) - 22);
			else /* 17 to 19 digits, beyond 2^53 */
				len = snprintf(txt, sizeof(txt), "%lue%d",
					       (r >> 1) % 9000000000000000000ul +
						       10000000000000000ul,
					       (int)(r % 45) - 22);
			v = json_parse(d, txt, (size_t)len, NULL, &err);
			if (!v || json_num(v, &x) || x != strtod(txt, NULL))
				bad++;
		}
		T_EQ_INT(bad, 0, "json_num matches strtod on 20000 decimals");
	}
}

static void test_utf8(struct buf *name)
{
	static const struct {
		const char *s;
		long want;
	} cases[] = {
		{ "", -1 },
		{ "plain ascii text longer than eight", -1 },
		{ "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf", -1 },
		{ "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", -1 },
		{ "\x80", 0 },
		{ "abc\xc0\x80", 3 },
		{ "0123456789\xe0\x9f\xbf", 10 },
	{ "0123\xff" "456789abcdef", 4 },
		{ "0123456789\xed\xa0\x80", 10 },
		{ "\xc3\xa9\xf4\x90\x80\x80", 2 },
		{ "\xf5\x80\x80\x80", 0 },
		{ "01234567\xc3", 8 },
		{ "01234567\xc3\xa9\xe2\x82", 10 },
		{ "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xff", 9 },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		label(name, "json_utf8_check", cases[i].s, strlen(cases[i].s));
		T_EQ_INT(json_utf8_check(cases[i].s, strlen(cases[i].s)),
			 cases[i].want, name->data);
	}
	T_EQ_INT(json_utf8_check(NULL, 0), -1, "json_utf8_check NULL empty");
	T_EQ_INT(json_utf8_check("a\0b", 3), -1, "NUL is valid UTF-8");
}

/* One doc for many parses: small, big (several node blocks), failed, small. */
static void test_reuse(void)
{
	struct json_doc d;
	struct buf in, out;
	struct rd_err err;
	const struct json_val *v;
	int i, bad = 0;

	json_doc_init(&d);
	buf_init(&in);
	buf_init(&out);
	for (i = 0; i < 5000; i++) {
		size_t k, len = (size_t)(i % 7 == 0 ? 3000 : i % 13);

		buf_reset(&in);
		buf_addf(&in, "{\"i\":%d,\"s\":\"line %d\\n\",\"a\":[", i, i);
		for (k = 0; k < len; k++)
			buf_addf(&in, "%s{\"k\":%zu}", k ? "," : "", k);
		buf_adds(&in, "]}");
		if (i % 11 == 0)
			buf_addc(&in, ','); /* a bad line now and then */
		v = json_parse(&d, in.data, in.len, NULL, &err);
		if (i % 11 == 0) {
			if (v)
				bad++;
			continue;
		}
		buf_reset(&out);
		if (!v || !dump(&out, v) || v->child->next->next->count != len) {
			bad++;
			continue;
		}
		if (strcmp(out.data, in.data) != 0)
			bad++;
	}
	T_EQ_INT(bad, 0, "5000 parses on one doc, some large, some failing");
	json_doc_release(&d);
	T_OK(d.blocks == NULL && d.text == NULL, "release empties the doc");
	v = json_parse(&d, "[1]", 3, NULL, &err);
	T_OK(v && v->count == 1, "doc usable after release");
	json_doc_release(&d);
	json_doc_release(NULL);
	T_OK(d.blocks == NULL && d.text == NULL && d.text_cap == 0,
	     "release twice leaves an empty doc");
	buf_release(&in);
	buf_release(&out);
}

/* A cap on the values of a document stops the parse before the tree is
 * built whole, and says which member of the root object it was in. */
static void test_cap(struct json_doc *d)
{
	struct json_cap cap = { 5, NULL };
	struct rd_err err;
	size_t off = 0;

	T_OK(json_parse_cap(d, "{\"a\":[1,2],\"b\":1}", 17, &cap, NULL, &err) != NULL,
	     "five values: within a cap of 5");
	T_OK(cap.over_key == NULL, "no member named when within");
	T_OK(json_parse_cap(d, "{\"a\":1,\"h\":[[1,2],[3,4]]}", 25, &cap, &off, &err) == NULL,
	     "more than 5: refused");
	T_EQ_INT(err.code, RD_E_FULL, "as a limit");
	T_EQ_STR(err.msg, "byte 15: more than 5 values", "where and which limit");
	T_EQ_INT(off, 15, "the offset of the sixth value");
	T_EQ_STR(cap.over_key, "h", "inside the root member 'h'");
	T_OK(json_parse_cap(d, "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}", 31, &cap, NULL, &err) == NULL &&
	     cap.over_key && strcmp(cap.over_key, "e") == 0, "a member of its own");
	T_OK(json_parse_cap(d, "[1,2,3,4,5,6]", 13, &cap, NULL, &err) == NULL &&
	     cap.over_key == NULL, "an array root names no member");
	cap.max_values = 0;
	T_OK(json_parse_cap(d, "[1,2,3,4,5,6]", 13, &cap, NULL, &err) != NULL, "0: no cap");
	T_OK(json_parse_cap(d, "[1,2", 4, &cap, NULL, &err) == NULL &&
	     err.code == RD_E_INVAL, "other errors are as before");
	T_OK(json_parse_cap(d, "[1]", 3, NULL, NULL, &err) != NULL, "no cap at all");
}

int main(void)
{
	struct json_doc d;
	struct buf name, out;

	json_doc_init(&d);
	buf_init(&name);
	buf_init(&out);
	test_good(&d, &name, &out);
	test_bad(&d, &name);
	test_depth(&d);
	test_tree(&d);
	test_numbers(&d, &name);
	test_utf8(&name);
	test_reuse();
	test_cap(&d);
	json_doc_release(&d);
	buf_release(&name);
	buf_release(&out);
	return t_done();
}
