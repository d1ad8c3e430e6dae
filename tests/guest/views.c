/*
 * EPT views and VMFUNC, written once against kernel/views.h: they run in
 * whichever world views_init() finds (native under Bochs: an L2 compartment
 * under this kernel's own L1 hypervisor; emulated under our VMM) and SKIP
 * with the measured reason where there is none (QEMU TCG, for one).
 *
 * The probe pages come from the kernel's allocator, so no code, stack or
 * table of the running kernel lies in them: views may map them anywhere.
 * Every test starts from views_reset() (only view 0, and it is live).
 */
#include "test.h"
#include "views.h"
#include "kernel.h"
#include "pmm.h"
#include "printf.h"
#include "lib.h"
#include "x86.h"

#define NEED_VIEWS()                                                        \
	do {                                                                \
		if (views_init() == VIEWS_NONE)                             \
			SKIP("no EPT views: %s", views_why_not());          \
	} while (0)

#define RWX (VIEW_R | VIEW_W | VIEW_X)
#define PATTERN_A 0xaaaa0000aaaa0000ul
#define PATTERN_B 0xbbbb1111bbbb1111ul

/* Two pages: a (what GPA a holds in view 0) and b (what view 1 shows at
 * GPA a). */
struct probe_pages {
	uint64_t a, b;
};

static bool probe_pages_get(struct probe_pages *p)
{
	p->a = pmm_alloc_zeroed(&kernel_pmm);
	p->b = pmm_alloc_zeroed(&kernel_pmm);
	if (!p->a || !p->b)
		return false;
	*(volatile uint64_t *)p->a = PATTERN_A;
	*(volatile uint64_t *)p->b = PATTERN_B;
	return true;
}

static void probe_pages_put(struct probe_pages *p)
{
	pmm_free(&kernel_pmm, p->a);
	pmm_free(&kernel_pmm, p->b);
}

static uint64_t peek(uint64_t gpa) { return *(volatile uint64_t *)gpa; }
static void poke(uint64_t gpa, uint64_t v) { *(volatile uint64_t *)gpa = v; }

/* A fresh view 1 in which GPA a shows page b. */
static bool view1_remaps(const struct probe_pages *p)
{
	views_reset();
	int v = view_create();
	if (!EXPECT_EQ(v, 1))
		return false;
	return EXPECT_EQ(view_map(1, p->a, p->b, 4096, RWX), 0);
}

TEST(views, "views_init() finds a world or says what is missing")
{
	enum views_world w = views_init();
	uint32_t r[4];

	printf("# views: world %s%s%s\n", views_world_name(w), w == VIEWS_NONE ? ": " : "",
	       views_why_not());
	EXPECT_EQ(views_init(), w); /* idempotent */
	if (w == VIEWS_NONE)
		EXPECT(strlen(views_why_not()) > 0);
	else
		EXPECT_EQ(strlen(views_why_not()), 0);
	cpuid(1, 0, r);
	if (w == VIEWS_NATIVE)
		EXPECT(r[2] & (1u << 5)); /* CPUID.1:ECX.VMX */
}

static void set_42(void *arg)
{
	*(volatile int *)arg = 42;
}

TEST(views, "views_run() runs fn to its end: reason 0")
{
	int x = 0;
	struct view_exit e = views_run(set_42, &x);
	EXPECT_EQ(e.reason, 0);
	EXPECT_EQ(x, 42);
}

extern char views_ud_insn[];
static void raise_ud(void *arg)
{
	(void)arg;
	__asm__ volatile(".globl views_ud_insn\nviews_ud_insn: ud2");
}

TEST(views, "an exception in fn ends the run: VIEW_EXIT_TRAP, vector, RIP")
{
	struct view_exit e = views_run(raise_ud, NULL);
	EXPECT_EQ(e.reason, VIEW_EXIT_TRAP);
	EXPECT_EQ(e.vector, 6);
	EXPECT_EQ(e.rip, (uint64_t)views_ud_insn);
}

