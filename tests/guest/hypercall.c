/*
 * The hypercall ABI from the guest: every call, and every error path a
 * guest can reach without ending its run (EXIT, ABORT and ASSERT end it:
 * tests/host covers those). SKIPs where no VMM answers the doorbell.
 */
#include "clock.h"
#include "hcall.h"
#include "kernel.h"
#include "kvm_hc.h"
#include "printf.h"
#include "test.h"
#include "trap.h"
#include "x86.h"

#define NEED_VMM() do { if (!hc_available()) \
	SKIP("no hypercall doorbell: not booted by our VMM"); } while (0)

static uint64_t ram_end(void) { return boot_info->ram_size; }

TEST(hypercall, "NOP returns 0")
{
	NEED_VMM();
	EXPECT_EQ(hc_nop(), 0);
}

TEST(hypercall, "ABI_VERSION matches this kernel's major and minor, and boot info's")
{
	NEED_VMM();
	EXPECT_EQ(hc_abi_version(), (HC_ABI_MAJOR << 16) | HC_ABI_MINOR);
	/* hc_check_abi() reads boot info at boot, not the hypercall. */
	EXPECT_EQ(hc_abi_version(), ((int64_t)boot_info->abi_major << 16) | boot_info->abi_minor);
}

TEST(hypercall, "TIME is monotonic and moves")
{
	NEED_VMM();
	int64_t a = hc_time_ns(), b = hc_time_ns();
	EXPECT(a > 0);
	EXPECT(b > a);
}

TEST(hypercall, "unknown numbers give -ENOSYS")
{
	NEED_VMM();
	EXPECT_EQ(hc6(HC_NR_MAX, 0, 0, 0, 0, 0), -HC_ENOSYS);
	EXPECT_EQ(hc6(9, 0, 0, 0, 0, 0), -HC_ENOSYS);
	EXPECT_EQ(hc6(0xffffffffu, 0, 0, 0, 0, 0), -HC_ENOSYS);
}

TEST(hypercall, "nonzero flags give -EINVAL")
{
	NEED_VMM();
	struct hc req __attribute__((aligned(8))) = { .nr = HC_NOP, .flags = 1 };
	EXPECT_EQ(hc_call(&req), -HC_EINVAL);
}

TEST(hypercall, "CONSOLE_WRITE writes and returns the length")
{
	NEED_VMM();
	static const char msg[] = "# console write through the doorbell\n";
	EXPECT_EQ(hc_console_write(msg, sizeof(msg) - 1), sizeof(msg) - 1);
	EXPECT_EQ(hc_console_write(msg, 0), 0);
}

TEST(hypercall, "CONSOLE_WRITE rejects buffers outside RAM with -EFAULT")
{
	NEED_VMM();
	EXPECT_EQ(hc6(HC_CONSOLE_WRITE, ram_end(), 1, 0, 0, 0), -HC_EFAULT);
	EXPECT_EQ(hc6(HC_CONSOLE_WRITE, ram_end() - 4, 8, 0, 0, 0), -HC_EFAULT);
	EXPECT_EQ(hc6(HC_CONSOLE_WRITE, 1ull << 62, 1, 0, 0, 0), -HC_EFAULT);
	/* gpa + len wraps past 2^64 and would land at a small address */
	EXPECT_EQ(hc6(HC_CONSOLE_WRITE, 0x1000, ~0ull - 0x800, 0, 0, 0), -HC_EFAULT);
	EXPECT_EQ(hc6(HC_CONSOLE_WRITE, ~0ull, 2, 0, 0, 0), -HC_EFAULT);
	EXPECT_EQ(hc6(HC_CONSOLE_WRITE, 0x1000, ram_end(), 0, 0, 0), -HC_EFAULT);
}

TEST(hypercall, "RANDOM fills buffers, checks length and range")
{
	NEED_VMM();
	uint64_t a[4] = { 0 }, b[4] = { 0 };
	EXPECT_EQ(hc_random(a, sizeof(a)), sizeof(a));
	EXPECT_EQ(hc_random(b, sizeof(b)), sizeof(b));
	EXPECT(memcmp(a, b, sizeof(a)) != 0);
	EXPECT(a[0] | a[1] | a[2] | a[3]);
	EXPECT_EQ(hc_random(a, HC_RANDOM_MAX + 1), -HC_EINVAL);
	EXPECT_EQ(hc6(HC_RANDOM, ram_end() - 8, 16, 0, 0, 0), -HC_EFAULT);
	EXPECT_EQ(hc_random(a, 0), 0);
}

