/*
 * The native world's views, L1's side: EPT tables in an EPTP list.
 *
 * View 0 maps all RAM to itself with 2 MiB leaves. View v > 0 starts as a
 * deep copy of view 0 and changes with view_map(). The EPTP list (one 4 KiB
 * page of 512 EPT pointers, SDM 24.6.14) holds view v's EPT pointer at
 * entry v and zero (an invalid EPTP) in every unused entry, so VMFUNC(0, i)
 * in L2 switches views without a VM exit and an unused or out-of-range i
 * exits with reason 59.
 *
 * L1 calls these directly (views_native.c's views_ops); from L2, inside
 * views_run(), the same operations arrive as VMCALLs that vmcall.c serves
 * with them.
 */
#include "vmx.h"
#include "ept.h"
#include "../kernel.h"
#include "../pmm.h"
#include "../printf.h"

static struct {
	uint64_t list_pa;            /* the EPTP list page */
	uint64_t root[VIEWS_MAX];    /* EPT PML4 of each view, 0: none */
	bool ad;                     /* EPTP bit 6: the CPU sets A/D bits */
	bool exec_only;              /* execute-only leaves allowed */
	bool invept_all, invept_single;
} nv;

static uint64_t *list(void) { return (uint64_t *)(uintptr_t)nv.list_pa; }

static uint64_t eptp_of(uint64_t root)
{
	return root | EPTP_WB_4LEVEL | (nv.ad ? EPTP_AD : 0);
}

/* Drop cached translations after a table change (SDM 28.4.3). Without
 * VPID, VM entries and exits do not flush EPT-derived translations. */
static void flush(void)
{
	char what[100];
	enum vmx_result r = VMX_OK;

	if (nv.invept_all) {
		r = vmx_invept(INVEPT_ALL, 0);
	} else if (nv.invept_single) {
		for (int v = 0; v < VIEWS_MAX && r == VMX_OK; v++)
			if (nv.root[v])
				r = vmx_invept(INVEPT_SINGLE, list()[v]);
	}
	if (r != VMX_OK)
		printf("# vmx: INVEPT failed: %s\n", vmx_result_describe(r, what, sizeof(what)));
}

static uint64_t ram_top(void)
{
	return (boot_info->ram_size + EPT_SIZE_2M - 1) & ~(EPT_SIZE_2M - 1);
}

static int build_view0(char *why, size_t n)
{
	int err;
	nv.root[0] = ept_new_root();
	nv.list_pa = pmm_alloc_zeroed(&kernel_pmm);
	if (!nv.root[0] || !nv.list_pa) {
		snprintf(why, n, "no pages for EPT view 0 and the EPTP list");
		return -HC_EINVAL;
	}
	err = ept_map_range(nv.root[0], 0, 0, ram_top(), EPT_RWX);
	if (err) {
		snprintf(why, n, "EPT view 0 over 0x%lx bytes: %s", ram_top(), ept_strerror(err));
		return -HC_EINVAL;
	}
	list()[0] = eptp_of(nv.root[0]);
	return 0;
}

int vmx_views_init_l1(char *why, size_t n)
{
	struct vmx_caps c;

	vmx_caps_read(&c);
	if (!vmx_caps_native_ok(&c, why, n))
		return -HC_ENOSYS;
	nv.ad = c.ept_vpid & EPT_CAP_AD;
	nv.exec_only = c.ept_vpid & EPT_CAP_EXEC_ONLY;
	nv.invept_all = (c.ept_vpid & EPT_CAP_INVEPT) && (c.ept_vpid & EPT_CAP_INVEPT_ALL);
	nv.invept_single = (c.ept_vpid & EPT_CAP_INVEPT) && (c.ept_vpid & EPT_CAP_INVEPT_SINGLE);
	if (build_view0(why, n))
		return -HC_EINVAL;
	if (vmx_l1_init(&c, nv.list_pa, list()[0], why, n))
		return -HC_EINVAL;
	flush();
	printf("# vmx: VMX on; view 0 maps 0x%lx bytes of RAM to itself in 2M leaves, "
	       "EPTP 0x%lx, EPTP list at 0x%lx, EPT A/D %s\n", ram_top(), list()[0],
	       nv.list_pa, nv.ad ? "on" : "not offered");
	return 0;
}

