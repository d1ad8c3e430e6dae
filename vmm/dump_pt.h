/*
 * --dump-pt's page-table walker (dump_pt.c): guest RAM and a CR3 in, lines
 * out through a printf-like callback. Free of KVM for the host unit tests.
 */
#ifndef DUMP_PT_H
#define DUMP_PT_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"

typedef void (*pt_print_fn)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct pt_dump_totals {
	uint64_t runs, leaves_4k, leaves_2m, leaves_1g;
	uint64_t tables, bad;     /* tables read; tables outside RAM, not read */
	bool cut;                 /* stopped at the table limit */
};

/* Walk the 4-level tables at cr3 (long mode, 4K/2M/1G leaves) and print
 * one line per run of like leaves. */
struct pt_dump_totals pt_dump(const struct guest_mem *mem, uint64_t cr3, pt_print_fn out);

/* One address's walk through the same 4-level tables, as the CPU does it:
 * each level's table, index and entry, then the GPA or why there is none.
 * For --walk's two-dimensional map and anything else that must translate
 * a guest-virtual address (a debugger's memory access). */
struct pt_level {
	uint64_t table;          /* GPA of the table read */
	unsigned index;
	uint64_t entry;
};

struct pt_walk {
	struct pt_level level[4]; /* [0] is the PML4's */
	int levels;               /* entries read */
	bool ok;
	uint64_t gpa, page;       /* when ok: the translation and its page size */
	uint64_t flags;           /* when ok: effective W, U, NX (PTE bit values) */
	const char *why;          /* when not: "not present", "table outside RAM"... */
};

/* "4K", "2M" or "1G". */
const char *pt_size_name(uint64_t page);

struct pt_walk pt_walk(const struct guest_mem *mem, uint64_t cr3, uint64_t va);

#endif
