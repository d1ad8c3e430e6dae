/*
 * The test runner: TAP on the console, one line per test, diagnostics as
 * "# " lines, then the closing "N passed, N failed, N skipped".
 */
#include <stdarg.h>
#include "test.h"
#include "printf.h"
#include "lib.h"
#include "stamp.h"

extern const struct test __tests_start[], __tests_end[];

static struct {
	int failures;             /* checks failed in the running test */
	const char *file;         /* the first failed check */
	int line;
	const char *expr;
	bool skipped;
	char skip_reason[512];    /* a prefix + views_why_not() and the like, whole */
} cur;

static void record_failure(const char *file, int line, const char *expr)
{
	if (!cur.failures++) {
		cur.file = file;
		cur.line = line;
		cur.expr = expr;
	}
}

bool test_check(bool ok, const char *file, int line, const char *expr)
{
	if (!ok) {
		printf("# FAIL %s:%d: %s\n", file, line, expr);
		record_failure(file, line, expr);
	}
	return ok;
}

bool test_check_eq(uint64_t a, uint64_t b, const char *file, int line,
		   const char *ea, const char *eb)
{
	if (a != b) {
		printf("# FAIL %s:%d: %s == %s: 0x%lx != 0x%lx\n", file, line, ea, eb, a, b);
		record_failure(file, line, ea);
	}
	return a == b;
}

void test_skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cur.skip_reason, sizeof(cur.skip_reason), fmt, ap);
	va_end(ap);
	cur.skipped = true;
}

/* filter: comma-separated globs over "suite: name" and over the suite. */
static bool selected(const struct test *t, const char *filter)
{
	char full[128], pat[128];
	if (!filter || !*filter)
		return true;
	snprintf(full, sizeof(full), "%s: %s", t->suite, t->name);
	while (*filter) {
		size_t n = 0;
		while (filter[n] && filter[n] != ',')
			n++;
		if (n < sizeof(pat)) {
			memcpy(pat, filter, n);
			pat[n] = 0;
			if (glob_match(pat, full) || glob_match(pat, t->suite))
				return true;
		}
		filter += n + (filter[n] == ',');
	}
	return false;
}

static void report(int nr, const struct test *t)
{
	if (cur.failures)
		printf("not ok %d - %s: %s # %s:%d %s\n", nr, t->suite, t->name,
		       cur.file, cur.line, cur.expr);
	else if (cur.skipped)
		printf("ok %d - %s: %s # SKIP %s\n", nr, t->suite, t->name, cur.skip_reason);
	else
		printf("ok %d - %s: %s\n", nr, t->suite, t->name);
}

int test_run_all(const char *filter)
{
	int planned = 0, nr = 0, passed = 0, failed = 0, skipped = 0;
	const struct test *t;

	for (t = __tests_start; t < __tests_end; t++)
		planned += selected(t, filter);
	printf("TAP version 13\n1..%d\n", planned);
	if (!planned) {
		printf("# no test matches the filter '%s'\n", filter);
		return 1;
	}
	boot_stamp(BOOT_STAMP_FIRST_TEST);
	for (t = __tests_start; t < __tests_end; t++) {
		if (!selected(t, filter))
			continue;
		/* Field by field: clearing skip_reason costs a rep-string
		 * iteration a byte where each is emulated. */
		cur.failures = 0;
		cur.skipped = false;
		cur.skip_reason[0] = 0;
		t->fn();
		report(++nr, t);
		if (cur.failures)
			failed++;
		else if (cur.skipped)
			skipped++;
		else
			passed++;
	}
	boot_stamp(BOOT_STAMP_LAST_TEST);
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed;
}
