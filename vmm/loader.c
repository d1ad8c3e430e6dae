/*
 * The image loader: a raw disk image whose first sector is a boot sector,
 * copied whole to BOOT_LOAD_GPA as if a BIOS had read every sector of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

/* Conventional memory ends at 0xA0000 (VGA): a BIOS loader cannot put the
 * image above it either, so both worlds accept the same images. */
#define CONVENTIONAL_END 0xa0000u

/* Read up to len bytes; returns bytes read or -1. */
static ssize_t read_full(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int load_image(const struct guest_mem *m, const char *path)
{
	uint64_t end = m->size < CONVENTIONAL_END ? m->size : CONVENTIONAL_END;
	size_t max = (size_t)(end - BOOT_LOAD_GPA);
	uint8_t *dst = guest_ptr(m, BOOT_LOAD_GPA, max);
	uint8_t extra;
	struct stat st;

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		vmm_log("image '%s': cannot open: %s", path, strerror(errno));
		return -1;
	}
	/* Read one byte past the limit rather than trust st_size, so pipes
	 * and files that grow are judged by what was actually read. */
	ssize_t n = read_full(fd, dst, max);
	ssize_t more = n < 0 ? n : read_full(fd, &extra, 1);
	int err = errno;
	long long size = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
	close(fd);

	if (n < 0 || more < 0) {
		vmm_log("image '%s': cannot read: %s", path, strerror(err));
		return -1;
	}
	if (more > 0) {
		char known[40] = "";
		if (size >= 0)
			snprintf(known, sizeof known, " (%lld bytes)", size);
		vmm_log("image '%s': too large%s: it must fit between 0x%x and 0x%llx, "
			"at most %zu bytes", path, known, BOOT_LOAD_GPA, (unsigned long long)end, max);
		return -1;
	}
	if (n == 0) {
		vmm_log("image '%s': empty file, expected a boot sector", path);
		return -1;
	}
	if (n < 512) {
		vmm_log("image '%s': %zd bytes, shorter than one 512-byte boot sector", path, n);
		return -1;
	}
	if (dst[510] != 0x55 || dst[511] != 0xaa) {
		vmm_log("image '%s': no boot signature (bytes 510-511 are 0x%02x 0x%02x, "
			"expected 0x55 0xaa)", path, dst[510], dst[511]);
		return -1;
	}
	return 0;
}
