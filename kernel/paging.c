/*
 * Page-table walks and edits: map, map a range, unmap, translate.
 * Dumping lives in paging_dump.c, the boot-time identity map in paging_init.c.
 */
#include "paging.h"
#include "pmm.h"
#include "x86.h"

#include <stdbool.h>

#define PT_ENTRIES   512
#define PT_PAT_4K    (1ul << 7)   /* PAT bit of a 4 KiB PTE ... */
#define PT_PAT_LARGE (1ul << 12)  /* ... and of a 2 MiB PDE */
#define PT_TABLE     (PT_P | PT_W | PT_U) /* intermediate entries allow all */

static struct pmm *pt_pmm = &kernel_pmm;

struct pmm *pt_set_pmm(struct pmm *p)
{
	struct pmm *old = pt_pmm;
	pt_pmm = p;
	return old;
}

static uint64_t *table(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & PT_ADDR_MASK);
}

static int level_shift(int level)
{
	return 12 + 9 * (level - 1);
}

static unsigned pt_index(uint64_t va, int level)
{
	return (va >> level_shift(level)) & (PT_ENTRIES - 1);
}

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

uint64_t pt_root(void)
{
	return read_cr3() & PT_ADDR_MASK;
}

static bool is_live(uint64_t root)
{
	return (root & PT_ADDR_MASK) == pt_root();
}

uint64_t pt_new_root(void)
{
	return pmm_alloc_zeroed(pt_pmm);
}

static void free_table(uint64_t tpa, int level)
{
	uint64_t *t = table(tpa);

	for (int i = 0; level > 1 && i < PT_ENTRIES; i++)
		if ((t[i] & PT_P) && !(t[i] & PT_PS))
			free_table(t[i], level - 1);
	pmm_free(pt_pmm, tpa & PT_ADDR_MASK);
}

void pt_free_tables(uint64_t root)
{
	free_table(root, 4);
}

/* Point the empty entry *e at a fresh zeroed table. */
static int new_table(uint64_t *e)
{
	uint64_t pa = pmm_alloc_zeroed(pt_pmm);

	if (!pa)
		return PT_ENOMEM;
	*e = pa | PT_TABLE;
	return 0;
}

/* Replace the 2 MiB leaf *pde by a page table of 512 4 KiB leaves with the
 * same addresses and flags. The table is complete before the one store that
 * installs it, so code running inside the 2 MiB page never sees a gap. The
 * translations do not change, so no TLB flush is needed here. */
static int split_2m(uint64_t *pde)
{
	uint64_t leaf = *pde;
	uint64_t base = leaf & PT_ADDR_MASK & ~(PT_SIZE_2M - 1);
	uint64_t flags = leaf & ~(PT_ADDR_MASK | PT_PS);
	uint64_t pt = pmm_alloc(pt_pmm);
	uint64_t *t = table(pt);

	if (!pt)
		return PT_ENOMEM;
	if (leaf & PT_PAT_LARGE)
		flags |= PT_PAT_4K;
	for (int i = 0; i < PT_ENTRIES; i++)
		t[i] = (base + (uint64_t)i * PT_SIZE_4K) | flags;
	*pde = pt | PT_TABLE;
	return 0;
}

/*
 * The entry for va at level `want` (2: PDE, 1: PTE). With create, missing
 * tables are made and a 2 MiB leaf in the way of a PTE is split; *fresh says
 * whether the table holding the entry was just made (so all its entries are
 * empty). Without create, the walk stops at a missing table (PT_ENOTMAPPED)
 * or at a 2 MiB leaf, whose PDE it returns.
 */
static int walk(uint64_t root, uint64_t va, int want, bool create,
		uint64_t **out, bool *fresh)
{
	uint64_t *t = table(root);
	uint64_t *e;
	int level, err;

	*fresh = false;
	for (level = 4; level > want; level--) {
		e = &t[pt_index(va, level)];
		*fresh = false;
		if (!(*e & PT_P)) {
			if (!create)
				return PT_ENOTMAPPED;
			if ((err = new_table(e)))
				return err;
			*fresh = true;
		} else if (*e & PT_PS) {
			if (level == 3)
				return PT_EHUGE;
			if (!create)
				break;
			if ((err = split_2m(e)))
				return err;
		}
		t = table(*e);
	}
	*out = &t[pt_index(va, level)];
	return 0;
}

static int check_map(uint64_t va, uint64_t pa, uint64_t size, uint64_t flags)
{
	if (size != PT_SIZE_4K && size != PT_SIZE_2M)
		return PT_ESIZE;
	if (flags & ~PT_MAP_FLAGS)
		return PT_EFLAGS;
	if (!canonical(va))
		return PT_ENONCANON;
	if ((va | pa) & (size - 1))
		return PT_EALIGN;
	if (pa & ~PT_ADDR_MASK)
		return PT_ERANGE;
	return 0;
}

/* Does the page table *e points at map nothing (a split 2 MiB region
 * whose 4 KiB pages were all unmapped)? */
static bool table_empty(uint64_t e)
{
	const uint64_t *t = table(e);

	for (int i = 0; i < PT_ENTRIES; i++)
		if (t[i] & PT_P)
			return false;
	return true;
}

/* Install a leaf; flush the old translation if the CPU may hold it. A
 * 2 MiB leaf replaces a page table only if the table maps nothing: then
 * the table page is freed, after the flush (INVLPG also drops the
 * paging-structure caches that point into it). */
