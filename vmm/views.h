/*
 * EPT views emulated by the VMM (docs/vmfunc.md, "Emulated: our VMM on KVM").
 *
 * A view is guest-physical memory as the guest sees it after VMFUNC(0, i).
 * View 0 is the identity: every GPA is backed by its own offset of the RAM
 * memfd. Views 1..VIEWS_MAX-1 (HC_VIEW_CREATE) start as copies of view 0 and
 * hold a sorted list of disjoint ranges GPA -> target PA (a memfd offset).
 * Switching views changes what backs those ranges, through a back end:
 *
 *   remap    (default) mmap(MAP_SHARED|MAP_FIXED) of the target's memfd
 *            offset over the range's host address: KVM's MMU notifier drops
 *            that range only. Measured on the development host (kvm_pvm):
 *            ~2.1 us of host time a switch, one mmap.
 *   memslot  KVM_SET_USER_MEMORY_REGION: RAM is tiled into slots around the
 *            live view's ranges, and a switch deletes the slots that differ
 *            and adds the new ones. A slot deletion throws away every shadow
 *            mapping of the guest; PLATFORM.md measured ~170 us for a delete
 *            and re-add; swapping one 4 KiB slot measured ~16 us of ioctls
 *            and ~35-50 us guest-observed (median, p99 in the hundreds).
 *            A comparison for `make bench`, nothing more. In this mode the
 *            VMM's own view of guest RAM (hypercall blocks, --dump-pt)
 *            stays physical.
 *
 * Limits of the emulation: permissions are all or nothing. A view range is
 * always R|W|X; anything less (read-only, execute-only, not present) is
 * -ENOSYS, since host mappings cannot fault into the VMM for the guest.
 *
 * This file is free of KVM: views.c holds the bookkeeping and the remap
 * back end (mmap only), so host unit tests drive both without /dev/kvm;
 * views_memslot.c holds the KVM back end.
 */
#ifndef VMM_VIEWS_H
#define VMM_VIEWS_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"
#include "hypercall.h"

#define VIEW_RANGES_MAX 64     /* ranges per view */
#define VIEW_PAGE       4096u

/* Returned (besides -HC_E*) when the host could not carry out a switch:
 * guest memory is then in an unknown state and the run must end (125). */
#define VIEWS_EHOST (-1000)

struct view_range {
	uint64_t gpa, pa, len;
};

struct view {
	unsigned n;
	struct view_range r[VIEW_RANGES_MAX]; /* sorted by gpa, disjoint */
};

struct views;

/* Make guest memory look like `to` where it looked like `from` (either may
 * be view 0's empty list). 0, or -1 with vs->err saying what failed. */
typedef int (*views_switch_fn)(struct views *vs, const struct view *from, const struct view *to);

struct views_stats {
	uint64_t switched;    /* VMFUNC that changed the live view */
	uint64_t same;        /* VMFUNC to the view already live: nothing to do */
	uint64_t refused;     /* bad leaf or index: the guest gets #UD */
	uint64_t echoed;      /* ... asked again by the guest's #UD handler (HC_VMFUNC)
			       * about a #UD the VMM injected: counted once, here */
	uint64_t host_ops;    /* mmap calls or memslot ioctls made by switches */
	uint64_t switch_ns;   /* host time spent in switches (VMFUNC that switched) */
};

struct views {
	const struct guest_mem *mem;
	views_switch_fn backend;
	void *backend_ctx;           /* the memslot back end's state */
	unsigned count;              /* views that exist, view 0 included */
	unsigned live;
	struct view view[VIEWS_MAX]; /* view[0] is always empty */
	struct views_stats stats;
	bool echo;                   /* a refusal now repeats the one just counted */
	char err[160];               /* why the back end failed */
};

/* Start with view 0 live and no other view; backend NULL means remap. */
void views_init(struct views *vs, const struct guest_mem *mem, views_switch_fn backend, void *ctx);

/* The hypercalls: each returns the hypercall's ret (>= 0, -HC_E* or
 * VIEWS_EHOST). */
int64_t views_create(struct views *vs);
int64_t views_map(struct views *vs, uint64_t v, uint64_t gpa, uint64_t pa, uint64_t len,
		  uint64_t perms);
int64_t views_reset(struct views *vs);
/* VMFUNC: leaf must be 0 (EPTP switching) and index < count, else
 * -HC_EINVAL (the caller injects #UD). Counts into stats. */
int64_t views_vmfunc(struct views *vs, uint64_t leaf, uint64_t index);

/* The remap back end, for views_init() and tests. */
int views_switch_remap(struct views *vs, const struct view *from, const struct view *to);

#endif
