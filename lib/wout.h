/*
 * wout.h - curl's --write-out (-w) format: text with the \n, \r and \t
 * escapes (any other backslash stays as typed, as in curl), %% for a
 * percent sign, and %{variable} or %header{name} for facts about the
 * finished transfer, as `rd-capture --try -w` prints them.
 *
 * Variables, with curl's names and curl's number formats (times in
 * seconds with six decimals, the status as three digits):
 *   http_code response_code http_version method scheme url url_effective
 *   redirect_url num_redirects content_type remote_ip remote_port
 *   size_download size_upload size_header size_request speed_download
 *   speed_upload time_namelookup time_connect time_appconnect
 *   time_pretransfer time_starttransfer time_redirect time_total
 *   errormsg exitcode
 * and %{stderr} / %{stdout}, which switch where the rest of the text goes.
 *
 * Deliberately stricter than curl: an unknown variable is refused when
 * the format is parsed (curl warns and prints nothing for it), because a
 * script that reads a blank where it expected a number misreads silently.
 */
#ifndef WOUT_H
#define WOUT_H

#include <stdint.h>

#include "buf.h"
#include "rd.h"

/* What a finished transfer tells the format.  Strings may be NULL. */
struct wout_vals {
	int status;
	const char *http_version;   /* "1.1", "2" */
	const char *method, *scheme, *url, *url_effective, *redirect_url;
	const char *content_type, *remote_ip, *errormsg;
	long remote_port, num_redirects;
	int exitcode;
	uint64_t size_download, size_upload, size_header, size_request;
	/* Seconds from the start of the transfer. */
	double time_namelookup, time_connect, time_appconnect;
	double time_pretransfer, time_starttransfer, time_redirect;
	double time_total;
	const char *headers;        /* raw response header block, or NULL */
	size_t headers_len;
};

struct wout;

/*
 * Parse fmt; "@FILE" reads the format from FILE ("@-": standard input).
 * Caller frees *out with wout_free.  RD_E_INVAL naming the byte offset of
 * an unknown or unterminated variable, RD_E_IO for an unreadable file.
 */
int wout_new(const char *fmt, struct wout **out, struct rd_err *err);
void wout_free(struct wout *w);

/* Render: text meant for stdout goes to out, after %{stderr} to errout. */
void wout_render(const struct wout *w, const struct wout_vals *v,
		 struct buf *out, struct buf *errout);

#endif
