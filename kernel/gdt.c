/* The kernel's GDT and TSS. */
#include <stdint.h>
#include "gdt.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

static struct tss tss;
static uint8_t df_stack[4096] __attribute__((aligned(16)));
static uint8_t ring0_stack[8192] __attribute__((aligned(16)));
static uint64_t gdt[7];

static void set_tss_descriptor(uint64_t *d, uint64_t base, uint32_t limit)
{
	d[0] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
	       (uint64_t)(limit >> 16 & 0xf) << 48 | (base >> 24 & 0xff) << 56;
	d[1] = base >> 32;
}

void gdt_init(void)
{
	gdt[0] = 0;
	gdt[SEL_KERNEL_CODE / 8] = 0x00af9a000000ffffull; /* 64-bit code, DPL 0 */
	gdt[SEL_KERNEL_DATA / 8] = 0x00cf92000000ffffull;
	gdt[SEL_USER_DATA / 8] = 0x00cff2000000ffffull;   /* data, DPL 3 */
	gdt[SEL_USER_CODE / 8] = 0x00affa000000ffffull;   /* 64-bit code, DPL 3 */
	tss.ist[TSS_IST_DF - 1] = (uint64_t)(df_stack + sizeof(df_stack));
	tss.rsp[0] = (uint64_t)(ring0_stack + sizeof(ring0_stack));
	tss.iomap_base = sizeof(tss); /* no I/O bitmap */
	set_tss_descriptor(&gdt[SEL_TSS / 8], (uint64_t)&tss, sizeof(tss) - 1);

	/* The stub's GDT has these same descriptors at SEL_KERNEL_CODE and
	 * SEL_KERNEL_DATA (boot/stub.asm), and CS, SS and DS-GS hold them:
	 * loading them again would change nothing, and where KVM emulates
	 * CPL0 code a far return and five segment loads cost ~40 us. */
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d =
		{ sizeof(gdt) - 1, (uint64_t)gdt };
	__asm__ volatile("lgdt %0\n\tltr %w1" :: "m"(d), "r"(SEL_TSS) : "memory");
}
