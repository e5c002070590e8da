/* Unit tests for lib/cli: the size, duration, rate and number parsers. */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "t.h"

struct u64case {
	const char *in;
	int ok;
	uint64_t want;
};

/* Each argv is parsed until getopt's first error, whose message must
 * name the option as the user typed it. */
static const struct opterr_case {
	const char *argv[4];
	const char *want;
} opterrs[] = {
	{ { "--json", "-Zq" }, "unknown option '-Z'" },
	{ { "-qZ" }, "unknown option '-Z'" },
	{ { "-Z" }, "unknown option '-Z'" },
	{ { "--bogus" }, "unknown option '--bogus'" },
	{ { "--bogus=secret" }, "unknown option '--bogus'" },
	{ { "--quiet=x" }, "option '--quiet' takes no value" },
	{ { "--rate=5", "-Zq" }, "unknown option '-Z'" },
	{ { "--rate" }, "option '--rate' needs a value" },
	{ { "-q", "-r" }, "option '-r' needs a value" },
	{ { "-qr" }, "option '-r' needs a value" },
};

static void test_opt_error(void)
{
	static const struct option longs[] = {
		{ "json", no_argument, NULL, 0x1000 },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "rate", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};

	opterr = 0;
	for (size_t i = 0; i < sizeof(opterrs) / sizeof(opterrs[0]); i++) {
		static char prog[] = "prog";
		char *argv[6] = { prog };
		char why[128] = "";
		int argc = 1, c;

		for (const char *const *a = opterrs[i].argv; *a; a++)
			argv[argc++] = (char *)*a;
		argv[argc] = NULL;
		optind = 0; /* glibc: start over */
		while ((c = getopt_long(argc, argv, ":qvr:", longs, NULL)) != -1)
			if (c == '?' || c == ':') {
				cli_opt_error(c, argv, why, sizeof(why));
				break;
			}
		T_EQ_STR(why, opterrs[i].want, opterrs[i].argv[0]);
	}
}

/* A location as shown: its userinfo masked as any URL's (a user name
 * alone may be a token), a path as it is. */
static void test_spool_shown(void)
{
	static const char *const cases[][2] = {
		{ "/var/spool/redrive", "/var/spool/redrive" },
		{ "/var/spool/a@b:c", "/var/spool/a@b:c" },
		{ "nats://127.0.0.1:4222/S", "nats://127.0.0.1:4222/S" },
		{ "nats://u:pw@h:1,h2:2/S", "nats://[REDACTED]@h:1,h2:2/S" },
		{ "nats://u@h:1/S", "nats://[REDACTED]@h:1/S" },
		{ "nats://u:p@w@h:1/S", "nats://[REDACTED]@h:1/S" },
		{ "nats://u:pw@h:1", "nats://[REDACTED]@h:1" },
		{ "nats://h:1/S@x", "nats://h:1/S@x" },
	};
	char out[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cli_spool_shown(cases[i][0], out, sizeof(out));
		T_EQ_STR(out, cases[i][1], cases[i][0]);
	}
}

