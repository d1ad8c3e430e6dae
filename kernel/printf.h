/*
 * Formatted output for the kernel: the C99 subset a kernel needs.
 *
 * Conversions: %d %i %u %x %X %p %s %c %%
 * Length:      hh h l ll z j t
 * Flags:       - (left-justify)  0 (zero pad)  + and space (sign)  # (0x on %x)
 * Width:       a number or * (a negative * means '-')
 * Precision:   .N or .* ; maximum bytes for %s, minimum digits for integers
 * %p prints "0x" and 16 hex digits; a NULL %s prints "(null)". An unknown
 * conversion is printed as written, so a typo shows up in the output.
 *
 * printf() formats into a small stack buffer and hands whole chunks to
 * console_write(), so a console that costs one VM exit per write costs one
 * exit per chunk, not per byte.
 */
#ifndef PRINTF_H
#define PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/* Bytes printf() collects before one console_write(). */
#define PRINTF_CHUNK 128

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* C99: return the length the whole output would have had; write at most
 * size - 1 bytes and always NUL-terminate when size > 0. */
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
