/* Hypercall round trip against a raw port-I/O exit; batched console
 * against one COM1 exit a byte. */
#include "bench.h"
#include "clock.h"
#include "hcall.h"
#include "kernel.h"
#include "x86.h"
#include "../include/ports.h"

static void raw_exit(void) { outl(PORT_VMM_NULL, 0); }

/* The round trip of the doorbell: a ready request block, as a guest that
 * reuses its block sends it. (Filling a fresh block is guest work, and at
 * CPL0 on a host that emulates it each instruction costs ~0.5 us.) */
static struct hc nop_req __attribute__((aligned(8))) = { .nr = HC_NOP };
static void nop_hypercall(void) { hc_call(&nop_req); }

BENCH(raw_exit_vs_hypercall)
{
	if (!hc_available())
		return;
	bench_samples("raw_exit", raw_exit);
	bench_samples("hypercall_nop", nop_hypercall);
}

#define CONSOLE_BYTES (64 * 1024)
static char payload[CONSOLE_BYTES];

/* 64 KiB of '.' lines: tools/bench/bench.py drops them from the output. */
static void fill_payload(void)
{
	for (int i = 0; i < CONSOLE_BYTES; i++)
		payload[i] = (i % 64 == 63) ? '\n' : '.';
}

BENCH(console_64k)
{
	if (!hc_available())
		return;
	fill_payload();
	uint64_t t0 = clock_ns();
	for (uint64_t done = 0; done < CONSOLE_BYTES;) {
		int64_t n = hc_console_write(payload + done, CONSOLE_BYTES - done);
		if (n <= 0)
			return;
		done += (uint64_t)n;
	}
	uint64_t t1 = clock_ns();
	for (int i = 0; i < CONSOLE_BYTES; i++)
		outb(PORT_COM1, (uint8_t)payload[i]);
	uint64_t t2 = clock_ns();
	bench_value("console_batched_ns", t1 - t0, "ns");
	bench_value("console_bytewise_ns", t2 - t1, "ns");
}
