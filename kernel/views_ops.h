/*
 * The back ends behind kernel/views.h: one ops table per world. views.c
 * detects the world, checks the arguments every world shares, and calls
 * these; a back end only does what differs.
 *
 *   native   kernel/vmx/views_native.c   views_native_ops
 *   emulated kernel/views_emul.c         views_emulated_ops
 */
#ifndef VIEWS_OPS_H
#define VIEWS_OPS_H

#include <stddef.h>
#include <stdint.h>
#include "views.h"

struct views_ops {
	const char *name;
	/* Set the world up. 0, or a negative error with why[] saying what
	 * this machine lacks (measured: the CPUID bit, MSR, feature bit). */
	int (*init)(char *why, size_t n);
	/* As in views.h, called only after init() succeeded. view_map()'s
	 * arguments arrive checked: 0 < v < VIEWS_MAX; gpa, pa, len 4 KiB
	 * aligned; len > 0 without overflow; perms within VIEW_R|W|X. What
	 * needs the world's knowledge (the view exists, the ranges lie in
	 * RAM: -EFAULT) is the back end's, which also guards its own trust
	 * boundary (a raw VMCALL or hypercall skips this front end). */
	int (*create)(void);
	int (*map)(int v, uint64_t gpa, uint64_t pa, uint64_t len, unsigned perms);
	void (*reset)(void);
	struct view_exit (*run)(void (*fn)(void *), void *arg);
	int (*current)(void);
	void (*dump)(int v, uint64_t gpa);
};

/* The run of a world with no compartment: fn in place, exceptions caught. */
struct view_exit views_run_in_place(void (*fn)(void *), void *arg);

extern const struct views_ops views_native_ops;
extern const struct views_ops views_emulated_ops;

#endif
