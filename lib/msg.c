/*
 * msg.c - one line per message on stderr, built in one buffer and written
 * with one call so that concurrent tools do not interleave mid-line.
 */
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "rd.h"
#include "banned.h"

/* A status line is on the terminal (one stderr per process). */
static int status_shown;

void msg_status_clear(void)
{
	if (status_shown && write(STDERR_FILENO, "\r\033[K", 4) < 0)
		return;
	status_shown = 0;
}

/* The terminal's width: the window size, else $COLUMNS, else 80. */
static size_t term_width(void)
{
	struct winsize ws;
	const char *c = getenv("COLUMNS");
	long v;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (c && (v = strtol(c, NULL, 10)) > 0 && v <= 10000)
		return (size_t)v;
	return 80;
}

void msg_status(const struct msg *m, const char *line)
{
	char out[4096];
	size_t width = term_width(), cols = 0, n = 0;

	(void)m;
	memcpy(out, "\r\033[K", 4);
	n = 4;
	/* fewer columns than the width (one per UTF-8 character), so the
	 * line never reaches the last column, where a terminal wraps it and
	 * the next \r would redraw only its second half */
	for (const char *p = line; *p && n < sizeof(out) - 1; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c & 0xc0) != 0x80 && ++cols >= width)
			break;
		out[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (write(STDERR_FILENO, out, n) < 0)
		return;
	status_shown = 1;
}

void msg_init(struct msg *m, const char *prog)
{
	m->prog = prog;
	m->verbosity = 0;
}

static void emit(const struct msg *m, const char *fmt, va_list ap)
{
	char line[2048];
	int n, k;

	msg_status_clear();
	n = snprintf(line, sizeof(line), "%s: ", m->prog);
	if (n < 0)
		return;
	k = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (k < 0)
		return;
	n += k;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	/* Control bytes from input never reach the terminal raw. */
	for (k = 0; k < n; k++)
		if ((unsigned char)line[k] < 0x20 || line[k] == 0x7f)
			line[k] = '?';
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void msg_error(const struct msg *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(m, fmt, ap);
	va_end(ap);
}

void msg_warn(const struct msg *m, const char *fmt, ...)
{
	va_list ap;

	if (m->verbosity < 0)
		return;
	va_start(ap, fmt);
	emit(m, fmt, ap);
	va_end(ap);
}

void msg_info(const struct msg *m, const char *fmt, ...)
{
	va_list ap;

	if (m->verbosity < 1)
		return;
	va_start(ap, fmt);
	emit(m, fmt, ap);
	va_end(ap);
}

void msg_usage(const struct msg *m, const char *fmt, ...)
{
	va_list ap;
	char hint[256];

	va_start(ap, fmt);
	emit(m, fmt, ap);
	va_end(ap);
	snprintf(hint, sizeof(hint), "Try '%s --help' for more information.\n",
		 m->prog);
	if (write(STDERR_FILENO, hint, strlen(hint)) < 0)
		return;
}

int msg_usage_opt(const struct msg *m, const char *opt,
		  const struct rd_err *why)
{
	msg_usage(m, "%s: %s", opt, why->msg);
	return RD_E_INVAL;
}