TEST(hypercall, "BOOT_INFO copies the block, whole or in part")
{
	NEED_VMM();
	static struct boot_info copy;
	memset(&copy, 0, sizeof(copy));
	EXPECT_EQ(hc_boot_info(&copy, sizeof(copy)), sizeof(copy));
	EXPECT_EQ(copy.magic, BOOT_MAGIC);
	EXPECT_EQ(copy.ram_size, boot_info->ram_size);
	EXPECT(memcmp(copy.cmdline, boot_info->cmdline, BOOT_CMDLINE_MAX) == 0);
	memset(&copy, 0, sizeof(copy));
	EXPECT_EQ(hc_boot_info(&copy, 8), 8);
	EXPECT_EQ(copy.magic, BOOT_MAGIC);
	EXPECT_EQ(copy.ram_size, 0);
	EXPECT_EQ(hc6(HC_BOOT_INFO, ram_end() - 16, sizeof(copy), 0, 0, 0), -HC_EFAULT);
}

#define KVM_ENOSYS 1000 /* KVM's own hypercall error (linux/kvm_para.h) */

/* Run the CPU vendor's own hypercall instruction (VMCALL on Intel, VMMCALL
 * on AMD), or the other one, with a number KVM does not know: the vector
 * it raised, or -1 with the RAX it left in *rax. */
static int hypercall_insn(bool own, uint64_t *rax)
{
	struct kvm_hc_regs r = { .nr = HC_VMCALL_NR(HC_NOP) };
	int v = kvm_hc_insn(own, &r);
	*rax = r.ret;
	return v;
}

#define NEED_SAFE_VMCALL() do { const char *why_ = kvm_hc_unsafe(); \
	if (why_) SKIP("%s", why_); } while (0)

/* Which instruction KVM takes differs by vendor (docs/worlds.md, "KVMs differ"). */
TEST(hypercall, "VMCALL/VMMCALL at CPL0: the other vendor's is a #UD, never a hang")
{
	NEED_VMM();
	NEED_SAFE_VMCALL();
	uint64_t rax = 0;
	EXPECT_EQ(hypercall_insn(false, &rax), VEC_UD);
}

TEST(hypercall, "VMCALL/VMMCALL at CPL0: the vendor's own is KVM's (-KVM_ENOSYS) or a #UD")
{
	NEED_VMM();
	NEED_SAFE_VMCALL();
	uint64_t rax = 0;
	int v = hypercall_insn(true, &rax);
	printf("# %s: %s\n", cpu_vendor_intel() ? "VMCALL" : "VMMCALL",
	       v < 0 ? "taken by KVM, RAX = -1000" : "a #UD (this KVM takes neither)");
	EXPECT(v == VEC_UD || (v < 0 && rax == (uint64_t)-KVM_ENOSYS));
}

TEST(hypercall, "the guest clock follows the host's monotonic clock")
{
	NEED_VMM();
	if (!clock_tsc_khz())
		SKIP("the VMM could not tell the TSC frequency");
	uint64_t g0 = clock_ns();
	int64_t h = hc_time_ns();
	uint64_t g1 = clock_ns();
	EXPECT(g1 >= g0);
	/* the host's reading lies between ours, give or take 5 ms of drift */
	EXPECT((uint64_t)h + 5000000 >= g0 && (uint64_t)h <= g1 + 5000000);
}

TEST(hypercall, "a misaligned request block gets -EINVAL in its ret")
{
	NEED_VMM();
	static uint8_t buf[80] __attribute__((aligned(8)));
	struct hc *req = (struct hc *)(buf + 4); /* 4 mod 8 */
	memset(buf, 0, sizeof(buf));
	req->nr = HC_NOP;
	req->ret = 12345;
	printf("# the VMM logs this misaligned block once, on its stderr\n");
	EXPECT_EQ(hc_call(req), -HC_EINVAL);
}

TEST(hypercall, "GUEST_ASSERT that holds does not stop the run")
{
	NEED_VMM();
	int x = 2;
	GUEST_ASSERT(x == 2);
	EXPECT_EQ(x, 2);
}
