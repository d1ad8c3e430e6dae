/*
 * Our hypercalls inside KVM itself (include/kvm_hypercall.h): answered by a
 * patched kvm.ko (KVM_MODULES=hc tools/worlds/in-kvm ...), through the vendor's
 * own instruction. Everywhere else they SKIP and say why: stock KVM
 * answers -1000, kvm_pvm raises a #UD, QEMU and Bochs have no KVM. They
 * never pass there. The last test prints the calls this guest made, which
 * tests/host/kvm_hc.sh checks against kvm.ko's hc_calls on the host.
 */
#include "kernel.h"
#include "kvm_hc.h"
#include "paging.h"
#include "pmm.h"
#include "printf.h"
#include "test.h"
#include "trap.h"

#define NEED_OURS() do { const char *why_ = kvm_hc_missing(); \
	if (why_) SKIP("%s", why_); } while (0)

/* KVM's count when the first test ran, and this guest's calls then. */
static uint64_t count0, made0;

static uint64_t echo_of(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return a0 + 2 * a1 + 3 * a2 + 4 * a3 + 1;
}

/* The patch's checksum: 32-bit FNV-1a. */
static uint64_t fnv1a(const uint8_t *p, uint64_t len)
{
	uint32_t h = 0x811c9dc5;
	for (uint64_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x01000193;
	return h;
}

TEST(kvm_hc, "ECHO answers in KVM through the vendor's own instruction")
{
	NEED_OURS();
	count0 = kvm_hc(KVM_HC_OURS_COUNT, 0, 0, 0, 0);
	made0 = kvm_hc_made;
	static const uint64_t args[][4] = {
		{ 1, 2, 3, 4 }, { 0, 0, 0, 0 }, { 4, 3, 2, 1 },
		{ ~0ull, 1, 0, 0 }, /* wraps modulo 2^64 */
		{ 0x123456789abcdefull, 0xfedcba987654321ull, 7, 1ull << 63 },
	};
	for (unsigned i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		const uint64_t *a = args[i];
		EXPECT_EQ(kvm_hc(KVM_HC_OURS_ECHO, a[0], a[1], a[2], a[3]), echo_of(a[0], a[1], a[2], a[3]));
	}
	/* trap_run's path too: the instruction returns, no exception */
	struct kvm_hc_regs r = { KVM_HC_OURS_ECHO, 5, 6, 7, 8, 0 };
	EXPECT_EQ(kvm_hc_insn(true, &r), -1);
	EXPECT_EQ(r.ret, echo_of(5, 6, 7, 8));
}

TEST(kvm_hc, "SUM reads guest memory in KVM: the FNV-1a of the bytes")
{
	NEED_OURS();
	size_t pages = KVM_HC_OURS_SUM_MAX / PAGE_SIZE;
	uint64_t pa = pmm_alloc_contig(&kernel_pmm, pages, PAGE_SIZE);
	ASSERT(pa != 0);
	uint8_t *buf = (uint8_t *)pa; /* RAM is identity-mapped */
	for (uint64_t i = 0; i < KVM_HC_OURS_SUM_MAX; i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 8));
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_SUM, pa, 100, 0, 0), fnv1a(buf, 100));
	/* across a page boundary, and an odd start */
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_SUM, pa + PAGE_SIZE - 3, 300, 0, 0), fnv1a(buf + PAGE_SIZE - 3, 300));
	/* the longest allowed */
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_SUM, pa, KVM_HC_OURS_SUM_MAX, 0, 0), fnv1a(buf, KVM_HC_OURS_SUM_MAX));
	/* nothing: the FNV offset basis */
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_SUM, pa, 0, 0, 0), 0x811c9dc5);
	/* KVM reads what is there now, not a copy */
	buf[10] ^= 0xff;
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_SUM, pa, 100, 0, 0), fnv1a(buf, 100));
	pmm_free_contig(&kernel_pmm, pa, pages);
}

TEST(kvm_hc, "SUM: a length too large is -KVM_EINVAL, a GPA outside the memslots -KVM_EFAULT")
{
	NEED_OURS();
	uint64_t ram = boot_info->ram_size; /* our VMM's one memslot: [0, ram) */
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_SUM, 0x1000, KVM_HC_OURS_SUM_MAX + 1, 0, 0), (uint64_t)-KVM_HC_EINVAL);
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_SUM, 0x1000, ~0ull, 0, 0), (uint64_t)-KVM_HC_EINVAL);
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_SUM, ram, 1, 0, 0), (uint64_t)-KVM_HC_EFAULT);
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_SUM, ram - 4, 8, 0, 0), (uint64_t)-KVM_HC_EFAULT); /* straddles the end */
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_SUM, 1ull << 40, 16, 0, 0), (uint64_t)-KVM_HC_EFAULT);
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_SUM, ~0ull - 7, 16, 0, 0), (uint64_t)-KVM_HC_EFAULT); /* wraps past 2^64 */
	/* a bad call leaves the next good one alone */
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_SUM, 0x1000, 0, 0, 0), 0x811c9dc5);
}

TEST(kvm_hc, "a number of ours the patch does not know is -KVM_ENOSYS")
{
	NEED_OURS();
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_BASE, 0, 0, 0, 0), (uint64_t)-KVM_HC_ENOSYS);
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_BASE | 0xffff, 0, 0, 0, 0), (uint64_t)-KVM_HC_ENOSYS);
	/* RAX is 64 bits in long mode: ECHO's number above bit 31 is not ours */
	EXPECT_EQ(kvm_hc((1ull << 32) | KVM_HC_OURS_ECHO, 1, 2, 3, 4), (uint64_t)-KVM_HC_ENOSYS);
}

TEST(kvm_hc, "the other vendor's instruction is still a #UD, and KVM counts nothing for it")
{
	NEED_OURS();
	uint64_t before = kvm_hc(KVM_HC_OURS_COUNT, 0, 0, 0, 0);
	struct kvm_hc_regs r = { KVM_HC_OURS_ECHO, 1, 2, 3, 4, 0 };
	EXPECT_EQ(kvm_hc_insn(false, &r), VEC_UD);
	EXPECT_EQ(kvm_hc(KVM_HC_OURS_COUNT, 0, 0, 0, 0), before + 1); /* the COUNT itself */
}

TEST(kvm_hc, "KVM's count moved by exactly the calls this guest made")
{
	NEED_OURS();
	if (!made0) { /* run alone (a filter): count from here */
		count0 = kvm_hc(KVM_HC_OURS_COUNT, 0, 0, 0, 0);
		made0 = kvm_hc_made;
	}
	for (uint64_t i = 0; i < 3; i++)
		kvm_hc(KVM_HC_OURS_ECHO, i, 0, 0, 0);
	/* Both sides count the COUNT calls themselves: the first is in
	 * count0 and made0, the last in now and kvm_hc_made. */
	uint64_t now = kvm_hc(KVM_HC_OURS_COUNT, 0, 0, 0, 0);
	EXPECT_EQ(now - count0, kvm_hc_made - made0);
	printf("# kvm_hc: this guest made %lu calls of ours\n", kvm_hc_made);
}
