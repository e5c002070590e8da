/*
 * b64.c - base64 encoding and strict decoding (RFC 4648 section 4).
 *
 * Both directions size the output once with buf_reserve and then write
 * through a plain pointer, four characters or three bytes per step.
 * Decoding validates while it goes: the lookup table marks every byte
 * outside the alphabet, and a whole quad is tested with one OR.  A failed
 * decode leaves nothing behind in the caller's buffer.
 */
#include "b64.h"

#include <stdint.h>
#include <string.h>

#include "banned.h"

#define BAD 0xff

static const char b64_abc[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Byte to 6-bit value; BAD for everything outside the alphabet ('=' too). */
static const unsigned char b64_val[256] = {
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,  62, BAD, BAD, BAD,  63,
	 52,  53,  54,  55,  56,  57,  58,  59,  60,  61, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
	 15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, BAD, BAD, BAD, BAD, BAD,
	BAD,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
	 41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
};

void b64_encode(struct buf *out, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i, full = n / 3;
	uint32_t v;
	char *o;

	o = buf_reserve(out, (n + 2) / 3 * 4);
	for (i = 0; i < full; i++, s += 3) {
		v = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2];
		o[0] = b64_abc[v >> 18];
		o[1] = b64_abc[(v >> 12) & 63];
		o[2] = b64_abc[(v >> 6) & 63];
		o[3] = b64_abc[v & 63];
		o += 4;
	}
	switch (n % 3) {
	case 1:
		v = (uint32_t)s[0] << 16;
		o[0] = b64_abc[v >> 18];
		o[1] = b64_abc[(v >> 12) & 63];
		o[2] = '=';
		o[3] = '=';
		o += 4;
		break;
	case 2:
		v = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8;
		o[0] = b64_abc[v >> 18];
		o[1] = b64_abc[(v >> 12) & 63];
		o[2] = b64_abc[(v >> 6) & 63];
		o[3] = '=';
		o += 4;
		break;
	}
	*o = '\0';
	out->len = (size_t)(o - out->data);
}

/* The message for the byte at s[i], which the table rejected. */
static int bad_char(const unsigned char *s, size_t i, struct rd_err *err)
{
	return rd_err_set(err, RD_E_INVAL, "byte %zu: %s", i,
			  s[i] == '=' ? "misplaced '=' padding" :
					"invalid base64 character");
}

/* The whole quads of s[0..data), decoded to *o, which moves on; *done is
 * where they end.  0, or RD_E_INVAL naming the first bad byte. */
static int decode_quads(const unsigned char *s, size_t data, unsigned char **o,
			size_t *done, struct rd_err *err)
{
	unsigned char *p = *o;
	unsigned a, b, c, d;
	size_t i, k;

	for (i = 0; i + 4 <= data; i += 4) {
		a = b64_val[s[i]];
		b = b64_val[s[i + 1]];
		c = b64_val[s[i + 2]];
		d = b64_val[s[i + 3]];
		if ((a | b | c | d) & 0x80) {
			for (k = i; b64_val[s[k]] != BAD; k++)
				;
			return bad_char(s, k, err);
		}
		p[0] = (unsigned char)(a << 2 | b >> 4);
		p[1] = (unsigned char)(b << 4 | c >> 2);
		p[2] = (unsigned char)(c << 6 | d);
		p += 3;
	}
	*o = p;
	*done = i;
	return 0;
}

/* The characters after the last quad, s[i..data), decoded to *o, which
 * moves on; *need is the '=' padding they want.  0, or RD_E_INVAL. */
static int decode_tail(const unsigned char *s, size_t i, size_t data,
		       unsigned char **o, size_t *need, struct rd_err *err)
{
	unsigned a, b, c;
	size_t k;

	for (k = i; k < data; k++)
		if (b64_val[s[k]] == BAD)
			return bad_char(s, k, err);
	/* Two tail characters make one byte and want "==", three make two
	 * and want "="; one cannot encode a whole byte. */
	switch (data - i) {
	case 0:
		*need = 0;
		return 0;
	case 1:
		return rd_err_set(err, RD_E_INVAL, "truncated base64");
	case 2:
		a = b64_val[s[i]];
		b = b64_val[s[i + 1]];
		if (b & 15)
			return rd_err_set(err, RD_E_INVAL,
					  "byte %zu: non-zero trailing bits", i + 1);
		*(*o)++ = (unsigned char)(a << 2 | b >> 4);
		*need = 2;
		return 0;
	default:
		a = b64_val[s[i]];
		b = b64_val[s[i + 1]];
		c = b64_val[s[i + 2]];
		if (c & 3)
			return rd_err_set(err, RD_E_INVAL,
					  "byte %zu: non-zero trailing bits", i + 2);
		*(*o)++ = (unsigned char)(a << 2 | b >> 4);
		*(*o)++ = (unsigned char)(b << 4 | c >> 2);
		*need = 1;
		return 0;
	}
}

/* pad '=' after data characters (n in all), where need were wanted. */
static int check_pad(size_t pad, size_t need, size_t data, size_t n,
		     struct rd_err *err)
{
	if (pad > need)
		return rd_err_set(err, RD_E_INVAL, "byte %zu: misplaced '=' padding",
				  data + need);
	if (pad && pad < need)
		return rd_err_set(err, RD_E_INVAL,
				  "byte %zu: incomplete '=' padding", n);
	return 0;
}

int b64_decode(struct buf *out, const char *str, size_t n, struct rd_err *err)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t orig = out->len, pad = 0, data, need = 0, i = 0;
	unsigned char *o;
	int rc;

	while (pad < n && s[n - 1 - pad] == '=')
		pad++;
	data = n - pad;
	o = (unsigned char *)buf_reserve(out, data / 4 * 3 + 2);
	if ((rc = decode_quads(s, data, &o, &i, err)) < 0 ||
	    (rc = decode_tail(s, i, data, &o, &need, err)) < 0 ||
	    (rc = check_pad(pad, need, data, n, err)) < 0)
		goto out;
	*o = '\0';
	out->len = (size_t)((char *)o - out->data);
out:
	if (rc) {
		out->len = orig;
		out->data[orig] = '\0';
	}
	return rc;
}
