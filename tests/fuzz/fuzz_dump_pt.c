/*
 * libFuzzer harness for --dump-pt's page-table walker, pt_dump() (vmm/
 * dump_pt.c), over page tables a hostile guest wrote.
 *
 * Input: CR3 (8 bytes, little endian), then guest RAM, which is malloc'd
 * exactly its size so ASan traps any read outside it. Run with -max_len
 * of a few pages so tables can point at each other.
 *
 * What must hold: the walk ends (libFuzzer's -timeout) even through tables
 * shared in loops; it reads only RAM; every line is short and well formed;
 * and the totals add up: no more tables than its limit, each run holds at
 * least one leaf, each leaf is one entry of a table read, and a walk that
 * read no table met only a root outside RAM.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump_pt.h"

#define TABLES_MAX 100000 /* dump_pt.c's limit */
#define LINE_MAX_LEN 160

static uint64_t lines;

static void out(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	assert(n > 0 && n < LINE_MAX_LEN && !strchr(line, '\n'));
	lines++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t cr3;

	if (size < 8)
		return 0;
	memcpy(&cr3, data, 8);
	struct guest_mem m = { .host = malloc(size - 8 ? size - 8 : 1), .size = size - 8, .fd = -1 };
	assert(m.host);
	memcpy(m.host, data + 8, size - 8);
	lines = 0;

	struct pt_dump_totals t = pt_dump(&m, cr3, out);

	uint64_t leaves = t.leaves_4k + t.leaves_2m + t.leaves_1g;
	assert(t.tables <= TABLES_MAX && (t.cut ? t.tables == TABLES_MAX : true));
	assert(t.runs <= leaves && leaves <= 512 * t.tables);
	assert(t.tables || t.bad == 1);
	/* Header, footer, up to 10000 runs, 16 "outside RAM" lines, 2 notes. */
	assert(lines <= 2 + 10000 + 16 + 2);
	free(m.host);
	return 0;
}
