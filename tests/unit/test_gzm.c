/*
 * test_gzm.c - gzip members: round trips, concatenation readable by zlib's
 * own gzip reader, and how each kind of damage is classified.
 */
#include "gzm.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "t.h"

static char tmpl[] = "/tmp/test_gzm.XXXXXX";

/* Write n bytes to a fresh temp file; returns an fd open for reading. */
static int file_of(const void *p, size_t n)
{
	int fd;

	fd = open(tmpl, O_RDWR | O_TRUNC);
	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n))
		abort();
	return fd;
}

static void member(struct gzm_writer *w, struct buf *out, const char *s)
{
	if (gzm_build(w, out, s, strlen(s), NULL) < 0)
		abort();
}

static void test_round_trip(void)
{
	struct gzm_writer w;
	struct gzm_reader r;
	struct buf seg, out;
	const char *lines[] = { "{\"a\":1}\n", "", "{\"b\":2}\n{\"c\":3}\n" };
	off_t off = 0, len = 0;
	int fd;

	gzm_writer_init(&w, 1);
	gzm_reader_init(&r);
	buf_init(&seg);
	buf_init(&out);
	for (size_t i = 0; i < 3; i++)
		member(&w, &seg, lines[i]);
	fd = file_of(seg.data, seg.len);
	for (size_t i = 0; i < 3; i++) {
		buf_reset(&out);
		T_EQ_INT(gzm_read(&r, fd, off, (off_t)seg.len, &out, 0, &len, NULL),
			 GZM_OK, "each member reads whole");
		T_EQ_STR(out.data ? out.data : "", lines[i], "content round-trips");
		off += len;
	}
	T_EQ_INT(off, (off_t)seg.len, "member lengths add up to the file");
	T_EQ_INT(gzm_read(&r, fd, off, (off_t)seg.len, &out, 0, &len, NULL),
		 GZM_END, "end after the last member");
	close(fd);

	/* zlib's own gzip reader sees one stream: what zcat does. */
	{
		gzFile gz = gzopen(tmpl, "rb");
		char got[128];
		int k = gz ? gzread(gz, got, sizeof(got) - 1) : -1;

		T_OK(k >= 0, "gzread opens the segment");
		got[k < 0 ? 0 : k] = '\0';
		T_EQ_STR(got, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n",
			 "gzip tools read the concatenation");
		if (gz)
			gzclose(gz);
	}
	buf_release(&seg);
	buf_release(&out);
	gzm_writer_release(&w);
	gzm_reader_release(&r);
}

/* A member larger than the read-ahead window and the output step. */
static void test_large(void)
{
	struct gzm_writer w;
	struct gzm_reader r;
	struct buf seg, out;
	size_t n = 3 * 1024 * 1024;
	char *big = malloc(n);
	unsigned x = 12345;
	off_t len = 0;
	int fd;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (char)('a' + (x >> 16) % 26);
	}
	gzm_writer_init(&w, 6);
	gzm_reader_init(&r);
	buf_init(&seg);
	buf_init(&out);
	if (gzm_build(&w, &seg, big, n, NULL) < 0)
		abort();
	T_OK(seg.len > 128 * 1024, "member spans several read windows");
	fd = file_of(seg.data, seg.len);
	T_EQ_INT(gzm_read(&r, fd, 0, (off_t)seg.len, &out, 0, &len, NULL),
		 GZM_OK, "large member reads");
	T_OK(out.len == n && memcmp(out.data, big, n) == 0, "large content intact");
	buf_reset(&out);
	T_EQ_INT(gzm_read(&r, fd, 0, (off_t)seg.len, &out, n - 1, &len, NULL),
		 GZM_TOO_BIG, "max_out bounds inflation");
	T_EQ_INT(out.len, 0, "out restored after too big");
	close(fd);
	free(big);
	buf_release(&seg);
	buf_release(&out);
	gzm_writer_release(&w);
	gzm_reader_release(&r);
}

