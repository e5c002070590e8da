/*
 * compl.h - shell completion, from a tool's own option table, as git's
 * --git-completion-helper does: the scripts in completions/ ask the tool
 * (with its hidden --completion-helper option) and so can never drift from
 * it.
 *
 * Descriptions are read from the tool's --help text, the line that names
 * the option; an option --help does not name is offered without one (and
 * tests/docs.bats fails).  What an option's value completes to comes from
 * a small hint table: "@file", "@dir", "@command", "@atfile" (a file
 * after '@', as in curl's -d @FILE), or a list of words.  A word holding
 * a shell metacharacter (p99<250ms) is offered quoted.
 *
 * Deliberately not here: parsing the command line beyond the word before
 * the cursor; options are offered whatever was typed before.
 */
#ifndef COMPL_H
#define COMPL_H

#include <getopt.h>

#include "buf.h"
#include "rd.h"

struct compl_hint {
	const char *name;       /* long option, without "--" */
	const char *values;     /* see above */
};

struct compl_tool {
	const char *prog;
	const struct option *longs;  /* getopt_long's table */
	const char *shorts;          /* getopt_long's short string */
	const char *usage;           /* the --help text */
	const struct compl_hint *hints; /* ends with { NULL, NULL } */
};

/* The hidden option every tool takes, and its getopt id. */
#define COMPL_OPTION "completion-helper"
enum { COMPL_OPT = 0x10ff };

/*
 * Append to out what shell needs:
 *   bash PREV CUR  the words to offer for CUR after PREV, one a line, or a
 *                  line "@file", "@dir", "@command" or "@atfile" for the
 *                  script to complete with compgen;
 *   zsh            one _arguments spec a line;
 *   fish           the `complete` commands.
 * RD_E_INVAL for another shell or missing words.
 */
int compl_write(const struct compl_tool *t, int argc, char *const argv[],
		struct buf *out, struct rd_err *err);

#endif
