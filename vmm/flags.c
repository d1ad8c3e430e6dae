/* Command-line flags: `vmm [options] IMAGE`. Any mistake exits 125. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"

#define RAM_DEFAULT (64ull << 20)
#define RAM_MIN     (2ull << 20)  /* room for the image, boot pages and a kernel */
#define RAM_MAX     (3ull << 30)  /* stay below the 32-bit MMIO hole */
#define TIMEOUT_MAX 1e9           /* ~31 years: keeps timer arithmetic exact */

static const char usage[] =
"usage: vmm [options] IMAGE\n"
"\n"
"Boot IMAGE, a raw disk image with a boot sector, in a one-vCPU KVM guest:\n"
"the image is loaded at 0x7c00 and the vCPU starts in real mode like a PC\n"
"BIOS would start it, with EAX = BOOT_MAGIC and EBX = the boot info address.\n"
"Guest COM1 output goes to stdout; VMM messages go to stderr.\n"
"\n"
"options:\n"
"  -m SIZE             guest RAM in bytes, with an optional K, M or G suffix\n"
"                      (default 64M, 2M to 3G, a multiple of 4K)\n"
"  -c, --cmdline STR   kernel command line (at most 511 bytes)\n"
"      --timeout SEC   stop the guest after SEC seconds (fractions allowed)\n"
"      --trace         print every VM exit (reason, port or address, and the RIP\n"
"                      of the instruction that exited, on every KVM)\n"
"      --stats         print exit counts by reason, VMFUNC emulations and KVM\n"
"                      vCPU stats at the end, and the boot timeline: the VMM's\n"
"                      phases and the guest's stage stamps in us from process\n"
"                      start, with the exits and emulated instructions of each\n"
"      --trace-json FILE\n"
"                      write the run as a Chrome trace-event file (Perfetto,\n"
"                      chrome://tracing): VMM phases, every exit, boot stages\n"
"      --count-insns   single-step the guest and count its instructions per\n"
"                      boot phase in the --stats timeline (slow: an exit each)\n"
"      --stage-exits   ask the boot stub to also write each boot stage to port\n"
"                      0x80, an exit each, for tools that watch KVM's port I/O\n"
"                      (make trace, make mmu-map); without it the stages are\n"
"                      only stamped in boot info, which costs no exit\n"
"      --dump-pt       at the end, print the guest's page tables (walked from\n"
"                      its CR3: 4-level, 4K/2M/1G leaves, contiguous runs\n"
"                      coalesced, flags W U NX PS) to stderr\n"
"      --walk GVA      at the end, print the guest's walk of GVA (hex with 0x,\n"
"                      or decimal) through its page tables: each level's\n"
"                      entry and the GPA (up to 8 times)\n"
"      --view-switch=remap|memslot\n"
"                      how an emulated VMFUNC switches EPT views: remap (the\n"
"                      default) mmaps other RAM over the range; memslot deletes\n"
"                      and re-adds KVM memslots, which costs more and drops\n"
"                      every shadow mapping: a comparison for make bench only\n"
"      --huge-pages=thp|hugetlb\n"
"                      back guest RAM with 2 MiB host pages so that KVM can map\n"
"                      it with 2 MiB entries: thp (shmem transparent huge\n"
"                      pages; the host's shmem_enabled must not be never) or\n"
"                      hugetlb (2 MiB hugetlbfs pages reserved from\n"
"                      vm.nr_hugepages; RAM a multiple of 2M; remapped EPT\n"
"                      view ranges then 2M-aligned too). Refused, not ignored,\n"
"                      where the host cannot\n"
"      --no-sandbox    run without the seccomp allowlist the VMM confines\n"
"                      itself to before the guest's first instruction\n"
"      --gdb PORT      serve gdb's remote protocol on 127.0.0.1:PORT (loopback\n"
"                      only; 0: a free port, printed) and stop the guest before\n"
"                      its first instruction until gdb attaches. Breakpoints\n"
"                      are a HLT written over the instruction (int3 does not\n"
"                      reach the VMM on every KVM); hbreak and watch use the\n"
"                      debug registers, where the KVM arms them\n"
"      --gdb-wait=no   with --gdb: run at once; gdb may attach and stop it later\n"
"  -h, --help          print this help and exit\n"
"\n"
"Values may also be attached: -m64M, -cSTR, --cmdline=STR, --timeout=SEC,\n"
"--trace-json=FILE,\n"
"--walk=GVA, --huge-pages=KIND, --view-switch=MODE.\n"
"\n"
"exit status:\n"
"  0       the guest exited with status 0\n"
"  1-122   the guest's exit status\n"
"  123     the guest crashed: triple fault, unhandled exception, KVM internal\n"
"          error, unknown port or MMIO access, HLT with nothing to wake it,\n"
"          or a guest-reported status of 123 or more\n"
"  124     --timeout expired (while the guest ran, or while the image was\n"
"          still being opened or read)\n"
"  125     the VMM failed: bad flags or image, no KVM, an ioctl failed,\n"
"          or a signal stopped it (SIGINT, SIGTERM, SIGHUP, SIGQUIT,\n"
"          SIGUSR1, SIGUSR2, or a SIGALRM not from --timeout)\n";

