/*
 * EPT tables: builder (map, split, clone, free), walker and dump.
 * See ept.h for the format. Levels are numbered like the SDM's walk: 4 is
 * the PML4, 1 the page table; an entry at level l covers 4 KiB << 9(l-1).
 */
#include "ept.h"
#include "../lib.h"
#include "../pmm.h"
#include "../printf.h"

static uint64_t *table(uint64_t pa) { return (uint64_t *)(uintptr_t)pa; }
static uint64_t level_size(int level) { return 1ul << (12 + 9 * (level - 1)); }
static unsigned index_of(uint64_t gpa, int level) { return gpa >> (12 + 9 * (level - 1)) & 511; }
static bool present(uint64_t e) { return e & EPT_RWX; }
static bool is_leaf(uint64_t e, int level) { return level == 1 || (level < 4 && (e & EPT_LARGE)); }

/* A leaf that maps pa with perms, write-back (0: not present, no target). */
static uint64_t make_leaf(uint64_t pa, unsigned perms, int level)
{
	if (!perms)
		return 0;
	return pa | perms | EPT_MT_WB << EPT_MT_SHIFT | (level > 1 ? EPT_LARGE : 0);
}

uint64_t ept_new_root(void)
{
	return pmm_alloc_zeroed(&kernel_pmm);
}

/* Free the table at pa whose entries are at level, and the tables below. */
static void free_table(uint64_t pa, int level)
{
	uint64_t *t = table(pa);
	for (int i = 0; level > 1 && i < 512; i++)
		if (present(t[i]) && !is_leaf(t[i], level))
			free_table(t[i] & EPT_ADDR_MASK, level - 1);
	pmm_free(&kernel_pmm, pa);
}

void ept_free(uint64_t root)
{
	if (root)
		free_table(root, 4);
}

/* Split the large leaf e at level into a table of 512 leaves one level down
 * that map the same range with the same permissions and memory type: the
 * only way to change 4 KiB inside a 2 MiB leaf without touching the rest. */
static uint64_t split(uint64_t e, int level)
{
	uint64_t t = pmm_alloc(&kernel_pmm);
	if (!t)
		return 0;
	uint64_t step = level_size(level - 1);
	uint64_t base = e & EPT_ADDR_MASK & ~(level_size(level) - 1);
	uint64_t attrs = e & (EPT_RWX | EPT_MT_MASK | EPT_IPAT);
	for (int i = 0; i < 512; i++)
		table(t)[i] = (base + i * step) | attrs | (level - 1 > 1 ? EPT_LARGE : 0);
	return t;
}

/* The entry at level for gpa, creating (or splitting) what lies above it. */
static uint64_t *entry_for(uint64_t root, uint64_t gpa, int level, int *err)
{
	uint64_t *t = table(root);
	for (int l = 4; l > level; l--) {
		uint64_t *e = &t[index_of(gpa, l)];
		if (!present(*e) || is_leaf(*e, l)) {
			/* Intermediate entries allow everything: the leaf alone
			 * decides, so one entry says what a GPA allows. */
			uint64_t n = present(*e) ? split(*e, l) : pmm_alloc_zeroed(&kernel_pmm);
			if (!n) {
				*err = EPT_ENOMEM;
				return NULL;
			}
			*e = n | EPT_RWX;
		}
		t = table(*e & EPT_ADDR_MASK);
	}
	return &t[index_of(gpa, level)];
}

static int check_map(uint64_t gpa, uint64_t pa, uint64_t size, unsigned perms)
{
	if (size != EPT_SIZE_4K && size != EPT_SIZE_2M)
		return EPT_ESIZE;
	if ((gpa | pa) & (size - 1))
		return EPT_EALIGN;
	if (gpa >= EPT_GPA_LIMIT || EPT_GPA_LIMIT - gpa < size || (pa & ~EPT_ADDR_MASK & ~(size - 1)))
		return EPT_ERANGE;
	/* Write without read is a misconfiguration (SDM 28.3.3.1). */
	if ((perms & ~EPT_RWX) || ((perms & EPT_W) && !(perms & EPT_R)))
		return EPT_EPERM;
	return 0;
}

