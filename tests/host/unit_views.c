/*
 * Emulated EPT views (vmm/views.c) without KVM: HC_VIEW_* argument checks,
 * overlaps, ranges outside RAM, VMFUNC's leaf and index rules, and the
 * remap back end itself on a real memfd, the way the VMM maps guest RAM:
 * after a switch the same host (guest) address reads other memory, writes
 * land in the target, switching back restores. Also the same calls through
 * the hypercall service (vmm/hypercall.c).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hc_dispatch.h"
#include "tap.h"
#include "views.h"

#define RAM_SIZE (8ull << 20)
#define K4 0x1000ull
#define M2 (2ull << 20)
#define RWX (VIEW_R | VIEW_W | VIEW_X)

static struct guest_mem mem;
static struct views vs;

static uint64_t word(uint64_t gpa) { uint64_t v; memcpy(&v, mem.host + gpa, 8); return v; }
static void set_word(uint64_t gpa, uint64_t v) { memcpy(mem.host + gpa, &v, 8); }

/* What is really at physical (memfd) offset pa, whatever view is live. */
static uint64_t phys_word(uint64_t pa)
{
	uint64_t v = 0;
	if (pread(mem.fd, &v, 8, (off_t)pa) != 8)
		return ~0ull;
	return v;
}

static void create_limits(void)
{
	views_init(&vs, &mem, NULL, NULL);
	CHECK(vs.count == 1 && vs.live == 0, "init: view 0 only, live");
	bool seq = true;
	for (int64_t i = 1; i < VIEWS_MAX; i++)
		seq &= views_create(&vs) == i;
	CHECK(seq, "VIEW_CREATE: returns 1 .. VIEWS_MAX - 1 in order");
	CHECK(views_create(&vs) == -HC_ENOSPC, "VIEW_CREATE: the %dth view: -ENOSPC", VIEWS_MAX + 1);
	CHECK(views_reset(&vs) == 0 && vs.count == 1 && views_create(&vs) == 1,
	      "VIEW_RESET drops the views: the next VIEW_CREATE is 1 again");
	views_reset(&vs);
}

