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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall_names.h" /* generated from <asm/unistd.h> (Makefile) */
#include "vmm.h"

#define MAX_INSNS 256
#define FAIL 0xff /* a jump to the end of the rule, patched when it closes */

struct prog {
	struct sock_filter ins[MAX_INSNS];
	unsigned n, rule; /* instructions so far; where the open rule began */
};

static void emit(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (p->n < MAX_INSNS)
		p->ins[p->n] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
	p->n++;
}

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)
#define LOAD(p, off) emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(off))

/* A rule: a run of checks on one system call; all hold -> allow. */
static void rule(struct prog *p, int nr)
{
	p->rule = p->n;
	LOAD(p, offsetof(struct seccomp_data, nr));
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, FAIL, (uint32_t)nr);
}

/* Low 32 bits of argument i == v (int and unsigned int arguments: the
 * kernel ignores the upper half, so must we). */
static void arg_eq(struct prog *p, int i, uint32_t v)
{
	LOAD(p, ARG_LO(i));
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, FAIL, v);
}

/* 64-bit argument i >= v. */
static void arg_ge(struct prog *p, int i, uint64_t v)
{
	LOAD(p, ARG_HI(i));
	emit(p, BPF_JMP | BPF_JGT | BPF_K, 3, 0, (uint32_t)(v >> 32)); /* hi > : holds */
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, FAIL, (uint32_t)(v >> 32));
	LOAD(p, ARG_LO(i));
	emit(p, BPF_JMP | BPF_JGE | BPF_K, 0, FAIL, (uint32_t)v);
}

/* 64-bit argument i < v (strict) or <= v. */
static void arg_below(struct prog *p, int i, uint64_t v, bool or_equal)
{
	LOAD(p, ARG_HI(i));
	emit(p, BPF_JMP | BPF_JGT | BPF_K, FAIL, 0, (uint32_t)(v >> 32));
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 2, (uint32_t)(v >> 32)); /* hi < : holds */
	LOAD(p, ARG_LO(i));
	emit(p, BPF_JMP | (or_equal ? BPF_JGT : BPF_JGE) | BPF_K, FAIL, 0, (uint32_t)v);
}

/* Close the open rule: allow, and point its failures past it. */
static void allow(struct prog *p)
{
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
	for (unsigned i = p->rule; i < p->n && i < MAX_INSNS; i++) {
		if (BPF_CLASS(p->ins[i].code) != BPF_JMP)
			continue;
		if (p->ins[i].jt == FAIL)
			p->ins[i].jt = (uint8_t)(p->n - i - 1);
		if (p->ins[i].jf == FAIL)
			p->ins[i].jf = (uint8_t)(p->n - i - 1);
	}
}

static void allow_call(struct prog *p, int nr)
{
	rule(p, nr);
	allow(p);
}

static void allow_ioctl(struct prog *p, int fd, unsigned long req)
{
	rule(p, SYS_ioctl);
	arg_eq(p, 0, (uint32_t)fd);
	arg_eq(p, 1, (uint32_t)req);
	allow(p);
}

/* The sanitizer build (make test's vmm-asan) only: the sanitizer runtime
 * allocates with anonymous mmaps and, to report, asks for its thread id and
 * reads /proc/self/maps. A build without sanitizers allows none of this. */
static void sanitizer_calls(struct prog *p)
{
#if defined(__SANITIZE_ADDRESS__)
	static const int calls[] = {
		SYS_munmap, SYS_madvise, SYS_mprotect, SYS_gettid, SYS_getpid, SYS_tgkill,
		SYS_sched_yield, SYS_sigaltstack, SYS_rt_sigprocmask, SYS_rt_sigaction,
		SYS_openat, SYS_read, SYS_close, SYS_readlink, SYS_newfstatat, SYS_fstat,
		SYS_prctl, SYS_futex,
	};
	rule(p, SYS_mmap);
	arg_eq(p, 4, 0xffffffffu); /* fd -1: anonymous */
	allow(p);
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		allow_call(p, calls[i]);
#else
	(void)p;
#endif
}

#if defined(__SANITIZE_ADDRESS__)
/* LeakSanitizer checks from a thread of its own at exit, with calls no
 * allowlist of a VMM should hold; a VMM's memory ends with its run anyway
 * (a host test bounds what it holds meanwhile). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

/* --gdb only: the stub's socket calls (gdb_stub.c). The client's fd is
 * not known before it connects, so those calls take any fd; accept4 only
 * the listening one. */
