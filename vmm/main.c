/*
 * vmm: boot a raw disk image in a single-vCPU KVM guest, like a PC BIOS
 * would, and exit with the guest's status. See `vmm --help`.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "vmm.h"

/* Started with stdin, stdout or stderr closed, the next open() takes that
 * number: guest RAM's memfd as fd 1 would receive the guest's console
 * output (its own page tables overwritten), or as fd 2 our messages. Hold
 * each closed one with /dev/null instead. */
static void std_fds_open(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", O_RDWR);
		if (n >= 0 && n != fd) { /* cannot happen: lower fds are open */
			dup2(n, fd);
			close(n);
		}
	}
}

/* A setup step failed: because a stop (timeout, signal) cut it short, or
 * on its own. */
static int setup_failed(void)
{
	return stop_signal() ? stop_status() : EXIT_VMM_FAILED;
}

int main(int argc, char **argv)
{
	/* Taken first: boot info reports the guest TSC as of this moment. */
	uint64_t start_ns = now_ns();
	struct options opt;
	static struct vm vm = { .stats_fd = -1 };

	timeline_mark(PHASE_START);

	std_fds_open();
	log_flush_with(console_flush);
	stop_signals_install();
	flags_parse(argc, argv, &opt);
	vmm_tracing = opt.trace;
	if (opt.trace_json && trace_json_open(opt.trace_json) < 0)
		return EXIT_VMM_FAILED;

	/* The image is checked before KVM is touched, so a bad image is
	 * reported the same way on a host without /dev/kvm. The watchdog
	 * runs before it is read: a FIFO image may never deliver. */
	if ((opt.timeout > 0 && watchdog_start(opt.timeout) < 0) ||
	    timeline_step(mem_create(&vm.mem, opt.ram_size, opt.huge_pages), PHASE_RAM) < 0 ||
	    timeline_step(load_image(&vm.mem, opt.image), PHASE_IMAGE) < 0 ||
	    kvm_setup(&vm) < 0 ||
	    timeline_step(vcpu_create(&vm, start_ns), PHASE_VCPU) < 0 ||
	    views_setup(&vm, &opt) < 0)
		return setup_failed();
	if (opt.stats || opt.count_insns)
		stats_open(&vm);
	bootinfo_fill(&vm, &opt);
	if (vcpu_reset_bios(&vm) < 0)
		return setup_failed();

	serial_register();
	devices_register();
	doorbell_register();
	if (gdb_start(&vm, &opt) < 0)
		return setup_failed();
	if (timeline_start(&vm, &opt) < 0 ||
	    (!opt.no_sandbox && sandbox_enter(&vm) < 0))
		return setup_failed();

	timeline_mark(PHASE_FIRST_RUN);
	int status = run_guest(&vm);
	timeline_mark(PHASE_EXIT);
	console_flush();
	if (opt.dump_pt)
		dump_page_tables(&vm);
	for (int i = 0; i < opt.walks; i++)
		dump_walk(&vm, opt.walk[i]);
	if (opt.stats || opt.count_insns) {
		stats_print(&vm);
		timeline_print(&vm);
	}
	if (trace_json_on) {
		struct timeline_marks marks;
		timeline_marks(&vm, &marks);
		trace_json_write(&vm, &marks);
	}
	return status;
}
