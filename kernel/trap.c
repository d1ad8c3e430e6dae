/*
 * The IDT and the C side of exception handling (entry stubs in
 * trap_entry.asm). An exception is either expected (a trap_run() is active:
 * record it and resume after trap_run) or fatal (dump and end the run).
 */
#include <stddef.h>
#include "trap.h"
#include "gdt.h"
#include "kernel.h"
#include "printf.h"
#include "exit.h"
#include "x86.h"
#include "views_emul.h"
#include "../include/ports.h"

/* The state trap_run() leaves for trap_dispatch(); offsets used in asm. */
struct trap_catch {
	uint64_t active;
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp;
	uint64_t rflags;   /* at trap_run entry: the caller's DF, AC, IF */
	struct trap_info *ti;
};
_Static_assert(offsetof(struct trap_catch, rsp) == 56, "asm offset");
_Static_assert(offsetof(struct trap_catch, rflags) == 64, "asm offset");
_Static_assert(offsetof(struct trap_catch, ti) == 72, "asm offset");

struct trap_catch trap_catch_state;
extern char trap_run_resume[];

static const char *const vector_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization exception",
	"#CP control protection",
};

void trap_init(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d =
		{ sizeof(trap_idt) - 1, (uint64_t)trap_idt };
	__asm__ volatile("lidt %0" :: "m"(d));
}

void trap_dump(const struct trap_frame *f)
{
	const char *name = f->vector < 32 && vector_names[f->vector] ?
		vector_names[f->vector] : "reserved";
	printf("exception %lu (%s) error code 0x%lx at RIP 0x%lx\n",
	       f->vector, name, f->error_code, f->rip);
	printf("  CR2 0x%016lx CR3 0x%016lx RFLAGS 0x%lx CS 0x%lx SS 0x%lx\n",
	       read_cr2(), read_cr3(), f->rflags, f->cs, f->ss);
	printf("  RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	printf("  RSI %016lx RDI %016lx RBP %016lx RSP %016lx\n", f->rsi, f->rdi, f->rbp, f->rsp);
	printf("  R8  %016lx R9  %016lx R10 %016lx R11 %016lx\n", f->r8, f->r9, f->r10, f->r11);
	printf("  R12 %016lx R13 %016lx R14 %016lx R15 %016lx\n", f->r12, f->r13, f->r14, f->r15);
}

/* Land on trap_run_resume as if fn had returned, with RAX = vector and
 * the RFLAGS trap_run() was called with. */
static void resume_catch(struct trap_frame *f)
{
	struct trap_catch *c = &trap_catch_state;
	*c->ti = (struct trap_info){ (int)f->vector, f->error_code, f->rip, read_cr2() };
	f->rbx = c->rbx; f->rbp = c->rbp;
	f->r12 = c->r12; f->r13 = c->r13; f->r14 = c->r14; f->r15 = c->r15;
	f->rsp = c->rsp;
	f->cs = SEL_KERNEL_CODE;   /* fn may have faulted at CPL3 (usermode.c) */
	f->ss = SEL_KERNEL_DATA;
	f->rflags = c->rflags;
	f->rip = (uint64_t)trap_run_resume;
	f->rax = f->vector;
	c->active = 0;
}

/* A #DF after a #PF in the boot stack's guard page (boot/stub.asm) is a
 * stack overflow: the #PF could not push its frame. Say so. */
static void explain_double_fault(const struct trap_frame *f)
{
	uint64_t guard = (uint64_t)boot_stack_guard, cr2 = read_cr2();
	if (f->vector == VEC_DF && cr2 - guard < BOOT_STACK_GUARD_BYTES)
		printf("  stack overflow: CR2 is in the boot stack's guard page 0x%lx-0x%lx\n",
		       guard, guard + BOOT_STACK_GUARD_BYTES - 1);
}

void trap_dispatch(struct trap_frame *f)
{
	/* VMFUNC under our VMM on a CPU that raised #UD for it. */
	if (f->vector == VEC_UD && views_emul_ud(f))
		return;
	if (trap_catch_state.active && f->vector != VEC_DF) {
		resume_catch(f);
		return;
	}
	printf("\nFATAL: unexpected ");
	trap_dump(f);
	explain_double_fault(f);
	guest_exit(EXIT_GUEST_CRASH);
}
