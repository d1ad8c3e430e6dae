#!/usr/bin/env python3
"""The image generator of the guest fuzzer (tools/fuzz-guest/fuzz_guest.py drives it).

Boot sectors (512 bytes ending 55 AA, loaded at 0x7c00, started in real
mode) full of instructions that leave the guest: port I/O of every size and
kind to the VMM's ports and others, hypercalls with random blocks, MMIO
beyond RAM, HLT, VMCALL/VMMCALL/VMFUNC, INT n, UD2, CR/DR/MSR moves, CPUID,
SVM instructions and random bytes, each maybe after a random register
set-up. Three modes: real mode with every IVT vector at an exit handler,
flat 32-bit protected mode with 256 gates to it, and the same with an IDT
of limit 0 (an exception triple faults). Machine code is emitted byte by
byte from the encoders below (no assembler at run time). Image i of seed S
depends on random.Random("S:i") alone: the same seed and index give the
same bytes and VMM flags, on any machine.
"""
import random
import struct

COM1, POST, DOORBELL, EXIT_PORT, NULL_PORT = 0x3F8, 0x80, 0x500, 0x501, 0x502
BLOCK = 0x6000          # the hypercall block the generated code fills
SCRATCH = 0x8000        # string I/O lands here mostly (above the code)
HANDLER_STATUS = 99     # an exception reached the guest's handler
MIB = 1 << 20
HC_NRS = list(range(9)) + list(range(16, 21))   # include/hypercall.h


class Asm:
    """Bytes for one mode: bits 16 (real mode) or 32 (flat protected)."""

    def __init__(self, bits, rng):
        self.bits, self.rng, self.b = bits, rng, bytearray()

    def emit(self, *xs):
        for x in xs:
            self.b += bytes(x) if isinstance(x, (bytes, bytearray, list)) else bytes([x])

    def osz(self, size):            # operand-size prefix when size != default
        if (size == 4) == (self.bits == 16) and size != 1:
            self.emit(0x66)

    def asz(self, a32):             # address-size prefix likewise
        if a32 == (self.bits == 16):
            self.emit(0x67)

    def mov_imm(self, reg, val, size=None):   # mov r, imm (B8+r)
        size = size or self.bits // 8
        self.osz(size)
        self.emit(0xB8 + reg, struct.pack("<I" if size == 4 else "<H", val & (2 ** (8 * size) - 1)))

    def store_imm32(self, addr, val):         # mov dword [addr], imm32
        self.osz(4)
        if self.bits == 16:
            self.emit(0xC7, 0x06, struct.pack("<H", addr & 0xFFFF))
        else:
            self.emit(0xC7, 0x05, struct.pack("<I", addr))
        self.emit(struct.pack("<I", val & 0xFFFFFFFF))

    def abs_modrm(self, reg, addr):           # [disp] addressing, this mode's width
        if self.bits == 16:
            self.emit((reg << 3) | 6, struct.pack("<H", addr & 0xFFFF))
        else:
            self.emit((reg << 3) | 5, struct.pack("<I", addr & 0xFFFFFFFF))


EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI = range(8)


# ---- values -------------------------------------------------------------

def ram_addr(g):
    return g.rng.choice([0, 0x1000, BLOCK, 0x7000, 0x7C00, SCRATCH, 0x9F000, 0xA0000,
                         g.ram - 0x1000, g.ram - 64, g.rng.randrange(0, g.ram, 0x1000)])


def interesting(g, bits=32):
    r = g.rng
    v = r.choice([0, 1, 2, 7, 8, 0x10, 0xFF, 0x100, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000,
                  0xFFFFFFFF, r.getrandbits(32), r.getrandbits(8), ram_addr(g), g.ram,
                  g.ram - 1, COM1 + r.randrange(8), DOORBELL + r.randrange(3)])
    return v & (2 ** bits - 1)