uint64_t vmx_views_root(int v)
{
	return v >= 0 && v < VIEWS_MAX ? nv.root[v] : 0;
}

uint64_t vmx_views_live_root(void)
{
	return vmcs_read(EPT_POINTER) & EPT_ADDR_MASK;
}

int vmx_views_current_l1(void)
{
	uint64_t eptp = vmcs_read(EPT_POINTER);
	for (int v = 0; v < VIEWS_MAX; v++)
		if (nv.root[v] && list()[v] == eptp)
			return v;
	return -HC_EINVAL; /* cannot happen: only list entries are ever live */
}

/* One line per EPTP list entry made or dumped: the trace tools
 * (tools/inside-kvm/mmu_roots.py) name KVM's shadow roots by these EPTPs. */
static void say_entry(int v, const char *note)
{
	printf("# vmx: view %d: EPTP list entry %d = 0x%lx%s\n", v, v, list()[v], note);
}

int vmx_views_create_l1(void)
{
	for (int v = 1; v < VIEWS_MAX; v++) {
		if (nv.root[v])
			continue;
		nv.root[v] = ept_clone(nv.root[0]);
		if (!nv.root[v]) {
			printf("# vmx: no pages to copy view 0 into view %d\n", v);
			return -HC_EINVAL;
		}
		list()[v] = eptp_of(nv.root[v]);
		say_entry(v, "");
		return v;
	}
	return -HC_ENOSPC; /* all VIEWS_MAX views exist */
}

/* [a, a + len) lies wholly inside RAM (len > 0), without overflow. */
static bool in_ram(uint64_t a, uint64_t len)
{
	uint64_t ram = boot_info->ram_size;
	return len <= ram && a <= ram - len;
}

/* L2 can VMCALL with any arguments, so every one is checked here, as the
 * VMM checks HC_VIEW_MAP: view 0 is the identity and stays so; a GPA or
 * target outside RAM is -EFAULT (L1 could not even read such a target). */
int vmx_views_map_l1(int v, uint64_t gpa, uint64_t pa, uint64_t len, unsigned perms)
{
	if (v <= 0 || v >= VIEWS_MAX || !nv.root[v] || !len ||
	    (gpa | pa | len) & (EPT_SIZE_4K - 1) || perms & ~(VIEW_R | VIEW_W | VIEW_X))
		return -HC_EINVAL;
	if (!in_ram(gpa, len) || !in_ram(pa, len))
		return -HC_EFAULT;
	/* An execute-only leaf is a misconfiguration unless offered. */
	if (perms == VIEW_X && !nv.exec_only)
		return -HC_EINVAL;
	int err = ept_map_range(nv.root[v], gpa, pa, len, perms);
	flush();
	if (err) {
		printf("# vmx: view %d: map GPA 0x%lx -> 0x%lx len 0x%lx: %s\n", v, gpa, pa,
		       len, ept_strerror(err));
		return -HC_EINVAL;
	}
	return 0;
}

void vmx_views_reset_l1(void)
{
	for (int v = 1; v < VIEWS_MAX; v++) {
		ept_free(nv.root[v]);
		nv.root[v] = 0;
		list()[v] = 0;
	}
	vmcs_write(EPT_POINTER, list()[0]);
	flush();
}

/* View v's EPTP list entry and tables, and the walk of gpa (~0: none). */
void vmx_views_dump_l1(int v, uint64_t gpa, const char *note)
{
	if (v < 0 || v >= VIEWS_MAX || !nv.root[v]) {
		printf("# vmx: view %d does not exist\n", v);
		return;
	}
	say_entry(v, note);
	ept_dump(nv.root[v]);
	if (gpa != ~0ul)
		ept_dump_walk(nv.root[v], gpa);
}