static void __attribute__((noreturn, format(printf, 1, 2))) bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nvmm: try 'vmm --help'\n", stderr);
	exit(EXIT_VMM_FAILED);
}

/* SIZE: decimal digits and an optional K/M/G suffix. */
static uint64_t parse_size(const char *flag, const char *s)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		bad("%s: invalid size '%s' (bytes with an optional K, M or G suffix)", flag, s);
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			bad("%s: size '%s' is out of range (2M to 3G)", flag, s);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	unsigned shift = 0;
	switch (*p) {
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	}
	if (*p)
		bad("%s: invalid size '%s' (bytes with an optional K, M or G suffix)", flag, s);
	if (v > (UINT64_MAX >> shift))
		bad("%s: size '%s' is out of range (2M to 3G)", flag, s);
	v <<= shift;
	if (v < RAM_MIN || v > RAM_MAX)
		bad("%s: size '%s' is out of range (2M to 3G)", flag, s);
	if (v & 0xfff)
		bad("%s: size '%s' is not a multiple of 4K", flag, s);
	return v;
}

/* SEC: digits with at most one '.', > 0. strtod alone would also take
 * "inf", "1e3", hex and leading spaces. */
static double parse_seconds(const char *flag, const char *s)
{
	int digits = 0, dots = 0;

	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '.' && !dots)
			dots++;
		else
			bad("%s: invalid time '%s' (positive seconds, e.g. 2 or 0.5)", flag, s);
	}
	if (!digits)
		bad("%s: invalid time '%s' (positive seconds, e.g. 2 or 0.5)", flag, s);
	double v = strtod(s, NULL);
	if (!(v > 0) || v > TIMEOUT_MAX)
		bad("%s: time '%s' is out of range (more than 0, at most 1e9 seconds)", flag, s);
	return v;
}

/* GVA: a 64-bit address, hex with 0x or decimal, nothing else. */
static uint64_t parse_address(const char *flag, const char *s)
{
	int base = strncmp(s, "0x", 2) && strncmp(s, "0X", 2) ? 10 : 16;
	const char *digits = base == 16 ? s + 2 : s;
	char *end;

	errno = 0;
	unsigned long long v = strtoull(digits, &end, base);
	if (!*digits || *end || errno || *digits == '-' || *digits == '+' || *digits == ' ')
		bad("%s: invalid address '%s' (a 64-bit address, hex with 0x or decimal)", flag, s);
	return v;
}

/* PORT: decimal, 0 to 65535. */
static int parse_port(const char *flag, const char *s)
{
	long v = 0;

	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || (v = v * 10 + (*p - '0')) > 65535)
			bad("%s: invalid port '%s' (0 to 65535; 0 picks a free one)", flag, s);
	}
	if (!*s)
		bad("%s: invalid port '' (0 to 65535; 0 picks a free one)", flag);
	return (int)v;
}

/* If argv[*i] is flag `shrt` or `lng` taking a value, return the value (from
 * "-mV", "--long=V" or the next argument) and advance *i; else NULL. */
