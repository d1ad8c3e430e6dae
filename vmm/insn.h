/*
 * The few instruction decodings the VMM needs, free of KVM so host unit
 * tests drive them with plain bytes.
 */
#ifndef VMM_INSN_H
#define VMM_INSN_H

#include <stdbool.h>
#include <stdint.h>

/* A port OUT that made an exit, and the guest bytes just before RIP:
 * before[0] is the byte at RIP - 1, before[1] at RIP - 2, before[2] at
 * RIP - 3, each -1 where unreadable. */
struct out_exit {
	uint16_t port;   /* the exit's port */
	unsigned size;   /* 1, 2 or 4 */
	uint16_t dx;     /* DX at the exit */
	bool op16;       /* the code's default operand size is 16 bits */
	int before[3];
};

/* The length of the OUT that ends at RIP and made this exit (EE/EF with
 * the port in DX, E6/E7 with it in the byte after, an operand-size prefix
 * where the size needs one), or 0 if the bytes there are no such OUT.
 * String OUTs are not decoded: a REP OUTS exits with RIP still at it. */
unsigned out_len_before(const struct out_exit *x);

/* An emulation failure (KVM_EXIT_INTERNAL_ERROR) whose attached bytes are
 * a bare VMFUNC (0f 01 d4), which vmfunc.c emulates; or a VMFUNC behind
 * legacy and REX prefixes, which it does not. Both read only the first
 * insn_size (at most 15) bytes, and only if KVM says it attached them. */
struct kvm_run;
bool is_vmfunc(const struct kvm_run *run);
bool is_prefixed_vmfunc(const struct kvm_run *run);

#endif
