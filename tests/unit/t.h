/*
 * t.h - the unit-test harness: TAP output, one `ok`/`not ok` line per check,
 * so tests/run can count them.  Include in exactly one test_*.c per binary.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <string.h>

static int t_n, t_fail;

/* One check.  Prints the TAP line with the file and line on failure. */
#define T_OK(cond, name) t_ok_((cond) ? 1 : 0, (name), __FILE__, __LINE__, #cond)
#define T_EQ_INT(got, want, name) \
	t_eq_int_((long long)(got), (long long)(want), (name), __FILE__, __LINE__)
#define T_EQ_STR(got, want, name) \
	t_eq_str_((got), (want), (name), __FILE__, __LINE__)

static inline int t_ok_(int ok, const char *name, const char *f, int l,
			const char *expr)
{
	t_n++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", t_n, name);
	if (!ok) {
		t_fail++;
		printf("#   failed at %s:%d: %s\n", f, l, expr);
	}
	return ok;
}

static inline int t_eq_int_(long long got, long long want, const char *name,
			    const char *f, int l)
{
	int ok = got == want;

	t_ok_(ok, name, f, l, "==");
	if (!ok)
		printf("#   got %lld, want %lld\n", got, want);
	return ok;
}

static inline int t_eq_str_(const char *got, const char *want,
			    const char *name, const char *f, int l)
{
	int ok = got && want && strcmp(got, want) == 0;

	t_ok_(ok, name, f, l, "strcmp");
	if (!ok)
		printf("#   got '%s', want '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	return ok;
}

/* End of main: print the plan and return the exit status. */
static inline int t_done(void)
{
	printf("1..%d\n", t_n);
	return t_fail ? 1 : 0;
}

#endif