struct switch_probe {
	uint64_t gpa;
	uint64_t seen0, seen1, back0;
	int cur0, cur1, cur_back;
};

static void read_in_both_views(void *arg)
{
	struct switch_probe *s = arg;
	s->cur0 = view_current();
	s->seen0 = peek(s->gpa);
	vmfunc_switch(0, 1);
	s->cur1 = view_current();
	s->seen1 = peek(s->gpa);
	vmfunc_switch(0, 0);
	s->cur_back = view_current();
	s->back0 = peek(s->gpa);
}

TEST(views, "VMFUNC(0, 1) switches to view 1: one GPA, other data; 0 restores")
{
	struct probe_pages p;
	NEED_VIEWS();
	ASSERT(probe_pages_get(&p));
	if (view1_remaps(&p)) {
		struct switch_probe s = { .gpa = p.a };
		struct view_exit e = views_run(read_in_both_views, &s);
		EXPECT_EQ(e.reason, 0);
		EXPECT_EQ(s.seen0, PATTERN_A);
		EXPECT_EQ(s.seen1, PATTERN_B);
		EXPECT_EQ(s.back0, PATTERN_A);
		EXPECT_EQ(s.cur0, 0);
		EXPECT_EQ(s.cur1, 1);
		EXPECT_EQ(s.cur_back, 0);
	}
	views_reset();
	probe_pages_put(&p);
}

struct write_probe {
	uint64_t gpa;
	uint64_t view0_after_view1_write, view1_after_view0_write;
};

static void write_in_each_view(void *arg)
{
	struct write_probe *w = arg;
	vmfunc_switch(0, 1);
	poke(w->gpa, 0x1111);                 /* lands in page b */
	vmfunc_switch(0, 0);
	w->view0_after_view1_write = peek(w->gpa);
	poke(w->gpa, 0x2222);                 /* lands in page a */
	vmfunc_switch(0, 1);
	w->view1_after_view0_write = peek(w->gpa);
	vmfunc_switch(0, 0);
}

TEST(views, "a write through view 1 is not seen in view 0, and the other way")
{
	struct probe_pages p;
	NEED_VIEWS();
	ASSERT(probe_pages_get(&p));
	if (view1_remaps(&p)) {
		struct write_probe w = { .gpa = p.a };
		EXPECT_EQ(views_run(write_in_each_view, &w).reason, 0);
		EXPECT_EQ(w.view0_after_view1_write, PATTERN_A);
		EXPECT_EQ(w.view1_after_view0_write, 0x1111);
		EXPECT_EQ(peek(p.a), 0x2222);  /* the kernel sees physical memory */
		EXPECT_EQ(peek(p.b), 0x1111);
	}
	views_reset();
	probe_pages_put(&p);
}

struct current_probe {
	int seen[4];
};

static void walk_views(void *arg)
{
	struct current_probe *c = arg;
	c->seen[0] = view_current();
	vmfunc_switch(0, 2);
	c->seen[1] = view_current();
	vmfunc_switch(0, 1);
	c->seen[2] = view_current();
	vmfunc_switch(0, 0);
	c->seen[3] = view_current();
}

TEST(views, "VIEW_CURRENT names the live view: 0, 2, 1, 0")
{
	NEED_VIEWS();
	views_reset();
	EXPECT_EQ(view_create(), 1);
	EXPECT_EQ(view_create(), 2);
	struct current_probe c = { { -1, -1, -1, -1 } };
	EXPECT_EQ(views_run(walk_views, &c).reason, 0);
	EXPECT_EQ(c.seen[0], 0);
	EXPECT_EQ(c.seen[1], 2);
	EXPECT_EQ(c.seen[2], 1);
	EXPECT_EQ(c.seen[3], 0);
	views_reset();
}

struct bad_switch {
	uint32_t leaf, index;
	volatile int reached;    /* set after the VMFUNC: must stay 0 */
	int current_after;       /* view_current() in a second run */
};

