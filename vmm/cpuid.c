/*
 * The CPUID table KVM supports (KVM_GET_SUPPORTED_CPUID), for the guest.
 *
 * KVM builds it by running CPUID on the host for every leaf, about 80
 * times. Where the host is itself a guest, each CPUID exits to the
 * hypervisor below it: on our kvm_pvm hosts the one ioctl took ~450 us, a
 * sixth of a whole boot (docs/bench.md). Its answer depends only on the
 * host kernel and the KVM module loaded in it, so it is kept in a file
 * keyed by both: the kernel's boot id, and the inode of the vendor
 * module's /sys/module directory, which a module reload makes anew (with
 * new parameters, say). A cached table is used only when both match and
 * the file is whole; anything else asks KVM again and rewrites the file.
 *
 * The file: $XDG_CACHE_HOME/vmm/kvm-cpuid, or ~/.cache/vmm/kvm-cpuid.
 * Where it cannot be read or written the VMM asks KVM every time, and
 * says so under --trace; that costs time, never correctness.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

#define MAX_ENTRIES 256 /* KVM's KVM_MAX_CPUID_ENTRIES */

struct cache_key {
	char boot_id[40];     /* /proc/sys/kernel/random/boot_id, NUL-padded */
	uint64_t module_ino;  /* /sys/module/<vendor module> */
};

struct cache_head {
	char magic[8];        /* "VMMCPUID" */
	uint32_t version;     /* 1 */
	uint32_t nent;
	struct cache_key key;
};

static size_t table_size(uint32_t nent)
{
	return sizeof(struct kvm_cpuid2) + nent * sizeof(struct kvm_cpuid_entry2);
}

static bool cache_key(const struct vm *vm, struct cache_key *k)
{
	char path[64];
	struct stat st;

	memset(k, 0, sizeof *k);
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, k->boot_id, sizeof k->boot_id - 1);
	close(fd);
	snprintf(path, sizeof path, "/sys/module/%s", vm->host.name);
	if (n < 32 || stat(path, &st) < 0)
		return false;
	k->module_ino = st.st_ino;
	return true;
}

static bool cache_path(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && *xdg)
		n = snprintf(buf, len, "%s/vmm/kvm-cpuid", xdg);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.cache/vmm/kvm-cpuid", home);
	else
		return false;
	return n > 0 && (size_t)n < len;
}

/* The cached table, if the file is whole and of this boot and module. */
static struct kvm_cpuid2 *cache_read(const char *path, const struct cache_key *k)
{
	struct cache_head h;
	struct kvm_cpuid2 *c = NULL;

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (read(fd, &h, sizeof h) == sizeof h && !memcmp(h.magic, "VMMCPUID", 8) &&
	    h.version == 1 && h.nent > 0 && h.nent <= MAX_ENTRIES &&
	    !memcmp(&h.key, k, sizeof *k) && (c = calloc(1, table_size(h.nent)))) {
		size_t want = h.nent * sizeof c->entries[0];
		char extra;
		c->nent = h.nent;
		if ((size_t)read(fd, c->entries, want) != want || read(fd, &extra, 1) != 0) {
			free(c);
			c = NULL;
		}
	}
	close(fd);
	return c;
}

/* Written whole to a file of its own, then renamed: a reader never sees
 * half a table, and two VMMs writing at once leave one whole file. */
static const char *cache_write(const char *path, const struct cache_key *k,
			       const struct kvm_cpuid2 *c)
{
	struct cache_head h = { .magic = "VMMCPUID", .version = 1, .nent = c->nent, .key = *k };
	char dir[4096], tmp[4160];

	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = 0;
	/* Its parent (~/.cache) may be missing too: one level, then ours. */
	char *up = strrchr(dir, '/');
	if (up && up != dir) {
		*up = 0;
		mkdir(dir, 0700);
		*up = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return strerror(errno);
	snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return strerror(errno);
	size_t body = c->nent * sizeof c->entries[0];
	bool ok = write(fd, &h, sizeof h) == sizeof h &&
		  (size_t)write(fd, c->entries, body) == body;
	const char *why = ok ? NULL : "a short write";
	if (close(fd) < 0 && ok)
		why = strerror(errno);
	if (!why && rename(tmp, path) < 0)
		why = strerror(errno);
	if (why)
		unlink(tmp);
	return why;
}

/* KVM passes through the APIC ID of the host CPU the ioctl ran on (leaf 1
 * EBX[31:24], leaves 0xB and 0x1F EDX): the guest's one vCPU is 0, as on a
 * PC's boot processor, whichever CPU answered (and the kept file is the
 * same whichever did). */
static void apic_id_zero(struct kvm_cpuid2 *c)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 1)
			e->ebx &= 0x00ffffff;
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = 0;
	}
}

static struct kvm_cpuid2 *ask_kvm(const struct vm *vm)
{
	struct kvm_cpuid2 *c = calloc(1, table_size(MAX_ENTRIES));

	if (!c) {
		vmm_log("out of memory for CPUID entries");
		return NULL;
	}
	/* One call does: MAX_ENTRIES is KVM's own limit. */
	c->nent = MAX_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		vmm_log("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		free(c);
		return NULL;
	}
	apic_id_zero(c);
	return c;
}

struct kvm_cpuid2 *cpuid_supported(const struct vm *vm)
{
	struct cache_key k;
	char path[4096];
	struct kvm_cpuid2 *c;

	if (!cache_key(vm, &k) || !cache_path(path, sizeof path)) {
		vmm_trace("CPUID: asking KVM (no boot id, /sys/module/%s or cache directory "
			  "to key a kept table by)", vm->host.name);
		return ask_kvm(vm);
	}
	if ((c = cache_read(path, &k))) {
		vmm_trace("CPUID: KVM's supported table (%u entries) from %s, kept for this boot "
			  "and %s", c->nent, path, vm->host.name);
		return c;
	}
	if (!(c = ask_kvm(vm)))
		return NULL;
	const char *why = cache_write(path, &k, c);
	if (why)
		vmm_trace("CPUID: asked KVM (%u entries); not kept in %s: %s", c->nent, path, why);
	else
		vmm_trace("CPUID: asked KVM (%u entries), kept in %s for this boot and %s",
			  c->nent, path, vm->host.name);
	return c;
}
