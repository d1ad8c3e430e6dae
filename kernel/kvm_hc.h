/*
 * The guest side of our in-KVM hypercalls (include/kvm_hypercall.h): which
 * instruction reaches KVM on this CPU, whether running it is safe here,
 * what answers it, and a count of the calls this guest made (for the
 * host's count to be checked against).
 */
#ifndef KERNEL_KVM_HC_H
#define KERNEL_KVM_HC_H

#include <stdbool.h>
#include <stdint.h>
#include "../include/kvm_hypercall.h"

/* True on Intel (VMCALL is the vendor's instruction), false elsewhere
 * (AMD and the rest: VMMCALL). From CPUID leaf 0, never assumed. */
bool cpu_vendor_intel(void);

/* One call: a number, four arguments, and what came back in RAX. */
struct kvm_hc_regs {
	uint64_t nr, a0, a1, a2, a3, ret;
};

/* Run the vendor's own instruction (own) or the other vendor's with r,
 * catching an exception: its vector, or -1 with r->ret set. Only where
 * kvm_hc_unsafe() is NULL. */
int kvm_hc_insn(bool own, struct kvm_hc_regs *r);

/* Why VMCALL/VMMCALL must not run here (no VMM to have disabled KVM's
 * instruction-patching quirk, under which they can hang the vCPU), or
 * NULL when they are a #UD at worst. */
const char *kvm_hc_unsafe(void);

/* Why our numbers are not answered here ("KVM answered -1000" on stock
 * KVM, a #UD, no KVM), or NULL when they are: then kvm_hc() may run. */
const char *kvm_hc_missing(void);

/* The vendor's own instruction, bare: only after kvm_hc_missing() gave
 * NULL. Counted in kvm_hc_made when nr is one of ours. */
uint64_t kvm_hc(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

/* Calls of our numbers that reached KVM from this guest. */
extern uint64_t kvm_hc_made;

#endif
