/*
 * The one vCPU: creation, CPUID, TSC facts for boot info, and the state a
 * PC BIOS leaves when it jumps to a boot sector.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "bootinfo.h"
#include "insn.h"
#include "vmm.h"

#define MSR_IA32_TSC 0x10

/* Give the guest the CPUID KVM supports (cpuid.c), so it sees a vendor
 * string and sane feature bits rather than an empty table. */
static int set_cpuid(struct vm *vm)
{
	struct kvm_cpuid2 *c = cpuid_supported(vm);

	if (!c)
		return -1;
	int r = ioctl(vm->vcpu_fd, KVM_SET_CPUID2, c);
	if (r < 0)
		vmm_log("KVM_SET_CPUID2 (%u entries): %s", c->nent, strerror(errno));
	free(c);
	return r;
}

/* The guest's TSC now (KVM_GET_MSRS). */
bool vcpu_tsc(const struct vm *vm, uint64_t *tsc)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_IA32_TSC };

	if (ioctl(vm->vcpu_fd, KVM_GET_MSRS, &m) != 1)
		return false;
	*tsc = m.e.data;
	return true;
}

/* Guest TSC now, minus what elapsed since main() began: the guest's TSC at
 * VMM start, so the guest can tell how long its own boot took. */
static void read_tsc(struct vm *vm, uint64_t start_ns)
{
	uint64_t tsc;

	int khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
	vm->tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	if (!vcpu_tsc(vm, &tsc))
		return;
	uint64_t ticks = (now_ns() - start_ns) * vm->tsc_khz / 1000000u;
	vm->tsc_at_start = tsc > ticks ? tsc - ticks : 0;
	vmm_trace("guest TSC %u kHz, %llu now, %llu at VMM start", vm->tsc_khz,
		  (unsigned long long)tsc, (unsigned long long)vm->tsc_at_start);
}

int vcpu_create(struct vm *vm, uint64_t start_ns)
{
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0) {
		vmm_log("KVM_CREATE_VCPU: %s", strerror(errno));
		return -1;
	}
	read_tsc(vm, start_ns);

	int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof *vm->run) {
		vmm_log("KVM_GET_VCPU_MMAP_SIZE: %s", size < 0 ? strerror(errno) : "too small");
		return -1;
	}
	vm->run_size = (size_t)size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vmm_log("cannot map the vCPU run page: %s", strerror(errno));
		return -1;
	}
	stop_attach(vm->run);
	/* KVM copies the general registers into the run page at every exit
	 * and takes them back when told: the VMFUNC path then needs no
	 * KVM_GET_REGS/KVM_SET_REGS (two ioctls of a few us each). */
	int sync = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	if (sync > 0 && (sync & KVM_SYNC_X86_REGS)) {
		vm->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
		vm->sync_regs = true;
	}
	return set_cpuid(vm);
}

int vcpu_reset_bios(struct vm *vm)
{
	struct kvm_sregs s;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		vmm_log("KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	/* Real mode, every segment 0000 with base 0: the reset state has
	 * CS = f000 based at ffff0000, which only a BIOS wants. */
	struct kvm_segment *segs[] = { &s.cs, &s.ds, &s.es, &s.fs, &s.gs, &s.ss };
	for (size_t i = 0; i < sizeof segs / sizeof segs[0]; i++) {
		segs[i]->selector = 0;
		segs[i]->base = 0;
	}
	struct kvm_regs r = {
		.rip = BOOT_LOAD_GPA,
		.rflags = 2,            /* bit 1 is always set; IF off */
		.rsp = BOOT_STACK_TOP,
		.rdx = 0x80,            /* boot drive, as a BIOS passes it */
		.rax = BOOT_MAGIC,
		.rbx = BOOTINFO_GPA,
	};
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s) < 0 || ioctl(vm->vcpu_fd, KVM_SET_REGS, &r) < 0) {
		vmm_log("KVM_SET_SREGS/KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The registers at an exit: from the run page where KVM syncs them (valid
 * after every KVM_RUN), else with an ioctl. */
int vcpu_get_regs(struct vm *vm, struct kvm_regs *r)
{
	if (vm->sync_regs) {
		*r = vm->run->s.regs.regs;
		return 0;
	}
	return ioctl(vm->vcpu_fd, KVM_GET_REGS, r);
}

int vcpu_set_regs(struct vm *vm, const struct kvm_regs *r)
{
	if (vm->sync_regs) {
		vm->run->s.regs.regs = *r;
		vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return 0;
	}
	return ioctl(vm->vcpu_fd, KVM_SET_REGS, r);
}

/* The guest-physical address of a linear address, through the guest's
 * own paging as KVM walks it in the vCPU's current mode (real, protected,
 * PAE or long); false if it is not mapped. */
bool vcpu_linear_gpa(const struct vm *vm, uint64_t linear, uint64_t *gpa)
{
	struct kvm_translation t = { .linear_address = linear };

	if (ioctl(vm->vcpu_fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return false;
	*gpa = t.physical_address;
	return true;
}

/* The same for code at CS:ip. */
bool vcpu_code_gpa(const struct vm *vm, const struct kvm_sregs *s, uint64_t ip, uint64_t *gpa)
{
	return vcpu_linear_gpa(vm, s->cs.base + ip, gpa);
}

/* The guest byte at CS:ip; -1 if it is not mapped or not in RAM. */
static int code_byte(const struct vm *vm, const struct kvm_sregs *s, uint64_t ip)
{
	uint64_t gpa;
	const uint8_t *p = vcpu_code_gpa(vm, s, ip, &gpa) ? guest_ptr(&vm->mem, gpa, 1) : NULL;

	return p ? *p : -1;
}

/* For messages and the trace: the address of the instruction that made
 * the exit being handled, on every KVM. KVMs differ: at a port OUT exit
 * upstream KVM leaves RIP at the OUT (it skips it when the VMM resumes),
 * kvm_pvm past it; at HLT every KVM is already past it. ~0 if KVM cannot
 * say. An ioctl, not the run page: it may be asked before the first
 * KVM_RUN. */
uint64_t vcpu_rip(const struct vm *vm)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	const struct kvm_run *x = vm->run;

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0)
		return ~0ull;
	bool out_past = x && x->exit_reason == KVM_EXIT_IO && vm->host.rip_past_out &&
			x->io.direction == KVM_EXIT_IO_OUT;
	bool hlt = x && x->exit_reason == KVM_EXIT_HLT;
	if ((!out_past && !hlt) || ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return r.rip;
	if (hlt)
		return code_byte(vm, &s, r.rip - 1) == 0xf4 ? r.rip - 1 : r.rip;
	struct out_exit o = {
		.port = x->io.port, .size = x->io.size, .dx = (uint16_t)r.rdx,
		.op16 = !s.cs.db && !(s.cs.l && (s.efer & EFER_LMA)),
	};
	for (unsigned i = 0; i < 3; i++)
		o.before[i] = code_byte(vm, &s, r.rip - 1 - i);
	return r.rip - out_len_before(&o);
}

/* After a shutdown exit: has KVM put the vCPU back in its reset state
 * (kvm_amd re-INITs it before reporting the shutdown)? */
bool vcpu_in_reset_state(const struct vm *vm)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	return ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) == 0 &&
	       ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) == 0 && r.rip == 0xfff0 &&
	       s.cs.selector == 0xf000 && s.cs.base == 0xffff0000 && !(s.cr0 & CR0_PE);
}
