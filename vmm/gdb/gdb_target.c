/*
 * What the GDB stub does to the vCPU: registers in and out, guest memory
 * at guest-linear addresses through the guest's own paging (KVM_TRANSLATE,
 * in whatever mode the vCPU is), breakpoints and watchpoints, and the
 * KVM_SET_GUEST_DEBUG state that arms them.
 *
 * Breakpoints (Z0) are software ones: a HLT (0xf4) written over the
 * instruction's first byte. Not int3, measured: under the nested world's
 * kvm_amd an int3 reaches the guest's own IDT, not KVM (QEMU TCG's SVM
 * checks the INTn intercept for it, not the #BP exception intercept that
 * KVM_GUESTDBG_USE_SW_BP sets), and kvm_pvm's instruction emulator, which
 * runs all CPL0 code, lacks int3 (../shared/PLATFORM.md). A HLT exits to
 * this VMM on every KVM (it has no in-kernel interrupt controller), with
 * RIP past it (docs/worlds.md, "KVMs differ"), so the stub knows its own by the
 * address. At CPL3 a HLT is a #GP: breakpoints are for kernel code.
 *
 * Hardware breakpoints (Z1) and watchpoints (Z2-Z4) use DR0-DR3 and DR7
 * through KVM_GUESTDBG_USE_HW_BP (Intel SDM vol. 3, "Debug Registers":
 * R/W 00 execute, 01 write, 11 read or write; LEN 00/01/11/10 for 1/2/4/8
 * bytes, the address aligned to it). x86 has no read-only watchpoint: a
 * read watchpoint (Z3) fires on writes too. Whether a KVM arms them is the
 * host's: the nested world's do not fire (docs/gdb.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "gdb.h"
#include "../vmm.h"

#define SW_BP_MAX 64
#define HW_SLOTS  4
#define HLT       0xf4
#define DR6_BS    (1u << 14)     /* the #DB came from a single step */
#define DR7_GE    (1u << 9)      /* as processors since the P6 ignore it; kept as KVM users set it */
#define DB_VECTOR 1

static struct {
	uint64_t addr, gpa;
	uint8_t orig;
} sw[SW_BP_MAX];
static unsigned n_sw;

static struct {
	bool used;
	enum gdb_bp_type type;
	uint64_t addr, len;
} hw[HW_SLOTS];

