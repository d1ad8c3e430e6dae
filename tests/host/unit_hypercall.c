/*
 * The hypercall service (vmm/hypercall.c) without KVM: every number with
 * good and bad arguments, unknown numbers, flags, and what each call does
 * to guest memory, the console and the run.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hc_dispatch.h"
#include "tap.h"

#define RAM_SIZE (4ull << 20) /* above HC_CONSOLE_MAX, to see the cap */

static struct guest_mem mem;
static struct boot_info bi;
static char *console;           /* what CONSOLE_WRITE sent, appended */
static size_t console_len;

static void capture(const void *buf, size_t len)
{
	if (!len)
		return;
	console = realloc(console, console_len + len);
	memcpy(console + console_len, buf, len);
	console_len += len;
}

static const struct hc_env env = { .mem = &mem, .boot_info = &bi, .console = capture };

/* One call; its ret lands in *ret. */
static struct hc_outcome call(uint32_t nr, uint32_t flags, int64_t *ret, uint64_t a0, uint64_t a1,
			      uint64_t a2, uint64_t a3, uint64_t a4)
{
	struct hc h = { .nr = nr, .flags = flags, .ret = 12345, .arg = { a0, a1, a2, a3, a4, 0 } };
	struct hc_outcome o = hc_dispatch(&env, &h);
	*ret = h.ret;
	return o;
}

static uint64_t put(uint64_t gpa, const char *s)
{
	memcpy(mem.host + gpa, s, strlen(s));
	return gpa;
}

static int64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void dispatch_rules(void)
{
	int64_t r;
	unsigned wrong = 0;

	/* Every number: served ones refuse flags with -EINVAL, the rest are
	 * -ENOSYS whatever the flags (the number is checked first). */
	for (uint32_t nr = 0; nr < HC_NR_MAX + 4; nr++) {
		bool served = hc_name(nr) != NULL;
		struct hc_outcome o = call(nr, 1, &r, 0, 0, 0, 0, 0);
		if (r != (served ? -HC_EINVAL : -HC_ENOSYS) || o.action != HC_RESUME) {
			printf("# nr %u with flags 1: ret %lld\n", nr, (long long)r);
			wrong++;
		}
	}
	CHECK(wrong == 0, "every nr with flags != 0: -EINVAL if served, else -ENOSYS");
	call(HC_NOP, 0x80000000u, &r, 0, 0, 0, 0, 0);
	CHECK(r == -HC_EINVAL, "flags bit 31 alone: -EINVAL");
	call(9, 0, &r, 0, 0, 0, 0, 0);
	CHECK(r == -HC_ENOSYS, "nr 9 (unassigned): -ENOSYS");
	call(HC_NR_MAX, 0, &r, 0, 0, 0, 0, 0);
	CHECK(r == -HC_ENOSYS, "nr HC_NR_MAX: -ENOSYS");
	call(UINT32_MAX, 0, &r, 0, 0, 0, 0, 0);
	CHECK(r == -HC_ENOSYS, "nr 2^32 - 1: -ENOSYS");
	CHECK(hc_name(HC_CONSOLE_WRITE) && !strcmp(hc_name(HC_CONSOLE_WRITE), "CONSOLE_WRITE") &&
	      !hc_name(9) && !hc_name(UINT32_MAX), "hc_name names served calls only");
}

static void simple_calls(void)
{
	int64_t r;
	struct hc_outcome o = call(HC_NOP, 0, &r, 1, 2, 3, 4, 5);
	CHECK(r == 0 && o.action == HC_RESUME, "NOP: ret 0, guest resumes");

	call(HC_ABI_VERSION, 0, &r, 0, 0, 0, 0, 0);
	CHECK(r == ((int64_t)HC_ABI_MAJOR << 16 | HC_ABI_MINOR), "ABI_VERSION: major << 16 | minor");

	int64_t t0 = mono_ns();
	call(HC_TIME, 0, &r, 0, 0, 0, 0, 0);
	int64_t t1 = mono_ns();
	CHECK(t0 <= r && r <= t1, "TIME: host CLOCK_MONOTONIC ns");

	o = call(HC_EXIT, 0, &r, 7, 0, 0, 0, 0);
	CHECK(o.action == HC_STOP_EXIT && o.status == 7, "EXIT 7: stop with status 7");
	o = call(HC_EXIT, 0, &r, UINT64_MAX, 0, 0, 0, 0);
	CHECK(o.action == HC_STOP_EXIT && o.status == UINT64_MAX,
	      "EXIT 2^64 - 1: passed on whole (the VMM maps >= 123 to 123)");
}

