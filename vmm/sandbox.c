/*
 * The sandbox: once KVM, RAM and the devices are set up, and before the
 * first KVM_RUN, the VMM confines itself with a seccomp-BPF allowlist of
 * exactly what the run loop and its handlers do:
 *   ioctl     on its vCPU fd (run, registers, translate, events) and its VM
 *             fd (memslots, for --view-switch=memslot) only;
 *   write     to stdout (the guest's console) and stderr (our messages);
 *   mmap      a view switch: the RAM memfd, shared, fixed, read-write, at
 *             an address inside guest RAM, at most RAM's size long (RAM
 *             is followed by a reserved guard of that size, mem.c);
 *   pread64   on the KVM stats fd (--stats), opened before;
 *   poll, ppoll, getrandom (HC_RANDOM), brk (malloc), the clock calls,
 *   rt_sigreturn, exit, exit_group.
 * Anything else raises SIGSYS: the handler names the call and the VMM
 * exits 125. Threads: the VMM has one, and TSYNC would cover any other.
 *
 * Raw BPF over the UAPI headers rather than libseccomp: the VMM depends on
 * libc and the UAPI headers only, and the filter is small enough to read.
 * 64-bit arguments are compared in 32-bit halves, as classic BPF must.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall_names.h" /* generated from <asm/unistd.h> (Makefile) */
#include "vmm.h"

#define MAX_INSNS 256

/* The filter is a dispatch on the call's number, then a block per call
 * that checks its arguments: each argument is loaded once and each allowed
 * value is one jump, to one shared "allow". The kernel compiles a filter
 * at about 1 us an instruction on our kvm_pvm hosts, so its length is
 * part of every boot (docs/bench.md): this layout takes 62 instructions
 * where a run of independent rules, one per call, took 124. */
enum label { ALLOW, TRAP, IOCTL, VCPU_IOCTL, VM_IOCTL, WRITE, MMAP, PREAD, ACCEPT, FCNTL,
	     SOCKOPT, LABELS };
#define SKIP(n) (LABELS + (n)) /* a jump target n instructions on */
#define NEXT SKIP(0)

struct label_jump {
	unsigned ins;   /* the jump instruction */
	int jt, jf;     /* its targets: labels or SKIP(n) */
};

struct prog {
	struct sock_filter ins[MAX_INSNS];
	unsigned n, njumps;
	unsigned at[LABELS]; /* where each label is */
	struct label_jump jump[MAX_INSNS];
};

static void emit(struct prog *p, uint16_t code, uint32_t k)
{
	if (p->n < MAX_INSNS)
		p->ins[p->n] = (struct sock_filter)BPF_STMT(code, k);
	p->n++;
}

/* A conditional jump, forward only, to a label or SKIP(n); resolve() fills
 * in the offsets once every label is placed. */
static void jump(struct prog *p, uint16_t op, uint32_t k, int jt, int jf)
{
	if (p->n < MAX_INSNS)
		p->jump[p->njumps++] = (struct label_jump){ p->n, jt, jf };
	emit(p, BPF_JMP | op | BPF_K, k);
}

static void label(struct prog *p, enum label l)
{
	p->at[l] = p->n;
}

/* False if a target is behind its jump or beyond classic BPF's 8-bit reach. */
static bool resolve(struct prog *p)
{
	for (unsigned i = 0; i < p->njumps; i++) {
		unsigned from = p->jump[i].ins + 1;
		int to[2] = { p->jump[i].jt, p->jump[i].jf };
		uint8_t off[2];
		for (int j = 0; j < 2; j++) {
			unsigned dest = to[j] >= LABELS ? from + (unsigned)(to[j] - LABELS) : p->at[to[j]];
			if (dest < from || dest - from > 255 || dest >= p->n)
				return false;
			off[j] = (uint8_t)(dest - from);
		}
		p->ins[p->jump[i].ins].jt = off[0];
		p->ins[p->jump[i].ins].jf = off[1];
	}
	return true;
}

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)
#define LOAD(p, off) emit(p, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(off))
#define RET(p, v) emit(p, BPF_RET | BPF_K, v)

