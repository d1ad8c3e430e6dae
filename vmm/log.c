/* VMM messages on stderr, each prefixed "vmm: ". */
#include <stdarg.h>
#include <stdio.h>

#include "vmm.h"

bool vmm_tracing;

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void vmm_log(const char *fmt, ...)
{
	va_list ap;

	/* Guest output that came first must appear first. */
	console_flush();
	va_start(ap, fmt);
	vlog("vmm: ", fmt, ap);
	va_end(ap);
}

/* Trace lines leave a partial console line buffered: flushing it before
 * each of them would cut every guest line into one byte per trace line. */
void trace_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("vmm: trace: ", fmt, ap);
	va_end(ap);
}
