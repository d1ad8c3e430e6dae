/*
 * Running L2: VM entry, the exit loop, exit dispatch.
 *
 * vmx_run() starts L2 at l2_start (l2_entry.asm) with RDI = fn, RSI = arg
 * on its own stack, in whichever view is live. Exits that L1 can serve and
 * resume from (VMCALL, CPUID) loop back into L2 past the instruction; every
 * other exit ends the run and is reported in struct view_exit, never
 * ignored: the hypercall EXIT after fn returns (reason 0), an EPT violation
 * (48, with qualification and GPA), a VMFUNC failure (59), an exception in
 * L2 (VIEW_EXIT_TRAP and its vector), or anything else by its number.
 * The VMX-preemption timer bounds the whole run, across resumed exits
 * (l1.c); a count of resumed exits is the backstop where there is none.
 */
#include "vmx.h"
#include "../lib.h"
#include "../pmm.h"
#include "../printf.h"
#include "../views.h"
#include "../x86.h"

_Static_assert(HC_VMCALL_NR(HC_EXIT) == 0x564d0001, "HC_VMCALL_EXIT in l2_entry.asm");
_Static_assert(__builtin_offsetof(struct l2_regs, rdi) == 40, "R_RDI in l2_entry.asm");
_Static_assert(__builtin_offsetof(struct l2_regs, r15) == 112, "R_R15 in l2_entry.asm");

#define L2_STACK_PAGES 4

volatile bool vmx_in_l2;
static bool launched;      /* the VMCS has been launched: use VMRESUME */
static uint64_t l2_stack;  /* lowest page of L2's stack */
static uint32_t exit_limit = VMX_RUN_EXITS_MAX;

uint32_t vmx_run_set_exit_limit(uint32_t exits)
{
	uint32_t old = exit_limit;
	exit_limit = exits;
	return old;
}

/* Resume L2 after the instruction that exited (VMCALL, CPUID). */
static void skip_instruction(void)
{
	vmcs_write(GUEST_RIP, vmcs_read(GUEST_RIP) + vmcs_read(EXIT_INSTRUCTION_LEN));
}

/* CPUID always exits in VMX non-root operation; L2 sees the real CPU. */
static void emulate_cpuid(struct l2_regs *r)
{
	uint32_t out[4];
	cpuid((uint32_t)r->rax, (uint32_t)r->rcx, out);
	r->rax = out[0], r->rbx = out[1], r->rcx = out[2], r->rdx = out[3];
}

static struct view_exit entry_failed(enum vmx_result res)
{
	char what[120];
	uint64_t err = 0;
	struct view_exit ex = { .reason = VMX_RUN_VMFAIL };

	vmx_result_describe(res, what, sizeof(what));
	if (res == VMX_FAIL_VALID)
		vmx_read_raw(VM_INSTRUCTION_ERROR, &err);
	printf("# vmx: %s of L2 failed: %s\n", launched ? "VMRESUME" : "VMLAUNCH", what);
	ex.qual = err;
	return ex;
}

/* The exit ends the run: fill struct view_exit from the VMCS. */
static struct view_exit run_ended(uint32_t reason)
{
	uint32_t basic = reason & 0xffff;
	struct view_exit ex = {
		.reason = (int)basic,
		.qual = vmcs_read(EXIT_QUALIFICATION),
		.rip = vmcs_read(GUEST_RIP),
	};

	if (basic == EXIT_EPT_VIOLATION || basic == EXIT_EPT_MISCONFIG)
		ex.gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	if (basic == EXIT_EXCEPTION_NMI) {
		uint32_t info = (uint32_t)vmcs_read(EXIT_INTR_INFO);
		ex.reason = VIEW_EXIT_TRAP;
		ex.vector = info & 0xff;
		printf("# vmx: L2 raised exception %d (error code 0x%lx) at RIP 0x%lx, "
		       "qualification 0x%lx\n", ex.vector,
		       info & INTR_INFO_ERR_VALID ? vmcs_read(EXIT_INTR_ERROR) : 0,
		       ex.rip, ex.qual);
		return ex;
	}
	printf("# vmx: L2 run ended by exit %u (%s)%s at RIP 0x%lx, qualification 0x%lx",
	       basic, vmx_exit_reason_name(basic),
	       reason & EXIT_REASON_ENTRY_FAILED ? ", a failed VM entry" : "", ex.rip, ex.qual);
	if (basic == EXIT_EPT_VIOLATION || basic == EXIT_EPT_MISCONFIG)
		printf(", GPA 0x%lx", ex.gpa);
	printf("\n");
	return ex;
}

static bool stack_ready(void)
{
	if (!l2_stack)
		l2_stack = pmm_alloc_contig(&kernel_pmm, L2_STACK_PAGES, PAGE_SIZE);
	return l2_stack;
}

/* The backstop of vmx_run() where no timer bounds L2: it kept exiting to
 * L1 and being resumed, exit_limit times. */
static struct view_exit too_many_exits(uint32_t reason)
{
	struct view_exit ex = { .reason = VMX_RUN_EXIT_LIMIT, .qual = reason & 0xffff,
				.rip = vmcs_read(GUEST_RIP) };
	printf("# vmx: L2 run stopped after %u resumed VM exits (the last: exit %u, %s, at RIP 0x%lx)\n",
	       exit_limit, reason & 0xffff, vmx_exit_reason_name(reason & 0xffff), ex.rip);
	return ex;
}

struct view_exit vmx_run(void (*fn)(void *), void *arg, bool (*on_vmcall)(struct l2_regs *))
{
	struct l2_regs regs = { .rdi = (uint64_t)fn, .rsi = (uint64_t)arg };
	uint32_t resumes = 0;

	if (!vmx_l1_ready() || !stack_ready()) {
		printf("# vmx: cannot run L2: %s\n", vmx_l1_ready() ? "no pages for its stack" :
		       "VMX is not set up");
		return (struct view_exit){ .reason = VMX_RUN_VMFAIL };
	}
	vmx_l1_prepare_run((uint64_t)l2_start, l2_stack + L2_STACK_PAGES * PAGE_SIZE);
	for (;;) {
		vmx_l1_timer_enter();
		vmx_in_l2 = true;
		enum vmx_result res = vmx_enter(&regs, launched);
		vmx_in_l2 = false;
		vmx_l1_timer_exited();
		vmx_l1_restore_tables();
		if (res != VMX_OK)
			return entry_failed(res);
		uint32_t reason = (uint32_t)vmcs_read(EXIT_REASON);
		vmx_stats_count(reason & 0xffff);
		/* A VM entry that fails its guest-state checks exits with bit 31
		 * set and leaves the VMCS unlaunched (SDM 26.8). */
		if (reason & EXIT_REASON_ENTRY_FAILED)
			return run_ended(reason);
		launched = true;
		switch (reason & 0xffff) {
		case EXIT_VMCALL:
			if (on_vmcall(&regs))
				return (struct view_exit){ .reason = 0, .rip = vmcs_read(GUEST_RIP) };
			skip_instruction();
			break;
		case EXIT_CPUID:
			emulate_cpuid(&regs);
			skip_instruction();
			break;
		default:
			return run_ended(reason);
		}
		if (++resumes >= exit_limit)
			return too_many_exits(reason);
	}
}
