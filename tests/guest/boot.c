/* What the boot stub and the loader promised: memory map, modes, tables. */
#include "kernel.h"
#include "test.h"
#include "x86.h"

extern char __kernel_end[], _start[];

TEST(boot, "boot info: memory map has RAM at 1 MiB and covers ram_size")
{
	const struct boot_info *bi = boot_info;
	uint64_t top = 0;
	bool low = false;
	ASSERT(bi->e820_count > 0 && bi->e820_count <= BOOT_E820_MAX);
	for (uint32_t i = 0; i < bi->e820_count; i++) {
		const struct e820_entry *e = &bi->e820[i];
		if (e->type != E820_RAM)
			continue;
		if (e->base <= 0x100000 && e->base + e->len > 0x100000)
			low = true;
		if (e->base + e->len > top)
			top = e->base + e->len;
	}
	EXPECT(low);
	EXPECT(bi->ram_size >= 2ull << 20);
	EXPECT_EQ(top, bi->ram_size);
}

TEST(boot, "boot info: the kernel image lies in RAM")
{
	const struct boot_info *bi = boot_info;
	bool found = false;
	for (uint32_t i = 0; i < bi->e820_count; i++) {
		const struct e820_entry *e = &bi->e820[i];
		if (e->type == E820_RAM && e->base <= (uint64_t)_start &&
		    e->base + e->len >= (uint64_t)__kernel_end)
			found = true;
	}
	EXPECT(found);
}

TEST(boot, "boot info: command line is NUL-terminated at cmdline_len")
{
	const struct boot_info *bi = boot_info;
	ASSERT(bi->cmdline_len < BOOT_CMDLINE_MAX);
	EXPECT_EQ(strlen(bi->cmdline), bi->cmdline_len);
	if (booted_by_vmm()) {
		EXPECT_EQ(bi->magic, BOOT_MAGIC);
		EXPECT(bi->flags & BI_FLAG_VMM);
	} else {
		EXPECT_EQ(bi->magic, 0);
	}
}

TEST(boot, "long mode with paging, PAE, NX and write protection")
{
	uint64_t efer = rdmsr(MSR_EFER);
	EXPECT(efer & EFER_LMA);
	EXPECT(efer & EFER_NXE);
	EXPECT(read_cr0() & CR0_PG);
	EXPECT(read_cr0() & CR0_WP);
	EXPECT(read_cr4() & CR4_PAE);
	EXPECT_EQ(read_cr3() & ~0xfffull, BOOT_PML4_GPA);
}

TEST(boot, "stub identity map: 2 MiB pages over RAM in the first GiB")
{
	const uint64_t *pd = (const uint64_t *)(uintptr_t)BOOT_PD_GPA;
	uint64_t top = BOOT_IDMAP_BYTES;
	/* Our VMM's RAM size is known to the stub, which maps just that. */
	if (booted_by_vmm() && boot_info->ram_size < top)
		top = ALIGN_UP(boot_info->ram_size, 2ull << 20);
	unsigned last = (unsigned)(top >> 21) - 1;
	EXPECT_EQ(pd[0] & ~0x60ull, 0x83); /* minus accessed, dirty */
	EXPECT_EQ(pd[last] & ~0x60ull, ((uint64_t)last << 21) | 0x83);
	if (last < 511)
		EXPECT_EQ(pd[last + 1], 0);
	/* The tables are what the CPU uses: the kernel's own code reads back. */
	EXPECT_EQ(*(volatile uint8_t *)(0x7c00 + 510), 0x55);
	EXPECT_EQ(*(volatile uint8_t *)(0x7c00 + 511), 0xaa);
}