static void gdb_calls(struct prog *p, const struct vm *vm)
{
	static const int calls[] = { SYS_recvfrom, SYS_sendto, SYS_close };

	if (!vm->gdb)
		return;
	allow_ioctl(p, vm->vcpu_fd, KVM_SET_GUEST_DEBUG);
	allow_ioctl(p, vm->vcpu_fd, KVM_SET_SREGS);
	rule(p, SYS_accept4);
	arg_eq(p, 0, (uint32_t)vm->gdb_fd);
	allow(p);
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		allow_call(p, calls[i]);
	rule(p, SYS_fcntl);
	arg_eq(p, 1, F_SETOWN);
	allow(p);
	rule(p, SYS_fcntl);
	arg_eq(p, 1, F_SETFL);
	allow(p);
	rule(p, SYS_setsockopt);
	arg_eq(p, 1, IPPROTO_TCP);
	arg_eq(p, 2, TCP_NODELAY);
	allow(p);
}

static void build(struct prog *p, const struct vm *vm)
{
	static const unsigned long vcpu_ioctls[] = {
		KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_TRANSLATE,
		KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS,
	};
	static const int calls[] = {
		SYS_poll, SYS_ppoll, SYS_getrandom, SYS_brk, SYS_clock_gettime,
		SYS_gettimeofday, SYS_rt_sigreturn, SYS_exit, SYS_exit_group,
	};

	/* Another architecture's system call numbers mean other calls. */
	LOAD(p, offsetof(struct seccomp_data, arch));
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	/* x32 calls share the arch and set bit 30: none of ours. */
	LOAD(p, offsetof(struct seccomp_data, nr));
	emit(p, BPF_JMP | BPF_JGE | BPF_K, 0, 1, 0x40000000u);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRAP);

	for (size_t i = 0; i < sizeof vcpu_ioctls / sizeof vcpu_ioctls[0]; i++)
		allow_ioctl(p, vm->vcpu_fd, vcpu_ioctls[i]);
	allow_ioctl(p, vm->vm_fd, KVM_SET_USER_MEMORY_REGION);
	if (timeline_counting_insns()) /* --count-insns re-arms single-stepping */
		allow_ioctl(p, vm->vcpu_fd, KVM_SET_GUEST_DEBUG);
	for (int fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++) {
		rule(p, SYS_write);
		arg_eq(p, 0, (uint32_t)fd);
		allow(p);
	}
	if (trace_json_fd() >= 0) { /* --trace-json's file, written at the end */
		rule(p, SYS_write);
		arg_eq(p, 0, (uint32_t)trace_json_fd());
		allow(p);
	}
	if (vm->stats_fd >= 0) {
		rule(p, SYS_pread64);
		arg_eq(p, 0, (uint32_t)vm->stats_fd);
		allow(p);
	}
	uint64_t host = (uint64_t)(uintptr_t)vm->mem.host;
	rule(p, SYS_mmap);
	arg_ge(p, 0, host);
	arg_below(p, 0, host + vm->mem.size, false);
	arg_below(p, 1, vm->mem.size, true);
	arg_eq(p, 2, PROT_READ | PROT_WRITE);
	arg_eq(p, 3, MAP_SHARED | MAP_FIXED);
	arg_eq(p, 4, (uint32_t)vm->mem.fd);
	allow(p);
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		allow_call(p, calls[i]);
	gdb_calls(p, vm);
	sanitizer_calls(p);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRAP);
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

int sandbox_enter(const struct vm *vm)
{
	static struct prog p;
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	build(&p, vm);
	if (p.n > MAX_INSNS) {
		vmm_log("sandbox: the seccomp filter needs %u instructions, more than %d", p.n,
			MAX_INSNS);
		return -1;
	}
	struct sock_fprog fp = { .len = (unsigned short)p.n, .filter = p.ins };
	if (sigaction(SIGSYS, &sa, NULL) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fp) != 0) {
		vmm_log("sandbox: cannot install the seccomp filter: %s (--no-sandbox runs without)",
			strerror(errno));
		return -1;
	}
	/* Test-only (docs/vmm.md): prove that a call off the list is stopped and
	 * named, by making one. */
	if (getenv("VMM_TEST_FORBIDDEN_SYSCALL"))
		(void)!getppid();
	return 0;
}
