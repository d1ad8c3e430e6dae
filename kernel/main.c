/*
 * kernel_main: the C entry. Called by boot/stub.asm in long mode with the
 * boot info block; sets up the CPU tables, says hello, runs the test suite
 * and ends the run with its verdict.
 */
#include "../include/bootinfo.h"
#include "../include/ports.h"
#include "console.h"
#include "bench.h"
#include "clock.h"
#include "cmdline.h"
#include "exit.h"
#include "gdt.h"
#include "hcall.h"
#include "kernel.h"
#include "paging.h"
#include "pmm.h"
#include "printf.h"
#include "stamp.h"
#include "test.h"
#include "trap.h"
#include "x86.h"

const struct boot_info *boot_info;

extern char __kernel_end[];

static void cpu_vendor(char out[13])
{
	uint32_t r[4];
	cpuid(0, 0, r);
	((uint32_t *)out)[0] = r[1];
	((uint32_t *)out)[1] = r[3];
	((uint32_t *)out)[2] = r[2];
	out[12] = 0;
}

/* The brand string, or the vendor where it is missing or empty (some
 * VMMs leave it blank). */
static void cpu_brand(char out[49])
{
	uint32_t r[4];
	cpuid(0x80000000, 0, r);
	if (r[0] >= 0x80000004) {
		for (uint32_t i = 0; i < 3; i++)
			cpuid(0x80000002 + i, 0, (uint32_t *)out + 4 * i);
		out[48] = 0;
		if (out[0])
			return;
	}
	cpu_vendor(out);
}

uint64_t ram_amount(const struct boot_info *bi)
{
	uint64_t sum = 0;
	for (uint32_t i = 0; i < bi->e820_count && i < BOOT_E820_MAX; i++)
		if (bi->e820[i].type == E820_RAM)
			sum += bi->e820[i].len;
	return sum;
}

static void banner(const struct boot_info *bi, uint64_t entry_tsc)
{
	char brand[49];
	const char *b = brand;
	cpu_brand(brand);
	while (*b == ' ')
		b++;
	/* To the nearest MiB: the reserved area below 1 MiB is a fraction of one. */
	printf("unikernel: %s, %lu MiB RAM, %s mode (EFER 0x%lx), console %s\n",
	       b, (unsigned long)((ram_amount(bi) + (1ul << 19)) >> 20),
	       rdmsr(MSR_EFER) & EFER_LMA ? "long" : "legacy",
	       rdmsr(MSR_EFER), console_name());
	if (bi->magic == BOOT_MAGIC && bi->tsc_khz) {
		uint64_t us = (entry_tsc - bi->tsc_at_start) * 1000 / bi->tsc_khz;
		printf("unikernel: our VMM, ABI %u.%u, C entry %lu.%03lu ms after VMM start\n",
		       bi->abi_major, bi->abi_minor, us / 1000, us % 1000);
	} else {
		printf("unikernel: PC BIOS world, %u E820 entries\n", bi->e820_count);
	}
}

/* Recursion deep enough to overflow any stack: 512-byte frames the
 * compiler can neither drop (volatile) nor turn into a loop (used after). */
static uint64_t __attribute__((noinline)) eat_stack(uint64_t depth)
{
	volatile uint8_t frame[512];
	frame[0] = (uint8_t)depth;
	return depth ? eat_stack(depth - 1) + frame[0] : 0;
}

/* For host tests of the crash path: `-c crash=ud|pf|gp|stack|panic`. */
static void crash_on_request(const char *cmdline)
{
	char what[16];
	if (!cmdline_get(cmdline, "crash", what, sizeof(what)))
		return;
	if (!strcmp(what, "ud"))
		__asm__ volatile("ud2");
	if (!strcmp(what, "pf"))
		*(volatile uint64_t *)0x7fff00000000ull = 1;
	if (!strcmp(what, "gp"))
		*(volatile uint64_t *)0x8000000000000000ull = 1;
	if (!strcmp(what, "stack"))
		eat_stack(1ul << 30);
	panic("crash=%s requested", what);
}

/* Under a BIOS the stub only fills the E820 map: ram_size becomes the top
 * of RAM, as bootinfo.h defines it. */
static void bootinfo_complete(struct boot_info *bi)
{
	if (bi->magic == BOOT_MAGIC)
		return;
	for (uint32_t i = 0; i < bi->e820_count; i++) {
		const struct e820_entry *e = &bi->e820[i];
		if (e->type == E820_RAM && e->base + e->len > bi->ram_size)
			bi->ram_size = e->base + e->len;
	}
}

void kernel_main(struct boot_info *bi)
{
	uint64_t entry_tsc = rdtsc();
	char filter[BOOT_CMDLINE_MAX];

	bi->stamp_tsc[BOOT_STAMP_C_ENTRY] = entry_tsc;

	bootinfo_complete(bi);
	boot_info = bi;
	gdt_init();
	trap_init();
	console_init(bi);
	if (hc_available()) {
		hc_check_abi();
		console_use_hypercalls();
	}
	clock_init();
	boot_stamp(BOOT_STAMP_INIT_DONE);
	/* make bench's boot to exit. Before the banner: formatting it took
	 * 4,300 of the boot's 6,500 instructions (--count-insns), which on a
	 * KVM that emulates CPL0 code is most of the boot (docs/bench.md, "Where
	 * the time goes"); a run that does some work prints it first. And
	 * before the memory set-up, which only work needs: the page allocator
	 * and the map of RAM above 1 GiB were 167 us of a 3 ms boot there. */
	if (cmdline_has(bi->cmdline, "boot-only"))
		guest_exit(0);
	pmm_init_kernel(bi, (uint64_t)__kernel_end);
	paging_init(bi);
	banner(bi, entry_tsc);
	pmm_report();
	crash_on_request(bi->cmdline);

	if (cmdline_has(bi->cmdline, "bench")) {
		guest_exit(bench_run_all() ? 0 : 1);
	}
	if (!cmdline_get(bi->cmdline, "test", filter, sizeof(filter)))
		filter[0] = 0;
	guest_exit(test_run_all(filter) ? 1 : 0);
}
