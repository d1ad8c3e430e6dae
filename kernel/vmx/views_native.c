/*
 * The native world's views_ops (kernel/views_ops.h): in L1 each operation
 * is a direct call into views_l1.c; from L2 (inside views_run()) the same
 * operation is a VMCALL, which vmcall.c serves with those functions.
 */
#include "vmx.h"
#include "../views_ops.h"

/* ---- views_ops: L1 calls directly, L2 over VMCALL ---- */

static int native_create(void)
{
	return vmx_in_l2 ? (int)l2_vmcall(HC_VIEW_CREATE, 0, 0, 0, 0) : vmx_views_create_l1();
}

static int native_map(int v, uint64_t gpa, uint64_t pa, uint64_t len, unsigned perms)
{
	if (!vmx_in_l2)
		return vmx_views_map_l1(v, gpa, pa, len, perms);
	int64_t ret;
	__asm__ volatile("vmcall"
			 : "=a"(ret)
			 : "a"((uint64_t)HC_VMCALL_NR(HC_VIEW_MAP)), "b"((uint64_t)v), "c"(gpa),
			   "d"(pa), "S"(len), "D"((uint64_t)perms)
			 : "memory", "cc");
	return (int)ret;
}

static void native_reset(void)
{
	if (vmx_in_l2)
		l2_vmcall(HC_VIEW_RESET, 0, 0, 0, 0);
	else
		vmx_views_reset_l1();
}

static int native_current(void)
{
	return vmx_in_l2 ? (int)l2_vmcall(HC_VIEW_CURRENT, 0, 0, 0, 0) : vmx_views_current_l1();
}

static struct view_exit native_run(void (*fn)(void *), void *arg)
{
	if (vmx_in_l2) {      /* already in L2: no nesting, just call */
		fn(arg);
		return (struct view_exit){ .reason = 0 };
	}
	return vmx_run(fn, arg, vmx_vmcall);
}

static void native_dump(int v, uint64_t gpa)
{
	vmx_views_dump_l1(v, gpa, vmx_in_l2 ? "" : (vmx_views_current_l1() == v ? " (live)" : ""));
}

const struct views_ops views_native_ops = {
	.name = "native (L1 hypervisor: VMX, EPT, VMFUNC EPTP switching)",
	.init = vmx_views_init_l1,
	.create = native_create,
	.map = native_map,
	.reset = native_reset,
	.run = native_run,
	.current = native_current,
	.dump = native_dump,
};
