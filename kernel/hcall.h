/*
 * The guest side of the hypercall ABI (include/hypercall.h): one doorbell
 * write per call and typed wrappers (GUEST_ASSERT, which carries file and
 * line to the VMM like KVM selftests' ucalls, is in panic.h).
 */
#ifndef KERNEL_HCALL_H
#define KERNEL_HCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../include/hypercall.h"
#include "../include/ports.h"

/* True when our VMM answers the doorbell (never under a BIOS). */
bool hc_available(void);

/* Ring the doorbell with a request block; returns req->ret. The block must
 * be identity-mapped (the kernel's low memory and stacks are). Inline: at
 * CPL0 on an emulating host every instruction around the exit counts. */
static inline int64_t hc_call(struct hc *req)
{
	/* The VMM reads and writes the block during the out: a full barrier. */
	__asm__ volatile("outl %0, %w1" :: "a"((uint32_t)(uintptr_t)req),
			 "Nd"(PORT_HC_DOORBELL) : "memory");
	return req->ret;
}
int64_t hc6(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);

static inline int64_t hc_nop(void) { return hc6(HC_NOP, 0, 0, 0, 0, 0); }
static inline int64_t hc_time_ns(void) { return hc6(HC_TIME, 0, 0, 0, 0, 0); }
static inline int64_t hc_abi_version(void) { return hc6(HC_ABI_VERSION, 0, 0, 0, 0, 0); }
static inline int64_t hc_console_write(const void *buf, uint64_t len)
{
	return hc6(HC_CONSOLE_WRITE, (uintptr_t)buf, len, 0, 0, 0);
}
static inline int64_t hc_random(void *buf, uint64_t len)
{
	return hc6(HC_RANDOM, (uintptr_t)buf, len, 0, 0, 0);
}
static inline int64_t hc_boot_info(void *buf, uint64_t len)
{
	return hc6(HC_BOOT_INFO, (uintptr_t)buf, len, 0, 0, 0);
}
void hc_exit(int status) __attribute__((noreturn));
void hc_report(uint32_t nr, const char *msg, const char *file, int line) __attribute__((noreturn));

/* Check the VMM's ABI at boot; a major mismatch ends the run (status 125
 * is the VMM's; the guest uses 122: "cannot talk to this VMM"). */
void hc_check_abi(void);
#define EXIT_ABI_MISMATCH 122

#endif
