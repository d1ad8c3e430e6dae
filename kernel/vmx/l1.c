/*
 * L1: VMX operation and the VMCS of the L2 compartment.
 *
 * L2 runs 64-bit code of this same image at CPL0: the same page tables
 * (CR3), GDT and selectors, and its own stack. It differs from L1 in what
 * the CPU does around it:
 *  - guest-physical addresses go through EPT (the live view), so VMFUNC
 *    leaf 0 can switch views without a VM exit;
 *  - every exception exits (exception bitmap all ones, and #PF with any
 *    error code: mask = match = 0), so a fault in L2 ends the run with its
 *    vector and RIP and L2 needs no IDT of its own;
 *  - HLT, external interrupts and NMIs exit; CPUID, VMCALL and the other
 *    unconditional exits reach run.c;
 *  - the VMX-preemption timer (where offered) bounds how long L2 runs in
 *    one vmx_run(), across its exits, so even an L2 stuck in a loop ends
 *    its run, whether the loop exits (CPUID, VMCALL) or not.
 * Port I/O does not exit: L2 is a compartment of this kernel, trusted with
 * the console, so a test's printf inside L2 reaches port 0xe9 directly.
 */
#include "vmx.h"
#include "../gdt.h"
#include "../lib.h"
#include "../pmm.h"
#include "../printf.h"
#include "../x86.h"

#define CR4_VMXE       (1ul << 13)
#define MSR_FS_BASE    0xc0000100u
#define MSR_GS_BASE    0xc0000101u
#define AR_CODE64      0xa09bu  /* P, DPL 0, code exec/read accessed, L, G */
#define AR_DATA        0xc093u  /* P, DPL 0, data read/write accessed, D/B, G */
#define AR_TSS64_BUSY  0x008bu  /* P, 64-bit TSS (busy) */
#define AR_UNUSABLE    0x10000u
#define RFLAGS_FIXED   0x2ul   /* bit 1 is always 1; IF = 0: L2 takes no interrupts */

static struct {
	bool vmxon;
	bool ready;
	struct vmx_caps caps;
	uint64_t vmxon_pa, vmcs_pa;
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr, idtr;
	uint64_t tr_base;
	uint32_t tr_limit;
	bool timer;        /* VMX-preemption timer on */
	bool timer_saved;  /* the CPU saves its value at every VM exit */
	bool efer;         /* EFER loaded on entry and exit (else inherited) */
	uint32_t budget;   /* timer ticks for one whole run */
	uint32_t left;     /* without timer_saved: ticks left in this run */
	uint64_t entry_tsc;
} l1 = { .budget = 0xffffffffu };

const struct vmx_caps *vmx_l1_caps(void) { return &l1.caps; }
bool vmx_l1_has_budget(void) { return l1.timer; }
bool vmx_l1_timer_saved(void) { return l1.timer_saved; }

uint32_t vmx_l1_set_budget(uint32_t ticks)
{
	uint32_t old = l1.budget;
	l1.budget = ticks;
	return old;
}
bool vmx_l1_ready(void) { return l1.ready; }

static uint32_t vmcs_revision(void) { return (uint32_t)l1.caps.basic & 0x7fffffff; }

/* A zeroed page that starts with the VMCS revision identifier: the format of
 * both the VMXON region and a VMCS (SDM 24.2, 24.11.5). */
static uint64_t revision_page(void)
{
	uint64_t pa = pmm_alloc_zeroed(&kernel_pmm);
	if (pa)
		*(uint32_t *)(uintptr_t)pa = vmcs_revision();
	return pa;
}

