/*
 * Where the time goes: the VMM's own phases (host clock) and the guest's
 * boot stage stamps (its TSC, in boot_info.stamp_tsc: bootinfo.h) on one
 * timeline in microseconds from process start, with what happened in each
 * phase: exits to the VMM, and KVM's own counters (every exit, and the
 * instructions its emulator ran) where --stats opened them. With
 * --count-insns every guest instruction is single-stepped
 * (KVM_SET_GUEST_DEBUG) and counted in the phase it ran in.
 *
 * Per exit this costs one branch in run.c while nothing observes;
 * observing, the guest's stamps are read from its RAM at each exit to
 * tell which stage it is in, so counts are exact to the exit, not to the
 * instruction (a stamp makes no exit).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm.h"

static const char *const phase_names[PHASES] = {
	[PHASE_START] = "process start",
	[PHASE_RAM] = "guest RAM allocated",
	[PHASE_IMAGE] = "image loaded",
	[PHASE_KVM_OPEN] = "KVM opened",
	[PHASE_VM] = "VM created",
	[PHASE_MEMSLOT] = "RAM mapped (memslot)",
	[PHASE_VCPU] = "vCPU created",
	[PHASE_FIRST_RUN] = "first KVM_RUN",
	[PHASE_EXIT] = "exit",
};

static const char *const stage_names[BOOT_STAMPS] = {
	[BOOT_STAMP_STUB_ENTRY] = "stub entry (real mode)",
	[BOOT_STAMP_LOADED] = "image loaded",
	[BOOT_STAMP_PROT] = "protected mode",
	[BOOT_STAMP_LONG] = "long mode",
	[BOOT_STAMP_C_ENTRY] = "C entry",
	[BOOT_STAMP_INIT_DONE] = "init done",
	[BOOT_STAMP_FIRST_TEST] = "first test",
	[BOOT_STAMP_LAST_TEST] = "last test",
	[BOOT_STAMP_EXIT] = "exit",
};

bool timeline_observing;
static bool counting_steps, kvm_counters;
static uint64_t phase_ns[PHASES];

/* Guest TSC and host time read together (KVM_GET_MSRS): converts stamps.
 * The host time is taken after the read, so a stamp converts at most one
 * ioctl return late, never early. */
static uint64_t anchor_tsc, anchor_ns;
static uint32_t tsc_khz;

/* What happened while the guest was in each stage, by the last stamp it
 * had written when it exited: row 0 before its first stamp (from the first
 * KVM_RUN), row s + 1 after stamp s. */
#define ROWS (BOOT_STAMPS + 1)
static uint64_t vmm_exits[ROWS], kvm_exits[ROWS], emulated[ROWS], stepped[ROWS];
static uint64_t kvm_exits_off, emulated_off, kvm_exits_last, emulated_last;

void timeline_mark(enum vmm_phase p)
{
	phase_ns[p] = now_ns();
}

int timeline_step(int rc, enum vmm_phase p)
{
	if (rc >= 0)
		timeline_mark(p);
	return rc;
}

/* The guest's stamps as it left them (zero: stage not reached). */
static void read_stamps(const struct vm *vm, uint64_t tsc[BOOT_STAMPS])
{
	memcpy(tsc, guest_ptr(&vm->mem, BOOTINFO_GPA + BI_STAMPS_OFFSET,
			      BOOT_STAMPS * sizeof tsc[0]), BOOT_STAMPS * sizeof tsc[0]);
}

/* Host time of stamp `stage`, false if the guest has not written it or
 * the TSC cannot be converted. A guest may write anything there: the
 * arithmetic is in doubles and never traps. */
static bool stage_ns(const struct vm *vm, unsigned stage, double *ns)
{
	uint64_t tsc[BOOT_STAMPS];

	read_stamps(vm, tsc);
	if (!tsc[stage] || !tsc_khz || !anchor_ns)
		return false;
	*ns = (double)anchor_ns + (double)(int64_t)(tsc[stage] - anchor_tsc) * 1e6 / tsc_khz;
	return true;
}

/* The row of the stage the guest is in now: its highest stamp. */
static unsigned current_row(const struct vm *vm)
{
	uint64_t tsc[BOOT_STAMPS];

	read_stamps(vm, tsc);
	for (unsigned s = BOOT_STAMPS; s > 0; s--)
		if (tsc[s - 1])
			return s;
	return 0;
}

/* KVM sets TF for single-stepping, but an instruction its emulator runs
 * writes the guest's flags back without it (measured on kvm_amd: the count
 * stopped at the first emulated MOV CR0), so it is set again at every exit
 * to the VMM, which KVM makes after each instruction. */
static int single_step(const struct vm *vm)
{
	struct kvm_guest_debug dbg = {
		.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
	};

	if (ioctl(vm->vcpu_fd, KVM_SET_GUEST_DEBUG, &dbg) < 0) {
		vmm_log("--count-insns: KVM_SET_GUEST_DEBUG (single-step): %s", strerror(errno));
		return -1;
	}
	return 0;
}

bool timeline_counting_insns(void)
{
	return counting_steps;
}

