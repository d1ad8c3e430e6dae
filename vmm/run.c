/*
 * The run loop: enter the guest, route each exit to its handler, stop when a
 * handler returns a status or a stop signal (watchdog, SIGINT...) arrives.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm.h"

static void trace_exit(const struct vm *vm)
{
	const struct kvm_run *r = vm->run;
	unsigned long long rip = (unsigned long long)vcpu_rip(vm);

	switch (r->exit_reason) {
	case KVM_EXIT_IO:
		vmm_trace("IO %s port 0x%x size %u count %u at RIP 0x%llx",
			  r->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			  r->io.port, r->io.size, r->io.count, rip);
		break;
	case KVM_EXIT_MMIO:
		vmm_trace("MMIO %s %u bytes at GPA 0x%llx at RIP 0x%llx",
			  r->mmio.is_write ? "write" : "read", r->mmio.len,
			  (unsigned long long)r->mmio.phys_addr, rip);
		break;
	default:
		vmm_trace("%s at RIP 0x%llx", exit_reason_name(r->exit_reason), rip);
	}
}

static int dispatch(struct vm *vm)
{
	switch (vm->run->exit_reason) {
	case KVM_EXIT_IO:             return io_exit(vm);
	case KVM_EXIT_MMIO:           return exit_mmio(vm);
	case KVM_EXIT_HLT:            return vm->gdb ? gdb_exit_hlt(vm) : exit_hlt(vm);
	case KVM_EXIT_SHUTDOWN:       return exit_shutdown(vm);
	case KVM_EXIT_INTERNAL_ERROR: return exit_internal_error(vm);
	case KVM_EXIT_FAIL_ENTRY:     return exit_fail_entry(vm);
	case KVM_EXIT_DEBUG:          return gdb_exit_debug(vm);
	}
	vmm_log("unexpected KVM exit %u (%s) at RIP 0x%llx (stage %s)", vm->run->exit_reason,
		exit_reason_name(vm->run->exit_reason), (unsigned long long)vcpu_rip(vm),
		stage_describe());
	return EXIT_GUEST_CRASH;
}

/* Remember this exit as the last place the guest was seen: a KVM that
 * resets the vCPU at shutdown leaves nothing else. The run page's
 * registers cost nothing; without sync-regs only the reason is kept. */
static void remember(struct vm *vm)
{
	const struct kvm_run *r = vm->run;

	vm->last = (struct last_exit){
		.reason = r->exit_reason,
		.rip = vm->sync_regs ? r->s.regs.regs.rip : ~0ull,
		.port = r->io.port,
		.out = r->io.direction == KVM_EXIT_IO_OUT,
	};
}

/* The guest was stopped from outside: say where it was. */
static int stopped(const struct vm *vm)
{
	vmm_log("%s at RIP 0x%llx (stage %s)", stop_describe(),
		(unsigned long long)vcpu_rip(vm), stage_describe());
	return stop_status();
}

/* The watchdog is already running (main.c starts it before the image is
 * loaded). With --gdb, the stub may stop the guest before its first
 * instruction, at a debug exit or when its socket kicks KVM_RUN out. */
static int run_loop(struct vm *vm)
{
	int status = gdb_first_stop(vm);

	if (status != RUN_CONTINUE)
		return status;
	for (;;) {
		/* immediate_exit already makes KVM_RUN return at once when a
		 * stop signal came between runs; this saves the entry. */
		if (stop_signal())
			return stopped(vm);
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vmm_trace("KVM_RUN interrupted (%s)", strerror(errno));
				if (vm->gdb && (status = gdb_kicked(vm)) != RUN_CONTINUE)
					return status;
				continue;
			}
			vmm_log("KVM_RUN: %s at RIP 0x%llx (stage %s)", strerror(errno),
				(unsigned long long)vcpu_rip(vm), stage_describe());
			return EXIT_VMM_FAILED;
		}
		stats_exit(vm->run->exit_reason);
		if (vmm_tracing)
			trace_exit(vm);
		/* A #UD the VMM injected for a refused VMFUNC, that the guest's
		 * #UD handler asks about again at this exit, is no new refusal. */
		vm->views.echo = vm->vmfunc_ud_armed;
		vm->vmfunc_ud_armed = false;
		status = timeline_observing ? timeline_exit(vm, dispatch) : dispatch(vm);
		if (status != RUN_CONTINUE)
			return status;
		remember(vm);
	}
}

int run_guest(struct vm *vm)
{
	int status = run_loop(vm);

	if (vm->gdb)
		gdb_exited(vm, status);
	return status;
}