int ept_map(uint64_t root, uint64_t gpa, uint64_t pa, uint64_t size, unsigned perms)
{
	int err = check_map(gpa, pa, size, perms);
	if (err)
		return err;
	int level = size == EPT_SIZE_2M ? 2 : 1;
	uint64_t *e = entry_for(root, gpa, level, &err);
	if (!e)
		return err;
	uint64_t old = *e;
	*e = make_leaf(pa, perms, level);
	if (present(old) && !is_leaf(old, level))
		free_table(old & EPT_ADDR_MASK, level - 1);
	return 0;
}

int ept_map_range(uint64_t root, uint64_t gpa, uint64_t pa, uint64_t len, unsigned perms)
{
	if (!len)
		return EPT_ESIZE;
	if ((gpa | pa | len) & (EPT_SIZE_4K - 1))
		return EPT_EALIGN;
	while (len) {
		bool big = !((gpa | pa) & (EPT_SIZE_2M - 1)) && len >= EPT_SIZE_2M;
		uint64_t size = big ? EPT_SIZE_2M : EPT_SIZE_4K;
		int err = ept_map(root, gpa, pa, size, perms);
		if (err)
			return err;
		gpa += size, pa += size, len -= size;
	}
	return 0;
}

static uint64_t clone_table(uint64_t src, int level)
{
	uint64_t dst = pmm_alloc_zeroed(&kernel_pmm);
	if (!dst)
		return 0;
	for (int i = 0; i < 512; i++) {
		uint64_t e = table(src)[i];
		if (present(e) && !is_leaf(e, level)) {
			uint64_t c = clone_table(e & EPT_ADDR_MASK, level - 1);
			if (!c) {
				free_table(dst, level);
				return 0;
			}
			e = c | (e & ~EPT_ADDR_MASK);
		}
		table(dst)[i] = e & ~(EPT_A | EPT_D);
	}
	return dst;
}

uint64_t ept_clone(uint64_t root)
{
	return clone_table(root, 4);
}

int ept_walk(uint64_t root, uint64_t gpa, struct ept_walk *w)
{
	*w = (struct ept_walk){ 0 };
	if (gpa >= EPT_GPA_LIMIT)
		return EPT_ERANGE;
	uint64_t t = root;
	for (int l = 4; l >= 1; l--) {
		int i = 4 - l;
		uint64_t e = table(t)[index_of(gpa, l)];
		w->table[i] = t;
		w->index[i] = index_of(gpa, l);
		w->entry[i] = e;
		w->levels = i + 1;
		if (!present(e))
			return EPT_ENOTMAPPED;
		if (is_leaf(e, l)) {
			uint64_t size = level_size(l);
			w->mapped = true;
			w->leaf = e;
			w->leaf_size = size;
			w->pa = (e & EPT_ADDR_MASK & ~(size - 1)) | (gpa & (size - 1));
			return 0;
		}
		t = e & EPT_ADDR_MASK;
	}
	return EPT_ENOTMAPPED; /* not reached: level 1 is always a leaf */
}

uint64_t *ept_leaf(uint64_t root, uint64_t gpa)
{
	struct ept_walk w;
	if (ept_walk(root, gpa, &w))
		return NULL;
	return &table(w.table[w.levels - 1])[w.index[w.levels - 1]];
}

static const char *memtype_name(unsigned mt)
{
	static const char *const names[8] = { "UC", "WC", "mt2?", "mt3?", "WT", "WP", "WB", "mt7?" };
	return names[mt & 7];
}

const char *ept_entry_bits(uint64_t e, bool leaf, char *buf, unsigned n)
{
	if (!present(e)) {
		snprintf(buf, n, "not present");
		return buf;
	}
	int k = snprintf(buf, n, "%c%c%c", e & EPT_R ? 'R' : '-', e & EPT_W ? 'W' : '-',
			 e & EPT_X ? 'X' : '-');
	if (leaf)
		k += snprintf(buf + k, n - k, " %s%s%s", memtype_name(e >> EPT_MT_SHIFT & 7),
			      e & EPT_IPAT ? " ignore-PAT" : "", e & EPT_LARGE ? " large" : "");
	snprintf(buf + k, n - k, "%s%s", e & EPT_A ? " A" : "", leaf && (e & EPT_D) ? " D" : "");
	return buf;
}

