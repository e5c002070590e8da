/* Fuzz target: how rd-proxy reads heads (lib/proxy_head.c).  The same
 * input is taken three ways: as request header lines judged by the
 * request guard, as a request target rebased onto the upstream, and as an
 * upstream's answer head whose relayed fields are walked.  Every field
 * handed back must lie inside the input, and no hop-by-hop one may be
 * relayed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy_head.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct span {
	const char *p;
	size_t n;
};

static int inside(const struct span *in, const char *p, size_t n)
{
	return p >= in->p && p + n <= in->p + in->n;
}

static int relayed(void *ctx, const char *name, size_t nn, const char *v,
		   size_t vn)
{
	static const char *const hop[] = { "connection", "transfer-encoding",
		"content-length", "keep-alive", "upgrade", NULL };

	if (!inside(ctx, name, nn) || !inside(ctx, v, vn) || nn == 0 || vn == 0)
		abort();
	for (size_t i = 0; hop[i]; i++)
		if (strlen(hop[i]) == nn && strncasecmp(hop[i], name, nn) == 0)
			abort();
	return 0;
}

/* Lines "name: value" (LF-separated) as the server library hands them. */
static void guard(const char *d, size_t n)
{
	struct hdr h[256];
	struct proxy_guard g;
	size_t k = 0;
	int st;

	for (const char *p = d, *end = d + n; p < end && k < 256;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *c = memchr(p, ':', (size_t)(e - p));

		h[k].name = p;
		h[k].name_len = c ? (size_t)(c - p) : (size_t)(e - p);
		h[k].value = c ? c + 1 : e;
		h[k].value_len = c ? (size_t)(e - c - 1) : 0;
		k++;
		p = nl ? nl + 1 : end;
	}
	memset(&g, 0x55, sizeof(g));    /* as the stack may leave it */
	st = proxy_guard(h, k, n > 0 && (d[0] & 1), &g);
	if (st != 0 && st != 400 && st != 431)
		abort();
	if (st && !g.why)
		abort();
	/* the field a refusal names is one of the head's, or none */
	if (st && (g.field < -1 || g.field >= (long)k))
		abort();
	if (!st && g.chunked && g.content_length >= 0)
		abort(); /* both framings at once must never pass */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span in = { (const char *)data, size };
	char *target = malloc(size + 1);
	struct buf out;
	int64_t cl;

	guard(in.p, size);
	memcpy(target, data, size);
	target[size] = '\0';
	buf_init(&out);
	if (proxy_target_url("http://127.0.0.1:9/base", target, &out, NULL) == 0 &&
	    strncmp(out.data, "http://127.0.0.1:9/base/", 24) != 0)
		abort(); /* the upstream is ours, whatever the target says */
	buf_release(&out);
	free(target);
	if (proxy_head_each(in.p, size, relayed, &in, &cl) == 0 && cl < -1)
		abort();
	return 0;
}
