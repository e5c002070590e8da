/*
 * sdir_state.c - claims and state files of the directory spool.
 *
 * A claim is flock(LOCK_EX | LOCK_NB) on "<role>.lock", held until the
 * spool is closed (or the process dies: the kernel drops it, so a kill -9
 * never leaves a stale claim).  It is separate from the writers' lock
 * (on the directory), so a claimed spool still accepts captures.
 *
 * The holder writes who it is into its lock file once it holds the lock,
 * one fixed-size JSON line, {"pid":N,"since":"TIME","by":"PROGRAM"}
 * padded with spaces, so that a run turned away can name it: another
 * rd-replay, or rd-compact, which takes the replay claim too.  The lock is the truth and the
 * line only a label: a line left by a holder that was killed names a
 * process that no longer exists, and is not believed.  A clean release
 * empties the file.
 *
 * State files are replaced whole through afile, so a crash leaves the old
 * or the new content, never a mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "json.h"
#include "sdir.h"
#include "banned.h"

#define HOLDER_LEN 96   /* the padded holder line, newline included */

static int name_ok(const char *name)
{
	if (!*name || name[0] == '.' || strlen(name) > 48)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

/* A character of a program's name as a label keeps it: one that JSON
 * and a message take as it is. */
static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* Label the claim: who holds it and since when.  A failure costs only
 * the label. */
static void holder_write(struct sdir *d)
{
	char line[HOLDER_LEN + 1], t[REC_TIME_LEN + 1], by[33];
	size_t j = 0;
	int k;

	/* the program's name, as it was run */
	for (const char *s = program_invocation_short_name; *s && j < 32; s++)
		if (name_char(*s))
			by[j++] = *s;
	by[j] = '\0';
	rec_time_fmt(rec_now_ms(), t);
	k = snprintf(line, sizeof(line),
		     "{\"pid\":%ld,\"since\":\"%s\",\"by\":\"%s\"}",
		     (long)getpid(), t, by);
	if (k < 0 || k >= HOLDER_LEN)
		return;
	memset(line + k, ' ', (size_t)(HOLDER_LEN - 1 - k));
	line[HOLDER_LEN - 1] = '\n';
	/* One write of a fixed size at offset 0 (the file was just opened):
	 * never a mix of two labels. */
	if (write(d->claimfd, line, HOLDER_LEN) != HOLDER_LEN) {
		/* no label: a run turned away says the file names no holder */
	}
}

/* Name the holder of a claim we could not take: into who its program
 * ("" when the label has none), into out "pid 1234, since
 * 2026-11-30T04:00:00Z" ("" when the file names no live process). */
static void holder_read(int fd, char *who, size_t wn, char *out, size_t n)
{
	char line[HOLDER_LEN + 1];
	const struct json_val *v, *pid, *since, *by;
	struct json_doc doc;
	long long p;
	ssize_t k = pread(fd, line, HOLDER_LEN, 0);

	out[0] = who[0] = '\0';
	if (k <= 0)
		return;
	json_doc_init(&doc);
	v = json_parse(&doc, line, (size_t)k, NULL, NULL);
	pid = json_get(v, "pid");
	since = json_get(v, "since");
	by = json_get(v, "by");
	if (json_int(pid, 1, 0x7fffffff, &p) == 0 && since &&
	    since->type == JSON_STRING && since->len == REC_TIME_LEN &&
	    (kill((pid_t)p, 0) == 0 || errno == EPERM)) {
		/* Seconds are enough for a person. */
		snprintf(out, n, "pid %lld, since %.19sZ", p, since->str);
		if (by && by->type == JSON_STRING && by->len > 0 && by->len < wn) {
			size_t i = 0;

			while (i < by->len && name_char(by->str[i]))
				i++;
			if (i == by->len)
				snprintf(who, wn, "%.*s", (int)by->len, by->str);
		}
	}
	json_doc_release(&doc);
}

void sdir_unclaim(struct sdir *d)
{
	if (d->claimfd < 0)
		return;
	/* Empty before the lock goes with the close: a later reader must
	 * not find this process named as the holder. */
	if (ftruncate(d->claimfd, 0) < 0) {
		/* the label is then stale, and the pid check catches it */
	}
	close(d->claimfd);
	d->claimfd = -1;
}

/* 1 when the claim's name still leads to the file it locked: not
 * removed, nor replaced, since it was opened. */
static int claim_is_ours(const struct sdir *d)
{
	struct stat a, b;

	return fstat(d->claimfd, &a) == 0 &&
	       fstatat(d->dirfd, d->claim_name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The claim's file is busy: RD_E_LOCKED naming its holder. */
static int held_by(struct sdir *d, const char *role, struct rd_err *err)
{
	char by[40], who[128];

	holder_read(d->claimfd, by, sizeof(by), who, sizeof(who));
	close(d->claimfd);
	d->claimfd = -1;
	if (by[0])
		return rd_err_set(err, RD_E_LOCKED, "spool '%s' is held by %s (%s)",
				  d->path, by, who);
	if (who[0])
		return rd_err_set(err, RD_E_LOCKED,
				  "spool '%s' is held by another %s (%s)",
				  d->path, role, who);
	return rd_err_set(err, RD_E_LOCKED,
			  "spool '%s' is held by another %s ('%s' names no holder)",
			  d->path, role, d->claim_name);
}

/* The lock is taken on the file the name leads to once it is held: a
 * file removed (or replaced) between our open and our lock is one
 * another process may have made anew and locked, so that one is opened
 * again. */
int sdir_claim(void *impl, const char *role, struct rd_err *err)
{
	struct sdir *d = impl;

	if (!name_ok(role))
		return rd_err_set(err, RD_E_INVAL, "bad claim name '%s'", role);
	if (d->claimfd >= 0)
		return 0;
	snprintf(d->claim_name, sizeof(d->claim_name), "%s.lock", role);
	for (int tries = 0;; tries++) {
		d->claimfd = sdir_open_file(d, d->claim_name, O_RDWR | O_CREAT, err);
		if (d->claimfd < 0) {
			int ret = d->claimfd;

			d->claimfd = -1;
			return ret;
		}
		while (flock(d->claimfd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			if (e == EWOULDBLOCK)
				return held_by(d, role, err);
			close(d->claimfd);
			d->claimfd = -1;
			return rd_err_sys(err, e, "cannot lock '%s/%s'", d->path,
					  d->claim_name);
		}
		if (claim_is_ours(d))
			break;
		close(d->claimfd);
		d->claimfd = -1;
		if (tries == 8)
			return rd_err_set(err, RD_E_LOCKED,
					  "spool '%s': '%s' keeps being removed or replaced",
					  d->path, d->claim_name);
	}
	holder_write(d);
	return 0;
}

int sdir_claim_check(void *impl, struct rd_err *err)
{
	struct sdir *d = impl;

	if (d->claimfd < 0 || claim_is_ours(d))
		return 0;
	return rd_err_set(err, RD_E_LOCKED,
			  "'%s/%s' was removed or replaced while this process held it: another process may hold the spool now; stopping, so that two never run at once",
			  d->path, d->claim_name);
}

int sdir_state_read(void *impl, const char *name, struct buf *out,
		    size_t max, struct rd_err *err)
{
	struct sdir *d = impl;
	struct rd_err oerr;
	int fd, ret;

	if (!name_ok(name))
		return rd_err_set(err, RD_E_INVAL, "bad state file name '%s'", name);
	fd = sdir_open_file(d, name, O_RDONLY, &oerr);
	if (fd < 0) {
		if (oerr.sys == ENOENT)
			return 0;
		if (err)
			*err = oerr;
		return fd;
	}
	ret = buf_read_fd(out, fd, max, err);
	close(fd);
	return ret < 0 ? ret : 1;
}

int sdir_state_write(void *impl, const char *name, const struct iovec *iov,
		     int iovcnt, unsigned flags, struct rd_err *err)
{
	struct sdir *d = impl;

	if (!name_ok(name))
		return rd_err_set(err, RD_E_INVAL, "bad state file name '%s'", name);
	return afile_put_at(d->dirfd, d->path, name, iov, iovcnt,
			    flags & SPOOL_STATE_VOLATILE ? AFILE_NO_SYNC : 0, err);
}
