/*
 * The guest console (COM1 and the CONSOLE_WRITE hypercall) on stdout.
 * Buffered so a guest writing a byte per exit does not cost a syscall per
 * byte, flushed at each newline so it interleaves readably with stderr.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

static char buf[4096];
static size_t used;
static bool broken; /* stdout is gone (EPIPE...): drop output, keep running */

void console_flush(void)
{
	size_t done = 0;

	while (done < used && !broken) {
		ssize_t n = write(STDOUT_FILENO, buf + done, used - done);
		if (n > 0)
			done += (size_t)n;
		else if (n == 0 || errno != EINTR)
			broken = true; /* the guest must not die of its reader's death */
	}
	used = 0;
}

void console_write(const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		size_t k = len < sizeof buf - used ? len : sizeof buf - used;
		memcpy(buf + used, p, k);
		used += k;
		if (used == sizeof buf || memchr(p, '\n', k))
			console_flush();
		p += k;
		len -= k;
	}
}
