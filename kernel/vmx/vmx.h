/*
 * The native world of kernel/views.h: this kernel as an L1 hypervisor.
 *
 * Files, one concept each:
 *   caps.c       capability MSRs: read, decode, print, adjust controls
 *   vmcs.c       VMX instructions (VMXON, VMCLEAR, VMPTRLD, VMREAD, VMWRITE,
 *                INVEPT) with their failures decoded
 *   ept.c        EPT tables: builder, walker, dump (ept.h)
 *   l1.c         VMXON and the VMCS of the one L2 compartment
 *   run.c        VM entry, the exit loop and exit dispatch
 *   vmcall.c     the hypercalls L2 makes with VMCALL
 *   stats.c      VM exits counted by reason, exit reason names
 *   views_l1.c   the EPTP list and its views, L1's side
 *   views_native.c  the views_ops of this world: direct in L1, VMCALL in L2
 *   l2_entry.asm the VM-entry/exit trampolines and L2's first instructions
 *
 * Facts are from the Intel SDM, volume 3C (chapters 24-28: VMCS layout,
 * VM-execution controls, VM exits, EPT) and appendix A (capability MSRs).
 */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../../include/hypercall.h"

/* ---- Capability MSRs (SDM appendix A) ---- */
#define MSR_FEATURE_CONTROL      0x03a
#define FEATURE_CONTROL_LOCK     (1u << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1u << 2)
#define MSR_VMX_BASIC            0x480
#define MSR_VMX_PINBASED_CTLS    0x481
#define MSR_VMX_PROCBASED_CTLS   0x482
#define MSR_VMX_EXIT_CTLS        0x483
#define MSR_VMX_ENTRY_CTLS       0x484
#define MSR_VMX_MISC             0x485
#define MSR_VMX_CR0_FIXED0       0x486
#define MSR_VMX_CR0_FIXED1       0x487
#define MSR_VMX_CR4_FIXED0       0x488
#define MSR_VMX_CR4_FIXED1       0x489
#define MSR_VMX_PROCBASED_CTLS2  0x48b
#define MSR_VMX_EPT_VPID_CAP     0x48c
#define MSR_VMX_TRUE_PINBASED    0x48d
#define MSR_VMX_TRUE_PROCBASED   0x48e
#define MSR_VMX_TRUE_EXIT        0x48f
#define MSR_VMX_TRUE_ENTRY       0x490
#define MSR_VMX_VMFUNC           0x491

#define VMX_BASIC_TRUE_CTLS      (1ul << 55)

/* IA32_VMX_EPT_VPID_CAP bits */
#define EPT_CAP_EXEC_ONLY        (1ul << 0)
#define EPT_CAP_WALK4            (1ul << 6)
#define EPT_CAP_WB               (1ul << 14)
#define EPT_CAP_2M               (1ul << 16)
#define EPT_CAP_1G               (1ul << 17)
#define EPT_CAP_INVEPT           (1ul << 20)
#define EPT_CAP_AD               (1ul << 21)
#define EPT_CAP_INVEPT_SINGLE    (1ul << 25)
#define EPT_CAP_INVEPT_ALL       (1ul << 26)

/* ---- VM-execution, exit and entry controls ---- */
#define PIN_EXT_INTR_EXITING     (1u << 0)
#define PIN_NMI_EXITING          (1u << 3)
#define PIN_PREEMPT_TIMER        (1u << 6)
#define PROC_HLT_EXITING         (1u << 7)
#define PROC_CR3_LOAD_EXITING    (1u << 15)
#define PROC_CR3_STORE_EXITING   (1u << 16)
#define PROC_UNCOND_IO_EXITING   (1u << 24)
#define PROC_USE_MSR_BITMAPS     (1u << 28)
#define PROC_SECONDARY_CTLS      (1u << 31)
#define PROC2_EPT                (1u << 1)
#define PROC2_VPID               (1u << 5)
#define PROC2_VMFUNC             (1u << 13)
#define EXIT_HOST_ADDR_SPACE     (1u << 9)
#define EXIT_SAVE_EFER           (1u << 20)
#define EXIT_LOAD_EFER           (1u << 21)
#define EXIT_SAVE_PREEMPT_TIMER  (1u << 22)
#define ENTRY_IA32E_GUEST        (1u << 9)
#define ENTRY_LOAD_EFER          (1u << 15)
#define VMFUNC_EPTP_SWITCHING    (1ul << 0)

