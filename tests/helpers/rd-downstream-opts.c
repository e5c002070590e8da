/*
 * rd-downstream-opts.c - rd-downstream's command line: its help, its
 * options and the checks on their values (see rd-downstream.c for what
 * they do).
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rd-downstream.h"
#include "xalloc.h"
#include "banned.h"

static const char usage_text[] =
"Usage: rd-downstream [OPTIONS]\n"
"A simulated downstream HTTP/1.1 service on 127.0.0.1 for tests and demos.\n"
"\n"
"      --port N             port to listen on (default 0: any free port)\n"
"      --port-file FILE     write the port to FILE once listening\n"
"      --pid-file FILE      write the process id to FILE\n"
"      --status CODE        status of a successful request (default 200)\n"
"      --route PREFIX=CODE  paths starting with PREFIX get CODE; repeatable\n"
"      --fail-first N       fail the first N requests of each Idempotency-Key\n"
"      --fail-status CODE   status of failures (default 503)\n"
"      --retry-after SECS   add Retry-After to every 429 and 503 response\n"
"      --outage-file FILE   fail every request while FILE exists\n"
"      --outage START:END   fail every request from START to END seconds\n"
"                           after start (fractions allowed); repeatable\n"
"      --capacity N         serve at most N requests per second (or N/m)\n"
"      --queue N            serve N requests per second in arrival order;\n"
"                           the rest wait (a service that slows, not refuses)\n"
"      --latency MS         delay every response by MS milliseconds\n"
"      --latency-jitter MS  add a random 0 to MS milliseconds to that\n"
"      --log FILE           append one JSON line per request to FILE\n"
"      --dump DIR           write each request, as received, to DIR/N.http\n"
"  -h, --help               show this help and exit\n"
"\n"
"Endpoints: GET /health, GET /metrics (Prometheus text format 0.0.4).\n";

enum {
	OPT_PORT = CLI_OPT_TOOL, OPT_PORT_FILE, OPT_PID_FILE, OPT_STATUS,
	OPT_ROUTE, OPT_FAIL_FIRST, OPT_FAIL_STATUS, OPT_RETRY_AFTER,
	OPT_OUTAGE_FILE, OPT_OUTAGE, OPT_CAPACITY, OPT_QUEUE, OPT_LATENCY,
	OPT_JITTER, OPT_LOG, OPT_DUMP
};

static const char short_opts[] = ":h";
static const struct option long_opts[] = {
	{ "port", required_argument, NULL, OPT_PORT },
	{ "port-file", required_argument, NULL, OPT_PORT_FILE },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "route", required_argument, NULL, OPT_ROUTE },
	{ "fail-first", required_argument, NULL, OPT_FAIL_FIRST },
	{ "fail-status", required_argument, NULL, OPT_FAIL_STATUS },
	{ "retry-after", required_argument, NULL, OPT_RETRY_AFTER },
	{ "outage-file", required_argument, NULL, OPT_OUTAGE_FILE },
	{ "outage", required_argument, NULL, OPT_OUTAGE },
	{ "capacity", required_argument, NULL, OPT_CAPACITY },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "latency-jitter", required_argument, NULL, OPT_JITTER },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "dump", required_argument, NULL, OPT_DUMP },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* A number in [0, max]; *end gets what follows it, which must be nothing
 * when end is NULL. */
static int parse_real(const char *s, double max, double *out, char **end)
{
	char *e;

	errno = 0;
	*out = strtod(s, &e);
	if (e == s || errno || !(*out >= 0 && *out <= max) || (!end && *e))
		return -1;
	if (end)
		*end = e;
	return 0;
}

/* Store one option in o; returns 0, or negative with the reason in err. */
static int parse_opt(struct opts *o, int c, char *arg, struct rd_err *err)
{
	uint64_t v = 0;
	double a, b;
	char *e;

	switch (c) {
	case OPT_PORT:
		if (cli_parse_u64(arg, 0, 65535, &v, err) == 0)
			o->port = (int)v;
		return err->code;
	case OPT_STATUS:
	case OPT_FAIL_STATUS:
		if (cli_parse_u64(arg, 200, 599, &v, err) == 0)
			*(c == OPT_STATUS ? &o->status : &o->fail_status) = (int)v;
		return err->code;
	case OPT_ROUTE:
		if (!(e = strrchr(arg, '=')) || e == arg)
			return rd_err_set(err, RD_E_INVAL, "'%s' is not PREFIX=CODE",
					  arg);
		if (cli_parse_u64(e + 1, 200, 599, &v, err) < 0)
			return err->code;
		o->routes = xrealloc(o->routes, (o->nroutes + 1) *
				     sizeof(*o->routes));
		o->routes[o->nroutes++] = (struct route){ arg,
			(size_t)(e - arg), (int)v };
		return 0;
	case OPT_FAIL_FIRST:
		return cli_parse_u64(arg, 0, UINT64_MAX, &o->fail_first, err);
	case OPT_RETRY_AFTER:
		if (cli_parse_u64(arg, 0, 86400 * 365, &v, err) == 0)
			o->retry_after = (long)v;
		return err->code;
	case OPT_OUTAGE:
		if (parse_real(arg, 1e9, &a, &e) || *e != ':' ||
		    parse_real(e + 1, 1e9, &b, NULL) || a >= b)
			return rd_err_set(err, RD_E_INVAL, "'%s' is not START:END "
					  "in seconds with START < END", arg);
		o->outages = xrealloc(o->outages, (o->noutages + 1) * 2 *
				      sizeof(*o->outages));
		o->outages[2 * o->noutages] = a;
		o->outages[2 * o->noutages++ + 1] = b;
		return 0;
	case OPT_CAPACITY:
		return cli_parse_rate(arg, &o->capacity, err);
	case OPT_QUEUE:
		return cli_parse_rate(arg, &o->queue, err);
	case OPT_LATENCY:
	case OPT_JITTER:
		if (parse_real(arg, 3600e3, &a, NULL))
			return rd_err_set(err, RD_E_INVAL, "'%s' is not a number "
					  "of milliseconds (0 to 3600000)", arg);
		*(c == OPT_LATENCY ? &o->latency_ms : &o->jitter_ms) = a;
		return 0;
	case OPT_PORT_FILE: o->port_file = arg; return 0;
	case OPT_PID_FILE: o->pid_file = arg; return 0;
	case OPT_OUTAGE_FILE: o->outage_file = arg; return 0;
	case OPT_LOG: o->log_file = arg; return 0;
	case OPT_DUMP: o->dump_dir = arg; return 0;
	}
	return rd_err_set(err, RD_E_INVAL, "unexpected option");
}

int opts_parse(struct opts *o, const struct msg *m, int argc, char *argv[])
{
	struct rd_err err = { 0 };
	char why[256];
	int c, li = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, &li)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return fflush(stdout) == 0 ? RD_EXIT_OK : RD_EXIT_ERROR;
		}
		if (c == ':' || c == '?') {
			msg_usage(m, "%s", cli_opt_error(c, argv, why, sizeof(why)));
			return RD_EXIT_ERROR;
		}
		if (parse_opt(o, c, optarg, &err) < 0) {
			msg_usage(m, "--%s: %s", long_opts[li].name, err.msg);
			return RD_EXIT_ERROR;
		}
	}
	if (optind < argc) {
		msg_usage(m, "unexpected argument '%s'", argv[optind]);
		return RD_EXIT_ERROR;
	}
	return -1;
}
