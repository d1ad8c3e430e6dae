/*
 * The guest console (COM1 and the CONSOLE_WRITE hypercall) on stdout.
 * Buffered so a guest writing a byte per exit does not cost a syscall per
 * byte, flushed at each newline so it interleaves readably with stderr.
 *
 * A slow reader is waited for, even through a non-blocking stdout (EAGAIN:
 * poll). A stop (--timeout, SIGINT...) interrupts a write that waits, and
 * from then on stdout gets only what it takes at once: nothing is left to
 * interrupt a wait for a reader that never reads. A stdout given up (a
 * stop while it is full, EPIPE, EFBIG...) is said once; the guest goes on
 * without it, since it must not die of its reader's death.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

static char buf[4096];
static size_t used;
static bool broken; /* stdout given up: drop output, keep running */

/* Whether stdout takes bytes now, or after waiting up to timeout_ms (-1:
 * for ever). A signal ends the wait early (false): poll() is never
 * restarted. POLLERR and POLLHUP count as ready: write() says what broke. */
static bool stdout_ready(int timeout_ms)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };

	return poll(&p, 1, timeout_ms) > 0;
}

static void give_up(size_t dropped, const char *why)
{
	broken = true; /* before logging: vmm_log() flushes the console */
	used = 0;
	vmm_log("guest console: %s: %zu bytes and all later output dropped (stage %s)", why,
		dropped, stage_describe());
}

void console_flush(void)
{
	size_t done = 0;
	char why[128];

	while (done < used && !broken) {
		/* A stop landing between this check and write() entering
		 * the kernel is missed: a window of a few instructions. */
		if (stop_signal() && !stdout_ready(0)) {
			snprintf(why, sizeof why, "stdout still full when the run stopped (%s)",
				 stop_describe());
			give_up(used - done, why);
			break;
		}
		ssize_t n = write(STDOUT_FILENO, buf + done, used - done);
		if (n > 0) {
			done += (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			stdout_ready(-1); /* O_NONBLOCK stdout: wait, do not drop */
		} else if (n == 0 || errno != EINTR) { /* EINTR: the loop checks for a stop */
			snprintf(why, sizeof why, "write to stdout failed: %s",
				 n == 0 ? "nothing written" : strerror(errno));
			give_up(used - done, why);
			break;
		}
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
