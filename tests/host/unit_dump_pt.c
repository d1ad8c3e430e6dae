/*
 * --dump-pt's walker (vmm/dump_pt.c) on made-up page tables, no KVM: runs
 * of like leaves coalesce and break where VA, PA, size or flags do; the
 * effective flags of a walk (W and U only if every level has them, NX if
 * any); 4K, 2M and 1G leaves; the high half printed canonical; ranges end
 * inclusive, so the last leaf of the address space does not wrap to 0; a
 * table outside RAM is named, not followed nor counted; tables shared in a
 * loop stop the walk at its limit instead of running for hours. And
 * pt_walk(), one address's walk (--walk): each level's table, index and
 * entry; 4K, 2M and 1G leaves with the offset kept; the effective flags;
 * not present, table outside RAM and non-canonical addresses refused.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dump_pt.h"
#include "tap.h"

#define RAM_SIZE (8ull << 20)
#define P  (1ull << 0)
#define W  (1ull << 1)
#define U  (1ull << 2)
#define PS (1ull << 7)
#define NX (1ull << 63)

static struct guest_mem mem;
static char *text;
static size_t text_len;
static unsigned lines;

static void capture(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	lines++;
	if (n < 0 || text_len > (1u << 20))
		return;
	text = realloc(text, text_len + (size_t)n + 2);
	memcpy(text + text_len, line, (size_t)n);
	text_len += (size_t)n;
	text[text_len++] = '\n';
	text[text_len] = 0;
}

static void reset_capture(void)
{
	free(text);
	text = NULL;
	text_len = 0;
	lines = 0;
}

static void set(uint64_t table, unsigned i, uint64_t e)
{
	memcpy(mem.host + table + 8 * i, &e, 8);
}

static bool has(const char *s)
{
	bool ok = text && strstr(text, s);
	if (!ok)
		printf("# missing line: '%s'\n", s);
	return ok;
}

static void shapes(void)
{
	memset(mem.host, 0, RAM_SIZE);
	set(0x1000, 0, 0x2000 | P | W | U);               /* PML4[0] -> PDPT */
	set(0x2000, 0, 0x3000 | P | W | U);               /* PDPT[0] -> PD */
	set(0x3000, 0, 0x4000 | P | W | U);               /* PD[0] -> PT */
	for (unsigned i = 0; i < 4; i++)
		set(0x4000, i, (0x100000 + 0x1000 * i) | P | W);  /* 4 x 4K, W */
	set(0x4000, 4, 0x200000 | P | W | U | NX);         /* other flags, other PA */
	set(0x4000, 5, 0x201000 | P | W | U | NX);
	set(0x4000, 7, 0x203000 | P | W | U | NX);         /* gap at 6: a new run */
	set(0x3000, 1, 0x400000 | P | PS);                 /* 2 x 2M, read-only */
	set(0x3000, 2, 0x600000 | P | PS);
	set(0x2000, 1, 0x40000000 | P | W | PS);           /* a 1G leaf */
	set(0x1000, 1, 0x7fff000000ull | P | W | U);       /* PDPT outside RAM */
	set(0x1000, 2, 0x6000 | P | U);                    /* not writable above */
	set(0x6000, 0, 0x7000 | P | W | U);
	set(0x7000, 0, 0x800000 | P | W | U | PS);         /* W masked: read-only */
	set(0x1000, 511, 0x5000 | P | W | U);              /* the high half */
	set(0x5000, 511, 0x3000 | P | W | U);              /* shares PD 0x3000 */

	reset_capture();
	struct pt_dump_totals t = pt_dump(&mem, 0x1000 | 0x18 /* PWT|PCD ignored */, capture);
	if (getenv("SHOW")) /* SHOW=1 build/unit_dump_pt: see the dump */
		fputs(text, stdout);
	CHECK(has("  0x0000000000000000-0x0000000000003fff -> 0x000000100000    16 KiB      4 x 4K W - -"),
	      "4 contiguous 4K leaves with like flags: one run");
	CHECK(has("  0x0000000000004000-0x0000000000005fff -> 0x000000200000     8 KiB      2 x 4K W U NX"),
	      "other flags and PA break the run; U and NX shown");
	CHECK(has("  0x0000000000007000-0x0000000000007fff -> 0x000000203000     4 KiB      1 x 4K W U NX"),
	      "a not-present entry breaks the run");
	CHECK(has("  0x0000000000200000-0x00000000005fffff -> 0x000000400000     4 MiB      2 x 2M - - - PS"),
	      "two 2M leaves continuing each other: one run, read-only, PS");
	CHECK(has("  0x0000000040000000-0x000000007fffffff -> 0x000040000000     1 GiB      1 x 1G W - - PS"),
	      "a 1G leaf");
	CHECK(has("  PDPT for VA 0x0000008000000000 at GPA 0x7fff000000 is outside RAM: not followed"),
	      "a table outside RAM is named with its VA and GPA, not followed");
	CHECK(has("  0x0000010000000000-0x00000100001fffff -> 0x000000800000     2 MiB      1 x 2M - U - PS"),
	      "W only if every level has it");
	CHECK(has("  0xffffffffc0000000-0xffffffffc0003fff -> 0x000000100000"),
	      "the high half is printed canonical (sign-extended)");
	CHECK(t.leaves_4k == 14 && t.leaves_2m == 5 && t.leaves_1g == 1 && t.bad == 1 && !t.cut,
	      "totals: 14 4K, 5 2M, 1 1G leaves, 1 table outside RAM (%llu %llu %llu %llu)",
	      (unsigned long long)t.leaves_4k, (unsigned long long)t.leaves_2m,
	      (unsigned long long)t.leaves_1g, (unsigned long long)t.bad);
	CHECK(has("dump-pt: 10 runs, 14 4K + 5 2M + 1 1G leaves, 9 tables, some outside RAM"),
	      "summary: runs, leaves by size, tables read (not the one outside RAM)");

	memset(mem.host, 0, RAM_SIZE);
	reset_capture();
	t = pt_dump(&mem, 0x1000, capture);
	CHECK(t.runs == 0 && t.tables == 1 && lines == 2, "an empty PML4: header and summary only");
	reset_capture();
	t = pt_dump(&mem, RAM_SIZE, capture);
	CHECK(t.bad == 1 && has("PML4 for VA 0x0000000000000000 at GPA 0x800000 is outside RAM"),
	      "CR3 outside RAM: said, not followed");
	CHECK(t.tables == 0 && has("leaves, 0 tables, some outside RAM"),
	      "... and not counted as a table read");
}

