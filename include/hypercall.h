/*
 * The hypercall ABI between guest and VMM: the one definition, included by
 * both sides. Numbers are fixed for good; new calls take new numbers.
 *
 * Doorbell: `out dx, eax` with DX = PORT_HC_DOORBELL and EAX = guest-physical
 * address of a struct hc (8-byte aligned, wholly inside guest RAM, below
 * 4 GiB). The VMM writes the result to hc.ret before the guest resumes.
 * Errors are negative errno values in ret.
 */
#ifndef HYPERCALL_H
#define HYPERCALL_H

#include <stdint.h>

#define HC_ABI_MAJOR 1   /* incompatible changes bump this */
#define HC_ABI_MINOR 0   /* new calls or feature bits bump this */

enum hc_nr {
	HC_NOP           = 0,
	HC_EXIT          = 1, /* arg0 = status */
	HC_CONSOLE_WRITE = 2, /* arg0 = GPA of bytes, arg1 = length */
	HC_TIME          = 3, /* ret = host CLOCK_MONOTONIC ns */
	HC_ABI_VERSION   = 4, /* ret = major << 16 | minor */
	HC_NR_MAX
};

/* Negative errno values returned in hc.ret (Linux numbering). */
#define HC_EFAULT   14
#define HC_EINVAL   22
#define HC_ENOSYS   38

/* boot_info.features: what the VMM offers. */
#define HC_FEAT_DOORBELL (1u << 0) /* port hypercalls work */

struct hc {
	uint32_t nr;
	uint32_t flags;   /* must be 0 */
	int64_t  ret;
	uint64_t arg[6];
};

_Static_assert(sizeof(struct hc) == 64, "hypercall block is 64 bytes");
_Static_assert(__builtin_offsetof(struct hc, ret) == 8, "ret at 8");
_Static_assert(__builtin_offsetof(struct hc, arg) == 16, "args at 16");

#endif
