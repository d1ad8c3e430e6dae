/*
 * The VMX instructions and how they fail.
 *
 * Every VMX instruction reports in RFLAGS (SDM 30.2): CF = 1 is VMfailInvalid
 * (no current VMCS to hold an error number), ZF = 1 is VMfailValid, with the
 * reason in the current VMCS's VM-instruction error field (0x4400). Each
 * wrapper returns which, so a caller can say exactly what went wrong.
 */
#include "vmx.h"
#include "../printf.h"

/* SDM 30.4, table 30-1. */
static const char *const insn_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[19] = "VMCALL with non-clear VMCS",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier",
	[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[24] = "VMCALL with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_insn_error_name(uint32_t err)
{
	if (err < sizeof(insn_errors) / sizeof(insn_errors[0]) && insn_errors[err])
		return insn_errors[err];
	return "unknown VM-instruction error";
}

const char *vmx_result_describe(enum vmx_result r, char *buf, size_t n)
{
	uint64_t err = 0;

	switch (r) {
	case VMX_OK:
		snprintf(buf, n, "success");
		break;
	case VMX_FAIL_INVALID:
		snprintf(buf, n, "VMfailInvalid (CF = 1: no current VMCS)");
		break;
	case VMX_FAIL_VALID:
		if (vmx_read_raw(VM_INSTRUCTION_ERROR, &err) != VMX_OK)
			snprintf(buf, n, "VMfailValid (ZF = 1), error field unreadable");
		else
			snprintf(buf, n, "VMfailValid (ZF = 1), VM-instruction error %lu: %s",
				 err, vmx_insn_error_name((uint32_t)err));
		break;
	}
	return buf;
}

/* RFLAGS after a VMX instruction: CF wins over ZF (both never set). */
#define VMX_RESULT_ASM "setc %b[cf]\n\tsetz %b[zf]"
static enum vmx_result result(uint8_t cf, uint8_t zf)
{
	return cf ? VMX_FAIL_INVALID : zf ? VMX_FAIL_VALID : VMX_OK;
}

enum vmx_result vmx_on(uint64_t region_pa)
{
	uint8_t cf, zf;
	__asm__ volatile("vmxon %[pa]\n\t" VMX_RESULT_ASM
			 : [cf] "=q"(cf), [zf] "=q"(zf) : [pa] "m"(region_pa) : "cc", "memory");
	return result(cf, zf);
}

enum vmx_result vmx_clear(uint64_t vmcs_pa)
{
	uint8_t cf, zf;
	__asm__ volatile("vmclear %[pa]\n\t" VMX_RESULT_ASM
			 : [cf] "=q"(cf), [zf] "=q"(zf) : [pa] "m"(vmcs_pa) : "cc", "memory");
	return result(cf, zf);
}

enum vmx_result vmx_ptrld(uint64_t vmcs_pa)
{
	uint8_t cf, zf;
	__asm__ volatile("vmptrld %[pa]\n\t" VMX_RESULT_ASM
			 : [cf] "=q"(cf), [zf] "=q"(zf) : [pa] "m"(vmcs_pa) : "cc", "memory");
	return result(cf, zf);
}

enum vmx_result vmx_write_raw(uint64_t field, uint64_t value)
{
	uint8_t cf, zf;
	__asm__ volatile("vmwrite %[v], %[f]\n\t" VMX_RESULT_ASM
			 : [cf] "=q"(cf), [zf] "=q"(zf)
			 : [f] "r"(field), [v] "rm"(value) : "cc", "memory");
	return result(cf, zf);
}

enum vmx_result vmx_read_raw(uint64_t field, uint64_t *value)
{
	uint8_t cf, zf;
	uint64_t v = 0;
	__asm__ volatile("vmread %[f], %[v]\n\t" VMX_RESULT_ASM
			 : [cf] "=q"(cf), [zf] "=q"(zf), [v] "+rm"(v)
			 : [f] "r"(field) : "cc", "memory");
	*value = v;
	return result(cf, zf);
}

enum vmx_result vmx_invept(uint64_t type, uint64_t eptp)
{
	struct { uint64_t eptp, reserved; } desc = { eptp, 0 };
	uint8_t cf, zf;
	__asm__ volatile("invept %[d], %[t]\n\t" VMX_RESULT_ASM
			 : [cf] "=q"(cf), [zf] "=q"(zf)
			 : [d] "m"(desc), [t] "r"(type) : "cc", "memory");
	return result(cf, zf);
}

/* The first failure since the last vmcs_take_error(). */
static char sticky[160];
static bool failed;

static void note_failure(const char *op, uint64_t field, enum vmx_result r)
{
	char what[100];
	vmx_result_describe(r, what, sizeof(what));
	printf("# vmx: %s field 0x%04lx failed: %s\n", op, field, what);
	if (!failed)
		snprintf(sticky, sizeof(sticky), "%s 0x%04lx: %s", op, field, what);
	failed = true;
}

void vmcs_write(uint64_t field, uint64_t value)
{
	enum vmx_result r = vmx_write_raw(field, value);
	if (r != VMX_OK)
		note_failure("VMWRITE", field, r);
}

uint64_t vmcs_read(uint64_t field)
{
	uint64_t v;
	enum vmx_result r = vmx_read_raw(field, &v);
	if (r != VMX_OK)
		note_failure("VMREAD", field, r);
	return v;
}

bool vmcs_take_error(char *why, size_t n)
{
	bool was = failed;
	if (was && why)
		snprintf(why, n, "%s", sticky);
	failed = false;
	return was;
}
