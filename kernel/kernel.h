/* Kernel-wide state set once at boot. */
#ifndef KERNEL_H
#define KERNEL_H

#include "../include/bootinfo.h"
#include "lib.h"
#include "panic.h"

extern const struct boot_info *boot_info;

/* True when our VMM loaded us (else a PC BIOS did). */
static inline bool booted_by_vmm(void) { return boot_info->magic == BOOT_MAGIC; }

#endif
