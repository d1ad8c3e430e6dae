/*
 * paging: map, translate, unmap, split, and what the CPU does with the
 * result (#PF error codes). Test mappings live at TEST_VA, far above RAM,
 * in the live page tables; pages come from the kernel pmm.
 */
#include "kernel.h"
#include "paging.h"
#include "pmm.h"
#include "test.h"
#include "trap.h"

#define TEST_VA 0x0000400000000000ul
#define SZ_2M   PT_SIZE_2M
#define PF_BITS (PF_P | PF_W | PF_U | PF_I)

static volatile uint64_t sink;
static struct pmm priv;

static void do_read(void *p) { sink = *(volatile uint64_t *)p; }
static void do_write(void *p) { *(volatile uint64_t *)p = 0x5a5a5a5a; }
static void do_call(void *p) { ((void (*)(void))p)(); }

static uint64_t *at(uint64_t a) { return (uint64_t *)(uintptr_t)a; }

/* A 2 MiB-aligned block of RAM, or 0. */
static uint64_t block_2m(void)
{
	return pmm_alloc_contig(&kernel_pmm, 512, SZ_2M);
}

TEST(paging, "map 4K and translate") {
	uint64_t root = pt_root(), va = TEST_VA + 0x1000, pa, flags;
	uint64_t pg = pmm_alloc_zeroed(&kernel_pmm);

	ASSERT(pg != 0);
	ASSERT_EQ(pt_map(root, va, pg, PT_SIZE_4K, PT_W | PT_NX), 0);
	ASSERT_EQ(pt_translate(root, va + 0x123, &pa, &flags), 0);
	EXPECT_EQ(pa, pg + 0x123);
	EXPECT_EQ(flags & (PT_P | PT_W | PT_U | PT_NX | PT_PS), PT_P | PT_W | PT_NX);
	pt_dump_walk(root, va + 0x123);
	/* The mapping is live: a store through va lands in pg. */
	*(volatile uint64_t *)(va + 8) = 0x1122334455667788;
	EXPECT_EQ(at(pg)[1], 0x1122334455667788);
	EXPECT_EQ(pt_unmap(root, va), 0);
	pmm_free(&kernel_pmm, pg);
}

TEST(paging, "map 2M and translate at an offset inside") {
	uint64_t root = pt_root(), va = TEST_VA + 2 * SZ_2M, pa, flags;
	uint64_t blk = block_2m();

	if (!blk)
		SKIP("no free 2 MiB-aligned block");
	ASSERT_EQ(pt_map(root, va, blk, SZ_2M, PT_W), 0);
	ASSERT_EQ(pt_translate(root, va + 0x12345, &pa, &flags), 0);
	EXPECT_EQ(pa, blk + 0x12345);
	EXPECT_EQ(flags & (PT_P | PT_W | PT_NX | PT_PS), PT_P | PT_W | PT_PS);
	pt_dump_walk(root, va + 0x12345);
	*(volatile uint64_t *)(va + 0x1ff000) = 0xabcdef;
	EXPECT_EQ(at(blk + 0x1ff000)[0], 0xabcdef);
	EXPECT_EQ(pt_unmap(root, va + 0x5000), 0);  /* the whole leaf goes */
	EXPECT_EQ(pt_translate(root, va, &pa, &flags), PT_ENOTMAPPED);
	pmm_free_contig(&kernel_pmm, blk, 512);
}

