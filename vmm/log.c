/* VMM messages on stderr, each prefixed "vmm: ". */
#include <stdarg.h>
#include <stdio.h>

#include "vmm.h"

bool vmm_tracing;
static void (*flush_first)(void);

void log_flush_with(void (*flush)(void))
{
	flush_first = flush;
}

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
	if (flush_first)
		flush_first();
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
