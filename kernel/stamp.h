/*
 * Boot stage stamps: the TSC at each stage, into the boot info block where
 * the VMM reads them (include/bootinfo.h, BOOT_STAMP_*). No exit: a RDTSC
 * and a store, so the timeline costs the boot nothing measurable.
 */
#ifndef STAMP_H
#define STAMP_H

#include "../include/bootinfo.h"
#include "x86.h"

static inline void boot_stamp(unsigned stage)
{
	((volatile struct boot_info *)BOOTINFO_GPA)->stamp_tsc[stage] = rdtsc();
}

#endif
