/*
 * --trace-json FILE: the run as a Chrome trace-event file (the JSON that
 * ui.perfetto.dev and chrome://tracing open). Track 1 holds the VMM's
 * phases, track 2 the vCPU: each exit a slice from KVM_RUN's return to the
 * next entry, named by its reason (hypercalls by call, their arguments in
 * "args"), and the guest's boot stamps as instant events.
 *
 * Events are kept in a buffer of at most TRACE_EVENTS_MAX exits and written
 * when the run ends, through the fd opened before the sandbox (which then
 * allows write() on it and nothing more). Past the bound, exits are counted,
 * not kept, and both the file and stderr say how many.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc_dispatch.h"
#include "vmm.h"

#define TRACE_EVENTS_MAX 200000 /* about 20 MiB of events, touched as used */

struct exit_event {
	uint64_t t0, t1;        /* host ns: KVM_RUN returned, handler done */
	uint64_t rip;           /* as KVM left it (~0: not synced) */
	uint32_t reason;
	uint16_t port;          /* KVM_EXIT_IO */
	uint8_t out, size;
	uint32_t hc_gpa;        /* a doorbell ring: its block's GPA, else 0 */
	bool hc_misaligned;     /* ... rung with a block not 8-byte aligned */
	struct hc hc;           /* the block as rung, ret as answered */
};

bool trace_json_on;
static int fd = -1;
static const char *path;
static struct exit_event *events;
static size_t count, cap;
static uint64_t dropped, first_drop_ns;
static struct exit_event *open_ev;   /* begun, not yet ended */
static const struct vm *traced_vm;

int trace_json_open(const char *file)
{
	/* VMM_TRACE_JSON_MAX: a smaller bound, for the host test of it only. */
	const char *max = getenv("VMM_TRACE_JSON_MAX");

	path = file;
	cap = max ? strtoul(max, NULL, 10) : TRACE_EVENTS_MAX;
	if (cap > TRACE_EVENTS_MAX)
		cap = TRACE_EVENTS_MAX;
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		vmm_log("--trace-json: cannot open '%s' for writing: %s", file, strerror(errno));
		return -1;
	}
	events = malloc(TRACE_EVENTS_MAX * sizeof *events);
	if (!events) {
		vmm_log("--trace-json: no memory for %d events", TRACE_EVENTS_MAX);
		return -1;
	}
	trace_json_on = true;
	return 0;
}

int trace_json_fd(void)
{
	return fd;
}

void trace_json_exit_begin(const struct vm *vm, uint64_t t0)
{
	const struct kvm_run *r = vm->run;

	traced_vm = vm;
	if (count == cap) {
		if (!dropped++)
			first_drop_ns = t0;
		open_ev = NULL;
		return;
	}
	struct exit_event *e = open_ev = &events[count++];
	*e = (struct exit_event){
		.t0 = t0, .reason = r->exit_reason,
		.rip = vm->sync_regs ? r->s.regs.regs.rip : ~0ull,
	};
	if (r->exit_reason != KVM_EXIT_IO)
		return;
	e->port = r->io.port;
	e->out = r->io.direction == KVM_EXIT_IO_OUT;
	e->size = r->io.size;
	if (e->out && e->port == PORT_HC_DOORBELL && e->size == 4) {
		uint32_t gpa;
		memcpy(&gpa, (const char *)r + r->io.data_offset, sizeof gpa);
		const struct hc *h = guest_ptr(&vm->mem, gpa, sizeof *h);
		e->hc_misaligned = gpa % 8; /* refused: no call to name */
		if (h && !e->hc_misaligned) {
			e->hc_gpa = gpa;
			memcpy(&e->hc, h, sizeof e->hc);
		}
	}
}

void trace_json_exit_end(uint64_t t1)
{
	struct exit_event *e = open_ev;

	if (!e)
		return;
	e->t1 = t1;
	const struct hc *h = e->hc_gpa ? guest_ptr(&traced_vm->mem, e->hc_gpa, sizeof *h) : NULL;
	if (h)
		e->hc.ret = h->ret;
	open_ev = NULL;
}

/* The file, written through one buffer; the first failed write is said
 * once and the rest skipped. */
static char buf[1 << 16];
static size_t used;
static bool failed;

static void flush(void)
{
	for (size_t off = 0; off < used && !failed;) {
		ssize_t n = write(fd, buf + off, used - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vmm_log("--trace-json: writing '%s': %s", path, n < 0 ? strerror(errno) : "no progress");
			failed = true;
		} else {
			off += (size_t)n;
		}
	}
	used = 0;
}

static void __attribute__((format(printf, 1, 2))) put(const char *fmt, ...)
{
	va_list ap;

	if (sizeof buf - used < 1024)
		flush();
	va_start(ap, fmt);
	int n = vsnprintf(buf + used, sizeof buf - used, fmt, ap);
	va_end(ap);
	if (n > 0)
		used += (size_t)n < sizeof buf - used ? (size_t)n : sizeof buf - used - 1;
}

