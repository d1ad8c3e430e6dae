/* Decoding the OUT that ends at RIP (insn.h): on a KVM that leaves RIP past
 * an OUT at its exit (kvm_pvm), the VMM names the OUT's own address. And
 * the VMFUNC that KVM's emulator gave up on (vmfunc.c emulates it). */
#include <string.h>
#include <linux/kvm.h>

#include "insn.h"

unsigned out_len_before(const struct out_exit *x)
{
	bool wide = x->size != 1;
	/* 16-bit code needs 66 for a 32-bit OUT, other code for a 16-bit one. */
	bool need66 = wide && ((x->size == 2) != x->op16);
	/* Both forms can end in the same byte (66 e7 ef is also ef after e7,
	 * when DX = port = 0xef): each is tried with its prefix, short first. */
	unsigned form[2] = {
		x->before[0] == (wide ? 0xef : 0xee) && x->dx == x->port ? 1 : 0,
		x->before[1] == (wide ? 0xe7 : 0xe6) && x->before[0] == x->port ? 2 : 0,
	};

	for (unsigned i = 0; i < 2; i++) {
		unsigned len = form[i];
		if (len && !need66)
			return len;
		if (len && x->before[len] == 0x66)
			return len + 1;
	}
	return 0;
}

static const uint8_t vmfunc_op[3] = { 0x0f, 0x01, 0xd4 };

/* The bytes of the instruction KVM could not emulate; 0 if it gave none. */
static unsigned failed_insn(const struct kvm_run *r, const uint8_t **bytes)
{
	unsigned n = r->emulation_failure.insn_size;

	if (r->internal.suberror != KVM_INTERNAL_ERROR_EMULATION ||
	    !(r->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		return 0;
	*bytes = r->emulation_failure.insn_bytes;
	return n < sizeof r->emulation_failure.insn_bytes ? n
							 : sizeof r->emulation_failure.insn_bytes;
}

bool is_vmfunc(const struct kvm_run *r)
{
	const uint8_t *b;
	unsigned n = failed_insn(r, &b);

	return n >= 3 && !memcmp(b, vmfunc_op, 3);
}

/* Legacy prefixes (segment, 66, 67, f0, f2, f3), then at most one REX. */
static unsigned prefix_len(const uint8_t *b, unsigned n)
{
	static const uint8_t legacy[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67,
					  0xf0, 0xf2, 0xf3 };
	unsigned i = 0;

	while (i < n && memchr(legacy, b[i], sizeof legacy))
		i++;
	if (i < n && (b[i] & 0xf0) == 0x40)
		i++;
	return i;
}

/* VMFUNC behind prefixes: the emulation takes the bare 0f 01 d4 only
 * (what prefixes would mean to VMFUNC is not defined), so this one ends
 * the run as the internal error it is; exits.c says why. */
bool is_prefixed_vmfunc(const struct kvm_run *r)
{
	const uint8_t *b;
	unsigned n = failed_insn(r, &b), p = n ? prefix_len(b, n) : 0;

	return p && n >= p + 3 && !memcmp(b + p, vmfunc_op, 3);
}
