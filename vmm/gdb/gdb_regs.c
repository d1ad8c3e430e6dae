/*
 * The registers gdb sees, in the order of the target description the stub
 * serves (qXfer:features:read:target.xml): gdb's amd64 core feature (16
 * general registers, rip, eflags, 6 selectors, the x87 stack and its
 * control words), fs_base and gs_base (org.gnu.gdb.i386.segments), and the
 * system registers (CR0, CR2, CR3, CR4, CR8, EFER) as a feature of ours.
 * The x87 state is not read from KVM (the guest is built without it), so
 * it is reported unavailable rather than as made-up zeros. Register
 * names, sizes and feature names follow the GDB manual's "i386 Features".
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gdb.h"

#define CR0_PE 1u

enum kind { GPR, SEG, X87, SEGBASE, SYS };

static const struct reg {
	const char *name, *name16; /* name16: in the i8086 description */
	enum kind kind;
	unsigned bytes;
	size_t off;                /* GPR: in kvm_regs; SEG, SEGBASE, SYS: in kvm_sregs */
	const char *type, *group;
} regs[GDB_NREGS] = {
#define G(n, n16, f, t) { n, n16, GPR, 8, offsetof(struct kvm_regs, f), t, NULL }
	G("rax", "eax", rax, "int64"), G("rbx", "ebx", rbx, "int64"),
	G("rcx", "ecx", rcx, "int64"), G("rdx", "edx", rdx, "int64"),
	G("rsi", "esi", rsi, "int64"), G("rdi", "edi", rdi, "int64"),
	G("rbp", "ebp", rbp, "data_ptr"), G("rsp", "esp", rsp, "data_ptr"),
	G("r8", "r8", r8, "int64"), G("r9", "r9", r9, "int64"),
	G("r10", "r10", r10, "int64"), G("r11", "r11", r11, "int64"),
	G("r12", "r12", r12, "int64"), G("r13", "r13", r13, "int64"),
	G("r14", "r14", r14, "int64"), G("r15", "r15", r15, "int64"),
	G("rip", "eip", rip, "code_ptr"),
	{ "eflags", "eflags", GPR, 4, offsetof(struct kvm_regs, rflags), "i386_eflags", NULL },
#define S(n, f) { n, n, SEG, 4, offsetof(struct kvm_sregs, f), "int32", NULL }
	S("cs", cs), S("ss", ss), S("ds", ds), S("es", es), S("fs", fs), S("gs", gs),
#define F(n) { n, n, X87, 10, 0, "i387_ext", NULL }
	F("st0"), F("st1"), F("st2"), F("st3"), F("st4"), F("st5"), F("st6"), F("st7"),
#define C(n) { n, n, X87, 4, 0, "int", "float" }
	C("fctrl"), C("fstat"), C("ftag"), C("fiseg"), C("fioff"), C("foseg"), C("fooff"),
	C("fop"),
	{ "fs_base", "fs_base", SEGBASE, 8, offsetof(struct kvm_sregs, fs.base), "int", NULL },
	{ "gs_base", "gs_base", SEGBASE, 8, offsetof(struct kvm_sregs, gs.base), "int", NULL },
#define R(n, f) { n, n, SYS, 8, offsetof(struct kvm_sregs, f), "int", "system" }
	R("cr0", cr0), R("cr2", cr2), R("cr3", cr3), R("cr4", cr4), R("cr8", cr8),
	R("efer", efer),
};

unsigned gdb_reg_size(unsigned n)
{
	return n < GDB_NREGS ? regs[n].bytes : 0;
}

size_t gdb_regs_total(void)
{
	size_t t = 0;

	for (unsigned i = 0; i < GDB_NREGS; i++)
		t += regs[i].bytes;
	return t;
}

/* Where register n lives in c (little endian, as gdb wants it on x86). */
static uint8_t *field(struct gdb_cpu *c, const struct reg *g)
{
	switch (g->kind) {
	case GPR:
		return (uint8_t *)&c->r + g->off;
	case SEG: /* the selector of a struct kvm_segment */
		return (uint8_t *)&c->s + g->off + offsetof(struct kvm_segment, selector);
	case SEGBASE:
	case SYS:
		return (uint8_t *)&c->s + g->off;
	case X87:
		break;
	}
	return NULL;
}

