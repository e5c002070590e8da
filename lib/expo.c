/*
 * expo.c - the Prometheus text exposition reader (see expo.h).
 *
 * One pass over the page, one line at a time; a line is judged whole
 * before its sample is passed on.  Each rule below names the Prometheus
 * parser that imposes it: "scrape" for model/textparse/promparse.go,
 * "client" for expfmt/text_parse.go.  A page must satisfy both.
 *
 * The client parser keeps metric families by name, and three of its
 * refusals depend on them: a second HELP, a TYPE after samples (or a
 * second TYPE), and le or quantile labels that are not numbers in
 * histograms and summaries.  So a family table is kept here too: open
 * addressing over names kept in one arena.  As in the client parser, a
 * name ending in _count or _sum belongs to the summary of its stem, and
 * one ending in _count, _sum or _bucket to the histogram of its stem, when
 * that family was typed first; every other name is a family of its own.
 *
 * Differences on purpose, all at the far edge: histogram and summary
 * rules apply to each sample's own family, where the client parser, for a
 * line that starts with '{', judges the labels before the quoted name by
 * the previous line's family; a quoted name must be non-empty UTF-8
 * without NUL even where neither parser looks at it (a HELP or TYPE line
 * that ends after the name; "#HELP", which the scrape skips); and a TYPE
 * word is matched in ASCII only, where the client's Go ToUpper also
 * turns the dotless i and the long s into I and S.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expo.h"
#include "expo_fam.h"
#include "json.h"
#include "xalloc.h"
#include "banned.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A byte of a bare name: [a-zA-Z_] and then digits, and ':' in metric
 * names. */
static int name_byte(char c, int metric, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (metric && c == ':') || (!first && c >= '0' && c <= '9');
}

/* s[0..n) is the word w. */
static int is(const char *s, size_t n, const char *w)
{
	return n == strlen(w) && memcmp(s, w, n) == 0;
}

static size_t skip_blanks(const char *t, size_t len, size_t i)
{
	while (i < len && is_blank(t[i]))
		i++;
	return i;
}

/* ---- numbers ---- */

