/*
 * guest_ptr(), the one gate between guest-supplied (GPA, length) pairs and
 * host memory: edge cases, then 100000 pseudo-random pairs against a
 * 128-bit reference that cannot overflow. No KVM needed.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "guest_mem.h"
#include "tap.h"

/* What guest_ptr must answer, computed without any chance of wrapping. */
static uint8_t *reference(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	return (unsigned __int128)gpa + len <= m->size ? m->host + gpa : NULL;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull; /* fixed seed: reproducible */

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Values that find bugs: near 0, near size, near 2^64, and anything. */
static uint64_t pick(uint64_t size)
{
	uint64_t small = next() % 4096;

	switch (next() % 5) {
	case 0: return small;
	case 1: return size - 2048 + small;
	case 2: return UINT64_MAX - small;
	case 3: return next() % (size + 1);
	}
	return next();
}

static void edges(const struct guest_mem *m, const char *name)
{
	uint64_t s = m->size;
	const struct {
		uint64_t gpa, len;
		bool in;
		const char *what;
	} c[] = {
		{ 0, 0, true, "gpa 0, len 0" },
		{ 0, s, true, "all of RAM" },
		{ 0, s + 1, false, "one byte more than RAM" },
		{ 1, s, false, "RAM-sized buffer at gpa 1" },
		{ s - 1, 1, true, "the last byte" },
		{ s - 1, 2, false, "the last byte and one past" },
		{ s, 0, true, "len 0 at gpa = size" },
		{ s, 1, false, "len 1 at gpa = size" },
		{ s + 1, 0, false, "len 0 past the end" },
		{ 0, SIZE_MAX, false, "len = SIZE_MAX" },
		{ s - 1, UINT64_MAX, false, "last byte, len = 2^64 - 1" },
		{ UINT64_MAX, 0, false, "gpa 2^64 - 1, len 0" },
		{ UINT64_MAX, 1, false, "gpa 2^64 - 1, len 1 (sum wraps to 0)" },
		{ 2, UINT64_MAX - 1, false, "gpa + len wraps to exactly 0" },
		{ 0x1000, UINT64_MAX - 0x800, false, "gpa + len wraps into RAM" },
		{ 1ull << 63, 1ull << 63, false, "2^63 + 2^63 wraps to 0" },
		{ s / 2, s / 2, true, "upper half" },
		{ s / 2, s / 2 + 1, false, "upper half and one more" },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		uint8_t *p = guest_ptr(m, c[i].gpa, c[i].len);
		CHECK(p == (c[i].in ? m->host + c[i].gpa : NULL), "%s: %s", name, c[i].what);
	}
}

static void random_pairs(const struct guest_mem *m, const char *name)
{
	unsigned bad = 0;

	for (int i = 0; i < 100000; i++) {
		uint64_t gpa = pick(m->size), len = pick(m->size);
		if (guest_ptr(m, gpa, len) != reference(m, gpa, len) && bad++ < 5)
			printf("# %s: gpa 0x%llx len 0x%llx: got %p, reference %p\n", name,
			       (unsigned long long)gpa, (unsigned long long)len,
			       guest_ptr(m, gpa, len), (void *)reference(m, gpa, len));
	}
	CHECK(bad == 0, "%s: 100000 random (gpa, len) pairs agree with the 128-bit reference", name);
}

int main(void)
{
	/* Address space only (PROT_NONE): guest_ptr never dereferences. */
	const uint64_t sizes[] = { 4096, 2ull << 20, 64ull << 20, 3ull << 30 };

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		void *p = mmap(NULL, sizes[i], PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		char name[32];
		snprintf(name, sizeof name, "RAM %llu KiB", (unsigned long long)sizes[i] >> 10);
		if (!CHECK(p != MAP_FAILED, "%s: reserve address space", name))
			continue;
		struct guest_mem m = { .host = p, .size = sizes[i], .fd = -1 };
		edges(&m, name);
		random_pairs(&m, name);
		munmap(p, sizes[i]);
	}
	return tap_done();
}
