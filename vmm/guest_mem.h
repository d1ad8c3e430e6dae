/*
 * Guest RAM as the host sees it, and the one way handlers reach into it.
 * Kept free of KVM so host unit tests link it alone.
 */
#ifndef GUEST_MEM_H
#define GUEST_MEM_H

#include <stdint.h>

struct guest_mem {
	uint8_t *host;  /* GPA 0 maps here; one memslot covers [0, size) */
	uint64_t size;
	int fd;         /* the memfd behind it, so parts can be remapped */
	uint64_t page;  /* the host page size behind it: the smallest range a
			 * remap can move (4K; 2M for hugetlb; 0 means 4K) */
	int thp;        /* shmem THP asked for: only a fault through the
			 * mapping gets a huge page, so write RAM through it */
};

/* Host address of [gpa, gpa + len) if that range lies wholly inside guest
 * RAM, else NULL. len 0 is fine at any gpa <= size. */
void *guest_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

#endif
