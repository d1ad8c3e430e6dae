/* Register and instruction dumps for crash messages. */
#include <stdio.h>
#include <sys/ioctl.h>

#include "dump_pt.h"
#include "vmm.h"


static const char *cpu_mode(const struct kvm_sregs *s)
{
	if (!(s->cr0 & CR0_PE))
		return "real mode";
	if (s->efer & EFER_LMA)
		return s->cs.l ? "64-bit long mode" : s->cs.db ? "32-bit compatibility mode"
							       : "16-bit compatibility mode";
	return s->cs.db ? "32-bit protected mode" : "16-bit protected mode";
}

static void dump_segment(const char *name, const struct kvm_segment *g)
{
	vmm_log("  %s=%04x base=%016llx limit=%08x type=%x dpl=%u db=%u l=%u present=%u",
		name, g->selector, (unsigned long long)g->base, g->limit, g->type, g->dpl,
		g->db, g->l, g->present);
}

/* Up to 16 bytes at CS:RIP, translated by the guest's own paging, stopping
 * at the page end since the next page may live anywhere. */
static void dump_code(const struct vm *vm, const struct kvm_sregs *s, uint64_t rip)
{
	char hex[16 * 3 + 1] = "";
	uint64_t gpa;

	if (!vcpu_code_gpa(vm, s, rip, &gpa)) {
		vmm_log("  code: linear 0x%llx is not mapped", (unsigned long long)(s->cs.base + rip));
		return;
	}
	uint64_t n = 4096 - (gpa & 4095);
	if (n > 16)
		n = 16;
	const uint8_t *p = guest_ptr(&vm->mem, gpa, n);
	if (!p) {
		vmm_log("  code: GPA 0x%llx is outside RAM", (unsigned long long)gpa);
		return;
	}
	for (uint64_t i = 0; i < n; i++)
		snprintf(hex + 3 * i, 4, " %02x", p[i]);
	vmm_log("  code at GPA 0x%llx:%s", (unsigned long long)gpa, hex);
}

void dump_regs(const struct vm *vm)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0 || ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		vmm_log("  (registers unavailable)");
		return;
	}
	vmm_log("  registers (%s):", cpu_mode(&s));
	vmm_log("  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx",
		r.rax, r.rbx, r.rcx, r.rdx);
	vmm_log("  rsi=%016llx rdi=%016llx rbp=%016llx rsp=%016llx",
		r.rsi, r.rdi, r.rbp, r.rsp);
	vmm_log("  r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx",
		r.r8, r.r9, r.r10, r.r11);
	vmm_log("  r12=%016llx r13=%016llx r14=%016llx r15=%016llx",
		r.r12, r.r13, r.r14, r.r15);
	vmm_log("  rip=%016llx rflags=%08llx", r.rip, r.rflags);
	vmm_log("  cr0=%08llx cr2=%016llx cr3=%016llx cr4=%08llx efer=%llx",
		s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	dump_segment("cs", &s.cs);
	dump_segment("ss", &s.ss);
	vmm_log("  idt base=%016llx limit=%04x  gdt base=%016llx limit=%04x",
		s.idt.base, s.idt.limit, s.gdt.base, s.gdt.limit);
	dump_code(vm, &s, r.rip);
}

#define CR0_PG   (1ull << 31)
#define CR4_PAE  (1ull << 5)
#define CR4_LA57 (1ull << 12)

/* The guest's paging at the end of the run (its sregs in *s): 1 when it
 * has long-mode tables a walk can read, 0 when paging is off, -1 when
 * there is nothing to walk (said, for `what`: dump-pt, walk). */
static int end_paging(const struct vm *vm, const char *what, struct kvm_sregs *sregs)
{
	struct kvm_sregs s;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		vmm_log("%s: KVM_GET_SREGS failed: no page tables to show", what);
		return -1;
	}
	if (vm->run->exit_reason == KVM_EXIT_SHUTDOWN && vcpu_in_reset_state(vm)) {
		vmm_log("%s: %s reset the vCPU at the shutdown: CR3 is gone, no page tables "
			"to show", what, vm->host.name);
		return -1;
	}
	*sregs = s;
	if (!(s.cr0 & CR0_PG))
		return 0;
	if (!(s.efer & EFER_LMA) || !(s.cr4 & CR4_PAE) || (s.cr4 & CR4_LA57)) {
		vmm_log("%s: only 4-level long-mode tables are walked (CR4 0x%llx, EFER 0x%llx)",
			what, s.cr4, s.efer);
		return -1;
	}
	return 1;
}

/* --dump-pt: the guest's own page tables, if it has long-mode ones. */
void dump_page_tables(const struct vm *vm)
{
	struct kvm_sregs s;
	int paging = end_paging(vm, "dump-pt", &s);

	if (paging > 0)
		pt_dump(&vm->mem, s.cr3, vmm_log);
	else if (paging == 0)
		vmm_log("dump-pt: paging is off (CR0 0x%llx): no page tables", s.cr0);
}

/* --walk GVA: one address through the guest's tables at the end of the
 * run, one line per level, in a form tools/inside-kvm/kvm-mmu-map.sh joins with
 * KVM's entry for the GPA (the second dimension). */
void dump_walk(const struct vm *vm, uint64_t va)
{
	static const char *const names[] = { "PML4", "PDPT", "PD", "PT" };
	struct kvm_sregs s;
	int paging = end_paging(vm, "walk", &s);

	if (paging == 0)
		vmm_log("walk: GVA 0x%016llx -> GPA 0x%llx (paging is off: the GVA is the GPA)",
			(unsigned long long)va, (unsigned long long)va);
	if (paging <= 0)
		return;
	struct pt_walk w = pt_walk(&vm->mem, s.cr3, va);
	vmm_log("walk: GVA 0x%016llx, CR3 0x%llx", (unsigned long long)va, (unsigned long long)s.cr3);
	for (int i = 0; i < w.levels; i++)
		vmm_log("walk:   %-4s[%3u] at GPA 0x%09llx = 0x%016llx", names[i], w.level[i].index,
			(unsigned long long)(w.level[i].table + 8 * w.level[i].index),
			(unsigned long long)w.level[i].entry);
	if (w.ok)
		vmm_log("walk: GVA 0x%016llx -> GPA 0x%llx (%s page,%s%s%s)", (unsigned long long)va,
			(unsigned long long)w.gpa, pt_size_name(w.page),
			w.flags & (1ull << 1) ? " W" : " -", w.flags & (1ull << 2) ? " U" : " -",
			w.flags & (1ull << 63) ? " NX" : " -");
	else
		vmm_log("walk: GVA 0x%016llx -> no GPA: %s", (unsigned long long)va, w.why);
}
