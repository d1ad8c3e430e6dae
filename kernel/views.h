/*
 * EPT views and VMFUNC: one guest API, two worlds.
 *
 * A view is a guest-physical address space: view 0 maps all RAM to itself;
 * every other view starts as a copy of view 0 and then maps chosen ranges to
 * other physical memory (or unmaps them, or drops permissions). VMFUNC leaf 0
 * (EPTP switching) with ECX = i makes view i live without a VM exit on
 * hardware that has it.
 *
 *  - native (kernel/vmx): we are an L1 hypervisor on a CPU with VMX, EPT and
 *    VM functions (Bochs' corei7_haswell_4770). Views are real EPT tables in
 *    an EPTP list; views_run() runs the code in an L2 compartment, where
 *    VMFUNC works; L2 reaches L1 with VMCALL (hypercall.h convention).
 *  - emulated (our VMM on KVM): the CPU gives us no VMFUNC; the instruction
 *    traps to the VMM, which remaps the guest's backing memory and resumes.
 *    Views are created over hypercalls; views_run() calls fn directly.
 *
 * Tests are written once against this API and run in whichever world the
 * boot found; views_init() says which, or why neither.
 */
#ifndef VIEWS_H
#define VIEWS_H

#include <stdbool.h>
#include <stdint.h>
#include "../include/hypercall.h" /* VIEW_R/W/X, VIEWS_MAX */

enum views_world { VIEWS_NONE, VIEWS_NATIVE, VIEWS_EMULATED };

/* Detect and set up the world (idempotent). Returns the world; when it is
 * VIEWS_NONE, views_why_not() says what the host lacks. */
enum views_world views_init(void);
const char *views_world_name(enum views_world w);
const char *views_why_not(void);

/* Create a view (a copy of view 0); returns its index, or a negative
 * error: -HC_ENOSPC when VIEWS_MAX views exist. */
int view_create(void);
/* Map [gpa, gpa+len) of view v to physical [pa, pa+len) with perms
 * (VIEW_R|VIEW_W|VIEW_X, 0 = not present). 4 KiB granularity; whole 2 MiB
 * aligned chunks become 2 MiB leaves. Returns 0 or a negative error:
 * -HC_EINVAL for view 0 (the identity, in every world), a view that does
 * not exist, or a bad shape; -HC_EFAULT when either range is not wholly
 * inside RAM; -HC_ENOSYS where the world cannot express it (perms other
 * than RWX when emulated). */
int view_map(int v, uint64_t gpa, uint64_t pa, uint64_t len, unsigned perms);
/* Drop every view but 0 and make view 0 live. */
void views_reset(void);

/* How a views_run() ended. */
struct view_exit {
	int reason;       /* 0: fn returned; else the VM exit reason (native:
			     48 EPT violation, 59 VMFUNC failure) or
			     VIEW_EXIT_TRAP when fn raised an exception */
	int vector;       /* with VIEW_EXIT_TRAP: the exception vector */
	uint64_t qual;    /* exit qualification (native) */
	uint64_t gpa;     /* faulting guest-physical address (EPT violation) */
	uint64_t rip;     /* where it happened */
};
#define VIEW_EXIT_TRAP 1000

/* Run fn(arg) where VMFUNC may be used; returns how it ended. */
struct view_exit views_run(void (*fn)(void *), void *arg);

/* Inside views_run(): switch to view i with VMFUNC (EAX = 0, ECX = i). */
static inline void vmfunc_switch(uint32_t leaf, uint32_t index)
{
	__asm__ volatile(".byte 0x0f, 0x01, 0xd4" :: "a"(leaf), "c"(index) : "memory");
}

/* Inside views_run(): ask the hypervisor which view is live. */
int view_current(void);

/* Print view v's tables (native: the EPT walk; emulated: the VMM's ranges)
 * and, if gpa != ~0, the translation of gpa. */
void view_dump(int v, uint64_t gpa);

#endif
