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

bool is_vmfunc(const struct kvm_run *r)
{
	static const uint8_t vmfunc[3] = { 0x0f, 0x01, 0xd4 };

	return r->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	       (r->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) &&
	       r->emulation_failure.insn_size >= 3 &&
	       !memcmp(r->emulation_failure.insn_bytes, vmfunc, 3);
}

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

/* The registers at the exit: from the run page where KVM syncs them. */
static int get_regs(struct vm *vm, struct kvm_regs *r)
{
	if (vm->sync_regs) {
		*r = vm->run->s.regs.regs;
		return 0;
	}
	return ioctl(vm->vcpu_fd, KVM_GET_REGS, r);
}

static int set_regs(struct vm *vm, const struct kvm_regs *r)
{
	if (vm->sync_regs) {
		vm->run->s.regs.regs = *r;
		vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return 0;
	}
	return ioctl(vm->vcpu_fd, KVM_SET_REGS, r);
}

int exit_vmfunc(struct vm *vm)
{
	struct kvm_regs r;

	vm->vmfunc_exits++;
	if (get_regs(vm, &r) < 0) {
		vmm_log("VMFUNC: KVM_GET_REGS: %s", strerror(errno));
		return EXIT_VMM_FAILED;
	}
	uint32_t leaf = (uint32_t)r.rax, index = (uint32_t)r.rcx;
	unsigned from = vm->views.live;
	int64_t rc = views_vmfunc(&vm->views, leaf, index);
	if (rc == VIEWS_EHOST) {
		vmm_log("VMFUNC(%u, %u) at RIP 0x%llx: switching view %u -> %u failed: %s", leaf,
			index, (unsigned long long)r.rip, from, index, vm->views.err);
		return EXIT_VMM_FAILED;
	}
	if (rc < 0) {
		vmm_trace("VMFUNC(%u, %u) at RIP 0x%llx: %s, #UD injected", leaf, index,
			  (unsigned long long)r.rip, leaf ? "leaf is not 0 (EPTP switching)"
							  : "no such view");
		if (inject_ud(vm) < 0) {
			vmm_log("VMFUNC at RIP 0x%llx: cannot inject #UD: %s",
				(unsigned long long)r.rip, strerror(errno));
			return EXIT_VMM_FAILED;
		}
		vm->vmfunc_ud++;
		return RUN_CONTINUE;
	}
	vmm_trace("VMFUNC(0, %u) at RIP 0x%llx: view %u -> %u", index, (unsigned long long)r.rip,
		  from, index);
	r.rip += 3;
	if (set_regs(vm, &r) < 0) {
		vmm_log("VMFUNC: KVM_SET_REGS: %s", strerror(errno));
		return EXIT_VMM_FAILED;
	}
	return RUN_CONTINUE;
}

int views_setup(struct vm *vm, const struct options *o)
{
	views_init(&vm->views, &vm->mem, NULL, NULL);
	return o->view_memslot ? views_memslot_init(vm) : 0;
}
