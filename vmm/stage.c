/*
 * Boot stages, for every message about where a guest died: the later of
 * the last STAGE_* byte the guest wrote to port 0x80 (devices.c takes the
 * write; the test guests mark their stages so) and the last stage stamp
 * our stub and kernel wrote into boot_info (bootinfo.h), which costs them
 * no exit. Depends on nothing of the VMM's but that stamp array, so any
 * part may ask.
 */
#include <stdio.h>

#include "bootinfo.h"
#include "vmm.h"

static int posted = -1;                  /* last STAGE_* byte, -1 before any */
static const volatile uint64_t *stamps;  /* boot_info.stamp_tsc in guest RAM */

/* The stage each of the stub's stamps marks, in the order they are made. */
static const uint8_t stamp_stage[] = {
	[BOOT_STAMP_STUB_ENTRY] = STAGE_REAL,
	[BOOT_STAMP_LOADED] = STAGE_LOADED,
	[BOOT_STAMP_PROT] = STAGE_PROT,
	[BOOT_STAMP_LONG] = STAGE_LONG,
	[BOOT_STAMP_C_ENTRY] = STAGE_C_ENTRY,
};

void stage_set(uint8_t s)
{
	posted = s;
}

void stage_watch(const volatile uint64_t *stamp_tsc)
{
	stamps = stamp_tsc;
}

/* Under our VMM the stub stamps STAGE_LOADED's slot as it leaves real
 * mode, the image having been loaded for it. A guest may write anything
 * there; the worst it gets is a wrong stage in a message. */
static int stage_now(void)
{
	int s = posted;

	for (unsigned i = 0; stamps && i < sizeof stamp_stage; i++)
		if (stamps[i] && stamp_stage[i] > s)
			s = stamp_stage[i];
	return s;
}

/* "0x30 long mode" */
const char *stage_describe(void)
{
	static char buf[48];
	const char *name;
	int stage = stage_now();

	switch (stage) {
	case -1: return "none reported";
	case STAGE_REAL: name = "real mode"; break;
	case STAGE_LOADED: name = "image loaded"; break;
	case STAGE_MEMMAP: name = "memory map read"; break;
	case STAGE_PROT: name = "protected mode"; break;
	case STAGE_LONG: name = "long mode"; break;
	case STAGE_C_ENTRY: name = "C entry"; break;
	default: name = "unknown stage"; break;
	}
	snprintf(buf, sizeof buf, "0x%02x %s", stage, name);
	return buf;
}