def hc_arg(g):
    """A 64-bit hypercall argument: mostly addresses, lengths and indices."""
    r = g.rng
    return r.choice([0, 1, r.randrange(9), 7, 0x1000, r.randrange(1, 17) * 0x1000,
                     ram_addr(g), g.ram, g.ram - 0x1000, 4096, 4097, 1 << 20, (1 << 20) + 1,
                     r.getrandbits(32), r.getrandbits(64), 2 ** 64 - 1, 2 ** 63,
                     2 ** 64 - 0x1000])                  # the last two wrap when added to


# ---- instruction encoders: each emits one exit-causing thing ------------
# (register set-up, when an encoder needs one, is part of the item)

def port(g):
    """Mostly ports the VMM serves (the guest goes on), sometimes their
    neighbours and random ones (an unknown port ends the run)."""
    r = g.rng
    return r.choices([COM1 + r.randrange(8), POST, NULL_PORT, DOORBELL, EXIT_PORT,
                      r.choice([COM1 - 1, 0x4FF, 0x503, 0x7F, 0x81, 0xFFFF]),
                      r.getrandbits(16)], [40, 12, 18, 1, 1, 4, 4])[0]


def io(g):
    """in/out of 1, 2 or 4 bytes, port in DX or an imm8."""
    a, r = g.a, g.rng
    p, size, out = port(g), r.choice([1, 1, 2, 4]), r.random() < 0.6
    if out:
        a.mov_imm(EAX, interesting(g) if p != EXIT_PORT else r.randrange(0, 130), 4)
    if p < 0x100 and r.random() < 0.5:
        a.osz(size)
        a.emit((0xE6 if out else 0xE4) + (size > 1), p)
    else:
        a.mov_imm(EDX, p, 2)
        a.osz(size)
        a.emit((0xEE if out else 0xEC) + (size > 1))


def string_io(g):
    """ins/outs, with or without rep, either direction, both address sizes."""
    a, r = g.a, g.rng
    p, size, out = port(g), r.choice([1, 2, 4]), r.random() < 0.5
    a.mov_imm(EDX, p, 2)
    # Counts stay small mostly: where KVM does not batch (a 16-bit address
    # size, say) each item is an exit, ~0.1 ms or more in the nested world.
    a.mov_imm(ECX, r.choice([0, 1, 2, 3, 16, 100, r.randrange(1, 0x200)] * 4 +
                            [r.randrange(1, 0x1000), 0x4000]), 4)
    addr = r.choice([SCRATCH + r.randrange(0x7000), SCRATCH, 0xFFF0, r.getrandbits(16)])
    a.mov_imm(ESI if out else EDI, addr, 4)
    a.emit(r.choice([0xFC] * 4 + [0xFD]))              # cld (mostly) or std
    if r.random() < 0.2:
        a.asz(g.a.bits == 16)                           # the other address size
    if r.random() < 0.7:
        a.emit(0xF3)                                    # rep
    a.osz(size)
    a.emit((0x6E if out else 0x6C) + (size > 1))
    a.emit(0xFC)


def hypercall(g):
    """Fill (part of) a block with random nr, flags, args; ring the doorbell."""
    a, r = g.a, g.rng
    blk = BLOCK if r.random() < 0.85 else r.choice([BLOCK + 4, BLOCK + 1, 0x7C00, 0x10])
    nr = r.choice(HC_NRS * 4 + [r.getrandbits(32), 21, 15, 9])
    if nr == 1 and r.random() < 0.7:
        nr = 0                                          # EXIT ends the run: rarer
    a.store_imm32(blk, nr)
    if r.random() < 0.1:
        a.store_imm32(blk + 4, r.choice([1, r.getrandbits(32)]))   # flags
    elif r.random() < 0.3:
        a.store_imm32(blk + 4, 0)
    for i in r.sample(range(6), r.randrange(0, 5)):
        v = hc_arg(g)
        a.store_imm32(blk + 16 + 8 * i, v)
        if v >> 32 or r.random() < 0.2:
            a.store_imm32(blk + 20 + 8 * i, v >> 32)
    a.mov_imm(EAX, blk, 4)
    a.mov_imm(EDX, DOORBELL, 2)
    a.osz(4)
    a.emit(0xEF)                                        # out dx, eax


