/* Fuzz target: thresholds (rd-health --check, rd-audit --fail-if), Nagios
 * ranges (and their perfdata form), the shortest-decimal formatter, and
 * the number, size, duration, rate and status-set parsers of
 * every command line. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "http.h"
#include "num.h"
#include "thr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct thr t;
	struct thr_range r;
	struct http_okset ok;
	struct rd_err err;
	uint64_t v;
	double d;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (thr_parse(s, &t, &err) == 0)
		thr_holds(&t, 1.5);
	if (thr_range_parse(s, &r, &err) == 0) {
		struct thr_range back;
		struct buf f;

		thr_range_alert(&r, 1.5);
		/* a range written back (perfdata) reads back the same */
		buf_init(&f);
		thr_range_fmt(&r, &f);
		if (thr_range_parse(f.data ? f.data : "", &back, &err) != 0 ||
		    back.lo != r.lo || back.hi != r.hi || back.inside != r.inside)
			abort();
		buf_release(&f);
	}
	if (size == sizeof(d)) {
		/* any double: its shortest decimal reads back to it */
		char t[NUM_LEN];

		memcpy(&d, data, sizeof(d));
		if (isfinite(d) && strtod(num_fmt(d, NUM_TEXT, t, sizeof(t)), NULL) != d)
			abort();
		if (isfinite(d) && strtod(num_fmt(d, NUM_PERF, t, sizeof(t)), NULL) != d)
			abort();
	}
	cli_parse_u64(s, 0, UINT64_MAX, &v, &err);
	cli_parse_size(s, &v, &err);
	cli_parse_duration(s, &v, &err);
	cli_parse_rate(s, &d, &err);
	http_okset_parse(s, &ok, &err);
	free(s);
	return 0;
}
