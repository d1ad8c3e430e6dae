/*
 * VMX capability MSRs: what this CPU lets an L1 hypervisor turn on.
 *
 * The MSRs are read only after CPUID.1:ECX.VMX says they exist: a CPU
 * without VMX raises #GP on them (QEMU TCG happens to read 0 instead). Each
 * control MSR holds two halves (SDM A.3): bits 31:0 are the allowed-0
 * settings (a 1 there means the control must be 1) and bits 63:32 the
 * allowed-1 settings (a 0 there means it must be 0). When IA32_VMX_BASIC
 * bit 55 is set, the TRUE MSRs 0x48d-0x490 describe the same controls with
 * fewer forced ones (the "default1" class may then be 0).
 */
#include "vmx.h"
#include "../printf.h"
#include "../x86.h"

#define CPUID1_ECX_VMX (1u << 5)

static bool bit(uint64_t v, int n) { return v >> n & 1; }
static const char *yes(uint64_t v, int n) { return bit(v, n) ? "yes" : "no"; }

void vmx_caps_read(struct vmx_caps *c)
{
	uint32_t r[4];

	*c = (struct vmx_caps){ 0 };
	cpuid(1, 0, r);
	c->cpuid_vmx = r[2] & CPUID1_ECX_VMX;
	if (!c->cpuid_vmx)
		return;
	c->feature_control = rdmsr(MSR_FEATURE_CONTROL);
	c->basic = rdmsr(MSR_VMX_BASIC);
	bool t = c->basic & VMX_BASIC_TRUE_CTLS;
	c->pin = rdmsr(t ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED_CTLS);
	c->proc = rdmsr(t ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED_CTLS);
	c->exit = rdmsr(t ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT_CTLS);
	c->entry = rdmsr(t ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY_CTLS);
	c->misc = rdmsr(MSR_VMX_MISC);
	c->cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
	/* The secondary controls, EPT caps and VM functions exist only when
	 * the control that enables them may be 1 (SDM A.3.3, A.10, A.11). */
	if (bit(c->proc, 32 + 31))
		c->proc2 = rdmsr(MSR_VMX_PROCBASED_CTLS2);
	if (bit(c->proc2, 32 + 1) || bit(c->proc2, 32 + 5))
		c->ept_vpid = rdmsr(MSR_VMX_EPT_VPID_CAP);
	if (bit(c->proc2, 32 + 13))
		c->vmfunc = rdmsr(MSR_VMX_VMFUNC);
}

bool vmx_ept_ad_offered(const struct vmx_caps *c)
{
	return c->ept_vpid & EPT_CAP_AD;
}

/* One requirement: the MSR value, a bit, and what to say when it is 0. */
struct need {
	const uint64_t *value;
	int bit;
	const char *text;
};

bool vmx_caps_native_ok(const struct vmx_caps *c, char *why, size_t n)
{
	if (!c->cpuid_vmx) {
		snprintf(why, n, "CPUID.1:ECX.VMX = 0");
		return false;
	}
	/* Firmware either locks VMX on or off; unlocked, l1.c locks it on. */
	if ((c->feature_control & FEATURE_CONTROL_LOCK) &&
	    !(c->feature_control & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		snprintf(why, n, "IA32_FEATURE_CONTROL (0x3a) = 0x%lx: locked with "
			 "VMXON outside SMX (bit 2) off", c->feature_control);
		return false;
	}
	const struct need needs[] = {
		{ &c->proc, 32 + 31, "IA32_VMX_PROCBASED_CTLS (0x482) allowed-1 bit 31 (activate secondary controls)" },
		{ &c->proc2, 32 + 1, "IA32_VMX_PROCBASED_CTLS2 (0x48b) allowed-1 bit 1 (enable EPT)" },
		{ &c->proc2, 32 + 13, "IA32_VMX_PROCBASED_CTLS2 (0x48b) allowed-1 bit 13 (enable VM functions)" },
		{ &c->ept_vpid, 6, "IA32_VMX_EPT_VPID_CAP (0x48c) bit 6 (4-level EPT walk)" },
		{ &c->ept_vpid, 14, "IA32_VMX_EPT_VPID_CAP (0x48c) bit 14 (write-back EPT paging structures)" },
		{ &c->ept_vpid, 16, "IA32_VMX_EPT_VPID_CAP (0x48c) bit 16 (2 MiB EPT pages)" },
		{ &c->vmfunc, 0, "IA32_VMX_VMFUNC (0x491) bit 0 (EPTP switching)" },
		{ &c->exit, 32 + 9, "IA32_VMX_EXIT_CTLS allowed-1 bit 9 (host address-space size)" },
		{ &c->entry, 32 + 9, "IA32_VMX_ENTRY_CTLS allowed-1 bit 9 (IA-32e mode guest)" },
	};
	for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
		if (!bit(*needs[i].value, needs[i].bit)) {
			snprintf(why, n, "%s is 0", needs[i].text);
			return false;
		}
	}
	/* The VMXON region and VMCS live in write-back memory (SDM A.1). */
	if ((c->basic >> 50 & 0xf) != 6) {
		snprintf(why, n, "IA32_VMX_BASIC (0x480) memory type %lu, not 6 (WB)",
			 (unsigned long)(c->basic >> 50 & 0xf));
		return false;
	}
	return true;
}

