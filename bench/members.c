/*
 * bench/members.c - compress standard input into one gzip member per
 * 1 MiB batch of whole lines, the way the spool writes segments, with
 * either zlib or libdeflate at level 1.  bench/compress.sh times the two
 * with hyperfine on the same input to decide which library the spool
 * should use.  Not part of redrive; built only by `make bench`.
 *
 * Usage: members zlib|libdeflate < NDJSON > MEMBERS.gz
 */
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define BATCH (1u << 20)

static int put(const void *p, size_t n)
{
	return fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	int use_zlib = argc == 2 && strcmp(argv[1], "zlib") == 0;
	size_t cap = 2 * BATCH, len = 0, ocap = 2 * BATCH + 4096;
	char *in = malloc(cap), *out = malloc(ocap);
	struct libdeflate_compressor *ld = libdeflate_alloc_compressor(1);
	z_stream zs;
	ssize_t k;
	int eof = 0;

	if (argc != 2 || (!use_zlib && strcmp(argv[1], "libdeflate") != 0)) {
		fprintf(stderr, "usage: members zlib|libdeflate < in > out\n");
		return 2;
	}
	memset(&zs, 0, sizeof(zs));
	if (!in || !out || !ld ||
	    deflateInit2(&zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 2;
	while (!eof || len > 0) {
		size_t cut;
		char *nl;

		while (!eof && len < BATCH) {
			k = read(0, in + len, cap - len);
			if (k < 0)
				return 2;
			if (k == 0)
				eof = 1;
			len += (size_t)k;
		}
		if (len == 0)
			break;
		/* A batch ends at the last newline within BATCH bytes. */
		cut = len < BATCH ? len : BATCH;
		nl = memrchr(in, '\n', cut);
		if (nl && !(eof && len <= BATCH))
			cut = (size_t)(nl - in) + 1;
		if (use_zlib) {
			deflateReset(&zs);
			zs.next_in = (Bytef *)in;
			zs.avail_in = (uInt)cut;
			zs.next_out = (Bytef *)out;
			zs.avail_out = (uInt)ocap;
			if (deflate(&zs, Z_FINISH) != Z_STREAM_END ||
			    put(out, ocap - zs.avail_out) < 0)
				return 2;
		} else {
			size_t n = libdeflate_gzip_compress(ld, in, cut, out, ocap);

			if (n == 0 || put(out, n) < 0)
				return 2;
		}
		memmove(in, in + cut, len - cut);
		len -= cut;
	}
	deflateEnd(&zs);
	libdeflate_free_compressor(ld);
	free(in);
	free(out);
	return fflush(stdout) == 0 ? 0 : 2;
}
