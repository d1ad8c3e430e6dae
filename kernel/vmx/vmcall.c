/*
 * Hypercalls from L2: VMCALL with include/hypercall.h's register convention
 * (RAX = HC_VMCALL_NR(nr), RBX, RCX, RDX, RSI = arg0..arg3, result in RAX).
 * HC_VIEW_MAP needs a fifth argument: RDI = arg4 (the permissions).
 * Numbers without our tag are not ours (KVM's own hypercalls, say): -ENOSYS.
 */
#include "vmx.h"
#include "ept.h"
#include "../console.h"
#include "../lib.h"
#include "../paging.h"

/* L2 passes guest-physical addresses of the live view; check, before
 * printing any of it, that the whole buffer is readable there and that L1
 * reaches each page's target at its physical address: an EPT entry may
 * point where L1's own page tables do not map (the boot stack's guard
 * page, memory past RAM), and L1 must not fault on L2's behalf. */
static bool l2_buffer_ok(uint64_t root, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len;
	if (end < gpa)
		return false;
	for (uint64_t p = ALIGN_DOWN(gpa, EPT_SIZE_4K); p < end; p += EPT_SIZE_4K) {
		struct ept_walk w;
		if (ept_walk(root, p, &w) || !(w.leaf & EPT_R) ||
		    pt_translate(pt_root(), w.pa, NULL, NULL))
			return false;
	}
	return true;
}

static int64_t console_write_l2(uint64_t gpa, uint64_t len)
{
	uint64_t root = vmx_views_live_root();

	if (len > HC_CONSOLE_MAX)
		len = HC_CONSOLE_MAX;
	if (!l2_buffer_ok(root, gpa, len))
		return -HC_EFAULT;
	/* Page by page: each GPA page may live anywhere in L1's memory. */
	for (uint64_t done = 0; done < len;) {
		struct ept_walk w;
		ept_walk(root, gpa + done, &w);
		uint64_t chunk = EPT_SIZE_4K - ((gpa + done) & (EPT_SIZE_4K - 1));
		if (chunk > len - done)
			chunk = len - done;
		console_write((const char *)(uintptr_t)w.pa, chunk);
		done += chunk;
	}
	return (int64_t)len;
}

/* The view and the permissions arrive in 64-bit registers: check them
 * whole before they narrow to an int and an unsigned (0x1_00000001 is not
 * view 1). */
static int64_t view_map_l2(const struct l2_regs *r)
{
	if (r->rbx >= VIEWS_MAX || r->rdi > (VIEW_R | VIEW_W | VIEW_X))
		return -HC_EINVAL;
	return vmx_views_map_l1((int)r->rbx, r->rcx, r->rdx, r->rsi, (unsigned)r->rdi);
}

bool vmx_vmcall(struct l2_regs *r)
{
	uint64_t nr = r->rax;
	int64_t ret;

	if ((nr & 0xffff0000u) != HC_VMCALL_TAG || nr >> 32) {
		r->rax = (uint64_t)-HC_ENOSYS;
		return false;
	}
	switch (nr & 0xffff) {
	case HC_EXIT:
		return true;
	case HC_NOP:
		ret = 0;
		break;
	case HC_CONSOLE_WRITE:
		ret = console_write_l2(r->rbx, r->rcx);
		break;
	case HC_ABI_VERSION:
		ret = (int64_t)HC_ABI_MAJOR << 16 | HC_ABI_MINOR;
		break;
	case HC_VIEW_CREATE:
		ret = vmx_views_create_l1();
		break;
	case HC_VIEW_MAP:
		ret = view_map_l2(r);
		break;
	case HC_VIEW_CURRENT:
		ret = vmx_views_current_l1();
		break;
	case HC_VIEW_RESET:
		vmx_views_reset_l1();
		ret = 0;
		break;
	default:
		ret = -HC_ENOSYS;
		break;
	}
	r->rax = (uint64_t)ret;
	return false;
}
