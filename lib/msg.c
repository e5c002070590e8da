/*
 * msg.c - one line per message on stderr, built in one buffer and written
 * with one call so that concurrent tools do not interleave mid-line.
 */
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

void msg_init(struct msg *m, const char *prog)
{
	m->prog = prog;
	m->verbosity = 0;
}

static void emit(const struct msg *m, const char *fmt, va_list ap)
{
	char line[2048];
	int n, k;

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