TEST(paging, "bad arguments are refused with an error code") {
	uint64_t root = pt_root(), va = TEST_VA + 4 * SZ_2M;

	EXPECT_EQ(pt_map(root, va + 0x1000, 0, SZ_2M, 0), PT_EALIGN);
	EXPECT_EQ(pt_map(root, va, 0x1000, SZ_2M, 0), PT_EALIGN);
	EXPECT_EQ(pt_map(root, va + 8, 0x1000, PT_SIZE_4K, 0), PT_EALIGN);
	EXPECT_EQ(pt_map(root, va, 0, 0x2000, 0), PT_ESIZE);
	EXPECT_EQ(pt_map(root, va, 0, PT_SIZE_4K, PT_PS), PT_EFLAGS);
	EXPECT_EQ(pt_map(root, 0x0000800000000000ul, 0, PT_SIZE_4K, 0), PT_ENONCANON);
	EXPECT_EQ(pt_map(root, va, 1ul << 52, PT_SIZE_4K, 0), PT_ERANGE);
	EXPECT_EQ(pt_map_range(root, va, 0, 0x1800, 0), PT_EALIGN);
	EXPECT_EQ(pt_translate(root, 0x8000000000000000ul, NULL, NULL), PT_ENONCANON);
	EXPECT_EQ(pt_translate(root, va, NULL, NULL), PT_ENOTMAPPED);
	EXPECT_EQ(pt_unmap(root, va), PT_ENOTMAPPED);
	/* A 2M leaf over a page table of 4K leaves would orphan them. */
	uint64_t pg = pmm_alloc(&kernel_pmm);
	ASSERT(pg != 0);
	ASSERT_EQ(pt_map(root, va, pg, PT_SIZE_4K, 0), 0);
	EXPECT_EQ(pt_map(root, va, 0, SZ_2M, 0), PT_EBUSY);
	EXPECT_EQ(pt_map_range(root, va, 0, SZ_2M, 0), PT_EBUSY);
	EXPECT_EQ(pt_unmap(root, va), 0);
	pmm_free(&kernel_pmm, pg);
	EXPECT(pt_strerror(PT_EBUSY)[0] != 'u');  /* named, not "unknown" */
}

TEST(paging, "unmap: translate fails and a read faults with P=0") {
	uint64_t root = pt_root(), va = TEST_VA + 6 * SZ_2M + 0x3000;
	uint64_t pg = pmm_alloc_zeroed(&kernel_pmm);
	struct trap_info ti;

	ASSERT(pg != 0);
	ASSERT_EQ(pt_map(root, va, pg, PT_SIZE_4K, PT_W | PT_NX), 0);
	EXPECT_EQ(trap_run(do_read, (void *)(va + 16), &ti), -1);
	ASSERT_EQ(pt_unmap(root, va), 0);
	EXPECT_EQ(pt_translate(root, va, NULL, NULL), PT_ENOTMAPPED);
	EXPECT_EQ(trap_run(do_read, (void *)(va + 16), &ti), VEC_PF);
	EXPECT_EQ(ti.cr2, va + 16);
	EXPECT_EQ(ti.error_code & PF_BITS, 0);   /* not present, read, supervisor */
	pmm_free(&kernel_pmm, pg);
}

TEST(paging, "a write to a read-only page faults with P|W") {
	uint64_t root = pt_root(), va = TEST_VA + 8 * SZ_2M;
	uint64_t pg = pmm_alloc_zeroed(&kernel_pmm);
	struct trap_info ti;

	ASSERT(pg != 0);
	at(pg)[0] = 7;
	ASSERT_EQ(pt_map(root, va, pg, PT_SIZE_4K, PT_NX), 0);
	EXPECT_EQ(trap_run(do_read, (void *)va, &ti), -1);
	EXPECT_EQ(sink, 7);
	EXPECT_EQ(trap_run(do_write, (void *)va, &ti), VEC_PF);
	EXPECT_EQ(ti.cr2, va);
	EXPECT_EQ(ti.error_code & PF_BITS, PF_P | PF_W);  /* CR0.WP binds CPL0 */
	EXPECT_EQ(at(pg)[0], 7);
	/* Remapped writable, the same store goes through. */
	ASSERT_EQ(pt_map(root, va, pg, PT_SIZE_4K, PT_W | PT_NX), 0);
	EXPECT_EQ(trap_run(do_write, (void *)va, &ti), -1);
	EXPECT_EQ(at(pg)[0], 0x5a5a5a5a);
	EXPECT_EQ(pt_unmap(root, va), 0);
	pmm_free(&kernel_pmm, pg);
}

TEST(paging, "executing from an NX page faults with P|I; mapped X it runs") {
	uint64_t root = pt_root(), va = TEST_VA + 10 * SZ_2M;
	uint64_t pg = pmm_alloc_zeroed(&kernel_pmm);
	struct trap_info ti;

	ASSERT(pg != 0);
	*(volatile uint8_t *)pg = 0xc3;   /* ret */
	ASSERT_EQ(pt_map(root, va, pg, PT_SIZE_4K, PT_NX), 0);
	EXPECT_EQ(trap_run(do_call, (void *)va, &ti), VEC_PF);
	EXPECT_EQ(ti.cr2, va);
	EXPECT_EQ(ti.rip, va);
	EXPECT_EQ(ti.error_code & PF_BITS, PF_P | PF_I);
	ASSERT_EQ(pt_map(root, va, pg, PT_SIZE_4K, 0), 0);
	EXPECT_EQ(trap_run(do_call, (void *)va, &ti), -1);
	EXPECT_EQ(pt_unmap(root, va), 0);
	pmm_free(&kernel_pmm, pg);
}

