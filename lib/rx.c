/*
 * rx.c - PCRE2 behind a small interface (see rx.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>

#include "rx.h"
#include "xalloc.h"
#include "banned.h"

struct rx {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

int rx_new(const char *pattern, struct rx **out, struct rd_err *err)
{
	struct rx *r;
	int ec;
	PCRE2_SIZE eo;
	PCRE2_UCHAR msg[256];

	*out = NULL;
	r = xcalloc(1, sizeof(*r));
	r->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0,
				&ec, &eo, NULL);
	if (!r->code) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		free(r);
		return rd_err_set(err, RD_E_INVAL,
				  "bad regular expression '%s' at offset %zu: %s",
				  pattern, (size_t)eo, (const char *)msg);
	}
	pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE); /* optional speed-up */
	r->md = xcheck(pcre2_match_data_create_from_pattern(r->code, NULL));
	r->mc = xcheck(pcre2_match_context_create(NULL));
	pcre2_set_match_limit(r->mc, 1000000);
	pcre2_set_depth_limit(r->mc, 10000);
	*out = r;
	return 0;
}

void rx_free(struct rx *r)
{
	if (!r)
		return;
	pcre2_match_context_free(r->mc);
	pcre2_match_data_free(r->md);
	pcre2_code_free(r->code);
	free(r);
}

int rx_match(struct rx *r, const char *s, size_t n)
{
	int rc = pcre2_match(r->code, (PCRE2_SPTR)s, n, 0, 0, r->md, r->mc);

	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return RD_E_FULL;
}

int rx_replace(struct rx *r, const char *s, size_t n, const char *repl,
	       struct buf *out)
{
	size_t pos = 0, start = out->len;
	int count = 0;

	while (pos <= n) {
		int rc = pcre2_match(r->code, (PCRE2_SPTR)s, n, pos, 0, r->md, r->mc);
		PCRE2_SIZE *ov;

		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {
			out->len = start; /* a limit: leave s as it is */
			buf_add(out, s, n);
			return RD_E_FULL;
		}
		ov = pcre2_get_ovector_pointer(r->md);
		buf_add(out, s + pos, ov[0] - pos);
		buf_adds(out, repl);
		count++;
		if (ov[1] == ov[0]) {
			/* an empty match: keep one byte and move on */
			if (ov[0] < n)
				buf_addc(out, s[ov[0]]);
			pos = ov[0] + 1;
		} else {
			pos = ov[1];
		}
	}
	if (pos < n)
		buf_add(out, s + pos, n - pos);
	return count;
}
