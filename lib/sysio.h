/*
 * sysio.h - the system calls that write and sync spool files, retried when
 * a signal interrupts them before anything happened (EINTR) and never
 * otherwise: a short write or a failed sync is returned to the caller,
 * which takes the batch back.  This keeps "one write per member" true and
 * an fsync failure final.
 */
#ifndef SYSIO_H
#define SYSIO_H

#include <stddef.h>
#include <sys/types.h>

/* pwrite(2), again on EINTR.  The result of the first other outcome. */
ssize_t sysio_pwrite(int fd, const void *p, size_t n, off_t off);
/* fsync(2) and fdatasync(2), again on EINTR. */
int sysio_fsync(int fd);
int sysio_fdatasync(int fd);

#endif