TEST(paging, "a 4K map inside a 2M leaf splits it, keeping the other 511") {
	uint64_t root = pt_root(), va = TEST_VA + 12 * SZ_2M, pa, flags;
	uint64_t blk = block_2m(), pg = pmm_alloc_zeroed(&kernel_pmm);
	int wrong = 0;

	if (!blk) {
		pmm_free(&kernel_pmm, pg);
		SKIP("no free 2 MiB-aligned block");
	}
	ASSERT(pg != 0);
	at(blk + 7 * PT_SIZE_4K)[0] = 0x77;
	at(pg)[0] = 0x55;
	ASSERT_EQ(pt_map(root, va, blk, SZ_2M, PT_W | PT_NX), 0);
	EXPECT_EQ(*(volatile uint64_t *)(va + 7 * PT_SIZE_4K), 0x77);  /* via the 2M leaf */
	ASSERT_EQ(pt_map(root, va + 5 * PT_SIZE_4K, pg, PT_SIZE_4K, PT_W | PT_NX), 0);
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t want = i == 5 ? pg : blk + i * PT_SIZE_4K;
		if (pt_translate(root, va + i * PT_SIZE_4K, &pa, &flags) ||
		    pa != want ||
		    (flags & (PT_P | PT_W | PT_NX | PT_PS)) != (PT_P | PT_W | PT_NX))
			wrong++;
	}
	EXPECT_EQ(wrong, 0);
	pt_dump_walk(root, va + 5 * PT_SIZE_4K);
	EXPECT_EQ(*(volatile uint64_t *)(va + 5 * PT_SIZE_4K), 0x55);
	EXPECT_EQ(*(volatile uint64_t *)(va + 7 * PT_SIZE_4K), 0x77);
	/* Unmapping one 4K page now leaves its neighbours. */
	EXPECT_EQ(pt_unmap(root, va + 5 * PT_SIZE_4K), 0);
	EXPECT_EQ(pt_translate(root, va + 5 * PT_SIZE_4K, NULL, NULL), PT_ENOTMAPPED);
	EXPECT_EQ(pt_translate(root, va + 6 * PT_SIZE_4K, &pa, NULL), 0);
	EXPECT_EQ(pa, blk + 6 * PT_SIZE_4K);
	for (uint64_t i = 0; i < 512; i++)
		pt_unmap(root, va + i * PT_SIZE_4K);
	pmm_free(&kernel_pmm, pg);
	pmm_free_contig(&kernel_pmm, blk, 512);
}

TEST(paging, "a 2M map over a table: PT_EBUSY while 4K pages are mapped, else it frees it") {
	uint64_t root = pt_root(), va = TEST_VA + 14 * SZ_2M, pa, flags;
	uint64_t pg = pmm_alloc(&kernel_pmm);

	ASSERT(pg != 0);
	ASSERT_EQ(pt_map(root, va + 0x3000, pg, PT_SIZE_4K, 0), 0);  /* makes a table */
	ASSERT_EQ(pt_map(root, va + 0x5000, pg, PT_SIZE_4K, 0), 0);
	uint64_t free_before = pmm_free_count(&kernel_pmm);
	EXPECT_EQ(pt_map(root, va, 0, SZ_2M, 0), PT_EBUSY);
	EXPECT_EQ(pt_unmap(root, va + 0x3000), 0);
	EXPECT_EQ(pt_map_range(root, va, 0, SZ_2M, 0), PT_EBUSY);     /* one left */
	EXPECT_EQ(pt_translate(root, va + 0x5000, &pa, NULL), 0);       /* and kept */
	EXPECT_EQ(pa, pg);
	EXPECT_EQ(pt_unmap(root, va + 0x5000), 0);
	/* All 512 entries empty: the 2M leaf goes in, the table page is freed. */
	EXPECT_EQ(pt_map(root, va, 0, SZ_2M, 0), 0);
	EXPECT_EQ(pt_translate(root, va + 0x12345, &pa, &flags), 0);
	EXPECT_EQ(pa, 0x12345);
	EXPECT(flags & PT_PS);
	EXPECT_EQ(pmm_free_count(&kernel_pmm), free_before + 1);
	/* pt_map_range takes the same way. */
	EXPECT_EQ(pt_unmap(root, va), 0);
	ASSERT_EQ(pt_map(root, va + 0x7000, pg, PT_SIZE_4K, 0), 0);
	EXPECT_EQ(pt_unmap(root, va + 0x7000), 0);
	EXPECT_EQ(pt_map_range(root, va, 0, SZ_2M, 0), 0);
	EXPECT_EQ(pt_translate(root, va + 0x7000, &pa, &flags), 0);
	EXPECT(flags & PT_PS);
	EXPECT_EQ(pmm_free_count(&kernel_pmm), free_before + 1);
	EXPECT_EQ(pt_unmap(root, va), 0);
	pmm_free(&kernel_pmm, pg);
}

