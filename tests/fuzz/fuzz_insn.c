/*
 * libFuzzer harness for the VMM's instruction decoders (vmm/insn.c):
 * is_vmfunc() and is_prefixed_vmfunc() on a KVM emulation failure, and
 * out_len_before(), the OUT that ends at RIP.
 *
 * Input: byte 0 picks the decoder. VMFUNC: suberror (4 bytes), flags (8),
 * insn_size (1), up to 15 instruction bytes, in a struct kvm_run. OUT:
 * port (2), size (1 of 1, 2, 4), DX (2), op16 (1), then three bytes before
 * RIP, each unreadable (-1) if its flag bit is set.
 *
 * What must hold, against reference decoders written here the other way
 * round (forward, from a candidate start):
 * - VMFUNC: bare = 0f 01 d4 at the start of the bytes KVM attached;
 *   prefixed = 0f 01 d4 behind one or more legacy prefixes and at most one
 *   REX, the last; never both; nothing past insn_size is read (bytes past
 *   it are scribbled and the answers must not change).
 * - OUT: a length L > 0 means the L bytes before RIP are one OUT of this
 *   exit (EE/EF with DX = port, E6/E7 imm8 = port, a 66 prefix exactly
 *   where the operand size needs it); 0 means no L in 1..3 is one.
 */
#include <assert.h>
#include <string.h>
#include <linux/kvm.h>

#include "insn.h"

static bool legacy(uint8_t b)
{
	return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 ||
	       b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3;
}

static bool op_at(const uint8_t *b, unsigned n, unsigned p)
{
	return n >= p + 3 && b[p] == 0x0f && b[p + 1] == 0x01 && b[p + 2] == 0xd4;
}

static void vmfunc(const uint8_t *d, size_t size)
{
	static struct kvm_run run;
	uint8_t in[28] = { 0 };

	memcpy(in, d, size < sizeof in ? size : sizeof in);
	memset(&run, 0, sizeof run);
	memcpy(&run.internal.suberror, in, 4);
	memcpy(&run.emulation_failure.flags, in + 4, 8);
	run.emulation_failure.insn_size = in[12];
	memcpy(run.emulation_failure.insn_bytes, in + 13, 15);

	bool bare = is_vmfunc(&run), pre = is_prefixed_vmfunc(&run);
	assert(!(bare && pre));

	bool given = run.internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
		     (run.emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES);
	unsigned n = in[12] < 15 ? in[12] : 15;
	const uint8_t *b = run.emulation_failure.insn_bytes;
	bool want_pre = false;
	for (unsigned p = 1; given && p + 3 <= n; p++) {
		bool ok = op_at(b, n, p) && (legacy(b[p - 1]) || (b[p - 1] & 0xf0) == 0x40);
		for (unsigned i = 0; i + 1 < p; i++)
			ok = ok && legacy(b[i]);
		want_pre |= ok;
	}
	assert(bare == (given && op_at(b, n, 0)));
	assert(pre == want_pre);

	for (unsigned i = n; i < 15; i++)
		run.emulation_failure.insn_bytes[i] ^= 0xff;
	assert(is_vmfunc(&run) == bare && is_prefixed_vmfunc(&run) == pre);
}

/* Do bytes b[0..len) (in memory order) form one OUT of this exit? */
static bool is_out(const struct out_exit *x, const int *b, unsigned len)
{
	unsigned i = 0;
	bool op16 = x->op16;

	for (unsigned k = 0; k < len; k++)
		if (b[k] < 0)
			return false;
	if (b[i] == 0x66 && len > 1)
		op16 = !op16, i++;
	unsigned opsize = b[i] == 0xee || b[i] == 0xe6 ? 1 : op16 ? 2 : 4;
	if (b[i] == 0xee || b[i] == 0xef)
		return i + 1 == len && x->dx == x->port && opsize == x->size;
	if (b[i] == 0xe6 || b[i] == 0xe7)
		return i + 2 == len && b[i + 1] == x->port && opsize == x->size;
	return false;
}

static void out(const uint8_t *d, size_t size)
{
	uint8_t in[10] = { 0 };
	static const unsigned sz[] = { 1, 2, 4 };

	memcpy(in, d, size < sizeof in ? size : sizeof in);
	struct out_exit x = {
		.port = (uint16_t)(in[0] | in[1] << 8), .size = sz[in[2] % 3],
		.dx = (uint16_t)(in[3] | in[4] << 8), .op16 = in[5] & 1,
	};
	for (unsigned i = 0; i < 3; i++)
		x.before[i] = in[5] & 2 << i ? -1 : in[6 + i];

	unsigned got = out_len_before(&x);
	bool any = false;
	for (unsigned len = 1; len <= 3; len++) {
		int b[3];
		for (unsigned k = 0; k < len; k++)
			b[k] = x.before[len - 1 - k];
		bool ok = is_out(&x, b, len);
		any |= ok;
		if (got == len)
			assert(ok);
	}
	assert(got <= 3 && (got || !any));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		out(data + 1, size - 1);
	else
		vmfunc(data + 1, size - 1);
	return 0;
}
