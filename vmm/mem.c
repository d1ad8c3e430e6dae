/*
 * Guest RAM: one memfd mapped MAP_SHARED at one host address. A memfd (not
 * anonymous memory) so parts of the guest's view can later be switched by
 * mapping other offsets of it over a range with MAP_FIXED; MAP_SHARED so
 * guest writes land in the file. Pages are allocated on first touch: no
 * MAP_POPULATE, no memset.
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
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		vmm_log("cannot map %llu bytes of guest RAM: mmap: %s",
			(unsigned long long)size, strerror(errno));
		close(fd);
		return -1;
	}
	*m = (struct guest_mem){ .host = p, .size = size, .fd = fd };
	return 0;
}
