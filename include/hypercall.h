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
#define HC_ABI_MINOR 2   /* new calls, feature bits or boot info fields bump this
			  (1: HC_VMFUNC; 2: boot_info.stamp_tsc) */

enum hc_nr {
	HC_NOP           = 0,
	HC_EXIT          = 1, /* arg0 = status */
	HC_CONSOLE_WRITE = 2, /* arg0 = GPA of bytes, arg1 = length */
	HC_TIME          = 3, /* ret = host CLOCK_MONOTONIC ns */
	HC_ABI_VERSION   = 4, /* ret = major << 16 | minor */
	HC_BOOT_INFO     = 5, /* arg0 = GPA, arg1 = len: copy of struct boot_info, ret = bytes */
	HC_ABORT         = 6, /* arg0/1 = message GPA/len, arg2/3 = file GPA/len, arg4 = line: exit 123 */
	HC_RANDOM        = 7, /* arg0 = GPA, arg1 = len <= HC_RANDOM_MAX: random bytes, ret = len */
	HC_ASSERT        = 8, /* as HC_ABORT, arg0/1 = the failed expression: exit 1 */

	/* EPT views for VMFUNC (kernel/views.h). Emulated by our VMM; served by
	 * the guest's own L1 hypervisor (kernel/vmx) over VMCALL under Bochs. */
	HC_VIEW_CREATE   = 16, /* ret = new view index (a copy of view 0) */
	HC_VIEW_MAP      = 17, /* arg0 view, arg1 GPA, arg2 target PA, arg3 len, arg4 VIEW_R|W|X */
	HC_VIEW_CURRENT  = 18, /* ret = index of the live view */
	HC_VIEW_RESET    = 19, /* drop all views but 0, switch to view 0 */
	HC_VMFUNC        = 20, /* arg0 = EAX (leaf), arg1 = ECX (view): what VMFUNC does,
				* for a guest whose CPU raised #UD on it (kvm_intel,
				* kvm_amd); ret 0 after the switch, -EINVAL for a bad
				* leaf or index (the guest then takes the #UD) */
	HC_NR_MAX
};

/*
 * VMCALL transport (kernel/vmx L1 <- L2; a KVM that forwards VMCALL): the
 * register convention of KVM's own hypercalls, RAX = number, RBX, RCX, RDX,
 * RSI = arg0..arg3 (and RDI = arg4, which HC_VIEW_MAP needs), result in RAX. Our numbers carry a tag so they never
 * collide with KVM_HC_* (1..12).
 */
#define HC_VMCALL_TAG 0x564d0000u /* "VM" */
#define HC_VMCALL_NR(nr) (HC_VMCALL_TAG | (nr))

/* View permissions for HC_VIEW_MAP (the EPT R/W/X bits). */
#define VIEW_R 1u
#define VIEW_W 2u
#define VIEW_X 4u
#define VIEWS_MAX 8 /* views in the EPTP list, view 0 included */

#define HC_CONSOLE_MAX (1u << 20) /* longer writes are partial: ret = bytes written */
#define HC_RANDOM_MAX  4096

/* Negative errno values returned in hc.ret (Linux numbering). */
#define HC_EFAULT   14
#define HC_ENOSPC   28  /* HC_VIEW_CREATE: VIEWS_MAX views exist already */
#define HC_EINVAL   22
#define HC_ENOSYS   38

/* boot_info.features: what the VMM offers. */
#define HC_FEAT_DOORBELL     (1u << 0) /* port hypercalls work */
#define HC_FEAT_VMCALL_UD    (1u << 1) /* VMCALL at CPL0 is a #UD here, never a hang */
#define HC_FEAT_VMFUNC_EMUL  (1u << 2) /* VMFUNC leaf 0 and HC_VIEW_* are emulated */

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
