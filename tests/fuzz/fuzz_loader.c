/*
 * libFuzzer harness for the image loader, load_image() (vmm/loader.c).
 *
 * Input: one byte choosing the RAM size (the VMM's minimum of 2 MiB, or
 * sizes that end inside base memory, so the "too large" limit and ASan's
 * guard at the end of RAM meet), then the image file's bytes. The image is
 * a memfd, opened by the loader as /proc/self/fd/N like any path.
 *
 * What must hold: load_image() accepts exactly the images of 512 bytes up
 * to the room below min(RAM, EBDA) whose bytes 510-511 are 55 aa, and then
 * RAM from 0x7c00 holds the image; it writes nothing below 0x7c00 or past
 * that room (canary bytes on both sides), nor outside RAM (ASan: RAM is
 * malloc'd exactly its size).
 *
 * Stand-ins, not under test: stop_signal() and stop_describe() belong to
 * the signal handling (watchdog.c, KVM-coupled); here no stop ever comes.
 * vmm_log() is the real vmm/log.c.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

int stop_signal(void)
{
	return 0;
}

const char *stop_describe(void)
{
	return "no stop (fuzz stand-in)";
}

#define CANARY 0xa5
#define GUARD  64

static const uint64_t sizes[] = {
	BOOT_LOAD_GPA + 512, BOOT_LOAD_GPA + 513, BOOT_LOAD_GPA + 4096,
	BOOT_EBDA_GPA - 1, BOOT_EBDA_GPA, 2ull << 20,
};
#define NSIZES (sizeof sizes / sizeof sizes[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram[NSIZES];
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("fuzz-image", MFD_CLOEXEC);
		assert(fd >= 0);
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (size < 1)
		return 0;
	unsigned which = data[0] % NSIZES;
	struct guest_mem m = { .size = sizes[which], .fd = -1 };
	if (!ram[which])
		ram[which] = malloc(sizes[which]);
	m.host = ram[which];
	assert(m.host);
	const uint8_t *img = data + 1;
	size_t n = size - 1;

	assert(ftruncate(fd, 0) == 0);
	assert(pwrite(fd, img, n, 0) == (ssize_t)n);

	uint64_t end = m.size < BOOT_EBDA_GPA ? m.size : BOOT_EBDA_GPA;
	size_t room = end - BOOT_LOAD_GPA;
	size_t after = m.size - end < GUARD ? m.size - end : GUARD;
	memset(m.host + BOOT_LOAD_GPA - GUARD, CANARY, GUARD + room + after);

	int r = load_image(&m, path);

	bool fits = n >= 512 && n <= room && img[510] == 0x55 && img[511] == 0xaa;
	assert((r == 0) == fits);
	if (r == 0)
		assert(!memcmp(m.host + BOOT_LOAD_GPA, img, n));
	for (size_t i = 0; i < GUARD; i++)
		assert(m.host[BOOT_LOAD_GPA - GUARD + i] == CANARY);
	for (size_t i = 0; i < after; i++)
		assert(m.host[end + i] == CANARY);
	return 0;
}
