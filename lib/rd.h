/*
 * rd.h - what every redrive module shares: exit codes and the error carrier.
 *
 * Exit codes are defined here once and listed in every man page.  A lib
 * function returns 0 (or a count) on success and a negative RD_E* code on
 * failure, filling an optional struct rd_err with a one-line message.  The
 * cmd decides what to print and which exit code to use; lib never prints.
 */
#ifndef RD_H
#define RD_H

#include <stddef.h>

#define RD_VERSION "0.1.0"

/* Process exit codes, shared by all tools (see each tool's EXIT STATUS). */
enum rd_exit {
	RD_EXIT_OK = 0,      /* success / healthy / nothing pending */
	RD_EXIT_PARTIAL = 1, /* some input rejected / unhealthy / work remains */
	RD_EXIT_ERROR = 2,   /* usage, configuration, I/O or internal error */
	RD_EXIT_LOCKED = 3,  /* rd-replay: another replay holds the spool */
	RD_EXIT_DEAD = 4     /* rd-replay: this run moved records to dead
			      * letters; ranks below 2 and 3, above 1 */
};

/* Negative return codes of lib functions. */
enum rd_ecode {
	RD_E_IO = -1,      /* a system call failed (errno is in rd_err.sys) */
	RD_E_INVAL = -2,   /* bad input or argument */
	RD_E_CORRUPT = -3, /* damaged data on disk */
	RD_E_FULL = -4,    /* a configured limit was reached */
	RD_E_LOCKED = -5,  /* the resource is held by another process */
	RD_E_UNSUPP = -6   /* not supported (e.g. unknown backend) */
};

struct rd_err {
	int code;      /* the RD_E* code, 0 when unset */
	int sys;       /* errno of the failing call, 0 when not a system error */
	char msg[512]; /* one line, lowercase, no trailing period */
};

/*
 * Record an error in err (which may be NULL) and return code, so a caller
 * can write `return rd_err_set(err, RD_E_INVAL, "...")`.  A later call
 * overwrites an earlier one.
 */
int rd_err_set(struct rd_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like rd_err_set with code RD_E_IO, appending ": strerror(sys)". */
int rd_err_sys(struct rd_err *err, int sys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
