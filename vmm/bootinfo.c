/*
 * The boot info block at BOOTINFO_GPA (bootinfo.h): what a BIOS would have
 * told the stub through int 15h, plus what only the VMM knows. The VMM keeps
 * its own copy, since the guest may overwrite the one in its RAM.
 */
#include <string.h>

#include "hypercall.h"
#include "vmm.h"

#define HIGH_START      0x100000u /* RAM resumes above the BIOS area at 1 MiB */
#define E820_ATTR_VALID 1u        /* ACPI 3.0: bit 0 set = use this entry */

void bootinfo_fill(struct vm *vm, const struct options *o)
{
	struct boot_info *b = &vm->boot_info;

	*b = (struct boot_info){
		.magic = BOOT_MAGIC,
		.abi_major = HC_ABI_MAJOR,
		.abi_minor = HC_ABI_MINOR,
		.flags = BI_FLAG_VMM | BI_FLAG_RAM_ZEROED |
			 (o->stage_exits ? BI_FLAG_STAGE_PORT : 0),
		.features = HC_FEAT_DOORBELL | HC_FEAT_VMFUNC_EMUL |
			    (vm->vmcall_ud ? HC_FEAT_VMCALL_UD : 0),
		.ram_size = vm->mem.size,
		.tsc_khz = vm->tsc_khz,
		.tsc_at_start = vm->tsc_at_start,
		.e820_count = 3,
		.cmdline_len = (uint32_t)strlen(o->cmdline),
		.e820 = {
			{ 0, BOOT_EBDA_GPA, E820_RAM, E820_ATTR_VALID },
			{ BOOT_EBDA_GPA, HIGH_START - BOOT_EBDA_GPA, E820_RESERVED, E820_ATTR_VALID },
			{ HIGH_START, vm->mem.size - HIGH_START, E820_RAM, E820_ATTR_VALID },
		},
	};
	/* flags_parse() bounded the length, so the NUL always fits. */
	memcpy(b->cmdline, o->cmdline, b->cmdline_len + 1);
	memcpy(guest_ptr(&vm->mem, BOOTINFO_GPA, sizeof *b), b, sizeof *b);
	/* 8-aligned in RAM's page-aligned mapping (bootinfo.h asserts the offset). */
	stage_watch(guest_ptr(&vm->mem, BOOTINFO_GPA + BI_STAMPS_OFFSET,
			      BOOT_STAMPS * sizeof b->stamp_tsc[0]));
}
