/* Fuzz target: the exposition reader (rd-health --metrics), the selector
 * parser (--metric) and the sum.  Beyond crashes it checks one property:
 * every page read is written back in a plain form (no blanks, HELP or
 * TYPE), which must read again to the very same samples. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expo.h"
#include "prom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int bare(const char *s, size_t n, int metric)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		      (metric && c == ':') || (i && c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

static void quoted(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == '"')
			buf_addc(b, '\\');
		if (s[i] == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, s[i]);
	}
	buf_addc(b, '"');
}

static void name(struct buf *b, const char *s, size_t n, int metric)
{
	if (bare(s, n, metric))
		buf_add(b, s, n);
	else
		quoted(b, s, n);
}

/* One sample as a plain line. */
static int write_one(void *arg, const struct expo_sample *smp)
{
	const struct expo_series *s = smp->series;
	int in_braces = !bare(s->name, s->name_len, 1);
	struct buf *b = arg;

	if (!s->name || smp->line == 0)
		abort();
	if (!in_braces)
		name(b, s->name, s->name_len, 1);
	if (in_braces || s->nlabels) {
		buf_addc(b, '{');
		if (in_braces)
			name(b, s->name, s->name_len, 1);
		for (size_t i = 0; i < s->nlabels; i++) {
			if (i || in_braces)
				buf_addc(b, ',');
			name(b, s->labels[i].name, s->labels[i].name_len, 0);
			buf_addc(b, '=');
			quoted(b, s->labels[i].value, s->labels[i].value_len);
		}
		buf_addc(b, '}');
	}
	if (isnan(smp->value))
		buf_adds(b, " NaN");
	else if (isinf(smp->value))
		buf_adds(b, smp->value > 0 ? " +Inf" : " -Inf");
	else
		buf_addf(b, " %.17g", smp->value);
	if (smp->has_ts)
		buf_addf(b, " %lld", (long long)smp->ts_ms);
	buf_addc(b, '\n');
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct buf once, twice;
	struct prom_sel *sel = NULL;
	struct rd_err err;
	size_t n;
	double sum, v;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	buf_init(&once);
	buf_init(&twice);
	if (expo_parse(text, size, write_one, &once, &err) == 0) {
		if (expo_parse(once.data ? once.data : "", once.len, write_one,
			       &twice, &err) != 0 ||
		    once.len != twice.len ||
		    (once.len && memcmp(once.data, twice.data, once.len) != 0))
			abort();
	}
	memcpy(s, data, size);
	s[size] = '\0';
	if (prom_sel_new(s, &sel, &err) == 0) {
		prom_expo_sum(text, size, sel, &sum, &n, &err);
		prom_sel_free(sel);
	}
	expo_float(text, size, &v);
	buf_release(&once);
	buf_release(&twice);
	free(s);
	return 0;
}
