/*
 * compl.c - shell completion from the option table (see compl.h).
 */
#include <ctype.h>
#include <string.h>

#include "compl.h"
#include "banned.h"

static int hidden(const struct option *o)
{
	return strcmp(o->name, COMPL_OPTION) == 0;
}

/* The short letter of o, when the short string has one with its id. */
static int short_of(const struct compl_tool *t, const struct option *o)
{
	const char *p;

	if (o->val <= 0 || o->val >= 0x80 || o->val == ':')
		return 0;
	p = strchr(t->shorts, o->val);
	return p ? o->val : 0;
}

static const char *hint_of(const struct compl_tool *t, const char *name)
{
	for (const struct compl_hint *h = t->hints; h && h->name; h++)
		if (strcmp(h->name, name) == 0)
			return h->values;
	return NULL;
}

/* A metavariable of --help: METHOD, 'N: V', [=FORMAT], K=V, ... */
static int metavar(const char *w, size_t n)
{
	if (n && (w[0] == '\'' || w[0] == '[' || w[0] == '<'))
		return 1;
	for (size_t i = 0; i < n; i++)
		if ((w[i] < 'A' || w[i] > 'Z') && !strchr("_=:.", w[i]))
			return 0;
	return n > 0;
}

/* An option's text in --help, from p on its first line (which ends at
 * eol) through the lines that continue it, as one line: cut where a
 * parenthesis is left open, and what trails a cut. */
static void text_of(const char *p, const char *eol, struct buf *out)
{
	size_t start = out->len;
	const char *open, *close;

	for (;;) {
		const char *next = eol + 1;
		size_t sp = strspn(next, " ");

		buf_add(out, p, (size_t)(eol - p));
		/* a continuation: deeper than an option, not an option */
		if (!*eol || sp < 8 || next[sp] == '-' || next[sp] == '\n' ||
		    !(eol = strchr(next, '\n')))
			break;
		buf_addc(out, ' ');
		p = next + sp;
	}
	if (out->len == start)
		return;
	open = memrchr(out->data + start, '(', out->len - start);
	close = memrchr(out->data + start, ')', out->len - start);
	if (open && (!close || close < open))
		out->len = (size_t)(open - out->data);
	while (out->len > start && strchr(" ,:;", out->data[out->len - 1]))
		out->len--;
	out->data[out->len] = '\0';
}

/* The text of the line of --help that starts with --name, after its
 * metavariable, and of the lines that continue it. */
static void describe(const struct compl_tool *t, const char *name,
		     struct buf *out)
{
	const char *u = t->usage, *hit;
	size_t n = strlen(name);

	for (hit = strstr(u, "--"); hit; hit = strstr(hit + 2, "--")) {
		const char *p = hit + 2 + n, *eol = strchr(hit, '\n');

		if (strncmp(hit + 2, name, n) != 0 || (*p && !strchr(" =[\n", *p)) ||
		    (hit > u && hit[-1] != ' ') || !eol)
			continue;
		/* only a line that starts with the option: "  -X, --name"
		 * or "      --name", never a mention or a usage line */
		{
			const char *bol = hit;
			size_t sp, k;

			while (bol > u && bol[-1] != '\n')
				bol--;
			sp = strspn(bol, " ");
			k = (size_t)(hit - bol) - sp;
			if (sp < 2 || !(k == 0 || (k == 4 && bol[sp] == '-' &&
						   bol[sp + 2] == ',' && bol[sp + 3] == ' ')))
				continue;
		}
		while (p < eol && *p != ' ')
			p++;
		for (;;) {
			size_t sp = strspn(p, " "), w;

			p += sp;
			w = strcspn(p, " \n");
			if (sp >= 2 || p >= eol || !metavar(p, w))
				break;
			p += w;
		}
		text_of(p, eol, out);
		return;
	}
}

/* A word the shell would read otherwise is offered single-quoted. */
static void word(struct buf *out, const char *w, size_t n)
{
	size_t k = strcspn(w, "<>|&;()$`\\\"' *?[#~");

	if (k < n)
		buf_addc(out, '\'');
	buf_add(out, w, n);
	if (k < n)
		buf_addc(out, '\'');
	buf_addc(out, '\n');
}

