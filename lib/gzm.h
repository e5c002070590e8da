/*
 * gzm.h - gzip members: building one from a batch of lines, and reading
 * them back one at a time from a file with our own inflate loop.
 *
 * A segment is a plain concatenation of gzip members (RFC 1952), so
 * `zcat SEGMENT` and `gzip -t SEGMENT` work on it.  The reader walks a
 * member at a given offset and says precisely how it ended, so the spool
 * can tell a write in progress (torn) from damage (garbage, corrupt) and
 * resynchronise on the next member.  zlib checks each member's CRC-32 and
 * ISIZE trailer.
 *
 * The compression libraries stay inside gzm.c.  Nothing here prints or
 * locks.
 */
#ifndef GZM_H
#define GZM_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "rd.h"

struct gzm_writer {
	void *zs;  /* compressor, created on first use; owned */
	int level; /* 1..9 */
};

struct gzm_reader {
	void *zs;      /* inflate state, created on first use; owned */
	char *ra;      /* read-ahead window over one file; owned */
	size_t ra_cap;
	size_t ra_len;
	off_t ra_off;  /* file offset of ra[0] */
	int ra_fd;     /* the file ra belongs to, -1 when empty */
	void *dz;      /* libdeflate decompressor for gzm_read_sized; owned */
	struct buf in; /* a whole member for gzm_read_sized */
};

/* How a member read ended.  Negative values are RD_E* errors (I/O). */
enum gzm_status {
	GZM_OK = 0,      /* one whole member, CRC and size verified */
	GZM_END = 1,     /* off is at (or past) end: nothing to read */
	GZM_TORN = 2,    /* a valid start that runs into end: cut short */
	GZM_GARBAGE = 3, /* no gzip header at off */
	GZM_CORRUPT = 4, /* a gzip header, then bad data, CRC or size */
	GZM_TOO_BIG = 5  /* inflates to more than max_out bytes */
};

/* Set up a writer for gzip level 1..9 (out-of-range values clamp). */
void gzm_writer_init(struct gzm_writer *w, int level);
void gzm_writer_release(struct gzm_writer *w);

/*
 * Append one complete gzip member holding data[0..len) to out.  Returns 0,
 * or RD_E_INVAL if zlib refuses (err says why).  out is unchanged on error.
 */
int gzm_build(struct gzm_writer *w, struct buf *out, const void *data,
	      size_t len, struct rd_err *err);

void gzm_reader_init(struct gzm_reader *r);
void gzm_reader_release(struct gzm_reader *r);
/* Forget the read-ahead window (call when a file is closed or may have
 * been cut and rewritten). */
void gzm_reader_drop(struct gzm_reader *r);

/*
 * Read the member starting at byte off of fd, looking no further than byte
 * end, and append its content to out.  max_out bounds the inflated size (0:
 * no bound).  On GZM_OK, *len receives the member's compressed length.  On
 * any other status out is restored, err holds the reason (without the
 * offset, which the caller knows), and the read-ahead window is dropped so
 * a retry sees fresh bytes.  Returns a negative RD_E_IO on a failed pread.
 */
int gzm_read(struct gzm_reader *r, int fd, off_t off, off_t end,
	     struct buf *out, size_t max_out, off_t *len, struct rd_err *err);

/*
 * Read the member at off whose length is already known (from the index):
 * the whole member is inflated in one call with libdeflate, which checks
 * the CRC and the size.  GZM_OK with the content appended to out, or
 * another status when it is not exactly one whole, valid member of that
 * length: the caller then reads it with gzm_read, which says precisely
 * what is wrong.  Several times faster than the streaming path.
 */
int gzm_read_sized(struct gzm_reader *r, int fd, off_t off, size_t len,
		   struct buf *out, size_t max_out, struct rd_err *err);

/*
 * The offset of the first whole, valid member starting in [from, end), or
 * end when there is none: where a reader resumes after damage.  Returns a
 * negative RD_E_IO on a failed pread.
 */
off_t gzm_scan(struct gzm_reader *r, int fd, off_t from, off_t end,
	       struct rd_err *err);

#endif
