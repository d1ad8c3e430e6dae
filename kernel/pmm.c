/*
 * Physical page allocator: bump pointers per range plus a free list threaded
 * through freed pages (see pmm.h for the layout and its reasons).
 */
#include "pmm.h"
#include "bootinfo.h"
#include "lib.h"
#include "panic.h"
#include "printf.h"

/* "FREEPAGE", xored with the page's address so a copy of a free page's
 * bytes elsewhere does not look free. */
#define PMM_FREE_MAGIC 0x4652454550414745ul

#define PMM_KERNEL_FLOOR (1ul << 20) /* BIOS, stub tables, boot info below */

struct pmm kernel_pmm;

static uint64_t *page(uint64_t pa)
{
	return (uint64_t *)(uintptr_t)pa;
}

void pmm_init(struct pmm *p, const char *name)
{
	p->name = name;
	p->nranges = 0;
	p->cur = 0;
	p->free_head = 0;
	p->nfree = 0;
	p->ntotal = 0;
}

/* Insert keeping ranges sorted by base, so allocation starts at the lowest
 * addresses: the kernel's early page tables must come from the first GiB,
 * the only part mapped before paging_init(). */
int pmm_add_range(struct pmm *p, uint64_t base, uint64_t len)
{
	uint64_t end = base + len < base ? ~0ul : base + len;
	unsigned i;

	base = ALIGN_UP(base, PAGE_SIZE);
	end = ALIGN_DOWN(end, PAGE_SIZE);
	if (base == 0)
		base = PAGE_SIZE;   /* 0 means "no page" */
	if (base >= end)
		return 0;
	if (p->nranges == PMM_MAX_RANGES)
		return PMM_EFULL;
	for (i = 0; i < p->nranges; i++)
		if (base < p->range[i].end && p->range[i].base < end)
			return PMM_EOVERLAP;
	for (i = p->nranges; i > 0 && p->range[i - 1].base > base; i--)
		p->range[i] = p->range[i - 1];
	p->range[i] = (struct pmm_range){ base, end, base };
	p->nranges++;
	if (i < p->cur)
		p->cur = i;
	p->nfree += (end - base) / PAGE_SIZE;
	p->ntotal += (end - base) / PAGE_SIZE;
	return 0;
}

void pmm_init_kernel(const struct boot_info *bi, uint64_t kernel_end)
{
	uint64_t floor = ALIGN_UP(kernel_end, PAGE_SIZE);

	if (floor < PMM_KERNEL_FLOOR)
		floor = PMM_KERNEL_FLOOR;
	pmm_init(&kernel_pmm, "kernel");
	for (uint32_t i = 0; i < bi->e820_count && i < BOOT_E820_MAX; i++) {
		const struct e820_entry *e = &bi->e820[i];
		uint64_t base = e->base, end = e->base + e->len;

		if (e->type != E820_RAM || end <= floor || end < base)
			continue;
		if (base < floor)
			base = floor;
		int err = pmm_add_range(&kernel_pmm, base, end - base);
		if (err)
			printf("pmm: E820 RAM 0x%lx-0x%lx ignored: %s\n",
			       base, end, pmm_strerror(err));
	}
}

/* Apart from the set-up: a boot that ends before any work (boot-only)
 * need not format it (docs/bench.md, "Where the time goes"). */
void pmm_report(void)
{
	uint64_t lo = ~0ul, hi = 0;

	if (kernel_pmm.nranges) {
		lo = kernel_pmm.range[0].base;
		hi = kernel_pmm.range[kernel_pmm.nranges - 1].end;
	}
	printf("pmm: %lu KiB free in %u ranges (0x%lx-0x%lx)\n",
	       kernel_pmm.nfree * (PAGE_SIZE / 1024), kernel_pmm.nranges,
	       kernel_pmm.nranges ? lo : 0, hi);
}

/* rep stosq: one instruction to decode, where a store loop would cost an
 * emulated instruction per store when CPL0 code runs in KVM's emulator;
 * and gcc cannot turn it into a call to the byte-wise memset. */
void pmm_zero(uint64_t pa, size_t npages)
{
	uint64_t *d = page(pa);
	size_t n = npages * (PAGE_SIZE / 8);

	__asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0ul) : "memory");
}

static uint64_t pop_free(struct pmm *p)
{
	uint64_t pa = p->free_head;

	if (page(pa)[1] != (PMM_FREE_MAGIC ^ pa))
		panic("pmm %s: free page 0x%lx was written after free (tag 0x%lx)",
		      p->name, pa, page(pa)[1]);
	p->free_head = page(pa)[0];
	page(pa)[1] = 0;   /* drop the tag: a live page must not look free */
	p->nfree--;
	return pa;
}

static void push_free(struct pmm *p, uint64_t pa)
{
	page(pa)[0] = p->free_head;
	page(pa)[1] = PMM_FREE_MAGIC ^ pa;
	p->free_head = pa;
	p->nfree++;
}

