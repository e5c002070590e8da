/*
 * idx.c - fixed-size, self-checking index entries.  All I/O is pread and
 * pwrite at computed offsets, so concurrent readers never need the lock.
 */
#include "idx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "xalloc.h"
#include "sysio.h"
#include "banned.h"

static const char header[IDX_HEADER_SIZE] = "redrive-idx v1\n";

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void encode(const struct idx_entry *e, unsigned char b[IDX_ENTRY_SIZE])
{
	memset(b, 0, IDX_ENTRY_SIZE);
	put32(b, (uint32_t)e->off);
	put32(b + 4, (uint32_t)(e->off >> 32));
	put32(b + 8, e->len);
	put32(b + 12, e->count);
	memcpy(b + 16, e->first_id, REC_ID_LEN);
	put32(b + 44, (uint32_t)crc32(0L, b, 44));
}

static int decode(const unsigned char b[IDX_ENTRY_SIZE], struct idx_entry *e)
{
	if ((uint32_t)crc32(0L, b, 44) != get32(b + 44))
		return -1;
	e->off = (uint64_t)get32(b) | ((uint64_t)get32(b + 4) << 32);
	e->len = get32(b + 8);
	e->count = get32(b + 12);
	memcpy(e->first_id, b + 16, REC_ID_LEN);
	e->first_id[REC_ID_LEN] = '\0';
	return 0;
}

static int pread_full(int fd, void *p, size_t n, off_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, (char *)p + got, n - got, off + (off_t)got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -1 : 0;
		got += (size_t)k;
	}
	return 1;
}

int idx_create(int fd, struct rd_err *err)
{
	ssize_t k = sysio_pwrite(fd, header, sizeof(header), 0);

	if (k != (ssize_t)sizeof(header))
		return rd_err_sys(err, k < 0 ? errno : ENOSPC, "write index header");
	return 0;
}

int idx_count(int fd, uint64_t *n, struct rd_err *err)
{
	struct stat st;
	char h[IDX_HEADER_SIZE];
	int r;

	if (fstat(fd, &st) < 0)
		return rd_err_sys(err, errno, "stat index");
	if (st.st_size < IDX_HEADER_SIZE) {
		*n = 0;
		return st.st_size == 0 ? 0 :
			rd_err_set(err, RD_E_CORRUPT, "index header is truncated");
	}
	r = pread_full(fd, h, sizeof(h), 0);
	if (r < 0)
		return rd_err_sys(err, errno, "read index");
	if (r == 0 || memcmp(h, header, sizeof(h)) != 0)
		return rd_err_set(err, RD_E_CORRUPT, "not a redrive index");
	*n = (uint64_t)(st.st_size - IDX_HEADER_SIZE) / IDX_ENTRY_SIZE;
	return 0;
}

int idx_read(int fd, uint64_t i, struct idx_entry *e, struct rd_err *err)
{
	unsigned char b[IDX_ENTRY_SIZE];
	int r = pread_full(fd, b, sizeof(b),
			   (off_t)(IDX_HEADER_SIZE + i * IDX_ENTRY_SIZE));

	if (r < 0)
		return rd_err_sys(err, errno, "read index");
	if (r == 0 || decode(b, e) < 0)
		return rd_err_set(err, RD_E_CORRUPT,
				  "index entry %llu is damaged",
				  (unsigned long long)i);
	return 0;
}

int idx_write(int fd, uint64_t n, const struct idx_entry *e,
	      struct rd_err *err)
{
	unsigned char b[IDX_ENTRY_SIZE];
	ssize_t k;

	encode(e, b);
	k = sysio_pwrite(fd, b, sizeof(b), (off_t)(IDX_HEADER_SIZE + n * IDX_ENTRY_SIZE));
	if (k != (ssize_t)sizeof(b)) {
		int e2 = k < 0 ? errno : ENOSPC;

		/* Never leave a partial entry behind. */
		if (ftruncate(fd, (off_t)(IDX_HEADER_SIZE + n * IDX_ENTRY_SIZE)) < 0)
			return rd_err_sys(err, e2, "write index entry");
		return rd_err_sys(err, e2, "write index entry");
	}
	return 0;
}

int idx_write_n(int fd, uint64_t n, const struct idx_entry *e, size_t k,
		struct rd_err *err)
{
	unsigned char one[IDX_ENTRY_SIZE], *b;
	size_t len = k * IDX_ENTRY_SIZE;
	ssize_t w;
	int ret = 0;

	if (k == 0)
		return 0;
	memset(one, 0, sizeof(one));
	b = k > 1 ? xmalloc(len) : one;
	for (size_t i = 0; i < k; i++)
		encode(&e[i], b + i * IDX_ENTRY_SIZE);
	w = sysio_pwrite(fd, b, len, (off_t)(IDX_HEADER_SIZE + n * IDX_ENTRY_SIZE));
	if (w != (ssize_t)len) {
		int e2 = w < 0 ? errno : ENOSPC;

		/* Never leave some of them, or a partial one, behind. */
		if (ftruncate(fd, (off_t)(IDX_HEADER_SIZE + n * IDX_ENTRY_SIZE)) < 0) {
			/* a partial entry fails its CRC and is dropped */
		}
		ret = rd_err_sys(err, e2, "write index entry");
	}
	if (b != one)
		free(b);
	return ret;
}

int idx_truncate(int fd, uint64_t n, struct rd_err *err)
{
	if (ftruncate(fd, (off_t)(IDX_HEADER_SIZE + n * IDX_ENTRY_SIZE)) < 0)
		return rd_err_sys(err, errno, "truncate index");
	return 0;
}

int idx_load(int fd, struct idx_entry **out, uint64_t *n, struct rd_err *err)
{
	uint64_t cnt, i;
	unsigned char *raw = NULL;
	struct idx_entry *v = NULL;
	int r, ret = 0;

	*out = NULL;
	*n = 0;
	if ((ret = idx_count(fd, &cnt, err)) < 0 || cnt == 0)
		return ret;
	raw = xmalloc(cnt * IDX_ENTRY_SIZE);
	r = pread_full(fd, raw, cnt * IDX_ENTRY_SIZE, IDX_HEADER_SIZE);
	if (r < 0) {
		ret = rd_err_sys(err, errno, "read index");
		goto out;
	}
	if (r == 0)	/* shrank under us: use what the next call sees */
		goto out;
	v = xcalloc(cnt, sizeof(*v));
	for (i = 0; i < cnt; i++)
		if (decode(raw + i * IDX_ENTRY_SIZE, &v[*n]) == 0)
			(*n)++;
	*out = *n ? v : NULL;
	if (!*n)
		free(v);
out:
	free(raw);
	return ret;
}