static const char *size_name(uint64_t size)
{
	return size == EPT_SIZE_4K ? "4K" : size == EPT_SIZE_2M ? "2M" : "1G";
}

void ept_dump_walk(uint64_t root, uint64_t gpa)
{
	static const char *const names[4] = { "PML4E", "PDPTE", "PDE", "PTE" };
	struct ept_walk w;
	char bits[64];
	int err = ept_walk(root, gpa, &w);

	printf("# ept: walk of GPA 0x%lx from EPT PML4 0x%lx\n", gpa, root);
	for (int i = 0; i < w.levels; i++) {
		bool leaf = w.mapped && i == w.levels - 1;
		printf("#   %-5s[%3u] at 0x%lx = 0x%016lx  %s", names[i], w.index[i],
		       w.table[i] + 8 * w.index[i], w.entry[i],
		       ept_entry_bits(w.entry[i], leaf, bits, sizeof(bits)));
		if (leaf)
			printf("  (%s leaf)\n", size_name(w.leaf_size));
		else if (present(w.entry[i]))
			printf("  -> table 0x%lx\n", w.entry[i] & EPT_ADDR_MASK);
		else
			printf("\n");
	}
	if (err == EPT_ERANGE)
		printf("#   => GPA beyond the 48 bits a 4-level walk covers\n");
	else if (err)
		printf("#   => not mapped (the %s is not present)\n", names[w.levels - 1]);
	else
		printf("#   => PA 0x%lx\n", w.pa);
}

/* ept_dump(): consecutive leaves of one size and attributes whose GPA and
 * PA both continue the previous leaf print as one line. */
struct run {
	uint64_t gpa, pa, size, attrs, count, accessed, dirty;
};

static void run_print(const struct run *r)
{
	char bits[64];
	if (!r->count)
		return;
	printf("#   GPA 0x%09lx-0x%09lx -> PA 0x%09lx  %lu x %s  %s  (A %lu, D %lu)\n",
	       r->gpa, r->gpa + r->count * r->size - 1, r->pa, r->count, size_name(r->size),
	       ept_entry_bits(r->attrs, true, bits, sizeof(bits)), r->accessed, r->dirty);
}

static void run_add(struct run *r, uint64_t gpa, uint64_t e, uint64_t size)
{
	uint64_t attrs = e & (EPT_RWX | EPT_MT_MASK | EPT_IPAT | EPT_LARGE);
	uint64_t pa = e & EPT_ADDR_MASK & ~(size - 1);
	bool extends = r->count && r->size == size && r->attrs == attrs &&
		       r->gpa + r->count * size == gpa && r->pa + r->count * size == pa;
	if (!extends) {
		run_print(r);
		*r = (struct run){ gpa, pa, size, attrs, 0, 0, 0 };
	}
	r->count++;
	r->accessed += !!(e & EPT_A);
	r->dirty += !!(e & EPT_D);
}

static void dump_table(uint64_t t, int level, uint64_t gpa_base, struct run *r, uint64_t *tables)
{
	(*tables)++;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = table(t)[i], gpa = gpa_base + i * level_size(level);
		if (!present(e))
			continue;
		if (is_leaf(e, level))
			run_add(r, gpa, e, level_size(level));
		else
			dump_table(e & EPT_ADDR_MASK, level - 1, gpa, r, tables);
	}
}

void ept_dump(uint64_t root)
{
	struct run r = { 0 };
	uint64_t tables = 0;
	printf("# ept: tables under PML4 0x%lx (runs of like leaves; A/D = leaves with the bit set)\n", root);
	dump_table(root, 4, 0, &r, &tables);
	run_print(&r);
	printf("# ept: %lu table pages\n", tables);
}

const char *ept_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case EPT_EALIGN: return "address or length not aligned to the leaf size";
	case EPT_ESIZE: return "leaf size neither 4 KiB nor 2 MiB, or length 0";
	case EPT_ERANGE: return "GPA beyond 48 bits or PA beyond 52 bits";
	case EPT_EPERM: return "permissions other than R, RW, RX, RWX, X or none";
	case EPT_ENOMEM: return "out of pages for EPT tables";
	case EPT_ENOTMAPPED: return "GPA not mapped";
	default: return "unknown EPT error";
	}
}
