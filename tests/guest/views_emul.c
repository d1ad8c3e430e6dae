/*
 * EPT views, what tests/guest/views.c leaves out: a 2 MiB range (any
 * world), and the emulated world's own rules (our VMM on KVM): partial
 * permissions are -ENOSYS, overlapping ranges -EINVAL, and the #UD path a
 * CPU that raises #UD for VMFUNC takes (views_emul_ud() and HC_VMFUNC).
 * Only kernel/views.h, plus views_emul.h for the #UD hook.
 */
#include "test.h"
#include "views.h"
#include "views_emul.h"
#include "hcall.h"
#include "pmm.h"

#define RWX (VIEW_R | VIEW_W | VIEW_X)
#define SIZE_2M (2ul << 20)

#define NEED_VIEWS()                                                        \
	do {                                                                \
		if (views_init() == VIEWS_NONE)                             \
			SKIP("no EPT views: %s", views_why_not());          \
	} while (0)
#define NEED_EMULATED()                                                     \
	do {                                                                \
		NEED_VIEWS();                                               \
		if (views_init() != VIEWS_EMULATED)                         \
			SKIP("the %s world: these are the emulation's rules", \
			     views_world_name(views_init()));               \
	} while (0)

static uint64_t peek(uint64_t a) { return *(volatile uint64_t *)a; }
static void poke(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

struct big {
	uint64_t a, b;
	uint64_t first, middle, last, back_last;
};

static void read_2m(void *arg)
{
	struct big *s = arg;
	vmfunc_switch(0, 1);
	s->first = peek(s->a);
	s->middle = peek(s->a + SIZE_2M / 2 + 8);
	s->last = peek(s->a + SIZE_2M - 8);
	poke(s->a + SIZE_2M - 16, 0x5151);     /* lands in b */
	vmfunc_switch(0, 0);
	s->back_last = peek(s->a + SIZE_2M - 8);
}

TEST(views_emul, "a 2 MiB range: first, middle and last words come from the target")
{
	NEED_VIEWS();
	struct big s = { 0 };
	s.a = pmm_alloc_contig(&kernel_pmm, 512, SIZE_2M);
	s.b = pmm_alloc_contig(&kernel_pmm, 512, SIZE_2M);
	if (!s.a || !s.b)
		SKIP("no two 2 MiB-aligned blocks free");
	poke(s.a, 0xa0);
	poke(s.a + SIZE_2M / 2 + 8, 0xa1);
	poke(s.a + SIZE_2M - 8, 0xa2);
	poke(s.b, 0xb0);
	poke(s.b + SIZE_2M / 2 + 8, 0xb1);
	poke(s.b + SIZE_2M - 8, 0xb2);
	poke(s.b + SIZE_2M - 16, 0);
	views_reset();
	EXPECT_EQ(view_create(), 1);
	if (EXPECT_EQ(view_map(1, s.a, s.b, SIZE_2M, RWX), 0)) {
		view_dump(1, s.a + 8);
		EXPECT_EQ(views_run(read_2m, &s).reason, 0);
		EXPECT_EQ(s.first, 0xb0);
		EXPECT_EQ(s.middle, 0xb1);
		EXPECT_EQ(s.last, 0xb2);
		EXPECT_EQ(s.back_last, 0xa2);
		EXPECT_EQ(peek(s.b + SIZE_2M - 16), 0x5151);
	}
	views_reset();
	pmm_free_contig(&kernel_pmm, s.b, 512);
	pmm_free_contig(&kernel_pmm, s.a, 512);
}

/* GPAs for argument checks, inside RAM even with -m 2M (RAM from 1 MiB):
 * view 1 is never made live here, so what they hold does not matter. */
#define G 0x100000ull
#define P 0x180000ull

TEST(views_emul, "view_map() with perms other than R|W|X: -ENOSYS")
{
	NEED_EMULATED();
	views_reset();
	EXPECT_EQ(view_create(), 1);
	EXPECT_EQ(view_map(1, G, P, 4096, VIEW_R), -HC_ENOSYS);
	EXPECT_EQ(view_map(1, G, P, 4096, VIEW_R | VIEW_W), -HC_ENOSYS);
	EXPECT_EQ(view_map(1, G, P, 4096, VIEW_X), -HC_ENOSYS);
	EXPECT_EQ(view_map(1, G, P, 4096, 0), -HC_ENOSYS);
	views_reset();
}

TEST(views_emul, "overlapping ranges in one view: -EINVAL; touching ones are fine")
{
	NEED_EMULATED();
	views_reset();
	EXPECT_EQ(view_create(), 1);
	EXPECT_EQ(view_map(1, G, P, 0x4000, RWX), 0);
	EXPECT_EQ(view_map(1, G + 0x3000, P, 0x2000, RWX), -HC_EINVAL);
	EXPECT_EQ(view_map(1, G - 0x1000, P, 0x2000, RWX), -HC_EINVAL);
	EXPECT_EQ(view_map(1, G + 0x4000, P, 0x1000, RWX), 0);
	views_reset();
}

/* A VMFUNC for the #UD hook to find at a frame's RIP (never executed). */
static const uint8_t vmfunc_bytes[4] = { 0x0f, 0x01, 0xd4, 0x90 };
static const uint8_t ud2_bytes[2] = { 0x0f, 0x0b };

static void read_current(void *arg) { *(int *)arg = view_current(); }

TEST(views_emul, "#UD at VMFUNC (a CPU that raises it): HC_VMFUNC switches, RIP += 3")
{
	NEED_EMULATED();
	int cur = -1;
	views_reset();
	EXPECT_EQ(view_create(), 1);
	struct trap_frame f = { .vector = 6, .rip = (uint64_t)vmfunc_bytes, .rax = 0, .rcx = 1 };
	EXPECT(views_emul_ud(&f));
	EXPECT_EQ(f.rip, (uint64_t)vmfunc_bytes + 3);
	views_run(read_current, &cur);
	EXPECT_EQ(cur, 1);

	f = (struct trap_frame){ .vector = 6, .rip = (uint64_t)vmfunc_bytes, .rax = 0, .rcx = 7 };
	EXPECT(!views_emul_ud(&f));                 /* bad index: a real #UD */
	EXPECT_EQ(f.rip, (uint64_t)vmfunc_bytes);
	f = (struct trap_frame){ .vector = 6, .rip = (uint64_t)vmfunc_bytes, .rax = 1, .rcx = 0 };
	EXPECT(!views_emul_ud(&f));                 /* leaf 1 */
	f = (struct trap_frame){ .vector = 6, .rip = (uint64_t)ud2_bytes, .rax = 0, .rcx = 0 };
	EXPECT(!views_emul_ud(&f));                 /* not a VMFUNC */
	f = (struct trap_frame){ .vector = 6, .rip = 0x7fff00000000ull, .rax = 0, .rcx = 0 };
	EXPECT(!views_emul_ud(&f));                 /* RIP not mapped: not read */
	views_run(read_current, &cur);
	EXPECT_EQ(cur, 1);                          /* none of those switched */
	views_reset();
}
