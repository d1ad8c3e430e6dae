/*
 * The guest test framework. A test is a function registered with TEST() into
 * the .tests linker section; kernel/test.c runs them in link order, prints
 * TAP and ends with "N passed, N failed, N skipped".
 *
 *   TEST(paging, "2M map") {
 *       ASSERT(pt != NULL);             // fail and leave the test
 *       EXPECT_EQ(translate(va), pa);   // fail, report both values, go on
 *       if (!have_vmx) SKIP("no VMX: CPUID.1:ECX[5] = 0");
 *   }
 */
#ifndef TEST_H
#define TEST_H

#include <stdbool.h>
#include <stdint.h>

struct test {
	const char *suite;
	const char *name;
	void (*fn)(void);
	const char *file;
};

#define TEST_CAT2(a, b) a##b
#define TEST_CAT(a, b) TEST_CAT2(a, b)
#define TEST(suite, name) TEST_DEFINE(suite, name, TEST_CAT(test_##suite##_, __LINE__))
#define TEST_DEFINE(suite, name, fn)                                            \
	static void fn(void);                                                   \
	static const struct test TEST_CAT(fn, _rec)                             \
		__attribute__((used, section(".tests"), aligned(8))) =          \
		{ #suite, name, fn, __FILE__ };                                 \
	static void fn(void)

bool test_check(bool ok, const char *file, int line, const char *expr);
bool test_check_eq(uint64_t a, uint64_t b, const char *file, int line,
		   const char *ea, const char *eb);
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define EXPECT(c) test_check(!!(c), __FILE__, __LINE__, #c)
#define ASSERT(c) do { if (!EXPECT(c)) return; } while (0)
#define EXPECT_EQ(a, b) test_check_eq((uint64_t)(a), (uint64_t)(b), __FILE__, __LINE__, #a, #b)
#define ASSERT_EQ(a, b) do { if (!EXPECT_EQ(a, b)) return; } while (0)
#define SKIP(...) do { test_skip(__VA_ARGS__); return; } while (0)

/* Run the registered tests whose "suite: name" matches the filter (a
 * comma-separated list of globs; NULL or "" runs all). Returns failures. */
int test_run_all(const char *filter);

#endif