bool vmx_adjust_ctls(uint64_t msr_value, uint32_t want, const char *what,
		     uint32_t *out, char *why, size_t n)
{
	uint32_t must1 = (uint32_t)msr_value, may1 = (uint32_t)(msr_value >> 32);
	uint32_t v = (want | must1) & may1;

	*out = v;
	if ((v & want) == want)
		return true;
	uint32_t missing = want & ~v;
	snprintf(why, n, "%s: bit %d cannot be 1 (allowed-1 0x%08x)", what,
		 __builtin_ctz(missing), may1);
	return false;
}

static void print_ctls(const char *name, uint32_t msr, uint64_t v)
{
	printf("# vmx: %-26s (0x%03x) 0x%016lx: must-be-1 0x%08x, may-be-1 0x%08x\n",
	       name, msr, v, (uint32_t)v, (uint32_t)(v >> 32));
}

static void print_basic(uint64_t b)
{
	static const char *const memtypes[16] = { [0] = "UC", [6] = "WB" };
	unsigned mt = b >> 50 & 0xf;
	printf("# vmx: IA32_VMX_BASIC             (0x480) 0x%016lx: VMCS revision 0x%x, "
	       "region %lu bytes, memory type %u (%s), TRUE controls (bit 55) %s, "
	       "INS/OUTS info (bit 54) %s\n", b, (uint32_t)b & 0x7fffffff,
	       (unsigned long)(b >> 32 & 0x1fff), mt, memtypes[mt] ? memtypes[mt] : "?",
	       yes(b, 55), yes(b, 54));
}

static void print_ept(uint64_t e)
{
	printf("# vmx: IA32_VMX_EPT_VPID_CAP      (0x48c) 0x%016lx: execute-only (0) %s, "
	       "4-level walk (6) %s, UC (8) %s, WB (14) %s, 2M pages (16) %s, "
	       "1G pages (17) %s, INVEPT (20) %s, accessed/dirty (21) %s, "
	       "INVEPT single (25) %s, all (26) %s, INVVPID (32) %s\n", e,
	       yes(e, 0), yes(e, 6), yes(e, 8), yes(e, 14), yes(e, 16), yes(e, 17),
	       yes(e, 20), yes(e, 21), yes(e, 25), yes(e, 26), yes(e, 32));
}

void vmx_caps_print(const struct vmx_caps *c)
{
	bool t = c->basic & VMX_BASIC_TRUE_CTLS;

	printf("# vmx: CPUID.1:ECX.VMX = %d, IA32_FEATURE_CONTROL (0x3a) = 0x%lx "
	       "(locked %s, VMXON outside SMX %s)\n", c->cpuid_vmx, c->feature_control,
	       yes(c->feature_control, 0), yes(c->feature_control, 2));
	if (!c->cpuid_vmx)
		return;
	print_basic(c->basic);
	print_ctls(t ? "IA32_VMX_TRUE_PINBASED_CTLS" : "IA32_VMX_PINBASED_CTLS",
		   t ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED_CTLS, c->pin);
	print_ctls(t ? "IA32_VMX_TRUE_PROCBASED_CTLS" : "IA32_VMX_PROCBASED_CTLS",
		   t ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED_CTLS, c->proc);
	printf("# vmx:   primary: HLT exiting (7) %s, unconditional I/O exiting (24) %s, "
	       "MSR bitmaps (28) %s, activate secondary controls (31) %s\n",
	       yes(c->proc, 32 + 7), yes(c->proc, 32 + 24), yes(c->proc, 32 + 28),
	       yes(c->proc, 32 + 31));
	print_ctls("IA32_VMX_PROCBASED_CTLS2", MSR_VMX_PROCBASED_CTLS2, c->proc2);
	printf("# vmx:   secondary: EPT (1) %s, VPID (5) %s, unrestricted guest (7) %s, "
	       "VM functions (13) %s, EPT-violation #VE (18) %s\n",
	       yes(c->proc2, 32 + 1), yes(c->proc2, 32 + 5), yes(c->proc2, 32 + 7),
	       yes(c->proc2, 32 + 13), yes(c->proc2, 32 + 18));
	print_ctls(t ? "IA32_VMX_TRUE_EXIT_CTLS" : "IA32_VMX_EXIT_CTLS",
		   t ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT_CTLS, c->exit);
	print_ctls(t ? "IA32_VMX_TRUE_ENTRY_CTLS" : "IA32_VMX_ENTRY_CTLS",
		   t ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY_CTLS, c->entry);
	print_ept(c->ept_vpid);
	printf("# vmx: IA32_VMX_VMFUNC            (0x491) 0x%016lx: EPTP switching (0) %s\n",
	       c->vmfunc, yes(c->vmfunc, 0));
	printf("# vmx: CR0 fixed0/fixed1 0x%lx/0x%lx, CR4 fixed0/fixed1 0x%lx/0x%lx, "
	       "MISC (0x485) 0x%lx\n", c->cr0_fixed0, c->cr0_fixed1, c->cr4_fixed0,
	       c->cr4_fixed1, c->misc);
}