extern char views_bad_vmfunc[];
static void bad_vmfunc(void *arg)
{
	struct bad_switch *b = arg;
	__asm__ volatile(".globl views_bad_vmfunc\nviews_bad_vmfunc: .byte 0x0f, 0x01, 0xd4"
			 :: "a"(b->leaf), "c"(b->index) : "memory");
	b->reached = 1;
}

static void read_current(void *arg)
{
	((struct bad_switch *)arg)->current_after = view_current();
}

/* Natively the CPU exits with reason 59 (VMFUNC failure); emulated, the
 * VMM injects #UD as KVM does where VMFUNC is off. Either way fn stops at
 * the instruction and the live view stays. */
static void expect_vmfunc_refused(uint32_t leaf, uint32_t index)
{
	struct bad_switch b = { .leaf = leaf, .index = index, .current_after = -1 };
	views_reset();
	EXPECT_EQ(view_create(), 1);  /* two views installed: 0 and 1 */
	struct view_exit e = views_run(bad_vmfunc, &b);
	if (views_init() == VIEWS_NATIVE) {
		EXPECT_EQ(e.reason, 59);
	} else {
		EXPECT_EQ(e.reason, VIEW_EXIT_TRAP);
		EXPECT_EQ(e.vector, 6);
	}
	EXPECT_EQ(e.rip, (uint64_t)views_bad_vmfunc);
	EXPECT_EQ(b.reached, 0);
	EXPECT_EQ(views_run(read_current, &b).reason, 0);
	EXPECT_EQ(b.current_after, 0);
	views_reset();
}

TEST(views, "VMFUNC to index 7 with 2 views: refused (native exit 59, emulated #UD)")
{
	NEED_VIEWS();
	expect_vmfunc_refused(0, 7);
}

TEST(views, "VMFUNC to index 600, past the 512-entry EPTP list: refused")
{
	NEED_VIEWS();
	expect_vmfunc_refused(0, 600);
}

TEST(views, "VMFUNC leaf 1 (not enabled): refused")
{
	NEED_VIEWS();
	expect_vmfunc_refused(1, 0);
}

TEST(views, "view_map() rejects bad arguments with -EINVAL")
{
	NEED_VIEWS();
	views_reset();
	EXPECT_EQ(view_create(), 1);
	EXPECT_EQ(view_map(0, 0x200000, 0x200000, 4096, RWX), -HC_EINVAL);   /* view 0 */
	EXPECT_EQ(view_map(1, 0x200800, 0x200000, 4096, VIEW_R), -HC_EINVAL);   /* unaligned */
	EXPECT_EQ(view_map(1, 0x200000, 0x200010, 4096, VIEW_R), -HC_EINVAL);
	EXPECT_EQ(view_map(1, 0x200000, 0x200000, 100, VIEW_R), -HC_EINVAL);
	EXPECT_EQ(view_map(1, 0x200000, 0x200000, 0, VIEW_R), -HC_EINVAL);      /* empty */
	EXPECT_EQ(view_map(1, 0x200000, 0x200000, 4096, 8), -HC_EINVAL);       /* perms */
	EXPECT_EQ(view_map(1, ~0xffful, 0x200000, 8192, VIEW_R), -HC_EINVAL);  /* wraps */
	EXPECT_EQ(view_map(VIEWS_MAX, 0x200000, 0x200000, 4096, VIEW_R), -HC_EINVAL);
	EXPECT_EQ(view_map(-1, 0x200000, 0x200000, 4096, VIEW_R), -HC_EINVAL);
	EXPECT_EQ(view_map(5, 0x200000, 0x200000, 4096, VIEW_R), -HC_EINVAL);   /* no view 5 */
	views_reset();
}

