/*
 * rd.c - the error carrier.  Formatting only; no I/O, no globals.
 */
#include "rd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

int rd_err_set(struct rd_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->sys = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int rd_err_sys(struct rd_err *err, int sys, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	char tmp[64];

	if (!err)
		return RD_E_IO;
	err->code = RD_E_IO;
	err->sys = sys;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
		 strerror_r(sys, tmp, sizeof(tmp)));
	return RD_E_IO;
}
