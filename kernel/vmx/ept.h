/*
 * Extended page tables: the guest-physical -> physical map the CPU walks for
 * L2 (SDM 28.3). Four levels like x86-64 paging (PML4, PDPT, PD, PT), 512
 * eight-byte entries a page; an entry is present when any of R, W, X is set.
 * Leaves are 4 KiB (PTE) or 2 MiB (PDE with bit 7); this code never makes
 * 1 GiB leaves (PLATFORM.md) but the walker decodes them.
 *
 * Leaf bits: R 0, W 1, X 2, memory type 5:3 (6 = write-back), ignore PAT 6,
 * large page 7 (in a PDE/PDPTE), accessed 8, dirty 9 (set by the CPU when
 * the EPT pointer enables A/D, EPTP bit 6). Tables are reached through the
 * identity map and come from kernel_pmm.
 */
#ifndef VMX_EPT_H
#define VMX_EPT_H

#include <stdbool.h>
#include <stdint.h>

#define EPT_R          (1ul << 0)
#define EPT_W          (1ul << 1)
#define EPT_X          (1ul << 2)
#define EPT_RWX        (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT   3
#define EPT_MT_MASK    (7ul << EPT_MT_SHIFT)
#define EPT_MT_WB      6ul
#define EPT_IPAT       (1ul << 6)
#define EPT_LARGE      (1ul << 7)
#define EPT_A          (1ul << 8)
#define EPT_D          (1ul << 9)
#define EPT_ADDR_MASK  0x000ffffffffff000ul

#define EPT_SIZE_4K    (1ul << 12)
#define EPT_SIZE_2M    (1ul << 21)
#define EPT_GPA_LIMIT  (1ul << 48)   /* a 4-level walk covers 48 bits */

/* EPT pointer (SDM 24.6.11): memory type WB (6) in bits 2:0, walk length
 * minus one (3) in bits 5:3, A/D enable in bit 6. */
#define EPTP_WB_4LEVEL 0x1eul
#define EPTP_AD        (1ul << 6)

/* Errors (negative). ept_strerror() names them. */
#define EPT_EALIGN     (-1)  /* gpa, pa or len not 4 KiB aligned (2 MiB for a 2M leaf) */
#define EPT_ESIZE      (-2)  /* leaf size neither 4 KiB nor 2 MiB, or len 0 */
#define EPT_ERANGE     (-3)  /* beyond 48-bit GPA or 52-bit PA */
#define EPT_EPERM      (-4)  /* W without R: an EPT misconfiguration */
#define EPT_ENOMEM     (-5)  /* no page for a table */
#define EPT_ENOTMAPPED (-6)  /* nothing maps the GPA */

/* A fresh empty PML4 (every GPA unmapped), or 0 when out of pages. */
uint64_t ept_new_root(void);
/* A deep copy of every table under root (leaves keep their targets, A/D
 * cleared), or 0 when out of pages (nothing left allocated). */
uint64_t ept_clone(uint64_t root);
/* Free root and every table under it. */
void ept_free(uint64_t root);

/* Map one leaf gpa -> pa of size EPT_SIZE_4K or EPT_SIZE_2M with perms
 * (EPT_R|W|X; 0 makes the GPA not present), write-back. A 4 KiB change
 * inside a 2 MiB leaf first splits the leaf into 512 4 KiB leaves that keep
 * its mapping; a 2 MiB leaf over a page table frees the table. */
int ept_map(uint64_t root, uint64_t gpa, uint64_t pa, uint64_t size, unsigned perms);
/* Map len bytes: 2 MiB leaves where gpa, pa and the rest allow, 4 KiB
 * elsewhere. Stops at the first error. */
int ept_map_range(uint64_t root, uint64_t gpa, uint64_t pa, uint64_t len, unsigned perms);

/* One walk, every level. */
struct ept_walk {
	int levels;            /* entries read: 1..4 */
	uint64_t table[4];     /* table address read at level 4-i */
	unsigned index[4];
	uint64_t entry[4];
	bool mapped;           /* the walk ended on a present leaf */
	uint64_t pa;           /* the translation of the GPA */
	uint64_t leaf_size;    /* 4 KiB, 2 MiB or 1 GiB */
	uint64_t leaf;         /* the leaf entry (entry[levels - 1]) */
};
/* Translate gpa: 0 and *w filled, or EPT_ENOTMAPPED (w still says where
 * the walk stopped) or EPT_ERANGE. */
int ept_walk(uint64_t root, uint64_t gpa, struct ept_walk *w);
/* The leaf entry mapping gpa (to read or clear its A/D bits), or NULL. */
uint64_t *ept_leaf(uint64_t root, uint64_t gpa);

/* "RWX WB" style, into buf (at least 48 bytes): R/W/X, memory type,
 * ignore-PAT, large, A, D. */
const char *ept_entry_bits(uint64_t e, bool leaf, char *buf, unsigned n);
/* Print the walk of gpa: each level's index, entry, decoded bits. */
void ept_dump_walk(uint64_t root, uint64_t gpa);
/* Print every leaf, runs of like leaves merged into one line. */
void ept_dump(uint64_t root);

const char *ept_strerror(int err);

#endif
