/*
 * pt_dump_walk(): print a page walk level by level, for tests and for
 * debugging a fault by hand. It reads the tables itself rather than through
 * pt_translate() so it can show exactly where a walk stops.
 */
#include "paging.h"
#include "printf.h"

#include <stdbool.h>

static const char *const level_name[] = { "", "PT  ", "PD  ", "PDPT", "PML4" };

/* The set bits of an entry by name. Bit 7 is PS above level 1, PAT in a PTE. */
static void decode(uint64_t e, int level, char *buf, size_t size)
{
	static const struct { uint64_t bit; const char *name; } bits[] = {
		{ PT_P, "P" }, { PT_W, "W" }, { PT_U, "U" }, { PT_PWT, "PWT" },
		{ PT_PCD, "PCD" }, { PT_A, "A" }, { PT_D, "D" }, { PT_PS, "PS" },
		{ PT_G, "G" }, { PT_NX, "NX" },
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		const char *name = bits[i].name;
		if (!(e & bits[i].bit))
			continue;
		if (bits[i].bit == PT_PS && level == 1)
			name = "PAT";
		int w = snprintf(buf + n, size - n, "%s%s", n ? " " : "", name);
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
}

void pt_dump_walk(uint64_t root, uint64_t va)
{
	uint64_t tpa = root & PT_ADDR_MASK;
	char bits[48];

	printf("walk va %p root %p\n", (void *)va, (void *)root);
	for (int level = 4; level >= 1; level--) {
		int shift = 12 + 9 * (level - 1);
		unsigned idx = (va >> shift) & 511;
		uint64_t e = ((const uint64_t *)(uintptr_t)tpa)[idx];
		bool leaf = level == 1 || (e & PT_PS);

		decode(e, level, bits, sizeof(bits));
		printf("  %s[%3u] %p %-22s", level_name[level], idx, (void *)e, bits);
		if (!(e & PT_P)) {
			printf(" not present: va unmapped\n");
			return;
		}
		if (!leaf) {
			tpa = e & PT_ADDR_MASK;
			printf(" -> table 0x%lx\n", tpa);
			continue;
		}
		uint64_t off = (1ul << shift) - 1;
		uint64_t pa = (e & PT_ADDR_MASK & ~off) | (va & off);
		printf(" -> %s page 0x%lx\n", level == 1 ? "4K" : level == 2 ? "2M" : "1G",
		       e & PT_ADDR_MASK & ~off);
		printf("  => pa 0x%lx\n", pa);
		return;
	}
}
