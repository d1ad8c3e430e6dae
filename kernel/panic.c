#include <stdarg.h>
#include "panic.h"
#include "printf.h"
#include "exit.h"
#include "../include/ports.h"

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("\nPANIC: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	guest_exit(EXIT_GUEST_CRASH);
}
