/*
 * test_idx.c - the segment side index (lib/idx): entries written one by
 * one and in batches read back the same, the on-disk layout that
 * redrive-spool(5) documents, a damaged entry detected and costing only
 * itself, a partial trailing entry ignored, and the header checked.
 */
#include "idx.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "t.h"

/* Entries as writers make them, and the edges of each field. */
static const struct idx_entry ecases[] = {
	{ 0, 60, 1, "01JDZ00000000000000000000A" },
	{ 60, 65536, 100, "01JDZ00000000000000000000B" },
	{ 65596, 1, 0, "" },                       /* a member with no id */
	{ 0xfffffffful, 0xffffffffu, 0xffffffffu, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ" },
	{ 0x100000000ull, 48, 7, "01JDZ00000000000000000000C" }, /* past 4 GiB */
	{ 0xfedcba9876543210ull, 12345, 678, "01JDZ00000000000000000000D" },
};
#define NE (sizeof(ecases) / sizeof(ecases[0]))

static int same(const struct idx_entry *a, const struct idx_entry *b)
{
	return a->off == b->off && a->len == b->len && a->count == b->count &&
	       strcmp(a->first_id, b->first_id) == 0;
}

/* A new index file at path holding the header only. */
static int fresh(const char *path)
{
	struct rd_err err;
	int fd;

	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && idx_create(fd, &err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ecases written: the first half one by one, the rest in one batch. */
static int fill(int fd, struct rd_err *err)
{
	size_t half = NE / 2;

	for (size_t i = 0; i < half; i++)
		if (idx_write(fd, i, &ecases[i], err) < 0)
			return -1;
	return idx_write_n(fd, half, ecases + half, NE - half, err);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void test_round_trip(const char *path)
{
	struct idx_entry e, *all = NULL;
	struct rd_err err;
	uint64_t n = 0;
	int fd = fresh(path), ok = 1;

	T_OK(fd >= 0, "create an index");
	T_EQ_INT(idx_count(fd, &n, &err), 0, "count a new index");
	T_EQ_INT(n, 0, "a new index has no entries");
	T_EQ_INT(idx_load(fd, &all, &n, &err), 0, "load a new index");
	T_OK(all == NULL && n == 0, "nothing loaded");
	T_EQ_INT(fill(fd, &err), 0, "write entries, singly and in a batch");
	T_EQ_INT(idx_count(fd, &n, &err), 0, "count");
	T_EQ_INT(n, NE, "every entry counted");
	for (size_t i = 0; i < NE; i++) {
		char name[64];

		snprintf(name, sizeof(name), "entry %zu reads back the same", i);
		memset(&e, 0x55, sizeof(e));
		T_OK(idx_read(fd, i, &e, &err) == 0 && same(&e, &ecases[i]), name);
	}
	T_EQ_INT(idx_load(fd, &all, &n, &err), 0, "load");
	T_EQ_INT(n, NE, "every entry loaded");
	for (size_t i = 0; all && i < n && i < NE; i++)
		ok &= same(&all[i], &ecases[i]);
	T_OK(all && ok, "loaded in file order, the same");
	free(all);
	T_EQ_INT(idx_read(fd, NE, &e, &err), RD_E_CORRUPT,
		 "an entry past the end is not there");
	T_EQ_INT(idx_truncate(fd, 2, &err), 0, "truncate to two entries");
	T_OK(idx_count(fd, &n, &err) == 0 && n == 2, "two left");
	T_EQ_INT(idx_write_n(fd, 2, ecases, 0, &err), 0, "a batch of none");
	T_OK(idx_count(fd, &n, &err) == 0 && n == 2, "writes nothing");
	close(fd);
}

/* The bytes on disk, field by field, as redrive-spool(5) lays them out. */
static void test_layout(const char *path)
{
	unsigned char h[IDX_HEADER_SIZE], b[IDX_ENTRY_SIZE];
	const struct idx_entry *e = &ecases[5];
	struct rd_err err;
	int fd = fresh(path);

	T_OK(fd >= 0 && idx_write(fd, 0, e, &err) == 0, "one entry");
	T_OK(pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
	     memcmp(h, "redrive-idx v1\n\0", IDX_HEADER_SIZE) == 0,
	     "the header is \"redrive-idx v1\\n\" and a NUL");
	T_OK(pread(fd, b, sizeof(b), IDX_HEADER_SIZE) == (ssize_t)sizeof(b),
	     "the entry follows it");
	T_OK(le32(b) == (uint32_t)e->off && le32(b + 4) == (uint32_t)(e->off >> 32),
	     "offset, little-endian u64 at 0");
	T_EQ_INT(le32(b + 8), e->len, "length, u32 at 8");
	T_EQ_INT(le32(b + 12), e->count, "records, u32 at 12");
	T_OK(memcmp(b + 16, e->first_id, REC_ID_LEN) == 0, "first id, 26 bytes at 16");
	T_OK(b[42] == 0 && b[43] == 0, "two zero bytes at 42");
	T_EQ_INT(le32(b + 44), (uint32_t)crc32(0L, b, 44), "CRC-32 of bytes 0..43 at 44");
	close(fd);
}

/* One byte of entry 2 damaged at each of these places in it. */
static const struct dcase {
	const char *what;
	size_t at;
} dcases[] = {
	{ "offset", 0 },
	{ "offset, high word", 7 },
	{ "length", 9 },
	{ "records", 12 },
	{ "first id", 16 },
	{ "first id, last byte", 41 },
	{ "padding", 42 },
	{ "CRC", 44 },
	{ "CRC, last byte", 47 },
};

static void test_damage(const char *path)
{
	for (size_t c = 0; c < sizeof(dcases) / sizeof(dcases[0]); c++) {
		const size_t k = 2;
		const off_t at = (off_t)(IDX_HEADER_SIZE + k * IDX_ENTRY_SIZE +
					 dcases[c].at);
		struct idx_entry e, *all = NULL;
		struct rd_err err;
		unsigned char byte;
		uint64_t n = 0;
		char name[160];
		int fd = fresh(path), ok = 1;

		if (fd < 0 || fill(fd, &err) < 0 || pread(fd, &byte, 1, at) != 1) {
			T_OK(0, "set up a damaged index");
			continue;
		}
		byte ^= 0x10;
		if (pwrite(fd, &byte, 1, at) != 1)
			T_OK(0, "damage a byte");
		snprintf(name, sizeof(name), "%s damaged: detected", dcases[c].what);
		T_EQ_INT(idx_read(fd, k, &e, &err), RD_E_CORRUPT, name);
		snprintf(name, sizeof(name), "%s damaged: the message names the entry",
			 dcases[c].what);
		T_OK(strstr(err.msg, "entry 2") != NULL, name);
		snprintf(name, sizeof(name), "%s damaged: its neighbours still read",
			 dcases[c].what);
		T_OK(idx_read(fd, k - 1, &e, &err) == 0 && same(&e, &ecases[k - 1]) &&
		     idx_read(fd, k + 1, &e, &err) == 0 && same(&e, &ecases[k + 1]),
		     name);
		snprintf(name, sizeof(name), "%s damaged: load skips only it",
			 dcases[c].what);
		if (idx_load(fd, &all, &n, &err) < 0 || n != NE - 1)
			ok = 0;
		for (size_t i = 0, j = 0; ok && i < NE; i++)
			if (i != k)
				ok &= same(&all[j++], &ecases[i]);
		T_OK(ok, name);
		free(all);
		close(fd);
	}
}

static void test_partial(const char *path)
{
	struct idx_entry e;
	struct rd_err err;
	uint64_t n = 0;
	int fd = fresh(path);

	T_OK(fd >= 0 && fill(fd, &err) == 0, "a full index");
	T_OK(ftruncate(fd, (off_t)(IDX_HEADER_SIZE + (NE - 1) * IDX_ENTRY_SIZE + 20)) == 0,
	     "its last entry torn");
	T_OK(idx_count(fd, &n, &err) == 0 && n == NE - 1, "a partial entry is not counted");
	T_EQ_INT(idx_read(fd, NE - 1, &e, &err), RD_E_CORRUPT, "nor read");
	T_EQ_INT(idx_write(fd, NE - 1, &ecases[0], &err), 0, "the next entry overwrites it");
	T_OK(idx_read(fd, NE - 1, &e, &err) == 0 && same(&e, &ecases[0]), "and reads back");
	T_OK(idx_count(fd, &n, &err) == 0 && n == NE, "counted");
	close(fd);
}

/* What the first bytes of the file say. */
static const struct hcase {
	const char *what;
	const char *bytes;
	size_t len;
	int ret;
	const char *msg;
} hcases[] = {
	{ "an empty file", "", 0, 0, NULL },
	{ "the header alone", "redrive-idx v1\n", 16, 0, NULL },
	{ "a header cut short", "redrive-i", 9, RD_E_CORRUPT, "truncated" },
	{ "another version", "redrive-idx v2\n", 16, RD_E_CORRUPT, "not a redrive index" },
	{ "no NUL at its end", "redrive-idx v1\n\n", 16, RD_E_CORRUPT, "not a redrive index" },
	{ "something else", "{\"v\":1,\"kind\":\"", 16, RD_E_CORRUPT, "not a redrive index" },
};

static void test_header(const char *path)
{
	for (size_t c = 0; c < sizeof(hcases) / sizeof(hcases[0]); c++) {
		const struct hcase *h = &hcases[c];
		struct idx_entry *all = NULL;
		struct rd_err err;
		uint64_t n = 99;
		char name[160];
		int fd;

		unlink(path);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, h->bytes, h->len) != (ssize_t)h->len) {
			T_OK(0, "write a header");
			continue;
		}
		err.msg[0] = '\0';
		snprintf(name, sizeof(name), "%s: count", h->what);
		T_EQ_INT(idx_count(fd, &n, &err), h->ret, name);
		snprintf(name, sizeof(name), "%s: %s", h->what,
			 h->msg ? "says why" : "no entries");
		T_OK(h->msg ? strstr(err.msg, h->msg) != NULL : n == 0, name);
		snprintf(name, sizeof(name), "%s: load", h->what);
		T_EQ_INT(idx_load(fd, &all, &n, &err), h->ret, name);
		free(all);
		close(fd);
	}
}

int main(void)
{
	char dir[] = "/tmp/rd-test-idx.XXXXXX", path[64];

	if (!mkdtemp(dir))
		return 2;
	snprintf(path, sizeof(path), "%s/1.idx", dir);
	test_round_trip(path);
	test_layout(path);
	test_damage(path);
	test_partial(path);
	test_header(path);
	unlink(path);
	rmdir(dir);
	return t_done();
}
