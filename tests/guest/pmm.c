/* pmm: the kernel allocator, and small private ones over borrowed pages. */
#include "lib.h"
#include "pmm.h"
#include "test.h"

/* Private allocators are static: struct pmm is large for a kernel stack. */
static struct pmm priv;

/* Borrow npages contiguous pages from the kernel pmm and start an empty
 * private pmm for the test to give them to. */
static uint64_t borrow(size_t npages)
{
	pmm_init(&priv, "test");
	return pmm_alloc_contig(&kernel_pmm, npages, PAGE_SIZE);
}

static bool all_distinct(const uint64_t *pg, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (pg[i] == pg[j])
				return false;
	return true;
}

TEST(pmm, "kernel pmm manages RAM above 1 MiB only") {
	ASSERT(kernel_pmm.nranges > 0);
	EXPECT(kernel_pmm.range[0].base >= (1ul << 20));
	EXPECT(pmm_free_count(&kernel_pmm) > 0);
	EXPECT(!pmm_owns(&kernel_pmm, 0x7c00));
	EXPECT(!pmm_owns(&kernel_pmm, 0));
}

TEST(pmm, "kernel alloc: distinct page-aligned owned pages") {
	uint64_t pg[8], before = pmm_free_count(&kernel_pmm);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pg); i++) {
		pg[i] = pmm_alloc(&kernel_pmm);
		ASSERT(pg[i] != 0);
		EXPECT_EQ(pg[i] & (PAGE_SIZE - 1), 0);
		EXPECT(pmm_owns(&kernel_pmm, pg[i]));
	}
	EXPECT(all_distinct(pg, ARRAY_SIZE(pg)));
	EXPECT_EQ(pmm_free_count(&kernel_pmm), before - ARRAY_SIZE(pg));
	for (i = 0; i < ARRAY_SIZE(pg); i++)
		EXPECT_EQ(pmm_try_free(&kernel_pmm, pg[i]), 0);
	EXPECT_EQ(pmm_free_count(&kernel_pmm), before);
}

TEST(pmm, "private pmm: every page once, all inside its ranges") {
	uint64_t block = borrow(24), pg[20];

	ASSERT(block != 0);
	/* Two ranges with a hole, added high one first (kept sorted). */
	ASSERT_EQ(pmm_add_range(&priv, block + 12 * PAGE_SIZE, 12 * PAGE_SIZE), 0);
	ASSERT_EQ(pmm_add_range(&priv, block, 8 * PAGE_SIZE), 0);
	EXPECT_EQ(pmm_free_count(&priv), 20);
	for (size_t i = 0; i < ARRAY_SIZE(pg); i++) {
		pg[i] = pmm_alloc(&priv);
		ASSERT(pg[i] != 0);
		EXPECT_EQ(pg[i] & (PAGE_SIZE - 1), 0);
		EXPECT(pg[i] < block + 8 * PAGE_SIZE ||
		       (pg[i] >= block + 12 * PAGE_SIZE && pg[i] < block + 24 * PAGE_SIZE));
	}
	EXPECT(all_distinct(pg, ARRAY_SIZE(pg)));
	EXPECT_EQ(pg[0], block);   /* lowest range first */
	pmm_free_contig(&kernel_pmm, block, 24);
}

TEST(pmm, "exhaustion returns 0 and the count reaches 0") {
	uint64_t block = borrow(4);

	ASSERT(block != 0);
	/* Unaligned bounds shrink inward to whole pages: 3 of the 4. */
	ASSERT_EQ(pmm_add_range(&priv, block + 8, 4 * PAGE_SIZE - 8), 0);
	EXPECT_EQ(pmm_free_count(&priv), 3);
	for (int i = 0; i < 3; i++)
		EXPECT(pmm_alloc(&priv) != 0);
	EXPECT_EQ(pmm_free_count(&priv), 0);
	EXPECT_EQ(pmm_alloc(&priv), 0);
	EXPECT_EQ(pmm_alloc_zeroed(&priv), 0);
	EXPECT_EQ(pmm_alloc_contig(&priv, 1, PAGE_SIZE), 0);
	EXPECT_EQ(pmm_free_count(&priv), 0);
	pmm_free_contig(&kernel_pmm, block, 4);
}

TEST(pmm, "free then alloc reuses the page; alloc_zeroed clears it") {
	uint64_t block = borrow(4);

	ASSERT(block != 0);
	ASSERT_EQ(pmm_add_range(&priv, block, 4 * PAGE_SIZE), 0);
	uint64_t a = pmm_alloc(&priv), b = pmm_alloc(&priv);
	ASSERT(a && b && a != b);
	memset((void *)a, 0xa5, PAGE_SIZE);
	EXPECT_EQ(pmm_try_free(&priv, a), 0);
	EXPECT_EQ(pmm_free_count(&priv), 3);
	EXPECT_EQ(pmm_alloc_zeroed(&priv), a);
	const uint64_t *w = (const uint64_t *)a;
	size_t nonzero = 0;
	for (size_t i = 0; i < PAGE_SIZE / 8; i++)
		nonzero += w[i] != 0;
	EXPECT_EQ(nonzero, 0);
	pmm_free_contig(&kernel_pmm, block, 4);
}

