/*
 * The VMM's internal interfaces. Data flows one way:
 *   flags -> guest RAM -> image -> KVM (VM, vCPU) -> boot info -> run loop
 *   -> exit handlers -> port devices.
 * One vCPU, one thread: device state lives in its module as file statics.
 */
#ifndef VMM_H
#define VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <linux/kvm.h>

#include "bootinfo.h"
#include "guest_mem.h"
#include "ports.h"
#include "views.h"

/* Returned by exit and port handlers that want the guest to go on; any other
 * value is the process exit status. */
#define RUN_CONTINUE (-1)

#define CR0_PE   (1u << 0)     /* protected mode */
#define EFER_LMA (1u << 10)    /* long mode active */

/* flags.c */
#define WALK_MAX 8

/* --huge-pages: what backs guest RAM on the host (mem.c). */
enum huge_pages { HUGE_PAGES_NO, HUGE_PAGES_THP, HUGE_PAGES_HUGETLB };

struct options {
	uint64_t ram_size;
	const char *cmdline;
	double timeout;        /* seconds; 0 = none */
	bool trace;
	bool stats;
	bool dump_pt;          /* --dump-pt: print the guest's page tables at exit */
	uint64_t walk[WALK_MAX]; /* --walk GVA: walk these at exit */
	int walks;
	bool view_memslot;     /* --view-switch=memslot (default remap) */
	enum huge_pages huge_pages;
	bool no_sandbox;       /* --no-sandbox: no seccomp filter */
	bool stage_exits;      /* --stage-exits: BI_FLAG_STAGE_PORT */
	int gdb_port;          /* --gdb PORT: 0 any free port; -1 no GDB stub */
	bool gdb_nowait;       /* --gdb-wait=no: run at once, gdb may attach later */
	const char *trace_json; /* --trace-json FILE: Chrome trace-event file */
	bool count_insns;      /* --count-insns: single-step and count the guest */
	const char *image;
};
void flags_parse(int argc, char **argv, struct options *o);

/* log.c: every message goes through here so console output stays ordered
 * with it: log_flush_with() names what to flush first (the console). */
void log_flush_with(void (*flush)(void));
void vmm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void trace_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool vmm_tracing;
#define vmm_trace(...) do { if (vmm_tracing) trace_log(__VA_ARGS__); } while (0)

/* console.c: guest console bytes to stdout, line buffered. */
void console_write(const void *buf, size_t len);
void console_flush(void);

/* mem.c */
int mem_create(struct guest_mem *m, uint64_t size, enum huge_pages huge);

/* loader.c */
int load_image(const struct guest_mem *m, const char *path);

/* Which KVM serves /dev/kvm (kvm.c): the behaviours that differ between
 * them, measured, are in docs/worlds.md, "KVMs differ". */
struct kvm_host {
	const char *name;      /* "kvm_pvm", "kvm_intel", "kvm_amd", "kvm" */
	bool rip_past_out;     /* at an OUT exit RIP is past the instruction (kvm_pvm) */
};

/* The last exit before this one: where the guest was last seen, for a
 * host that resets the vCPU before reporting a shutdown (kvm_amd). */
struct last_exit {
	uint32_t reason;       /* KVM_EXIT_*; KVM_EXIT_UNKNOWN before any exit */
	uint64_t rip;          /* RIP as KVM gave it then (run page), ~0 if not synced */
	uint16_t port;         /* for KVM_EXIT_IO */
	bool out;
};

/* The one VM. */
struct vm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	struct kvm_host host;
	struct last_exit last;
	int stats_fd;          /* KVM's vCPU stats (--stats), -1 if none */
	struct guest_mem mem;
	bool vmcall_ud;        /* VMCALL quirk disabled: VMCALL is #UD, not a hang */
	bool sync_regs;        /* run->s.regs holds the registers at each exit */
	uint32_t tsc_khz;      /* 0 if unknown */
	uint64_t tsc_at_start; /* guest TSC estimate at main() entry */
	struct boot_info boot_info; /* the VMM's pristine copy */
	struct views views;    /* emulated EPT views (views.h) */
	uint64_t vmfunc_exits; /* VMFUNC caught as an emulation failure */
	uint64_t vmfunc_ud;    /* ... that got a #UD injected */
	bool gdb;              /* --gdb: the stub listens on gdb_fd (sandbox.c allows its calls) */
	int gdb_fd;
	bool vmfunc_ud_armed;  /* that #UD was injected just now: if the guest's
				* #UD handler forwards it over HC_VMFUNC at the
				* next exit, it is the same refusal, not a new one */
};

/* kvm.c */
int kvm_setup(struct vm *vm);

/* vcpu.c */
int vcpu_create(struct vm *vm, uint64_t start_ns);
/* cpuid.c: KVM's supported CPUID table (malloc'd), kept per boot and module. */
struct kvm_cpuid2 *cpuid_supported(const struct vm *vm);
int vcpu_reset_bios(struct vm *vm);
uint64_t vcpu_rip(const struct vm *vm);
bool vcpu_in_reset_state(const struct vm *vm);
bool vcpu_linear_gpa(const struct vm *vm, uint64_t linear, uint64_t *gpa);
bool vcpu_code_gpa(const struct vm *vm, const struct kvm_sregs *s, uint64_t ip, uint64_t *gpa);
int vcpu_get_regs(struct vm *vm, struct kvm_regs *r);
int vcpu_set_regs(struct vm *vm, const struct kvm_regs *r);
bool vcpu_tsc(const struct vm *vm, uint64_t *tsc);

