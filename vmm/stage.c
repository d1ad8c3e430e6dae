/*
 * Boot stage markers: the last STAGE_* byte the guest wrote to port 0x80
 * (devices.c takes the write), for every message about where a guest died.
 * Depends on nothing of the VMM's, so any part may ask.
 */
#include <stdio.h>

#include "vmm.h"

static int stage = -1;          /* last STAGE_* byte, -1 before any */
static uint64_t c_entry_ns;     /* host time STAGE_C_ENTRY arrived, 0 if not */

void stage_set(uint8_t s)
{
	stage = s;
	if (stage == STAGE_C_ENTRY && !c_entry_ns)
		c_entry_ns = now_ns();
}

/* "0x30 long mode" */
const char *stage_describe(void)
{
	static char buf[48];
	const char *name;

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

uint64_t stage_c_entry_ns(void)
{
	return c_entry_ns;
}