static void console_write(void)
{
	int64_t r;
	uint64_t s = RAM_SIZE;

	console_len = 0;
	call(HC_CONSOLE_WRITE, 0, &r, put(0x2000, "hello\n"), 6, 0, 0, 0);
	CHECK(r == 6 && console_len == 6 && !memcmp(console, "hello\n", 6),
	      "CONSOLE_WRITE: bytes reach the console, ret = length");
	console_len = 0;
	call(HC_CONSOLE_WRITE, 0, &r, s, 0, 0, 0, 0);
	CHECK(r == 0 && console_len == 0, "CONSOLE_WRITE: len 0 at gpa = RAM size: ret 0");
	call(HC_CONSOLE_WRITE, 0, &r, s - 1, 1, 0, 0, 0);
	CHECK(r == 1 && console_len == 1, "CONSOLE_WRITE: the last byte of RAM");
	console_len = 0;
	const uint64_t bad[][2] = {
		{ s, 1 }, { s - 4, 8 }, { 1ull << 62, 1 }, { 0x1000, UINT64_MAX - 0x800 },
		{ UINT64_MAX, 2 }, { 0x1000, s }, { 0, UINT64_MAX },
	};
	unsigned wrong = 0;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		call(HC_CONSOLE_WRITE, 0, &r, bad[i][0], bad[i][1], 0, 0, 0);
		wrong += r != -HC_EFAULT;
	}
	CHECK(wrong == 0 && console_len == 0,
	      "CONSOLE_WRITE: buffers not wholly in RAM (past the end, wrapping): -EFAULT, "
	      "nothing written");
	call(HC_CONSOLE_WRITE, 0, &r, 0, HC_CONSOLE_MAX + 10, 0, 0, 0);
	CHECK(r == HC_CONSOLE_MAX && console_len == HC_CONSOLE_MAX,
	      "CONSOLE_WRITE: longer than HC_CONSOLE_MAX writes HC_CONSOLE_MAX and says so");
	console_len = 0;
}