/* The words of a hint that start as cur does (a quote typed first is not
 * part of the word), each prefixed. */
static void words(struct buf *out, const char *values, const char *prefix,
		  const char *cur)
{
	const char *p = values;

	if (*cur == '\'')
		cur++;
	while (*p) {
		size_t n = strcspn(p, " ");
		struct buf w;

		buf_init(&w);
		buf_adds(&w, prefix);
		buf_add(&w, p, n);
		if (n && strncmp(w.data, cur, strlen(cur)) == 0)
			word(out, w.data, w.len);
		buf_release(&w);
		p += n + (p[n] == ' ');
	}
}

static const struct option *find_long(const struct compl_tool *t,
				      const char *name, size_t n)
{
	for (const struct option *o = t->longs; o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0 && !hidden(o))
			return o;
	return NULL;
}

static const struct option *find_short(const struct compl_tool *t, int c)
{
	for (const struct option *o = t->longs; o->name; o++)
		if (!hidden(o) && short_of(t, o) == c)
			return o;
	return NULL;
}

static void bash(const struct compl_tool *t, const char *prev, const char *cur,
		 struct buf *out)
{
	const struct option *o = NULL;
	const char *eq = strchr(cur, '=');

	if (strncmp(prev, "--", 2) == 0 && !strchr(prev, '='))
		o = find_long(t, prev + 2, strlen(prev + 2));
	else if (prev[0] == '-' && prev[1] && !prev[2])
		o = find_short(t, prev[1]);
	if (o && o->has_arg == required_argument) {
		const char *v = hint_of(t, o->name);

		if (v && v[0] == '@')
			buf_addf(out, "%s\n", v);
		else if (v)
			words(out, v, "", cur);
		return;
	}
	if (strncmp(cur, "--", 2) == 0 && eq &&
	    (o = find_long(t, cur + 2, (size_t)(eq - cur - 2)))) {
		const char *v = hint_of(t, o->name);
		struct buf pre;

		buf_init(&pre);
		buf_add(&pre, cur, (size_t)(eq - cur) + 1);
		if (v && v[0] == '@')
			buf_addf(out, "%s\n", v);
		else if (v)
			words(out, v, pre.data, cur);
		buf_release(&pre);
		return;
	}
	if (cur[0] != '-')
		return;
	/* "-" or "": every option; "--fs": long ones by prefix; "-X": it */
	for (o = t->longs; o->name; o++) {
		int s = short_of(t, o);

		if (hidden(o))
			continue;
		if (s && (cur[1] == '\0' || (cur[1] == s && !cur[2])))
			buf_addf(out, "-%c\n", s);
		if (cur[1] == '\0' || (cur[1] == '-' &&
		    strncmp(o->name, cur + 2, strlen(cur + 2)) == 0))
			buf_addf(out, "--%s\n", o->name);
	}
}

/* s for zsh's _arguments, inside single quotes and a [description]. */
static void zsh_text(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			buf_adds(out, "'\\''");
		else if (s[i] == '[' || s[i] == ']' || s[i] == ':' || s[i] == '\\') {
			buf_addc(out, '\\');
			buf_addc(out, s[i]);
		} else {
			buf_addc(out, s[i]);
		}
	}
}

/* A character of an offered value that no shell reads as syntax.  Both
 * zsh's _arguments and fish's complete -a evaluate the word list they
 * are given, so '<' in "p99<250ms" would be a redirection there. */
static int word_plain(char c)
{
	return isalnum((unsigned char)c) || strchr("._/,=+@%-", c) != NULL;
}

/* The words v ("a b c") inside single quotes, each character that is
 * syntax escaped with a backslash for that evaluation: "p99\<250ms".
 * quote is what a quote is written as inside the single quotes; zsh
 * also escapes ':', its spec's separator. */
static void shell_words(struct buf *out, const char *v, const char *bs,
			const char *quote)
{
	for (; *v; v++) {
		if (*v == ' ' || word_plain(*v)) {
			buf_addc(out, *v);
			continue;
		}
		buf_adds(out, bs);
		if (*v == '\'')
			buf_adds(out, quote);
		else if (*v == '\\')
			buf_adds(out, bs);
		else
			buf_addc(out, *v);
	}
}

