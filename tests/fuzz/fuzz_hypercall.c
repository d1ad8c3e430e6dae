/*
 * libFuzzer harness for the hypercall service, hc_dispatch() (vmm/
 * hypercall.c, with the EPT-view bookkeeping of vmm/views.c behind it).
 *
 * Input: guest RAM as the guest left it. It is copied to GPA 0 of a fake
 * RAM malloc'd exactly RAM_SIZE bytes (so ASan traps any touch outside it),
 * and the doorbell is rung, as doorbell.c does, for the 64-byte request
 * blocks at GPA 0, 64, 128, ... in turn: block copied out, dispatched, ret
 * written back. So the fuzzer controls both the blocks and every buffer
 * they point at. A call that ends the run ends the input.
 *
 * What must hold: no touch outside RAM; ret is >= 0 or one of the ABI's
 * errors, and the ABI's rule for unknown numbers and flags; what a call
 * reports (bytes written, copied, random) is what it did; ABORT/ASSERT
 * text is printable ASCII only (a guest cannot forge log lines); the views
 * stay sorted, disjoint, page-aligned and inside RAM.
 *
 * The view switch back end (mmap or KVM memslots, views.c/views_memslot.c)
 * is the host side, not under test: a stand-in checks what it is asked to
 * map and fails on request (arg5 == FAIL_SWITCH, an argument no call uses),
 * to drive the VIEWS_EHOST path.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "hc_dispatch.h"

#define RAM_SIZE    (HC_CONSOLE_MAX + 16 * 4096) /* past the console cap */
#define BLOCKS_MAX  32
#define FAIL_SWITCH 0xfa11u

static struct guest_mem mem;
static struct boot_info bi;
static struct views vs;
static const uint8_t *console_at;
static size_t console_len;
static bool fail_switch;
static volatile uint8_t sink;

static bool in_ram(uint64_t gpa, uint64_t len)
{
	return (unsigned __int128)gpa + len <= mem.size;
}

/* Reads every byte it is given: ASan checks them all. */
static void console(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	assert(p >= mem.host && len <= mem.size && (size_t)(p - mem.host) <= mem.size - len);
	for (size_t i = 0; i < len; i++)
		sink += p[i];
	console_at = p;
	console_len = len;
}

static void check_view(const struct view *v)
{
	assert(v->n <= VIEW_RANGES_MAX);
	for (unsigned i = 0; i < v->n; i++) {
		const struct view_range *r = &v->r[i];
		assert(r->len && !((r->gpa | r->pa | r->len) & (VIEW_PAGE - 1)));
		assert(in_ram(r->gpa, r->len) && in_ram(r->pa, r->len));
		assert(i == 0 || v->r[i - 1].gpa + v->r[i - 1].len <= r->gpa);
	}
}

static int check_switch(struct views *s, const struct view *from, const struct view *to)
{
	check_view(from);
	check_view(to);
	if (fail_switch) {
		strcpy(s->err, "stand-in back end failing on request");
		return -1;
	}
	return 0;
}

static void check_views(void)
{
	assert(vs.count >= 1 && vs.count <= VIEWS_MAX && vs.live < vs.count);
	assert(vs.view[0].n == 0);
	for (unsigned i = 0; i < vs.count; i++)
		check_view(&vs.view[i]);
}

static void check_text(const char *t)
{
	size_t n = strlen(t);
	assert(n < 2 * 4 * HC_TEXT_MAX + 32);
	for (size_t i = 0; i < n; i++)
		assert(t[i] >= 0x20 && t[i] < 0x7f);
}

/* One call; false once the run would end. */
static bool ring(uint64_t gpa)
{
	struct hc_env env = { .mem = &mem, .boot_info = &bi, .console = console, .views = &vs };
	struct hc h;

	memcpy(&h, mem.host + gpa, sizeof h);
	const struct hc in = h;
	fail_switch = in.arg[5] == FAIL_SWITCH;
	console_len = 0;
	console_at = NULL;
	struct hc_outcome o = hc_dispatch(&env, &h);
	int64_t r = h.ret;

	assert(o.action <= HC_STOP_HOST);
	assert(r >= 0 || r == -HC_EFAULT || r == -HC_EINVAL || r == -HC_ENOSYS ||
	       r == -HC_ENOSPC);
	if (!hc_name(in.nr))
		assert(r == -HC_ENOSYS && o.action == HC_RESUME);
	else if (in.flags)
		assert(r == -HC_EINVAL && o.action == HC_RESUME);
	else if (in.nr == HC_CONSOLE_WRITE && r >= 0)
		assert(in_ram(in.arg[0], in.arg[1]) && console_at == mem.host + in.arg[0] &&
		       console_len == (size_t)r &&
		       (uint64_t)r == (in.arg[1] < HC_CONSOLE_MAX ? in.arg[1] : HC_CONSOLE_MAX));
	else if (in.nr == HC_BOOT_INFO && r >= 0)
		assert(in_ram(in.arg[0], in.arg[1]) && (uint64_t)r <= in.arg[1] &&
		       (size_t)r == (in.arg[1] < sizeof bi ? in.arg[1] : sizeof bi) &&
		       !memcmp(mem.host + in.arg[0], &bi, (size_t)r));
	else if (in.nr == HC_RANDOM && r >= 0)
		assert(in_ram(in.arg[0], in.arg[1]) && (uint64_t)r == in.arg[1]);
	else if (in.nr == HC_EXIT)
		assert(o.action == HC_STOP_EXIT && o.status == in.arg[0]);
	if (o.action == HC_STOP_ABORT || o.action == HC_STOP_ASSERT)
		check_text(o.text);
	if (o.action == HC_STOP_HOST)
		assert(in.nr >= HC_VIEW_CREATE && fail_switch && o.text == vs.err);
	check_views();
	/* The doorbell writes back ret only: it may land inside a buffer. */
	memcpy(mem.host + gpa + offsetof(struct hc, ret), &h.ret, sizeof h.ret);
	return o.action == HC_RESUME;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem.host) {
		mem = (struct guest_mem){ .host = malloc(RAM_SIZE), .size = RAM_SIZE, .fd = -1 };
		assert(mem.host);
		bi = (struct boot_info){ .magic = BOOT_MAGIC, .ram_size = RAM_SIZE };
		strcpy(bi.cmdline, "fuzz");
	}
	if (size > RAM_SIZE)
		size = RAM_SIZE;
	memcpy(mem.host, data, size);
	memset(mem.host + size, 0, RAM_SIZE - size);
	views_init(&vs, &mem, check_switch, NULL);

	for (uint64_t i = 0; i < BLOCKS_MAX && (i + 1) * sizeof(struct hc) <= size; i++)
		if (!ring(i * sizeof(struct hc)))
			break;
	return 0;
}
