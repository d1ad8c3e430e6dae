#ifndef PANIC_H
#define PANIC_H

/* Print the message with file:line and end the run with the crash status
 * (123); under our VMM through HC_ABORT, so the VMM prints the registers. */
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)
void panic_at(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

#define BUG_ON(c) do { if (c) panic("BUG_ON(%s)", #c); } while (0)

#endif
