/*
 * Unit tests for lib/expo, the exposition reader (the exposition half of
 * lib/prom, selectors, matching and summing, is in test_prom_expo.c).
 *
 * Most tables are Prometheus's own test inputs with their expected
 * outcome, read or refused, translated to C; each table names its source.
 * Where Prometheus's two parsers disagree, a page is read only when both
 * read it (see lib/expo.h), so a few inputs that one of them takes are
 * refused here; each such row says which parser refuses it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expo.h"
#include "t.h"

/* An input that holds NUL bytes: the text and its length. */
#define BIN(s) s, sizeof(s) - 1

struct pcase {
	const char *in;
	size_t len;       /* 0: strlen(in) */
	const char *want; /* the samples as dump_one writes them; NULL: refused */
	size_t line;      /* refused: the line the message names */
	const char *why;  /* refused: part of the message */
};

static void put_esc(struct buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\\' || c == '"') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else if (c == '\n') {
			buf_adds(b, "\\n");
		} else if (c < 0x20 || c == 0x7f) {
			buf_addf(b, "\\x%02x", c);
		} else {
			buf_addc(b, (char)c);
		}
	}
}

static void put_num(struct buf *b, double v)
{
	char s[40];

	if (isnan(v)) {
		buf_adds(b, "NaN");
	} else if (isinf(v)) {
		buf_adds(b, v > 0 ? "+Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 1e15) {
		buf_addf(b, "%.0f", v);
	} else {
		for (int p = 1; p <= 17; p++) {
			snprintf(s, sizeof(s), "%.*g", p, v);
			if (strtod(s, NULL) == v)
				break;
		}
		buf_adds(b, s);
	}
}

/* name{label="value",...} value [timestamp], one line per sample. */
static int dump_one(void *arg, const struct expo_sample *s)
{
	const struct expo_series *ser = s->series;
	struct buf *b = arg;

	put_esc(b, ser->name, ser->name_len);
	for (size_t i = 0; i < ser->nlabels; i++) {
		buf_addc(b, i ? ',' : '{');
		put_esc(b, ser->labels[i].name, ser->labels[i].name_len);
		buf_adds(b, "=\"");
		put_esc(b, ser->labels[i].value, ser->labels[i].value_len);
		buf_addc(b, '"');
	}
	if (ser->nlabels)
		buf_addc(b, '}');
	buf_addc(b, ' ');
	put_num(b, s->value);
	if (s->has_ts)
		buf_addf(b, " %lld", (long long)s->ts_ms);
	buf_addc(b, '\n');
	return 0;
}

static void run_cases(const char *table, const struct pcase *c, size_t n)
{
	char name[120], at[40];

	for (size_t i = 0; i < n; i++) {
		struct buf b;
		struct rd_err err;
		size_t len = c[i].len ? c[i].len : strlen(c[i].in);
		int ret;

		buf_init(&b);
		memset(&err, 0, sizeof(err));
		ret = expo_parse(c[i].in, len, dump_one, &b, &err);
		snprintf(name, sizeof(name), "%s %zu", table, i);
		if (c[i].want) {
			if (!T_OK(ret == 0, name))
				printf("#   %s\n", err.msg);
			else
				T_EQ_STR(b.data ? b.data : "", c[i].want, name);
		} else {
			snprintf(at, sizeof(at), "exposition line %zu: ", c[i].line);
			if (T_OK(ret == RD_E_INVAL && strncmp(err.msg, at, strlen(at)) == 0 &&
				 strstr(err.msg, c[i].why), name) == 0)
				printf("#   ret %d, want '%s...%s', got '%s'\n", ret,
				       at, c[i].why, err.msg);
		}
		buf_release(&b);
	}
}

#define RUN(table) run_cases(#table, table, sizeof(table) / sizeof(table[0]))

/* prometheus/common expfmt/text_parse_test.go, testTextParse: the
 * scenarios, in order.  Scenario 3 and the gauge histograms (15-17) are
 * refused, by the scrape parser: scenario 3 for its signed timestamp and
 * for the blanks before its last sample's name, which the scrape makes
 * part of the name; it is read without both. */
static const struct pcase expfmt_ok[] = {
	{ "\n\n", 0, "", 0, NULL },
	{ "\nminimal_metric 1.234\nanother_metric -3e3 103948\n# Even that:\n"
	  "no_labels{} 3\n# HELP line for non-existing metric will be ignored.\n", 0,
	  "minimal_metric 1.234\nanother_metric -3000 103948\nno_labels 3\n", 0, NULL },
	{ "\n# A normal comment.\n#\n# TYPE name counter\n"
	  "name{labelname=\"val1\",basename=\"basevalue\"} NaN\n"
	  "name {labelname=\"val2\",basename=\"base\\\"v\\\\al\\nue\"} 0.23 1234567890\n"
	  "# HELP name two-line\\n doc  str\\\\ing\n\n"
	  " # HELP  name2  \tdoc str\"ing 2\n  #    TYPE    name2 gauge\n"
	  "name2{labelname=\"val2\"\t,basename   =   \"basevalue2\"\t\t} +Inf 54321\n"
	  "name2{ labelname = \"val1\" , }-Inf\n", 0,
	  "name{labelname=\"val1\",basename=\"basevalue\"} NaN\n"
	  "name{labelname=\"val2\",basename=\"base\\\"v\\\\al\\nue\"} 0.23 1234567890\n"
	  "name2{labelname=\"val2\",basename=\"basevalue2\"} +Inf 54321\n"
	  "name2{labelname=\"val1\"} -Inf\n", 0, NULL },
	{ "\n# TYPE my_summary summary\nmy_summary{n1=\"val1\",quantile=\"0.5\"} 110\n"
	  "decoy -1 -2\n", 0, NULL, 4, "expected a timestamp" },
	{ "\n# TYPE my_summary summary\nmy_summary{n1=\"val1\",quantile=\"0.5\"} 110\n"
	  "decoy -1 2\nmy_summary{n1=\"val1\",quantile=\"0.9\"} 140 1\n"
	  "my_summary_count{n1=\"val1\"} 42\n# Latest timestamp wins in case of a summary.\n"
	  "my_summary_sum{n1=\"val1\"} 4711 2\nfake_sum{n1=\"val1\"} 2001\n"
	  "# TYPE another_summary summary\n"
	  "another_summary_count{n2=\"val2\",n1=\"val1\"} 20\n"
	  "my_summary_count{n2=\"val2\",n1=\"val1\"} 5 5\n"
	  "another_summary{n1=\"val1\",n2=\"val2\",quantile=\".3\"} -1.2\n"
	  "my_summary_sum{n1=\"val2\"} 08 15\n"
	  "my_summary{n1=\"val3\", quantile=\"0.2\"} 4711\n"
	  "my_summary{n1=\"val1\",n2=\"val2\",quantile=\"-12.34\",} NaN\n"
	  "# some\n# funny comments\n# HELP\n# HELP\n# HELP my_summary\n# HELP my_summary\n", 0,
	  "my_summary{n1=\"val1\",quantile=\"0.5\"} 110\ndecoy -1 2\n"
	  "my_summary{n1=\"val1\",quantile=\"0.9\"} 140 1\nmy_summary_count{n1=\"val1\"} 42\n"
	  "my_summary_sum{n1=\"val1\"} 4711 2\nfake_sum{n1=\"val1\"} 2001\n"
	  "another_summary_count{n2=\"val2\",n1=\"val1\"} 20\n"
	  "my_summary_count{n2=\"val2\",n1=\"val1\"} 5 5\n"
	  "another_summary{n1=\"val1\",n2=\"val2\",quantile=\".3\"} -1.2\n"
	  "my_summary_sum{n1=\"val2\"} 8 15\nmy_summary{n1=\"val3\",quantile=\"0.2\"} 4711\n"
	  "my_summary{n1=\"val1\",n2=\"val2\",quantile=\"-12.34\"} NaN\n", 0, NULL },
	{ "\n# HELP request_duration_microseconds The response latency.\n"
	  "# TYPE request_duration_microseconds histogram\n"
	  "request_duration_microseconds_bucket{le=\"100\"} 123\n"
	  "request_duration_microseconds_bucket{le=\"120\"} 412\n"
	  "request_duration_microseconds_bucket{le=\"144\"} 592\n"
	  "request_duration_microseconds_bucket{le=\"172.8\"} 1524\n"
	  "request_duration_microseconds_bucket{le=\"+Inf\"} 2693\n"
	  "request_duration_microseconds_sum 1.7560473e+06\n"
	  "request_duration_microseconds_count 2693\n", 0,
	  "request_duration_microseconds_bucket{le=\"100\"} 123\n"
	  "request_duration_microseconds_bucket{le=\"120\"} 412\n"
	  "request_duration_microseconds_bucket{le=\"144\"} 592\n"
	  "request_duration_microseconds_bucket{le=\"172.8\"} 1524\n"
	  "request_duration_microseconds_bucket{le=\"+Inf\"} 2693\n"
	  "request_duration_microseconds_sum 1756047.3\n"
	  "request_duration_microseconds_count 2693\n", 0, NULL },
	{ "\n# HELP \"my.noncompliant.metric\" help text\n"
	  "# TYPE \"my.noncompliant.metric\" counter\n"
	  "{\"my.noncompliant.metric\",\"label.name\"=\"value\"} 1\n", 0,
	  "my.noncompliant.metric{label.name=\"value\"} 1\n", 0, NULL },
	{ "\n# HELP \"name.with.dots\" boring help\n# TYPE \"name.with.dots\" counter\n"
	  "{\"name.with.dots\",labelname=\"val1\",basename=\"basevalue\"} 42.0\n"
	  "{\"name.with.dots\",labelname=\"val2\",basename=\"basevalue\"} 0.23 1234567890\n", 0,
	  "name.with.dots{labelname=\"val1\",basename=\"basevalue\"} 42\n"
	  "name.with.dots{labelname=\"val2\",basename=\"basevalue\"} 0.23 1234567890\n", 0, NULL },
	{ "\n\t\t\t\t# HELP \"name.with.dots\" boring help\n"
	  "\t\t\t\t# TYPE \"name.with.dots\" counter\n"
	  "\t\t\t\t{\"name.with.dots\"} 42.0\n"
	  "\t\t\t\t{\"name.with.dots\"} 0.23 1234567890\n\t\t\t\t", 0,
	  "name.with.dots 42\nname.with.dots 0.23 1234567890\n", 0, NULL },
	{ "# HELP \"gauge.name\" gauge\\ndoc\\nstr\\\"ing\n# TYPE \"gauge.name\" gauge\n"
	  "{\"gauge.name\",\"name.1\"=\"val with\\nnew line\",\"name*2\"=\"val with "
	  "\\\\backslash and \\\"quotes\\\"\"} +Inf\n"
	  "{\"gauge.name\",\"name.1\"=\"Bj\xc3\xb6rn\",\"name*2\"=\"\xe4\xbd\x96\xe4\xbd\xa5\"} 3.14e+42\n", 0,
	  "gauge.name{name.1=\"val with\\nnew line\",name*2=\"val with \\\\backslash and "
	  "\\\"quotes\\\"\"} +Inf\n"
	  "gauge.name{name.1=\"Bj\xc3\xb6rn\",name*2=\"\xe4\xbd\x96\xe4\xbd\xa5\"} 3.14e+42\n", 0, NULL },
	{ "\n# HELP \"my\\\"noncompliant\\nmetric\\\\\" help text\n"
	  "# TYPE \"my\\\"noncompliant\\nmetric\\\\\" counter\n"
	  "{\"my\\\"noncompliant\\nmetric\\\\\",\"label\\\"name\\n\"=\"value\"} 1\n", 0,
	  "my\\\"noncompliant\\nmetric\\\\{label\\\"name\\n=\"value\"} 1\n", 0, NULL },
	{ "\n# HELP \"my.noncompliant.metric\" help text\n"
	  "# TYPE \"my.noncompliant.metric\" counter\n"
	  "{labelname=\"value\", \"my.noncompliant.metric\"} 1\n", 0,
	  "my.noncompliant.metric{labelname=\"value\"} 1\n", 0, NULL },
	{ "\n{\"name.1\"} 1\n{\"name.2\"} 1\n{\"name.3\"} 1\n", 0,
	  "name.1 1\nname.2 1\nname.3 1\n", 0, NULL },
	{ "\n# HELP request_duration_microseconds The response latency.\n"
	  "# TYPE request_duration_microseconds histogram\n"
	  "request_duration_microseconds_bucket{le=\"100\"} 123.5\n"
	  "request_duration_microseconds_bucket{le=\"120\"} 412.6\n"
	  "request_duration_microseconds_bucket{le=\"144\"} 592.7\n"
	  "request_duration_microseconds_bucket{le=\"172.8\"} 1524.8\n"
	  "request_duration_microseconds_bucket{le=\"+Inf\"} 2693.9\n"
	  "request_duration_microseconds_sum 1.7560473e+06\n"
	  "request_duration_microseconds_count 2693.9\n", 0,
	  "request_duration_microseconds_bucket{le=\"100\"} 123.5\n"
	  "request_duration_microseconds_bucket{le=\"120\"} 412.6\n"
	  "request_duration_microseconds_bucket{le=\"144\"} 592.7\n"
	  "request_duration_microseconds_bucket{le=\"172.8\"} 1524.8\n"
	  "request_duration_microseconds_bucket{le=\"+Inf\"} 2693.9\n"
	  "request_duration_microseconds_sum 1756047.3\n"
	  "request_duration_microseconds_count 2693.9\n", 0, NULL },
	{ "\n# HELP request_duration_microseconds The response latency.\n"
	  "# TYPE request_duration_microseconds histogram\n"
	  "request_duration_microseconds_bucket{le=\"100\"} 123\n"
	  "request_duration_microseconds_bucket{le=\"120\"} 412\n"
	  "request_duration_microseconds_bucket{le=\"144\"} 592\n"
	  "request_duration_microseconds_bucket{le=\"172.8\"} 1524\n"
	  "request_duration_microseconds_sum 1.7560473e+06\n"
	  "request_duration_microseconds_count 2693.9\n", 0,
	  "request_duration_microseconds_bucket{le=\"100\"} 123\n"
	  "request_duration_microseconds_bucket{le=\"120\"} 412\n"
	  "request_duration_microseconds_bucket{le=\"144\"} 592\n"
	  "request_duration_microseconds_bucket{le=\"172.8\"} 1524\n"
	  "request_duration_microseconds_sum 1756047.3\n"
	  "request_duration_microseconds_count 2693.9\n", 0, NULL },
	{ "\n# HELP request_duration_microseconds The response latency.\n"
	  "# TYPE request_duration_microseconds histogram\n"
	  "request_duration_microseconds_bucket{le=\"100\"} 123\n"
	  "request_duration_microseconds_bucket{le=\"120\"} 412\n"
	  "request_duration_microseconds_bucket{le=\"144\"} 592\n"
	  "request_duration_microseconds_bucket{le=\"172.8\"} 1524.8\n"
	  "request_duration_microseconds_bucket{le=\"+Inf\"} 2693\n"
	  "request_duration_microseconds_sum 1.7560473e+06\n"
	  "request_duration_microseconds_count 2693\n", 0,
	  "request_duration_microseconds_bucket{le=\"100\"} 123\n"
	  "request_duration_microseconds_bucket{le=\"120\"} 412\n"
	  "request_duration_microseconds_bucket{le=\"144\"} 592\n"
	  "request_duration_microseconds_bucket{le=\"172.8\"} 1524.8\n"
	  "request_duration_microseconds_bucket{le=\"+Inf\"} 2693\n"
	  "request_duration_microseconds_sum 1756047.3\n"
	  "request_duration_microseconds_count 2693\n", 0, NULL },
	{ "\n# HELP request_duration_microseconds The response latency.\n"
	  "# TYPE request_duration_microseconds gaugehistogram\n"
	  "request_duration_microseconds_bucket{le=\"100\"} 123\n", 0, NULL, 3,
	  "expected one blank and then counter" },
	{ "\n# HELP request_duration_microseconds The response latency.\n"
	  "# TYPE request_duration_microseconds gauge_histogram\n"
	  "request_duration_microseconds_bucket{le=\"100\"} 123\n", 0, NULL, 3,
	  "expected one blank and then counter" },
};

/* prometheus/common expfmt/text_parse_test.go, testTextParseError: every
 * scenario, in order (41 and 42 are errors only under the legacy name
 * rules; Prometheus reads UTF-8 names). */
static const struct pcase expfmt_bad[] = {
	{ "\nbla 3.14\nblubber 42", 0, NULL, 3, "does not end in a newline" },
	{ "metric{label=\"\\t\"} 3.14", 0, NULL, 1, "invalid escape sequence" },
	{ "\nmetric{label=\"new\nline\"} 3.14\n", 0, NULL, 2, "unterminated quoted string" },
	{ "metric{@=\"bla\"} 3.14", 0, NULL, 1, "expected a label name" },
	{ "metric{__name__=\"bla\"} 3.14", 0, NULL, 1, "\"__name__\" is reserved" },
	{ "metric{label+=\"bla\"} 3.14", 0, NULL, 1, "expected '=' after a label name" },
	{ "metric{label=bla} 3.14", 0, NULL, 1, "expected '\"' to open a label value" },
	{ "\n# TYPE metric summary\nmetric{quantile=\"bla\"} 3.14\n", 0, NULL, 3,
	  "expected a float as the quantile label" },
	{ "metric{label=\"bla\"+} 3.14", 0, NULL, 1, "expected ',' or '}'" },
	{ "metric{label=\"bla\"} 3.14 2.72\n", 0, NULL, 1, "expected a timestamp" },
	{ "metric{label=\"bla\"} 3.14 2 3\n", 0, NULL, 1, "text after the timestamp" },
	{ "metric{label=\"bla\"} blubb\n", 0, NULL, 1, "expected a float as value" },
	{ "\n# HELP metric one\n# HELP metric two\n", 0, NULL, 3, "a second HELP line" },
	{ "\n# TYPE metric counter\n# TYPE metric untyped\n", 0, NULL, 3,
	  "a second TYPE line for \"metric\", or a TYPE after its samples" },
	{ "\nmetric 4.12\n# TYPE metric counter\n", 0, NULL, 3,
	  "a second TYPE line for \"metric\", or a TYPE after its samples" },
	{ "\n# TYPE metric bla\n", 0, NULL, 2, "expected one blank and then counter" },
	{ "\n# TYPE met-ric\n", 0, NULL, 2, "invalid metric name in a comment" },
	{ "@invalidmetric{label=\"bla\"} 3.14 2", 0, NULL, 1, "expected a metric name" },
	{ "{label=\"bla\"} 3.14 2", 0, NULL, 1, "no metric name" },
	{ "\n# TYPE metric histogram\nmetric_bucket{le=\"bla\"} 3.14\n", 0, NULL, 3,
	  "expected a float as the le label" },
	{ "metric{l=\"\xbd\"} 3.14\n", 0, NULL, 1, "not valid UTF-8" },
	{ "foo 1_2\n", 0, NULL, 1, "expected a float as value" },
	{ "foo 0x1p-3\n", 0, NULL, 1, "expected a float as value, got \"0x1p-3\"" },
	{ "foo 0x1P-3\n", 0, NULL, 1, "expected a float as value" },
	{ "foo 0B1\n", 0, NULL, 1, "expected a float as value" },
	{ "foo 0O1\n", 0, NULL, 1, "expected a float as value" },
	{ "foo 0X1\n", 0, NULL, 1, "expected a float as value" },
	{ "foo 0x1\n", 0, NULL, 1, "expected a float as value" },
	{ "foo 0b1\n", 0, NULL, 1, "expected a float as value" },
	{ "foo 0o1\n", 0, NULL, 1, "expected a float as value" },
	{ "foo 0x1\n", 0, NULL, 1, "expected a float as value" },
	{ "foo 0x1\n", 0, NULL, 1, "expected a float as value" },
	{ "\n# TYPE metric histogram\nmetric_bucket{le=\"0x1p-3\"} 3.14\n", 0, NULL, 3,
	  "expected a float as the le label" },
	{ "\n# TYPE metric summary\nmetric{quantile=\"0x1p-3\"} 3.14\n", 0, NULL, 3,
	  "expected a float as the quantile label" },
	{ "metric{label=\"bla\",label=\"bla\"} 3.14", 0, NULL, 1, "label \"label\" appears twice" },
	{ "{\"one.name\",\"another.name\"} 3.14", 0, NULL, 1, "a second metric name" },
	{ "{\"a\\xc5z\",label=\"bla\"} 3.14", 0, NULL, 1, "invalid escape sequence" },
	{ "{\"metric.name\".label=\"bla\"} 3.14", 0, NULL, 1, "expected '=' after a label name" },
	{ "\n# TYPE \"metric.name\\t\" counter\n{\"metric.name\\t\",label=\"bla\"} 3.14\n", 0,
	  NULL, 2, "invalid escape sequence" },
	{ "\n# TYPE \"metric\nname\" counter\n{\"metric\nname\",label=\"bla\"} 3.14\n", 0,
	  NULL, 2, "unterminated quoted string" },
	{ "\n{\"metric.name\",\"new\nline\"=\"bla\"} 3.14\n", 0, NULL, 2,
	  "unterminated quoted string" },
	{ "{\"metric.name\",foo=\"bla\"} 3.14\n", 0,
	  "metric.name{foo=\"bla\"} 3.14\n", 0, NULL },
	{ "metric_name{\"foo\"=\"bar\", \"dotted.label\"=\"bla\"} 3.14\n", 0,
	  "metric_name{foo=\"bar\",dotted.label=\"bla\"} 3.14\n", 0, NULL },
	{ "\n# HELP request_duration_microseconds The response latency.\n"
	  "# TYPE request_duration_microseconds histogram\n"
	  "request_duration_microseconds_bucket{le=\"100\"} 123\n"
	  "request_duration_microseconds_bucket{le=\"120\"} 412\n"
	  "request_duration_microseconds_bucket{le=\"144\"} 592\n"
	  "request_duration_microseconds_bucket{le=\"172.8\"} 1524\n"
	  "request_duration_microseconds_bucket{le=\"+Inf\"} 2693\n"
	  "request_duration_microseconds_sum 1.7560473e+06\n"
	  "request_duration_microseconds_count -2693\n", 0, NULL, 10,
	  "negative count for histogram \"request_duration_microseconds\"" },
	{ "\n# HELP request_duration_microseconds The response latency.\n"
	  "# TYPE request_duration_microseconds histogram\n"
	  "request_duration_microseconds_bucket{le=\"100\"} 123\n"
	  "request_duration_microseconds_bucket{le=\"120\"} -412\n", 0, NULL, 5,
	  "negative bucket population for histogram \"request_duration_microseconds\"" },
	{ "\n# HELP request_duration_microseconds The response latency.\n"
	  "# TYPE request_duration_microseconds histogram\n"
	  "request_duration_microseconds_bucket{le=\"+Inf\"} 2693\n"
	  "request_duration_microseconds_sum 1.7560473e+06\n"
	  "request_duration_microseconds_count -2693.123\n", 0, NULL, 6,
	  "negative count for histogram" },
	{ "\n# HELP request_duration_microseconds The response latency.\n"
	  "# TYPE request_duration_microseconds histogram\n"
	  "request_duration_microseconds_bucket{le=\"100\"} 123\n"
	  "request_duration_microseconds_bucket{le=\"120\"} -412.456\n", 0, NULL, 5,
	  "negative bucket population for histogram" },
	{ "{} 3.14", 0, NULL, 1, "no metric name" },
};

/* prometheus/prometheus model/textparse/promparse_test.go, TestPromParse:
 * its input is refused as a whole, by the client parser, at line 26 (no
 * comma between two labels) and at its last line (no final newline); read
 * without that line and with the newline, it gives these samples. */
#define PROM_HEAD \
	"# HELP go_gc_duration_seconds A summary of the GC invocation durations.\n" \
	"# \tTYPE go_gc_duration_seconds summary\n" \
	"go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05\n" \
	"go_gc_duration_seconds{quantile=\"0.25\",} 7.424100000000001e-05\n" \
	"go_gc_duration_seconds{quantile=\"0.5\",a=\"b\"} 8.3835e-05\n" \
	"go_gc_duration_seconds{quantile=\"0.8\", a=\"b\"} 8.3835e-05\n" \
	"go_gc_duration_seconds{ quantile=\"0.9\", a=\"b\"} 8.3835e-05\n" \
	"# HELP prometheus_http_request_duration_seconds Histogram of latencies for HTTP requests.\n" \
	"# TYPE prometheus_http_request_duration_seconds histogram\n" \
	"prometheus_http_request_duration_seconds_bucket{handler=\"/\",le=\"1\"} 423\n" \
	"prometheus_http_request_duration_seconds_bucket{handler=\"/\",le=\"2\"} 1423\n" \
	"prometheus_http_request_duration_seconds_bucket{handler=\"/\",le=\"+Inf\"} 1423\n" \
	"prometheus_http_request_duration_seconds_sum{handler=\"/\"} 2000\n" \
	"prometheus_http_request_duration_seconds_count{handler=\"/\"} 1423\n" \
	"# Hrandom comment starting with prefix of HELP\n" \
	"#\n" \
	"wind_speed{A=\"2\",c=\"3\"} 12345\n" \
	"# comment with escaped \\n newline\n" \
	"# comment with escaped \\ escape character\n" \
	"# HELP nohelp1\n" \
	"# HELP nohelp2 \n" \
	"go_gc_duration_seconds{ quantile=\"1.0\", a=\"b\" } 8.3835e-05\n" \
	"go_gc_duration_seconds { quantile=\"1.0\", a=\"b\" } 8.3835e-05\n" \
	"go_gc_duration_seconds { quantile= \"1.0\", a= \"b\", } 8.3835e-05\n" \
	"go_gc_duration_seconds { quantile = \"1.0\", a = \"b\" } 8.3835e-05\n"
#define PROM_NOCOMMA \
	"go_gc_duration_seconds { quantile = \"2.0\" a = \"b\" } 8.3835e-05\n"
#define PROM_TAIL \
	"go_gc_duration_seconds_count 99\n" \
	"some:aggregate:rate5m{a_b=\"c\"}\t1\n" \
	"# HELP go_goroutines Number of goroutines that currently exist.\n" \
	"# TYPE go_goroutines gauge\n" \
	"go_goroutines 33  \t123123\n" \
	"# TYPE some_counter_total counter\n" \
	"# HELP some_counter_total Help after type.\n" \
	"some_counter_total 12\n" \
	"# HELP nohelp3\n" \
	"_metric_starting_with_underscore 1\n" \
	"testmetric{_label_starting_with_underscore=\"foo\"} 1\n" \
	"testmetric{label=\"\\\"bar\\\"\"} 1\n" \
	"testmetric{le=\"10\"} 1\n" \
	"# HELP type_and_unit_test1 Type specified in metadata overrides.\n" \
	"# TYPE type_and_unit_test1 gauge\n" \
	"type_and_unit_test1{__type__=\"counter\"} 123\n" \
	"# HELP type_and_unit_test2 Type specified in label.\n" \
	"type_and_unit_test2{__type__=\"counter\"} 123\n" \
	"# HELP metric foo\0bar\n" \
	"null_byte_metric{a=\"abc\0\"} 1"

static const struct pcase promparse_ok[] = {
	{ BIN(PROM_HEAD PROM_NOCOMMA PROM_TAIL), NULL, 26, "expected ',' or '}'" },
	{ BIN(PROM_HEAD PROM_TAIL), NULL, 45, "does not end in a newline" },
	{ BIN(PROM_HEAD PROM_TAIL "\n"),
	  "go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05\n"
	  "go_gc_duration_seconds{quantile=\"0.25\"} 7.424100000000001e-05\n"
	  "go_gc_duration_seconds{quantile=\"0.5\",a=\"b\"} 8.3835e-05\n"
	  "go_gc_duration_seconds{quantile=\"0.8\",a=\"b\"} 8.3835e-05\n"
	  "go_gc_duration_seconds{quantile=\"0.9\",a=\"b\"} 8.3835e-05\n"
	  "prometheus_http_request_duration_seconds_bucket{handler=\"/\",le=\"1\"} 423\n"
	  "prometheus_http_request_duration_seconds_bucket{handler=\"/\",le=\"2\"} 1423\n"
	  "prometheus_http_request_duration_seconds_bucket{handler=\"/\",le=\"+Inf\"} 1423\n"
	  "prometheus_http_request_duration_seconds_sum{handler=\"/\"} 2000\n"
	  "prometheus_http_request_duration_seconds_count{handler=\"/\"} 1423\n"
	  "wind_speed{A=\"2\",c=\"3\"} 12345\n"
	  "go_gc_duration_seconds{quantile=\"1.0\",a=\"b\"} 8.3835e-05\n"
	  "go_gc_duration_seconds{quantile=\"1.0\",a=\"b\"} 8.3835e-05\n"
	  "go_gc_duration_seconds{quantile=\"1.0\",a=\"b\"} 8.3835e-05\n"
	  "go_gc_duration_seconds{quantile=\"1.0\",a=\"b\"} 8.3835e-05\n"
	  "go_gc_duration_seconds_count 99\n"
	  "some:aggregate:rate5m{a_b=\"c\"} 1\n"
	  "go_goroutines 33 123123\n"
	  "some_counter_total 12\n"
	  "_metric_starting_with_underscore 1\n"
	  "testmetric{_label_starting_with_underscore=\"foo\"} 1\n"
	  "testmetric{label=\"\\\"bar\\\"\"} 1\n"
	  "testmetric{le=\"10\"} 1\n"
	  "type_and_unit_test1{__type__=\"counter\"} 123\n"
	  "type_and_unit_test2{__type__=\"counter\"} 123\n"
	  "null_byte_metric{a=\"abc\\x00\"} 1\n", 0, NULL },
};

/* promparse_test.go, TestUTF8PromParse: refused for want of a final
 * newline (client parser); read with one. */
#define UTF8_PAGE \
	"# HELP \"go.gc_duration_seconds\" A summary of the GC invocation durations.\n" \
	"# \tTYPE \"go.gc_duration_seconds\" summary\n" \
	"{\"go.gc_duration_seconds\",quantile=\"0\"} 4.9351e-05\n" \
	"{\"go.gc_duration_seconds\",quantile=\"0.25\",} 7.424100000000001e-05\n" \
	"{\"go.gc_duration_seconds\",quantile=\"0.5\",a=\"b\"} 8.3835e-05\n" \
	"{\"go.gc_duration_seconds\",quantile=\"0.8\", a=\"b\"} 8.3835e-05\n" \
	"{\"go.gc_duration_seconds\", quantile=\"0.9\", a=\"b\"} 8.3835e-05\n" \
	"{\"go.gc_duration_seconds\", quantile=\"1.0\", a=\"b\" } 8.3835e-05\n" \
	"{ \"go.gc_duration_seconds\", quantile=\"1.0\", a=\"b\" } 8.3835e-05\n" \
	"{ \"go.gc_duration_seconds\", quantile= \"1.0\", a= \"b\", } 8.3835e-05\n" \
	"{ \"go.gc_duration_seconds\", quantile = \"1.0\", a = \"b\" } 8.3835e-05\n" \
	"{\"go.gc_duration_seconds_count\"} 99\n" \
	"{\"Heiz\xc3\xb6lr\xc3\xbc" "ckst" "o\xc3\x9f" "abd\xc3\xa4mpfung 10\xe2\x82\xac metric with " \
	"\\\"interesting\\\" {character\\nchoices}\",\"strange\xc2\xa9\xe2\x84\xa2\\n'quoted' " \
	"\\\"name\\\"\"=\"6\"} 10.0"

static const struct pcase promparse_utf8[] = {
	{ UTF8_PAGE, 0, NULL, 13, "does not end in a newline" },
	{ UTF8_PAGE "\n", 0,
	  "go.gc_duration_seconds{quantile=\"0\"} 4.9351e-05\n"
	  "go.gc_duration_seconds{quantile=\"0.25\"} 7.424100000000001e-05\n"
	  "go.gc_duration_seconds{quantile=\"0.5\",a=\"b\"} 8.3835e-05\n"
	  "go.gc_duration_seconds{quantile=\"0.8\",a=\"b\"} 8.3835e-05\n"
	  "go.gc_duration_seconds{quantile=\"0.9\",a=\"b\"} 8.3835e-05\n"
	  "go.gc_duration_seconds{quantile=\"1.0\",a=\"b\"} 8.3835e-05\n"
	  "go.gc_duration_seconds{quantile=\"1.0\",a=\"b\"} 8.3835e-05\n"
	  "go.gc_duration_seconds{quantile=\"1.0\",a=\"b\"} 8.3835e-05\n"
	  "go.gc_duration_seconds{quantile=\"1.0\",a=\"b\"} 8.3835e-05\n"
	  "go.gc_duration_seconds_count 99\n"
	  "Heiz\xc3\xb6lr\xc3\xbc" "ckst" "o\xc3\x9f" "abd\xc3\xa4mpfung 10\xe2\x82\xac metric with "
	  "\\\"interesting\\\" {character\\nchoices}{strange\xc2\xa9\xe2\x84\xa2\\n'quoted' "
	  "\\\"name\\\"=\"6\"} 10\n", 0, NULL },
};

/* promparse_test.go, TestPromParseErrors: every case, in order. */
static const struct pcase promparse_bad[] = {
	{ "a", 0, NULL, 1, "expected a value" },
	{ "a{b='c'} 1\n", 0, NULL, 1, "expected '\"' to open a label value" },
	{ "a{b=\n", 0, NULL, 1, "expected '\"' to open a label value" },
	{ "a{\xff=\"foo\"} 1\n", 0, NULL, 1, "expected a label name" },
	{ "a{b=\"\xff\"} 1\n", 0, NULL, 1, "not valid UTF-8" },
	{ "{\"a\", \"b = \"c\"}", 0, NULL, 1, "expected '=' after a label name" },
	{ "{\"a\",b\\nc=\"d\"} 1", 0, NULL, 1, "expected '=' after a label name" },
	{ "a true\n", 0, NULL, 1, "expected a float as value, got \"true\"" },
	{ "something_weird{problem=\"", 0, NULL, 1, "unterminated quoted string" },
	{ "empty_label_name{=\"\"} 0", 0, NULL, 1, "expected a label name" },
	{ "{A}0", 0, NULL, 1, "expected '=' after a label name" },
	{ "foo 1_2\n", 0, NULL, 1, "expected a float as value" },
	{ "foo 0x1p-3\n", 0, NULL, 1, "expected a float as value" },
	{ "foo 0x1P-3\n", 0, NULL, 1, "expected a float as value" },
	{ "foo 0 1_2\n", 0, NULL, 1, "expected a timestamp" },
	{ "{a=\"ok\"} 1", 0, NULL, 1, "no metric name" },
	{ "# TYPE #\n#EOF\n", 0, NULL, 1, "invalid metric name in a comment" },
	{ "# HELP #\n#EOF\n", 0, NULL, 1, "invalid metric name in a comment" },
};

/* promparse_test.go, TestPromNullByteHandling: every case, in order; the
 * first has no final newline (refused by the client parser), so it is
 * also read with one. */
static const struct pcase promparse_nul[] = {
	{ BIN("null_byte_metric{a=\"abc\0\"} 1"), NULL, 1, "does not end in a newline" },
	{ BIN("null_byte_metric{a=\"abc\0\"} 1\n"), "null_byte_metric{a=\"abc\\x00\"} 1\n", 0, NULL },
	{ BIN("a{b=\"\0ss\"} 1\n"), "a{b=\"\\x00ss\"} 1\n", 0, NULL },
	{ BIN("a{b=\"\0\"} 1\n"), "a{b=\"\\x00\"} 1\n", 0, NULL },
	{ BIN("a{b=\"\0\"} 1\n"), "a{b=\"\\x00\"} 1\n", 0, NULL },
	{ BIN("a{b=\0\"ssss\"} 1\n"), NULL, 1, "expected '\"' to open a label value" },
	{ BIN("a{b=\"\0"), NULL, 1, "unterminated quoted string" },
	{ BIN("a{b\0=\"hiih\"}\t1"), NULL, 1, "expected '=' after a label name" },
	{ BIN("a\0{b=\"ddd\"} 1"), NULL, 1, "expected a float as value" },
	{ BIN("a 0 1\0"), NULL, 1, "expected a timestamp" },
};

/* The examples of the issue that asked for this reader (each one failed
 * before it), and more edges of the grammar. */
static const struct pcase edges[] = {
	{ "name {a=\"b\"} 1\n", 0, "name{a=\"b\"} 1\n", 0, NULL },
	{ "name{ a = \"b\" } 1\n", 0, "name{a=\"b\"} 1\n", 0, NULL },
	{ "name\t{\ta\t=\t\"b\"\t,\t}\t1\t2\n", 0, "name{a=\"b\"} 1 2\n", 0, NULL },
	{ "foo 0x1p-3\n", 0, NULL, 1, "got \"0x1p-3\"" },
	{ BIN("ok 1\nfoo \0\n"), NULL, 2, "expected a float as value, got \"\\x00\"" },
	{ BIN("\0foo 1\n"), NULL, 1, "expected a metric name" },
	{ "  my_summary 1\n", 0, NULL, 1, "blanks before the metric name" },
	{ "\tmy_summary 1\n", 0, NULL, 1, "blanks before the metric name" },
	{ " {\"a\"} 1\n\t# TYPE b gauge\n", 0, "a 1\n", 0, NULL },
	{ "a+1\na.5\na-Inf\n", 0, "a 1\na 0.5\na -Inf\n", 0, NULL },
	{ "a 1 \n", 0, NULL, 1, "blanks after the value" },
	{ "a 1 2 \n", 0, NULL, 1, "text after the timestamp" },
	{ "a 1\r\n", 0, NULL, 1, "expected a float as value" },
	{ "a 1 -2\n", 0, NULL, 1, "expected a timestamp" },
	{ "a 1 +2\n", 0, NULL, 1, "expected a timestamp" },
	{ "a 1 9223372036854775807\n", 0, "a 1 9223372036854775807\n", 0, NULL },
	{ "a 1 9223372036854775808\n", 0, NULL, 1, "expected a timestamp" },
	{ "a 1e400\n", 0, NULL, 1, "expected a float as value" },
	{ "a 1e-400\n", 0, "a 0\n", 0, NULL },
	{ "a{b=\"\"} 1\n", 0, "a{b=\"\"} 1\n", 0, NULL },
	{ "a{b=\"c\",,} 1\n", 0, NULL, 1, "expected a label name" },
	{ "a{,} 1\n", 0, NULL, 1, "expected a label name" },
	{ "a{} \n", 0, NULL, 1, "expected a value" },
	{ "\"a\" 1\n", 0, NULL, 1, "goes inside the braces" },
	{ "a{\"b\"} 1\n", 0, NULL, 1, "a second metric name" },
	{ "a{b\"c\"=\"d\"} 1\n", 0, NULL, 1, "expected '=' after a label name" },
	{ "a{\"\"=\"d\"} 1\n", 0, NULL, 1, "non-empty UTF-8" },
	{ "a{b=\"c\\\n", 0, NULL, 1, "unterminated quoted string" },
	{ "a{b=\"x\"} 1\nb 2\n  \n\t\n", 0, "a{b=\"x\"} 1\nb 2\n", 0, NULL },
	{ "a 1\n  \t", 0, "a 1\n", 0, NULL },
	{ "a 1\n#", 0, NULL, 2, "does not end in a newline" },
	{ "#HELP a x\\t\n", 0, NULL, 1, "invalid escape sequence in the HELP text" },
	{ "# HELP a x\\\n", 0, NULL, 1, "invalid escape sequence in the HELP text" },
	{ "# HELP a \xff\n", 0, NULL, 1, "HELP text is not valid UTF-8" },
	{ "#HELP a \xff\n", 0, "", 0, NULL },
	{ "# HELP \n", 0, NULL, 1, "expected a metric name after HELP" },
	{ "#HELP \n# HELP\n#  TYPE\n# HELPER a b\n", 0, "", 0, NULL },
	{ "# TYPE a\n", 0, NULL, 1, "expected one blank and then counter" },
	{ "# TYPE a  counter\n", 0, NULL, 1, "expected one blank and then counter" },
	{ "# TYPE a counter \n", 0, NULL, 1, "expected one blank and then counter" },
	{ "# TYPE a COUNTER\n", 0, NULL, 1, "expected one blank and then counter" },
	{ "# TYPE a\tcounter\na 1\n", 0, "a 1\n", 0, NULL },
	{ "#TYPE a COUNTER\na 1\n", 0, "a 1\n", 0, NULL },
	{ "#TYPE a bogus\n", 0, NULL, 1, "unknown metric type \"bogus\"" },
	{ "#TYPE a counter\n# TYPE a counter\n", 0, NULL, 2, "a second TYPE line" },
	{ "# HELP a{b} x\n", 0, NULL, 1, "invalid metric name in a comment" },
	{ "# TYPE a_count counter\n# TYPE a summary\na_count 1\n", 0, "a_count 1\n", 0, NULL },
	{ "# TYPE a summary\n# TYPE a_count counter\n", 0, NULL, 2, "a second TYPE line for \"a_count\"" },
	{ "# TYPE h histogram\nh{le=\"x\"} 1\n", 0, NULL, 2, "expected a float as the le label" },
	{ "# TYPE h histogram\nh_sum{le=\"1\"} -1\nh_bucket{le=\"NaN\"} -1\nh_bucket -1\n", 0,
	  "h_sum{le=\"1\"} -1\nh_bucket{le=\"NaN\"} -1\nh_bucket -1\n", 0, NULL },
	{ "# TYPE h histogram\nh_count{le=\"1\"} -Inf\n", 0, NULL, 2, "negative count" },
	{ "# TYPE h histogram\nh{le=\"1\"} -0.5\n", 0, NULL, 2, "negative bucket population" },
	{ "# TYPE h histogram\nh_bucket{le=\"1\"} -0\n", 0, "h_bucket{le=\"1\"} -0\n", 0, NULL },
	{ "# TYPE s summary\ns_count{quantile=\"a\"} 1\n", 0, NULL, 2, "quantile label" },
	{ "# TYPE c counter\nc_bucket{le=\"a\"} 1\nc{quantile=\"b\"} 1\n", 0,
	  "c_bucket{le=\"a\"} 1\nc{quantile=\"b\"} 1\n", 0, NULL },
	{ "# TYPE h histogram\n{le=\"x\",\"h_bucket\"} 1\n", 0, NULL, 2, "le label" },
	{ "a{b=\"1\",c=\"2\",d=\"3\",e=\"4\",f=\"5\",g=\"6\",h=\"7\",i=\"8\",j=\"9\","
	  "k=\"10\",l=\"11\",m=\"12\",n=\"13\",o=\"14\",p=\"15\",q=\"16\",r=\"17\",b=\"18\"} 1\n",
	  0, NULL, 1, "label \"b\" appears twice" },
	{ "a{\"__name__\"=\"x\"} 1\n", 0, NULL, 1, "reserved" },
};

/* Go's strconv.ParseFloat as both parsers call it (parseFloat in
 * text_parse.go and promparse.go, which first refuse 'p', 'P' and '_'). */
static const struct {
	const char *in;
	int ok;
	double v;
} floats[] = {
	{ "1", 1, 1 }, { "-3e3", 1, -3000 }, { "1e3", 1, 1000 }, { ".5", 1, 0.5 },
	{ "5.", 1, 5 }, { "+1", 1, 1 }, { "+.5e-1", 1, 0.05 }, { "08", 1, 8 },
	{ "1E+3", 1, 1000 }, { "4.9351e-05", 1, 4.9351e-05 },
	{ "Inf", 1, INFINITY }, { "inf", 1, INFINITY }, { "+Inf", 1, INFINITY },
	{ "-Inf", 1, -INFINITY }, { "-iNF", 1, -INFINITY }, { "Infinity", 1, INFINITY },
	{ "-infinity", 1, -INFINITY }, { "1e-400", 1, 0 },
	{ "NaN", 1, NAN }, { "nan", 1, NAN }, { "NAN", 1, NAN },
	{ "+NaN", 0, 0 }, { "-nan", 0, 0 }, { "nan(1)", 0, 0 }, { "infin", 0, 0 },
	{ "infinityy", 0, 0 }, { "1_000", 0, 0 }, { "1_2", 0, 0 }, { "0x1p-3", 0, 0 },
	{ "0x1P-3", 0, 0 }, { "0x10", 0, 0 }, { "0X1", 0, 0 }, { "0b1", 0, 0 },
	{ "0B1", 0, 0 }, { "0o1", 0, 0 }, { "0O1", 0, 0 }, { "1e400", 0, 0 },
	{ "-1e400", 0, 0 }, { "", 0, 0 }, { ".", 0, 0 }, { "+", 0, 0 }, { "e1", 0, 0 },
	{ "1e", 0, 0 }, { "1e+", 0, 0 }, { " 1", 0, 0 }, { "1 ", 0, 0 }, { "1,5", 0, 0 },
	{ "--1", 0, 0 }, { "1.2.3", 0, 0 }, { "true", 0, 0 },
};

static void test_floats(void)
{
	char name[80];

	for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
		double v = 12345;
		int ok = expo_float(floats[i].in, strlen(floats[i].in), &v) == 0;

		snprintf(name, sizeof(name), "float '%s'", floats[i].in);
		if (!floats[i].ok) {
			T_EQ_INT(ok, 0, name);
			continue;
		}
		T_OK(ok && (isnan(floats[i].v) ? isnan(v) : v == floats[i].v), name);
	}
	/* a long one: Go's ParseFloat has no length limit */
	{
		char big[301];
		double v;

		memset(big, '0', sizeof(big));
		big[0] = '1';
		big[sizeof(big) - 1] = '\0';
		T_EQ_INT(expo_float(big, strlen(big), &v), 0, "float of 300 digits");
		T_OK(v == 1e299, "its value");
		big[0] = '.';
		T_OK(expo_float(big, strlen(big), &v) == 0 && v == 0, "and .000...0");
	}
}

