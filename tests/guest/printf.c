/* printf: conversions, flags, widths and snprintf's C99 contract. */
#include "lib.h"
#include "printf.h"
#include "test.h"

#include <stdint.h>

/* Format with snprintf and compare; on a mismatch show both strings. */
static bool fmt_is(const char *file, int line, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool fmt_is(const char *file, int line, const char *want, const char *fmt, ...)
{
	char got[128];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(got, sizeof(got), fmt, ap);
	va_end(ap);
	bool ok = strcmp(got, want) == 0 && n == (int)strlen(want);
	if (!ok)
		printf("# format \"%s\": want \"%s\" (%d), got \"%s\" (%d)\n",
		       fmt, want, (int)strlen(want), got, n);
	return test_check(ok, file, line, fmt);
}
#define FMT(want, ...) fmt_is(__FILE__, __LINE__, want, __VA_ARGS__)

TEST(printf, "%d %i %u") {
	FMT("0 -5 123", "%d %i %u", 0, -5, 123u);
	FMT("4294967295", "%u", 4294967295u);
	FMT("-2147483648", "%d", INT32_MIN);
	FMT("2147483647", "%i", INT32_MAX);
}

TEST(printf, "%x %X, 0 in hex") {
	FMT("deadbeef DEADBEEF", "%x %X", 0xdeadbeefu, 0xdeadbeefu);
	FMT("0", "%x", 0);
	FMT("0 0x1f 0X1F", "%#x %#x %#X", 0, 31, 31);
}

TEST(printf, "length modifiers l ll z hh h") {
	FMT("-9223372036854775808", "%ld", (long)INT64_MIN);
	FMT("9223372036854775807", "%lld", (long long)INT64_MAX);
	FMT("18446744073709551615", "%lu", (unsigned long)UINT64_MAX);
	FMT("ffffffffffffffff", "%llx", (unsigned long long)UINT64_MAX);
	FMT("12345678 -1", "%zu %zd", (size_t)12345678, (long)-1);
	FMT("44 4464 -1", "%hhd %hu %hhd", 300, 70000, 255);
}

TEST(printf, "%c %s %% and NULL %s") {
	FMT("a%b", "%c%%%c", 'a', 'b');
	FMT("hello", "%s", "hello");
	const char *volatile null = NULL;  /* hidden from gcc's checks */
	FMT("(null)", "%s", null);
	FMT("(nu", "%.3s", null);
	FMT("", "%s", "");
}

TEST(printf, "widths, zero pad, left-justify") {
	FMT("   42|42   |00042", "%5d|%-5d|%05d", 42, 42, 42);
	FMT("  -42|-42  |-0042", "%5d|%-5d|%05d", -42, -42, -42);
	FMT("-42  ", "%0*d", -5, -42); /* '-' (from *) wins over '0' */
	FMT("0000beef", "%08x", 0xbeef);
	FMT("    ab|cd    |", "%6s|%-6s|", "ab", "cd");
	FMT("  x|y  |", "%3c|%-3c|", 'x', 'y');
	FMT("42", "%1d", 42);         /* a narrow width never truncates */
}

TEST(printf, "* width and precision for %s") {
	FMT("     7|7     |", "%*d|%*d|", 6, 7, -6, 7);
	FMT("abc|ab|  abc", "%.3s|%.*s|%5.3s", "abcdef", 2, "abcdef", "abcdef");
	FMT("ab", "%.10s", "ab");
}

TEST(printf, "%p is 0x and 16 hex digits") {
	FMT("0x0000000000001234", "%p", (void *)0x1234);
	FMT("0x0000000000000000", "%p", (void *)0);
	FMT("0xffff800000000000", "%p", (void *)0xffff800000000000ul);
}

TEST(printf, "snprintf truncates, NUL-terminates, returns full length") {
	char buf[8];

	memset(buf, 'Z', sizeof(buf));
	EXPECT_EQ(snprintf(buf, 5, "hello %d", 12345), 11);
	EXPECT(strcmp(buf, "hell") == 0);
	EXPECT_EQ(buf[5], 'Z');        /* nothing written past size */
	EXPECT_EQ(snprintf(buf, 1, "abc"), 3);
	EXPECT_EQ(buf[0], '\0');
	EXPECT_EQ(snprintf(buf, sizeof(buf), "%s", "1234567"), 7);
	EXPECT(strcmp(buf, "1234567") == 0);
}

TEST(printf, "snprintf with size 0 writes nothing") {
	char buf[4] = { 'Z', 'Z', 'Z', 'Z' };

	EXPECT_EQ(snprintf(buf, 0, "%d", -12345), 6);
	EXPECT_EQ(buf[0], 'Z');
	EXPECT_EQ(snprintf(NULL, 0, "%s%s", "ab", "cd"), 4);
}

TEST(printf, "printf returns the bytes written") {
	/* Longer than one chunk, so the direct-write path runs too. */
	static const char line[] =
		"# a console line longer than one 128-byte printf chunk, "
		"checking that long strings pass through whole and the count "
		"stays right ....";
	EXPECT_EQ(printf("%s\n", line), (int)sizeof(line));
	EXPECT_EQ(printf("# %d %s\n", 42, "ok"), 8);
}
