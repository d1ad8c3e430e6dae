/*
 * The GDB stub's parts, shared between its files only (the rest of the VMM
 * sees the gdb_* calls in vmm.h):
 *   gdb_packet.c  framing and argument syntax (pure; fuzzed)
 *   gdb_regs.c    the register layout gdb gets, and its target description
 *   gdb_target.c  registers, memory, breakpoints (HLT) and watchpoints (DR0-3)
 *   gdb_stub.c    the connection, the commands, stops and resumes
 */
#ifndef GDB_H
#define GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "../guest_mem.h"

/* The vCPU's registers as the stub reads and writes them. */
struct gdb_cpu {
	struct kvm_regs r;
	struct kvm_sregs s;
};

/* gdb_regs.c: register n of the layout the target description gives;
 * its size (0: no such register), its value (false: not available, the
 * x87 state), a write (false: refused, and why in *why). */
#define GDB_NREGS 48
unsigned gdb_reg_size(unsigned n);
bool gdb_reg_get(const struct gdb_cpu *c, unsigned n, uint8_t *out);
bool gdb_reg_set(struct gdb_cpu *c, unsigned n, const uint8_t *in, const char **why);
size_t gdb_regs_total(void); /* bytes of all of them: a 'g' reply is twice that */
/* The target description: i386:x86-64 (what the stub serves), or the
 * same layout named for i8086, for real mode (docs/gdb.md). */
const char *gdb_target_xml(bool i8086);

/* gdb_target.c: the vCPU as the stub sees it. Memory is at guest-linear
 * addresses, through the guest's paging in its current mode; reads show
 * the original bytes under the stub's own breakpoints. */
struct vm;
enum gdb_bp_type { GDB_BP_SW, GDB_BP_HW, GDB_WATCH_WRITE, GDB_WATCH_READ, GDB_WATCH_ACCESS };
int gdb_cpu_read(struct vm *vm, struct gdb_cpu *c);
int gdb_cpu_write(struct vm *vm, const struct gdb_cpu *c);
bool gdb_mem_read(const struct vm *vm, uint64_t addr, uint8_t *out, size_t len);
bool gdb_mem_write(const struct vm *vm, uint64_t addr, const uint8_t *in, size_t len);
/* NULL, or why not (for the log line beside the error reply). */
const char *gdb_bp_insert(const struct vm *vm, enum gdb_bp_type t, uint64_t addr, uint64_t len);
const char *gdb_bp_remove(const struct vm *vm, enum gdb_bp_type t, uint64_t addr, uint64_t len);
void gdb_bp_clear(const struct vm *vm);
int gdb_debug_arm(const struct vm *vm, bool step);
bool gdb_bp_hit(struct vm *vm); /* a HLT exit at a breakpoint: RIP back on it */
void gdb_debug_reason(const struct vm *vm, char *buf, size_t cap);

#endif
