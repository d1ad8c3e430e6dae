/* How the kernel reports a failure: through the VMM where one listens
 * (HC_ABORT, HC_ASSERT), else on the console, then the crash status. */
#include <stdarg.h>
#include "panic.h"
#include "exit.h"
#include "hcall.h"
#include "printf.h"
#include "../include/ports.h"

void panic_at(const char *file, int line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("\nPANIC at %s:%d: %s\n", file, line, msg);
	if (hc_available())
		hc_report(HC_ABORT, msg, file, line);
	guest_exit(EXIT_GUEST_CRASH);
}

void guest_assert_failed(const char *expr, const char *file, int line)
{
	if (hc_available())
		hc_report(HC_ASSERT, expr, file, line);
	panic("%s:%d: GUEST_ASSERT(%s) failed", file, line, expr);
}
