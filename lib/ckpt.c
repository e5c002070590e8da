/*
 * ckpt.c - reading the replay checkpoint back (see ckpt.h).
 */
#include <string.h>

#include "ckpt.h"
#include "banned.h"

int ckpt_read(struct spool *sp, struct pend *p, struct spool_pos *at,
	      struct rd_err *err)
{
	struct spool_mark mark;
	struct buf b;
	int ret;

	memset(at, 0, sizeof(*at));
	buf_init(&b);
	ret = spool_state_read(sp, CKPT_NAME, &b, CKPT_MAX, err);
	if (ret == 1 && (pend_load(p, &b, at, &mark, err) < 0 ||
			 spool_mark_check(sp, at, &mark, err) < 0)) {
		memset(at, 0, sizeof(*at));
		pend_release(p);
		pend_init(p);
		ret = RD_E_CORRUPT;
	}
	buf_release(&b);
	return ret;
}
