/*
 * The hypercall doorbell: `out dx, eax` on PORT_HC_DOORBELL with EAX = GPA
 * of a struct hc. Checks the block, hands a copy to the service
 * (hypercall.c), writes back only ret, and carries out EXIT/ABORT/ASSERT.
 *
 * A bad block: a misaligned one inside RAM still has a ret field we can
 * write, so the guest gets -EINVAL there and goes on (logged the first
 * time only, so a looping guest cannot flood stderr). A block not wholly
 * inside RAM has nowhere to put an answer: the guest cannot be told, so
 * the run ends with 123 and the message. EAX is 32 bits, so "below 4 GiB"
 * holds by construction.
 */
#include <string.h>

#include "hc_dispatch.h"
#include "vmm.h"

static int doorbell(struct vm *vm, uint16_t port, bool out, unsigned size, uint8_t *data)
{
	static bool misaligned_logged;
	uint32_t gpa;

	if (!out || size != 4) {
		vmm_log("hypercall doorbell 0x%x takes a 32-bit out of a block's GPA, got %s of "
			"size %u at RIP 0x%llx (stage %s)", port, out ? "out" : "in", size,
			(unsigned long long)vcpu_rip(vm), stage_describe());
		return EXIT_GUEST_CRASH;
	}
	memcpy(&gpa, data, 4);
	uint8_t *blk = guest_ptr(&vm->mem, gpa, sizeof(struct hc));
	if (!blk) {
		vmm_log("bad hypercall block at GPA 0x%x (outside RAM, which ends at 0x%llx) at "
			"RIP 0x%llx (stage %s): no ret to report it in", gpa,
			(unsigned long long)vm->mem.size, (unsigned long long)vcpu_rip(vm),
			stage_describe());
		return EXIT_GUEST_CRASH;
	}
	if (gpa & 7) {
		if (!misaligned_logged)
			vmm_log("bad hypercall block at GPA 0x%x (misaligned) at RIP 0x%llx "
				"(stage %s): ret = -EINVAL (logged once)", gpa,
				(unsigned long long)vcpu_rip(vm), stage_describe());
		misaligned_logged = true;
		int64_t einval = -HC_EINVAL;
		memcpy(blk + offsetof(struct hc, ret), &einval, sizeof einval);
		return RUN_CONTINUE;
	}

	struct hc h;
	struct hc_env env = { .mem = &vm->mem, .boot_info = &vm->boot_info,
			      .console = console_write, .views = &vm->views };
	memcpy(&h, blk, sizeof h);
	stats_hypercall(h.nr);
	struct hc_outcome o = hc_dispatch(&env, &h);
	memcpy(blk + offsetof(struct hc, ret), &h.ret, sizeof h.ret);
	vmm_trace("hypercall %u (%s) ret %lld", h.nr, hc_name(h.nr) ? hc_name(h.nr) : "unknown",
		  (long long)h.ret);

	if (o.action == HC_STOP_EXIT)
		return guest_exit_status(vm, o.status);
	/* The guest's text goes first, as it names the place; RIP and stage
	 * still say where the call came from (file and line may be wrong). */
	if (o.action == HC_STOP_ABORT) {
		vmm_log("guest abort at %s (RIP 0x%llx, stage %s)", o.text,
			(unsigned long long)vcpu_rip(vm), stage_describe());
		dump_regs(vm);
		return EXIT_GUEST_CRASH;
	}
	if (o.action == HC_STOP_HOST) {
		vmm_log("hypercall %s at RIP 0x%llx (stage %s) failed in the VMM: %s", hc_name(h.nr),
			(unsigned long long)vcpu_rip(vm), stage_describe(), o.text);
		return EXIT_VMM_FAILED;
	}
	if (o.action == HC_STOP_ASSERT) {
		vmm_log("guest assertion failed at %s (RIP 0x%llx, stage %s)", o.text,
			(unsigned long long)vcpu_rip(vm), stage_describe());
		return 1;
	}
	return RUN_CONTINUE;
}

void doorbell_register(void)
{
	io_register(PORT_HC_DOORBELL, 1, doorbell);
}
