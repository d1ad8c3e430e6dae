/*
 * The image loader: a raw disk image whose first sector is a boot sector,
 * copied whole to BOOT_LOAD_GPA as if a BIOS had read every sector of it.
 * It must end below BOOT_EBDA_GPA, where the memory map we report stops
 * calling base memory RAM: a BIOS loader cannot put it above either, so
 * both worlds accept the same images.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

/* Up to len bytes; returns bytes read, or -1 with errno. EINTR: a stop
 * (--timeout, SIGINT...) came, typically while a pipe or FIFO had nothing
 * to give; checked before each read too, as the signal may come between. */
static ssize_t read_full(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		if (stop_signal()) {
			errno = EINTR;
			return -1;
		}
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

/* A regular file is copied into RAM's memfd by sendfile(): the kernel
 * writes its page cache directly, so we take no page fault for it, and a
 * page of the image that the guest never touches is never mapped. A boot
 * touches few of the image's pages, and on a PVM host each fault costs
 * about 10 us. Returns bytes copied, -1 with errno on an I/O error, or -2
 * where this is not for this RAM or file (not a regular file; no memfd;
 * THP, or hugetlbfs, which takes no write()): the caller reads instead. */
static ssize_t copy_to_ram(int fd, const struct guest_mem *m, size_t len)
{
	struct stat st;
	size_t got = 0;

	if (m->fd < 0 || m->thp || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    lseek(m->fd, BOOT_LOAD_GPA, SEEK_SET) != BOOT_LOAD_GPA)
		return -2;
	while (got < len) {
		ssize_t n = sendfile(m->fd, fd, NULL, len - got);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return got == 0 && (errno == EINVAL || errno == ENOSYS) ? -2 : -1;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Opening a FIFO blocks until a writer comes: only a stop ends the wait
 * (-1 with errno EINTR, as read_full). */
static int open_image(const char *path)
{
	for (;;) {
		if (stop_signal()) {
			errno = EINTR;
			return -1;
		}
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 || errno != EINTR)
			return fd;
	}
}

/* A failed open or read ("open", "read"): a stop that cut the wait short
 * is no fault of the file's, and ends the run with the stop's status. */
static void io_failed(const char *path, const char *what, int err)
{
	if (err == EINTR && stop_signal())
		vmm_log("image '%s': %s while waiting to %s it: the guest never ran", path,
			stop_describe(), what);
	else
		vmm_log("image '%s': cannot %s: %s", path, what, strerror(err));
}

int load_image(const struct guest_mem *m, const char *path)
{
	uint64_t end = m->size < BOOT_EBDA_GPA ? m->size : BOOT_EBDA_GPA;
	size_t max = (size_t)(end - BOOT_LOAD_GPA);
	uint8_t *dst = guest_ptr(m, BOOT_LOAD_GPA, max);
	uint8_t extra;
	struct stat st;

	int fd = open_image(path);
	if (fd < 0) {
		io_failed(path, "open", errno);
		return -1;
	}
	/* Read one byte past the limit rather than trust st_size, so pipes
	 * and files that grow are judged by what was actually read. */
	ssize_t n = copy_to_ram(fd, m, max);
	if (n == -2)
		n = read_full(fd, dst, max);
	ssize_t more = n < 0 ? n : read_full(fd, &extra, 1);
	int err = errno;
	long long size = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
	close(fd);

	if (n < 0 || more < 0) {
		io_failed(path, "read", err);
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
