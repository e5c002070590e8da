/*
 * brkfile.h - rd-health's --state file: the breaker and its counter
 * samples, shared by every run that names the same file, concurrent ones
 * included.
 *
 * A run reads the file before it evaluates (for the previous counter
 * samples), and after: it locks FILE.lock (flock), reads the file again,
 * folds its own evaluation and its new samples into what it finds, writes
 * the result atomically (afile) and unlocks.  So twenty runs at once count
 * twenty evaluations, in some order, and none reads a half-written file.
 * The lock is held only for that read-fold-write, never while probing.
 */
#ifndef BRKFILE_H
#define BRKFILE_H

#include "breaker.h"
#include "rd.h"

/* Load path into b (initialised by the caller): 0 when loaded, 1 when
 * the file does not exist yet (b untouched).  RD_E_CORRUPT for a file
 * that is not a state file, RD_E_IO when it cannot be read. */
int brkfile_load(const char *path, struct breaker *b, struct rd_err *err);

/*
 * Fold one evaluation into path under its lock: the current file (or a
 * fresh breaker shaped like eval, when there is none) takes eval's
 * counter samples and one step of healthy at now_ms, and is written back.
 * *verdict gets the step's verdict, and eval becomes the state as
 * written.  RD_E_IO (with the path) when the lock, the read or the write
 * fails; RD_E_CORRUPT as brkfile_load.
 */
int brkfile_commit(const char *path, struct breaker *eval, int healthy,
		   int64_t now_ms, int *verdict, struct rd_err *err);

#endif
