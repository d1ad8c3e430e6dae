/*
 * x86-64 4-level page tables over a root (the PML4's physical address).
 * Tables are reached through the identity map (phys == virt), and new ones
 * come from a pmm (kernel_pmm unless pt_set_pmm() says otherwise).
 *
 * Intermediate entries are always P|W|U: permissions live in the leaves, so
 * one leaf's flags say what an address allows. Leaves are 4 KiB or 2 MiB
 * (never 1 GiB: PLATFORM.md). Every call that changes a live root (the one in
 * CR3) invalidates the TLB entries it changed.
 */
#ifndef PAGING_H
#define PAGING_H

#include <stdint.h>

struct boot_info;
struct pmm;

/* Entry bits, hardware positions. pt_map() takes W U PWT PCD G NX. */
#define PT_P    (1ul << 0)
#define PT_W    (1ul << 1)
#define PT_U    (1ul << 2)
#define PT_PWT  (1ul << 3)
#define PT_PCD  (1ul << 4)
#define PT_A    (1ul << 5)
#define PT_D    (1ul << 6)
#define PT_PS   (1ul << 7)   /* in a PDE: a 2 MiB leaf */
#define PT_G    (1ul << 8)
#define PT_NX   (1ul << 63)
#define PT_MAP_FLAGS (PT_W | PT_U | PT_PWT | PT_PCD | PT_G | PT_NX)
#define PT_ADDR_MASK 0x000ffffffffff000ul

#define PT_SIZE_4K (1ul << 12)
#define PT_SIZE_2M (1ul << 21)

/* Errors (negative). pt_strerror() names them. */
#define PT_EALIGN    (-1)  /* va or pa not aligned to the page size */
#define PT_ESIZE     (-2)  /* size is neither 4 KiB nor 2 MiB */
#define PT_EFLAGS    (-3)  /* flags outside PT_MAP_FLAGS */
#define PT_ENONCANON (-4)  /* va is not canonical (bits 63:47 differ) */
#define PT_ERANGE    (-5)  /* pa beyond 52 bits */
#define PT_ENOMEM    (-6)  /* no page for a table */
#define PT_ENOTMAPPED (-7) /* nothing mapped at va */
#define PT_EBUSY     (-8)  /* 2 MiB map over a page table that still maps
			      4 KiB pages: unmap them first */
#define PT_EHUGE     (-9)  /* a 1 GiB leaf in the way (this code makes none) */

/* The live root: CR3 without its flag bits. */
uint64_t pt_root(void);

/* A fresh empty root (zeroed PML4), or 0 when out of pages. */
uint64_t pt_new_root(void);

/* Free root and every table below it (not the pages leaves point at).
 * Never call it on a live root. */
void pt_free_tables(uint64_t root);

/* Use p for new tables; returns the previous pmm. */
struct pmm *pt_set_pmm(struct pmm *p);

/* Map va -> pa with one leaf of size PT_SIZE_4K or PT_SIZE_2M, replacing
 * what was mapped there. A 4 KiB map inside a 2 MiB leaf first splits the
 * leaf into a page table that keeps the other 511 mappings. A 2 MiB map
 * over a page table replaces it only when none of its 512 entries is
 * present, and frees the table page (to the pmm set now); a table with
 * 4 KiB mappings left is PT_EBUSY, so no mapping is dropped silently.
 * Returns 0 or a PT_E* code; on error nothing visible has changed (a table
 * allocated on the way may stay, empty). */
int pt_map(uint64_t root, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags);

/* Map len bytes (4 KiB multiple) at va -> pa, with 2 MiB leaves wherever
 * both are 2 MiB-aligned and 4 KiB leaves elsewhere; one table walk per
 * table, not per page. Stops at the first error. */
int pt_map_range(uint64_t root, uint64_t va, uint64_t pa, uint64_t len, uint64_t flags);

/* Remove the leaf that maps va: a whole 2 MiB leaf if that is what maps it.
 * Tables are kept (a 2 MiB map over an emptied one frees it). Returns 0 or
 * PT_ENOTMAPPED / PT_ENONCANON. */
int pt_unmap(uint64_t root, uint64_t va);

/* The physical address va maps to, and the effective flags of the walk:
 * P, W and U only if every level allows them, NX if any level sets it, PCD
 * PWT G A D from the leaf, PS for a 2 MiB leaf. pa or flags may be NULL.
 * Returns 0 or PT_ENOTMAPPED / PT_ENONCANON / PT_EHUGE. */
int pt_translate(uint64_t root, uint64_t va, uint64_t *pa, uint64_t *flags);

/* Print the walk for va: each level's index, entry, decoded bits and the
 * next table, then the physical address (or where the walk stopped). */
void pt_dump_walk(uint64_t root, uint64_t va);

const char *pt_strerror(int err);

/* Extend the stub's 1 GiB identity map over all RAM above it (E820 RAM
 * ranges, and ram_size) with 2 MiB pages; tables from kernel_pmm. Call after
 * pmm_init_kernel(). Returns 0 or a PT_E* code. */
int paging_init(const struct boot_info *bi);

#endif
