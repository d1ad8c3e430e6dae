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

#endif
