/* Fuzz target: a segment file of arbitrary bytes read through the spool's
 * directory reader (members, index hints, damage and resynchronisation)
 * and through spool_verify.  Neither may crash, hang or leak, whatever the
 * bytes are. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

static char dir[64];

static void quiet(void *ctx, const struct spool_notice *n) { (void)ctx; (void)n; }
static void found(void *ctx, const struct spool_finding *f) { (void)ctx; (void)f; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_opts o;
	struct spool *sp = NULL;
	struct spool_iter *it = NULL;
	struct spool_item item;
	struct spool_verify_stats st;
	struct rd_err err;
	char path[128];
	int fd;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/rd-fuzz-member.%d", (int)getpid());
		mkdir(dir, 0700);
	}
	snprintf(path, sizeof(path), "%s/00000000000000000001.ndjson.gz", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	close(fd);
	spool_opts_init(&o);
	o.notice = quiet;
	o.dir.max_member_bytes = 1 << 20;
	if (spool_open(dir, &o, &sp, &err) < 0)
		return 0;
	if (spool_iter_new(sp, NULL, &it, &err) == 0) {
		while (spool_iter_next(it, &item, &err) > 0)
			;
		spool_iter_free(it);
	}
	spool_verify(sp, found, NULL, &st, &err);
	spool_close(sp);
	return 0;
}