/* A 1G leaf at the very top: its range ends at 0xffffffffffffffff, and a
 * run of it with the 1G below is one line, not two. */
static void top(void)
{
	memset(mem.host, 0, RAM_SIZE);
	set(0x1000, 511, 0x2000 | P | W);
	set(0x2000, 510, 0x40000000 | P | W | PS);
	set(0x2000, 511, 0x80000000 | P | W | PS);
	reset_capture();
	struct pt_dump_totals t = pt_dump(&mem, 0x1000, capture);
	CHECK(has("  0xffffffff80000000-0xffffffffffffffff -> 0x000040000000     2 GiB      2 x 1G W - - PS"),
	      "a run at the top of the address space ends at 0xffffffffffffffff, not 0");
	CHECK(t.runs == 1 && t.tables == 2, "... one run, 2 tables (%llu, %llu)",
	      (unsigned long long)t.runs, (unsigned long long)t.tables);
}

/* Every PML4 entry points at one PDPT, whose entries all point back at
 * itself, used as PD and PT in turn: 2^36 4K leaves if nothing stopped it. */
static void loop(void)
{
	memset(mem.host, 0, RAM_SIZE);
	for (unsigned i = 0; i < 512; i++) {
		set(0x1000, i, 0x2000 | P | W);
		set(0x2000, i, 0x2000 | P | W);
	}
	reset_capture();
	struct pt_dump_totals t = pt_dump(&mem, 0x1000, capture);
	CHECK(t.cut && has("walk stopped after"), "tables shared in a loop: the walk stops at its limit");
	CHECK(lines < 10100 && has("more lines not shown"),
	      "... and prints a bounded number of lines (%u)", lines);
}

/* One address at a time, on the tables shapes() leaves behind plus a 1G
 * leaf and tables pointing outside RAM. */
static void one_address(void)
{
	memset(mem.host, 0, RAM_SIZE);
	set(0x1000, 0, 0x2000 | P | W | U);
	set(0x2000, 0, 0x3000 | P | W | U);
	set(0x3000, 0, 0x4000 | P | W);                    /* PD[0] not U */
	set(0x4000, 5, 0x201000 | P | W | U | NX);
	set(0x3000, 1, 0x400000 | P | PS);                 /* a 2M leaf */
	set(0x2000, 1, 0x40000000 | P | W | U | PS);       /* a 1G leaf */
	set(0x1000, 511, 0x2000 | P | W | U);
	set(0x2000, 511, 0x900000 | P | W | U);            /* a PD outside RAM */

	struct pt_walk w = pt_walk(&mem, 0x1000, 0x5abc);
	CHECK(w.ok && w.gpa == 0x201abc && w.page == 0x1000, "4K leaf: GPA 0x%llx, page 0x%llx",
	      (unsigned long long)w.gpa, (unsigned long long)w.page);
	CHECK(w.levels == 4 && w.level[0].table == 0x1000 && w.level[3].table == 0x4000 &&
	      w.level[3].index == 5 && w.level[3].entry == (0x201000 | P | W | U | NX),
	      "... four levels, each with its table, index and entry");
	CHECK(w.flags == (W | NX), "... effective flags: W, not U (the PD lacks it), NX (%llx)",
	      (unsigned long long)w.flags);

	w = pt_walk(&mem, 0x1000, 0x212345);
	CHECK(w.ok && w.gpa == 0x412345 && w.page == 2ull << 20 && w.levels == 3 && !(w.flags & W),
	      "2M leaf: the offset in the page kept, three levels, read-only");
	w = pt_walk(&mem, 0x1000, 0x40000000 + 0x1234567);
	CHECK(w.ok && w.gpa == 0x41234567 && w.page == 1ull << 30 && w.levels == 2,
	      "1G leaf: two levels");
	w = pt_walk(&mem, 0x1000, 0x6000);
	CHECK(!w.ok && w.levels == 4 && !strcmp(w.why, "not present"),
	      "a PT entry not present: four levels read, 'not present'");
	w = pt_walk(&mem, 0x1000, 0xffffffffc0000000ull);
	CHECK(!w.ok && w.levels == 2 && !strcmp(w.why, "table outside RAM"),
	      "a PD outside RAM: named, not read");
	w = pt_walk(&mem, 0x1000, 0x0000800000000000ull);
	CHECK(!w.ok && w.levels == 0 && strstr(w.why, "canonical"),
	      "a non-canonical address: refused before any read");
	w = pt_walk(&mem, RAM_SIZE, 0);
	CHECK(!w.ok && !strcmp(w.why, "table outside RAM"), "CR3 outside RAM");
}

int main(void)
{
	mem = (struct guest_mem){ .host = calloc(1, RAM_SIZE), .size = RAM_SIZE, .fd = -1 };
	if (!CHECK(mem.host != NULL, "fake guest RAM"))
		return tap_done();
	shapes();
	top();
	loop();
	one_address();
	return tap_done();
}
