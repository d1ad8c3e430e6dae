#ifndef PANIC_H
#define PANIC_H

/* Print the message with file:line and end the run with the crash status
 * (123); under our VMM through HC_ABORT, so the VMM prints the registers. */
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)
void panic_at(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

#define BUG_ON(c) do { if (c) panic("BUG_ON(%s)", #c); } while (0)

/* A guest check the VMM reports with file:line (exits 1), or panic when no
 * VMM listens. */
#define GUEST_ASSERT(c) \
	do { if (!(c)) guest_assert_failed(#c, __FILE__, __LINE__); } while (0)
void guest_assert_failed(const char *expr, const char *file, int line) __attribute__((noreturn));

#endif