/* ---- VMCS field encodings (SDM appendix B) ---- */
enum vmcs_field {
	/* 16-bit guest and host selectors */
	GUEST_ES_SEL = 0x0800, GUEST_CS_SEL = 0x0802, GUEST_SS_SEL = 0x0804,
	GUEST_DS_SEL = 0x0806, GUEST_FS_SEL = 0x0808, GUEST_GS_SEL = 0x080a,
	GUEST_LDTR_SEL = 0x080c, GUEST_TR_SEL = 0x080e,
	HOST_ES_SEL = 0x0c00, HOST_CS_SEL = 0x0c02, HOST_SS_SEL = 0x0c04,
	HOST_DS_SEL = 0x0c06, HOST_FS_SEL = 0x0c08, HOST_GS_SEL = 0x0c0a,
	HOST_TR_SEL = 0x0c0c,
	/* 64-bit controls */
	VM_FUNCTION_CONTROL = 0x2018,
	EPT_POINTER = 0x201a,
	EPTP_LIST_ADDRESS = 0x2024,
	/* 64-bit read-only */
	GUEST_PHYSICAL_ADDRESS = 0x2400,
	/* 64-bit guest and host */
	VMCS_LINK_POINTER = 0x2800, GUEST_DEBUGCTL = 0x2802, GUEST_EFER = 0x2806,
	HOST_EFER = 0x2c02,
	/* 32-bit controls */
	PIN_BASED_CTLS = 0x4000, PROC_BASED_CTLS = 0x4002, EXCEPTION_BITMAP = 0x4004,
	PF_ERROR_MASK = 0x4006, PF_ERROR_MATCH = 0x4008, CR3_TARGET_COUNT = 0x400a,
	EXIT_CTLS = 0x400c, EXIT_MSR_STORE_COUNT = 0x400e, EXIT_MSR_LOAD_COUNT = 0x4010,
	ENTRY_CTLS = 0x4012, ENTRY_MSR_LOAD_COUNT = 0x4014, ENTRY_INTR_INFO = 0x4016,
	PROC_BASED_CTLS2 = 0x401e,
	/* 32-bit read-only */
	VM_INSTRUCTION_ERROR = 0x4400, EXIT_REASON = 0x4402,
	EXIT_INTR_INFO = 0x4404, EXIT_INTR_ERROR = 0x4406,
	EXIT_INSTRUCTION_LEN = 0x440c,
	/* 32-bit guest */
	GUEST_ES_LIMIT = 0x4800, GUEST_CS_LIMIT = 0x4802, GUEST_SS_LIMIT = 0x4804,
	GUEST_DS_LIMIT = 0x4806, GUEST_FS_LIMIT = 0x4808, GUEST_GS_LIMIT = 0x480a,
	GUEST_LDTR_LIMIT = 0x480c, GUEST_TR_LIMIT = 0x480e,
	GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812,
	GUEST_ES_AR = 0x4814, GUEST_CS_AR = 0x4816, GUEST_SS_AR = 0x4818,
	GUEST_DS_AR = 0x481a, GUEST_FS_AR = 0x481c, GUEST_GS_AR = 0x481e,
	GUEST_LDTR_AR = 0x4820, GUEST_TR_AR = 0x4822,
	GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY_STATE = 0x4826,
	GUEST_SYSENTER_CS = 0x482a, GUEST_PREEMPT_TIMER = 0x482e,
	HOST_SYSENTER_CS = 0x4c00,
	/* natural-width controls and read-only */
	CR0_GUEST_HOST_MASK = 0x6000, CR4_GUEST_HOST_MASK = 0x6002,
	CR0_READ_SHADOW = 0x6004, CR4_READ_SHADOW = 0x6006,
	EXIT_QUALIFICATION = 0x6400, GUEST_LINEAR_ADDRESS = 0x640a,
	/* natural-width guest */
	GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804,
	GUEST_ES_BASE = 0x6806, GUEST_CS_BASE = 0x6808, GUEST_SS_BASE = 0x680a,
	GUEST_DS_BASE = 0x680c, GUEST_FS_BASE = 0x680e, GUEST_GS_BASE = 0x6810,
	GUEST_LDTR_BASE = 0x6812, GUEST_TR_BASE = 0x6814,
	GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818,
	GUEST_DR7 = 0x681a, GUEST_RSP = 0x681c, GUEST_RIP = 0x681e,
	GUEST_RFLAGS = 0x6820, GUEST_PENDING_DBG = 0x6822,
	GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826,
	/* natural-width host */
	HOST_CR0 = 0x6c00, HOST_CR3 = 0x6c02, HOST_CR4 = 0x6c04,
	HOST_FS_BASE = 0x6c06, HOST_GS_BASE = 0x6c08, HOST_TR_BASE = 0x6c0a,
	HOST_GDTR_BASE = 0x6c0c, HOST_IDTR_BASE = 0x6c0e,
	HOST_SYSENTER_ESP = 0x6c10, HOST_SYSENTER_EIP = 0x6c12,
	HOST_RSP = 0x6c14, HOST_RIP = 0x6c16,
};

