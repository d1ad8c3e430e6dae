/* Kernel-wide state set once at boot. */
#ifndef KERNEL_H
#define KERNEL_H

#include "../include/bootinfo.h"
#include "lib.h"
#include "panic.h"

extern const struct boot_info *boot_info;

/* How much RAM there is: the E820 RAM entries summed. Not ram_size, the
 * top of RAM, which counts the holes below it (bootinfo.h). */
uint64_t ram_amount(const struct boot_info *bi);

/* The page under the boot stack, which boot/stub.asm leaves unmapped so
 * an overflow faults (and reports, as a #DF) instead of overwriting the
 * image below it. */
extern char boot_stack_guard[];
#define BOOT_STACK_GUARD_BYTES 4096ul

/* True when our VMM loaded us (else a PC BIOS did). */
static inline bool booted_by_vmm(void) { return boot_info->magic == BOOT_MAGIC; }

#endif