static int enter_vmx_operation(char *why, size_t n)
{
	const struct vmx_caps *c = &l1.caps;
	char what[100];

	/* Firmware that leaves IA32_FEATURE_CONTROL unlocked expects the OS
	 * to choose: lock it with VMXON outside SMX allowed, as Linux does. */
	if (!(c->feature_control & FEATURE_CONTROL_LOCK))
		wrmsr(MSR_FEATURE_CONTROL, c->feature_control | FEATURE_CONTROL_LOCK |
		      FEATURE_CONTROL_VMX_OUTSIDE_SMX);
	/* VMX operation pins some CR0/CR4 bits (SDM 23.8, A.7, A.8): fixed0
	 * bits must be 1 (PE, NE, PG; VMXE), bits clear in fixed1 must be 0. */
	write_cr0((read_cr0() | c->cr0_fixed0) & c->cr0_fixed1);
	write_cr4((read_cr4() | c->cr4_fixed0 | CR4_VMXE) & c->cr4_fixed1);
	l1.vmxon_pa = revision_page();
	if (!l1.vmxon_pa) {
		snprintf(why, n, "no page for the VMXON region");
		return -1;
	}
	enum vmx_result r = vmx_on(l1.vmxon_pa);
	if (r != VMX_OK) {
		snprintf(why, n, "VMXON (region 0x%lx, CR0 0x%lx, CR4 0x%lx) failed: %s",
			 l1.vmxon_pa, read_cr0(), read_cr4(),
			 vmx_result_describe(r, what, sizeof(what)));
		return -1;
	}
	l1.vmxon = true;
	return 0;
}

static int load_vmcs(char *why, size_t n)
{
	char what[100];
	enum vmx_result r;

	l1.vmcs_pa = revision_page();
	if (!l1.vmcs_pa) {
		snprintf(why, n, "no page for the VMCS");
		return -1;
	}
	if ((r = vmx_clear(l1.vmcs_pa)) != VMX_OK || (r = vmx_ptrld(l1.vmcs_pa)) != VMX_OK) {
		snprintf(why, n, "VMCLEAR/VMPTRLD of the VMCS at 0x%lx failed: %s",
			 l1.vmcs_pa, vmx_result_describe(r, what, sizeof(what)));
		return -1;
	}
	return 0;
}