static size_t digits(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/*
 * Go's strconv.ParseFloat, as both parsers call it: they refuse any 'p',
 * 'P' or '_' first, which leaves no hex (a hex mantissa needs a p
 * exponent) and no underscores.  What remains is the decimal grammar,
 * Inf and Infinity with an optional sign, and NaN without one, in any
 * case.  C's strtod reads more (hex, "nan(...)", "+nan", leading
 * whitespace), so the characters are checked before it runs.  Overflow is
 * an error in Go; underflow to zero or a subnormal is not.
 */
int expo_float(const char *s, size_t n, double *v)
{
	char small[64], *copy = small, *e;
	size_t i = 0, m, k;
	int sign = 0;
	double d;

	if (n && (s[0] == '+' || s[0] == '-'))
		sign = s[i++] == '-' ? -1 : 1;
	m = n - i;
	if ((m == 3 && strncasecmp(s + i, "inf", 3) == 0) ||
	    (m == 8 && strncasecmp(s + i, "infinity", 8) == 0)) {
		*v = sign < 0 ? -INFINITY : INFINITY;
		return 0;
	}
	if (!sign && m == 3 && strncasecmp(s, "nan", 3) == 0) {
		*v = NAN;
		return 0;
	}
	k = digits(s, n, i);
	m = k - i;
	if (k < n && s[k] == '.') {
		i = k + 1;
		k = digits(s, n, i);
		m += k - i;
	}
	if (m == 0)
		return -1;
	if (k < n && (s[k] == 'e' || s[k] == 'E')) {
		i = k + 1;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		k = digits(s, n, i);
		if (k == i)
			return -1;
	}
	if (k != n)
		return -1;
	if (n >= sizeof(small))
		copy = xmalloc(n + 1);
	memcpy(copy, s, n);
	copy[n] = '\0';
	/* The tools never call setlocale: the decimal point is '.'. */
	d = strtod(copy, &e);
	k = (size_t)(e - copy);
	if (copy != small)
		free(copy);
	if (k != n || isinf(d))
		return -1;
	*v = d;
	return 0;
}

/* The scrape's timestamp: digits only (no sign), as an int64. */
static int read_ts(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int d = s[i] - '0';

		if (d < 0 || d > 9 || v > (INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* ---- names and label sets ---- */

void expo_series_init(struct expo_series *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->text_);
}

void expo_series_release(struct expo_series *s)
{
	if (!s)
		return;
	buf_release(&s->text_);
	free(s->lab_);
	expo_series_init(s);
}

/*
 * The quoted string that opens at t[*i], unescaped onto b.  Escapes are
 * \\ \" and \n only (client; the scrape keeps others as they are, the
 * client refuses them), and no raw newline (client).  A name may not be
 * empty (both) nor hold NUL (scrape); a value may hold NUL (both).
 * Returns 0 with *i past the closing quote, or -1 with *i at the fault.
 */
static int read_quoted(const char *t, size_t len, size_t *i, int name,
		       struct buf *b, const char **why)
{
	size_t k = *i + 1, start = b->len, run;

	for (;;) {
		for (run = k; run < len && t[run] != '"' && t[run] != '\\' &&
			      t[run] != '\n' && (t[run] || !name); run++)
			;
		buf_add(b, t + k, run - k);
		k = run;
		if (k >= len || (k + 1 >= len && t[k] == '\\')) {
			*i = len;
			*why = "unterminated quoted string";
			return -1;
		}
		if (t[k] == '"')
			break;
		if (t[k] != '\\') {
			*i = k;
			*why = t[k] ? "newline in a quoted string (write \\n)"
				    : "NUL byte in a quoted name";
			return -1;
		}
		if (t[k + 1] != '\\' && t[k + 1] != '"' && t[k + 1] != 'n') {
			*i = k;
			*why = "invalid escape sequence (only \\\\, \\\" and \\n)";
			return -1;
		}
		buf_addc(b, t[k + 1] == 'n' ? '\n' : t[k + 1]);
		k += 2;
	}
	if (json_utf8_check(b->data + start, b->len - start) >= 0 ||
	    (name && b->len == start)) {
		*why = name ? "a quoted name must be non-empty UTF-8"
			    : "label value is not valid UTF-8";
		return -1;
	}
	*i = k + 1;
	return 0;
}

static struct expo_label *next_label(struct expo_series *s, size_t n)
{
	if (n == s->cap_) {
		s->cap_ = s->cap_ ? 2 * s->cap_ : 16;
		s->lab_ = xrealloc(s->lab_, s->cap_ * sizeof(*s->lab_));
	}
	return &s->lab_[n];
}

/*
 * One element of a label set at t[*i]: name="value", or a quoted name
 * standing alone (then *is_name and l->value is NULL).  Blanks may sit
 * around '=' (both parsers).  A bare word is never a metric name (the
 * scrape refuses {A}).
 */
static int read_pair(struct expo_series *s, const char *t, size_t len,
		     size_t *i, struct expo_label *l, int *is_name,
		     const char **why)
{
	struct buf *b = &s->text_;
	size_t k = *i, start = b->len;

	*is_name = 0;
	if (t[k] == '"') {
		if (read_quoted(t, len, &k, 1, b, why) < 0)
			goto bad;
		l->name = b->data + start;
		l->name_len = b->len - start;
	} else if (name_byte(t[k], 0, 1)) {
		while (k < len && name_byte(t[k], 0, 0))
			k++;
		l->name = b->data + start;
		l->name_len = k - *i;
		buf_add(b, t + *i, k - *i);
	} else {
		*why = "expected a label name";
		goto bad;
	}
	k = skip_blanks(t, len, k);
	if (t[*i] == '"' && k < len && (t[k] == ',' || t[k] == '}')) {
		*is_name = 1;
		*i = k;
		return 0;
	}
	if (k >= len || t[k] != '=') {
		*why = "expected '=' after a label name";
		goto bad;
	}
	k = skip_blanks(t, len, k + 1);
	if (k >= len || t[k] != '"') {
		*why = "expected '\"' to open a label value";
		goto bad;
	}
	start = b->len;
	if (read_quoted(t, len, &k, 0, b, why) < 0)
		goto bad;
	l->value = b->data + start;
	l->value_len = b->len - start;
	*i = k;
	return 0;
bad:
	*i = k;
	return -1;
}

/* The label set that opens at t[*i] == '{', up to its '}'. */
static int read_set(struct expo_series *s, const char *t, size_t len,
		    size_t *i, size_t *n, const char **why)
{
	size_t k = *i + 1;
	int is_name;

	for (;;) {
		struct expo_label *l;

		k = skip_blanks(t, len, k);
		if (k < len && t[k] == '}')
			break;
		if (k >= len) {
			*why = "unterminated label set";
			goto bad;
		}
		l = next_label(s, *n);
		if (read_pair(s, t, len, &k, l, &is_name, why) < 0)
			goto bad;
		if (is_name) {
			if (s->name) {
				*why = "a second metric name";
				goto bad;
			}
			s->name = l->name;
			s->name_len = l->name_len;
		} else {
			(*n)++;
		}
		/* Both parsers want ',' or '}' after a pair; the scrape
		 * alone would take the next name without a comma. */
		k = skip_blanks(t, len, k);
		if (k < len && t[k] == ',') {
			k++;
		} else if (k >= len || t[k] != '}') {
			*why = k >= len ? "unterminated label set"
					: "expected ',' or '}' after a label";
			goto bad;
		}
	}
	*i = k + 1;
	return 0;
bad:
	*i = k;
	return -1;
}

int expo_series_read(struct expo_series *s, const char *t, size_t len,
		     size_t *used, const char **why)
{
	size_t k = 0, n = 0, brace;

	s->name = NULL;
	s->name_len = 0;
	s->labels = NULL;
	s->nlabels = 0;
	buf_reset(&s->text_);
	/* Unescaped text is never longer than its source: reserving that
	 * much keeps every pointer into text_ valid while it fills. */
	buf_reserve(&s->text_, len);
	if (k < len && name_byte(t[k], 1, 1)) {
		while (k < len && name_byte(t[k], 1, 0))
			k++;
		s->name = s->text_.data;
		s->name_len = k;
		buf_add(&s->text_, t, k);
		brace = skip_blanks(t, len, k);
		if (brace >= len || t[brace] != '{') {
			*used = k;
			return 0;
		}
		k = brace;
	} else if (k >= len || t[k] != '{') {
		*why = "expected a metric name";
		*used = k;
		return RD_E_INVAL;
	}
	if (read_set(s, t, len, &k, &n, why) < 0) {
		*used = k;
		return RD_E_INVAL;
	}
	s->labels = s->lab_;
	s->nlabels = n;
	*used = k;
	return 0;
}

/* ---- the page ---- */

struct page {
	size_t line;
	struct expo_famtab fams;
	struct expo_series ser;
	struct buf name;    /* a HELP or TYPE line's metric name */
	const struct expo_label **sorted;
	size_t sorted_cap;
	struct rd_err *err;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct page *pg, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return rd_err_set(pg->err, RD_E_INVAL, "exposition line %zu: %s",
			  pg->line, why);
}

/* A token for a message: quoted, control and high bytes as \xNN, cut
 * after 40 bytes. */
static const char *show(char *out, size_t cap, const char *p, size_t n)
{
	size_t o = 0;

	out[o++] = '"';
	for (size_t i = 0; i < n && o + 8 < cap; i++) {
		unsigned char c = (unsigned char)p[i];

		if (i == 40) {
			o += (size_t)snprintf(out + o, cap - o, "...");
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

int expo_label_cmp(const void *a, const void *b)
{
	const struct expo_label *x = *(const struct expo_label *const *)a;
	const struct expo_label *y = *(const struct expo_label *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* A label whose name appears twice, or NULL.  Sorted, so that a series
 * with very many labels does not cost their square. */
static const struct expo_label *duplicate(struct page *pg,
					  const struct expo_series *s)
{
	size_t n = s->nlabels;

	if (n < 2)
		return NULL;
	if (n > pg->sorted_cap) {
		pg->sorted_cap = n;
		pg->sorted = xrealloc(pg->sorted, n * sizeof(*pg->sorted));
	}
	for (size_t i = 0; i < n; i++)
		pg->sorted[i] = &s->labels[i];
	qsort(pg->sorted, n, sizeof(*pg->sorted), expo_label_cmp);
	for (size_t i = 1; i < n; i++)
		if (!expo_label_cmp(&pg->sorted[i - 1], &pg->sorted[i]))
			return pg->sorted[i];
	return NULL;
}

/*
 * What both parsers ask of a whole sample's labels and value: no label
 * twice (client; a scrape fails when storing it), no __name__ label
 * (client; the scrape sees it twice), and the histogram and summary rules
 * of the client parser.
 */
static int judge(struct page *pg, const struct expo_sample *smp,
		 const struct expo_fam *f, enum expo_part part)
{
	const struct expo_series *s = smp->series;
	const struct expo_label *l;
	char tok[200];
	double bucket = NAN, q;

	if ((l = duplicate(pg, s)))
		return fail(pg, "label %s appears twice",
			    show(tok, sizeof(tok), l->name, l->name_len));
	for (size_t i = 0; i < s->nlabels; i++) {
		l = &s->labels[i];
		if (is(l->name, l->name_len, "__name__"))
			return fail(pg, "label name \"__name__\" is reserved");
		if (f->type == EXPO_SUMMARY && is(l->name, l->name_len, "quantile") &&
		    expo_float(l->value, l->value_len, &q) < 0)
			return fail(pg, "expected a float as the quantile label, got %s",
				    show(tok, sizeof(tok), l->value, l->value_len));
		if (f->type == EXPO_HISTOGRAM && is(l->name, l->name_len, "le") &&
		    expo_float(l->value, l->value_len, &bucket) < 0)
			return fail(pg, "expected a float as the le label, got %s",
				    show(tok, sizeof(tok), l->value, l->value_len));
	}
	if (f->type != EXPO_HISTOGRAM)
		return 0;
	if ((part == PART_COUNT || (part == PART_NONE && !isnan(bucket))) &&
	    smp->value < 0)
		return fail(pg, "negative %s for histogram %s",
			    part == PART_COUNT ? "count" : "bucket population",
			    show(tok, sizeof(tok), pg->fams.names.data + f->off,
				 f->len));
	return 0;
}

/* Value and timestamp after the series, up to the line's end. */
static int read_tail(struct page *pg, const char *p, const char *le,
		     struct expo_sample *smp)
{
	const char *v = p;
	char tok[200];

	while (p < le && !is_blank(*p))
		p++;
	if (p == v)
		return fail(pg, "expected a value after the series");
	if (expo_float(v, (size_t)(p - v), &smp->value) < 0)
		return fail(pg, "expected a float as value, got %s",
			    show(tok, sizeof(tok), v, (size_t)(p - v)));
	smp->has_ts = 0;
	if (p == le)
		return 0;
	while (p < le && is_blank(*p))
		p++;
	/* client: blanks after the value announce a timestamp */
	if (p == le)
		return fail(pg, "blanks after the value, and no timestamp");
	for (v = p; p < le && !is_blank(*p); p++)
		;
	if (read_ts(v, (size_t)(p - v), &smp->ts_ms) < 0)
		return fail(pg, "expected a timestamp in milliseconds (digits), got %s",
			    show(tok, sizeof(tok), v, (size_t)(p - v)));
	if (p < le)
		return fail(pg, "text after the timestamp: %s",
			    show(tok, sizeof(tok), p, (size_t)(le - p)));
	smp->has_ts = 1;
	return 0;
}

/* The sample line ls..le, whose first token is at p. */
static int read_sample(struct page *pg, const char *ls, const char *p,
		       const char *le,
		       int (*fn)(void *, const struct expo_sample *), void *arg)
{
	struct expo_sample smp;
	const char *why;
	struct expo_fam *f;
	enum expo_part part;
	size_t used;
	int ret;

	if (*p == '"')
		return fail(pg, "a quoted metric name goes inside the braces: {\"name\",...}");
	/* The scrape takes blanks before a bare name into the name (and
	 * refuses it, or stores "  name" where names are UTF-8); the client
	 * drops them.  Two meanings: refused. */
	if (p != ls && *p != '{')
		return fail(pg, "blanks before the metric name");
	if (expo_series_read(&pg->ser, p, (size_t)(le - p), &used, &why) < 0)
		return fail(pg, "%s (byte %zu)", why, (size_t)(p - ls) + used + 1);
	if (!pg->ser.name)
		return fail(pg, "no metric name: write {\"name\",...} or name{...}");
	smp.series = &pg->ser;
	p += used;
	while (p < le && is_blank(*p))
		p++;
	if ((ret = read_tail(pg, p, le, &smp)) < 0)
		return ret;
	f = expo_fam_of(&pg->fams, pg->ser.name, pg->ser.name_len, &part);
	if (!f->typed) {
		f->typed = 1;
		f->type = EXPO_UNTYPED;
	}
	if ((ret = judge(pg, &smp, f, part)) < 0)
		return ret;
	smp.type = f->type;
	smp.line = pg->line;
	return fn ? fn(arg, &smp) : 0;
}

/*
 * A TYPE word.  The scrape's are these five in lowercase; the client's in
 * any case, and its gauge histograms too, which follow the same rules as
 * histograms here.
 */
static int type_of(const char *p, const char *le, int scrape)
{
	static const char *const word[] = {
		[EXPO_UNTYPED] = "untyped", [EXPO_COUNTER] = "counter",
		[EXPO_GAUGE] = "gauge", [EXPO_HISTOGRAM] = "histogram",
		[EXPO_SUMMARY] = "summary",
	};
	size_t n = (size_t)(le - p);

	for (int t = EXPO_UNTYPED; t <= EXPO_SUMMARY; t++)
		if (strlen(word[t]) == n && (scrape ? !memcmp(p, word[t], n)
						    : !strncasecmp(p, word[t], n)))
			return t;
	if (!scrape && ((n == 15 && !strncasecmp(p, "gauge_histogram", n)) ||
			(n == 14 && !strncasecmp(p, "gaugehistogram", n))))
		return EXPO_HISTOGRAM;
	return -1;
}

/* HELP text: the client reads \\ \n and \" and refuses other escapes. */
static int help_ok(const char *p, const char *le)
{
	for (; p < le; p++)
		if (*p == '\\' && (++p == le || (*p != '\\' && *p != 'n' && *p != '"')))
			return 0;
	return 1;
}

/* The metric name of a HELP or TYPE line at *pp, into pg->name. */
static int meta_name(struct page *pg, const char **pp, const char *le)
{
	const char *p = *pp, *why;
	size_t k = 0;

	buf_reset(&pg->name);
	if (*p == '"') {
		if (read_quoted(p, (size_t)(le - p), &k, 1, &pg->name, &why) < 0)
			return fail(pg, "%s", why);
	} else if (name_byte(*p, 1, 1)) {
		while (p + k < le && name_byte(p[k], 1, 0))
			k++;
		buf_add(&pg->name, p, k);
	} else {
		return fail(pg, "invalid metric name in a comment");
	}
	*pp = p + k;
	if (*pp < le && !is_blank(**pp))
		return fail(pg, "invalid metric name in a comment");
	return 0;
}

/*
 * A line that starts with '#'; p is past it.  The client reads HELP and
 * TYPE after any blanks, also none ("#TYPE"); the scrape only after at
 * least one, and takes "#TYPE" for a comment.  Both rule sets apply where
 * both read the line as metadata.
 */
static int read_comment(struct page *pg, const char *p, const char *le)
{
	int scrape = p < le && is_blank(*p), help, t;
	const char *kw, *rest;
	enum expo_part part;
	struct expo_fam *f;
	char tok[200];

	while (p < le && is_blank(*p))
		p++;
	for (kw = p; p < le && !is_blank(*p); p++)
		;
	if (p == le || (!is(kw, (size_t)(p - kw), "HELP") &&
			!is(kw, (size_t)(p - kw), "TYPE")))
		return 0;
	help = *kw == 'H';
	while (p < le && is_blank(*p))
		p++;
	if (p == le)
		return scrape ? fail(pg, "expected a metric name after %s",
				     help ? "HELP" : "TYPE") : 0;
	if (meta_name(pg, &p, le) < 0)
		return RD_E_INVAL;
	rest = p;
	if (scrape && help && json_utf8_check(rest, (size_t)(le - rest)) >= 0)
		return fail(pg, "HELP text is not valid UTF-8");
	/* The scrape's type is what follows the name's one blank. */
	if (scrape && !help && (rest == le || type_of(rest + 1, le, 1) < 0))
		return fail(pg, "expected one blank and then counter, gauge, histogram, summary or untyped, got %s",
			    show(tok, sizeof(tok), rest, (size_t)(le - rest)));
	if (p == le)
		return 0;
	f = expo_fam_of(&pg->fams, pg->name.data, pg->name.len, &part);
	while (p < le && is_blank(*p))
		p++;
	if (p == le)
		return 0; /* client: a name alone is no HELP and no TYPE */
	show(tok, sizeof(tok), pg->name.data, pg->name.len);
	if (help) {
		if (f->helped)
			return fail(pg, "a second HELP line for %s", tok);
		if (!help_ok(p, le))
			return fail(pg, "invalid escape sequence in the HELP text (only \\\\, \\\" and \\n)");
		f->helped = 1;
		return 0;
	}
	if (f->typed)
		return fail(pg, "a second TYPE line for %s, or a TYPE after its samples", tok);
	if ((t = type_of(p, le, 0)) < 0)
		return fail(pg, "unknown metric type %s",
			    show(tok, sizeof(tok), p, (size_t)(le - p)));
	f->typed = 1;
	f->type = (enum expo_type)t;
	return 0;
}

uint64_t expo_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

int expo_parse(const char *text, size_t len,
	       int (*fn)(void *arg, const struct expo_sample *s), void *arg,
	       struct rd_err *err)
{
	const char *p = text, *end = text + len;
	struct page pg;
	int ret = 0;

	memset(&pg, 0, sizeof(pg));
	expo_famtab_init(&pg.fams);
	buf_init(&pg.name);
	expo_series_init(&pg.ser);
	pg.err = err;
	while (p < end && ret == 0) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *q = p;

		pg.line++;
		while (q < le && is_blank(*q))
			q++;
		if (q < le && *q == '#')
			ret = read_comment(&pg, q + 1, le);
		else if (q < le)
			ret = read_sample(&pg, p, q, le, eol ? fn : NULL, arg);
		/* client: every line ends in '\n' (the scrape adds one) */
		if (ret == 0 && !eol && q < le)
			ret = fail(&pg, "the last line does not end in a newline");
		p = eol ? eol + 1 : end;
	}
	expo_series_release(&pg.ser);
	buf_release(&pg.name);
	expo_famtab_release(&pg.fams);
	free(pg.sorted);
	return ret;
}