/* Set-up, before the sandbox: the TSC anchor and, for --count-insns,
 * single-stepping. */
int timeline_start(struct vm *vm, const struct options *o)
{
	timeline_observing = o->stats || o->count_insns || o->trace_json;
	if (!timeline_observing)
		return 0;
	tsc_khz = vm->tsc_khz;
	if (vcpu_tsc(vm, &anchor_tsc))
		anchor_ns = now_ns();
	kvm_counters = stats_kvm_offset(vm, "exits", &kvm_exits_off) &&
		       stats_kvm_offset(vm, "insn_emulation", &emulated_off);
	if (kvm_counters) {
		pread(vm->stats_fd, &kvm_exits_last, sizeof kvm_exits_last, (off_t)kvm_exits_off);
		pread(vm->stats_fd, &emulated_last, sizeof emulated_last, (off_t)emulated_off);
	}
	counting_steps = o->count_insns;
	return counting_steps ? single_step(vm) : 0;
}

/* KVM's counter at `off` now, minus its value last time. */
static uint64_t kvm_delta(const struct vm *vm, uint64_t off, uint64_t *last)
{
	uint64_t v;

	if (pread(vm->stats_fd, &v, sizeof v, (off_t)off) != sizeof v)
		return 0;
	uint64_t d = v - *last;
	*last = v;
	return d;
}

/* One exit, observed: counted in the guest's stage, single-steps absorbed,
 * the rest dispatched (and traced, --trace-json). */
int timeline_exit(struct vm *vm, int (*dispatch)(struct vm *))
{
	uint64_t t0 = now_ns();
	unsigned row = current_row(vm);

	if (kvm_counters) {
		kvm_exits[row] += kvm_delta(vm, kvm_exits_off, &kvm_exits_last);
		emulated[row] += kvm_delta(vm, emulated_off, &emulated_last);
	}
	if (counting_steps && single_step(vm) < 0)
		return EXIT_VMM_FAILED;
	if (counting_steps && vm->run->exit_reason == KVM_EXIT_DEBUG) {
		stepped[row]++;
		return RUN_CONTINUE;
	}
	vmm_exits[row]++;
	if (!trace_json_on)
		return dispatch(vm);
	trace_json_exit_begin(vm, t0);
	int status = dispatch(vm);
	trace_json_exit_end(now_ns());
	return status;
}

static void row_line(double ns, const char *who, const char *name, int row)
{
	double us = (ns - (double)phase_ns[PHASE_START]) / 1000;

	if (row < 0) {
		vmm_log("stats: %12.1f  %-5s %-24s", us, who, name);
		return;
	}
	char steps[24] = "";
	if (counting_steps)
		snprintf(steps, sizeof steps, " %10llu", (unsigned long long)stepped[row]);
	if (kvm_counters)
		vmm_log("stats: %12.1f  %-5s %-24s %9llu %9llu %9llu%s", us, who, name,
			(unsigned long long)vmm_exits[row], (unsigned long long)kvm_exits[row],
			(unsigned long long)emulated[row], steps);
	else
		vmm_log("stats: %12.1f  %-5s %-24s %9llu %9s %9s%s", us, who, name,
			(unsigned long long)vmm_exits[row], "-", "-", steps);
}

/* --stats: one timeline, rows in the order they happen; each row's counts
 * are of what happened from it to the next row. */
void timeline_print(const struct vm *vm)
{
	vmm_log("stats: timeline, us from process start (VMM phases by the host clock, "
		"guest stamps by its TSC at %u kHz):", tsc_khz);
	vmm_log("stats: %12s  %-30s %9s %9s %9s%s", "us", "phase", "VMM exits", "KVM exits",
		"emulated", counting_steps ? "    stepped" : "");
	for (int p = PHASE_START; p < PHASE_FIRST_RUN; p++)
		row_line((double)phase_ns[p], "VMM", phase_names[p], -1);
	row_line((double)phase_ns[PHASE_FIRST_RUN], "VMM", phase_names[PHASE_FIRST_RUN], 0);
	for (unsigned s = 0; s < BOOT_STAMPS; s++) {
		double ns;
		if (stage_ns(vm, s, &ns))
			row_line(ns, "guest", stage_names[s], (int)s + 1);
	}
	row_line((double)phase_ns[PHASE_EXIT], "VMM", phase_names[PHASE_EXIT], -1);
	if (counting_steps) {
		uint64_t total = 0;
		for (unsigned r = 0; r < ROWS; r++)
			total += stepped[r];
		vmm_log("stats: %llu guest instructions single-stepped (a rep-string "
			"iteration counts as one)", (unsigned long long)total);
	}
}

void timeline_marks(const struct vm *vm, struct timeline_marks *m)
{
	memcpy(m->phase_ns, phase_ns, sizeof m->phase_ns);
	for (unsigned s = 0; s < BOOT_STAMPS; s++) {
		m->stage_name[s] = stage_names[s];
		if (!stage_ns(vm, s, &m->stage_ns[s]))
			m->stage_ns[s] = 0;
	}
}
