/*
 * Emulated VMFUNC (our VMM on KVM): what a view switch costs beside the
 * same trap that switches nothing.
 *   vmfunc_trap          VMFUNC(0, live view): the exit, the decode, RIP += 3
 *   vmfunc_switch_4k     alternate views 1 and 2, which map one 4 KiB page
 *                        to different targets: every sample is a real switch
 *   vmfunc_switch_2m     the same with views 3 and 4 and a 2 MiB range
 *   vmfunc_touch_4k      a switch as above plus one read of the page, which
 *                        refaults it (the cost the switch moves to later)
 *   vmfunc_touch_4k_v0   the same between view 0 and view 1, the way a guest
 *                        mostly uses views: each switch back to view 0 puts
 *                        the page's own memory back, where the VMM once let
 *                        the host merge it into RAM's mapping (docs/inside-kvm.md,
 *                        "Over time: what a view switch does inside KVM")
 *   view_switch_memslot  vmfunc_switch_4k's switch when the VMM was started
 *                        with --view-switch=memslot (tools/bench/bench.py runs that
 *                        second guest with `-c "bench=vmfunc view-switch=memslot"`)
 * Only the emulated world: natively VMFUNC takes no exit at all.
 */
#include "bench.h"
#include "cmdline.h"
#include "kernel.h"
#include "pmm.h"
#include "views.h"

#define RWX (VIEW_R | VIEW_W | VIEW_X)
#define SIZE_2M (2ul << 20)

/* One op for every sample set, so the guest does the same work in each
 * (at CPL0 on kvm_pvm each instruction costs ~0.5 us): VMFUNC to the next
 * index of a two-entry sequence. */
static const uint32_t seq_live[2] = { 0, 0 }, seq_4k[2] = { 1, 2 }, seq_2m[2] = { 3, 4 };
static const uint32_t seq_v0[2] = { 0, 1 };
static const uint32_t *seq;
static uint32_t step;
static uint64_t page4k;

static void vmfunc_op(void) { vmfunc_switch(0, seq[++step & 1]); }
static void vmfunc_touch_op(void)
{
	vmfunc_switch(0, seq[++step & 1]);
	(void)*(volatile uint64_t *)page4k;
}

static void samples(const char *name, const uint32_t *s, void (*op)(void))
{
	seq = s;
	bench_samples(name, op);
	vmfunc_switch(0, 0);
}

static bool memslot_run;

static void run_all(void *arg)
{
	(void)arg;
	if (memslot_run) {
		samples("view_switch_memslot", seq_4k, vmfunc_op);
		return;
	}
	samples("vmfunc_trap", seq_live, vmfunc_op);
	samples("vmfunc_switch_4k", seq_4k, vmfunc_op);
	samples("vmfunc_touch_4k", seq_4k, vmfunc_touch_op);
	samples("vmfunc_touch_4k_v0", seq_v0, vmfunc_touch_op);
	samples("vmfunc_switch_2m", seq_2m, vmfunc_op);
}

BENCH(vmfunc)
{
	char mode[16];

	if (views_init() != VIEWS_EMULATED)
		return;
	memslot_run = cmdline_get(boot_info->cmdline, "view-switch", mode, sizeof mode) &&
		      !strcmp(mode, "memslot");
	uint64_t a = pmm_alloc(&kernel_pmm), t1 = pmm_alloc(&kernel_pmm), t2 = pmm_alloc(&kernel_pmm);
	uint64_t big = pmm_alloc_contig(&kernel_pmm, 512, SIZE_2M);
	uint64_t b1 = pmm_alloc_contig(&kernel_pmm, 512, SIZE_2M);
	uint64_t b2 = pmm_alloc_contig(&kernel_pmm, 512, SIZE_2M);
	if (!a || !t1 || !t2 || !big || !b1 || !b2)
		return;
	page4k = a;
	views_reset();
	int v1 = view_create(), v2 = view_create(), v3 = view_create(), v4 = view_create();
	if (v1 != 1 || v2 != 2 || v3 != 3 || v4 != 4 ||
	    view_map(1, a, t1, 4096, RWX) || view_map(2, a, t2, 4096, RWX) ||
	    view_map(3, big, b1, SIZE_2M, RWX) || view_map(4, big, b2, SIZE_2M, RWX))
		return;
	views_run(run_all, NULL);
	views_reset();
}
