#include "clock.h"
#include "hcall.h"
#include "kernel.h"
#include "x86.h"

static uint64_t base_ns, base_tsc, tsc_khz;
static bool anchored;

void clock_init(void)
{
	tsc_khz = boot_info->tsc_khz;
}

/* The host's time (HC_TIME, an exit) at a TSC value: taken at the first
 * reading, so a boot that reads no clock makes no exit for it. */
static void anchor(void)
{
	base_tsc = rdtsc();
	base_ns = hc_available() ? (uint64_t)hc_time_ns() : 0;
	anchored = true;
}

uint64_t clock_tsc_khz(void)
{
	return tsc_khz;
}

uint64_t clock_ns(void)
{
	if (!tsc_khz)
		return 0;
	if (!anchored)
		anchor();
	/* Split so delta * 10^6 never overflows (it would after a few hours
	 * at GHz rates) and no 128-bit division from libgcc is needed. */
	uint64_t d = rdtsc() - base_tsc;
	return base_ns + d / tsc_khz * 1000000u + d % tsc_khz * 1000000u / tsc_khz;
}
