/* VM exits counted by basic exit reason, and the reasons' names (SDM
 * appendix C). */
#include "vmx.h"
#include "../printf.h"

static uint64_t counts[EXIT_REASON_MAX];

static const char *const names[EXIT_REASON_MAX] = {
	[0] = "exception or NMI", [1] = "external interrupt", [2] = "triple fault",
	[3] = "INIT", [4] = "SIPI", [7] = "interrupt window", [8] = "NMI window",
	[9] = "task switch", [10] = "CPUID", [11] = "GETSEC", [12] = "HLT",
	[13] = "INVD", [14] = "INVLPG", [15] = "RDPMC", [16] = "RDTSC", [17] = "RSM",
	[18] = "VMCALL", [19] = "VMCLEAR", [20] = "VMLAUNCH", [21] = "VMPTRLD",
	[22] = "VMPTRST", [23] = "VMREAD", [24] = "VMRESUME", [25] = "VMWRITE",
	[26] = "VMXOFF", [27] = "VMXON", [28] = "control-register access",
	[29] = "MOV DR", [30] = "I/O instruction", [31] = "RDMSR", [32] = "WRMSR",
	[33] = "VM-entry failure: invalid guest state",
	[34] = "VM-entry failure: MSR loading", [36] = "MWAIT",
	[37] = "monitor trap flag", [39] = "MONITOR", [40] = "PAUSE",
	[41] = "VM-entry failure: machine check", [43] = "TPR below threshold",
	[44] = "APIC access", [45] = "virtualized EOI", [46] = "GDTR/IDTR access",
	[47] = "LDTR/TR access", [48] = "EPT violation", [49] = "EPT misconfiguration",
	[50] = "INVEPT", [51] = "RDTSCP", [52] = "VMX-preemption timer expired",
	[53] = "INVVPID", [54] = "WBINVD", [55] = "XSETBV", [56] = "APIC write",
	[57] = "RDRAND", [58] = "INVPCID", [59] = "VMFUNC", [60] = "ENCLS",
	[61] = "RDSEED", [62] = "page-modification log ful", [63] = "XSAVES",
	[64] = "XRSTORS",
};

const char *vmx_exit_reason_name(uint32_t r)
{
	return r < EXIT_REASON_MAX && names[r] ? names[r] : "unknown exit reason";
}

void vmx_stats_count(uint32_t r)
{
	counts[r < EXIT_REASON_MAX ? r : EXIT_REASON_MAX - 1]++;
}

uint64_t vmx_stats_get(uint32_t r)
{
	return r < EXIT_REASON_MAX ? counts[r] : 0;
}

uint64_t vmx_stats_total(void)
{
	uint64_t t = 0;
	for (int r = 0; r < EXIT_REASON_MAX; r++)
		t += counts[r];
	return t;
}

void vmx_stats_print(void)
{
	printf("# vmx: %lu VM exits from L2 by reason:\n", vmx_stats_total());
	for (uint32_t r = 0; r < EXIT_REASON_MAX; r++)
		if (counts[r])
			printf("#   %2u %-36s %lu\n", r, vmx_exit_reason_name(r), counts[r]);
}