/* ---- Basic exit reasons (SDM appendix C) used here ---- */
#define EXIT_EXCEPTION_NMI   0
#define EXIT_EXT_INTERRUPT   1
#define EXIT_TRIPLE_FAULT    2
#define EXIT_CPUID           10
#define EXIT_HLT             12
#define EXIT_VMCALL          18
#define EXIT_IO              30
#define EXIT_BAD_GUEST_STATE 33
#define EXIT_EPT_VIOLATION   48
#define EXIT_EPT_MISCONFIG   49
#define EXIT_PREEMPT_TIMER   52
#define EXIT_VMFUNC          59
#define EXIT_REASON_MAX      80
#define EXIT_REASON_ENTRY_FAILED (1u << 31)

/* EPT-violation exit qualification (SDM 27.2.1, table 27-7) */
#define EPT_QUAL_READ        (1ul << 0)
#define EPT_QUAL_WRITE       (1ul << 1)
#define EPT_QUAL_FETCH       (1ul << 2)
#define EPT_QUAL_READABLE    (1ul << 3)
#define EPT_QUAL_WRITABLE    (1ul << 4)
#define EPT_QUAL_EXECUTABLE  (1ul << 5)
#define EPT_QUAL_GLA_VALID   (1ul << 7)
#define EPT_QUAL_GLA_XLATE   (1ul << 8)

/* VM-exit interruption information (SDM 24.9.2) */
#define INTR_INFO_VALID      (1u << 31)
#define INTR_INFO_ERR_VALID  (1u << 11)

/* ---- caps.c ---- */
struct vmx_caps {
	bool cpuid_vmx;            /* CPUID.1:ECX[5] */
	uint64_t feature_control;  /* 0x3a */
	uint64_t basic;            /* 0x480 */
	uint64_t pin, proc, exit, entry; /* the TRUE MSRs when basic bit 55 says so */
	uint64_t proc2;            /* 0x48b */
	uint64_t ept_vpid;         /* 0x48c */
	uint64_t vmfunc;           /* 0x491 */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t misc;             /* 0x485 */
};

/* Read CPUID and (only when CPUID says VMX) the MSRs. Cheap. */
void vmx_caps_read(struct vmx_caps *c);
/* Does this CPU offer all the native world needs? If not, *why names the
 * first thing missing (the MSR, the bit and its meaning). */
bool vmx_caps_native_ok(const struct vmx_caps *c, char *why, size_t n);
/* Print every capability MSR with its meaning. */
void vmx_caps_print(const struct vmx_caps *c);
/* Control value from the allowed-0 (low half: must be 1) and allowed-1
 * (high half: may be 1) settings of msr_value. Returns false, naming the
 * first wanted bit that cannot be 1, when want asks for too much. */
bool vmx_adjust_ctls(uint64_t msr_value, uint32_t want, const char *what,
		     uint32_t *out, char *why, size_t n);
bool vmx_ept_ad_offered(const struct vmx_caps *c);

/* ---- vmcs.c: the instructions; every failure decoded ---- */
enum vmx_result { VMX_OK = 0, VMX_FAIL_INVALID = 1, VMX_FAIL_VALID = 2 };
const char *vmx_insn_error_name(uint32_t err);
/* "VMfailInvalid (no current VMCS)" or "VMfailValid, VM-instruction error
 * 13: VMWRITE to read-only VMCS component" into buf. */
const char *vmx_result_describe(enum vmx_result r, char *buf, size_t n);

enum vmx_result vmx_on(uint64_t region_pa);
enum vmx_result vmx_clear(uint64_t vmcs_pa);
enum vmx_result vmx_ptrld(uint64_t vmcs_pa);
enum vmx_result vmx_write_raw(uint64_t field, uint64_t value);
enum vmx_result vmx_read_raw(uint64_t field, uint64_t *value);
enum vmx_result vmx_invept(uint64_t type, uint64_t eptp);
#define INVEPT_SINGLE 1
#define INVEPT_ALL    2

/* Checked accessors: a failure prints the field and the decoded error and
 * sets a sticky flag that vmcs_take_error() returns and clears, so a setup
 * sequence can write many fields and check once. */
void vmcs_write(uint64_t field, uint64_t value);
uint64_t vmcs_read(uint64_t field);
bool vmcs_take_error(char *why, size_t n);

/* ---- l1.c: VMX operation and the L2 VMCS ---- */
/* VMXON (once) and a VMCS for L2 with EPT and VM functions on, EPTP list
 * at eptp_list_pa, EPT pointer eptp. 0, or -1 with *why filled. */
int vmx_l1_init(const struct vmx_caps *c, uint64_t eptp_list_pa, uint64_t eptp,
		char *why, size_t n);
/* Refresh the host and guest state that may have changed since the last
 * run (CR0, CR3, CR4), point L2 at rip with stack rsp and give it its
 * whole budget. */
