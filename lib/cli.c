/*
 * cli.c - shared flags and the number, size, duration and rate parsers.
 * Strict: strto* with the end pointer, errno and range checked; no atoi.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compl.h"
#include "rec.h"
#include "redact.h"
#include "spool.h"
#include "xalloc.h"
#include "banned.h"

void cli_common_init(struct cli_common *c)
{
	memset(c, 0, sizeof(*c));
}

int cli_common_opt(struct cli_common *c, int opt, const char *arg)
{
	switch (opt) {
	case CLI_OPT_SPOOL: c->spool = arg; return 1;
	case CLI_OPT_TRUST_SPOOL: c->trust_spool = 1; return 1;
	case CLI_OPT_JSON: c->json = 1; return 1;
	case 'q': c->verbosity = -1; return 1;
	case 'v': if (c->verbosity >= 0) c->verbosity++; return 1;
	case 'h': c->help = 1; return 1;
	case 'V': c->version = 1; return 1;
	default: return 0;
	}
}

int cli_spool_location(const char *given, char *out, size_t n,
		       struct rd_err *err)
{
	const char *e;
	int k;

	if (given && *given)
		k = snprintf(out, n, "%s", given);
	else if ((e = getenv("RD_SPOOL")) && *e)
		k = snprintf(out, n, "%s", e);
	else if ((e = getenv("XDG_STATE_HOME")) && *e == '/')
		k = snprintf(out, n, "%s/redrive/spool", e);
	else if ((e = getenv("HOME")) && *e == '/')
		k = snprintf(out, n, "%s/.local/state/redrive/spool", e);
	else
		return rd_err_set(err, RD_E_INVAL,
				  "no spool location: give --spool or set RD_SPOOL");
	if (k < 0 || (size_t)k >= n)
		return rd_err_set(err, RD_E_INVAL, "spool path is too long");
	return 0;
}

void cli_spool_shown(const char *where, char *out, size_t n)
{
	if (strstr(where, "://"))
		redact_url_to(where, out, n);
	else
		snprintf(out, n, "%s", where);
}

int cli_spool_missing(const char *where)
{
	struct stat sb;

	return spool_is_dir(where) && stat(where, &sb) < 0 && errno == ENOENT;
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		  struct rd_err *err)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return rd_err_set(err, RD_E_INVAL, "'%s' is not a number",
				  s ? s : "");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return rd_err_set(err, RD_E_INVAL, "'%s' is not a number", s);
	if (v < min || v > max)
		return rd_err_set(err, RD_E_INVAL,
				  "'%s' is out of range (%llu to %llu)", s,
				  (unsigned long long)min,
				  (unsigned long long)max);
	*out = v;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *out, struct rd_err *err)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift && strcmp(end, "iB") == 0)
		end += 2;
	else if (strcmp(end, "B") == 0)
		end++;
	if (*end)
		goto bad;
	if (shift && v > (~0ULL >> shift))
		return rd_err_set(err, RD_E_INVAL, "size '%s' is too large", s);
	*out = (uint64_t)v << shift;
	return 0;
bad:
	return rd_err_set(err, RD_E_INVAL,
			  "'%s' is not a size (like 4096, 64K, 16MiB, 1G)",
			  s ? s : "");
}

/* A non-negative decimal with an optional fraction; *end after it. */
static int parse_real(const char *s, double *v, const char **end)
{
	char *e;

	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -1;
	errno = 0;
	*v = strtod(s, &e);
	if (errno || e == s || !isfinite(*v) || *v < 0)
		return -1;
	/* strtod accepts hex and exponents; durations do not. */
	for (const char *p = s; p < e; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return -1;
	*end = e;
	return 0;
}

int cli_parse_duration(const char *s, uint64_t *ms, struct rd_err *err)
{
	const char *end;
	double v, mult;

	if (parse_real(s, &v, &end) < 0)
		goto bad;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60000;
	else if (strcmp(end, "h") == 0)
		mult = 3600000;
	else
		goto bad;
	v *= mult;
	/* Past this, a deadline in nanoseconds from now overflows: it was
	 * taken as already past (--max-time 2600000h ended at once). */
	if (v > CLI_DURATION_MAX_MS)
		return rd_err_set(err, RD_E_INVAL,
				  "duration '%s' is too long (at most 100000h)", s);
	*ms = (uint64_t)llround(v);
	return 0;
bad:
	return rd_err_set(err, RD_E_INVAL,
			  "'%s' is not a duration (like 250ms, 5s, 2m, 1h)",
			  s ? s : "");
}

int cli_parse_rate(const char *s, double *per_sec, struct rd_err *err)
{
	const char *end;
	double v, div;

	if (parse_real(s, &v, &end) < 0)
		goto bad;
	if (*end == '\0' || strcmp(end, "/s") == 0)
		div = 1;
	else if (strcmp(end, "/m") == 0)
		div = 60;
	else if (strcmp(end, "/h") == 0)
		div = 3600;
	else
		goto bad;
	if (v <= 0)
		return rd_err_set(err, RD_E_INVAL, "rate '%s' must be above zero",
				  s);
	*per_sec = v / div;
	return 0;
bad:
	return rd_err_set(err, RD_E_INVAL,
			  "'%s' is not a rate (like 200/s, 50/m, 10/h)",
			  s ? s : "");
}

int cli_help_version(const struct cli_common *c, const char *prog,
		     const char *usage)
{
	if (c->help)
		fputs(usage, stdout);
	else if (c->version)
		printf("%s %s\n", prog, RD_VERSION);
	else
		return 0;
	return fflush(stdout) == 0 ? 1 : RD_E_IO;
}

void cli_list_add(const char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

/* 1 when getopt stopped inside the bundle av ("-Zq" at 'Z'): optind has
 * not moved past it yet, and the option is not its last letter. */
static int mid_bundle(const char *av, int opt)
{
	const char *p;

	if (!av || av[0] != '-' || av[1] == '-' || opt <= 0 || opt >= 0x100)
		return 0;
	p = strchr(av + 1, opt);
	return p && p[1] != '\0';
}

int cli_extra_arg(int argc, char *const argv[], int optind, const char *more,
		  struct rd_err *err)
{
	char shown[512];

	if (optind >= argc)
		return 0;
	if (strstr(argv[optind], "://"))
		return rd_err_set(err, RD_E_INVAL, "unexpected argument '%s'%s",
				  redact_url_to(argv[optind], shown, sizeof(shown)), more);
	/* (no place either: getopt has moved the arguments past the
	 * options, so optind is not where it was typed) */
	return rd_err_set(err, RD_E_INVAL,
			  "an argument too many%s (not shown: it may be a credential; quote a -H value with a blank)",
			  more);
}

int cli_opt_bad(struct rd_err *err, const char *opt, const struct rd_err *why)
{
	return rd_err_set(err, RD_E_INVAL, "%s: %s", opt, why->msg);
}

const char *cli_opt_error(int c, char *const argv[], char *buf, size_t n)
{
	const char *prev = optind > 0 ? argv[optind - 1] : "";
	char name[64];

	if (mid_bundle(argv[optind], optopt) ||
	    (optopt > 0 && optopt < 0x100 && strncmp(prev, "--", 2) != 0)) {
		snprintf(name, sizeof(name), "-%c", optopt);
	} else {
		/* A long option: its name as typed, without any "=value". */
		size_t len = strcspn(prev, "=");

		snprintf(name, sizeof(name), "%.*s", (int)len, prev);
	}
	if (c == ':')
		snprintf(buf, n, "option '%s' needs a value", name);
	else if (optopt != 0 && strchr(prev, '=') && strncmp(prev, "--", 2) == 0 &&
		 !mid_bundle(argv[optind], optopt))
		snprintf(buf, n, "option '%s' takes no value", name);
	else
		snprintf(buf, n, "unknown option '%s'", name);
	return buf;
}

int cli_long_exact(const struct option *longs, int idx, char *const argv[])
{
	const struct option *o = &longs[idx];
	/* the option's own word: before its separate value, if it took one */
	const char *w = o->has_arg == required_argument && optind >= 2 &&
			optarg == argv[optind - 1] ? argv[optind - 2] :
			argv[optind - 1];
	size_t n = strlen(o->name);

	return strncmp(w, "--", 2) == 0 && strncmp(w + 2, o->name, n) == 0 &&
	       (w[2 + n] == '\0' || w[2 + n] == '=');
}

int cli_completion(const struct compl_tool *t, int argc, char *const argv[])
{
	struct rd_err err;
	struct buf b;
	size_t done;
	int ret;

	if (argc < 2 || strcmp(argv[1], "--" COMPL_OPTION) != 0)
		return -1;
	buf_init(&b);
	ret = compl_write(t, argc - 2, argv + 2, &b, &err);
	if (ret == 0 && b.len && buf_write_fd(&b, STDOUT_FILENO, &done) < 0)
		ret = RD_E_IO;
	buf_release(&b);
	return ret < 0 ? RD_EXIT_ERROR : RD_EXIT_OK;
}

int cli_http_url(const char *opt, const char *u, struct rd_err *err)
{
	char shown[512];

	if ((strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) &&
	    rec_url_valid(u, strlen(u)))
		return 0;
	return rd_err_set(err, RD_E_INVAL, "%s: '%s' is not an http or https URL",
			  opt, redact_url_to(u, shown, sizeof(shown)));
}

int cli_listen_addr(const char *opt, const char *spec, struct rd_err *err)
{
	const char *colon = strrchr(spec, ':'), *rb, *p;
	unsigned long port = 0;

	if (spec[0] == '[') {
		if (!(rb = strchr(spec, ']')))
			goto v6;
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else if (colon && memchr(spec, ':', (size_t)(colon - spec))) {
		goto v6;
	}
	if (!colon || colon[1] == '\0')
		return rd_err_set(err, RD_E_INVAL,
				  "%s: '%s' is not ADDR:PORT (such as 127.0.0.1:8080 or [::1]:8080)",
				  opt, spec);
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || (port = port * 10 + (unsigned long)(*p - '0')) > 65535)
			return rd_err_set(err, RD_E_INVAL,
					  "%s: '%s': the port is not a number from 0 to 65535",
					  opt, spec);
	}
	return 0;
v6:
	return rd_err_set(err, RD_E_INVAL,
			  "%s: '%s': an IPv6 address goes in brackets, as in [::1]:8080",
			  opt, spec);
}
