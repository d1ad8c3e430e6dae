/*
 * Guest RAM: one memfd mapped MAP_SHARED at one host address. A memfd (not
 * anonymous memory) so parts of the guest's view can later be switched by
 * mapping other offsets of it over a range with MAP_FIXED; MAP_SHARED so
 * guest writes land in the file. Pages are allocated on first touch: no
 * MAP_POPULATE, no memset. RAM is followed by a reserved, inaccessible
 * guard as large as itself: the sandbox lets a view switch map at most
 * RAM's size at an address inside RAM, so what such a map can reach is
 * RAM and its guard, never the VMM's other memory.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

int mem_create(struct guest_mem *m, uint64_t size)
{
	int fd = memfd_create("vmm-guest-ram", MFD_CLOEXEC);
	if (fd < 0) {
		vmm_log("cannot create guest RAM: memfd_create: %s", strerror(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		vmm_log("cannot size guest RAM to %llu bytes: ftruncate: %s",
			(unsigned long long)size, strerror(errno));
		close(fd);
		return -1;
	}
	void *p = mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (p != MAP_FAILED)
		p = mmap(p, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		vmm_log("cannot map %llu bytes of guest RAM: mmap: %s",
			(unsigned long long)size, strerror(errno));
		close(fd);
		return -1;
	}
	*m = (struct guest_mem){ .host = p, .size = size, .fd = fd };
	return 0;
}
