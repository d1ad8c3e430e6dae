/*
 * The emulated world of kernel/views.h: our VMM on KVM. The CPU gives the
 * guest no VMFUNC; the VMM catches the instruction (an emulation failure
 * exit on kvm_pvm), switches the view by remapping guest RAM and resumes
 * past it, or injects #UD for a bad leaf or index. Where the CPU raises
 * the #UD itself, views_emul_ud() asks the VMM over HC_VMFUNC instead.
 *
 * Views are made over hypercalls (HC_VIEW_*). There is no compartment:
 * views_run() calls fn in place, its exceptions caught by trap_run(). The
 * emulation cannot express partial permissions: view_map() with perms
 * other than R|W|X is -ENOSYS (the VMM's answer).
 *
 * Guest-side work is kept small: at CPL0 on kvm_pvm each instruction here
 * runs in KVM's emulator.
 */
#include "views_emul.h"
#include "views_ops.h"
#include "hcall.h"
#include "kernel.h"
#include "paging.h"
#include "printf.h"
#include "trap.h"

#define RECORD_MAX 64 /* ranges per view this guest remembers for view_dump() */

/* What HC_VIEW_MAP accepted, per view: the guest's own record, since the
 * VMM's table is not readable from here. */
static struct {
	unsigned n;
	bool lost;
	struct { uint64_t gpa, pa, len; } r[RECORD_MAX];
} record[VIEWS_MAX];

static int emul_init(char *why, size_t n)
{
	if (!hc_available()) {
		snprintf(why, n, "the doorbell is not offered (boot info features 0x%x)",
			 boot_info->features);
		return -HC_ENOSYS;
	}
	int64_t cur = hc6(HC_VIEW_CURRENT, 0, 0, 0, 0, 0);
	if (cur < 0) {
		snprintf(why, n, "HC_VIEW_CURRENT answered %ld", cur);
		return (int)cur;
	}
	return 0;
}

static int emul_create(void)
{
	int64_t v = hc6(HC_VIEW_CREATE, 0, 0, 0, 0, 0);
	if (v > 0 && v < VIEWS_MAX)
		record[v].n = 0, record[v].lost = false;
	return (int)v;
}

static int emul_map(int v, uint64_t gpa, uint64_t pa, uint64_t len, unsigned perms)
{
	int64_t r = hc6(HC_VIEW_MAP, (uint64_t)v, gpa, pa, len, perms);
	if (r == 0) {
		if (record[v].n < RECORD_MAX)
			record[v].r[record[v].n++] = (typeof(record[v].r[0])){ gpa, pa, len };
		else
			record[v].lost = true;
	}
	return (int)r;
}

static void emul_reset(void)
{
	hc6(HC_VIEW_RESET, 0, 0, 0, 0, 0);
	for (int v = 1; v < VIEWS_MAX; v++)
		record[v].n = 0, record[v].lost = false;
}

static int emul_current(void)
{
	return (int)hc6(HC_VIEW_CURRENT, 0, 0, 0, 0, 0);
}

/* As the native dump, TAP comments: "# views: ..." then one line a range. */
static void emul_dump(int v, uint64_t gpa)
{
	const char *how = "identity";
	uint64_t to = gpa;

	printf("# views: view %d%s, emulated by the VMM: identity but for the ranges below "
	       "(this guest's record of the VIEW_MAP calls the VMM accepted; all RWX)\n",
	       v, v == emul_current() ? " (live)" : "");
	for (unsigned i = 0; v > 0 && i < record[v].n; i++) {
		uint64_t g = record[v].r[i].gpa, p = record[v].r[i].pa, l = record[v].r[i].len;
		printf("#   GPA 0x%09lx-0x%09lx -> PA 0x%09lx  RWX\n", g, g + l - 1, p);
		if (gpa - g < l)
			to = p + (gpa - g), how = "remapped";
	}
	if (v > 0 && record[v].lost)
		printf("#   (more ranges than this record holds)\n");
	if (gpa != ~0ull)
		printf("#   GPA 0x%lx => PA 0x%lx (%s)\n", gpa, to, how);
}

const struct views_ops views_emulated_ops = {
	.name = "emulated (our VMM on KVM)",
	.init = emul_init,
	.create = emul_create,
	.map = emul_map,
	.reset = emul_reset,
	.run = views_run_in_place,
	.current = emul_current,
	.dump = emul_dump,
};

/* Both ends of the 3 bytes must be mapped before we read them. */
static bool is_vmfunc_at(uint64_t rip)
{
	uint64_t root = pt_root();
	if (pt_translate(root, rip, NULL, NULL) || pt_translate(root, rip + 2, NULL, NULL))
		return false;
	const volatile uint8_t *p = (const volatile uint8_t *)rip;
	return p[0] == 0x0f && p[1] == 0x01 && p[2] == 0xd4;
}

bool views_emul_ud(struct trap_frame *f)
{
	if (!booted_by_vmm() || !(boot_info->features & HC_FEAT_VMFUNC_EMUL) ||
	    !is_vmfunc_at(f->rip))
		return false;
	if (hc6(HC_VMFUNC, (uint32_t)f->rax, (uint32_t)f->rcx, 0, 0, 0) != 0)
		return false;
	f->rip += 3;
	return true;
}