/* The controls: what we want, adjusted to what the CPU forces or forbids. */
static int write_controls(uint64_t eptp_list_pa, uint64_t eptp, char *why, size_t n)
{
	const struct vmx_caps *c = &l1.caps;
	uint32_t pin, proc, proc2, exit, entry;
	bool efer = (c->exit >> 32 & EXIT_LOAD_EFER) && (c->exit >> 32 & EXIT_SAVE_EFER) &&
		    (c->entry >> 32 & ENTRY_LOAD_EFER);
	l1.efer = efer;

	/* Optional controls are asked for only where offered. */
	l1.timer = c->pin >> 32 & PIN_PREEMPT_TIMER;
	l1.timer_saved = l1.timer && (c->exit >> 32 & EXIT_SAVE_PREEMPT_TIMER);
	if (!vmx_adjust_ctls(c->pin, PIN_EXT_INTR_EXITING | PIN_NMI_EXITING |
			     (l1.timer ? PIN_PREEMPT_TIMER : 0),
			     "pin-based controls", &pin, why, n) ||
	    !vmx_adjust_ctls(c->proc, PROC_HLT_EXITING | PROC_SECONDARY_CTLS,
			     "primary processor-based controls", &proc, why, n) ||
	    !vmx_adjust_ctls(c->proc2, PROC2_EPT | PROC2_VMFUNC,
			     "secondary processor-based controls", &proc2, why, n) ||
	    !vmx_adjust_ctls(c->exit, EXIT_HOST_ADDR_SPACE |
			     (efer ? EXIT_SAVE_EFER | EXIT_LOAD_EFER : 0) |
			     (l1.timer_saved ? EXIT_SAVE_PREEMPT_TIMER : 0),
			     "VM-exit controls", &exit, why, n) ||
	    !vmx_adjust_ctls(c->entry, ENTRY_IA32E_GUEST | (efer ? ENTRY_LOAD_EFER : 0),
			     "VM-entry controls", &entry, why, n))
		return -1;
	vmcs_write(PIN_BASED_CTLS, pin);
	vmcs_write(PROC_BASED_CTLS, proc);
	vmcs_write(PROC_BASED_CTLS2, proc2);
	vmcs_write(EXIT_CTLS, exit);
	vmcs_write(ENTRY_CTLS, entry);
	vmcs_write(EXCEPTION_BITMAP, 0xffffffffu);
	vmcs_write(PF_ERROR_MASK, 0);
	vmcs_write(PF_ERROR_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(ENTRY_INTR_INFO, 0);
	/* No CR bit is owned by L1: L2 reads and writes CR0/CR4 itself. */
	vmcs_write(CR0_GUEST_HOST_MASK, 0);
	vmcs_write(CR4_GUEST_HOST_MASK, 0);
	vmcs_write(CR0_READ_SHADOW, 0);
	vmcs_write(CR4_READ_SHADOW, 0);
	vmcs_write(VM_FUNCTION_CONTROL, VMFUNC_EPTP_SWITCHING);
	vmcs_write(EPTP_LIST_ADDRESS, eptp_list_pa);
	vmcs_write(EPT_POINTER, eptp);
	vmcs_write(VMCS_LINK_POINTER, ~0ul); /* no shadow VMCS */
	return 0;
}

static void read_descriptor_tables(void)
{
	__asm__ volatile("sgdt %0" : "=m"(l1.gdtr));
	__asm__ volatile("sidt %0" : "=m"(l1.idtr));
	const uint64_t *d = (const uint64_t *)(uintptr_t)(l1.gdtr.base + SEL_TSS);
	l1.tr_base = (d[0] >> 16 & 0xffffff) | (d[0] >> 56 & 0xff) << 24 | (d[1] & 0xffffffff) << 32;
	l1.tr_limit = (uint32_t)((d[0] & 0xffff) | (d[0] >> 48 & 0xf) << 16);
}

/* After a VM exit the CPU leaves GDTR and IDTR limits at 0xffff (SDM
 * 27.5.2): put the real ones back so a stray vector faults as it should. */
void vmx_l1_restore_tables(void)
{
	__asm__ volatile("lgdt %0" :: "m"(l1.gdtr));
	__asm__ volatile("lidt %0" :: "m"(l1.idtr));
}

/* What the CPU loads on every VM exit: this kernel as it runs now. */
static void write_host_state(void)
{
	vmcs_write(HOST_CS_SEL, SEL_KERNEL_CODE);
	vmcs_write(HOST_SS_SEL, SEL_KERNEL_DATA);
	vmcs_write(HOST_DS_SEL, SEL_KERNEL_DATA);
	vmcs_write(HOST_ES_SEL, SEL_KERNEL_DATA);
	vmcs_write(HOST_FS_SEL, SEL_KERNEL_DATA);
	vmcs_write(HOST_GS_SEL, SEL_KERNEL_DATA);
	vmcs_write(HOST_TR_SEL, SEL_TSS);
	vmcs_write(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmcs_write(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	vmcs_write(HOST_TR_BASE, l1.tr_base);
	vmcs_write(HOST_GDTR_BASE, l1.gdtr.base);
	vmcs_write(HOST_IDTR_BASE, l1.idtr.base);
	vmcs_write(HOST_SYSENTER_CS, 0);
	vmcs_write(HOST_SYSENTER_ESP, 0);
	vmcs_write(HOST_SYSENTER_EIP, 0);
	if (l1.efer)   /* the field exists only with the EFER controls */
		vmcs_write(HOST_EFER, rdmsr(MSR_EFER));
	vmcs_write(HOST_RIP, (uint64_t)vmx_exit_landing);
}

static void write_guest_segment(uint64_t sel_field, uint16_t sel, uint32_t ar)
{
	/* Selector, limit, AR and base fields of one register are spaced
	 * alike: ES..GS are consecutive in each group (SDM appendix B). */
	uint64_t i = sel_field - GUEST_ES_SEL;
	vmcs_write(sel_field, sel);
	vmcs_write(GUEST_ES_LIMIT + i, 0xffffffffu);
	vmcs_write(GUEST_ES_AR + i, ar);
	vmcs_write(GUEST_ES_BASE + i, 0);
}

/* L2 starts as a copy of this kernel's CPU state, minus what it must not
 * share: its stack, RIP and RFLAGS are set per run (vmx_l1_prepare_run). */
static void write_guest_state(void)
{
	write_guest_segment(GUEST_CS_SEL, SEL_KERNEL_CODE, AR_CODE64);
	write_guest_segment(GUEST_SS_SEL, SEL_KERNEL_DATA, AR_DATA);
	write_guest_segment(GUEST_DS_SEL, SEL_KERNEL_DATA, AR_DATA);
	write_guest_segment(GUEST_ES_SEL, SEL_KERNEL_DATA, AR_DATA);
	write_guest_segment(GUEST_FS_SEL, SEL_KERNEL_DATA, AR_DATA);
	write_guest_segment(GUEST_GS_SEL, SEL_KERNEL_DATA, AR_DATA);
	vmcs_write(GUEST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmcs_write(GUEST_GS_BASE, rdmsr(MSR_GS_BASE));
	vmcs_write(GUEST_LDTR_SEL, 0);
	vmcs_write(GUEST_LDTR_LIMIT, 0);
	vmcs_write(GUEST_LDTR_AR, AR_UNUSABLE);
	vmcs_write(GUEST_LDTR_BASE, 0);
	vmcs_write(GUEST_TR_SEL, SEL_TSS);
	vmcs_write(GUEST_TR_LIMIT, l1.tr_limit);
	vmcs_write(GUEST_TR_AR, AR_TSS64_BUSY);
	vmcs_write(GUEST_TR_BASE, l1.tr_base);
	vmcs_write(GUEST_GDTR_BASE, l1.gdtr.base);
	vmcs_write(GUEST_GDTR_LIMIT, l1.gdtr.limit);
	vmcs_write(GUEST_IDTR_BASE, l1.idtr.base);
	vmcs_write(GUEST_IDTR_LIMIT, l1.idtr.limit);
	vmcs_write(GUEST_DR7, 0x400);
	vmcs_write(GUEST_DEBUGCTL, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	/* Without "load IA32_EFER" L2 inherits L1's EFER (NXE included) and
	 * gets LMA/LME from the IA-32e mode guest control. */
	if (l1.efer)
		vmcs_write(GUEST_EFER, rdmsr(MSR_EFER));
	vmcs_write(GUEST_PENDING_DBG, 0);
}

void vmx_l1_prepare_run(uint64_t rip, uint64_t rsp)
{
	/* Tests may change CR0/CR3/CR4 between runs: L2 follows L1. */
	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CR3, read_cr3());
	vmcs_write(HOST_CR4, read_cr4());
	vmcs_write(GUEST_CR0, read_cr0());
	vmcs_write(GUEST_CR3, read_cr3());
	vmcs_write(GUEST_CR4, read_cr4());
	vmcs_write(GUEST_RIP, rip);
	vmcs_write(GUEST_RSP, rsp);
	vmcs_write(GUEST_RFLAGS, RFLAGS_FIXED);
	vmcs_write(GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, 0);
	/* The whole budget for this run. With "save VMX-preemption timer
	 * value" every exit stores what is left, which the next entry resumes
	 * from; without it vmx_l1_timer_enter() writes what is left. */
	l1.left = l1.budget;
	if (l1.timer)
		vmcs_write(GUEST_PREEMPT_TIMER, l1.budget);
}

/* Without the save control every VM entry restarts the countdown at the
 * VMCS value, so an L2 that exits often (a CPUID loop) would never run
 * out: charge it the TSC time from entry to exit (in timer ticks, a little
 * more than it ran) and enter with the rest. At 0 it exits at once. */
void vmx_l1_timer_enter(void)
{
	if (!l1.timer || l1.timer_saved)
		return;
	vmcs_write(GUEST_PREEMPT_TIMER, l1.left);
	l1.entry_tsc = rdtsc();
}

void vmx_l1_timer_exited(void)
{
	if (!l1.timer || l1.timer_saved)
		return;
	uint64_t used = (rdtsc() - l1.entry_tsc) >> (l1.caps.misc & 0x1f);
	l1.left = used < l1.left ? l1.left - (uint32_t)used : 0;
}

int vmx_l1_init(const struct vmx_caps *c, uint64_t eptp_list_pa, uint64_t eptp,
		char *why, size_t n)
{
	if (l1.ready)
		return 0;
	l1.caps = *c;
	if (!l1.vmxon && enter_vmx_operation(why, n))
		return -1;
	if (load_vmcs(why, n))
		return -1;
	read_descriptor_tables();
	vmcs_take_error(NULL, 0);
	if (write_controls(eptp_list_pa, eptp, why, n))
		return -1;
	write_host_state();
	write_guest_state();
	if (vmcs_take_error(why, n))
		return -1;
	l1.ready = true;
	return 0;
}