TEST(views, "view_map() of a GPA or target not wholly inside RAM: -EFAULT")
{
	NEED_VIEWS();
	uint64_t in = pmm_alloc_zeroed(&kernel_pmm), end = ALIGN_UP(boot_info->ram_size, 4096);
	ASSERT(in);
	views_reset();
	EXPECT_EQ(view_create(), 1);
	EXPECT_EQ(view_map(1, in, end, 4096, RWX), -HC_EFAULT);           /* target past RAM */
	EXPECT_EQ(view_map(1, end, in, 4096, RWX), -HC_EFAULT);           /* GPA past RAM */
	EXPECT_EQ(view_map(1, in, end - 4096, 8192, RWX), -HC_EFAULT);    /* straddles the end */
	EXPECT_EQ(view_map(1, end - 4096, in, 8192, RWX), -HC_EFAULT);
	EXPECT_EQ(view_map(1, in, 1ul << 40, 4096, RWX), -HC_EFAULT);     /* far away */
	EXPECT_EQ(view_map(1, in, -8192ul, 4096, RWX), -HC_EFAULT);       /* no wrap, top */
	EXPECT_EQ(view_map(1, in, in, 4096, RWX), 0);                     /* inside: fine */
	views_reset();
	pmm_free(&kernel_pmm, in);
}

struct view0_probe {
	uint64_t gpa, seen;
};

static void read_gpa(void *arg)
{
	struct view0_probe *k = arg;
	k->seen = peek(k->gpa);
}

TEST(views, "view_map(0, ...) is -EINVAL and view 0 stays the identity, also after a reset")
{
	struct probe_pages p;
	NEED_VIEWS();
	ASSERT(probe_pages_get(&p));
	views_reset();
	EXPECT_EQ(view_map(0, p.a, p.b, 4096, RWX), -HC_EINVAL);
	EXPECT_EQ(view_create(), 1);
	EXPECT_EQ(view_map(0, p.a, p.b, 4096, RWX), -HC_EINVAL);
	struct view0_probe k = { .gpa = p.a };
	EXPECT_EQ(views_run(read_gpa, &k).reason, 0);
	EXPECT_EQ(k.seen, PATTERN_A);
	views_reset();
	k.seen = 0;
	EXPECT_EQ(views_run(read_gpa, &k).reason, 0);
	EXPECT_EQ(k.seen, PATTERN_A);
	probe_pages_put(&p);
}

TEST(views, "VIEWS_MAX views exist at most: the next view_create() is -ENOSPC")
{
	NEED_VIEWS();
	views_reset();
	for (int i = 1; i < VIEWS_MAX; i++)
		EXPECT_EQ(view_create(), i);
	EXPECT_EQ(view_create(), -HC_ENOSPC);
	views_reset();
	EXPECT_EQ(view_create(), 1);
	views_reset();
}

static void go_to_view_2(void *arg)
{
	(void)arg;
	vmfunc_switch(0, 2);
}

TEST(views, "views_reset() drops every view but 0 and makes view 0 live")
{
	struct bad_switch b = { .current_after = -1 };
	NEED_VIEWS();
	views_reset();
	EXPECT_EQ(view_create(), 1);
	EXPECT_EQ(view_create(), 2);
	EXPECT_EQ(views_run(go_to_view_2, NULL).reason, 0); /* leaves view 2 live */
	views_reset();
	EXPECT_EQ(views_run(read_current, &b).reason, 0);
	EXPECT_EQ(b.current_after, 0);
	EXPECT_EQ(view_create(), 1); /* the slots are free again */
	views_reset();
}

struct inner_create {
	struct probe_pages p;
	int v, map_ret;
	uint64_t seen;
};

static void create_inside(void *arg)
{
	struct inner_create *c = arg;
	c->v = view_create();
	c->map_ret = view_map(c->v, c->p.a, c->p.b, 4096, RWX);
	vmfunc_switch(0, (uint32_t)c->v);
	c->seen = peek(c->p.a);
	vmfunc_switch(0, 0);
}

TEST(views, "views made inside views_run() (over hypercalls) work at once")
{
	struct inner_create c = { .v = -1 };
	NEED_VIEWS();
	ASSERT(probe_pages_get(&c.p));
	views_reset();
	EXPECT_EQ(views_run(create_inside, &c).reason, 0);
	EXPECT_EQ(c.v, 1);
	EXPECT_EQ(c.map_ret, 0);
	EXPECT_EQ(c.seen, PATTERN_B);
	views_reset();
	probe_pages_put(&c.p);
}