static void map_checks(void)
{
	views_init(&vs, &mem, NULL, NULL);
	int64_t v = views_create(&vs);
	CHECK(views_map(&vs, 0, 0x100000, 0x200000, K4, RWX) == -HC_EINVAL, "VIEW_MAP view 0: -EINVAL");
	CHECK(views_map(&vs, 2, 0x100000, 0x200000, K4, RWX) == -HC_EINVAL,
	      "VIEW_MAP a view not created: -EINVAL");
	CHECK(views_map(&vs, 1ull << 63, 0x100000, 0x200000, K4, RWX) == -HC_EINVAL,
	      "VIEW_MAP view 2^63: -EINVAL");
	CHECK(views_map(&vs, VIEWS_MAX, 0x100000, 0x200000, K4, RWX) == -HC_EINVAL,
	      "VIEW_MAP view VIEWS_MAX: -EINVAL");
	const uint64_t misaligned[][3] = {
		{ 0x100800, 0x200000, K4 }, { 0x100000, 0x200008, K4 }, { 0x100000, 0x200000, 100 },
		{ 0x100000, 0x200000, 0 }, { 0x100001, 0x200001, K4 + 1 },
	};
	unsigned wrong = 0;
	for (size_t i = 0; i < sizeof misaligned / sizeof misaligned[0]; i++)
		wrong += views_map(&vs, v, misaligned[i][0], misaligned[i][1], misaligned[i][2], RWX) !=
			 -HC_EINVAL;
	CHECK(wrong == 0, "VIEW_MAP misaligned gpa, pa or len, or len 0: -EINVAL");
	CHECK(views_map(&vs, v, 0x100000, 0x200000, K4, 8) == -HC_EINVAL &&
	      views_map(&vs, v, 0x100000, 0x200000, K4, RWX | 0x80000000u) == -HC_EINVAL &&
	      views_map(&vs, v, 0x100000, 0x200000, K4, 1ull << 40) == -HC_EINVAL,
	      "VIEW_MAP perms outside R|W|X: -EINVAL");
	const uint64_t outside[][3] = {
		{ RAM_SIZE, 0x200000, K4 }, { RAM_SIZE - K4, 0x200000, 2 * K4 },
		{ 0x100000, RAM_SIZE, K4 }, { 0x100000, RAM_SIZE - K4, 2 * K4 },
		{ 0x100000, 0x200000, RAM_SIZE }, { -K4, 0x200000, 2 * K4 },
		{ 0x100000, -K4, 2 * K4 }, { 0x100000, 0x200000, -K4 }, { 1ull << 40, 0, K4 },
	};
	wrong = 0;
	for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++)
		wrong += views_map(&vs, v, outside[i][0], outside[i][1], outside[i][2], RWX) !=
			 -HC_EFAULT;
	CHECK(wrong == 0, "VIEW_MAP gpa or target range not wholly in RAM (past the end, "
	      "wrapping): -EFAULT");
	CHECK(views_map(&vs, v, RAM_SIZE - K4, 0, K4, RWX) == 0,
	      "VIEW_MAP the last page of RAM: allowed");
	wrong = 0;
	for (unsigned p = 0; p < RWX; p++)
		wrong += views_map(&vs, v, 0x300000, 0x200000, K4, p) != -HC_ENOSYS;
	CHECK(wrong == 0, "VIEW_MAP perms other than R|W|X (0, R, RW, X...): -ENOSYS (emulation "
	      "cannot express them)");
	CHECK(vs.view[v].n == 1, "refused maps leave the view unchanged");

	CHECK(views_map(&vs, v, 0x100000, 0x200000, 4 * K4, RWX) == 0, "VIEW_MAP 16 KiB: 0");
	const uint64_t overlaps[][2] = {
		{ 0x100000, 4 * K4 }, { 0x100000, K4 }, { 0x103000, K4 }, { 0xff000, 2 * K4 },
		{ 0x103000, 2 * K4 }, { 0xff000, 8 * K4 }, { 0x101000, K4 },
	};
	wrong = 0;
	for (size_t i = 0; i < sizeof overlaps / sizeof overlaps[0]; i++)
		wrong += views_map(&vs, v, overlaps[i][0], 0x400000, overlaps[i][1], RWX) != -HC_EINVAL;
	CHECK(wrong == 0, "VIEW_MAP overlapping a range of the same view (same, inside, "
	      "either edge, around): -EINVAL");
	CHECK(views_map(&vs, v, 0xff000, 0x400000, K4, RWX) == 0 &&
	      views_map(&vs, v, 0x104000, 0x400000, K4, RWX) == 0,
	      "VIEW_MAP ranges touching either edge: allowed");
	const struct view *w = &vs.view[v];
	bool sorted = true;
	for (unsigned i = 1; i < w->n; i++)
		sorted &= w->r[i - 1].gpa + w->r[i - 1].len <= w->r[i].gpa;
	CHECK(sorted && w->n == 4, "ranges are kept sorted and disjoint");
	int64_t v2 = views_create(&vs);
	CHECK(views_map(&vs, v2, 0x100000, 0x200000, 4 * K4, RWX) == 0,
	      "the same GPA range in another view: allowed");

	views_reset(&vs);
	v = views_create(&vs);
	uint64_t n = 0;
	while (views_map(&vs, v, 0x100000 + 2 * n * K4, 0x300000, K4, RWX) == 0)
		n++;
	CHECK(n == VIEW_RANGES_MAX &&
	      views_map(&vs, v, 0x100000 + 2 * n * K4, 0x300000, K4, RWX) == -HC_ENOSPC,
	      "VIEW_MAP beyond %d ranges in one view: -ENOSPC", VIEW_RANGES_MAX);
	views_reset(&vs);
}

