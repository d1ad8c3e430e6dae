/*
 * The boot protocol between a loader (our VMM, or the boot stub under a PC
 * BIOS) and the kernel. Shared by guest and VMM; nothing redefines it.
 *
 * Under our VMM the whole image is already at BOOT_LOAD_GPA and the vCPU
 * starts in real mode at 0000:7c00 with DL = 0x80 (like a BIOS), plus
 *   EAX = BOOT_MAGIC and EBX = guest-physical address of struct boot_info.
 * The stub then skips every BIOS call. Under a BIOS, EAX is not BOOT_MAGIC:
 * the stub loads the image with int 13h, fills the memory map with int 15h
 * E820 into the block at BOOTINFO_GPA and leaves magic = 0.
 */
#ifndef BOOTINFO_H
#define BOOTINFO_H

#include <stdint.h>

#define BOOT_MAGIC       0x4b564d42u /* "BMVK" */
#define BOOT_LOAD_GPA    0x7c00u     /* where the image's first byte lives */
#define BOOTINFO_GPA     0x1000u     /* one page: struct boot_info */
#define BOOT_PML4_GPA    0x2000u     /* stub page tables: PML4, PDPT, PD */
#define BOOT_PDPT_GPA    0x3000u
#define BOOT_PD_GPA      0x4000u     /* identity map, 2 MiB pages: the first 1 GiB,
					       or under our VMM the RAM within it */
#define BOOT_IDMAP_BYTES (1ull << 30)
#define BOOT_STACK_TOP   0x7c00u     /* stub stack grows down from the image */
#define BOOT_EBDA_GPA    0x9fc00u    /* base memory ends here (EBDA above): image
					       and BSS must end below it */

#define BOOT_CMDLINE_MAX 512
#define BOOT_E820_MAX    64

/* E820 types, as the BIOS reports them. */
#define E820_RAM      1
#define E820_RESERVED 2

/* boot_info.flags */
#define BI_FLAG_VMM        (1u << 0) /* filled by our VMM (else by the BIOS stub) */
#define BI_FLAG_RAM_ZEROED (1u << 1) /* all RAM outside the image reads as zero */
#define BI_FLAG_STAGE_PORT (1u << 2) /* write STAGE_* to port 0x80 too (vmm --stage-exits) */

/* Boot stages, as a hang's messages name them. Our VMM reads the stub's
 * from its stamps (BOOT_STAMP_* below); a guest may also write them to port
 * 0x80 (PORT_POST), as the test guests do and, with BI_FLAG_STAGE_PORT,
 * the stub: an exit each, which tools that watch KVM's port I/O see. */
#define STAGE_REAL      0x10 /* stub entered, real mode */
#define STAGE_LOADED    0x11 /* image loaded by int 13h (BIOS only) */
#define STAGE_MEMMAP    0x12 /* E820 map read (BIOS only) */
#define STAGE_PROT      0x20 /* 32-bit protected mode */
#define STAGE_LONG      0x30 /* 64-bit long mode, paging on */
#define STAGE_C_ENTRY   0x40 /* kernel_main() called */

/* Boot stage stamps (ABI 1.2): the guest writes its TSC into
 * boot_info.stamp_tsc[BOOT_STAMP_*] as it reaches each stage: no exit, a
 * RDTSC and two stores (cheap where every CPL0 instruction is emulated).
 * The VMM reads them from guest RAM for --stats and --trace-json; 0 means
 * not reached. The stub writes them at BOOTINFO_GPA + BI_STAMPS_OFFSET. */
#define BOOT_STAMP_STUB_ENTRY 0 /* boot sector entered, real mode */
#define BOOT_STAMP_LOADED     1 /* image in RAM (the BIOS path loaded it) */
#define BOOT_STAMP_PROT       2 /* 32-bit protected mode */
#define BOOT_STAMP_LONG       3 /* 64-bit long mode, paging on */
#define BOOT_STAMP_C_ENTRY    4 /* kernel_main() entered */
#define BOOT_STAMP_INIT_DONE  5 /* CPU tables and console set up (the memory
				   set-up follows, but for boot-only runs) */
#define BOOT_STAMP_FIRST_TEST 6 /* the first test starts */
#define BOOT_STAMP_LAST_TEST  7 /* the last test has ended */
#define BOOT_STAMP_EXIT       8 /* guest_exit() called */
#define BOOT_STAMPS           9
#define BI_STAMPS_OFFSET      2096

struct e820_entry {
	uint64_t base;
	uint64_t len;
	uint32_t type;
	uint32_t attr; /* ACPI 3.0 extended attributes */
} __attribute__((packed));

struct boot_info {
	uint32_t magic;          /* BOOT_MAGIC when filled by the VMM, else 0 */
	uint16_t abi_major;      /* hypercall ABI the VMM speaks (hypercall.h) */
	uint16_t abi_minor;
	uint32_t flags;          /* BI_FLAG_* */
	uint32_t features;       /* HC_FEAT_* offered by the VMM */
	uint64_t ram_size;       /* top of RAM: one past its highest byte. Our VMM's
				    RAM is one block from GPA 0, so there it is also
				    the amount; under a BIOS the kernel sets it from
				    the E820 map, and the holes below it (the BIOS
				    area, a PCI hole) are not RAM: the amount is the
				    sum of the E820 RAM entries */
	uint64_t tsc_khz;        /* guest TSC frequency, 0 if unknown */
	uint64_t tsc_at_start;   /* guest TSC value when the VMM process started */
	uint32_t e820_count;
	uint32_t cmdline_len;    /* bytes in cmdline, without the NUL */
	char cmdline[BOOT_CMDLINE_MAX]; /* NUL-terminated */
	struct e820_entry e820[BOOT_E820_MAX];
	uint64_t stamp_tsc[BOOT_STAMPS]; /* ABI 1.2: guest TSC at each BOOT_STAMP_* */
} __attribute__((packed));

_Static_assert(sizeof(struct e820_entry) == 24, "E820 entry is 24 bytes");
_Static_assert(sizeof(struct boot_info) <= 4096, "boot info fits one page");
/* The stub writes e820_count and the entries at fixed offsets. */
_Static_assert(__builtin_offsetof(struct boot_info, flags) == 8, "stub offset");
_Static_assert(__builtin_offsetof(struct boot_info, ram_size) == 16, "stub offset");
_Static_assert(__builtin_offsetof(struct boot_info, e820_count) == 40, "stub offset");
_Static_assert(__builtin_offsetof(struct boot_info, e820) == 560, "stub offset");
_Static_assert(__builtin_offsetof(struct boot_info, stamp_tsc) == BI_STAMPS_OFFSET, "stub offset");

#endif