void vmx_l1_prepare_run(uint64_t rip, uint64_t rsp);
/* The VMX-preemption timer bounds the time L2 runs in one vmx_run(),
 * summed over every stretch between VM exits (exit 52 ends the run), so
 * an L2 that spins, or loops on an instruction that exits, cannot hang
 * the kernel. Ticks are TSC >> IA32_VMX_MISC[4:0]. Returns the previous
 * budget; false from vmx_l1_has_budget() when the CPU has no such timer. */
uint32_t vmx_l1_set_budget(uint32_t ticks);
bool vmx_l1_has_budget(void);
/* True when the CPU carries the countdown across exits itself (VM-exit
 * control "save VMX-preemption timer value"); else L1 does it: around
 * every VM entry of a run, call vmx_l1_timer_enter() just before and
 * vmx_l1_timer_exited() just after. */
bool vmx_l1_timer_saved(void);
void vmx_l1_timer_enter(void);
void vmx_l1_timer_exited(void);
/* After each VM exit: reload GDTR/IDTR, whose limits the exit set to 0xffff. */
void vmx_l1_restore_tables(void);
const struct vmx_caps *vmx_l1_caps(void);
bool vmx_l1_ready(void);

/* ---- run.c and l2_entry.asm ---- */
struct l2_regs {  /* offsets used by l2_entry.asm */
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};
/* Enter L2 (VMLAUNCH, or VMRESUME when launched) with *regs; returns
 * VMX_OK after the next VM exit with L2's registers in *regs. */
enum vmx_result vmx_enter(struct l2_regs *regs, int launched);
extern char vmx_exit_landing[];   /* HOST_RIP */
extern char l2_start[];           /* L2's first instruction: calls fn(arg) */
extern char l2_exit_vmcall[];     /* the VMCALL HC_EXIT after fn returns */

/* True while L2 runs (L1 and L2 share this memory: L2 reads it to route
 * view_* calls over VMCALL). */
extern volatile bool vmx_in_l2;

struct view_exit;
/* Run fn(arg) in L2; returns how it ended (kernel/views.h). A failed VM
 * entry returns reason VMX_RUN_VMFAIL with the VM-instruction error in
 * qual, after printing it decoded. */
#define VMX_RUN_VMFAIL (-1)
/* A backstop where no timer bounds L2: a run whose L2 was resumed after
 * that many exits ends with reason VMX_RUN_EXIT_LIMIT (the last exit's
 * reason in qual). vmx_run_set_exit_limit() returns the previous limit. */
#define VMX_RUN_EXIT_LIMIT (-2)
#define VMX_RUN_EXITS_MAX 1000000u
uint32_t vmx_run_set_exit_limit(uint32_t exits);
/* on_vmcall serves L2's VMCALLs (vmcall.c's vmx_vmcall): passed in, so
 * that the exit loop depends on no service above it. */
struct view_exit vmx_run(void (*fn)(void *), void *arg, bool (*on_vmcall)(struct l2_regs *));

/* L2 -> L1: the VMCALL convention of include/hypercall.h. */
static inline int64_t l2_vmcall(uint32_t nr, uint64_t a0, uint64_t a1,
				uint64_t a2, uint64_t a3)
{
	int64_t ret;
	__asm__ volatile("vmcall"
			 : "=a"(ret)
			 : "a"((uint64_t)HC_VMCALL_NR(nr)), "b"(a0), "c"(a1), "d"(a2), "S"(a3)
			 : "memory", "cc");
	return ret;
}

/* ---- vmcall.c ---- */
/* Serve L2's VMCALL in regs; returns true when L2 asked to end the run
 * (HC_EXIT), else sets regs->rax to the result. */
bool vmx_vmcall(struct l2_regs *regs);

/* ---- stats.c ---- */
void vmx_stats_count(uint32_t basic_reason);
uint64_t vmx_stats_get(uint32_t basic_reason);
uint64_t vmx_stats_total(void);
void vmx_stats_print(void);
const char *vmx_exit_reason_name(uint32_t basic_reason);

/* ---- views_l1.c: the EPT views behind views_ops ---- */
int vmx_views_init_l1(char *why, size_t n);
void vmx_views_dump_l1(int v, uint64_t gpa, const char *note);
/* The live view: the EPTP list entry equal to the VMCS EPT pointer. */
int vmx_views_current_l1(void);
int vmx_views_create_l1(void);
int vmx_views_map_l1(int v, uint64_t gpa, uint64_t pa, uint64_t len, unsigned perms);
void vmx_views_reset_l1(void);
/* The EPT root of view v, 0 if none. */
uint64_t vmx_views_root(int v);
/* The root behind the live EPT pointer (for translating L2 buffers). */
uint64_t vmx_views_live_root(void);

#endif