static int set_leaf(uint64_t *e, uint64_t val, uint64_t va, bool live, int level)
{
	uint64_t old = *e;
	bool over_table = level == 2 && (old & (PT_P | PT_PS)) == PT_P;

	if (over_table && !table_empty(old))
		return PT_EBUSY;
	*e = val;
	if (live && (old & PT_P))
		invlpg(va);
	if (over_table)
		pmm_free(pt_pmm, old & PT_ADDR_MASK);
	return 0;
}

static uint64_t leaf_bits(uint64_t flags, int level)
{
	return flags | PT_P | (level == 2 ? PT_PS : 0);
}

int pt_map(uint64_t root, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags)
{
	int level = size == PT_SIZE_2M ? 2 : 1;
	uint64_t *e;
	bool fresh;
	int err;

	if ((err = check_map(va, pa, size, flags)))
		return err;
	if ((err = walk(root, va, level, true, &e, &fresh)))
		return err;
	return set_leaf(e, pa | leaf_bits(flags, level), va, is_live(root), level);
}

/* Leaves of one size from va on, within one table: a single walk for up to
 * 512 entries, and a tight loop over them (paging_init runs it at boot, one
 * entry per 2 MiB of RAM). Returns bytes mapped or a PT_E* code. */
static int64_t map_run(uint64_t root, uint64_t va, uint64_t pa, uint64_t len,
		       uint64_t flags, int level)
{
	uint64_t size = 1ul << level_shift(level);
	uint64_t val = pa | leaf_bits(flags, level);
	uint64_t n = PT_ENTRIES - pt_index(va, level);
	bool live = is_live(root), fresh;
	uint64_t *first, *e, i;
	int err;

	if ((err = walk(root, va, level, true, &first, &fresh)))
		return err;
	e = first;   /* a local the compiler can keep in a register */
	if (n > len / size)
		n = len / size;
	if (fresh) {
		/* A table made just now: nothing to check or flush. */
		for (i = 0; i < n; i++, val += size)
			e[i] = val;
		return (int64_t)(n * size);
	}
	for (i = 0; i < n; i++, val += size)
		if ((err = set_leaf(&e[i], val, va + i * size, live, level)))
			return err;
	return (int64_t)(n * size);
}

int pt_map_range(uint64_t root, uint64_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
	int err;

	if (len & (PT_SIZE_4K - 1))
		return PT_EALIGN;
	if ((err = check_map(va, pa, PT_SIZE_4K, flags)))
		return err;
	/* The last byte too: same canonical half as va, and within 52 bits. */
	if (len && (va + len - 1 < va || (va >> 47) != ((va + len - 1) >> 47)))
		return PT_ENONCANON;
	if (len && (pa + len - 1 < pa || (pa + len - 1) >> 52))
		return PT_ERANGE;
	while (len) {
		bool big = !((va | pa) & (PT_SIZE_2M - 1)) && len >= PT_SIZE_2M;
		int64_t n = map_run(root, va, pa, len, flags, big ? 2 : 1);

		if (n < 0)
			return (int)n;
		va += (uint64_t)n;
		pa += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

int pt_unmap(uint64_t root, uint64_t va)
{
	uint64_t *e;
	bool fresh;
	int err;

	if (!canonical(va))
		return PT_ENONCANON;
	if ((err = walk(root, va, 1, false, &e, &fresh)))
		return err;
	if (!(*e & PT_P))
		return PT_ENOTMAPPED;
	*e = 0;
	if (is_live(root))
		invlpg(va);   /* drops a 2 MiB TLB entry too */
	return 0;
}

int pt_translate(uint64_t root, uint64_t va, uint64_t *pa, uint64_t *flags)
{
	uint64_t *t = table(root);
	uint64_t allow = PT_P | PT_W | PT_U, nx = 0;

	if (!canonical(va))
		return PT_ENONCANON;
	for (int level = 4; level >= 1; level--) {
		uint64_t e = t[pt_index(va, level)];

		if (!(e & PT_P))
			return PT_ENOTMAPPED;
		allow &= e;
		nx |= e & PT_NX;
		if (level > 1 && !(e & PT_PS)) {
			t = table(e);
			continue;
		}
		if (level == 3)
			return PT_EHUGE;  /* never made here; do not guess */
		uint64_t off = (1ul << level_shift(level)) - 1;
		if (pa)
			*pa = (e & PT_ADDR_MASK & ~off) | (va & off);
		if (flags)
			*flags = allow | nx | (level > 1 ? PT_PS : 0) |
				 (e & (PT_PWT | PT_PCD | PT_G | PT_A | PT_D));
		return 0;
	}
	return PT_ENOTMAPPED;   /* not reached */
}

const char *pt_strerror(int err)
{
	switch (err) {
	case 0:             return "ok";
	case PT_EALIGN:     return "address not aligned to the page size";
	case PT_ESIZE:      return "page size is neither 4 KiB nor 2 MiB";
	case PT_EFLAGS:     return "flags outside PT_MAP_FLAGS";
	case PT_ENONCANON:  return "virtual address not canonical";
	case PT_ERANGE:     return "physical address beyond 52 bits";
	case PT_ENOMEM:     return "no page for a page table";
	case PT_ENOTMAPPED: return "not mapped";
	case PT_EBUSY:      return "a page table that maps 4 KiB pages is in the way of a 2 MiB leaf";
	case PT_EHUGE:      return "a 1 GiB leaf is in the way";
	default:            return "unknown paging error";
	}
}