struct damage_case {
	const char *name;
	int how;      /* 0 truncate, 1 flip a byte, 2 garbage at the start */
	size_t where; /* offset into the second member (how 0: bytes kept) */
	int want;
};

static void test_damage(void)
{
	static const struct damage_case cases[] = {
		{ "torn after the header", 0, 12, GZM_TORN },
		{ "torn in the trailer", 0, 0 /* len - 3 */, GZM_TORN },
		{ "one byte of magic", 0, 1, GZM_TORN },
		{ "bit flip in the deflate data", 1, 14, GZM_CORRUPT },
		{ "bit flip in the CRC", 1, 0 /* len - 6 */, GZM_CORRUPT },
		{ "bit flip in the magic", 1, 0, GZM_GARBAGE },
		{ "garbage where a member should be", 2, 0, GZM_GARBAGE },
	};
	struct gzm_writer w;
	struct gzm_reader r;
	struct buf seg, out;
	char text[600];

	for (size_t i = 0; i < sizeof(text) - 1; i++)
		text[i] = (char)('a' + (i * 7) % 26);
	text[sizeof(text) - 1] = '\0';
	gzm_writer_init(&w, 1);
	gzm_reader_init(&r);
	buf_init(&out);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct damage_case *k = &cases[c];
		size_t first, second, size;
		struct rd_err err;
		off_t len = 0, next;
		int fd, st;

		buf_init(&seg);
		member(&w, &seg, "first\n");
		first = seg.len;
		member(&w, &seg, text);
		second = seg.len - first;
		member(&w, &seg, "third\n");
		size = seg.len;
		if (k->how == 0) {
			size_t keep = k->where ? k->where : second - 3;

			/* Cut the second member: it is the tail. */
			size = first + keep;
		} else if (k->how == 1) {
			size_t at = k->where ? k->where :
				    (strstr(k->name, "CRC") ? second - 6 : 0);

			seg.data[first + at] ^= 0x10;
		} else {
			memset(seg.data + first, 'x', 4);
		}
		fd = file_of(seg.data, size);
		buf_reset(&out);
		T_EQ_INT(gzm_read(&r, fd, 0, (off_t)size, &out, 0, &len, NULL),
			 GZM_OK, k->name);
		buf_reset(&out);
		err.msg[0] = '\0';
		st = gzm_read(&r, fd, (off_t)first, (off_t)size, &out, 0, &len, &err);
		T_EQ_INT(st, k->want, k->name);
		T_OK(out.len == 0, "nothing of a damaged member is served");
		T_OK(err.msg[0] != '\0', "damage comes with a reason");
		next = gzm_scan(&r, fd, (off_t)first + 1, (off_t)size, &err);
		if (k->how == 0)
			T_EQ_INT(next, (off_t)size, "scan past a torn tail finds the end");
		else
			T_EQ_INT(next, (off_t)(first + second),
				 "scan resumes at the next whole member");
		close(fd);
		buf_release(&seg);
	}
	gzm_writer_release(&w);
	gzm_reader_release(&r);
	buf_release(&out);
}

/* A file shorter than the caller believes (truncated under us). */
static void test_short_file(void)
{
	struct gzm_reader r;
	struct buf out;
	off_t len;
	int fd = file_of("", 0);

	gzm_reader_init(&r);
	buf_init(&out);
	T_EQ_INT(gzm_read(&r, fd, 0, 100, &out, 0, &len, NULL), GZM_TORN,
		 "file shorter than its size reads as torn");
	T_EQ_INT(gzm_scan(&r, fd, 0, 100, NULL), 100, "scan of nothing is the end");
	close(fd);
	buf_release(&out);
	gzm_reader_release(&r);
}

int main(void)
{
	int fd = mkstemp(tmpl);

	if (fd < 0)
		return 2;
	close(fd);
	test_round_trip();
	test_large();
	test_damage();
	test_short_file();
	unlink(tmpl);
	return t_done();
}
