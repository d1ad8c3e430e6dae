/*
 * --dump-pt: the guest's own page tables at the end of the run, walked
 * from its CR3 like the CPU would (4-level, 4 KiB, 2 MiB and 1 GiB leaves)
 * and printed one line per run of leaves that continue each other: next VA,
 * next PA, same page size, same effective flags. A run's VA range is
 * printed with its inclusive end, so a leaf at the top of the address
 * space ends at 0xffffffffffffffff rather than wrapping to 0. Like Linux's
 * arch/x86/mm/dump_pagetables.c and kvmtool's page-table dump, but of a
 * guest, read only through guest_ptr(): a table outside RAM is named, not
 * followed. The effective flags are those of the walk: W and U only if
 * every level allows them, NX if any level sets it, PS for a large leaf.
 *
 * A hostile guest can point every entry at the same table; the walk stops
 * after TABLES_MAX tables and LINES_MAX lines and says so. Free of KVM (the
 * caller in dump.c reads CR3), so host unit tests feed it made-up tables.
 */
#include <stdarg.h>
#include <stdio.h>

#include "dump_pt.h"

#define PTE_P   (1ull << 0)
#define PTE_W   (1ull << 1)
#define PTE_U   (1ull << 2)
#define PTE_PS  (1ull << 7)
#define PTE_NX  (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

#define TABLES_MAX 100000
#define LINES_MAX  10000
#define BAD_MAX    16

struct run {
	bool open;
	uint64_t va, pa, len, page, flags, leaves;
};

struct walk {
	const struct guest_mem *mem;
	pt_print_fn out;
	struct run run;      /* the run being coalesced */
	uint64_t lines, tables, bad, by_size[3];
	bool cut;
};

const char *pt_size_name(uint64_t page)
{
	return page == 1ull << 30 ? "1G" : page == 1ull << 21 ? "2M" : "4K";
}

static void human(uint64_t bytes, char *buf, size_t n)
{
	if (bytes >= 1ull << 30 && !(bytes & ((1ull << 30) - 1)))
		snprintf(buf, n, "%llu GiB", (unsigned long long)(bytes >> 30));
	else if (bytes >= 1ull << 20 && !(bytes & ((1ull << 20) - 1)))
		snprintf(buf, n, "%llu MiB", (unsigned long long)(bytes >> 20));
	else
		snprintf(buf, n, "%llu KiB", (unsigned long long)(bytes >> 10));
}

static void flush(struct walk *w)
{
	const struct run *r = &w->run;
	char size[32];

	if (!r->open)
		return;
	w->run.open = false;
	if (++w->lines > LINES_MAX)
		return;
	human(r->len, size, sizeof size);
	w->out("  0x%016llx-0x%016llx -> 0x%012llx %9s %6llu x %s%s%s%s%s",
		(unsigned long long)r->va, (unsigned long long)(r->va + r->len - 1),
		(unsigned long long)r->pa, size, (unsigned long long)r->leaves,
		pt_size_name(r->page), r->flags & PTE_W ? " W" : " -", r->flags & PTE_U ? " U" : " -",
		r->flags & PTE_NX ? " NX" : " -", r->flags & PTE_PS ? " PS" : "");
}

static void leaf(struct walk *w, uint64_t va, uint64_t pa, uint64_t page, uint64_t flags)
{
	struct run *r = &w->run;

	if (r->open && r->page == page && r->flags == flags && r->va + r->len == va &&
	    r->pa + r->len == pa) {
		r->len += page;
		r->leaves++;
		return;
	}
	flush(w);
	*r = (struct run){ true, va, pa, page, page, flags, 1 };
}

static uint64_t canonical(uint64_t va)
{
	return va & (1ull << 47) ? va | 0xffff000000000000ull : va;
}

