/*
 * usermode: a stretch of code at CPL3 (kernel/usermode.c) runs, writes its
 * pages and comes back through the #GP of its HLT. The GPAs it prints are
 * what make mmu-map's CPL3 run looks for in KVM's map (tests/host/tools.sh).
 */
#include "test.h"
#include "printf.h"
#include "paging.h"
#include "usermode.h"

TEST(usermode, "CPL3 code writes its pages and returns through #GP at HLT") {
	struct user_run r = { .pages = 8 };

	ASSERT_EQ(user_run(&r), 0);
	printf("# usermode: code page GPA 0x%lx, data pages GPA", r.code_gpa);
	for (unsigned i = 0; i < r.pages; i++)
		printf(" 0x%lx", r.data_gpa[i]);
	printf("\n");
	EXPECT_EQ(r.ti.vector, VEC_GP);
	EXPECT_EQ(r.ti.error_code, 0);
	EXPECT_EQ(r.ti.rip, r.hlt_va);
	for (unsigned i = 0; i < r.pages; i++)
		EXPECT_EQ(r.seen[i], r.pages - i);
}

TEST(usermode, "a page count out of range is refused, nothing mapped") {
	struct user_run r = { .pages = 0 };

	EXPECT_EQ(user_run(&r), PT_ESIZE);
	r.pages = USER_PAGES_MAX + 1;
	EXPECT_EQ(user_run(&r), PT_ESIZE);
}