bool gdb_reg_get(const struct gdb_cpu *c, unsigned n, uint8_t *out)
{
	if (n >= GDB_NREGS)
		return false;
	const uint8_t *p = field((struct gdb_cpu *)c, &regs[n]);
	if (!p)
		return false;
	memset(out, 0, regs[n].bytes);
	/* A selector is 16 bits in KVM, 32 in gdb's layout. */
	memcpy(out, p, regs[n].kind == SEG ? 2 : regs[n].bytes);
	return true;
}

bool gdb_reg_set(struct gdb_cpu *c, unsigned n, const uint8_t *in, const char **why)
{
	uint8_t now[16];

	if (n >= GDB_NREGS) {
		*why = "no such register";
		return false;
	}
	const struct reg *g = &regs[n];
	/* Writing back what is there is always fine: a 'G' carries them all. */
	if (gdb_reg_get(c, n, now) && !memcmp(now, in, g->bytes))
		return true;
	switch (g->kind) {
	case X87:
		*why = "the x87 state is not available";
		return false;
	case SEG: {
		uint16_t sel = (uint16_t)(in[0] | in[1] << 8);
		if (in[2] || in[3]) {
			*why = "a selector is 16 bits";
			return false;
		}
		/* In real mode a selector is its base / 16; elsewhere it
		 * names a descriptor the stub does not load. */
		if (c->s.cr0 & CR0_PE) {
			*why = "selectors can be changed in real mode only";
			return false;
		}
		struct kvm_segment *s = (struct kvm_segment *)((uint8_t *)&c->s + g->off);
		s->selector = sel;
		s->base = (uint64_t)sel << 4;
		return true;
	}
	default:
		memcpy(field(c, g), in, g->bytes);
		return true;
	}
}

static const char eflags_type[] =
	"<flags id=\"i386_eflags\" size=\"4\">"
	"<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
	"<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
	"<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
	"<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
	"<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
	"<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
	"<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
	"<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
	"<field name=\"ID\" start=\"21\" end=\"21\"/></flags>";

/* The core feature holds the selectors and the x87 registers too. */
static const char *feature_of(const struct reg *g)
{
	return g->kind == SEGBASE ? "org.gnu.gdb.i386.segments"
	       : g->kind == SYS ? "org.vmm.gdb.i386.system" : "org.gnu.gdb.i386.core";
}

/* Built once per kind. In the i8086 description the pointer registers
 * are plain 64-bit integers: that architecture's pointers are 32 bits
 * and would shift every register after them in a 'g' reply. */
const char *gdb_target_xml(bool i8086)
{
	static char xml[2][8192];
	char *x = xml[i8086];
	size_t n = 0, cap = sizeof xml[0];

	if (x[0])
		return x;
#define PUT(...) (n += (size_t)snprintf(x + n, n < cap ? cap - n : 0, __VA_ARGS__))
	PUT("<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
	    "<target version=\"1.0\"><architecture>%s</architecture>",
	    i8086 ? "i8086" : "i386:x86-64");
	for (unsigned i = 0; i < GDB_NREGS; i++) {
		const struct reg *g = &regs[i];
		const char *f = feature_of(g);
		if (!i || f != feature_of(&regs[i - 1]))
			PUT("%s<feature name=\"%s\">%s", i ? "</feature>" : "", f,
			    i ? "" : eflags_type);
		const char *type = g->type;
		if (i8086 && (!strcmp(type, "data_ptr") || !strcmp(type, "code_ptr")))
			type = "int64";
		PUT("<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"%s%s%s/>",
		    i8086 ? g->name16 : g->name, g->bytes * 8, type, i,
		    g->group ? " group=\"" : "", g->group ? g->group : "", g->group ? "\"" : "");
	}
	PUT("</feature></target>");
#undef PUT
	return x;
}