static void walk_table(struct walk *w, uint64_t tpa, int level, uint64_t base, uint64_t eff)
{
	static const char *const names[] = { "", "PT", "PD", "PDPT", "PML4" };

	if (w->tables >= TABLES_MAX) {
		w->cut = true;
		return;
	}
	const uint64_t *t = guest_ptr(w->mem, tpa, 4096);
	if (!t) {
		flush(w);
		if (w->bad++ < BAD_MAX)
			w->out("  %s for VA 0x%016llx at GPA 0x%llx is outside RAM: not followed",
				names[level], (unsigned long long)canonical(base),
				(unsigned long long)tpa);
		return;
	}
	w->tables++; /* "N tables" counts the tables read, not those outside RAM */
	int shift = 12 + 9 * (level - 1);
	for (unsigned i = 0; i < 512 && !w->cut; i++) {
		uint64_t e = t[i], va = canonical(base + ((uint64_t)i << shift));
		if (!(e & PTE_P)) {
			flush(w);
			continue;
		}
		uint64_t f = (eff & e & (PTE_W | PTE_U)) | ((eff | e) & PTE_NX);
		bool is_leaf = level == 1 || ((level == 2 || level == 3) && (e & PTE_PS));
		if (!is_leaf) {
			walk_table(w, e & PTE_ADDR, level - 1, base + ((uint64_t)i << shift), f);
			continue;
		}
		uint64_t page = 1ull << shift;
		uint64_t pa = e & PTE_ADDR & ~(page - 1);
		leaf(w, va, pa, page, f | (level > 1 ? PTE_PS : 0));
		w->by_size[level - 1]++;
	}
}

struct pt_dump_totals pt_dump(const struct guest_mem *mem, uint64_t cr3, pt_print_fn out)
{
	struct walk w = { .mem = mem, .out = out };

	out("dump-pt: page tables at CR3 0x%llx, 4-level; VA range -> GPA, size, leaves, flags:",
	    (unsigned long long)cr3);
	walk_table(&w, cr3 & PTE_ADDR, 4, 0, PTE_W | PTE_U);
	flush(&w);
	if (w.lines > LINES_MAX)
		out("  ... %llu more lines not shown", (unsigned long long)(w.lines - LINES_MAX));
	if (w.cut)
		out("  ... walk stopped after %d tables (tables shared in a loop?)", TABLES_MAX);
	out("dump-pt: %llu runs, %llu 4K + %llu 2M + %llu 1G leaves, %llu tables%s",
	    (unsigned long long)w.lines, (unsigned long long)w.by_size[0],
	    (unsigned long long)w.by_size[1], (unsigned long long)w.by_size[2],
	    (unsigned long long)w.tables, w.bad ? ", some outside RAM" : "");
	return (struct pt_dump_totals){ w.lines, w.by_size[0], w.by_size[1], w.by_size[2],
					w.tables, w.bad, w.cut };
}

struct pt_walk pt_walk(const struct guest_mem *mem, uint64_t cr3, uint64_t va)
{
	struct pt_walk w = { .flags = PTE_W | PTE_U };
	uint64_t tpa = cr3 & PTE_ADDR;

	if (canonical(va & ((1ull << 48) - 1)) != va) {
		w.why = "not canonical (bits 63:47 differ)";
		return w;
	}
	for (int level = 4; level >= 1; level--) {
		int shift = 12 + 9 * (level - 1);
		unsigned i = (unsigned)(va >> shift) & 511;
		const uint64_t *t = guest_ptr(mem, tpa, 4096);
		if (!t) {
			w.why = "table outside RAM";
			return w;
		}
		uint64_t e = t[i];
		w.level[w.levels++] = (struct pt_level){ tpa, i, e };
		if (!(e & PTE_P)) {
			w.why = "not present";
			return w;
		}
		w.flags = (w.flags & e & (PTE_W | PTE_U)) | ((w.flags | e) & PTE_NX);
		if (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS))) {
			w.page = 1ull << shift;
			w.gpa = (e & PTE_ADDR & ~(w.page - 1)) | (va & (w.page - 1));
			w.ok = true;
			return w;
		}
		tpa = e & PTE_ADDR;
	}
	return w; /* not reached: level 1 is always a leaf */
}
