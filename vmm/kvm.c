/*
 * KVM: open /dev/kvm, check the API and the capabilities the VMM relies on,
 * create the VM with its RAM slot and turn off the quirk that can hang it.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm.h"

/* Real mode on Intel hosts without unrestricted guest needs three pages
 * for a TSS outside RAM: QEMU's address, below 4 GiB, above our 3 GiB max.
 * (The EPT identity map KVM then also needs defaults to the page below.) */
#define TSS_GPA 0xfffbd000u

static const struct {
	int cap;
	const char *name, *why;
} required[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "setting the guest CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "stopping a running guest" },
};

/* KVM_X86_QUIRK_FIX_HYPERCALL_INSN rewrites VMCALL/VMMCALL for the host
 * CPU's vendor; on some hosts (kvm_pvm) that repeats forever and the vCPU
 * hangs. Off, the instruction is a plain #UD in the guest. */
static void disable_vmcall_quirk(struct vm *vm)
{
	int mask = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2);

	if (mask <= 0 || !(mask & KVM_X86_QUIRK_FIX_HYPERCALL_INSN)) {
		vmm_trace("KVM cannot disable the VMCALL quirk: VMCALL at CPL0 may hang");
		return;
	}
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_DISABLE_QUIRKS2,
		.args = { KVM_X86_QUIRK_FIX_HYPERCALL_INSN },
	};
	vm->vmcall_ud = ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) == 0;
	vmm_trace("VMCALL quirk %s: VMCALL at CPL0 %s", vm->vmcall_ud ? "disabled" : "left on",
		  vm->vmcall_ud ? "is #UD" : "may hang");
}

/* Which KVM this is: the vendor module the kernel lists (built-in ones
 * with parameters are listed too), else the host CPU's vendor. What differs
 * between them is measured (docs/worlds.md, "KVMs differ"): here only what the VMM
 * must know to report the same thing on each. */
static struct kvm_host kvm_identify(void)
{
	static const char *const modules[] = { "kvm_pvm", "kvm_intel", "kvm_amd" };
	char path[64];
	unsigned a, b, c, d;
	char vendor[13] = "";

	for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
		snprintf(path, sizeof path, "/sys/module/%s", modules[i]);
		if (access(path, F_OK) == 0)
			return (struct kvm_host){ modules[i], i == 0 };
	}
	if (__get_cpuid(0, &a, &b, &c, &d)) {
		memcpy(vendor, &b, 4), memcpy(vendor + 4, &d, 4), memcpy(vendor + 8, &c, 4);
		if (!strcmp(vendor, "GenuineIntel"))
			return (struct kvm_host){ "kvm_intel", false };
		if (!strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine"))
			return (struct kvm_host){ "kvm_amd", false };
	}
	return (struct kvm_host){ "kvm", false };
}

int kvm_setup(struct vm *vm)
{
	/* VMM_KVM_DEVICE is for tests only (docs/vmm.md): a device that is not KVM. */
	const char *dev = getenv("VMM_KVM_DEVICE") ? getenv("VMM_KVM_DEVICE") : "/dev/kvm";

	vm->kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		vmm_log("cannot open %s: %s (is KVM enabled, and may this user use it?)", dev,
			strerror(errno));
		return -1;
	}
	timeline_mark(PHASE_KVM_OPEN);
	vm->host = kvm_identify();
	vmm_trace("KVM: %s (RIP at an OUT exit: %s the instruction)", vm->host.name,
		  vm->host.rip_past_out ? "past" : "at");
	int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api < 0) {
		vmm_log("%s is not KVM: KVM_GET_API_VERSION: %s", dev, strerror(errno));
		return -1;
	}
	if (api != KVM_API_VERSION) {
		vmm_log("%s speaks KVM API version %d, this VMM needs %d", dev, api, KVM_API_VERSION);
		return -1;
	}
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, required[i].cap) <= 0) {
			vmm_log("KVM lacks %s, needed for %s", required[i].name, required[i].why);
			return -1;
		}
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		vmm_log("KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	timeline_mark(PHASE_VM);
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, TSS_GPA) < 0) {
		vmm_log("KVM_SET_TSS_ADDR 0x%x: %s", TSS_GPA, strerror(errno));
		return -1;
	}
	disable_vmcall_quirk(vm);

	struct kvm_userspace_memory_region slot = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->mem.size,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem.host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		vmm_log("KVM_SET_USER_MEMORY_REGION (%llu bytes at GPA 0): %s",
			(unsigned long long)vm->mem.size, strerror(errno));
		return -1;
	}
	timeline_mark(PHASE_MEMSLOT);
	return 0;
}
