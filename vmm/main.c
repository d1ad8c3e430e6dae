/*
 * vmm: boot a raw disk image in a single-vCPU KVM guest, like a PC BIOS
 * would, and exit with the guest's status. See `vmm --help`.
 */
#include "vmm.h"

int main(int argc, char **argv)
{
	/* Taken first: boot info reports the guest TSC as of this moment. */
	uint64_t start_ns = now_ns();
	struct options opt;
	static struct vm vm;

	stop_signals_install();
	flags_parse(argc, argv, &opt);
	vmm_tracing = opt.trace;

	/* The image is checked before KVM is touched, so a bad image is
	 * reported the same way on a host without /dev/kvm. */
	if (mem_create(&vm.mem, opt.ram_size) < 0 ||
	    load_image(&vm.mem, opt.image) < 0 ||
	    kvm_setup(&vm) < 0 ||
	    vcpu_create(&vm, start_ns) < 0 ||
	    views_setup(&vm, &opt) < 0)
		return EXIT_VMM_FAILED;
	bootinfo_fill(&vm, &opt);
	if (vcpu_reset_bios(&vm) < 0)
		return EXIT_VMM_FAILED;

	serial_register();
	devices_register();
	doorbell_register();

	int status = run_guest(&vm, &opt);
	console_flush();
	if (opt.dump_pt)
		dump_page_tables(&vm);
	if (opt.stats)
		stats_print(&vm, start_ns);
	return status;
}
