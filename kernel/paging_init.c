/*
 * paging_init(): the boot stub identity-maps only the first 1 GiB; map the
 * rest of RAM the same way, so every page kernel_pmm hands out is reachable
 * at its physical address. 2 MiB leaves written a table at a time
 * (pt_map_range), so even a large guest costs one store per 2 MiB.
 */
#include "paging.h"
#include "bootinfo.h"
#include "lib.h"
#include "printf.h"

#define STUB_IDMAP_END BOOT_IDMAP_BYTES

/* Identity-map the 2 MiB pages that [base, end) touches above the stub's map. */
static int map_ram(uint64_t base, uint64_t end)
{
	base = ALIGN_DOWN(base, PT_SIZE_2M);
	end = ALIGN_UP(end, PT_SIZE_2M);
	if (base < STUB_IDMAP_END)
		base = STUB_IDMAP_END;
	if (end <= base)
		return 0;
	return pt_map_range(pt_root(), base, base, end - base, PT_W);
}

int paging_init(const struct boot_info *bi)
{
	uint64_t top = 0;
	uint32_t n = bi->e820_count < BOOT_E820_MAX ? bi->e820_count : BOOT_E820_MAX;
	int err = 0;

	/* ram_size is the top of RAM (bootinfo.h; under a BIOS from the E820
	 * map): within the stub's map, there is nothing to add. */
	if (bi->ram_size && bi->ram_size <= STUB_IDMAP_END)
		return 0;
	for (uint32_t i = 0; i < n && !err; i++) {
		const struct e820_entry *e = &bi->e820[i];
		uint64_t end = e->base + e->len;

		if (e->type != E820_RAM || end < e->base)
			continue;
		err = map_ram(e->base, end);
		if (end > top)
			top = end;
	}
	/* No memory map: trust ram_size (RAM from 0 up, as our VMM gives). */
	if (!err && top == 0 && bi->ram_size)
		err = map_ram(0, top = bi->ram_size);
	if (err) {
		printf("paging: identity map above 1 GiB failed: %s\n", pt_strerror(err));
		return err;
	}
	if (top > STUB_IDMAP_END)
		printf("paging: identity map extended to 0x%lx\n", ALIGN_UP(top, PT_SIZE_2M));
	return 0;
}