/* Microseconds from process start, as the format wants them. */
static uint64_t start_ns;

static double us(double ns)
{
	return (ns - (double)start_ns) / 1000;
}

static const char *const phase_work[PHASES] = {
	[PHASE_RAM] = "allocate guest RAM",
	[PHASE_IMAGE] = "load image",
	[PHASE_KVM_OPEN] = "open /dev/kvm",
	[PHASE_VM] = "create VM",
	[PHASE_MEMSLOT] = "map RAM (memslot)",
	[PHASE_VCPU] = "create vCPU",
	[PHASE_FIRST_RUN] = "boot info, devices, sandbox",
	[PHASE_EXIT] = "run the guest",
};

static void exit_event(const struct exit_event *e)
{
	char name[64];

	if (e->hc_misaligned) {
		snprintf(name, sizeof name, "hypercall, misaligned block");
	} else if (e->hc_gpa) {
		const char *n = hc_name(e->hc.nr);
		snprintf(name, sizeof name, "hypercall %s", n ? n : "unknown");
	} else if (e->reason == KVM_EXIT_IO) {
		snprintf(name, sizeof name, "IO %s 0x%x", e->out ? "out" : "in", e->port);
	} else {
		snprintf(name, sizeof name, "%s", exit_reason_name(e->reason));
	}
	put(",\n{\"ph\":\"X\",\"pid\":1,\"tid\":2,\"name\":\"%s\",\"ts\":%.3f,\"dur\":%.3f,"
	    "\"args\":{\"reason\":\"%s\"", name, us((double)e->t0), (double)(e->t1 - e->t0) / 1000,
	    exit_reason_name(e->reason));
	if (e->rip != ~0ull)
		put(",\"rip\":\"0x%llx\"", (unsigned long long)e->rip);
	if (e->reason == KVM_EXIT_IO)
		put(",\"port\":\"0x%x\",\"size\":%u", e->port, e->size);
	if (e->hc_gpa) {
		put(",\"nr\":%u,\"flags\":%u,\"ret\":%lld,\"block\":\"0x%x\"", e->hc.nr,
		    e->hc.flags, (long long)e->hc.ret, e->hc_gpa);
		for (int i = 0; i < 6; i++)
			put(",\"arg%d\":\"0x%llx\"", i, (unsigned long long)e->hc.arg[i]);
	}
	put("}}");
}

/* At the end of the run: the whole file. */
void trace_json_write(const struct vm *vm, const struct timeline_marks *m)
{
	start_ns = m->phase_ns[PHASE_START];
	/* tools/worlds/in-kvm names the world; anything else is not trusted into JSON. */
	const char *world = getenv("KVM_WORLD");
	if (!world || (strcmp(world, "host") && strcmp(world, "nested")))
		world = "unknown";

	put("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"kvm\":\"%s\",\"world\":\"%s\","
	    "\"exits_recorded\":%zu,\"exits_dropped\":%llu,\"bound\":%zu},\n\"traceEvents\":[\n",
	    vm->host.name, world, count, (unsigned long long)dropped, cap);
	put("{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\",\"args\":{\"name\":\"vmm (%s, %s world)\"}}",
	    vm->host.name, world);
	put(",\n{\"ph\":\"M\",\"pid\":1,\"tid\":1,\"name\":\"thread_name\",\"args\":{\"name\":\"VMM phases\"}}");
	put(",\n{\"ph\":\"M\",\"pid\":1,\"tid\":2,\"name\":\"thread_name\",\"args\":{\"name\":\"vCPU 0\"}}");
	for (int p = PHASE_RAM; p < PHASES; p++) {
		uint64_t from = m->phase_ns[p == PHASE_EXIT ? PHASE_FIRST_RUN : p - 1];
		uint64_t to = m->phase_ns[p];
		if (from && to >= from)
			put(",\n{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"name\":\"%s\",\"ts\":%.3f,\"dur\":%.3f}",
			    phase_work[p], us((double)from), (double)(to - from) / 1000);
	}
	for (unsigned s = 0; s < BOOT_STAMPS; s++)
		if (m->stage_ns[s] > 0)
			put(",\n{\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":2,\"name\":\"%s\",\"ts\":%.3f}",
			    m->stage_name[s], us(m->stage_ns[s]));
	for (size_t i = 0; i < count; i++)
		exit_event(&events[i]);
	if (dropped) {
		put(",\n{\"ph\":\"i\",\"s\":\"g\",\"pid\":1,\"tid\":2,\"name\":\"trace buffer full: "
		    "%llu later exits not recorded\",\"ts\":%.3f}",
		    (unsigned long long)dropped, us((double)first_drop_ns));
		vmm_log("--trace-json: buffer full at %zu exits: %llu later exits not recorded in '%s'",
			cap, (unsigned long long)dropped, path);
	}
	put("\n]}\n");
	flush();
}
