/*
 * Exceptions. Every one of the 32 vectors lands in trap_dispatch(); an
 * exception nobody expects prints the vector, error code, RIP, CR2 and the
 * general registers and ends the run with the crash status.
 *
 * A test that wants an exception runs the faulting code through trap_run():
 * the handler then records what happened and resumes right after the
 * trap_run() call, as if fn had returned.
 */
#ifndef TRAP_H
#define TRAP_H

#include <stdint.h>

#define VEC_DE 0
#define VEC_DB 1
#define VEC_BP 3
#define VEC_UD 6
#define VEC_DF 8
#define VEC_GP 13
#define VEC_PF 14

/* #PF error code bits */
#define PF_P    (1u << 0)
#define PF_W    (1u << 1)
#define PF_U    (1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I    (1u << 4)

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* The IDT's gates, made at link time (kernel/trap_entry.asm), and the
 * entry point of each vector. */
struct idt_entry {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;     /* 0x8e: present, DPL 0, 64-bit interrupt gate */
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t zero;
} __attribute__((packed));
extern const struct idt_entry trap_idt[32];
extern const uint64_t trap_vectors[32];

struct trap_info {
	int vector;          /* -1: fn returned without an exception */
	uint64_t error_code;
	uint64_t rip;        /* where the exception happened */
	uint64_t cr2;
};

void trap_init(void);

/* Call fn(arg); return the vector of the first exception it raised (and fill
 * *ti), or -1 if it returned normally. Not nestable. */
int trap_run(void (*fn)(void *), void *arg, struct trap_info *ti);

void trap_dump(const struct trap_frame *f);

#endif
