/*
 * A monotonic clock in nanoseconds. Under our VMM it is anchored on the
 * host's CLOCK_MONOTONIC (HC_TIME) and runs on the TSC in between, so
 * reading it costs no exit; elsewhere it counts from boot on the TSC.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

void clock_init(void);
uint64_t clock_ns(void);
/* TSC ticks per millisecond the clock uses (0: unknown, clock_ns() = 0). */
uint64_t clock_tsc_khz(void);

#endif
