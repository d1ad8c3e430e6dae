/* The hypercall client: the doorbell and what is built on it. */
#include "hcall.h"
#include "exit.h"
#include "kernel.h"
#include "printf.h"
#include "x86.h"
#include "../include/ports.h"

bool hc_available(void)
{
	return booted_by_vmm() && (boot_info->features & HC_FEAT_DOORBELL);
}

int64_t hc6(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	struct hc req __attribute__((aligned(8))) = {
		.nr = nr, .arg = { a0, a1, a2, a3, a4, 0 },
	};
	return hc_call(&req);
}

void hc_exit(int status)
{
	hc6(HC_EXIT, (uint64_t)status, 0, 0, 0, 0);
	/* Only reached if the VMM refused it: end the run anyway. */
	printf("\nhc_exit: HC_EXIT(%d) returned\n", status);
	guest_exit(EXIT_GUEST_CRASH);
}

void hc_report(uint32_t nr, const char *msg, const char *file, int line)
{
	hc6(nr, (uintptr_t)msg, strlen(msg), (uintptr_t)file, strlen(file), (uint64_t)line);
	/* Only reached if the VMM refused the report: end the run anyway. */
	outl(PORT_VMM_EXIT, EXIT_GUEST_CRASH);
	halt_forever();
}

/* The ABI the VMM speaks is in boot info, which it filled: the same
 * answer HC_ABI_VERSION gives (tests/guest/hypercall.c checks they agree),
 * without an exit at every boot. */
void hc_check_abi(void)
{
	if (boot_info->abi_major != HC_ABI_MAJOR) {
		printf("unikernel: hypercall ABI mismatch: the VMM speaks %u.%u, this kernel %d.%d\n",
		       boot_info->abi_major, boot_info->abi_minor, HC_ABI_MAJOR, HC_ABI_MINOR);
		outl(PORT_VMM_EXIT, EXIT_ABI_MISMATCH);
		halt_forever();
	}
}