/* The accumulator == k: on to `yes`. */
static void if_eq(struct prog *p, uint32_t k, enum label yes)
{
	jump(p, BPF_JEQ, k, yes, NEXT);
}

/* Argument i's low half must be k, or the call traps (int and unsigned int
 * arguments: the kernel ignores the upper half, so must we). */
static void need_arg(struct prog *p, int i, uint32_t k)
{
	LOAD(p, ARG_LO(i));
	jump(p, BPF_JEQ, k, NEXT, TRAP);
}

/* 64-bit argument i >= v, or the call traps. */
static void need_ge(struct prog *p, int i, uint64_t v)
{
	LOAD(p, ARG_HI(i));
	jump(p, BPF_JGT, (uint32_t)(v >> 32), SKIP(3), NEXT); /* hi above: holds */
	jump(p, BPF_JEQ, (uint32_t)(v >> 32), NEXT, TRAP);
	LOAD(p, ARG_LO(i));
	jump(p, BPF_JGE, (uint32_t)v, NEXT, TRAP);
}

/* 64-bit argument i < v (strict) or <= v, or the call traps. */
static void need_below(struct prog *p, int i, uint64_t v, bool or_equal)
{
	LOAD(p, ARG_HI(i));
	jump(p, BPF_JGT, (uint32_t)(v >> 32), TRAP, NEXT);
	jump(p, BPF_JEQ, (uint32_t)(v >> 32), NEXT, SKIP(2)); /* hi below: holds */
	LOAD(p, ARG_LO(i));
	jump(p, or_equal ? BPF_JGT : BPF_JGE, (uint32_t)v, TRAP, NEXT);
}

/* Calls allowed whatever their arguments, into the dispatch. */
static void any_of(struct prog *p, const int *calls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if_eq(p, (uint32_t)calls[i], ALLOW);
}

#define ANY_OF(p, calls) any_of(p, calls, sizeof calls / sizeof calls[0])

/* The sanitizer build (make test's vmm-asan) only: the sanitizer runtime
 * allocates with anonymous mmaps and, to report, asks for its thread id and
 * reads /proc/self/maps. A build without sanitizers allows none of this. */
#if defined(__SANITIZE_ADDRESS__)
static const int sanitizer_calls[] = {
	SYS_munmap, SYS_madvise, SYS_mprotect, SYS_gettid, SYS_getpid, SYS_tgkill,
	SYS_sched_yield, SYS_sigaltstack, SYS_rt_sigprocmask, SYS_rt_sigaction,
	SYS_openat, SYS_read, SYS_close, SYS_readlink, SYS_newfstatat, SYS_fstat,
	SYS_prctl, SYS_futex,
};

/* LeakSanitizer checks from a thread of its own at exit, with calls no
 * allowlist of a VMM should hold; a VMM's memory ends with its run anyway
 * (a host test bounds what it holds meanwhile). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

/* The dispatch on the call's number. */
static void dispatch(struct prog *p, const struct vm *vm)
{
	static const int calls[] = {
		SYS_poll, SYS_ppoll, SYS_getrandom, SYS_brk, SYS_clock_gettime,
		SYS_gettimeofday, SYS_rt_sigreturn, SYS_exit, SYS_exit_group,
	};
	/* --gdb: the stub's socket calls (gdb_stub.c). The client's fd is not
	 * known before it connects, so these take any fd. */
	static const int gdb_calls[] = { SYS_recvfrom, SYS_sendto, SYS_close };

	/* Another architecture's system call numbers mean other calls. */
	LOAD(p, offsetof(struct seccomp_data, arch));
	jump(p, BPF_JEQ, AUDIT_ARCH_X86_64, SKIP(1), NEXT);
	RET(p, SECCOMP_RET_KILL_PROCESS);
	/* x32 calls share the arch and set bit 30: none of ours. */
	LOAD(p, offsetof(struct seccomp_data, nr));
	jump(p, BPF_JGE, 0x40000000u, TRAP, NEXT);
	if_eq(p, SYS_ioctl, IOCTL);
	if_eq(p, SYS_write, WRITE);
	if_eq(p, SYS_mmap, MMAP);
	if (vm->stats_fd >= 0)
		if_eq(p, SYS_pread64, PREAD);
	ANY_OF(p, calls);
	if (vm->gdb) {
		if_eq(p, SYS_accept4, ACCEPT);
		if_eq(p, SYS_fcntl, FCNTL);
		if_eq(p, SYS_setsockopt, SOCKOPT);
		ANY_OF(p, gdb_calls);
	}
#if defined(__SANITIZE_ADDRESS__)
	ANY_OF(p, sanitizer_calls);
#endif
	RET(p, SECCOMP_RET_TRAP);
}

