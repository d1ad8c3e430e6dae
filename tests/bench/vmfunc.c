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
 * In the native world (the kernel an L1 hypervisor: under Bochs, or on
 * KVM's nested VMX in the intel world) an L2 times
 *   l2_vmfunc_switch_4k  views 1 and 2 as above: no exit to L1 (on KVM,
 *                        KVM's nested EPTP switching serves it in L0)
 *   l2_vmcall_nop        a VMCALL NOP round trip to L1, its baseline
 */
#include "bench.h"
#include "cmdline.h"
#include "kernel.h"
#include "pmm.h"
#include "printf.h"
#include "views.h"
#include "x86.h"
#include "vmx/vmx.h"

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

/* L2 cannot print (its port I/O ends the run): it keeps the samples and
 * L1 prints them once the run is back. */
static uint32_t l2_switch[BENCH_SAMPLES], l2_vmcall_rt[BENCH_SAMPLES];

static void l2_vmcall_op(void) { l2_vmcall(HC_NOP, 0, 0, 0, 0); }

static void native_run(void *arg)
{
	(void)arg;
	seq = seq_4k;
	bench_time(l2_switch, vmfunc_op);
	vmfunc_switch(0, 0);
	bench_time(l2_vmcall_rt, l2_vmcall_op);
}

/* Views 1 and 2 map one 4 KiB page (page4k) to targets of their own. */
static bool views_4k(void)
{
	uint64_t a = pmm_alloc(&kernel_pmm), t1 = pmm_alloc(&kernel_pmm), t2 = pmm_alloc(&kernel_pmm);
	if (!a || !t1 || !t2)
		return false;
	page4k = a;
	views_reset();
	return view_create() == 1 && view_create() == 2 &&
	       !view_map(1, a, t1, 4096, RWX) && !view_map(2, a, t2, 4096, RWX);
}

static void bench_native(void)
{
	if (!views_4k()) {
		printf("# bench vmfunc: cannot make views 1 and 2\n");
		return;
	}
	uint32_t old = vmx_l1_set_budget(0xffffffffu); /* no timer stop midway */
	struct view_exit e = views_run(native_run, NULL);
	vmx_l1_set_budget(old);
	views_reset();
	if (e.reason != 0) {
		printf("# bench vmfunc: the L2 run ended by exit %d at RIP 0x%lx\n", e.reason, e.rip);
		return;
	}
	bench_print("l2_vmfunc_switch_4k", l2_switch);
	bench_print("l2_vmcall_nop", l2_vmcall_rt);
}

BENCH(vmfunc)
{
	char mode[16];
	enum views_world w = views_init();

	if (w == VIEWS_NATIVE) {
		bench_native();
		return;
	}
	if (w != VIEWS_EMULATED)
		return;
	memslot_run = cmdline_get(boot_info->cmdline, "view-switch", mode, sizeof mode) &&
		      !strcmp(mode, "memslot");
	if (!views_4k())
		return;
	uint64_t big = pmm_alloc_contig(&kernel_pmm, 512, SIZE_2M);
	uint64_t b1 = pmm_alloc_contig(&kernel_pmm, 512, SIZE_2M);
	uint64_t b2 = pmm_alloc_contig(&kernel_pmm, 512, SIZE_2M);
	if (!big || !b1 || !b2 || view_create() != 3 || view_create() != 4 ||
	    view_map(3, big, b1, SIZE_2M, RWX) || view_map(4, big, b2, SIZE_2M, RWX))
		return;
	views_run(run_all, NULL);
	views_reset();
}
