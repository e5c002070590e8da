/*
 * bench/members.c - compress standard input into one gzip member per
 * batch of whole lines (1 MiB by default; the spool cuts members at 64
 * KiB), the way the spool writes segments, with either zlib or libdeflate
 * at level 1.  bench/compress.sh times them with hyperfine on the same
 * input: which library the spool should use, and what smaller members
 * cost.  Not part of redrive; built only by `make bench`.
 *
 * Usage: members zlib|libdeflate [MEMBER_BYTES] < NDJSON > MEMBERS.gz
 */
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define BATCH_MAX (1u << 20)

static int put(const void *p, size_t n)
{
	return fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	int use_zlib = argc >= 2 && strcmp(argv[1], "zlib") == 0;
	size_t cap = 2 * BATCH_MAX, len = 0, ocap = 2 * BATCH_MAX + 4096;
	size_t batch = argc == 3 ? strtoul(argv[2], NULL, 10) : BATCH_MAX;
	char *in = malloc(cap), *out = malloc(ocap);
	struct libdeflate_compressor *ld = libdeflate_alloc_compressor(1);
	z_stream zs;
	ssize_t k;
	int eof = 0;

	if (argc < 2 || argc > 3 || batch < 1024 || batch > BATCH_MAX ||
	    (!use_zlib && strcmp(argv[1], "libdeflate") != 0)) {
		fprintf(stderr, "usage: members zlib|libdeflate [MEMBER_BYTES] < in > out\n");
		return 2;
	}
	memset(&zs, 0, sizeof(zs));
	if (!in || !out || !ld ||
	    deflateInit2(&zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 2;
	while (!eof || len > 0) {
		size_t cut;
		char *nl;

		while (!eof && len < batch) {
			k = read(0, in + len, cap - len);
			if (k < 0)
				return 2;
			if (k == 0)
				eof = 1;
			len += (size_t)k;
		}
		if (len == 0)
			break;
		/* A batch ends at the last newline within batch bytes. */
		cut = len < batch ? len : batch;
		nl = memrchr(in, '\n', cut);
		if (nl && !(eof && len <= batch))
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