int gdb_cpu_read(struct vm *vm, struct gdb_cpu *c)
{
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &c->r) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_GET_SREGS, &c->s) < 0) {
		vmm_log("gdb: KVM_GET_REGS/KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int gdb_cpu_write(struct vm *vm, const struct gdb_cpu *c)
{
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &c->r) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_SET_SREGS, &c->s) < 0) {
		vmm_log("gdb: KVM_SET_REGS/KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Host pointer of [addr, addr + len) of guest-linear memory, which must
 * not cross a page (the next page may map anywhere), and its GPA in *gpa;
 * NULL if unmapped or outside RAM. */
static uint8_t *linear_ptr(const struct vm *vm, uint64_t addr, uint64_t len, uint64_t *gpa)
{
	if (!vcpu_linear_gpa(vm, addr, gpa))
		return NULL;
	return guest_ptr(&vm->mem, *gpa, len);
}

/* Each page of [addr, addr + len) in turn: copy in or out. All of it is
 * checked before a byte is written, so a refused write changes nothing. */
static bool mem_access(const struct vm *vm, uint64_t addr, uint8_t *buf, size_t len,
		       bool write)
{
	for (int pass = write ? 0 : 1; pass < 2; pass++) {
		for (size_t done = 0; done < len;) {
			uint64_t a = addr + done, n = 4096 - (a & 4095);
			if (n > len - done)
				n = len - done;
			uint64_t gpa;
			uint8_t *p = linear_ptr(vm, a, n, &gpa);
			if (!p)
				return false;
			if (pass == 1 && write)
				memcpy(p, buf + done, n);
			else if (pass == 1)
				memcpy(buf + done, p, n);
			done += n;
		}
	}
	return true;
}

/* Memory as the guest's program has it: the bytes under our own HLTs
 * are shown and written as the original ones. */
bool gdb_mem_read(const struct vm *vm, uint64_t addr, uint8_t *out, size_t len)
{
	if (!mem_access(vm, addr, out, len, false))
		return false;
	for (unsigned i = 0; i < n_sw; i++)
		if (sw[i].addr - addr < len)
			out[sw[i].addr - addr] = sw[i].orig;
	return true;
}

bool gdb_mem_write(const struct vm *vm, uint64_t addr, const uint8_t *in, size_t len)
{
	if (!mem_access(vm, addr, (uint8_t *)in, len, true))
		return false;
	for (unsigned i = 0; i < n_sw; i++) {
		if (sw[i].addr - addr < len) {
			sw[i].orig = in[sw[i].addr - addr];
			*(uint8_t *)guest_ptr(&vm->mem, sw[i].gpa, 1) = HLT;
		}
	}
	return true;
}

/* A debug register slot: exec breakpoints are one byte (LEN 00); data
 * ones 1, 2, 4 or 8 bytes at an address aligned to that. */
static const char *hw_insert(enum gdb_bp_type t, uint64_t addr, uint64_t len)
{
	if (t != GDB_BP_HW && ((len != 1 && len != 2 && len != 4 && len != 8) || addr & (len - 1)))
		return "a watchpoint covers 1, 2, 4 or 8 bytes aligned to that size";
	for (unsigned i = 0; i < HW_SLOTS; i++) {
		if (!hw[i].used) {
			hw[i].used = true;
			hw[i].type = t;
			hw[i].addr = addr;
			hw[i].len = t == GDB_BP_HW ? 1 : len;
			return NULL;
		}
	}
	return "all four debug registers are in use";
}

const char *gdb_bp_insert(const struct vm *vm, enum gdb_bp_type t, uint64_t addr, uint64_t len)
{
	if (t != GDB_BP_SW)
		return hw_insert(t, addr, len);
	for (unsigned i = 0; i < n_sw; i++)
		if (sw[i].addr == addr)
			return NULL; /* gdb may insert one twice; one HLT does */
	if (n_sw == SW_BP_MAX)
		return "too many software breakpoints (64)";
	uint64_t gpa;
	uint8_t *p = linear_ptr(vm, addr, 1, &gpa);
	if (!p)
		return "the address is not mapped to RAM";
	sw[n_sw].addr = addr;
	sw[n_sw].gpa = gpa;
	sw[n_sw].orig = *p;
	n_sw++;
	*p = HLT;
	return NULL;
}

const char *gdb_bp_remove(const struct vm *vm, enum gdb_bp_type t, uint64_t addr, uint64_t len)
{
	if (t == GDB_BP_SW) {
		for (unsigned i = 0; i < n_sw; i++) {
			if (sw[i].addr != addr)
				continue;
			uint8_t *p = guest_ptr(&vm->mem, sw[i].gpa, 1);
			if (p && *p == HLT)
				*p = sw[i].orig;
			sw[i] = sw[--n_sw];
			return NULL;
		}
		return "no breakpoint there";
	}
	for (unsigned i = 0; i < HW_SLOTS; i++) {
		if (hw[i].used && hw[i].type == t && hw[i].addr == addr &&
		    (t == GDB_BP_HW || hw[i].len == len)) {
			hw[i].used = false;
			return NULL;
		}
	}
	return "no such breakpoint or watchpoint";
}

void gdb_bp_clear(const struct vm *vm)
{
	while (n_sw)
		gdb_bp_remove(vm, GDB_BP_SW, sw[0].addr, 1);
	memset(hw, 0, sizeof hw);
}

/* Arm what is inserted, and a single step if asked: before every resume. */
int gdb_debug_arm(const struct vm *vm, bool step)
{
	static const unsigned rw[] = {
		[GDB_BP_HW] = 0, [GDB_WATCH_WRITE] = 1, [GDB_WATCH_READ] = 3, [GDB_WATCH_ACCESS] = 3,
	};
	struct kvm_guest_debug d = { .control = 0 };
	uint64_t dr7 = DR7_GE;

	for (unsigned i = 0; i < HW_SLOTS; i++) {
		if (!hw[i].used)
			continue;
		unsigned lenbits = hw[i].len == 8 ? 2 : hw[i].len == 4 ? 3 : hw[i].len == 2 ? 1 : 0;
		d.arch.debugreg[i] = hw[i].addr;
		dr7 |= (2ull << (2 * i)) | ((uint64_t)(rw[hw[i].type] | lenbits << 2) << (16 + 4 * i));
		d.control |= KVM_GUESTDBG_USE_HW_BP;
	}
	d.arch.debugreg[7] = dr7;
	if (step)
		d.control |= KVM_GUESTDBG_SINGLESTEP;
	if (d.control)
		d.control |= KVM_GUESTDBG_ENABLE;
	if (ioctl(vm->vcpu_fd, KVM_SET_GUEST_DEBUG, &d) < 0) {
		vmm_log("gdb: KVM_SET_GUEST_DEBUG (control 0x%x, DR7 0x%llx): %s", d.control,
			(unsigned long long)dr7, strerror(errno));
		return -1;
	}
	return 0;
}

/* A HLT exit at one of the stub's breakpoints (RIP is past the HLT on
 * every KVM): RIP goes back onto the instruction, as gdb expects. */
bool gdb_bp_hit(struct vm *vm)
{
	struct gdb_cpu c;

	if (gdb_cpu_read(vm, &c) < 0)
		return false;
	for (unsigned i = 0; i < n_sw; i++) {
		if (sw[i].addr == c.s.cs.base + c.r.rip - 1) {
			c.r.rip--;
			return gdb_cpu_write(vm, &c) == 0;
		}
	}
	return false;
}

/* What a KVM_EXIT_DEBUG was, as a stop reply's reason ("hwbreak:;",
 * "watch:ADDR;", ...; "" for a single step or a #DB of the guest's own). */
void gdb_debug_reason(const struct vm *vm, char *buf, size_t cap)
{
	const struct kvm_debug_exit_arch *x = &vm->run->debug.arch;
	static const char *const watch[] = {
		[GDB_WATCH_WRITE] = "watch", [GDB_WATCH_READ] = "rwatch", [GDB_WATCH_ACCESS] = "awatch",
	};

	buf[0] = 0;
	if (x->exception != DB_VECTOR || (x->dr6 & DR6_BS))
		return;
	for (unsigned i = 0; i < HW_SLOTS; i++) {
		if (!hw[i].used || !(x->dr6 & (1u << i)))
			continue;
		if (hw[i].type == GDB_BP_HW)
			snprintf(buf, cap, "hwbreak:;");
		else
			snprintf(buf, cap, "%s:%llx;", watch[hw[i].type],
				 (unsigned long long)hw[i].addr);
		return;
	}
}
