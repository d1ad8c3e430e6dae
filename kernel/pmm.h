/*
 * The physical page allocator: 4 KiB pages handed out from a few ranges of
 * free RAM. An object (struct pmm) so tests can build small private
 * allocators over pages borrowed from the kernel one.
 *
 * Each range has a bump pointer: pages below it have been handed out at some
 * time, pages above it never. Freed pages go on a LIFO free list linked
 * through the pages themselves, so init costs O(ranges), not O(pages), and
 * alloc and free are O(1). A free page holds { next, PMM_FREE_MAGIC ^ pa }
 * in its first 16 bytes; that tag lets free() spot a double free cheaply
 * (and a list walk confirms it, so a page that merely contains the value is
 * never misjudged).
 *
 * Pages are reached through the identity map (phys == virt): ranges above
 * the stub's first 1 GiB are usable once paging_init() has mapped them.
 * Physical page 0 is never managed: 0 means "no page".
 */
#ifndef PMM_H
#define PMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct boot_info;

#define PAGE_SIZE       4096ul
#define PAGE_SHIFT      12
#define PMM_MAX_RANGES  32

/* Errors (negative). pmm_strerror() names them. */
#define PMM_EALIGN    (-1)  /* address not page-aligned, or bad alignment */
#define PMM_EFOREIGN  (-2)  /* page not inside any range of this pmm */
#define PMM_ENOTALLOC (-3)  /* page inside a range but not handed out */
#define PMM_EDOUBLE   (-4)  /* page already on the free list */
#define PMM_EOVERLAP  (-5)  /* new range overlaps an existing one */
#define PMM_EFULL     (-6)  /* PMM_MAX_RANGES ranges already */

struct pmm_range {
	uint64_t base;   /* first page */
	uint64_t end;    /* one past the last page */
	uint64_t next;   /* bump pointer: first page never handed out */
};

struct pmm {
	const char *name;              /* for messages */
	struct pmm_range range[PMM_MAX_RANGES]; /* sorted by base */
	unsigned nranges;
	unsigned cur;                  /* ranges before this one are bumped full */
	uint64_t free_head;            /* first page of the free list, 0: empty */
	uint64_t nfree;                /* free pages: free list + above bumps */
	uint64_t ntotal;               /* pages managed */
};

extern struct pmm kernel_pmm;

void pmm_init(struct pmm *p, const char *name);

/* Manage [base, base + len), shrunk inward to whole pages (and never page 0).
 * Returns 0 (also when nothing is left after shrinking) or PMM_EOVERLAP,
 * PMM_EFULL. */
int pmm_add_range(struct pmm *p, uint64_t base, uint64_t len);

/* The kernel instance: every E820 RAM range, minus everything below 1 MiB
 * and below kernel_end (the image's end symbol). Prints one summary line. */
void pmm_init_kernel(const struct boot_info *bi, uint64_t kernel_end);
void pmm_report(void); /* "pmm: N KiB free in N ranges (lo-hi)" */

/* A page's physical address, or 0 when none is left (the caller reports it).
 * pmm_alloc() leaves the old contents; pmm_alloc_zeroed() clears the page. */
uint64_t pmm_alloc(struct pmm *p);
uint64_t pmm_alloc_zeroed(struct pmm *p);

/* npages contiguous pages whose first is aligned to align (a power of two,
 * at least PAGE_SIZE), not zeroed; 0 if no range has such a block. Taken
 * from above a range's bump pointer only (freed pages are not coalesced);
 * pages skipped for alignment go on the free list, so none is lost. */
uint64_t pmm_alloc_contig(struct pmm *p, size_t npages, uint64_t align);

/* Why freeing pa would be wrong (a PMM_E* code), or 0 if it is fine. */
int pmm_check_free(const struct pmm *p, uint64_t pa);

/* Free one page: pmm_try_free() returns the error and changes nothing;
 * pmm_free() panics on it (a double or foreign free is a kernel bug). */
int pmm_try_free(struct pmm *p, uint64_t pa);
void pmm_free(struct pmm *p, uint64_t pa);

/* Free a pmm_alloc_contig() block. When it is the last block bumped from
 * its range the bump pointer steps back, so the space is contiguous again. */
void pmm_free_contig(struct pmm *p, uint64_t pa, size_t npages);

uint64_t pmm_free_count(const struct pmm *p);
bool pmm_owns(const struct pmm *p, uint64_t pa);
const char *pmm_strerror(int err);

/* Zero npages pages at pa with 8-byte stores (rep stosq). */
void pmm_zero(uint64_t pa, size_t npages);

#endif
