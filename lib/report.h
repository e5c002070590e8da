/*
 * report.h - the audit summary as a self-contained HTML page for a
 * postmortem: inline CSS and SVG charts (timeline of captures against
 * replays, outcomes, latency, amplification by route), no scripts, no
 * fonts or images fetched from anywhere, readable on screen and printed.
 * Group names go through the redactor when one is given.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdint.h>

#include "audit.h"
#include "buf.h"
#include "redact.h"

void report_html(struct buf *out, struct audit_summary *s, const char *spool,
		 int64_t now_ms, struct redact *red);

#endif
