/* VMM messages on stderr, each prefixed "vmm: ". */
#include <stdarg.h>
#include <stdio.h>

#include "vmm.h"

bool vmm_tracing;

void vmm_log(const char *fmt, ...)
{
	va_list ap;

	/* Guest output that came first must appear first. */
	console_flush();
	va_start(ap, fmt);
	fputs("vmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