/* bootinfo.c */
void bootinfo_fill(struct vm *vm, const struct options *o);

/* watchdog.c: timeout timer and stop signals. */
void stop_signals_install(void);
void stop_attach(struct kvm_run *run);
int watchdog_start(double seconds);
int stop_signal(void);           /* signal that asked to stop, 0 if none */
int stop_status(void);           /* after a stop: 124 (timeout) or 125 (signal) */
const char *stop_describe(void); /* after a stop: "timeout after 1 s", "stopped by SIGINT" */
void kick_on(int sig);           /* sig only takes KVM_RUN out (the GDB stub's SIGIO) */
void kick_now(void);
void kick_rearm(void);           /* before KVM_RUN after a kick */

/* io.c: port devices register a range and a handler. */
typedef int (*port_fn)(struct vm *vm, uint16_t port, bool out, unsigned size,
		       uint8_t *data);
void io_register(uint16_t first, uint16_t count, port_fn fn);
int io_exit(struct vm *vm);

/* stage.c: the guest's boot stage, by its port 0x80 markers and stamps. */
void stage_set(uint8_t stage);
void stage_watch(const volatile uint64_t *stamp_tsc);
const char *stage_describe(void); /* "0x30 long mode" */

/* serial.c, devices.c, doorbell.c */
void serial_register(void);
void devices_register(void);
void doorbell_register(void);
int guest_exit_status(const struct vm *vm, uint64_t status);

/* run.c, exits.c */
int run_guest(struct vm *vm);
int exit_mmio(struct vm *vm);
int exit_hlt(struct vm *vm);
int exit_shutdown(struct vm *vm);
int exit_internal_error(struct vm *vm);
int exit_fail_entry(struct vm *vm);
const char *exit_reason_name(uint32_t reason);

/* gdb_stub.c: the GDB remote stub (--gdb). gdb_start listens, before the
 * sandbox; run.c calls the rest, each of which, when the guest is to stop,
 * serves gdb until it resumes the guest (RUN_CONTINUE) or ends the run
 * (a status). */
int gdb_start(struct vm *vm, const struct options *o);
int gdb_first_stop(struct vm *vm);   /* before the first instruction */
int gdb_exit_debug(struct vm *vm);   /* KVM_EXIT_DEBUG */
int gdb_exit_hlt(struct vm *vm);     /* KVM_EXIT_HLT: a breakpoint of the stub's? */
int gdb_kicked(struct vm *vm);       /* KVM_RUN came back with EINTR */
void gdb_exited(struct vm *vm, int status); /* the run ends: tell gdb */

/* dump.c, dump_pt.c */
void dump_regs(const struct vm *vm);
void dump_page_tables(const struct vm *vm);
void dump_walk(const struct vm *vm, uint64_t va);

/* vmfunc.c: VMFUNC caught as a KVM emulation failure (insn.h decodes
 * it); views set-up. */
int exit_vmfunc(struct vm *vm);
int views_setup(struct vm *vm, const struct options *o);

/* views_memslot.c: the --view-switch=memslot back end. */
int views_memslot_init(struct vm *vm);

/* sandbox.c: the seccomp allowlist, entered before the first KVM_RUN. */
int sandbox_enter(const struct vm *vm);

/* timeline.c: the VMM's phases and the guest's boot stamps, counted per
 * phase (--stats, --count-insns); timeline_exit observes each exit while
 * timeline_observing (one branch in run.c otherwise). */
enum vmm_phase {
	PHASE_START, PHASE_RAM, PHASE_IMAGE, PHASE_KVM_OPEN, PHASE_VM, PHASE_MEMSLOT,
	PHASE_VCPU, PHASE_FIRST_RUN, PHASE_EXIT, PHASES
};
extern bool timeline_observing;
void timeline_mark(enum vmm_phase p);
int timeline_step(int rc, enum vmm_phase p); /* rc; marks p if rc >= 0 */
int timeline_start(struct vm *vm, const struct options *o);
bool timeline_counting_insns(void);
int timeline_exit(struct vm *vm, int (*dispatch)(struct vm *));
void timeline_print(const struct vm *vm);
/* What the timeline knows at the end, handed to --trace-json's writer (so
 * that data flows one way: timeline -> trace_json). */
struct timeline_marks {
	uint64_t phase_ns[PHASES];           /* 0: phase not reached */
	double stage_ns[BOOT_STAMPS];        /* host time; 0: stage not reached */
	const char *stage_name[BOOT_STAMPS];
};
void timeline_marks(const struct vm *vm, struct timeline_marks *m);

/* trace_json.c: --trace-json FILE, buffered, written at the end. */
extern bool trace_json_on;
int trace_json_open(const char *file);
int trace_json_fd(void);
void trace_json_exit_begin(const struct vm *vm, uint64_t t0);
void trace_json_exit_end(uint64_t t1);
void trace_json_write(const struct vm *vm, const struct timeline_marks *m);

/* stats.c */
void stats_open(struct vm *vm);
bool stats_kvm_offset(const struct vm *vm, const char *name, uint64_t *off);
void stats_exit(uint32_t reason);
void stats_hypercall(uint32_t nr);
void stats_print(const struct vm *vm);

/* Host CLOCK_MONOTONIC in ns: the one clock the VMM measures with. */
static inline uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#endif
