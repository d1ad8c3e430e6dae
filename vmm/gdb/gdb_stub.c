/*
 * The GDB remote stub (--gdb PORT): gdb's remote serial protocol on a TCP
 * socket bound to 127.0.0.1 only, one client at a time, on the VMM's one
 * thread. While the guest is stopped the stub reads commands; while it
 * runs, the sockets raise SIGIO (O_ASYNC), which kicks KVM_RUN out the
 * same way the watchdog does (watchdog.c), and the stub looks: a 0x03
 * from gdb stops the guest there, a new client stops it and attaches, a
 * client that went away leaves it running.
 *
 * A stop is answered with a stop reply (S05 at attach, S02 for an
 * interrupt, T05 with swbreak/hwbreak/watch for breakpoints), the end of
 * the run with W and the exit status. Malformed packets, bad checksums,
 * oversize packets, bad ranges and unknown registers get an error reply
 * (E01 malformed, E0e unmapped memory, E16 refused, E1c no debug register
 * left) or a NAK, and a line on stderr; nothing a client sends ends the
 * run but 'k'.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gdb.h"
#include "gdb_packet.h"
#include "../vmm.h"

static struct {
	int fd;                 /* the client, -1 if none */
	pid_t pid;              /* for F_SETOWN: getpid() is not on the sandbox's list */
	uint16_t port;
	struct gdb_rx rx;
	uint8_t in[2048];       /* received, not yet parsed: in[in_pos .. in_len) */
	size_t in_pos, in_len;
	char out[2 * GDB_PACKET_MAX + 8]; /* the last reply, framed, for a NAK */
	size_t out_len;
	char stop[80];          /* the stop reply, for '?' */
	bool wait;              /* stop before the first instruction */
} g = { .fd = -1 };

enum { E_MALFORMED = 0x01, E_FAULT = 0x0e, E_REFUSED = 0x16, E_NOSPACE = 0x1c };

/* What a command asks beyond its reply. */
enum { CMD_KILL = -2, CMD_DETACH = -3 };

