/*
 * Guest RAM: one memfd mapped MAP_SHARED at one host address. A memfd (not
 * anonymous memory) so parts of the guest's view can later be switched by
 * mapping other offsets of it over a range with MAP_FIXED; MAP_SHARED so
 * guest writes land in the file. Pages are allocated on first touch: no
 * MAP_POPULATE, no memset. RAM is followed by a reserved, inaccessible
 * guard as large as itself: the sandbox lets a view switch map at most
 * RAM's size at an address inside RAM, so what such a map can reach is
 * RAM and its guard, never the VMM's other memory.
 *
 * RAM starts on a 2 MiB boundary of the host address space, as GPA 0 is
 * on one of the guest's: KVM maps a guest 2 MiB page with one 2 MiB entry
 * only where the host address is aligned alike and the host page itself
 * is huge (Linux, arch/x86/kvm/mmu: the host mapping level bounds the
 * SPTE's). --huge-pages asks for such host pages: thp, shmem transparent
 * huge pages (madvise; the host's shmem_enabled must allow it), or
 * hugetlb, a memfd of 2 MiB hugetlbfs pages (reserved up front from
 * vm.nr_hugepages). Where the host refuses, the VMM says why and stops:
 * a silent fallback to 4 KiB pages would measure the wrong thing.
 *
 * RAM is mapped through a second open file of the memfd (reopened by its
 * /proc/self/fd link), and view switches map through the memfd itself.
 * Mappings of different open files never merge, so a view range, once
 * split out of RAM's mapping, stays a mapping of its own: switching it
 * again replaces exactly that mapping. Were they one file, switching a
 * range back would merge it into RAM's mapping, and the next switch would
 * split it out again. Splitting a mapping inside a 2 MiB-aligned block of
 * it makes Linux (6.1: __vma_adjust_trans_huge -> __split_huge_pmd) tell
 * KVM's MMU notifier to drop the whole 2 MiB block, huge page or not:
 * every entry KVM had there, refaulted one by one (tools/inside-kvm/kvm-mmu-map.sh
 * shows it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

#define HUGE_2M (2ull << 20)
/* <linux/memfd.h> (HUGETLB_FLAG_ENCODE_2MB: log2(2M) << 26) clashes with
 * glibc's MFD_* in <sys/mman.h>, which lacks this one. */
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21u << 26)
#endif
#define SHMEM_THP "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/* The first line of a small host file, for a message; "" if unreadable. */
static void read_line(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = fd < 0 ? -1 : read(fd, buf, n - 1);

	if (fd >= 0)
		close(fd);
	buf[r > 0 ? r : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

/* Whether the host lets shmem (our memfd) have transparent huge pages
 * where madvise asks: shmem_enabled reads "always within_size advise
 * [never] deny force" with the mode in brackets. */
static int shmem_thp_allowed(void)
{
	char mode[128];

	read_line(SHMEM_THP, mode, sizeof mode);
	if (!*mode) {
		vmm_log("--huge-pages=thp: cannot read %s: this kernel has no shmem THP", SHMEM_THP);
		return -1;
	}
	if (strstr(mode, "[never]") || strstr(mode, "[deny]")) {
		vmm_log("--huge-pages=thp: the host gives shmem no huge pages (%s: %s); as root: "
			"echo advise > %s", SHMEM_THP, mode, SHMEM_THP);
		return -1;
	}
	return 0;
}

/* Why a hugetlb memfd could not be sized or mapped: the pool's state. */
static void hugetlb_refused(const char *call, uint64_t size, int err)
{
	char line[256];
	long free_pages = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "HugePages_Free: %ld", &free_pages) == 1)
			break;
	if (f)
		fclose(f);
	vmm_log("--huge-pages=hugetlb: %s of %llu 2 MiB pages failed: %s (the host has %ld free, "
		"HugePages_Free in /proc/meminfo; as root: sysctl vm.nr_hugepages=N)", call,
		(unsigned long long)(size / HUGE_2M), strerror(err), free_pages);
}

/* A step of making RAM failed with err: for hugetlb, the pool's state is
 * the likely reason; otherwise what was asked of which call. */
static void ram_failed(enum huge_pages huge, const char *call, const char *what, uint64_t size,
		       int err)
{
	if (huge == HUGE_PAGES_HUGETLB)
		hugetlb_refused(call, size, err);
	else
		vmm_log("cannot %s: %s: %s", what, call, strerror(err));
}

static int ram_fd(uint64_t size, enum huge_pages huge)
{
	if (huge == HUGE_PAGES_HUGETLB && size % HUGE_2M) {
		vmm_log("--huge-pages=hugetlb: guest RAM of %llu bytes is not a multiple of 2M",
			(unsigned long long)size);
		return -1;
	}
	if (huge == HUGE_PAGES_THP && shmem_thp_allowed() < 0)
		return -1;
	unsigned flags = MFD_CLOEXEC | (huge == HUGE_PAGES_HUGETLB ? MFD_HUGETLB | MFD_HUGE_2MB : 0);
	int fd = memfd_create("vmm-guest-ram", flags);
	if (fd < 0) {
		vmm_log("cannot create guest RAM: memfd_create%s: %s",
			huge == HUGE_PAGES_HUGETLB ? " (MFD_HUGETLB, 2 MiB pages)" : "", strerror(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		char what[64];
		snprintf(what, sizeof what, "size guest RAM to %llu bytes", (unsigned long long)size);
		ram_failed(huge, "ftruncate", what, size, errno);
		close(fd);
		return -1;
	}
	return fd;
}

/* A second open file of the memfd, for RAM's own mapping. */
static int reopen(int fd)
{
	char path[40];

	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	int again = open(path, O_RDWR | O_CLOEXEC);
	if (again < 0)
		vmm_log("cannot reopen guest RAM's memfd as %s (RAM and view switches map it "
			"through two open files): %s", path, strerror(errno));
	return again;
}

int mem_create(struct guest_mem *m, uint64_t size, enum huge_pages huge)
{
	int fd = ram_fd(size, huge);
	if (fd < 0)
		return -1;
	int main_fd = reopen(fd);
	if (main_fd < 0) {
		close(fd);
		return -1;
	}
	/* RAM, its guard, and the slack to put RAM on a 2 MiB boundary. */
	uint8_t *r = mmap(NULL, 2 * size + HUGE_2M, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	void *p = r;
	if (r != MAP_FAILED) {
		uint8_t *at = r + (-(uintptr_t)r & (HUGE_2M - 1));
		p = mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, main_fd, 0);
	}
	int err = errno;
	close(main_fd); /* the mapping holds its file */
	if (p == MAP_FAILED) {
		char what[64];
		snprintf(what, sizeof what, "map %llu bytes of guest RAM", (unsigned long long)size);
		ram_failed(huge, "mmap", what, size, err);
		close(fd);
		return -1;
	}
	if (huge == HUGE_PAGES_THP && madvise(p, size, MADV_HUGEPAGE) < 0) {
		vmm_log("--huge-pages=thp: madvise(MADV_HUGEPAGE) on guest RAM: %s", strerror(errno));
		close(fd);
		return -1;
	}
	*m = (struct guest_mem){ .host = p, .size = size, .fd = fd,
				 .page = huge == HUGE_PAGES_HUGETLB ? HUGE_2M : 4096,
				 .thp = huge == HUGE_PAGES_THP };
	return 0;
}
