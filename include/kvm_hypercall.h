/*
 * Our hypercalls inside KVM itself (tools/kvm-hc/kvm-hc.patch, in the host
 * kernel's kvm_emulate_hypercall(); docs/hypercalls-in-kvm.md). They are
 * not our VMM's ABI (hypercall.h): a patched kvm.ko answers them in the
 * host kernel, with no exit to userspace. The patch spells the same
 * numbers; change both together.
 *
 * Transport: the CPU vendor's own instruction (VMCALL on Intel, VMMCALL
 * on AMD) at CPL0, KVM's register convention: RAX = number, RBX, RCX,
 * RDX, RSI = a0..a3, the result in RAX. Errors are negative KVM_E* values
 * (linux/kvm_para.h), which differ from errno for ENOSYS.
 */
#ifndef KVM_HYPERCALL_H
#define KVM_HYPERCALL_H

#define KVM_HC_OURS_BASE  0x4b560000u /* "KV": KVM's own numbers are 1..12 */
#define KVM_HC_OURS_ECHO  0x4b560001u /* -> a0 + 2*a1 + 3*a2 + 4*a3 + 1 */
#define KVM_HC_OURS_SUM   0x4b560002u /* a0 = GPA, a1 = length -> 32-bit FNV-1a of the bytes */
#define KVM_HC_OURS_COUNT 0x4b560003u /* -> the host's count of our calls, this one included */
#define KVM_HC_OURS_SUM_MAX 65536u    /* longer: -KVM_EINVAL */

#define KVM_HC_ENOSYS 1000 /* an unknown number: stock KVM's answer to all of ours */
#define KVM_HC_EFAULT 14   /* SUM: a byte of the range is in no memslot */
#define KVM_HC_EINVAL 22   /* SUM: length over KVM_HC_OURS_SUM_MAX */

#endif