TEST(pmm, "double free is detected, not applied") {
	uint64_t block = borrow(4);

	ASSERT(block != 0);
	ASSERT_EQ(pmm_add_range(&priv, block, 4 * PAGE_SIZE), 0);
	uint64_t a = pmm_alloc(&priv), b = pmm_alloc(&priv);
	ASSERT(a && b);
	EXPECT_EQ(pmm_try_free(&priv, a), 0);
	EXPECT_EQ(pmm_check_free(&priv, a), PMM_EDOUBLE);
	EXPECT_EQ(pmm_try_free(&priv, a), PMM_EDOUBLE);
	EXPECT_EQ(pmm_free_count(&priv), 3);
	/* A live page holding a free page's bytes is not misjudged as free. */
	uint64_t *wb = (uint64_t *)b;
	wb[0] = ((uint64_t *)a)[0];
	wb[1] = ((uint64_t *)a)[1] ^ a ^ b;
	EXPECT_EQ(pmm_try_free(&priv, b), 0);
	EXPECT_EQ(pmm_alloc(&priv), b);
	EXPECT_EQ(pmm_alloc(&priv), a);
	pmm_free_contig(&kernel_pmm, block, 4);
}

TEST(pmm, "foreign, unaligned and never-allocated frees are refused") {
	uint64_t block = borrow(4);

	ASSERT(block != 0);
	ASSERT_EQ(pmm_add_range(&priv, block, 2 * PAGE_SIZE), 0);
	uint64_t a = pmm_alloc(&priv);
	ASSERT(a != 0);
	EXPECT_EQ(pmm_try_free(&priv, a + 8), PMM_EALIGN);
	EXPECT_EQ(pmm_try_free(&priv, block + 3 * PAGE_SIZE), PMM_EFOREIGN);
	EXPECT_EQ(pmm_try_free(&priv, block + PAGE_SIZE), PMM_ENOTALLOC);
	EXPECT_EQ(pmm_add_range(&priv, block + PAGE_SIZE, 2 * PAGE_SIZE), PMM_EOVERLAP);
	EXPECT_EQ(pmm_free_count(&priv), 1);
	pmm_free_contig(&kernel_pmm, block, 4);
}

TEST(pmm, "contig alloc: alignment, and skipped pages stay usable") {
	uint64_t block = borrow(16);

	ASSERT(block != 0);
	/* Start one page past a 16 KiB boundary so alignment must skip. */
	uint64_t base = ALIGN_UP(block, 4 * PAGE_SIZE) + PAGE_SIZE;
	ASSERT_EQ(pmm_add_range(&priv, base, 8 * PAGE_SIZE), 0);
	uint64_t c = pmm_alloc_contig(&priv, 4, 4 * PAGE_SIZE);
	EXPECT_EQ(c, base + 3 * PAGE_SIZE);
	EXPECT_EQ(c & (4 * PAGE_SIZE - 1), 0);
	EXPECT_EQ(pmm_free_count(&priv), 4);   /* 3 skipped + 1 above */
	EXPECT_EQ(pmm_alloc_contig(&priv, 2, PAGE_SIZE), 0);
	for (int i = 0; i < 4; i++) {
		uint64_t p = pmm_alloc(&priv);
		EXPECT(p != 0 && (p < c || p >= c + 4 * PAGE_SIZE));
	}
	EXPECT_EQ(pmm_alloc_contig(&priv, 0, PAGE_SIZE), 0);
	EXPECT_EQ(pmm_alloc_contig(&priv, 1, 3 * PAGE_SIZE), 0);  /* not a power of 2 */
	pmm_free_contig(&kernel_pmm, block, 16);
}

TEST(pmm, "2 MiB-aligned contig block from the kernel pmm") {
	uint64_t before = pmm_free_count(&kernel_pmm);
	uint64_t c = pmm_alloc_contig(&kernel_pmm, 512, 2ul << 20);

	if (!c)
		SKIP("no 2 MiB-aligned 2 MiB block free (%lu pages free)", before);
	EXPECT_EQ(c & ((2ul << 20) - 1), 0);
	EXPECT(pmm_owns(&kernel_pmm, c));
	EXPECT(pmm_owns(&kernel_pmm, c + (2ul << 20) - PAGE_SIZE));
	EXPECT_EQ(pmm_free_count(&kernel_pmm), before - 512);
	pmm_free_contig(&kernel_pmm, c, 512);
	EXPECT_EQ(pmm_free_count(&kernel_pmm), before);
	/* It was the top of the bump space: the same block comes back. */
	EXPECT_EQ(pmm_alloc_contig(&kernel_pmm, 512, 2ul << 20), c);
	pmm_free_contig(&kernel_pmm, c, 512);
}
