/* What the boot stub and the loader promised: memory map, modes, tables. */
#include "gdt.h"
#include "kernel.h"
#include "paging.h"
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

TEST(boot, "boot info: the amount of RAM is the E820 RAM summed, ram_size its top")
{
	uint64_t amount = ram_amount(boot_info);
	EXPECT(amount > 0);
	EXPECT(amount <= boot_info->ram_size);
	/* Our VMM's RAM is one block but for the BIOS area 0x9fc00-1 MiB. */
	if (booted_by_vmm())
		EXPECT_EQ(amount, boot_info->ram_size - (0x100000 - BOOT_EBDA_GPA));
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

/* KVM's supported CPUID carries the APIC ID of whichever host CPU the VMM
 * asked it on; the VMM makes it the one vCPU's, 0 (vmm/cpuid.c), as a
 * PC's boot processor has. */
TEST(boot, "CPUID says APIC ID 0: leaf 1, and leaf 0xB where there is one")
{
	uint32_t r[4];
	cpuid(0, 0, r);
	uint32_t max = r[0];
	cpuid(1, 0, r);
	EXPECT_EQ(r[1] >> 24, 0);
	if (max >= 0xb) {
		cpuid(0xb, 0, r);
		EXPECT_EQ(r[3], 0);
	}
}

/* gdt_init() loads only GDTR and TR: the segment registers keep what the
 * stub loaded, which must be the kernel's own selectors. */
TEST(boot, "the segment registers hold the kernel's selectors, TR its TSS")
{
	uint16_t cs, ss, ds, tr;
	__asm__ volatile("mov %%cs, %0\n\tmov %%ss, %1\n\tmov %%ds, %2\n\tstr %3"
			 : "=r"(cs), "=r"(ss), "=r"(ds), "=r"(tr));
	EXPECT_EQ(cs, SEL_KERNEL_CODE);
	EXPECT_EQ(ss, SEL_KERNEL_DATA);
	EXPECT_EQ(ds, SEL_KERNEL_DATA);
	EXPECT_EQ(tr, SEL_TSS);
}

TEST(boot, "stub identity map: 2 MiB pages over RAM in the first GiB, 4K in the first 2M")
{
	const uint64_t *pd = (const uint64_t *)(uintptr_t)BOOT_PD_GPA;
	uint64_t top = BOOT_IDMAP_BYTES, pa, flags;
	/* Our VMM's RAM size is known to the stub, which maps just that. */
	if (booted_by_vmm() && boot_info->ram_size < top)
		top = ALIGN_UP(boot_info->ram_size, 2ull << 20);
	unsigned last = (unsigned)(top >> 21) - 1;
	EXPECT_EQ(pd[0] & (PT_P | PT_W | PT_PS), PT_P | PT_W);  /* a page table */
	if (last > 0)
		EXPECT_EQ(pd[last] & ~0x60ull, ((uint64_t)last << 21) | 0x83); /* minus A, D */
	if (last < 511)
		EXPECT_EQ(pd[last + 1], 0);
	EXPECT_EQ(pt_translate(pt_root(), 0x1ff008, &pa, &flags), 0);
	EXPECT_EQ(pa, 0x1ff008);
	EXPECT_EQ(flags & (PT_W | PT_PS), PT_W);
	/* The tables are what the CPU uses: the kernel's own code reads back. */
	EXPECT_EQ(*(volatile uint8_t *)(0x7c00 + 510), 0x55);
	EXPECT_EQ(*(volatile uint8_t *)(0x7c00 + 511), 0xaa);
}

/* The guard's fault itself is a host test (crash=stack). Not trapped
 * here: on kvm_pvm the IRETQ back counts as a failed emulation, which
 * tests/host/tools.sh's exact count over the boot tests does not expect. */
TEST(boot, "the page under the boot stack is a guard: not mapped, its neighbours are")
{
	uint64_t guard = (uint64_t)boot_stack_guard, pa;
	EXPECT_EQ(pt_translate(pt_root(), guard, NULL, NULL), PT_ENOTMAPPED);
	EXPECT_EQ(pt_translate(pt_root(), guard + BOOT_STACK_GUARD_BYTES - 1, NULL, NULL),
		  PT_ENOTMAPPED);
	/* The image's data below, the stack above. */
	EXPECT_EQ(pt_translate(pt_root(), guard - 1, &pa, NULL), 0);
	EXPECT_EQ(pa, guard - 1);
	EXPECT_EQ(pt_translate(pt_root(), guard + BOOT_STACK_GUARD_BYTES, &pa, NULL), 0);
	EXPECT_EQ(pa, guard + BOOT_STACK_GUARD_BYTES);
}