static void boot_info(void)
{
	int64_t r;
	uint8_t *dst = mem.host + 0x10000;

	memset(dst, 0xee, 2 * sizeof bi);
	call(HC_BOOT_INFO, 0, &r, 0x10000, sizeof bi, 0, 0, 0);
	CHECK(r == sizeof bi && !memcmp(dst, &bi, sizeof bi) && dst[sizeof bi] == 0xee,
	      "BOOT_INFO: whole block copied, nothing past it");
	memset(dst, 0xee, 2 * sizeof bi);
	call(HC_BOOT_INFO, 0, &r, 0x10000, 8, 0, 0, 0);
	CHECK(r == 8 && !memcmp(dst, &bi, 8) && dst[8] == 0xee, "BOOT_INFO: len 8 copies 8 bytes");
	call(HC_BOOT_INFO, 0, &r, 0x10000, 2 * sizeof bi, 0, 0, 0);
	CHECK(r == sizeof bi && dst[sizeof bi] == 0xee, "BOOT_INFO: a larger buffer gets the block");
	call(HC_BOOT_INFO, 0, &r, 0x10000, 0, 0, 0, 0);
	CHECK(r == 0, "BOOT_INFO: len 0 copies nothing");
	call(HC_BOOT_INFO, 0, &r, RAM_SIZE - 16, sizeof bi, 0, 0, 0);
	CHECK(r == -HC_EFAULT, "BOOT_INFO: buffer running past RAM: -EFAULT");
	call(HC_BOOT_INFO, 0, &r, UINT64_MAX - 7, 16, 0, 0, 0);
	CHECK(r == -HC_EFAULT, "BOOT_INFO: gpa + len wrapping: -EFAULT");
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void random_bytes(void)
{
	int64_t r;
	uint8_t *p = mem.host + 0x20000;

	memset(p, 0, 2 * HC_RANDOM_MAX);
	call(HC_RANDOM, 0, &r, 0x20000, 32, 0, 0, 0);
	CHECK(r == 32 && !all_zero(p, 32) && all_zero(p + 32, 64), "RANDOM 32: fills exactly 32 bytes");
	call(HC_RANDOM, 0, &r, 0x20000, HC_RANDOM_MAX, 0, 0, 0);
	CHECK(r == HC_RANDOM_MAX && all_zero(p + HC_RANDOM_MAX, 64), "RANDOM HC_RANDOM_MAX: allowed");
	call(HC_RANDOM, 0, &r, 0x20000, HC_RANDOM_MAX + 1, 0, 0, 0);
	CHECK(r == -HC_EINVAL, "RANDOM HC_RANDOM_MAX + 1: -EINVAL");
	call(HC_RANDOM, 0, &r, 0x20000, UINT64_MAX, 0, 0, 0);
	CHECK(r == -HC_EINVAL, "RANDOM len 2^64 - 1: -EINVAL");
	call(HC_RANDOM, 0, &r, RAM_SIZE - 8, 16, 0, 0, 0);
	CHECK(r == -HC_EFAULT, "RANDOM past the end of RAM: -EFAULT");
	call(HC_RANDOM, 0, &r, UINT64_MAX, 1, 0, 0, 0);
	CHECK(r == -HC_EFAULT, "RANDOM at gpa 2^64 - 1: -EFAULT");
	call(HC_RANDOM, 0, &r, RAM_SIZE, 0, 0, 0, 0);
	CHECK(r == 0, "RANDOM len 0 at gpa = RAM size: ret 0");
}

static void reports(void)
{
	int64_t r;
	uint64_t msg = put(0x30000, "boom"), file = put(0x30100, "kernel/x.c");

	struct hc_outcome o = call(HC_ABORT, 0, &r, msg, 4, file, 10, 42);
	CHECK(r == 0 && o.action == HC_STOP_ABORT && !strcmp(o.text, "kernel/x.c:42: boom"),
	      "ABORT: stop, text 'file:line: message'");
	o = call(HC_ASSERT, 0, &r, put(0x30200, "x == 1"), 6, file, 10, 7);
	CHECK(r == 0 && o.action == HC_STOP_ASSERT && !strcmp(o.text, "kernel/x.c:7: x == 1"),
	      "ASSERT: stop, text 'file:line: expression'");
	o = call(HC_ABORT, 0, &r, put(0x30300, "a\nb\x1b"), 4, file, 10, 1);
	CHECK(o.action == HC_STOP_ABORT && !strcmp(o.text, "kernel/x.c:1: a\\x0ab\\x1b"),
	      "ABORT: control bytes are escaped, so no forged log lines");
	o = call(HC_ABORT, 0, &r, msg, 0, file, 0, 3);
	CHECK(o.action == HC_STOP_ABORT && !strcmp(o.text, ":3: "), "ABORT: empty strings are fine");
	o = call(HC_ABORT, 0, &r, 0, HC_TEXT_MAX * 3, file, 10, 5);
	CHECK(o.action == HC_STOP_ABORT && strlen(o.text) <= 4 * HC_TEXT_MAX + 20,
	      "ABORT: a long message is cut to HC_TEXT_MAX bytes");

	const uint64_t bad[][4] = {
		{ RAM_SIZE - 2, 4, file, 10 }, { msg, 4, RAM_SIZE, 1 },
		{ msg, UINT64_MAX, file, 10 }, { msg, 4, UINT64_MAX - 1, 4 },
	};
	unsigned wrong = 0;
	for (uint32_t nr = HC_ABORT; nr <= HC_ASSERT; nr += HC_ASSERT - HC_ABORT)
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			o = call(nr, 0, &r, bad[i][0], bad[i][1], bad[i][2], bad[i][3], 1);
			wrong += r != -HC_EFAULT || o.action != HC_RESUME;
		}
	CHECK(wrong == 0, "ABORT/ASSERT with a message or file name outside RAM: -EFAULT, guest resumes");
}

int main(void)
{
	mem = (struct guest_mem){ .host = calloc(1, RAM_SIZE), .size = RAM_SIZE, .fd = -1 };
	bi = (struct boot_info){ .magic = BOOT_MAGIC, .ram_size = RAM_SIZE, .e820_count = 3 };
	strcpy(bi.cmdline, "unit");
	if (!CHECK(mem.host != NULL, "allocate %llu bytes of fake guest RAM", RAM_SIZE))
		return tap_done();

	dispatch_rules();
	simple_calls();
	console_write();
	boot_info();
	random_bytes();
	reports();
	return tap_done();
}