TEST(paging, "map_range: 2M leaves where aligned, 4K at the edges") {
	uint64_t root = pt_new_root(), pa, flags;
	/* Not live, so any addresses do; start 2 pages below a 2M boundary. */
	uint64_t va = TEST_VA + SZ_2M - 0x2000, base = 0x40000000ul - 0x2000;
	uint64_t len = 2 * SZ_2M + 0x5000;

	ASSERT(root != 0);
	ASSERT_EQ(pt_map_range(root, va, base, len, PT_W), 0);
	static const struct { uint64_t off; bool big; } probe[] = {
		{ 0, false }, { 0x1fff, false }, { 0x2000, true }, { 0x2000 + SZ_2M - 1, true },
		{ 0x2000 + SZ_2M, true }, { 0x2000 + 2 * SZ_2M, false },
		{ 0x2000 + 2 * SZ_2M + 0x2fff, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(probe); i++) {
		EXPECT_EQ(pt_translate(root, va + probe[i].off, &pa, &flags), 0);
		EXPECT_EQ(pa, base + probe[i].off);
		EXPECT_EQ(!!(flags & PT_PS), probe[i].big);
	}
	EXPECT_EQ(pt_translate(root, va + len, NULL, NULL), PT_ENOTMAPPED);
	EXPECT_EQ(pt_translate(root, va - 1, NULL, NULL), PT_ENOTMAPPED);
	pt_free_tables(root);
}

TEST(paging, "tables come from the set pmm; running out gives PT_ENOMEM") {
	uint64_t block = pmm_alloc_contig(&kernel_pmm, 4, PT_SIZE_4K), pa;

	ASSERT(block != 0);
	pmm_init(&priv, "tables");
	ASSERT_EQ(pmm_add_range(&priv, block, 4 * PT_SIZE_4K), 0);
	struct pmm *old = pt_set_pmm(&priv);
	uint64_t root = pt_new_root();   /* 1 page; a 4K map needs 3 more */
	EXPECT_EQ(pt_map(root, TEST_VA, 0x5000, PT_SIZE_4K, 0), 0);
	EXPECT_EQ(pmm_free_count(&priv), 0);
	EXPECT_EQ(pt_map(root, TEST_VA + (1ul << 39), 0x6000, PT_SIZE_4K, 0), PT_ENOMEM);
	EXPECT_EQ(pt_translate(root, TEST_VA + 0x10, &pa, NULL), 0);
	EXPECT_EQ(pa, 0x5010);
	pt_free_tables(root);
	EXPECT_EQ(pmm_free_count(&priv), 4);
	pt_set_pmm(old);
	pmm_free_contig(&kernel_pmm, block, 4);
}

TEST(paging, "every RAM page is identity-mapped after paging_init") {
	uint64_t root = pt_root(), pa;
	int checked = 0;

	for (uint32_t i = 0; i < boot_info->e820_count && i < BOOT_E820_MAX; i++) {
		const struct e820_entry *e = &boot_info->e820[i];
		if (e->type != E820_RAM || !e->len)
			continue;
		uint64_t probe[2] = { e->base, e->base + e->len - 1 };
		for (int k = 0; k < 2; k++) {
			EXPECT_EQ(pt_translate(root, probe[k], &pa, NULL), 0);
			EXPECT_EQ(pa, probe[k]);
			checked++;
		}
	}
	EXPECT(checked > 0);
}