/* ":value:ACTION" for an option that takes a value. */
static void zsh_action(struct buf *out, const char *v)
{
	buf_adds(out, ":value:");
	if (!v)
		return;
	if (strcmp(v, "@file") == 0 || strcmp(v, "@atfile") == 0)
		buf_adds(out, "_files");
	else if (strcmp(v, "@dir") == 0)
		buf_adds(out, "_directories");
	else if (strcmp(v, "@command") == 0)
		buf_adds(out, "_command_names -e");
	else {
		buf_addc(out, '(');
		shell_words(out, v, "\\", "'\\''");
		buf_addc(out, ')');
	}
}

static void zsh(const struct compl_tool *t, struct buf *out)
{
	struct buf d;

	buf_init(&d);
	for (const struct option *o = t->longs; o->name; o++) {
		const char *v = hint_of(t, o->name);
		int s = short_of(t, o);

		if (hidden(o))
			continue;
		buf_reset(&d);
		describe(t, o->name, &d);
		for (int pass = 0; pass < 1 + (s != 0); pass++) {
			buf_addc(out, '\'');
			if (pass)
				buf_addf(out, "-%c%s", s,
					 o->has_arg == required_argument ? "+" : "");
			else
				buf_addf(out, "--%s%s", o->name,
					 o->has_arg == required_argument ? "=" :
					 o->has_arg == optional_argument ? "=-" : "");
			buf_addc(out, '[');
			zsh_text(out, d.data ? d.data : "", d.len);
			buf_addc(out, ']');
			if (o->has_arg != no_argument)
				zsh_action(out, v);
			buf_adds(out, "'\n");
		}
	}
	buf_release(&d);
}

/* s inside fish's single quotes. */
static void fish_text(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'' || s[i] == '\\')
			buf_addc(out, '\\');
		buf_addc(out, s[i]);
	}
}

static void fish(const struct compl_tool *t, struct buf *out)
{
	struct buf d;

	buf_init(&d);
	for (const struct option *o = t->longs; o->name; o++) {
		const char *v = hint_of(t, o->name);
		int s = short_of(t, o);

		if (hidden(o))
			continue;
		buf_reset(&d);
		describe(t, o->name, &d);
		buf_addf(out, "complete -c %s -l %s", t->prog, o->name);
		if (s)
			buf_addf(out, " -s %c", s);
		if (o->has_arg == required_argument && v &&
		    (strcmp(v, "@file") == 0 || strcmp(v, "@atfile") == 0 ||
		     strcmp(v, "@dir") == 0))
			buf_adds(out, " -r -F");
		else if (o->has_arg == required_argument && v &&
			 strcmp(v, "@command") == 0)
			buf_adds(out, " -x -a '(__fish_complete_command)'");
		else if (o->has_arg == required_argument) {
			buf_adds(out, " -x");
			if (v) {
				buf_adds(out, " -a '");
				shell_words(out, v, "\\\\", "\\'");
				buf_addc(out, '\'');
			}
		} else if (o->has_arg == optional_argument && v) {
			/* offered after '=' only, where such a value goes */
			buf_adds(out, " -f -a '");
			shell_words(out, v, "\\\\", "\\'");
			buf_addc(out, '\'');
		}
		buf_adds(out, " -d '");
		fish_text(out, d.data ? d.data : "", d.len);
		buf_adds(out, "'\n");
	}
	buf_release(&d);
}

int compl_write(const struct compl_tool *t, int argc, char *const argv[],
		struct buf *out, struct rd_err *err)
{
	if (argc >= 1 && strcmp(argv[0], "bash") == 0) {
		if (argc != 3)
			return rd_err_set(err, RD_E_INVAL,
					  "--%s bash PREV CUR", COMPL_OPTION);
		bash(t, argv[1], argv[2], out);
	} else if (argc == 1 && strcmp(argv[0], "zsh") == 0) {
		zsh(t, out);
	} else if (argc == 1 && strcmp(argv[0], "fish") == 0) {
		fish(t, out);
	} else {
		return rd_err_set(err, RD_E_INVAL,
				  "--%s takes bash PREV CUR, zsh or fish", COMPL_OPTION);
	}
	return 0;
}