static uint64_t bump(struct pmm *p)
{
	for (; p->cur < p->nranges; p->cur++) {
		struct pmm_range *r = &p->range[p->cur];
		if (r->next < r->end) {
			uint64_t pa = r->next;
			r->next += PAGE_SIZE;
			p->nfree--;
			return pa;
		}
	}
	return 0;
}

/* Reuse freed pages first: they are likely warm, and the bump space stays
 * contiguous for pmm_alloc_contig(). */
uint64_t pmm_alloc(struct pmm *p)
{
	if (p->free_head)
		return pop_free(p);
	return bump(p);
}

uint64_t pmm_alloc_zeroed(struct pmm *p)
{
	uint64_t pa = pmm_alloc(p);

	if (pa)
		pmm_zero(pa, 1);
	return pa;
}

uint64_t pmm_alloc_contig(struct pmm *p, size_t npages, uint64_t align)
{
	uint64_t size = (uint64_t)npages * PAGE_SIZE;

	if (!npages || align < PAGE_SIZE || (align & (align - 1)) ||
	    npages > (~0ul >> PAGE_SHIFT))
		return 0;
	for (unsigned i = p->cur; i < p->nranges; i++) {
		struct pmm_range *r = &p->range[i];
		uint64_t start = ALIGN_UP(r->next, align);

		if (start < r->next || start > r->end || r->end - start < size)
			continue;
		/* Pages skipped for alignment stay free, on the list. */
		for (uint64_t pa = r->next; pa < start; pa += PAGE_SIZE) {
			p->nfree--;
			push_free(p, pa);
		}
		r->next = start + size;
		p->nfree -= npages;
		return start;
	}
	return 0;
}

static const struct pmm_range *range_of(const struct pmm *p, uint64_t pa)
{
	for (unsigned i = 0; i < p->nranges; i++)
		if (pa >= p->range[i].base && pa < p->range[i].end)
			return &p->range[i];
	return NULL;
}

bool pmm_owns(const struct pmm *p, uint64_t pa)
{
	return range_of(p, pa) != NULL;
}

static bool on_free_list(const struct pmm *p, uint64_t pa)
{
	for (uint64_t f = p->free_head; f; f = page(f)[0])
		if (f == pa)
			return true;
	return false;
}

int pmm_check_free(const struct pmm *p, uint64_t pa)
{
	const struct pmm_range *r;

	if (pa & (PAGE_SIZE - 1))
		return PMM_EALIGN;
	r = range_of(p, pa);
	if (!r)
		return PMM_EFOREIGN;
	if (pa >= r->next)
		return PMM_ENOTALLOC;
	/* The tag is a quick filter; only the list walk is proof. */
	if (page(pa)[1] == (PMM_FREE_MAGIC ^ pa) && on_free_list(p, pa))
		return PMM_EDOUBLE;
	return 0;
}

int pmm_try_free(struct pmm *p, uint64_t pa)
{
	int err = pmm_check_free(p, pa);

	if (!err)
		push_free(p, pa);
	return err;
}

void pmm_free(struct pmm *p, uint64_t pa)
{
	int err = pmm_try_free(p, pa);

	if (err)
		panic("pmm %s: free of page 0x%lx: %s", p->name, pa, pmm_strerror(err));
}

void pmm_free_contig(struct pmm *p, uint64_t pa, size_t npages)
{
	uint64_t end = pa + (uint64_t)npages * PAGE_SIZE;
	struct pmm_range *r;

	for (uint64_t a = pa; a < end; a += PAGE_SIZE) {
		int err = pmm_check_free(p, a);
		if (err)
			panic("pmm %s: free of block 0x%lx+%zu pages, page 0x%lx: %s",
			      p->name, pa, npages, a, pmm_strerror(err));
	}
	r = (struct pmm_range *)range_of(p, pa);
	if (r && end == r->next && end <= r->end) {
		r->next = pa;   /* the top of the bumped space: give it back whole */
		p->nfree += npages;
		if (r - p->range < p->cur)
			p->cur = (unsigned)(r - p->range);
		return;
	}
	while (end > pa) {
		end -= PAGE_SIZE;
		push_free(p, end);
	}
}

uint64_t pmm_free_count(const struct pmm *p)
{
	return p->nfree;
}

const char *pmm_strerror(int err)
{
	switch (err) {
	case 0:             return "ok";
	case PMM_EALIGN:    return "not page-aligned";
	case PMM_EFOREIGN:  return "page not managed by this allocator";
	case PMM_ENOTALLOC: return "page not allocated (never handed out, or given back)";
	case PMM_EDOUBLE:   return "double free (page already free)";
	case PMM_EOVERLAP:  return "range overlaps another";
	case PMM_EFULL:     return "too many ranges";
	default:            return "unknown pmm error";
	}
}
