/*
 * num.h - how redrive writes a number, in every output: the text line,
 * JSON, Prometheus text, Nagios perfdata, the HTML report, state files.
 *
 * The contract: a finite double is written as the shortest decimal that
 * strtod reads back to the same double (0.1+0.2 is 0.30000000000000004,
 * 1756047.3 is 1756047.3, never 1.75605e+06), and an integer as an
 * integer (3, not 3.0).  -0 is written "-0": it reads back as -0.  The
 * styles differ only in where an exponent may appear and in how NaN and
 * the infinities are spelled:
 *
 *   NUM_TEXT  people and general text.  Plain decimal for magnitudes in
 *             [1e-6, 1e21), an exponent outside it (1e+21, 5e-324),
 *             exactly as JavaScript and JSON.stringify write numbers.
 *             NaN and the infinities are "nan", "inf" and "-inf".
 *   NUM_JSON  NUM_TEXT, and null for NaN and the infinities: JSON has
 *             no spelling for them.
 *   NUM_PROM  NUM_TEXT, and NaN, +Inf, -Inf: the Prometheus text format.
 *   NUM_PERF  never an exponent (1e21 is 1 and 21 zeros, 5e-324 is 0.
 *             and 323 zeros and 5), as Nagios perfdata values must be in
 *             [-0-9.]; NaN and the infinities are U, "could not be
 *             determined".
 *
 * Display precision for people ("12.3ms", "1.83") is num_fixed: fixed
 * decimals, rounded as printf rounds, never "-0.0".
 *
 * Deliberately not here: parsing (strtod and the grammars of thr and json
 * do that), thousands separators, locales (the C locale is assumed: the
 * tools never call setlocale).
 */
#ifndef NUM_H
#define NUM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum num_style { NUM_TEXT, NUM_JSON, NUM_PROM, NUM_PERF };

/* A buffer of NUM_LEN bytes holds any double in any style, and
 * num_fixed's output with up to 20 decimals. */
#define NUM_LEN 400

/* Write v in style st into buf (n bytes, truncated like snprintf) and
 * return buf. */
const char *num_fmt(double v, enum num_style st, char *buf, size_t n);

/* Append v in style st to b. */
void num_add(struct buf *b, double v, enum num_style st);

/* v with exactly `decimals` decimals (0..20), for people: "12.3",
 * "0.00" (never "-0.00"); NaN and the infinities as NUM_TEXT spells them.
 * Returns buf. */
const char *num_fixed(double v, int decimals, char *buf, size_t n);

/* A size in bytes for people, in powers of 1024: "812 B", "1.4 KiB",
 * "63.9 MiB", "2.0 GiB".  Returns buf. */
const char *num_bytes(uint64_t v, char *buf, size_t n);

/*
 * v times 10^k, computed on v's shortest decimal, so the result is the
 * double nearest to the number that decimal names with its point moved:
 * num_scale10(0.07, 2) is 7 where 0.07 * 100 is 7.000000000000001.
 * For a change of unit (a share to a percentage, ms to seconds) whose
 * result is then compared and printed.  NaN, the infinities and zeros
 * are returned as they are.
 */
double num_scale10(double v, int k);

#endif
