/* Unit tests of vmm/insn.c: the OUT that ends at RIP, as the VMM decodes
 * it on a KVM that leaves RIP past an OUT (kvm_pvm). */
#include "insn.h"
#include "tap.h"

/* before: the bytes at RIP-1, RIP-2, RIP-3. */
static unsigned len(uint16_t port, unsigned size, uint16_t dx, bool op16, int b1, int b2, int b3)
{
	struct out_exit x = { port, size, dx, op16, { b1, b2, b3 } };
	return out_len_before(&x);
}

int main(void)
{
	CHECK(len(0x3f8, 1, 0x3f8, true, 0xee, 0x00, 0x00) == 1, "out dx, al: 1 byte");
	CHECK(len(0x3f8, 1, 0x3f9, true, 0xee, 0x00, 0x00) == 0, "out dx, al with DX not the port: no match");
	CHECK(len(0x500, 4, 0x500, true, 0xef, 0x66, 0x90) == 2, "o32 out dx, eax in 16-bit code: 66 ef, 2 bytes");
	CHECK(len(0x500, 4, 0x500, true, 0xef, 0x90, 0x90) == 0, "... without its 66 prefix: no match");
	CHECK(len(0x500, 4, 0x500, false, 0xef, 0x66, 0x90) == 1, "out dx, eax in 32/64-bit code: 1 byte, a 66 before is not its");
	CHECK(len(0x500, 2, 0x500, false, 0xef, 0x66, 0x90) == 2, "out dx, ax in 32/64-bit code: 66 ef");
	CHECK(len(0x80, 1, 0x1234, true, 0x80, 0xe6, 0x00) == 2, "out 0x80, al: e6 80, 2 bytes");
	CHECK(len(0x80, 1, 0x1234, true, 0x81, 0xe6, 0x00) == 0, "out imm8 naming another port: no match");
	CHECK(len(0x70, 4, 0, true, 0x70, 0xe7, 0x66) == 3, "o32 out 0x70, eax in 16-bit code: 66 e7 70, 3 bytes");
	CHECK(len(0x70, 4, 0, true, 0x70, 0xe7, -1) == 0, "... with RIP-3 unreadable: no match");
	CHECK(len(0x3f8, 1, 0x3f8, true, 0xef, 0x00, 0x00) == 0, "a byte exit never matches the wide opcode");
	CHECK(len(0x3f8, 1, 0x3f8, true, -1, -1, -1) == 0, "nothing readable before RIP: 0");
	CHECK(len(0xee, 1, 0xee, true, 0xee, 0xb0, 0x00) == 1,
	      "mov al, 0xee then out dx, al (DX = 0xee): the OUT is the last byte");
	return tap_done();
}