/* Signal-driven I/O on fd, to this process: a byte or a connection kicks. */
static int async_on(int fd)
{
	if (fcntl(fd, F_SETOWN, g.pid) < 0 || fcntl(fd, F_SETFL, O_ASYNC) < 0) {
		vmm_log("gdb: cannot make the socket signal-driven: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int gdb_start(struct vm *vm, const struct options *o)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->gdb_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof a;
	int one = 1;

	if (o->gdb_port < 0)
		return 0;
	g.pid = getpid();
	g.wait = !o->gdb_nowait;
	vm->gdb_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (vm->gdb_fd < 0 ||
	    setsockopt(vm->gdb_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(vm->gdb_fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(vm->gdb_fd, 1) < 0 ||
	    getsockname(vm->gdb_fd, (struct sockaddr *)&a, &alen) < 0) {
		vmm_log("gdb: cannot listen on 127.0.0.1:%d: %s", o->gdb_port, strerror(errno));
		return -1;
	}
	kick_on(SIGIO);
	if (async_on(vm->gdb_fd) < 0)
		return -1;
	vm->gdb = true;
	g.port = ntohs(a.sin_port);
	vmm_log("gdb: listening on 127.0.0.1:%u; breakpoints (Z0) are a HLT written over the "
		"instruction (int3 does not reach the VMM on every KVM), hbreak and watch use "
		"DR0-DR3 where %s arms them; %s", g.port, vm->host.name,
		o->gdb_nowait ? "the guest runs until gdb attaches"
			      : "the guest waits for gdb before its first instruction");
	return 0;
}

static int send_all(const char *buf, size_t n)
{
	while (n && g.fd >= 0) {
		ssize_t k = send(g.fd, buf, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR && !stop_signal())
			continue;
		if (k <= 0)
			return -1;
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

static int reply_n(const char *payload, size_t len)
{
	g.out_len = gdb_frame(g.out, sizeof g.out, payload, len);
	return send_all(g.out, g.out_len);
}

static int reply(const char *payload)
{
	return reply_n(payload, strlen(payload));
}

/* An error reply, and why on stderr: the client may show only "E16". */
static int refuse(int code, const char *cmd, const char *why)
{
	char e[4];

	vmm_log("gdb: refused '%.40s': %s", cmd, why);
	snprintf(e, sizeof e, "E%02x", code);
	return reply(e);
}

static void client_close(void)
{
	if (g.fd >= 0)
		close(g.fd);
	g.fd = -1;
	g.in_pos = g.in_len = 0;
	g.rx.state = RX_IDLE;
}

/* The client went away (or detached): its breakpoints go with it. */
static void client_gone(struct vm *vm, const char *why, bool running)
{
	client_close();
	gdb_bp_clear(vm);
	gdb_debug_arm(vm, false);
	vmm_log("gdb: %s; the guest %s, and the stub waits for another client", why,
		running ? "runs on" : "stays stopped");
}

/* Take a waiting connection; block: wait for one. 1 attached, 0 none
 * (or a stop signal came), -1 the listening socket failed (said). */
static int client_accept(struct vm *vm, bool block)
{
	struct pollfd p = { .fd = vm->gdb_fd, .events = POLLIN };
	int one = 1;

	while (poll(&p, 1, block ? -1 : 0) < 0)
		if (errno != EINTR || stop_signal())
			return 0;
	if (!(p.revents & POLLIN))
		return 0;
	g.fd = accept4(vm->gdb_fd, NULL, NULL, SOCK_CLOEXEC);
	if (g.fd < 0) {
		/* A client that gave up before its turn is no failure. */
		if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED)
			return 0;
		vmm_log("gdb: cannot accept a client on 127.0.0.1:%u: %s", g.port, strerror(errno));
		return -1;
	}
	/* Replies go out at once, not after the client's delayed ACK. */
	if (setsockopt(g.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 || async_on(g.fd) < 0) {
		vmm_log("gdb: cannot set up the client's socket: %s", strerror(errno));
		client_close();
		return -1;
	}
	vmm_log("gdb: client attached");
	return 1;
}

/* More bytes from the client into g.in; 1 read, 0 none (nonblocking),
 * -1 gone or a stop signal. */
static int fill(bool block)
{
	if (g.in_pos < g.in_len)
		return 1;
	for (;;) {
		ssize_t k = recv(g.fd, g.in, sizeof g.in, block ? 0 : MSG_DONTWAIT);
		if (k > 0) {
			g.in_pos = 0;
			g.in_len = (size_t)k;
			return 1;
		}
		if (k < 0 && errno == EINTR && !stop_signal())
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !block)
			return 0;
		return -1;
	}
}

/* Where the guest stopped, for a stop reply and the log. */
static void stopped_at(struct vm *vm, const char *stop, const char *what)
{
	struct gdb_cpu c;

	snprintf(g.stop, sizeof g.stop, "%s", stop);
	if (what && gdb_cpu_read(vm, &c) == 0)
		vmm_log("gdb: %s at RIP 0x%llx (CS 0x%x, stage %s)", what,
			(unsigned long long)c.r.rip, c.s.cs.selector, stage_describe());
}

static int cmd_read_regs(struct vm *vm)
{
	struct gdb_cpu c;
	char hex[2 * 512];
	uint8_t v[16];
	size_t n = 0;

	if (gdb_cpu_read(vm, &c) < 0)
		return refuse(E_REFUSED, "g", "the registers cannot be read");
	for (unsigned i = 0; i < GDB_NREGS; i++) {
		unsigned size = gdb_reg_size(i);
		if (gdb_reg_get(&c, i, v))
			gdb_hex_encode(hex + n, v, size);
		else
			memset(hex + n, 'x', 2 * size);
		n += 2 * size;
	}
	return reply_n(hex, n);
}

/* G: every register, in order; the x87 ones are not available and their
 * bytes, whatever they hold, are skipped. */
static int cmd_write_regs(struct vm *vm, const char *arg, size_t len)
{
	struct gdb_cpu c;
	uint8_t v[16];
	const char *why = "";

	if (len != 2 * gdb_regs_total())
		return refuse(E_MALFORMED, "G", "not one value for every register");
	if (gdb_cpu_read(vm, &c) < 0)
		return refuse(E_REFUSED, "G", "the registers cannot be read");
	for (unsigned i = 0; i < GDB_NREGS; arg += 2 * gdb_reg_size(i++)) {
		if (!gdb_reg_get(&c, i, v))
			continue;
		if (!gdb_hex_decode(v, arg, gdb_reg_size(i)))
			return refuse(E_MALFORMED, "G", "not hex");
		if (!gdb_reg_set(&c, i, v, &why))
			return refuse(E_REFUSED, "G", why);
	}
	return gdb_cpu_write(vm, &c) < 0 ? refuse(E_REFUSED, "G", "KVM refused the registers")
					 : reply("OK");
}

/* p N or P N=VALUE (little-endian hex, as wide as the register). */
static int cmd_reg(struct vm *vm, const char *pkt, const char *end)
{
	const char *p = pkt + 1, *why = "";
	uint64_t n;
	struct gdb_cpu c;
	uint8_t v[16];
	char hex[32];

	if (!gdb_parse_hex(&p, end, &n))
		return refuse(E_MALFORMED, pkt, "no register number");
	if (n >= GDB_NREGS)
		return refuse(E_REFUSED, pkt, "no such register");
	unsigned size = gdb_reg_size((unsigned)n);
	if (gdb_cpu_read(vm, &c) < 0)
		return refuse(E_REFUSED, pkt, "the registers cannot be read");
	if (pkt[0] == 'p') {
		if (p != end)
			return refuse(E_MALFORMED, pkt, "junk after the register number");
		if (!gdb_reg_get(&c, (unsigned)n, v))
			memset(hex, 'x', 2 * size);
		else
			gdb_hex_encode(hex, v, size);
		return reply_n(hex, 2 * size);
	}
	if (end - p != 1 + 2 * (long)size || *p != '=' || !gdb_hex_decode(v, p + 1, size))
		return refuse(E_MALFORMED, pkt, "not NUMBER=VALUE as wide as the register");
	if (!gdb_reg_set(&c, (unsigned)n, v, &why))
		return refuse(E_REFUSED, pkt, why);
	return gdb_cpu_write(vm, &c) < 0 ? refuse(E_REFUSED, pkt, "KVM refused the registers")
					 : reply("OK");
}

/* m ADDR,LEN; M ADDR,LEN:HEX; X ADDR,LEN:BINARY */
static int cmd_memory(struct vm *vm, const char *pkt, const char *end)
{
	static uint8_t buf[GDB_PACKET_MAX];
	static char hex[GDB_PACKET_MAX];
	const char *p = pkt + 1;
	uint64_t addr, len;
	size_t max = pkt[0] == 'X' ? GDB_PACKET_MAX : GDB_MEM_MAX;

	if (!gdb_parse_range(&p, end, max, &addr, &len))
		return refuse(E_MALFORMED, pkt, "not ADDR,LEN of at most 2048 bytes within 2^64");
	if (pkt[0] == 'm') {
		if (p != end)
			return refuse(E_MALFORMED, pkt, "junk after the length");
		if (!gdb_mem_read(vm, addr, buf, len))
			return refuse(E_FAULT, pkt, "not mapped to RAM by the guest's paging");
		gdb_hex_encode(hex, buf, len);
		return reply_n(hex, 2 * len);
	}
	if (p == end || *p++ != ':')
		return refuse(E_MALFORMED, pkt, "no ':' before the data");
	if (pkt[0] == 'M' && ((size_t)(end - p) != 2 * len || !gdb_hex_decode(buf, p, len)))
		return refuse(E_MALFORMED, pkt, "the data is not LEN bytes of hex");
	if (pkt[0] == 'X') {
		if ((size_t)(end - p) != len)
			return refuse(E_MALFORMED, pkt, "the data is not LEN bytes");
		memcpy(buf, p, len);
	}
	if (!gdb_mem_write(vm, addr, buf, len))
		return refuse(E_FAULT, pkt, "not mapped to RAM by the guest's paging");
	return reply("OK");
}

/* Z/z TYPE,ADDR,KIND: KIND is the breakpoint's length (1 on x86) or the
 * watched bytes. */
static int cmd_breakpoint(struct vm *vm, const char *pkt, const char *end)
{
	const char *p = pkt + 1;
	uint64_t type, addr, kind;

	if (!gdb_parse_hex(&p, end, &type) || p == end || *p++ != ',' ||
	    !gdb_parse_range(&p, end, 8, &addr, &kind) || p != end)
		return refuse(E_MALFORMED, pkt, "not TYPE,ADDR,KIND");
	if (type > GDB_WATCH_ACCESS)
		return reply(""); /* not supported: gdb says so itself */
	const char *why = pkt[0] == 'Z' ? gdb_bp_insert(vm, (enum gdb_bp_type)type, addr, kind)
					: gdb_bp_remove(vm, (enum gdb_bp_type)type, addr, kind);
	if (why)
		return refuse(strstr(why, "in use") ? E_NOSPACE : E_REFUSED, pkt, why);
	return reply("OK");
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static int cmd_xfer(const char *pkt, const char *end)
{
	static const char prefix[] = "qXfer:features:read:target.xml:";
	static char chunk[GDB_PACKET_MAX];
	const char *p = pkt + sizeof prefix - 1;
	uint64_t off, len;

	if (strncmp(pkt, prefix, sizeof prefix - 1))
		return refuse(E_REFUSED, pkt, "the only annex is target.xml");
	if (!gdb_parse_range(&p, end, UINT64_MAX, &off, &len) || p != end)
		return refuse(E_MALFORMED, pkt, "not OFFSET,LENGTH");
	const char *xml = gdb_target_xml(false);
	size_t total = strlen(xml), n = off < total ? total - off : 0;
	if (n > len)
		n = len;
	if (n > sizeof chunk - 1)
		n = sizeof chunk - 1;
	chunk[0] = off + n < total ? 'm' : 'l';
	if (n)
		memcpy(chunk + 1, xml + off, n);
	return reply_n(chunk, n + 1);
}

static int cmd_query(const char *pkt, const char *end)
{
	char buf[160];

	if (!strncmp(pkt, "qSupported", 10)) {
		snprintf(buf, sizeof buf,
			 "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+",
			 GDB_PACKET_MAX);
		return reply(buf);
	}
	if (!strncmp(pkt, "qXfer:features:read:", 20))
		return cmd_xfer(pkt, end);
	if (!strcmp(pkt, "qAttached"))
		return reply("1");
	if (!strcmp(pkt, "qC"))
		return reply("QC1");
	if (!strcmp(pkt, "qfThreadInfo"))
		return reply("m1");
	if (!strcmp(pkt, "qsThreadInfo"))
		return reply("l");
	return reply("");
}

/* c, s, C, S, vCont: the first action is the one thread's. Returns
 * 1 for a step, 0 for a continue, -1 if it is none of them. */
static int resume_kind(const char *pkt, const char *end)
{
	if (!strncmp(pkt, "vCont;", 6))
		pkt += 6;
	else if (pkt[0] != 'c' && pkt[0] != 's' && pkt[0] != 'C' && pkt[0] != 'S')
		return -1;
	if (pkt >= end)
		return -1;
	switch (pkt[0]) {
	case 's': case 'S': return 1;
	case 'c': case 'C': return 0;
	}
	return -1;
}

/* Going on: arm what gdb inserted, and make sure a byte that came in
 * meanwhile (a 0x03 right after 'c') is looked at after the next entry. */
static int resume(struct vm *vm, bool step)
{
	if (gdb_debug_arm(vm, step) < 0)
		return EXIT_VMM_FAILED;
	kick_rearm();
	if (g.in_pos < g.in_len)
		kick_now();
	return RUN_CONTINUE;
}

/* One packet: reply, and say whether the guest goes on (*go >= 0: step
 * 1, continue 0); CMD_KILL or CMD_DETACH for those, else what the reply's
 * send gave. */
static int command(struct vm *vm, const char *pkt, size_t len, int *go)
{
	const char *end = pkt + len;

	if ((*go = resume_kind(pkt, end)) >= 0) {
		/* c ADDR / s ADDR: resume there. C and S name a signal, which
		 * a VMM has none to deliver; vCont's actions name threads. */
		const char *p = pkt + 1;
		uint64_t addr;
		struct gdb_cpu c;
		if ((pkt[0] == 'c' || pkt[0] == 's') && p < end && gdb_parse_hex(&p, end, &addr) &&
		    gdb_cpu_read(vm, &c) == 0) {
			c.r.rip = addr;
			gdb_cpu_write(vm, &c);
		}
		return 0;
	}
	switch (pkt[0]) {
	case '?': return reply(g.stop);
	case 'g': return len == 1 ? cmd_read_regs(vm) : refuse(E_MALFORMED, pkt, "junk after g");
	case 'G': return cmd_write_regs(vm, pkt + 1, len - 1);
	case 'p': case 'P': return cmd_reg(vm, pkt, end);
	case 'm': case 'M': case 'X': return cmd_memory(vm, pkt, end);
	case 'Z': case 'z': return cmd_breakpoint(vm, pkt, end);
	case 'q': return cmd_query(pkt, end);
	case 'H': case 'T': return reply("OK"); /* one thread */
	case 'v':
		if (!strcmp(pkt, "vCont?"))
			return reply("vCont;c;C;s;S");
		if (!strncmp(pkt, "vKill", 5)) {
			reply("OK");
			return CMD_KILL;
		}
		return reply("");
	case 'k': return CMD_KILL;
	case 'D': reply("OK"); return CMD_DETACH;
	}
	return reply("");
}

/* Stopped: serve the client until it resumes the guest or ends the run. */
static int serve(struct vm *vm)
{
	for (;;) {
		if (stop_signal())
			return RUN_CONTINUE; /* the run loop reports the stop */
		if (g.fd < 0) {
			int r = client_accept(vm, true);
			if (r < 0)
				return EXIT_VMM_FAILED; /* stopped for good otherwise */
			if (!r)
				continue;
		}
		if (fill(true) < 0) {
			if (!stop_signal())
				client_gone(vm, "the client went away", false);
			continue;
		}
		while (g.in_pos < g.in_len && g.fd >= 0) {
			int go = -1, rc = 0;
			switch (gdb_rx_byte(&g.rx, g.in[g.in_pos++])) {
			case GDB_RX_PACKET:
				send_all("+", 1);
				rc = command(vm, g.rx.buf, g.rx.len, &go);
				break;
			case GDB_RX_BAD_CHECKSUM:
				vmm_log("gdb: a packet with a bad checksum: asked again");
				send_all("-", 1);
				break;
			case GDB_RX_OVERSIZE:
				vmm_log("gdb: a packet of more than %d bytes: refused", GDB_PACKET_MAX);
				send_all("-", 1);
				break;
			case GDB_RX_NAK:
				send_all(g.out, g.out_len);
				break;
			default: /* acks; a 0x03 while stopped changes nothing */
				break;
			}
			if (rc == CMD_KILL) {
				vmm_log("gdb: the debugger killed the guest");
				client_close();
				return EXIT_VMM_FAILED;
			}
			if (rc == CMD_DETACH) {
				client_gone(vm, "the debugger detached", true);
				return resume(vm, false);
			}
			if (go >= 0)
				return resume(vm, go == 1);
		}
	}
}

int gdb_first_stop(struct vm *vm)
{
	if (!vm->gdb || g.fd >= 0)
		return RUN_CONTINUE;
	/* --gdb-wait=no: the guest runs; a client that comes is a kick. */
	if (!g.wait)
		return RUN_CONTINUE;
	vmm_log("gdb: waiting for gdb (target remote 127.0.0.1:%u) before the first instruction",
		g.port);
	stopped_at(vm, "S05", NULL);
	return serve(vm);
}

/* A stop gdb asked for: a breakpoint, watchpoint or step. */
static int debug_stop(struct vm *vm, const char *stop)
{
	stopped_at(vm, stop, NULL);
	if (g.fd < 0) /* breakpoints went with their client; a stale step */
		return resume(vm, false);
	if (reply(g.stop) < 0)
		client_gone(vm, "the client went away", false);
	return serve(vm);
}

int gdb_exit_debug(struct vm *vm)
{
	char reason[48], stop[64];

	if (!vm->gdb) {
		vmm_log("KVM_EXIT_DEBUG without the GDB stub at RIP 0x%llx",
			(unsigned long long)vcpu_rip(vm));
		return EXIT_GUEST_CRASH;
	}
	gdb_debug_reason(vm, reason, sizeof reason);
	snprintf(stop, sizeof stop, "T05%s", reason);
	return debug_stop(vm, stop);
}

/* A HLT: one of the stub's breakpoints, or the guest's own. */
int gdb_exit_hlt(struct vm *vm)
{
	return gdb_bp_hit(vm) ? debug_stop(vm, "T05swbreak:;") : exit_hlt(vm);
}

int gdb_kicked(struct vm *vm)
{
	kick_rearm();
	if (!vm->gdb)
		return RUN_CONTINUE;
	if (g.fd < 0) {
		if (client_accept(vm, false) <= 0)
			return RUN_CONTINUE; /* a failure is said; the guest runs on */
		stopped_at(vm, "S05", "gdb attached: the guest stopped");
		return serve(vm);
	}
	for (;;) {
		int r = fill(false);
		if (r == 0)
			return RUN_CONTINUE;
		if (r < 0) {
			client_gone(vm, "the client went away", true);
			return RUN_CONTINUE;
		}
		while (g.in_pos < g.in_len) {
			if (gdb_rx_byte(&g.rx, g.in[g.in_pos++]) != GDB_RX_INTERRUPT)
				continue; /* acks; gdb sends nothing else to a running guest */
			stopped_at(vm, "S02", "interrupted by gdb");
			if (reply(g.stop) < 0)
				client_gone(vm, "the client went away", false);
			return serve(vm);
		}
	}
}

/* W: the run ended with this status. Read gdb's ack before closing, so
 * the close sends a FIN and not a reset that could lose the reply. */
void gdb_exited(struct vm *vm, int status)
{
	char w[8];
	struct pollfd p = { .fd = g.fd, .events = POLLIN };

	if (!vm->gdb || g.fd < 0)
		return;
	snprintf(w, sizeof w, "W%02x", status & 0xff);
	if (reply(w) == 0 && poll(&p, 1, 2000) > 0)
		fill(false);
	client_close();
}