static void vmfunc_rules(void)
{
	views_init(&vs, &mem, NULL, NULL);
	views_create(&vs);
	CHECK(views_vmfunc(&vs, 0, 0) == 0 && vs.stats.same == 1 && vs.stats.host_ops == 0,
	      "VMFUNC(0, live view): 0, counted as same-view, no host work");
	CHECK(views_vmfunc(&vs, 0, 2) == -HC_EINVAL && vs.live == 0, "VMFUNC index = views: -EINVAL");
	CHECK(views_vmfunc(&vs, 0, 0xffffffffu) == -HC_EINVAL, "VMFUNC index 2^32 - 1: -EINVAL");
	CHECK(views_vmfunc(&vs, 1, 0) == -HC_EINVAL && views_vmfunc(&vs, 1ull << 32, 0) == -HC_EINVAL,
	      "VMFUNC leaf 1, leaf 2^32: -EINVAL");
	CHECK(vs.stats.refused == 4, "refusals are counted (%llu)", (unsigned long long)vs.stats.refused);
	vs.echo = true;
	CHECK(views_vmfunc(&vs, 0, 7) == -HC_EINVAL && vs.stats.refused == 4 && vs.stats.echoed == 1,
	      "a refusal asked again after the VMM's own #UD: still -EINVAL, counted as an echo only");
	CHECK(views_vmfunc(&vs, 0, 7) == -HC_EINVAL && vs.stats.refused == 5 && vs.stats.echoed == 1,
	      "... and only that one: the next refusal counts again");
	CHECK(views_vmfunc(&vs, 0, 1) == 0 && vs.live == 1 && vs.stats.switched == 1 &&
	      vs.stats.host_ops == 0, "VMFUNC to an empty view 1: switches, nothing to remap");
	views_reset(&vs);
	CHECK(vs.live == 0 && views_vmfunc(&vs, 0, 1) == -HC_EINVAL,
	      "after VIEW_RESET view 1 is gone: VMFUNC(0, 1) is -EINVAL");
}

static void remap_semantics(void)
{
	const uint64_t a = 0x100000, b = 0x200000, c = 0x300000;

	views_init(&vs, &mem, NULL, NULL);
	set_word(a, 0xaaaa);
	set_word(b, 0xbbbb);
	set_word(c, 0xcccc);
	int64_t v1 = views_create(&vs), v2 = views_create(&vs);
	views_map(&vs, v1, a, b, K4, RWX);
	views_map(&vs, v2, a, c, K4, RWX);
	CHECK(word(a) == 0xaaaa && vs.stats.host_ops == 0, "mapping a view that is not live changes nothing");

	CHECK(views_vmfunc(&vs, 0, v1) == 0 && word(a) == 0xbbbb && vs.stats.host_ops == 1,
	      "switch to view 1: GPA a reads b's memory (one mmap)");
	CHECK(word(a + K4) == phys_word(a + K4) && word(a - 8) == phys_word(a - 8),
	      "the pages around the range still read their own memory");
	set_word(a + 16, 0x1234);
	CHECK(phys_word(b + 16) == 0x1234 && phys_word(a + 16) != 0x1234,
	      "a write through view 1 lands in b (MAP_SHARED), not in a");
	uint64_t ops = vs.stats.host_ops;
	CHECK(views_vmfunc(&vs, 0, v2) == 0 && word(a) == 0xcccc && vs.stats.host_ops == ops + 1,
	      "view 1 -> view 2, same range, other target: one mmap, a reads c");
	CHECK(views_vmfunc(&vs, 0, 0) == 0 && word(a) == 0xaaaa && word(a + 16) != 0x1234,
	      "back to view 0: a reads its own memory again");
	CHECK(phys_word(b + 16) == 0x1234, "b kept the write made through view 1");

	ops = vs.stats.host_ops;
	views_vmfunc(&vs, 0, v1);
	CHECK(views_map(&vs, v1, 0x400000, 0x500000, M2, RWX) == 0 &&
	      vs.stats.host_ops == ops + 2, "VIEW_MAP on the live view applies at once");
	set_word(0x500000 + M2 - 8, 0x2222);
	CHECK(word(0x400000 + M2 - 8) == 0x2222, "a 2 MiB range maps whole (last word)");
	views_vmfunc(&vs, 0, v2);
	CHECK(word(0x400000 + M2 - 8) == phys_word(0x400000 + M2 - 8) && word(a) == 0xcccc,
	      "view 1 -> 2: the 2 MiB range view 2 lacks is the identity again");
	CHECK(views_reset(&vs) == 0 && vs.live == 0 && word(a) == 0xaaaa,
	      "VIEW_RESET from a live view 2 restores the identity");
}

static int failing_backend(struct views *s, const struct view *from, const struct view *to)
{
	(void)from, (void)to;
	strcpy(s->err, "mmap: injected failure");
	return -1;
}

static int64_t hcall(const struct hc_env *env, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
		     uint64_t a3, uint64_t a4, struct hc_outcome *o)
{
	struct hc h = { .nr = nr, .ret = 12345, .arg = { a0, a1, a2, a3, a4, 0 } };
	*o = hc_dispatch(env, &h);
	return h.ret;
}