def doorbell_odd(g):
    """The doorbell with a random GPA or the wrong size or direction."""
    a, r = g.a, g.rng
    a.mov_imm(EAX, r.choice([r.getrandbits(32), g.ram - 32, g.ram - 64, g.ram, 0xFFFFFFF8,
                             BLOCK + r.randrange(1, 8)]), 4)
    a.mov_imm(EDX, DOORBELL, 2)
    size = r.choice([4, 4, 4, 1, 2])
    a.osz(size)
    a.emit((0xEF if r.random() < 0.8 else 0xED) if size > 1 else r.choice([0xEE, 0xEC]))


def mmio(g):
    """Loads and stores of 1-8 bytes beyond RAM (protected mode only; in
    real mode every address below 1 MiB is RAM, so these hit RAM)."""
    a, r = g.a, g.rng
    if a.bits == 16:
        addr = r.choice([SCRATCH + r.randrange(0x7000), 0xFFFE, r.getrandbits(16)])
    else:
        addr = r.choice([g.ram, g.ram - 1, g.ram - 2, g.ram - 3, g.ram + r.randrange(0x10000),
                         0xFEE00000 + 4 * r.randrange(0x100), 0xFEC00000, 0xFED00000,
                         0xFFFFFFFC, 0xFFFFFFFF, 0xD0000000,
                         r.randrange(g.ram, 1 << 32), r.randrange(0, g.ram)])
    kind = r.randrange(9)
    if kind == 0:                                       # mov r, [addr], 1/2/4
        size = r.choice([1, 2, 4])
        a.osz(size)
        a.emit(0x8A if size == 1 else 0x8B)
        a.abs_modrm(r.choice([EAX, EBX, ECX]), addr)
    elif kind == 1:                                     # mov [addr], r
        size = r.choice([1, 2, 4])
        a.osz(size)
        a.emit(0x88 if size == 1 else 0x89)
        a.abs_modrm(r.choice([EAX, EBX, ECX]), addr)
    elif kind == 2:                                     # mov dword [addr], imm32
        a.store_imm32(addr, r.getrandbits(32))
    elif kind == 3:                                     # cmpxchg8b [addr]: 8 bytes
        a.emit(0x0F, 0xC7)
        a.abs_modrm(1, addr)
    elif kind == 4:                                     # push dword [addr]
        a.osz(4)
        a.emit(0xFF)
        a.abs_modrm(6, addr)
    elif kind == 5:                                     # lock add [addr], imm8
        a.emit(0xF0, 0x83)
        a.abs_modrm(0, addr)
        a.emit(r.getrandbits(8))
    elif kind == 6:                                     # xchg [addr], eax
        a.osz(4)
        a.emit(0x87)
        a.abs_modrm(EAX, addr)
    elif kind == 7:                                     # (rep) movs mem -> mem
        a.mov_imm(ESI, addr, a.bits // 8)
        a.mov_imm(EDI, r.choice([addr, SCRATCH, g.ram]), a.bits // 8)
        a.mov_imm(ECX, r.randrange(1, 5), a.bits // 8)
        a.emit(0xF3, r.choice([0xA4, 0xA5]))
    else:                                               # mov [ebx], eax via a register
        a.mov_imm(EBX, addr, a.bits // 8)
        a.osz(4)
        a.emit(0x89, 0x07 if a.bits == 16 else 0x03)   # [bx] / [ebx]


MSRS = [0x10, 0x1B, 0x3A, 0x8B, 0xC1, 0x174, 0x175, 0x176, 0x179, 0x1D9, 0x277, 0x2FF,
        0x3F1, 0x6E0, 0x802, 0x808, 0x830, 0xC0000080, 0xC0000081, 0xC0000082, 0xC0000084,
        0xC0000100, 0xC0000101, 0xC0000102, 0xC0000103, 0xC0010114, 0xC0010117,
        0x4B564D00, 0x4B564D01, 0x4B564D02, 0x4B564D03, 0x4B564D04, 0x4B564D05,
        0x11, 0x12, 0x40000000, 0x40000001]


def msr(g):
    """rdmsr/wrmsr: KVM's own MSRs (kvmclock writes into guest memory at the
    GPA given), EFER, APIC base, x2APIC, and random numbers."""
    a, r = g.a, g.rng
    a.mov_imm(ECX, r.choice(MSRS * 3 + [r.getrandbits(32)]), 4)
    if r.random() < 0.5:
        a.emit(0x0F, 0x32)                              # rdmsr
    else:
        a.mov_imm(EAX, r.choice([ram_addr(g) | 1, 0, 1, 0x500, 0x1000, r.getrandbits(32)]), 4)
        a.mov_imm(EDX, r.choice([0, 0, 1, r.getrandbits(32)]), 4)
        a.emit(0x0F, 0x30)                              # wrmsr


def ctrl(g):
    """mov to/from CR0, CR3, CR4, CR8 (lock mov cr0 on AMD), DR0-3 and DR6."""
    a, r = g.a, g.rng
    k = r.randrange(6)
    if k == 0:                                          # mov eax, crN
        a.emit(0x0F, 0x20, 0xC0 | (r.choice([0, 2, 3, 4]) << 3))
        return
    val = r.choice([0x11, 0x10, 0x60000011, 0x80000011, 0x80000001, 0x1, 0x50031,
                    0x20, 0x80, 0x200, 0x10000, ram_addr(g), r.getrandbits(32)])
    a.mov_imm(EAX, val, 4)
    if k == 1:
        a.emit(0x0F, 0x22, 0xC0)                        # cr0
    elif k == 2:
        a.emit(0x0F, 0x22, 0xD8)                        # cr3
    elif k == 3:
        a.emit(0x0F, 0x22, 0xE0)                        # cr4
    elif k == 4:
        a.mov_imm(EAX, r.randrange(16), 4)
        a.emit(0xF0, 0x0F, 0x22, 0xC0)                  # cr8 (AMD alternative form)
    else:
        # Not DR7: a guest that arms a hardware breakpoint makes QEMU 7.2's
        # TCG crash later (status 139, or an iothread mutex assertion) when
        # it runs the nested world; found by this fuzzer, seed 1 guests 117
        # then 190. KVM handles DR writes itself: our VMM sees no exit.
        a.emit(0x0F, 0x23, 0xC0 | (r.choice([0, 1, 2, 3, 6]) << 3))   # drN


def vmcalls(g):
    """vmcall, vmmcall (KVM's hypercall on AMD, RAX = KVM_HC_*), vmfunc."""
    a, r = g.a, g.rng
    a.mov_imm(EAX, r.choice([0, 1, 5, 9, 10, 11, 12, 0x564D0000 | r.randrange(21),
                             r.getrandbits(32)]), 4)
    a.mov_imm(ECX, r.choice([0, 1, 7, 0xFFFFFFFF]), 4)
    if r.random() < 0.3:
        a.mov_imm(EBX, ram_addr(g), 4)
    a.emit(r.choice([[0x0F, 0x01, 0xC1], [0x0F, 0x01, 0xD9], [0x0F, 0x01, 0xD9],
                     [0x0F, 0x01, 0xD4], [0x0F, 0x01, 0xD4], [0x66, 0x0F, 0x01, 0xD4]]))


def cpuid(g):
    a, r = g.a, g.rng
    a.mov_imm(EAX, r.choice([0, 1, 7, 0xD, 0x40000000, 0x40000001, 0x80000000, 0x80000001,
                             0x8000000A, r.getrandbits(32)]), 4)
    a.mov_imm(ECX, r.randrange(3), 4)
    a.emit(0x0F, 0xA2)


def misc(g):
    """Other instructions KVM intercepts or emulates."""
    g.a.emit(g.rng.choice([
        [0x0F, 0x31], [0x0F, 0x01, 0xF9], [0x0F, 0x33],        # rdtsc, rdtscp, rdpmc
        [0x0F, 0x08], [0x0F, 0x09], [0xF3, 0x90],              # invd, wbinvd, pause
        [0x0F, 0x01, 0xD0], [0x0F, 0x01, 0xD1],                # xgetbv, xsetbv
        [0x0F, 0x01, 0xC8], [0x0F, 0x01, 0xC9],                # monitor, mwait
        [0x0F, 0x06], [0x0F, 0x01, 0x38],                      # clts, invlpg [bx]/[eax]
        [0x0F, 0x01, 0xD8], [0x0F, 0x01, 0xDA], [0x0F, 0x01, 0xDB],   # vmrun, vmload, vmsave
        [0x0F, 0x01, 0xDC], [0x0F, 0x01, 0xDD], [0x0F, 0x01, 0xDF],   # stgi, clgi, invlpga
        [0x0F, 0x01, 0xDE], [0x0F, 0x05], [0x0F, 0x34], [0x9B],  # skinit, syscall, sysenter, fwait
    ]))


def stop(g):
    """Things that end the run on every path: hlt, exit port, ud2, int n..."""
    a, r = g.a, g.rng
    k = r.randrange(8)
    if k == 0:
        a.emit(0xF4)                                    # hlt
    elif k == 1:
        a.emit(0xFB, 0xF4)                              # sti; hlt: nothing wakes it either
    elif k == 2:
        a.mov_imm(EAX, r.choice([0, 1, 42, 122, 123, 124, 125, 255, r.getrandbits(32)]), 4)
        a.mov_imm(EDX, EXIT_PORT, 2)
        a.osz(4)
        a.emit(0xEF)
    elif k == 3:
        a.emit(0x0F, 0x0B)                              # ud2
    elif k == 4:
        a.emit(0xCD, r.getrandbits(8))                  # int n
    elif k == 5:
        a.emit(r.choice([0xCC, 0xF1, 0xCE]))            # int3, icebp, into
    elif k == 6:                                        # TF set: #DB after the next one
        a.emit(0x9C, 0x58, 0x80, 0xCC, 0x01, 0x50, 0x9D)   # pushf; pop (e)ax; or ah,1; push; popf
    else:
        a.emit(0xFA if r.random() < 0.5 else 0xFB)      # cli / sti: go on


def random_bytes(g):
    g.a.emit([g.rng.getrandbits(8) for _ in range(g.rng.randrange(1, 7))])


def regs(g):
    """Random register set-up before an item (ESP rarely: pushes go there)."""
    for reg in g.rng.sample([EAX, EBX, ECX, EDX, ESI, EDI, EBP], g.rng.randrange(1, 4)):
        g.a.mov_imm(reg, interesting(g), 4)
    if g.rng.random() < 0.02:
        g.a.mov_imm(ESP, interesting(g), 4)


# (encoder, weight): most items let the guest go on, so runs get deep.
ITEMS = [(io, 20), (string_io, 8), (hypercall, 18), (doorbell_odd, 2), (mmio, 5),
         (msr, 5), (ctrl, 3), (vmcalls, 4), (cpuid, 4), (misc, 4), (stop, 4),
         (random_bytes, 2)]


# ---- images -----------------------------------------------------------------

class Guest:
    def __init__(self, seed, index):
        self.rng = random.Random(f"{seed}:{index}")
        r = self.rng
        self.mode = r.choice(["real", "real", "pm32", "pm32-noidt"])
        self.ram = r.choice([64 * MIB] * 6 + [2 * MIB, 4 * MIB, 1024 * MIB])
        flags = r.choice([[]] * 6 + [["--trace"], ["--stats"], ["--dump-pt"],
                                     ["--view-switch", "memslot"]])
        self.args = flags + ([] if self.ram == 64 * MIB else ["-m", f"{self.ram // MIB}M"])
        self.a = Asm(16, r)


def build(seed, index):
    """One 512-byte image and the VMM flags to run it with."""
    g = Guest(seed, index)
    a, r = g.a, g.rng
    pm = g.mode.startswith("pm32")
    # Fixed tail of the sector: handler, tables, signature. Its place is
    # known before the code is generated, so the prologue can point at it.
    handler = bytearray([0xBA, 0x01, 0x05] + ([0, 0] if pm else []))     # mov (e)dx, 0x501
    handler += bytes([0xB8] if pm else [0x66, 0xB8]) + struct.pack("<I", HANDLER_STATUS)
    handler += bytes([0xEF] if pm else [0x66, 0xEF]) + bytes([0xF4])      # out dx, eax; hlt
    if not pm and r.random() < 0.3:
        handler = bytearray([0xF4])                     # or just hlt: 123
    tables = bytearray()
    if pm:
        tables += struct.pack("<QQQ", 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF)
        tables += struct.pack("<HI", 23, 0)             # GDT descriptor, base patched
        tables += struct.pack("<HI", 0x7FF, 0x5000)     # IDT of 256 gates at 0x5000
        tables += struct.pack("<HI", 0, 0)              # IDT of limit 0: triple faults
    tail_at = 510 - len(handler) - len(tables)
    h_addr, t_addr = 0x7C00 + tail_at, 0x7C00 + tail_at + len(handler)
    if pm:
        struct.pack_into("<I", tables, 26, t_addr)
    gdt_desc, idt_desc, idt0_desc = t_addr + 24, t_addr + 30, t_addr + 36

    a.emit(0xFA, 0x31, 0xC0, 0x8E, 0xD8, 0x8E, 0xC0, 0x8E, 0xD0)   # cli; ds = es = ss = 0
    a.emit(0xBC, 0x00, 0x70, 0xFC)                                  # sp = 0x7000; cld
    if not pm:      # all 256 IVT vectors -> handler
        a.emit(0x31, 0xFF, 0xB9, 0x00, 0x01, 0xB8, struct.pack("<H", h_addr),
               0xAB, 0x31, 0xC0, 0xAB, 0xE2, 0xF7)
    else:
        a.emit(0x0F, 0x01, 0x16, struct.pack("<H", gdt_desc))       # lgdt
        a.emit(0x0F, 0x20, 0xC0, 0x0C, 0x01, 0x0F, 0x22, 0xC0)      # cr0.PE = 1
        far = len(a.b)
        a.emit(0xEA, 0, 0, 0x08, 0x00)                              # jmp 0x08:pm
        struct.pack_into("<H", a.b, far + 1, 0x7C00 + len(a.b))
        a.bits = 32
        a.emit(0x66, 0xB8, 0x10, 0x00)                              # ax = 0x10
        a.emit(0x8E, 0xD8, 0x8E, 0xC0, 0x8E, 0xD0, 0x8E, 0xE0, 0x8E, 0xE8)
        a.emit(0xBC, struct.pack("<I", 0x7000))                     # esp
        if g.mode == "pm32":        # 256 interrupt gates -> handler
            a.emit(0xBF, struct.pack("<I", 0x5000), 0xB9, struct.pack("<I", 256))
            a.emit(0xB8, struct.pack("<I", 0x80000 | (h_addr & 0xFFFF)), 0xAB)
            a.emit(0xB8, struct.pack("<I", (h_addr & 0xFFFF0000) | 0x8E00), 0xAB)
            a.emit(0xE2, 0xF2)
        a.emit(0x0F, 0x01, 0x1D, struct.pack("<I", idt_desc if g.mode == "pm32" else idt0_desc))
    # The body: items until the space runs out, then an exit with a
    # status of its own, so a guest that survives everything still ends.
    fns, weights = zip(*ITEMS)
    exit_code = Asm(a.bits, r)
    exit_code.mov_imm(EAX, r.randrange(0, 123), 4)
    exit_code.mov_imm(EDX, EXIT_PORT, 2)
    exit_code.osz(4)
    exit_code.emit(0xEF, 0xF4)
    room = tail_at - len(exit_code.b)
    while True:
        item = Asm(a.bits, r)
        g.a = item
        if r.random() < 0.3:
            regs(g)
        r.choices(fns, weights)[0](g)
        if len(a.b) + len(item.b) > room:
            break
        a.b += item.b
    g.a = a
    a.b += bytes([0x90] * (room - len(a.b))) + exit_code.b
    img = bytes(a.b) + bytes(handler) + bytes(tables) + b"\x55\xaa"
    assert len(img) == 512, len(img)
    return img, g.args, g.mode