/* The blocks the dispatch jumps to: each checks its call's arguments and
 * allows, or falls to a trap. */
static void blocks(struct prog *p, const struct vm *vm)
{
	static const unsigned long vcpu_ioctls[] = {
		KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_TRANSLATE,
		KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS,
	};

	/* ioctl: on the vCPU fd (the run loop's calls; --gdb also sets debug
	 * registers and segments, --count-insns re-arms single-stepping) and
	 * the VM fd (memslots, for --view-switch=memslot) only. */
	label(p, IOCTL);
	LOAD(p, ARG_LO(0));
	if_eq(p, (uint32_t)vm->vcpu_fd, VCPU_IOCTL);
	if_eq(p, (uint32_t)vm->vm_fd, VM_IOCTL);
	RET(p, SECCOMP_RET_TRAP);
	label(p, VCPU_IOCTL);
	LOAD(p, ARG_LO(1));
	for (size_t i = 0; i < sizeof vcpu_ioctls / sizeof vcpu_ioctls[0]; i++)
		if_eq(p, (uint32_t)vcpu_ioctls[i], ALLOW);
	if (vm->gdb || timeline_counting_insns())
		if_eq(p, (uint32_t)KVM_SET_GUEST_DEBUG, ALLOW);
	if (vm->gdb)
		if_eq(p, (uint32_t)KVM_SET_SREGS, ALLOW);
	RET(p, SECCOMP_RET_TRAP);
	label(p, VM_IOCTL);
	LOAD(p, ARG_LO(1));
	if_eq(p, (uint32_t)KVM_SET_USER_MEMORY_REGION, ALLOW);
	RET(p, SECCOMP_RET_TRAP);

	/* write: the guest's console, our messages, --trace-json's file. */
	label(p, WRITE);
	LOAD(p, ARG_LO(0));
	if_eq(p, STDOUT_FILENO, ALLOW);
	if_eq(p, STDERR_FILENO, ALLOW);
	if (trace_json_fd() >= 0)
		if_eq(p, (uint32_t)trace_json_fd(), ALLOW);
	RET(p, SECCOMP_RET_TRAP);

	/* mmap: a view switch, the RAM memfd over guest RAM (mem.c); in the
	 * sanitizer build also anonymous memory (fd -1). */
	label(p, MMAP);
#if defined(__SANITIZE_ADDRESS__)
	LOAD(p, ARG_LO(4));
	if_eq(p, 0xffffffffu, ALLOW);
#endif
	uint64_t host = (uint64_t)(uintptr_t)vm->mem.host;
	need_ge(p, 0, host);
	need_below(p, 0, host + vm->mem.size, false);
	need_below(p, 1, vm->mem.size, true);
	need_arg(p, 2, PROT_READ | PROT_WRITE);
	need_arg(p, 3, MAP_SHARED | MAP_FIXED);
	need_arg(p, 4, (uint32_t)vm->mem.fd);
	RET(p, SECCOMP_RET_ALLOW);

	if (vm->stats_fd >= 0) { /* --stats: the KVM stats fd, opened before */
		label(p, PREAD);
		need_arg(p, 0, (uint32_t)vm->stats_fd);
		RET(p, SECCOMP_RET_ALLOW);
	}
	if (vm->gdb) { /* accept4 on the listening socket only */
		label(p, ACCEPT);
		need_arg(p, 0, (uint32_t)vm->gdb_fd);
		RET(p, SECCOMP_RET_ALLOW);
		label(p, FCNTL);
		LOAD(p, ARG_LO(1));
		if_eq(p, F_SETOWN, ALLOW);
		if_eq(p, F_SETFL, ALLOW);
		RET(p, SECCOMP_RET_TRAP);
		label(p, SOCKOPT);
		need_arg(p, 1, IPPROTO_TCP);
		need_arg(p, 2, TCP_NODELAY);
		RET(p, SECCOMP_RET_ALLOW);
	}
	label(p, ALLOW);
	RET(p, SECCOMP_RET_ALLOW);
	label(p, TRAP);
	RET(p, SECCOMP_RET_TRAP);
}

