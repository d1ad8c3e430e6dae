/*
 * What each KVM exit other than port I/O means for this VMM. With no
 * devices behind memory, no interrupt sources and one vCPU, all of them end
 * the run: each says what happened, where, and why.
 */
#include <stdio.h>
#include <sys/ioctl.h>

#include "insn.h"
#include "vmm.h"

#define RFLAGS_IF (1u << 9)

int exit_mmio(struct vm *vm)
{
	const struct kvm_run *r = vm->run;

	vmm_log("unhandled MMIO %s of %u bytes at GPA 0x%llx at RIP 0x%llx (stage %s): "
		"no RAM or device there (RAM ends at 0x%llx)",
		r->mmio.is_write ? "write" : "read", r->mmio.len,
		(unsigned long long)r->mmio.phys_addr, (unsigned long long)vcpu_rip(vm),
		stage_describe(), (unsigned long long)vm->mem.size);
	return EXIT_GUEST_CRASH;
}

/* No interrupt source exists, so HLT never wakes either way; say which. */
int exit_hlt(struct vm *vm)
{
	struct kvm_regs regs;
	bool ifl = vcpu_get_regs(vm, &regs) == 0 && (regs.rflags & RFLAGS_IF);

	vmm_log("guest halted with interrupts %s at RIP 0x%llx (stage %s)%s",
		ifl ? "enabled" : "disabled", (unsigned long long)vcpu_rip(vm), stage_describe(),
		ifl ? ": this VMM has no interrupt source to wake it" : "");
	return EXIT_GUEST_CRASH;
}

/* "the OUT to port 0x80 at RIP 0x7c26": the last exit before this one. */
static const char *last_exit_describe(const struct vm *vm)
{
	static char buf[96];
	const struct last_exit *l = &vm->last;
	int n;

	if (l->reason == KVM_EXIT_UNKNOWN)
		return "none: no exit came before it";
	if (l->reason == KVM_EXIT_IO)
		n = snprintf(buf, sizeof buf, "the %s port 0x%x", l->out ? "OUT to" : "IN from",
			     l->port);
	else
		n = snprintf(buf, sizeof buf, "the %s exit", exit_reason_name(l->reason));
	if (l->rip != ~0ull)
		snprintf(buf + n, sizeof buf - (size_t)n, " at RIP 0x%llx%s",
			 (unsigned long long)l->rip,
			 l->reason == KVM_EXIT_IO && l->out && vm->host.rip_past_out
				 ? " (just past it on this KVM)" : "");
	return buf;
}

/* Where KVM re-INITs the vCPU before it reports the shutdown (kvm_amd),
 * the registers are the reset state: never show them as the fault site.
 * What is left is the last exit and the last stage marker. */
int exit_shutdown(struct vm *vm)
{
	if (vcpu_in_reset_state(vm)) {
		vmm_log("guest triple fault (KVM_EXIT_SHUTDOWN): an exception it could not deliver; "
			"%s reset the vCPU before reporting it, so the fault site is lost (its "
			"registers are the reset state, RIP 0xfff0). Last known location: %s; "
			"stage %s", vm->host.name, last_exit_describe(vm), stage_describe());
		return EXIT_GUEST_CRASH;
	}
	vmm_log("guest triple fault (KVM_EXIT_SHUTDOWN) at RIP 0x%llx (stage %s): an exception "
		"it could not deliver", (unsigned long long)vcpu_rip(vm), stage_describe());
	dump_regs(vm);
	return EXIT_GUEST_CRASH;
}

static const char *internal_suberror(uint32_t e)
{
	switch (e) {
	case KVM_INTERNAL_ERROR_EMULATION: return "instruction emulation failed";
	case KVM_INTERNAL_ERROR_SIMUL_EX: return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV: return "event delivery failed";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: return "unexpected hardware exit";
	}
	return "unknown";
}

/* All decoding of KVM_EXIT_INTERNAL_ERROR lives here: an emulation failure
 * carries the instruction bytes KVM could not run (kvm_pvm runs CPL0 code
 * in its emulator, which lacks SSE, x87, int3...). VMFUNC among them is
 * ours to emulate (vmfunc.c) when bare; the rest end the run, a prefixed
 * VMFUNC named as such. */
int exit_internal_error(struct vm *vm)
{
	const struct kvm_run *r = vm->run;
	uint32_t sub = r->internal.suberror;
	char bytes[15 * 3 + 1] = "";

	if (is_vmfunc(r))
		return exit_vmfunc(vm);

	if (sub == KVM_INTERNAL_ERROR_EMULATION &&
	    (r->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		unsigned n = r->emulation_failure.insn_size;
		if (n > sizeof r->emulation_failure.insn_bytes)
			n = sizeof r->emulation_failure.insn_bytes;
		for (unsigned i = 0; i < n; i++)
			snprintf(bytes + 3 * i, 4, " %02x", r->emulation_failure.insn_bytes[i]);
	}
	vmm_log("KVM internal error %u (%s) at RIP 0x%llx (stage %s)%s%s%s", sub,
		internal_suberror(sub), (unsigned long long)vcpu_rip(vm), stage_describe(),
		is_prefixed_vmfunc(r) ? ": a VMFUNC with prefixes, which the VMFUNC emulation "
					"does not take (bare 0f 01 d4 only)" : "",
		bytes[0] ? "; instruction bytes:" : "", bytes);
	dump_regs(vm);
	return EXIT_GUEST_CRASH;
}

int exit_fail_entry(struct vm *vm)
{
	vmm_log("KVM could not enter the guest (KVM_EXIT_FAIL_ENTRY, hardware reason 0x%llx "
		"on CPU %u) at RIP 0x%llx (stage %s): its state is invalid",
		(unsigned long long)vm->run->fail_entry.hardware_entry_failure_reason,
		vm->run->fail_entry.cpu, (unsigned long long)vcpu_rip(vm), stage_describe());
	dump_regs(vm);
	return EXIT_GUEST_CRASH;
}

const char *exit_reason_name(uint32_t reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT", [KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN", [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY", [KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR", [KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_NMI] = "NMI", [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT", [KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
		[KVM_EXIT_HYPERV] = "HYPERV", [KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
		[KVM_EXIT_X86_WRMSR] = "X86_WRMSR", [KVM_EXIT_DIRTY_RING_FULL] = "DIRTY_RING_FULL",
		[KVM_EXIT_AP_RESET_HOLD] = "AP_RESET_HOLD", [KVM_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
		[KVM_EXIT_XEN] = "XEN", [KVM_EXIT_NOTIFY] = "NOTIFY",
	};
	if (reason < sizeof names / sizeof names[0] && names[reason])
		return names[reason];
	return "unknown exit";
}
