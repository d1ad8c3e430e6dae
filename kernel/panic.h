#ifndef PANIC_H
#define PANIC_H

/* Print the message and end the run with the crash status (123). */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#define BUG_ON(c) do { if (c) panic("%s:%d: BUG_ON(%s)", __FILE__, __LINE__, #c); } while (0)

#endif
