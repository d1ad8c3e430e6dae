#include "kvm_hc.h"
#include "hcall.h"
#include "kernel.h"
#include "printf.h"
#include "trap.h"
#include "x86.h"

uint64_t kvm_hc_made;

/* Asked once: CPUID is itself an exit, which a timed call must not pay. */
bool cpu_vendor_intel(void)
{
	static int intel = -1;
	if (intel < 0) {
		uint32_t r[4];
		cpuid(0, 0, r);
		intel = r[1] == 0x756e6547 && r[3] == 0x49656e69 && r[2] == 0x6c65746e; /* GenuineIntel */
	}
	return intel;
}

static bool ours(uint64_t nr) { return (nr & ~(uint64_t)0xffff) == KVM_HC_OURS_BASE; }

static void vmcall(void *p)
{
	struct kvm_hc_regs *r = p;
	__asm__ volatile("vmcall" : "=a"(r->ret)
			 : "a"(r->nr), "b"(r->a0), "c"(r->a1), "d"(r->a2), "S"(r->a3) : "memory");
}

static void vmmcall(void *p)
{
	struct kvm_hc_regs *r = p;
	__asm__ volatile("vmmcall" : "=a"(r->ret)
			 : "a"(r->nr), "b"(r->a0), "c"(r->a1), "d"(r->a2), "S"(r->a3) : "memory");
}

int kvm_hc_insn(bool own, struct kvm_hc_regs *r)
{
	struct trap_info ti;
	int v = trap_run(own == cpu_vendor_intel() ? vmcall : vmmcall, r, &ti);
	if (v < 0 && ours(r->nr))
		kvm_hc_made++;
	return v;
}

const char *kvm_hc_unsafe(void)
{
	if (!hc_available())
		return "no KVM: not booted by our VMM";
	/* kvm_pvm (PLATFORM.md): with the quirk on, VMCALL/VMMCALL at CPL0
	 * hang the vCPU; our VMM turns it off and says so in this bit. */
	if (!(boot_info->features & HC_FEAT_VMCALL_UD))
		return "the VMM could not disable KVM's VMCALL-patching quirk here; "
		       "a VMCALL might hang, so none is run";
	return NULL;
}

const char *kvm_hc_missing(void)
{
	static char why[96];
	const char *unsafe = kvm_hc_unsafe();
	if (unsafe)
		return unsafe;
	struct kvm_hc_regs r = { .nr = KVM_HC_OURS_ECHO, 1, 2, 3, 4, 0 };
	const char *insn = cpu_vendor_intel() ? "VMCALL" : "VMMCALL";
	if (kvm_hc_insn(true, &r) >= 0) {
		snprintf(why, sizeof(why), "%s is an exception here: this KVM takes neither instruction", insn);
		return why;
	}
	if (r.ret == (uint64_t)-KVM_HC_ENOSYS) {
		snprintf(why, sizeof(why), "KVM answered -1000 (-KVM_ENOSYS) to %s: stock modules, "
			 "not ours (KVM_MODULES=hc)", insn);
		return why;
	}
	return NULL; /* answered otherwise: ours, or the tests will say what did */
}

uint64_t kvm_hc(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct kvm_hc_regs r = { nr, a0, a1, a2, a3, 0 };
	if (cpu_vendor_intel())
		vmcall(&r);
	else
		vmmcall(&r);
	if (ours(nr))
		kvm_hc_made++;
	return r.ret;
}
