/*
 * Emulated EPT views: the bookkeeping behind HC_VIEW_* and VMFUNC, and the
 * remap back end. See views.h for the model and its limits.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "views.h"

void views_init(struct views *vs, const struct guest_mem *mem, views_switch_fn backend, void *ctx)
{
	memset(vs, 0, sizeof *vs);
	vs->mem = mem;
	vs->backend = backend ? backend : views_switch_remap;
	vs->backend_ctx = ctx;
	vs->count = 1;
}

/* ---- remap back end ---------------------------------------------------- */

/* Back [gpa, gpa + len) of the guest with memfd offset pa. MAP_SHARED so
 * writes land in the file (MAP_PRIVATE would copy them away); no
 * MAP_POPULATE: the guest faults in what it touches. */
static int place(struct views *vs, uint64_t gpa, uint64_t pa, uint64_t len)
{
	void *want = vs->mem->host + gpa;
	void *p = mmap(want, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, vs->mem->fd,
		       (off_t)pa);

	if (p == want)
		return 0;
	snprintf(vs->err, sizeof vs->err, "mmap of RAM offset 0x%llx over GPA 0x%llx (%llu bytes): %s",
		 (unsigned long long)pa, (unsigned long long)gpa, (unsigned long long)len,
		 p == MAP_FAILED ? strerror(errno) : "mapped elsewhere");
	return -1;
}

/* A switch's mmap: counted. */
static int remap(struct views *vs, uint64_t gpa, uint64_t pa, uint64_t len)
{
	vs->stats.host_ops++;
	return place(vs, gpa, pa, len);
}

static const struct view_range *find(const struct view *v, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < v->n; i++)
		if (v->r[i].gpa == gpa && v->r[i].len == len)
			return &v->r[i];
	return NULL;
}

/* Put back the identity where `from` had ranges that `to` does not map
 * the same way (a range `to` maps with the same shape is simply mapped
 * over), then map `to`'s ranges that differ from `from`'s. One mmap for
 * a range both views map to different targets; none for identical ones. */
int views_switch_remap(struct views *vs, const struct view *from, const struct view *to)
{
	for (unsigned i = 0; i < from->n; i++) {
		const struct view_range *r = &from->r[i];
		if (!find(to, r->gpa, r->len) && remap(vs, r->gpa, r->gpa, r->len) < 0)
			return -1;
	}
	for (unsigned i = 0; i < to->n; i++) {
		const struct view_range *r = &to->r[i], *o = find(from, r->gpa, r->len);
		if ((!o || o->pa != r->pa) && remap(vs, r->gpa, r->pa, r->len) < 0)
			return -1;
	}
	return 0;
}

/* ---- the hypercalls ---------------------------------------------------- */

static const struct view empty_view;

static int64_t go(struct views *vs, const struct view *from, const struct view *to)
{
	return vs->backend(vs, from, to) < 0 ? VIEWS_EHOST : 0;
}

int64_t views_create(struct views *vs)
{
	if (vs->count >= VIEWS_MAX)
		return -HC_ENOSPC;
	vs->view[vs->count].n = 0;
	return vs->count++;
}

int64_t views_map(struct views *vs, uint64_t v, uint64_t gpa, uint64_t pa, uint64_t len,
		  uint64_t perms)
{
	if (v == 0 || v >= vs->count)
		return -HC_EINVAL;
	if (!len || (gpa | pa | len) & (VIEW_PAGE - 1) || perms & ~(uint64_t)(VIEW_R | VIEW_W | VIEW_X))
		return -HC_EINVAL;
	/* An mmap moves whole host pages: 2 MiB ones under --huge-pages=hugetlb. */
	if (vs->backend == views_switch_remap && vs->mem->page > VIEW_PAGE &&
	    (gpa | pa | len) & (vs->mem->page - 1))
		return -HC_EINVAL;
	if (!guest_ptr(vs->mem, gpa, len) || !guest_ptr(vs->mem, pa, len))
		return -HC_EFAULT;
	if (perms != (VIEW_R | VIEW_W | VIEW_X))
		return -HC_ENOSYS; /* host mappings cannot express partial permissions */

	struct view *w = &vs->view[v];
	unsigned at = 0;
	while (at < w->n && w->r[at].gpa < gpa)
		at++;
	/* Disjoint from both neighbours; guest_ptr() bounded gpa + len. */
	if ((at > 0 && w->r[at - 1].gpa + w->r[at - 1].len > gpa) ||
	    (at < w->n && gpa + len > w->r[at].gpa))
		return -HC_EINVAL;
	if (w->n == VIEW_RANGES_MAX)
		return -HC_ENOSPC;

	/* The remap back end splits the range out of RAM's mapping now, with
	 * its own memory, so that no switch pays for the split (mem.c says
	 * what a split costs in KVM). A range already split out is simply
	 * replaced. */
	if (vs->backend == views_switch_remap && v != vs->live && place(vs, gpa, gpa, len) < 0)
		return VIEWS_EHOST;
	struct view old = *w;
	memmove(&w->r[at + 1], &w->r[at], (w->n - at) * sizeof w->r[0]);
	w->r[at] = (struct view_range){ gpa, pa, len };
	w->n++;
	return v == vs->live ? go(vs, &old, w) : 0;
}

int64_t views_reset(struct views *vs)
{
	int64_t r = vs->live ? go(vs, &vs->view[vs->live], &empty_view) : 0;

	vs->live = 0;
	vs->count = 1;
	return r;
}

int64_t views_vmfunc(struct views *vs, uint64_t leaf, uint64_t index)
{
	bool echo = vs->echo;

	vs->echo = false;
	if (leaf != 0 || index >= vs->count) {
		if (echo)
			vs->stats.echoed++;
		else
			vs->stats.refused++;
		return -HC_EINVAL;
	}
	if (index == vs->live) {
		vs->stats.same++;
		return 0;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int64_t r = go(vs, &vs->view[vs->live], &vs->view[index]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	vs->live = (unsigned)index;
	vs->stats.switched++;
	vs->stats.switch_ns += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000 + t1.tv_nsec - t0.tv_nsec);
	return r;
}
