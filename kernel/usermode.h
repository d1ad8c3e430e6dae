/*
 * A short stretch of guest code at CPL3: user_run() maps a routine and its
 * data pages with U set at USER_VA, enters it with IRETQ, and takes it back
 * through the #GP its HLT raises (HLT is privileged: only CPL3 faults).
 * Why: KVMs run CPL3 code differently. kvm_pvm emulates every CPL0
 * instruction and installs no SPTE for it; CPL3 code is what it runs on the
 * CPU (docs/inside-kvm.md, "SPTEs for CPL3 code on kvm_pvm").
 */
#ifndef USERMODE_H
#define USERMODE_H

#include <stdint.h>
#include "trap.h"

#define USER_VA        0x8000000000ul  /* PML4 slot 1: nothing else maps there */
#define USER_PAGES_MAX 16

struct user_run {
	unsigned pages;                    /* in: data pages to write, 1..USER_PAGES_MAX */
	uint64_t code_gpa;                 /* out: the routine's page */
	uint64_t data_gpa[USER_PAGES_MAX]; /* out: page i, at USER_VA + (i + 1) * 4 KiB */
	uint64_t seen[USER_PAGES_MAX];     /* out: each data page's first qword after */
	uint64_t hlt_va;                   /* out: where the routine's HLT is */
	struct trap_info ti;               /* out: how it came back */
};

/* Run the routine: it writes pages - i into the first qword of data page i,
 * then HLTs. Returns 0 (r->ti says how it ended) or a PT_E* code, with
 * everything it mapped and took unmapped and freed again. */
int user_run(struct user_run *r);

#endif
