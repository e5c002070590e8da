/*
 * msg.h - the only writer to stderr.  Every tool prints its diagnostics
 * through here, so they all read `rd-x: what failed: why`, one line each,
 * lowercase, no trailing period.  Used by cmd/ only; lib/ never prints.
 */
#ifndef MSG_H
#define MSG_H

struct msg {
	const char *prog; /* borrowed, e.g. "rd-capture" */
	int verbosity;    /* -1 quiet, 0 normal, >0 verbose */
};

void msg_init(struct msg *m, const char *prog);
/* An error: always printed, even under -q. */
void msg_error(const struct msg *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A warning or notice: suppressed by -q. */
void msg_warn(const struct msg *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Detail: printed only with -v. */
void msg_info(const struct msg *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A usage error: the reason, then "Try 'prog --help'". */
void msg_usage(const struct msg *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A usage error about one option's value: "OPT: why", then the hint as
 * msg_usage.  Returns RD_E_INVAL. */
struct rd_err;
int msg_usage_opt(const struct msg *m, const char *opt,
		  const struct rd_err *why);
/* A status line for a terminal (progress): drawn over the last one, cut
 * to the terminal's width, control bytes shown as '?'.  Any message
 * clears it first, so lines never mix; msg_status_clear clears it. */
void msg_status(const struct msg *m, const char *line);
void msg_status_clear(void);

#endif
