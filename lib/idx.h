/*
 * idx.h - the side index of one segment, in the spirit of Kafka's .index:
 * one fixed-size entry per gzip member, giving its offset, length, record
 * count and first id.
 *
 * The index is a hint, never the source of truth: the segment's members
 * are.  Each entry carries its own CRC32, so a torn entry is detected and
 * dropped, and a lost entry is rebuilt from the segment by the next writer.
 * Because entries have a fixed size, the last one is found in O(1), which
 * makes opening a segment for append independent of its size.
 *
 * On disk: a 16-byte header "redrive-idx v1\n\0", then entries of
 * IDX_ENTRY_SIZE bytes, little-endian:
 *   u64 offset | u32 length | u32 records | 26 bytes first id | 2 zero
 *   bytes | u32 CRC32 of the preceding 44 bytes
 */
#ifndef IDX_H
#define IDX_H

#include <stdint.h>
#include <sys/types.h>

#include "rd.h"
#include "rec.h"

#define IDX_HEADER_SIZE 16
#define IDX_ENTRY_SIZE 48

struct idx_entry {
	uint64_t off;
	uint32_t len;
	uint32_t count;
	char first_id[REC_ID_LEN + 1];
};

/* Write the header into a new, empty index file.  0 or RD_E_IO. */
int idx_create(int fd, struct rd_err *err);

/*
 * Number of whole entries in the file (a partial trailing entry is not
 * counted).  A file with a bad header is RD_E_CORRUPT.
 */
int idx_count(int fd, uint64_t *n, struct rd_err *err);

/* Read entry i.  RD_E_CORRUPT when its CRC does not match. */
int idx_read(int fd, uint64_t i, struct idx_entry *e, struct rd_err *err);

/* Append e as entry number n (the current count) with one write. */
int idx_write(int fd, uint64_t n, const struct idx_entry *e,
	      struct rd_err *err);

/* Append k entries as entries n.. (n is the current count), with one
 * write; on failure none of them remains. */
int idx_write_n(int fd, uint64_t n, const struct idx_entry *e, size_t k,
		struct rd_err *err);

/* Keep the first n entries, dropping the rest (and any partial entry). */
int idx_truncate(int fd, uint64_t n, struct rd_err *err);

/*
 * Load every entry whose CRC matches into a new array, in file order,
 * skipping damaged ones (a damaged entry costs only itself).  *out is NULL
 * when there are none.  Caller frees *out with free().
 */
int idx_load(int fd, struct idx_entry **out, uint64_t *n, struct rd_err *err);

#endif
