/*
 * Unit tests for lib/b64: the RFC 4648 test vectors both ways, optional
 * padding, binary round trips, and every kind of bad input with its
 * message and offset.
 */
#include <stdio.h>
#include <string.h>

#include "b64.h"
#include "t.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct vec {
	const char *plain, *enc;
};

/* RFC 4648 section 10. */
static const struct vec rfc[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

struct bad {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *msg;
};

static const struct bad bads[] = {
	{ "Zm9v!", 0, "byte 4: invalid base64 character" },
	{ "!m9v", 0, "byte 0: invalid base64 character" },
	{ "Zm9vZm9vZ!9v", 0, "byte 9: invalid base64 character" },
	{ "Zm 9v", 0, "byte 2: invalid base64 character" },
	{ "Zm9v\n", 0, "byte 4: invalid base64 character" },
	{ "Zm9v\r\nZm9v", 0, "byte 4: invalid base64 character" },
	{ " Zm9v", 0, "byte 0: invalid base64 character" },
	{ "Zm-v", 0, "byte 2: invalid base64 character" },
	{ "Zm_v", 0, "byte 2: invalid base64 character" },
	{ "Zm9v\0", 5, "byte 4: invalid base64 character" },
	{ "Zm9v\xff", 0, "byte 4: invalid base64 character" },
	{ "Zm9vY\x80", 0, "byte 5: invalid base64 character" },
	{ "Z", 0, "truncated base64" },
	{ "Zm9vY", 0, "truncated base64" },
	{ "Zm9vY=", 0, "truncated base64" },
	{ "Z===", 0, "truncated base64" },
	{ "Zg=", 0, "byte 3: incomplete '=' padding" },
	{ "Zm9vYg=", 0, "byte 7: incomplete '=' padding" },
	{ "Zg===", 0, "byte 4: misplaced '=' padding" },
	{ "Zm8==", 0, "byte 4: misplaced '=' padding" },
	{ "Zm9v=", 0, "byte 4: misplaced '=' padding" },
	{ "=", 0, "byte 0: misplaced '=' padding" },
	{ "====", 0, "byte 0: misplaced '=' padding" },
	{ "Zg==Zg==", 0, "byte 2: misplaced '=' padding" },
	{ "Zg==\n", 0, "byte 2: misplaced '=' padding" },
	{ "Z=g=", 0, "byte 1: misplaced '=' padding" },
	{ "Zh==", 0, "byte 1: non-zero trailing bits" },
	{ "Zh", 0, "byte 1: non-zero trailing bits" },
	{ "Zm9=", 0, "byte 2: non-zero trailing bits" },
	{ "Zm9vZm9", 0, "byte 6: non-zero trailing bits" },
};

/* The RFC vectors both ways, and decoded again without their padding. */
static void test_rfc_vectors(void)
{
	struct buf out;
	struct rd_err err;
	char name[96];
	size_t i, n;

	buf_init(&out);
	for (i = 0; i < N(rfc); i++) {
		n = strlen(rfc[i].plain);
		buf_reset(&out);
		b64_encode(&out, rfc[i].plain, n);
		snprintf(name, sizeof(name), "encode \"%s\"", rfc[i].plain);
		T_EQ_STR(out.data, rfc[i].enc, name);

		buf_reset(&out);
		snprintf(name, sizeof(name), "decode \"%s\"", rfc[i].enc);
		T_EQ_INT(b64_decode(&out, rfc[i].enc, strlen(rfc[i].enc), &err),
			 0, name);
		T_OK(out.len == n && memcmp(out.data, rfc[i].plain, n) == 0, name);

		/* The same without its padding. */
		n = strlen(rfc[i].enc);
		while (n && rfc[i].enc[n - 1] == '=')
			n--;
		buf_reset(&out);
		snprintf(name, sizeof(name), "decode unpadded \"%.*s\"", (int)n,
			 rfc[i].enc);
		T_EQ_INT(b64_decode(&out, rfc[i].enc, n, &err), 0, name);
		T_EQ_STR(out.data, rfc[i].plain, name);
	}
	buf_release(&out);
}

/* Both ends of the alphabet, appending to what a buffer holds, and empty
 * input. */
static void test_alphabet_append_empty(void)
{
	struct buf out;
	struct rd_err err;

	buf_init(&out);
	/* Both ends of the alphabet. */
	b64_encode(&out, "\xfb\xff\xbf\x00\x10\x83", 6);
	T_EQ_STR(out.data, "+/+/ABCD", "encode uses + and /");
	buf_reset(&out);
	T_OK(b64_decode(&out, "+/+/ABCD", 8, &err) == 0 && out.len == 6 &&
	     memcmp(out.data, "\xfb\xff\xbf\x00\x10\x83", 6) == 0,
	     "decode + and /");

	/* Appending keeps what the buffers already hold. */
	buf_reset(&out);
	buf_adds(&out, "x=");
	b64_encode(&out, "hi", 2);
	T_EQ_STR(out.data, "x=aGk=", "encode appends");
	buf_reset(&out);
	buf_adds(&out, "keep:");
	T_OK(b64_decode(&out, "aGk=", 4, &err) == 0, "decode appends");
	T_EQ_STR(out.data, "keep:hi", "decode appends after old content");

	/* Empty input in both directions, NULL allowed. */
	buf_release(&out);
	b64_encode(&out, NULL, 0);
	T_OK(out.data && out.len == 0 && out.data[0] == '\0',
	     "encode of nothing is an empty string");
	buf_release(&out);
	T_OK(b64_decode(&out, NULL, 0, &err) == 0 && out.len == 0,
	     "decode of nothing");
	buf_release(&out);
}

/* decode(encode(x)) == x for every length 0..300 and every byte value. */
static void test_round_trips(void)
{
	struct buf out, enc;
	struct rd_err err;
	unsigned char bin[300];
	unsigned long r = 1;
	size_t i, n;
	int bad;

	buf_init(&out);
	buf_init(&enc);
	/* Every length 0..300 of mixed bytes: decode(encode(x)) == x. */
	bad = 0;
	for (n = 0; n <= sizeof(bin); n++) {
		for (i = 0; i < n; i++) {
			r = r * 1103515245 + 12345;
			bin[i] = (unsigned char)(r >> 16);
		}
		buf_reset(&enc);
		b64_encode(&enc, bin, n);
		buf_reset(&out);
		if (enc.len != (n + 2) / 3 * 4 ||
		    b64_decode(&out, enc.data, enc.len, &err) != 0 ||
		    out.len != n || (n && memcmp(out.data, bin, n) != 0))
			bad++;
	}
	T_EQ_INT(bad, 0, "round trip of lengths 0 to 300");
	for (i = 0; i < 256; i++)
		bin[i] = (unsigned char)i;
	buf_reset(&enc);
	b64_encode(&enc, bin, 256);
	buf_reset(&out);
	T_OK(b64_decode(&out, enc.data, enc.len, &err) == 0 && out.len == 256 &&
	     memcmp(out.data, bin, 256) == 0, "round trip of all 256 byte values");
	buf_release(&out);
	buf_release(&enc);
}

/* Bad input: the message, and the buffer as it was. */
static void test_bad_input(void)
{
	struct buf out;
	struct rd_err err;
	char name[96];
	size_t i, n;

	buf_init(&out);
	for (i = 0; i < N(bads); i++) {
		n = bads[i].len ? bads[i].len : strlen(bads[i].in);
		buf_reset(&out);
		buf_adds(&out, "keep");
		memset(&err, 0, sizeof(err));
		snprintf(name, sizeof(name), "rejects bad[%zu]: %s", i, bads[i].msg);
		T_EQ_INT(b64_decode(&out, bads[i].in, n, &err), RD_E_INVAL, name);
		T_EQ_STR(err.msg, bads[i].msg, name);
		T_OK(out.len == 4 && strcmp(out.data, "keep") == 0, name);
	}
	buf_reset(&out);
	T_EQ_INT(b64_decode(&out, "Zm9v*", 5, NULL), RD_E_INVAL,
		 "error without err");
	T_EQ_INT(out.len, 0, "nothing left behind");
	buf_release(&out);
}

int main(void)
{
	test_rfc_vectors();
	test_alphabet_append_empty();
	test_round_trips();
	test_bad_input();
	return t_done();
}