static void through_hypercalls(void)
{
	struct boot_info bi = { 0 };
	struct hc_env env = { .mem = &mem, .boot_info = &bi, .views = &vs };
	struct hc_env none = { .mem = &mem, .boot_info = &bi };
	struct hc_outcome o;

	views_init(&vs, &mem, NULL, NULL);
	CHECK(hcall(&env, HC_VIEW_CREATE, 0, 0, 0, 0, 0, &o) == 1 && o.action == HC_RESUME,
	      "HC_VIEW_CREATE: 1");
	CHECK(hcall(&env, HC_VIEW_MAP, 1, 0x100000, 0x200000, K4, RWX, &o) == 0, "HC_VIEW_MAP: 0");
	CHECK(hcall(&env, HC_VIEW_MAP, 0, 0x100000, 0x200000, K4, RWX, &o) == -HC_EINVAL,
	      "HC_VIEW_MAP view 0: -EINVAL");
	CHECK(hcall(&env, HC_VMFUNC, 0, 1, 0, 0, 0, &o) == 0 &&
	      hcall(&env, HC_VIEW_CURRENT, 0, 0, 0, 0, 0, &o) == 1, "HC_VMFUNC(0, 1), then VIEW_CURRENT: 1");
	CHECK(hcall(&env, HC_VMFUNC, 0, 2, 0, 0, 0, &o) == -HC_EINVAL &&
	      hcall(&env, HC_VMFUNC, 3, 0, 0, 0, 0, &o) == -HC_EINVAL && vs.live == 1,
	      "HC_VMFUNC bad index or leaf: -EINVAL, view unchanged");
	CHECK(hcall(&env, HC_VIEW_RESET, 0, 0, 0, 0, 0, &o) == 0 &&
	      hcall(&env, HC_VIEW_CURRENT, 0, 0, 0, 0, 0, &o) == 0, "HC_VIEW_RESET: view 0 live");
	unsigned wrong = 0;
	for (uint32_t nr = HC_VIEW_CREATE; nr <= HC_VMFUNC; nr++)
		wrong += hcall(&none, nr, 0, 1, 0, 0, 0, &o) != -HC_ENOSYS;
	CHECK(wrong == 0, "a VMM without views: HC_VIEW_* and HC_VMFUNC are -ENOSYS");

	views_init(&vs, &mem, failing_backend, NULL);
	views_create(&vs);
	hcall(&env, HC_VIEW_MAP, 1, 0x100000, 0x200000, K4, RWX, &o);
	int64_t r = hcall(&env, HC_VMFUNC, 0, 1, 0, 0, 0, &o);
	CHECK(r < 0 && o.action == HC_STOP_HOST && strstr(o.text, "injected failure"),
	      "a host failure during a switch stops the run with the reason");
}

/* Under --huge-pages=hugetlb an mmap moves 2 MiB pages: the remap back
 * end refuses 4K ranges at VIEW_MAP, before a switch could fail. */
static void huge_host_pages(void)
{
	mem.page = M2;
	views_init(&vs, &mem, NULL, NULL);
	views_create(&vs);
	CHECK(views_map(&vs, 1, 0x200000, 0x400000, K4, RWX) == -HC_EINVAL,
	      "2M host pages: VIEW_MAP of 4K: -EINVAL");
	CHECK(views_map(&vs, 1, 0x201000, 0x400000, M2, RWX) == -HC_EINVAL,
	      "2M host pages: a 2M range at a 4K-aligned GPA: -EINVAL");
	CHECK(views_map(&vs, 1, 0x200000, 0x400000, M2, RWX) == 0,
	      "2M host pages: a 2M-aligned 2M range is taken");
	views_reset(&vs);
	mem.page = 0;
}

int main(void)
{
	mem.fd = memfd_create("unit-views", MFD_CLOEXEC);
	if (!CHECK(mem.fd >= 0 && ftruncate(mem.fd, RAM_SIZE) == 0, "memfd of %llu bytes", RAM_SIZE))
		return tap_done();
	mem.host = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mem.fd, 0);
	mem.size = RAM_SIZE;
	if (!CHECK(mem.host != MAP_FAILED, "map it MAP_SHARED, as vmm/mem.c does"))
		return tap_done();

	create_limits();
	map_checks();
	vmfunc_rules();
	remap_semantics();
	through_hypercalls();
	huge_host_pages();
	return tap_done();
}
