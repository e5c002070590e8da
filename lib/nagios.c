/*
 * nagios.c - the monitoring-plugins output of a check (see nagios.h).
 *
 * Everything written here ends up on one line that Nagios parses: the
 * text before '|' is shown to people, the perfdata after it is read by
 * machines, so the text may hold neither a '|' nor a line break.
 */
#include <math.h>
#include <string.h>

#include "nagios.h"
#include "num.h"
#include "xalloc.h"
#include "banned.h"

void nagios_status_line(struct buf *out, int code, const char *text, size_t n)
{
	static const char *const names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

	buf_addf(out, "RD-HEALTH %s - ", names[code]);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '|')
			buf_adds(out, "\u00a6");
		else
			buf_addc(out, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
}

/* The decimal shift keeps 7% at 7, so the value held against a range is
 * the value printed. */
double nagios_perf_value(double v, enum thr_unit u)
{
	return u == THR_FRACTION ? num_scale10(v, 2) : v;
}

const char *nagios_perf_uom(enum thr_unit u)
{
	return u == THR_MS ? "ms" : u == THR_FRACTION ? "%" : "";
}

void nagios_perf_item(struct buf *perf, const struct buf *label, double pv,
		      enum thr_unit u, const struct thr_range *w,
		      const struct thr_range *c)
{
	buf_adds(perf, " '");
	buf_add(perf, label->data, label->len);
	buf_adds(perf, "'=");
	num_add(perf, pv, NUM_PERF);
	if (isfinite(pv))
		buf_adds(perf, nagios_perf_uom(u));
	buf_addc(perf, ';');
	if (w)
		thr_range_fmt(w, perf);
	buf_addc(perf, ';');
	if (c)
		thr_range_fmt(c, perf);
	buf_adds(perf, u == THR_FRACTION ? ";0;100" : u == THR_MS ? ";0;" : ";;");
}

void nagios_breach(struct buf *why, const struct buf *label, double pv,
		   enum thr_unit u, const struct thr_range *r, int critical)
{
	const char *level = critical ? "critical" : "warning";

	if (why->len)
		buf_adds(why, "; ");
	buf_add(why, label->data, label->len);
	if (isnan(pv)) {
		buf_addf(why, " has no value (%s range %s)", level, r->text);
		return;
	}
	buf_addc(why, '=');
	num_add(why, pv, NUM_TEXT);
	buf_addf(why, "%s %s %s range %s", nagios_perf_uom(u),
		 r->inside ? "inside" : "outside", level, r->text);
}

int nagios_range_add(struct nagios_range **v, size_t *n, const char *arg,
		     int critical, struct rd_err *err)
{
	const char *eq = strchr(arg, '=');
	struct nagios_range nr;

	memset(&nr, 0, sizeof(nr));
	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(nr.metric))
		return rd_err_set(err, RD_E_INVAL, "'%s' is not METRIC=RANGE", arg);
	memcpy(nr.metric, arg, (size_t)(eq - arg));
	nr.critical = critical;
	if (thr_range_parse(eq + 1, &nr.r, err) < 0)
		return RD_E_INVAL;
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].critical == critical &&
		    strcmp((*v)[i].metric, nr.metric) == 0) {
			(*v)[i].r = nr.r;
			return 0;
		}
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = nr;
	return 0;
}

const struct thr_range *nagios_range_find(const struct nagios_range *v,
					  size_t n, const char *metric,
					  int critical)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].critical == critical && strcmp(v[i].metric, metric) == 0)
			return &v[i].r;
	return NULL;
}