static int count_type(void *arg, const struct expo_sample *s)
{
	enum expo_type *t = arg;

	*t = s->type;
	return 0;
}

static int stop_at_two(void *arg, const struct expo_sample *s)
{
	return s->line == 2 ? -7 : (*(int *)arg += 1, 0);
}

static void test_types(void)
{
	static const struct {
		const char *in;
		enum expo_type want;
	} c[] = {
		{ "# TYPE h histogram\nh_bucket{le=\"1\"} 1\n", EXPO_HISTOGRAM },
		{ "# TYPE s summary\ns_count 1\n", EXPO_SUMMARY },
		{ "# TYPE s counter\ns_count 1\n", EXPO_UNTYPED },
		{ "# TYPE c counter\nc 1\n", EXPO_COUNTER },
		{ "#TYPE g gaugehistogram\ng_sum 1\n", EXPO_HISTOGRAM },
		{ "#TYPE g Gauge_Histogram\ng_bucket{le=\"1\"} 1\n", EXPO_HISTOGRAM },
		{ "u 1\n", EXPO_UNTYPED },
	};
	struct rd_err err;
	int n = 0;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		enum expo_type t = (enum expo_type)-1;

		T_OK(expo_parse(c[i].in, strlen(c[i].in), count_type, &t, &err) == 0 &&
		     t == c[i].want, "the family type of a sample");
	}
	T_EQ_INT(expo_parse("a 1\nb 2\nc 3\n", 12, stop_at_two, &n, &err), -7,
		 "a callback's negative return stops the reading");
	T_EQ_INT(n, 1, "after the samples before it");
}

int main(void)
{
	RUN(expfmt_ok);
	RUN(expfmt_bad);
	RUN(promparse_ok);
	RUN(promparse_utf8);
	RUN(promparse_bad);
	RUN(promparse_nul);
	RUN(edges);
	test_floats();
	test_types();
	return t_done();
}