int main(void)
{
	static const struct u64case sizes[] = {
		{ "0", 1, 0 }, { "4096", 1, 4096 }, { "64K", 1, 65536 },
		{ "16MiB", 1, 16ULL << 20 }, { "1G", 1, 1ULL << 30 },
		{ "2T", 1, 2ULL << 40 }, { "10B", 1, 10 }, { "1kB", 1, 1024 },
		{ "", 0, 0 }, { "-1", 0, 0 }, { "12x", 0, 0 }, { "M", 0, 0 },
		{ "99999999999999999999T", 0, 0 }, { " 5", 0, 0 },
		{ "1Mi", 0, 0 },
	};
	static const struct u64case durs[] = {
		{ "250ms", 1, 250 }, { "5s", 1, 5000 }, { "2m", 1, 120000 },
		{ "1h", 1, 3600000 }, { "1.5s", 1, 1500 }, { "3", 1, 3000 },
		{ "0", 1, 0 }, { "5x", 0, 0 }, { "s", 0, 0 }, { "-1s", 0, 0 },
		{ "1e3s", 0, 0 }, { "0x10s", 0, 0 }, { "5 s", 0, 0 },
		{ "inf", 0, 0 }, { "", 0, 0 },
		/* the most, and past it: 2600000h overflowed a deadline in ns */
		{ "100000h", 1, 360000000000ULL }, { "100000.001h", 0, 0 },
		{ "2600000h", 0, 0 }, { "360000000001ms", 0, 0 },
	};
	struct rd_err err;
	uint64_t v;
	double r;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int got = cli_parse_size(sizes[i].in, &v, &err) == 0;

		T_EQ_INT(got, sizes[i].ok, sizes[i].in);
		if (got && sizes[i].ok)
			T_EQ_INT(v, sizes[i].want, sizes[i].in);
	}
	for (i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		int got = cli_parse_duration(durs[i].in, &v, &err) == 0;

		T_EQ_INT(got, durs[i].ok, durs[i].in);
		if (got && durs[i].ok)
			T_EQ_INT(v, durs[i].want, durs[i].in);
	}
	T_OK(cli_parse_rate("200/s", &r, &err) == 0 && r == 200, "rate 200/s");
	T_OK(cli_parse_rate("60/m", &r, &err) == 0 && r == 1, "rate 60/m");
	T_OK(cli_parse_rate("7200/h", &r, &err) == 0 && r == 2, "rate 7200/h");
	T_OK(cli_parse_rate("50", &r, &err) == 0 && r == 50, "bare rate");
	T_OK(cli_parse_rate("0/s", &r, &err) < 0, "zero rate refused");
	T_OK(cli_parse_rate("5/d", &r, &err) < 0, "unknown unit refused");
	T_OK(cli_parse_rate("fast", &r, &err) < 0, "word refused");
	T_EQ_STR(err.msg, "'fast' is not a rate (like 200/s, 50/m, 10/h)",
		 "rate error names the input");
	T_OK(cli_parse_u64("5", 1, 10, &v, &err) == 0 && v == 5, "u64 in range");
	T_OK(cli_parse_u64("11", 1, 10, &v, &err) < 0, "u64 above range");
	T_OK(cli_parse_u64("0", 1, 10, &v, &err) < 0, "u64 below range");
	T_OK(cli_parse_u64("1x", 1, 10, &v, &err) < 0, "u64 trailing garbage");
	T_OK(cli_parse_u64("+1", 0, 10, &v, &err) < 0, "u64 sign refused");
	T_OK(cli_parse_u64("99999999999999999999999", 0, ~0ULL, &v, &err) < 0,
	     "u64 overflow refused");
	{
		char dir[256];

		setenv("RD_SPOOL", "/tmp/from-env", 1);
		T_OK(cli_spool_location("/x", dir, sizeof(dir), &err) == 0 &&
		     strcmp(dir, "/x") == 0, "explicit dir wins");
		T_OK(cli_spool_location(NULL, dir, sizeof(dir), &err) == 0 &&
		     strcmp(dir, "/tmp/from-env") == 0, "RD_SPOOL next");
		unsetenv("RD_SPOOL");
		setenv("XDG_STATE_HOME", "/tmp/xdg", 1);
		T_OK(cli_spool_location(NULL, dir, sizeof(dir), &err) == 0 &&
		     strcmp(dir, "/tmp/xdg/redrive/spool") == 0, "XDG default");
		unsetenv("XDG_STATE_HOME");
		setenv("HOME", "/home/u", 1);
		T_OK(cli_spool_location(NULL, dir, sizeof(dir), &err) == 0 &&
		     strcmp(dir, "/home/u/.local/state/redrive/spool") == 0,
		     "HOME default");
	}
	test_opt_error();
	test_spool_shown();
	return t_done();
}
