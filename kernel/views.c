/*
 * EPT views and VMFUNC, the front end of kernel/views.h: find the world
 * once, check what every world checks alike, dispatch to its ops table.
 *
 * Which world (first that works):
 *  - native: CPUID.1:ECX.VMX = 1 and the capability MSRs offer EPT, VM
 *    functions and EPTP switching (kernel/vmx, under Bochs);
 *  - emulated: our VMM says HC_FEAT_VMFUNC_EMUL in boot_info->features;
 *  - none: views_why_not() says what was measured missing.
 * Detection costs one CPUID where there is no VMX (under our VMM CPL0 code
 * runs in KVM's emulator: nothing is built unless the world is native).
 */
#include "views.h"
#include "views_ops.h"
#include "kernel.h"
#include "printf.h"
#include "trap.h"

static struct {
	bool probed;
	enum views_world world;
	const struct views_ops *ops;
	char why[384];   /* both worlds' reasons (160 each) and the glue */
} vs;

static bool vmm_offers_emulation(void)
{
	/* features is the VMM's word; under a BIOS the block is ours. */
	return booted_by_vmm() && (boot_info->features & HC_FEAT_VMFUNC_EMUL);
}

static void probe(void)
{
	char native_why[160], emul_why[160];

	if (views_native_ops.init(native_why, sizeof(native_why)) == 0) {
		vs.world = VIEWS_NATIVE;
		vs.ops = &views_native_ops;
		return;
	}
	if (!vmm_offers_emulation()) {
		snprintf(vs.why, sizeof(vs.why), "%s and the VMM offers no VMFUNC emulation",
			 native_why);
		return;
	}
	if (views_emulated_ops.init(emul_why, sizeof(emul_why)) == 0) {
		vs.world = VIEWS_EMULATED;
		vs.ops = &views_emulated_ops;
		return;
	}
	snprintf(vs.why, sizeof(vs.why), "%s; the VMM offers VMFUNC emulation but %s",
		 native_why, emul_why);
}

enum views_world views_init(void)
{
	if (!vs.probed) {
		vs.probed = true;
		probe();
		if (vs.world == VIEWS_NONE)
			printf("# views: no world: %s\n", vs.why);
		else
			printf("# views: world %s\n", vs.ops->name);
	}
	return vs.world;
}

const char *views_world_name(enum views_world w)
{
	switch (w) {
	case VIEWS_NATIVE: return "native";
	case VIEWS_EMULATED: return "emulated";
	default: return "none";
	}
}

const char *views_why_not(void)
{
	views_init();
	return vs.world == VIEWS_NONE ? vs.why : "";
}

int view_create(void)
{
	if (views_init() == VIEWS_NONE)
		return -HC_ENOSYS;
	return vs.ops->create();
}

/* View 0 is the identity in every world: never a view_map() target. */
static bool map_args_ok(int v, uint64_t gpa, uint64_t pa, uint64_t len, unsigned perms)
{
	const uint64_t page = 4096;
	return v > 0 && v < VIEWS_MAX && len && !((gpa | pa | len) & (page - 1)) &&
	       gpa + len > gpa && pa + len > pa && !(perms & ~(VIEW_R | VIEW_W | VIEW_X));
}

int view_map(int v, uint64_t gpa, uint64_t pa, uint64_t len, unsigned perms)
{
	if (views_init() == VIEWS_NONE)
		return -HC_ENOSYS;
	if (!map_args_ok(v, gpa, pa, len, perms))
		return -HC_EINVAL;
	return vs.ops->map(v, gpa, pa, len, perms);
}

void views_reset(void)
{
	if (views_init() != VIEWS_NONE)
		vs.ops->reset();
}

/* No compartment (the emulated world, or none): fn runs in place, its
 * exceptions caught by trap_run() and reported as VIEW_EXIT_TRAP. */
struct view_exit views_run_in_place(void (*fn)(void *), void *arg)
{
	struct trap_info ti;
	int vec = trap_run(fn, arg, &ti);
	if (vec < 0)
		return (struct view_exit){ .reason = 0 };
	return (struct view_exit){ .reason = VIEW_EXIT_TRAP, .vector = vec,
				   .qual = ti.error_code, .gpa = ti.cr2, .rip = ti.rip };
}

struct view_exit views_run(void (*fn)(void *), void *arg)
{
	if (views_init() == VIEWS_NONE)
		return views_run_in_place(fn, arg);
	return vs.ops->run(fn, arg);
}

int view_current(void)
{
	if (views_init() == VIEWS_NONE)
		return -HC_ENOSYS;
	return vs.ops->current();
}

void view_dump(int v, uint64_t gpa)
{
	if (views_init() == VIEWS_NONE) {
		printf("# views: nothing to dump: %s\n", vs.why);
		return;
	}
	if (v < 0 || v >= VIEWS_MAX) {
		printf("# views: no view %d (0..%d)\n", v, VIEWS_MAX - 1);
		return;
	}
	vs.ops->dump(v, gpa);
}
