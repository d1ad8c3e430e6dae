/*
 * Port I/O: devices register a port range and a handler; a KVM_EXIT_IO is
 * routed to the range holding its port. Anything unclaimed is a guest bug.
 */
#include <stdlib.h>

#include "vmm.h"

#define MAX_RANGES 8

static struct port_range {
	uint16_t first, count;
	port_fn fn;
} ranges[MAX_RANGES];
static unsigned nranges;

void io_register(uint16_t first, uint16_t count, port_fn fn)
{
	/* Registration is fixed wiring done at start-up: running out of
	 * slots is a programming error, caught the first time the VMM runs. */
	if (nranges == MAX_RANGES)
		abort();
	ranges[nranges++] = (struct port_range){ first, count, fn };
}

int io_exit(struct vm *vm)
{
	struct kvm_run *r = vm->run;
	bool out = r->io.direction == KVM_EXIT_IO_OUT;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;

	for (unsigned i = 0; i < nranges; i++) {
		if ((uint16_t)(r->io.port - ranges[i].first) >= ranges[i].count)
			continue;
		/* `rep outs`/`rep ins` may arrive as count items of size bytes
		 * each, laid out back to back; each is one device access. */
		for (uint32_t k = 0; k < r->io.count; k++) {
			int st = ranges[i].fn(vm, r->io.port, out, r->io.size,
					      data + (size_t)k * r->io.size);
			if (st != RUN_CONTINUE)
				return st;
		}
		return RUN_CONTINUE;
	}
	vmm_log("unknown port 0x%x (%s, size %u) at RIP 0x%llx (stage %s)", r->io.port,
		out ? "out" : "in", r->io.size, (unsigned long long)vcpu_rip(vm), stage_describe());
	return EXIT_GUEST_CRASH;
}
