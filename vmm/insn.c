/* Decoding the OUT that ends at RIP (insn.h): on a KVM that leaves RIP past
 * an OUT at its exit (kvm_pvm), the VMM names the OUT's own address. */
#include "insn.h"

unsigned out_len_before(const struct out_exit *x)
{
	bool wide = x->size != 1;
	/* 16-bit code needs 66 for a 32-bit OUT, other code for a 16-bit one. */
	bool need66 = wide && ((x->size == 2) != x->op16);
	unsigned len = 0;

	if (x->before[0] == (wide ? 0xef : 0xee) && x->dx == x->port)
		len = 1;
	else if (x->before[1] == (wide ? 0xe7 : 0xe6) && x->before[0] == x->port)
		len = 2;
	if (len && need66)
		len = len < 3 && x->before[len] == 0x66 ? len + 1 : 0;
	return len;
}
