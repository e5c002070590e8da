/*
 * rec_id.c - the record schema's ids and times: time-ordered ULIDs, their
 * packed form, and RFC 3339 timestamps.  See rec.h and redrive-spool(5).
 *
 * Split from rec.c, which keeps the record and event lines themselves.
 */
#include "clk.h"
#include "rec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "banned.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int rec_idgen_init(struct rec_idgen *g, struct rd_err *err)
{
	unsigned char *p = (unsigned char *)g->key;
	size_t got = 0;

	memset(g, 0, sizeof(*g));
	while (got < sizeof(g->key)) {
		ssize_t k = getrandom(p + got, sizeof(g->key) - got, 0);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return rd_err_sys(err, errno, "getrandom");
		}
		got += (size_t)k;
	}
	return 0;
}

/* A bijective 64-bit mixer (the splitmix64 finaliser). */
static uint64_t mix64(uint64_t z)
{
	z ^= z >> 30;
	z *= 0xbf58476d1ce4e5b9ULL;
	z ^= z >> 27;
	z *= 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rec_id_next(struct rec_idgen *g, int64_t now_ms, char out[REC_ID_LEN + 1])
{
	uint64_t ms = now_ms > 0 ? (uint64_t)now_ms : 0;
	unsigned char b[16];
	int i;

	if (ms <= g->last_ms) {
		/* Same or earlier millisecond: keep the time, bump the random
		 * part, so ids stay strictly increasing in this generator. */
		ms = g->last_ms;
		for (i = 9; i >= 0; i--)
			if (++g->rnd[i] != 0)
				break;
	} else {
		/* New millisecond: the random part is a bijection of
		 * key ^ ms, so two generators with different keys never
		 * start a millisecond at the same value.  The top bit stays
		 * clear so increments within a millisecond have room. */
		uint64_t a = mix64(g->key[0] ^ ms);
		uint64_t c = mix64(g->key[1] + a);

		for (i = 0; i < 8; i++)
			g->rnd[i] = (unsigned char)(a >> (56 - 8 * i));
		g->rnd[8] = (unsigned char)(c >> 56);
		g->rnd[9] = (unsigned char)(c >> 48);
		g->rnd[0] &= 0x7f;
		g->last_ms = ms;
	}
	ms &= 0xffffffffffffULL;
	for (i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	memcpy(b + 6, g->rnd, 10);
	/* 128 bits as 26 base32 digits: the first digit carries 3 bits. */
	{
		unsigned __int128 v = 0;

		for (i = 0; i < 16; i++)
			v = (v << 8) | b[i];
		for (i = REC_ID_LEN - 1; i >= 0; i--) {
			out[i] = crockford[(unsigned)(v & 31)];
			v >>= 5;
		}
	}
	out[REC_ID_LEN] = '\0';
}

/* The value of a Crockford digit, -1 for anything else.  A table: ids
 * are decoded for every line a reader folds. */
static int crockford_val(char c)
{
	static const signed char v[128] = {
		['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
		['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['A'] = 11, ['B'] = 12,
		['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16, ['G'] = 17,
		['H'] = 18, ['J'] = 19, ['K'] = 20, ['M'] = 21, ['N'] = 22,
		['P'] = 23, ['Q'] = 24, ['R'] = 25, ['S'] = 26, ['T'] = 27,
		['V'] = 28, ['W'] = 29, ['X'] = 30, ['Y'] = 31, ['Z'] = 32
	};
	unsigned char u = (unsigned char)c;

	/* stored off by one, so that 0 means "not a digit" */
	return u < 128 ? v[u] - 1 : -1;
}

int rec_id_valid(const char *s, size_t n)
{
	size_t i;

	if (n != REC_ID_LEN || crockford_val(s[0]) < 0 || crockford_val(s[0]) > 7)
		return 0;
	for (i = 1; i < n; i++)
		if (crockford_val(s[i]) < 0)
			return 0;
	return 1;
}

void rec_id_pack(const char *id, unsigned char out[REC_ID_BIN])
{
	/* 26 digits of 5 bits carry 130 bits; the top two are zero. */
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	for (int i = 0; i < REC_ID_LEN; i++) {
		acc = (acc << 5) | (unsigned)crockford_val(id[i]);
		bits += 5;
		if (i == 0)
			bits -= 2; /* drop the two padding bits */
		while (bits >= 8 && o < REC_ID_BIN) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
		acc &= (1u << bits) - 1;
	}
}

void rec_id_unpack(const unsigned char in[REC_ID_BIN], char out[REC_ID_LEN + 1])
{
	unsigned acc = 0, bits = 2; /* two zero padding bits lead */
	size_t o = 0;

	for (int i = 0; i < REC_ID_BIN; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = crockford[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	out[REC_ID_LEN] = '\0';
}

int64_t rec_id_ms(const char *id)
{
	uint64_t v = 0;
	int i;

	/* The first 10 digits hold 50 bits: 48 of time, 2 of padding. */
	for (i = 0; i < 10; i++)
		v = (v << 5) | (uint64_t)crockford_val(id[i]);
	return (int64_t)(v & 0xffffffffffffULL);
}

int64_t rec_now_ms(void)
{
	return clk_wall_ms();
}

static void time_fmt(int64_t ms, char out[REC_TIME_LEN + 1], int frac3)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)t * 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	/* The modulos only tell the compiler each field's width; gmtime_r
	 * already keeps them in range. */
	snprintf(out, REC_TIME_LEN + 1, "%04u-%02u-%02uT%02u:%02u:%02u",
		 (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
		 (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
		 (unsigned)tm.tm_sec % 100u);
	if (frac3)
		snprintf(out + 19, REC_TIME_LEN + 1 - 19, ".%03uZ",
			 (unsigned)frac % 1000u);
	else
		snprintf(out + 19, REC_TIME_LEN + 1 - 19, "Z");
}

void rec_time_fmt(int64_t ms, char out[REC_TIME_LEN + 1])
{
	time_fmt(ms, out, 1);
}

void rec_time_fmt_s(int64_t ms, char out[REC_TIME_LEN + 1])
{
	time_fmt(ms, out, 0);
}

static int digits(const char *s, size_t n, int *v)
{
	int x = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

int rec_time_parse(const char *s, size_t n, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, oh = 0, om = 0, sign = 0;
	size_t i = 19;
	struct tm tm;
	time_t t;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (n < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
	    s[16] != ':')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	if (s[i] == '.') {
		int scale = 100, k = 0;

		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, k++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
		if (k == 0)
			return -1;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') &&
		   s[i + 3] == ':') {
		sign = s[i] == '+' ? 1 : -1;
		if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		i += 6;
	} else {
		return -1;
	}
	if (i != n)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec > 59 ? 59 : sec;
	t = timegm(&tm);
	t -= sign * (oh * 3600 + om * 60);
	/* in UTC, still a time of years 0000 to 9999, which the stored form
	 * writes: an offset must not carry it past (9999-12-31T23:59-23:59
	 * was stored as 0000-01-01) */
	if ((int64_t)t < -62167219200LL || (int64_t)t > 253402300799LL)
		return -1;
	*ms = (int64_t)t * 1000 + frac;
	return 0;
}
