/*
 * libFuzzer harness for guest_ptr() (vmm/guest_mem.c), the one range check
 * between every guest-supplied (GPA, length) and host memory.
 *
 * Input: a RAM size (2 bytes, up to 64 KiB) then (gpa, len) pairs of
 * 2 x 8 bytes, little endian. RAM is malloc'd exactly that size, so ASan
 * traps any byte of an answer outside it. What must hold, for every pair:
 * guest_ptr() returns host + gpa exactly when [gpa, gpa + len) lies inside
 * [0, size), computed here in 128 bits so nothing can wrap, else NULL.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "guest_mem.h"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint64_t ram = (uint64_t)data[0] | (uint64_t)data[1] << 8;
	/* malloc(0) may return NULL; one byte then, and size 0 still. */
	struct guest_mem m = { .host = malloc(ram ? ram : 1), .size = ram, .fd = -1 };
	assert(m.host);

	for (size_t off = 2; off + 16 <= size; off += 16) {
		uint64_t gpa = le64(data + off), len = le64(data + off + 8);
		volatile uint8_t *p = guest_ptr(&m, gpa, len);
		bool inside = (unsigned __int128)gpa + len <= ram;

		assert(inside == (p != NULL));
		if (!p)
			continue;
		assert(p == m.host + gpa);
		/* Touch both ends: ASan faults if either is outside the RAM. */
		if (len) {
			p[0] = 1;
			p[len - 1] = 2;
		}
	}
	free(m.host);
	return 0;
}