static const char *value_of(int argc, char **argv, int *i, const char *shrt, const char *lng)
{
	const char *a = argv[*i];
	size_t n;

	if (shrt && !strncmp(a, shrt, 2)) {
		if (a[2])
			return a + 2;
	} else if (lng && !strncmp(a, lng, n = strlen(lng)) && (a[n] == '=' || !a[n])) {
		if (a[n] == '=')
			return a + n + 1;
	} else {
		return NULL;
	}
	if (*i + 1 >= argc)
		bad("flag %s needs a value", a);
	return argv[++*i];
}

void flags_parse(int argc, char **argv, struct options *o)
{
	const char *v;
	bool only_images = false;

	*o = (struct options){ .ram_size = RAM_DEFAULT, .cmdline = "", .gdb_port = -1 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (only_images || a[0] != '-' || !a[1]) {
			if (o->image)
				bad("more than one image given ('%s' and '%s')", o->image, a);
			o->image = a;
		} else if (!strcmp(a, "--")) {
			only_images = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			exit(0);
		} else if (!strcmp(a, "--trace")) {
			o->trace = true;
		} else if (!strcmp(a, "--stats")) {
			o->stats = true;
		} else if (!strcmp(a, "--dump-pt")) {
			o->dump_pt = true;
		} else if (!strcmp(a, "--no-sandbox")) {
			o->no_sandbox = true;
		} else if (!strcmp(a, "--stage-exits")) {
			o->stage_exits = true;
		} else if (!strcmp(a, "--count-insns")) {
			o->count_insns = true;
		} else if ((v = value_of(argc, argv, &i, NULL, "--trace-json"))) {
			if (!*v)
				bad("--trace-json: empty file name");
			o->trace_json = v;
		} else if ((v = value_of(argc, argv, &i, NULL, "--walk"))) {
			if (o->walks == WALK_MAX)
				bad("--walk: at most %d addresses", WALK_MAX);
			o->walk[o->walks++] = parse_address("--walk", v);
		} else if ((v = value_of(argc, argv, &i, NULL, "--huge-pages"))) {
			if (!strcmp(v, "thp"))
				o->huge_pages = HUGE_PAGES_THP;
			else if (!strcmp(v, "hugetlb"))
				o->huge_pages = HUGE_PAGES_HUGETLB;
			else
				bad("--huge-pages: invalid kind '%s' (thp or hugetlb)", v);
		} else if ((v = value_of(argc, argv, &i, NULL, "--view-switch"))) {
			if (!strcmp(v, "remap") || !strcmp(v, "memslot"))
				o->view_memslot = !strcmp(v, "memslot");
			else
				bad("--view-switch: invalid mode '%s' (remap or memslot)", v);
		} else if ((v = value_of(argc, argv, &i, "-m", NULL))) {
			o->ram_size = parse_size("-m", v);
		} else if ((v = value_of(argc, argv, &i, "-c", "--cmdline"))) {
			if (strlen(v) > BOOT_CMDLINE_MAX - 1)
				bad("-c/--cmdline: command line of %zu bytes is too long (at most %d)",
				    strlen(v), BOOT_CMDLINE_MAX - 1);
			o->cmdline = v;
		} else if ((v = value_of(argc, argv, &i, NULL, "--timeout"))) {
			o->timeout = parse_seconds("--timeout", v);
		} else if ((v = value_of(argc, argv, &i, NULL, "--gdb"))) {
			o->gdb_port = parse_port("--gdb", v);
		} else if ((v = value_of(argc, argv, &i, NULL, "--gdb-wait"))) {
			if (strcmp(v, "yes") && strcmp(v, "no"))
				bad("--gdb-wait: '%s' is not yes or no", v);
			o->gdb_nowait = !strcmp(v, "no");
		} else {
			bad("unknown flag '%s'", a);
		}
	}
	if (!o->image)
		bad("no image given (usage: vmm [options] IMAGE)");
	if (o->gdb_nowait && o->gdb_port < 0)
		bad("--gdb-wait=no needs --gdb PORT");
	if (o->count_insns && o->gdb_port >= 0)
		bad("--count-insns and --gdb both single-step the vCPU: use one at a time");
}