static bool build(struct prog *p, const struct vm *vm)
{
	dispatch(p, vm);
	blocks(p, vm);
	return p->n <= MAX_INSNS && resolve(p);
}

/* Append s to buf at *n, within cap. */
static void put(char *buf, size_t cap, size_t *n, const char *s)
{
	while (*s && *n < cap)
		buf[(*n)++] = *s++;
}

/* SIGSYS: the VMM itself broke its allowlist, a bug of ours. Say which
 * call, then end as a VMM failure. Raw system calls and no formatting
 * library: nothing here may reach a call the filter forbids (sanitizer
 * builds intercept libc's), since a second SIGSYS would kill the VMM. */
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	char msg[200], num[12];
	size_t n = 0, k = sizeof num;
	unsigned nr = (unsigned)si->si_syscall;
	const char *name = nr < sizeof syscall_names / sizeof syscall_names[0] && syscall_names[nr]
				   ? syscall_names[nr] : "unknown";

	num[--k] = 0;
	do
		num[--k] = (char)('0' + nr % 10);
	while ((nr /= 10) && k);
	put(msg, sizeof msg, &n, "vmm: sandbox: system call ");
	put(msg, sizeof msg, &n, num + k);
	put(msg, sizeof msg, &n, " (");
	put(msg, sizeof msg, &n, name);
	put(msg, sizeof msg, &n, ") is not on the VMM's seccomp allowlist: stopped (a VMM bug; "
				 "--no-sandbox runs without)\n");
	syscall(SYS_write, STDERR_FILENO, msg, n);
	syscall(SYS_exit_group, EXIT_VMM_FAILED);
}

/* Test-only (docs/vmm.md): prove that a call off the list, or one whose
 * arguments are off it, is stopped and named, by making it. Were the
 * filter to let one through, the run would go on and the test fail. */
static void forbidden_call(const struct vm *vm, const char *which)
{
	void *ram = vm->mem.host;
	size_t size = vm->mem.size;
	int prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED | MAP_FIXED, fd = vm->mem.fd;

	if (!strcmp(which, "ioctl-fd")) /* /dev/kvm's fd */
		(void)!ioctl(vm->kvm_fd, KVM_RUN, 0);
	else if (!strcmp(which, "ioctl-req")) /* the vCPU's, a request only --gdb may make */
		(void)!ioctl(vm->vcpu_fd, KVM_SET_SREGS, NULL);
	else if (!strcmp(which, "write-fd"))
		(void)!write(STDIN_FILENO, "", 0);
	else if (!strcmp(which, "mmap-exec"))
		mmap(ram, 4096, prot | PROT_EXEC, flags, fd, 0);
	else if (!strcmp(which, "mmap-past")) /* onto the guard after RAM */
		mmap((char *)ram + size, 4096, prot, flags, fd, 0);
	else if (!strcmp(which, "mmap-long"))
		mmap(ram, size + 4096, prot, flags, fd, 0);
	else
		(void)!getppid();
}

int sandbox_enter(const struct vm *vm)
{
	static struct prog p;
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	if (!build(&p, vm)) {
		vmm_log("sandbox: the seccomp filter does not assemble (%u instructions; at most "
			"%d, each jump at most 255 ahead)", p.n, MAX_INSNS);
		return -1;
	}
	struct sock_fprog fp = { .len = (unsigned short)p.n, .filter = p.ins };
	if (sigaction(SIGSYS, &sa, NULL) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fp) != 0) {
		vmm_log("sandbox: cannot install the seccomp filter: %s (--no-sandbox runs without)",
			strerror(errno));
		return -1;
	}
	if (getenv("VMM_TEST_FORBIDDEN_SYSCALL"))
		forbidden_call(vm, getenv("VMM_TEST_FORBIDDEN_SYSCALL"));
	return 0;
}
