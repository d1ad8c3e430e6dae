/* TAP for the host unit tests: "ok N - what", "not ok N - what # file:line
 * detail", and the closing "N passed, N failed, N skipped" line. */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int tap_n, tap_passed, tap_failed;

/* One test line; returns ok so callers can add diagnostics on failure. */
static inline bool __attribute__((format(printf, 5, 6)))
tap_check(bool ok, const char *expr, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (ok)
		tap_passed++;
	else {
		tap_failed++;
		printf(" # %s:%d: %s", file, line, expr);
	}
	putchar('\n');
	return ok;
}

#define CHECK(cond, ...) tap_check((cond), #cond, __FILE__, __LINE__, __VA_ARGS__)

static inline int tap_done(void)
{
	printf("%d passed, %d failed, 0 skipped\n", tap_passed, tap_failed);
	return tap_failed != 0;
}

#endif
