/*
 * --view-switch=memslot: the view switch done by replacing KVM memslots
 * instead of remapping their backing. Guest RAM is tiled into slots: the
 * live view's ranges, each a slot whose userspace_addr is its target's host
 * memory, and identity slots over the gaps. A switch deletes the slots the
 * new tiling lacks and adds the ones it needs; a range both views map with
 * the same shape but other targets costs one delete and one add.
 *
 * Only a measured comparison for `make bench` (PLATFORM.md: about 170 us
 * for a delete and re-add, and every shadow mapping of the guest is thrown
 * away, so the next run refaults its code; swapping one 4 KiB slot here
 * measured ~16 us of ioctls, ~35-50 us as the guest sees it). The host
 * mapping of RAM is never remapped here, so the VMM itself keeps reading guest RAM as
 * physical memory, not through the live view.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm.h"

#define SLOTS_MAX (2 * VIEW_RANGES_MAX + 1)
#define SLOT_ID_LIMIT 1024 /* ids we hand out: far below KVM_CAP_NR_MEMSLOTS */

struct slot {
	uint32_t id;
	uint64_t gpa, len, pa;
};

static struct {
	int vm_fd;
	struct slot cur[SLOTS_MAX];
	unsigned n;
} ms;

/* The slots that make all of RAM look like view v. */
static unsigned tile(const struct views *vs, const struct view *v, struct slot *out)
{
	uint64_t at = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < v->n; i++) {
		const struct view_range *r = &v->r[i];
		if (r->gpa > at)
			out[n++] = (struct slot){ 0, at, r->gpa - at, at };
		out[n++] = (struct slot){ 0, r->gpa, r->len, r->pa };
		at = r->gpa + r->len;
	}
	if (at < vs->mem->size)
		out[n++] = (struct slot){ 0, at, vs->mem->size - at, at };
	return n;
}

static int set_slot(struct views *vs, const struct slot *s, bool add)
{
	struct kvm_userspace_memory_region m = {
		.slot = s->id,
		.guest_phys_addr = s->gpa,
		.memory_size = add ? s->len : 0,
		.userspace_addr = (uint64_t)(uintptr_t)(vs->mem->host + s->pa),
	};

	vs->stats.host_ops++;
	if (ioctl(ms.vm_fd, KVM_SET_USER_MEMORY_REGION, &m) == 0)
		return 0;
	snprintf(vs->err, sizeof vs->err, "KVM_SET_USER_MEMORY_REGION %s slot %u (GPA 0x%llx, "
		 "%llu bytes, RAM offset 0x%llx): %s", add ? "adding" : "deleting", s->id,
		 (unsigned long long)s->gpa, (unsigned long long)s->len,
		 (unsigned long long)s->pa, strerror(errno));
	return -1;
}

static bool id_used(uint32_t id, const struct slot *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (s[i].id == id)
			return true;
	return false;
}

static int switch_memslot(struct views *vs, const struct view *from, const struct view *to)
{
	struct slot want[SLOTS_MAX], keep[SLOTS_MAX];
	unsigned nw = tile(vs, to, want), nk = 0;
	bool have[SLOTS_MAX] = { false };

	(void)from; /* ms.cur is what KVM has */
	for (unsigned i = 0; i < ms.n; i++) {
		const struct slot *c = &ms.cur[i];
		unsigned j = 0;
		while (j < nw && (have[j] || want[j].gpa != c->gpa || want[j].len != c->len ||
				  want[j].pa != c->pa))
			j++;
		if (j < nw) {
			have[j] = true;
			keep[nk++] = *c;
		} else if (set_slot(vs, c, false) < 0) {
			return -1;
		}
	}
	memcpy(ms.cur, keep, nk * sizeof keep[0]);
	ms.n = nk;
	uint32_t id = 0;
	for (unsigned j = 0; j < nw; j++) {
		if (have[j])
			continue;
		while (id_used(id, ms.cur, ms.n))
			id++;
		if (id >= SLOT_ID_LIMIT) {
			snprintf(vs->err, sizeof vs->err, "out of memslot ids");
			return -1;
		}
		want[j].id = id;
		if (set_slot(vs, &want[j], true) < 0)
			return -1;
		ms.cur[ms.n++] = want[j];
	}
	return 0;
}

/* kvm_setup() made slot 0 over all of RAM: that is view 0's tiling. */
int views_memslot_init(struct vm *vm)
{
	ms.vm_fd = vm->vm_fd;
	ms.cur[0] = (struct slot){ 0, 0, vm->mem.size, 0 };
	ms.n = 1;
	vm->views.backend = switch_memslot;
	return 0;
}
