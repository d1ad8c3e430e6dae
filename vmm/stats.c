/*
 * --stats: exit counts by reason as the VMM saw them, and a few of KVM's own
 * vCPU counters (KVM_GET_STATS_FD), which also count the exits KVM handled
 * without us (on kvm_pvm, every emulated instruction).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hc_dispatch.h"
#include "vmm.h"

#define MAX_REASON 64

static uint64_t exits[MAX_REASON + 1];    /* the last slot counts the rest */
static uint64_t hypercalls[HC_NR_MAX + 1]; /* likewise */

void stats_exit(uint32_t reason)
{
	exits[reason < MAX_REASON ? reason : MAX_REASON]++;
}

void stats_hypercall(uint32_t nr)
{
	hypercalls[nr < HC_NR_MAX ? nr : HC_NR_MAX]++;
}

/* The KVM counters worth a line; others exist (see PLATFORM.md). */
static const char *const kvm_names[] = {
	"exits", "io_exits", "mmio_exits", "halt_exits", "signal_exits",
	"insn_emulation", "insn_emulation_fail", "pf_fixed", "hypercalls",
};

/* Opened during set-up: the sandbox then allows reading it, and no more. */
void stats_open(struct vm *vm)
{
	vm->stats_fd = ioctl(vm->vcpu_fd, KVM_GET_STATS_FD, 0);
}

/* Where KVM's counter `name` is in the stats fd, false if it has none. */
bool stats_kvm_offset(const struct vm *vm, const char *name, uint64_t *off)
{
	struct kvm_stats_header h;
	int fd = vm->stats_fd;
	bool found = false;

	if (fd < 0 || pread(fd, &h, sizeof h, 0) != sizeof h)
		return false;
	size_t dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	char *d = malloc(dsize * h.num_desc);
	if (d && pread(fd, d, dsize * h.num_desc, h.desc_offset) == (ssize_t)(dsize * h.num_desc)) {
		for (uint32_t i = 0; i < h.num_desc && !found; i++) {
			const struct kvm_stats_desc *s = (const void *)(d + i * dsize);
			if (!strcmp(s->name, name)) {
				*off = h.data_offset + s->offset;
				found = true;
			}
		}
	}
	free(d);
	return found;
}

static void print_kvm_stats(const struct vm *vm)
{
	if (vm->stats_fd < 0) {
		vmm_log("stats: no KVM vCPU stats (KVM_GET_STATS_FD unsupported)");
		return;
	}
	for (size_t k = 0; k < sizeof kvm_names / sizeof kvm_names[0]; k++) {
		uint64_t off, v;
		if (stats_kvm_offset(vm, kvm_names[k], &off) &&
		    pread(vm->stats_fd, &v, sizeof v, (off_t)off) == sizeof v)
			vmm_log("stats:   kvm %-20s %llu", kvm_names[k], (unsigned long long)v);
	}
}

void stats_print(const struct vm *vm)
{
	vmm_log("stats: KVM: %s", vm->host.name);
	vmm_log("stats: VMM exits by reason:");
	for (uint32_t i = 0; i <= MAX_REASON; i++)
		if (exits[i])
			vmm_log("stats:   %-20s %llu", i < MAX_REASON ? exit_reason_name(i) : "other",
				(unsigned long long)exits[i]);
	for (uint32_t i = 0; i <= HC_NR_MAX; i++)
		if (hypercalls[i])
			vmm_log("stats:   hypercall %-14s %llu",
				hc_name(i) ? hc_name(i) : i < HC_NR_MAX ? "unknown" : "out of range",
				(unsigned long long)hypercalls[i]);
	const struct views_stats *v = &vm->views.stats;
	if (v->switched + v->same + v->refused)
		vmm_log("stats: VMFUNC %llu caught as emulation failures, %llu by HC_VMFUNC "
			"(%llu of them a refused one asked again): "
			"%llu switched view, %llu to the live view, %llu refused (bad leaf or "
			"index), %llu #UD injected; %llu host operations (mmap or memslot ioctl), "
			"%.2f us a switch",
			(unsigned long long)vm->vmfunc_exits,
			(unsigned long long)hypercalls[HC_VMFUNC], (unsigned long long)v->echoed,
			(unsigned long long)v->switched, (unsigned long long)v->same,
			(unsigned long long)v->refused, (unsigned long long)vm->vmfunc_ud,
			(unsigned long long)v->host_ops,
			v->switched ? (double)v->switch_ns / (double)v->switched / 1000 : 0.0);
	print_kvm_stats(vm);
}
