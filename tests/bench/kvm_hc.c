/* A hypercall answered inside KVM (the vendor's VMCALL/VMMCALL, no exit to
 * our VMM), timed in the same run as the doorbell and the raw exit
 * (hypercall.c). With our kvm.ko (KVM_MODULES=hc) it is our ECHO; on
 * stock KVM the same call is an unknown number, answered -1000 just as
 * far inside KVM: measurable without the patch, and named for what it is. */
#include "bench.h"
#include "kvm_hc.h"
#include "printf.h"

static void echo(void) { kvm_hc(KVM_HC_OURS_ECHO, 1, 2, 3, 4); }

BENCH(in_kvm_hypercall)
{
	if (kvm_hc_unsafe())
		return;
	struct kvm_hc_regs r = { KVM_HC_OURS_ECHO, 1, 2, 3, 4, 0 };
	if (kvm_hc_insn(true, &r) >= 0) {
		printf("# bench: VMCALL/VMMCALL is an exception on this KVM: no in-KVM figure\n");
		return;
	}
	if (r.ret == 1 + 2 * 2 + 3 * 3 + 4 * 4 + 1)
		bench_samples("kvm_hc_echo", echo);
	else if (r.ret == (uint64_t)-KVM_HC_ENOSYS)
		bench_samples("kvm_enosys", echo);
	else
		printf("# bench: KVM answered %#lx, neither our ECHO nor -1000: no in-KVM figure\n", r.ret);
}
