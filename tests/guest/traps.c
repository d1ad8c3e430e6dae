/*
 * Exceptions: each is raised on purpose inside trap_run(), caught by the
 * test-local handler, and the test resumes with the vector, error code and
 * faulting RIP in hand. (No int3: some hosts cannot run it at CPL0.)
 */
#include "gdt.h"
#include "test.h"
#include "trap.h"
#include "lib.h"
#include "x86.h"

extern char ud_insn[], de_insn[], gp_insn[], pf_insn[];

static void raise_ud(void *arg)
{
	(void)arg;
	__asm__ volatile(".globl ud_insn\nud_insn: ud2");
}

static void raise_de(void *arg)
{
	(void)arg;
	__asm__ volatile("xor %%ecx, %%ecx\n\t.globl de_insn\nde_insn: divl %%ecx"
			 ::: "eax", "ecx", "edx");
}

static void raise_gp(void *arg)
{
	(void)arg;
	/* A non-canonical address: #GP(0), not #PF. */
	__asm__ volatile("movabs $0x8000000000000000, %%rax\n\t"
			 ".globl gp_insn\ngp_insn: movq (%%rax), %%rax" ::: "rax");
}

static void raise_pf(void *arg)
{
	__asm__ volatile(".globl pf_insn\npf_insn: movq (%0), %%rax" :: "r"(arg) : "rax");
}

TEST(traps, "#UD from ud2 is caught with RIP at the instruction")
{
	struct trap_info ti;
	EXPECT_EQ(trap_run(raise_ud, 0, &ti), VEC_UD);
	EXPECT_EQ(ti.vector, VEC_UD);
	EXPECT_EQ(ti.rip, (uint64_t)ud_insn);
}

TEST(traps, "IDT: each gate enters its vector, through the kernel code selector, a present interrupt gate, IST only for #DF")
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d;
	__asm__ volatile("sidt %0" : "=m"(d));
	ASSERT_EQ(d.limit, 32 * 16 - 1);
	const struct idt_entry *g = (const struct idt_entry *)d.base;
	for (int v = 0; v < 32; v++) {
		uint64_t off = g[v].off_lo | (uint64_t)g[v].off_mid << 16 | (uint64_t)g[v].off_hi << 32;
		EXPECT_EQ(off, trap_vectors[v]);
		EXPECT_EQ(g[v].sel, SEL_KERNEL_CODE);
		EXPECT_EQ(g[v].type, 0x8e);
		EXPECT_EQ(g[v].ist, v == VEC_DF ? TSS_IST_DF : 0);
	}
}

TEST(traps, "#DE from a division by zero")
{
	struct trap_info ti;
	EXPECT_EQ(trap_run(raise_de, 0, &ti), VEC_DE);
	EXPECT_EQ(ti.rip, (uint64_t)de_insn);
}

TEST(traps, "#GP(0) from a non-canonical address")
{
	struct trap_info ti;
	EXPECT_EQ(trap_run(raise_gp, 0, &ti), VEC_GP);
	EXPECT_EQ(ti.error_code, 0);
	EXPECT_EQ(ti.rip, (uint64_t)gp_insn);
}

TEST(traps, "#PF on a not-present page gives CR2 and error code")
{
	struct trap_info ti;
	uint64_t va = 0x00007f0000001008ull; /* nothing maps this */
	EXPECT_EQ(trap_run(raise_pf, (void *)va, &ti), VEC_PF);
	EXPECT_EQ(ti.cr2, va);
	EXPECT_EQ(ti.error_code & (PF_P | PF_W | PF_U | PF_I), 0);
	EXPECT_EQ(ti.rip, (uint64_t)pf_insn);
}

static void no_fault(void *arg)
{
	*(int *)arg = 42;
}

TEST(traps, "a function that does not fault returns -1 and runs to the end")
{
	struct trap_info ti;
	int x = 0;
	EXPECT_EQ(trap_run(no_fault, &x, &ti), -1);
	EXPECT_EQ(ti.vector, -1);
	EXPECT_EQ(x, 42);
}

TEST(traps, "callee-saved registers survive a caught exception")
{
	struct trap_info ti;
	uint64_t out;
	/* rbx and r12 hold values across the faulting call. */
	__asm__ volatile(
		"movq $0x1234, %%rbx\n\t"
		"movq $0x5678, %%r12\n\t"
		"leaq %c[fn](%%rip), %%rdi\n\t"
		"xorl %%esi, %%esi\n\t"
		"movq %[ti], %%rdx\n\t"
		"call trap_run\n\t"
		"leaq (%%rbx, %%r12), %[out]"
		: [out] "=r"(out)
		: [fn] "i"(raise_ud), [ti] "r"(&ti)
		: "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10",
		  "r11", "r12", "memory", "cc");
	EXPECT_EQ(out, 0x1234 + 0x5678);
	EXPECT_EQ(ti.vector, VEC_UD);
}

static void std_then_ud(void *arg)
{
	(void)arg;
	__asm__ volatile("std\n\tud2");
}

#define RFLAGS_DF (1ul << 10)

TEST(traps, "the caller gets its own RFLAGS back: DF set by the faulting fn is cleared")
{
	struct trap_info ti;
	/* Guards around the buffers: a copy that runs backwards lands there. */
	struct { char pad0[16], src[16], pad1[16], dst[16], pad2[16]; } b = {
		.src = "forwards please",
	};
	EXPECT_EQ(trap_run(std_then_ud, 0, &ti), VEC_UD);
	uint64_t flags = read_rflags();
	memcpy(b.dst, b.src, sizeof(b.src));
	__asm__ volatile("cld" ::: "memory"); /* whatever happened, not past here */
	EXPECT_EQ(flags & RFLAGS_DF, 0);
	EXPECT(!memcmp(b.dst, b.src, sizeof(b.src)));
}
