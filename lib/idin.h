/*
 * idin.h - the records a person names on an input stream, as
 * `rd-audit --list | ... | rd-replay --stdin` does: one per line, a
 * record id or a JSON object with an "id" field.
 *
 * Blank lines and surrounding blanks are ignored; any other line is an
 * error naming its number, and nothing is half-taken: the caller stops.
 */
#ifndef IDIN_H
#define IDIN_H

#include "rd.h"
#include "sel.h"

/*
 * Read fd to its end and add each id to s.  0, RD_E_INVAL for a line
 * that names no record ("line N: ..."), or RD_E_IO when reading fails.
 */
int idin_read(int fd, struct sel *s, struct rd_err *err);

#endif
