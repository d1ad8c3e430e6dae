/*
 * VMFUNC (0f 01 d4) emulated. KVM gives the guest no VM functions; where
 * it runs guest code in its instruction emulator (kvm_pvm) the instruction
 * ends KVM_RUN as KVM_EXIT_INTERNAL_ERROR / KVM_INTERNAL_ERROR_EMULATION
 * with the bytes attached and RIP at the instruction. We do what the CPU
 * would: leaf 0 (EAX = 0) with a valid index (ECX < views) switches the
 * view and goes on past the instruction; anything else is the #UD that KVM
 * gives where VMFUNC is not enabled. (Where the CPU itself raises #UD in
 * the guest, the guest's #UD handler asks for the same with HC_VMFUNC.)
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm.h"

#define VEC_UD 6

/* The decoding of the failed instruction (is_vmfunc, is_prefixed_vmfunc)
 * is in insn.c, free of KVM for the unit tests and fuzzers. */

/* An injected, not pending, exception: kvm_pvm drops pending ones here
 * and the guest would just run VMFUNC again (PLATFORM.md). */
static int inject_ud(struct vm *vm)
{
	struct kvm_vcpu_events ev;

	if (ioctl(vm->vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -1;
	ev.exception.injected = 1;
	ev.exception.pending = 0;
	ev.exception.nr = VEC_UD;
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	return ioctl(vm->vcpu_fd, KVM_SET_VCPU_EVENTS, &ev);
}

int exit_vmfunc(struct vm *vm)
{
	struct kvm_regs r;

	vm->vmfunc_exits++;
	if (vcpu_get_regs(vm, &r) < 0) {
		vmm_log("VMFUNC at RIP 0x%llx (stage %s): KVM_GET_REGS: %s",
			(unsigned long long)vcpu_rip(vm), stage_describe(), strerror(errno));
		return EXIT_VMM_FAILED;
	}
	uint32_t leaf = (uint32_t)r.rax, index = (uint32_t)r.rcx;
	unsigned from = vm->views.live;
	int64_t rc = views_vmfunc(&vm->views, leaf, index);
	if (rc == VIEWS_EHOST) {
		vmm_log("VMFUNC(%u, %u) at RIP 0x%llx (stage %s): switching view %u -> %u "
			"failed: %s", leaf, index, (unsigned long long)r.rip, stage_describe(), from,
			index, vm->views.err);
		return EXIT_VMM_FAILED;
	}
	if (rc < 0) {
		vmm_trace("VMFUNC(%u, %u) at RIP 0x%llx: %s, #UD injected", leaf, index,
			  (unsigned long long)r.rip, leaf ? "leaf is not 0 (EPTP switching)"
							  : "no such view");
		if (inject_ud(vm) < 0) {
			vmm_log("VMFUNC(%u, %u) at RIP 0x%llx (stage %s): cannot inject #UD: %s",
				leaf, index, (unsigned long long)r.rip, stage_describe(),
				strerror(errno));
			return EXIT_VMM_FAILED;
		}
		vm->vmfunc_ud++;
		vm->vmfunc_ud_armed = true;
		return RUN_CONTINUE;
	}
	vmm_trace("VMFUNC(0, %u) at RIP 0x%llx: view %u -> %u", index, (unsigned long long)r.rip,
		  from, index);
	r.rip += 3;
	if (vcpu_set_regs(vm, &r) < 0) {
		vmm_log("VMFUNC(0, %u) at RIP 0x%llx (stage %s): view %u -> %u switched, but "
			"KVM_SET_REGS failed: %s", index, (unsigned long long)r.rip - 3,
			stage_describe(), from, index, strerror(errno));
		return EXIT_VMM_FAILED;
	}
	return RUN_CONTINUE;
}

int views_setup(struct vm *vm, const struct options *o)
{
	views_init(&vm->views, &vm->mem, NULL, NULL);
	return o->view_memslot ? views_memslot_init(vm) : 0;
}
