/*
 * The VMM's own little ports: boot stage markers (PORT_POST, kept by
 * stage.c), the exit port (PORT_VMM_EXIT) and a port that does nothing
 * (PORT_VMM_NULL), the cheapest possible exit, as a benchmark baseline.
 */
#include <stdio.h>
#include <string.h>

#include "vmm.h"

/* The one mapping from a guest-reported status to ours (exit port and the
 * EXIT hypercall): 0-122 pass through, the rest mean the guest crashed. */
int guest_exit_status(const struct vm *vm, uint64_t status)
{
	if (status < EXIT_GUEST_CRASH)
		return (int)status;
	vmm_log("guest reported crash status %llu at RIP 0x%llx (stage %s)",
		(unsigned long long)status, (unsigned long long)vcpu_rip(vm), stage_describe());
	return EXIT_GUEST_CRASH;
}

static int post(struct vm *vm, uint16_t port, bool out, unsigned size, uint8_t *data)
{
	(void)vm, (void)port, (void)size;
	if (!out) {
		*data = 0xff; /* nothing drives the POST bus: floating */
		return RUN_CONTINUE;
	}
	stage_set(*data);
	return RUN_CONTINUE;
}

static int exit_port(struct vm *vm, uint16_t port, bool out, unsigned size, uint8_t *data)
{
	if (!out || size != 4) {
		vmm_log("exit port 0x%x takes a 32-bit out, got %s of size %u at RIP 0x%llx "
			"(stage %s)", port, out ? "out" : "in", size, (unsigned long long)vcpu_rip(vm),
			stage_describe());
		return EXIT_GUEST_CRASH;
	}
	uint32_t status;
	memcpy(&status, data, 4);
	return guest_exit_status(vm, status);
}

static int null_port(struct vm *vm, uint16_t port, bool out, unsigned size, uint8_t *data)
{
	(void)vm, (void)port, (void)out, (void)size, (void)data;
	return RUN_CONTINUE;
}

void devices_register(void)
{
	io_register(PORT_POST, 1, post);
	io_register(PORT_VMM_EXIT, 1, exit_port);
	io_register(PORT_VMM_NULL, 1, null_port);
}
