/* user_run(): see usermode.h. */
#include "usermode.h"
#include "gdt.h"
#include "lib.h"
#include "paging.h"
#include "pmm.h"

/* The routine, copied to a page of its own: RDI = its first data page,
 * RSI = how many. It needs no stack, so none is mapped. */
extern const char user_routine[], user_routine_hlt[], user_routine_end[];
__asm__(".pushsection .rodata\n"
	".globl user_routine, user_routine_hlt, user_routine_end\n"
	"user_routine:\n"
	"1:	movq %rsi, (%rdi)\n"
	"	addq $4096, %rdi\n"
	"	decq %rsi\n"
	"	jnz 1b\n"
	"user_routine_hlt:\n"
	"	hlt\n"
	"user_routine_end:\n"
	".popsection");

struct user_entry {
	uint64_t rip, rdi, rsi;
};

/* IRETQ to CPL3 with IF clear; never returns here (trap_run resumes). */
static void enter(void *arg)
{
	const struct user_entry *e = arg;

	__asm__ volatile("pushq %[ss]\n\t"
			 "pushq $0\n\t"            /* RSP: the routine pushes nothing */
			 "pushq $0x2\n\t"          /* RFLAGS: IF = 0 */
			 "pushq %[cs]\n\t"
			 "pushq %[rip]\n\t"
			 "iretq"
			 :: [ss] "i"(SEL_USER_DATA | 3), [cs] "i"(SEL_USER_CODE | 3),
			    [rip] "r"(e->rip), "D"(e->rdi), "S"(e->rsi)
			 : "memory");
	__builtin_unreachable();
}

/* Page i of the run: 0 is the code, 1.. the data. */
static uint64_t *page_gpa(struct user_run *r, unsigned i)
{
	return i ? &r->data_gpa[i - 1] : &r->code_gpa;
}

static void release(struct user_run *r, unsigned mapped)
{
	uint64_t root = pt_root();

	for (unsigned i = 0; i < mapped; i++) {
		pt_unmap(root, USER_VA + i * PT_SIZE_4K);
		pmm_free(&kernel_pmm, *page_gpa(r, i));
	}
}

static int map_page(struct user_run *r, unsigned i)
{
	uint64_t pa = pmm_alloc_zeroed(&kernel_pmm);

	if (!pa)
		return PT_ENOMEM;
	int err = pt_map(pt_root(), USER_VA + i * PT_SIZE_4K, pa, PT_SIZE_4K,
			 i ? PT_U | PT_W | PT_NX : PT_U);
	if (err) {
		pmm_free(&kernel_pmm, pa);
		return err;
	}
	*page_gpa(r, i) = pa;
	return 0;
}

int user_run(struct user_run *r)
{
	unsigned n = r->pages + 1, i;
	int err = 0;

	if (r->pages < 1 || r->pages > USER_PAGES_MAX)
		return PT_ESIZE;
	for (i = 0; i < n && !err; i++)
		err = map_page(r, i);
	if (err) {
		release(r, i - 1);
		return err;
	}
	/* Through the identity map: the code page is read-only at USER_VA. */
	memcpy((void *)r->code_gpa, user_routine, (size_t)(user_routine_end - user_routine));
	r->hlt_va = USER_VA + (uint64_t)(user_routine_hlt - user_routine);
	struct user_entry e = { USER_VA, USER_VA + PT_SIZE_4K, r->pages };
	trap_run(enter, &e, &r->ti);
	for (i = 0; i < r->pages; i++)
		r->seen[i] = *(const uint64_t *)r->data_gpa[i];
	release(r, n);
	return 0;
}
