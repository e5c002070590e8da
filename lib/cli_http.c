/*
 * cli_http.c - the HTTP client's connection flags (see cli_http.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_http.h"
#include "banned.h"

int cli_cacert(const char *path, struct rd_err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), dir;

	if (fd < 0)
		return rd_err_set(err, RD_E_INVAL, "--cacert: cannot read '%s': %s",
				  path, strerror(errno));
	dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
	close(fd);
	if (dir)
		return rd_err_set(err, RD_E_INVAL,
				  "--cacert: '%s' is a directory, not a file of CA certificates",
				  path);
	return 0;
}

int cli_http_opt(struct http_opts *h, int opt, const char *arg,
		 struct rd_err *err)
{
	struct rd_err e2;
	uint64_t ms;

	switch (opt) {
	case CLI_OPT_CONNECT_TIMEOUT:
		if (cli_parse_duration(arg, &ms, &e2) < 0)
			return rd_err_set(err, RD_E_INVAL, "--connect-timeout: %s", e2.msg);
		if (!ms)
			return rd_err_set(err, RD_E_INVAL, "--connect-timeout: must be above zero");
		h->connect_timeout_ms = ms;
		return 1;
	case 'k':
		h->insecure = 1;
		return 1;
	case CLI_OPT_CACERT:
		if (cli_cacert(arg, err) < 0)
			return RD_E_INVAL;
		h->cacert = arg;
		return 1;
	case CLI_OPT_HTTP11:
		h->version = HTTP_V_1_1;
		return 1;
	case CLI_OPT_HTTP2:
		h->version = HTTP_V_2_PRIOR;
		return 1;
	}
	return 0;
}
