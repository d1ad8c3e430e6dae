#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/NAME/ (committed; run again
only to change them). Each seed is a small valid or nearly valid input in
the format its harness's comment describes, so fuzzing starts past the
parsing and at the checks."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, seed, data):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, seed), "wb") as f:
        f.write(data)


# --- hypercall: RAM from GPA 0; 64-byte blocks at 0, 64, ...; data at 0x300
# (after 12 blocks; the blocks a seed leaves zero are NOPs).
NOP, EXIT, CONSOLE, TIME, ABI, BOOT_INFO, ABORT, RANDOM, ASSERT = range(9)
VCREATE, VMAP, VCUR, VRESET, VMFUNC = range(16, 21)


def hc(nr, *args, flags=0):
    a = list(args) + [0] * (6 - len(args))
    return struct.pack("<IIq6Q", nr, flags, 0, *a)


def ram(blocks, data=b""):
    b = b"".join(blocks)
    return b + bytes(0x300 - len(b)) + data


write("hypercall", "console", ram([hc(NOP), hc(CONSOLE, 0x300, 6), hc(TIME), hc(ABI), hc(EXIT, 0)],
                                  b"hello\n"))
write("hypercall", "bootinfo_random", ram([hc(BOOT_INFO, 0x300, 0x100), hc(BOOT_INFO, 0x380, 8),
                                           hc(RANDOM, 0x380, 16), hc(EXIT, 7)], bytes(16)))
write("hypercall", "abort", ram([hc(ABORT, 0x300, 9, 0x310, 6, 42)],
                                b"bad\x1b[2Jmsg\0\0\0\0\0\0\0main.c"))
write("hypercall", "assert", ram([hc(ASSERT, 0x300, 5, 0x308, 3, 7)], b"x < 1\0\0\0a.c"))
write("hypercall", "errors", ram([hc(NOP, flags=1), hc(9), hc(CONSOLE, 0xfffffffffffffff0, 32),
                                  hc(CONSOLE, 0, 1 << 62), hc(RANDOM, 0x300, 4097),
                                  hc(0xffffffff), hc(EXIT, 200)]))
write("hypercall", "views", ram([hc(VCREATE), hc(VMAP, 1, 0x1000, 0x2000, 0x1000, 7),
                                 hc(VMFUNC, 0, 1), hc(VCUR), hc(VMAP, 1, 0x3000, 0x4000, 0x2000, 7),
                                 hc(VMAP, 1, 0x1000, 0, 0x1000, 7), hc(VMAP, 1, 0x8000, 0, 0x1000, 1),
                                 hc(VMFUNC, 1, 0), hc(VMFUNC, 0, 5), hc(VRESET), hc(EXIT, 0)]))
write("hypercall", "view_host_fail", ram([hc(VCREATE), hc(VMAP, 1, 0x1000, 0x2000, 0x1000, 7),
                                          hc(VMFUNC, 0, 1, 0, 0, 0, 0xfa11)]))

# --- guest_mem: RAM size (2 bytes), then (gpa, len) pairs.
def pairs(size, *p):
    return struct.pack("<H", size) + b"".join(struct.pack("<QQ", g, n) for g, n in p)


M = (1 << 64) - 1
write("guest_mem", "edges", pairs(0x1000, (0, 0), (0xfff, 1), (0x1000, 0), (0x1000, 1), (0, 0x1000)))
write("guest_mem", "wrap", pairs(0x1000, (M, 2), (0x10, M - 0xf), (M, 0), (1 << 63, 1 << 63)))
write("guest_mem", "empty_ram", pairs(0, (0, 0), (0, 1), (1, 0)))

# --- loader: RAM size index (0: 0x7e00, 1: 0x7e01, 2: 0x8c00, 3: 0x9fbff,
# 4: 0x9fc00, 5: 2 MiB), then the image.
boot = bytes(510) + b"\x55\xaa"
write("loader", "boot_sector", b"\x05" + boot)
write("loader", "exact_room", b"\x00" + boot)
write("loader", "one_too_many", b"\x00" + boot + b"\x90")
write("loader", "room_plus_one", b"\x01" + boot + b"\xf4")
write("loader", "short", b"\x05" + boot[:511])
write("loader", "no_signature", b"\x04" + bytes(512))
write("loader", "empty", b"\x05")

# --- flags: arguments separated by NUL.
for seed, args in {
    "image": ["kernel.img"],
    "all": ["-m", "64M", "-c", "console=ttyS0", "--timeout=0.5", "--trace", "--stats",
            "--dump-pt", "--view-switch=memslot", "kernel.img"],
    "attached": ["-m3G", "-cquiet", "--cmdline=x", "--timeout", "1e9", "--", "-img"],
    "bad_size": ["-m", "18446744073709551616K", "k.img"],
    "bad_time": ["--timeout=.", "k.img"],
    "two_images": ["a.img", "b.img"],
    "help": ["--help"],
    "no_value": ["k.img", "--view-switch"],
}.items():
    write("flags", seed, b"\0".join(a.encode() for a in args))

# --- dump_pt: CR3, then RAM; tables are whole 4 KiB pages.
P, W, U, PS, NX = 1, 2, 4, 0x80, 1 << 63


def table(entries):
    t = [0] * 512
    for i, e in entries.items():
        t[i] = e
    return struct.pack("<512Q", *t)


# One page that is every level: PML4[0] -> itself as PDPT -> PD -> PT.
write("dump_pt", "self_levels", struct.pack("<Q", 0) + table({0: P | W, 1: 0x200000 | P | PS | NX,
                                                            511: 0x7000 | P | U}))
# PML4 at 0x1000 (low and high half, one table outside RAM), PDPT/PD at 0.
write("dump_pt", "mixed", struct.pack("<Q", 0x1000) +
      table({0: 0x40000000 | P | W | PS, 1: 0 | P | W, 2: 0x200000 | P | PS, 3: 0x400000 | P | PS}) +
      table({0: 0 | P | W | U, 256: 0 | P | NX, 300: 0x5000 | P}))
write("dump_pt", "cr3_outside", struct.pack("<Q", 0x10000) + bytes(8))

# --- insn: byte 0 even: VMFUNC (suberror, flags, insn_size, 15 bytes);
# odd: OUT (port, size index 0/1/2 = 1/2/4, DX, bits: op16, unreadable
# RIP-1/-2/-3; then the bytes at RIP-1, RIP-2, RIP-3).
def emu(size, insn, sub=1, flags=1):
    return b"\0" + struct.pack("<IQB", sub, flags, size) + insn.ljust(15, b"\0")


write("insn", "vmfunc", emu(3, b"\x0f\x01\xd4"))
write("insn", "vmfunc_prefixed", emu(6, b"\xf3\x66\x48\x0f\x01\xd4"))
write("insn", "vmfunc_no_bytes", emu(3, b"\x0f\x01\xd4", flags=0))
write("insn", "vmfunc_short", emu(2, b"\x0f\x01\xd4"))


def out(port, size_idx, dx, bits, before):
    return b"\1" + struct.pack("<HBHB", port, size_idx, dx, bits) + bytes(before)


write("insn", "out_dx_al", out(0x3f8, 0, 0x3f8, 0, [0xee, 0, 0]))
write("insn", "out_dx_eax_16", out(0x500, 2, 0x500, 1, [0xef, 0x66, 0x90]))
write("insn", "out_imm8", out(0x80, 0, 0x1234, 0, [0x80, 0xe6, 0]))
write("insn", "out_imm8_o32_16", out(0x70, 2, 0, 1, [0x70, 0xe7, 0x66]))
# Found by this harness's reference decoder: o32 out 0xef, eax in 16-bit
# code (66 e7 ef) with DX = 0xef also ends in ef; out_len_before() took it
# for the DX form, found no 66 before that, and gave 0 (fixed: both forms).
write("insn", "out_o32_imm8_ef_16", out(0xef, 2, 0xef, 1, [0xef, 0xe7, 0x66]))


# --- gdb: bytes from a client, as on the socket (framed packets, acks,
# interrupts, broken checksums).
def pkt(payload):
    return b"$" + payload + b"#%02x" % (sum(payload) & 0xFF)


write("gdb", "qsupported", b"+" + pkt(b"qSupported:multiprocess+;swbreak+;hwbreak+") + b"+")
write("gdb", "mem_read", pkt(b"m7c00,10") + pkt(b"mffffffffffffffff,10"))
write("gdb", "mem_write_x", pkt(b"X200000,2:}\x03}\x04"))
write("gdb", "mem_write_m", pkt(b"M200000,4:deadBEEF"))
write("gdb", "regs", pkt(b"g") + pkt(b"p10") + pkt(b"P10=007c000000000000"))
write("gdb", "breakpoints", pkt(b"Z0,9440,1") + pkt(b"z2,2d068,8"))
write("gdb", "bad_checksum", b"$g#00$g#zz-\x03")
write("gdb", "interrupt", b"\x03+-")
write("gdb", "vcont_xfer", pkt(b"vCont;s:1;c") + pkt(b"qXfer:features:read:target.xml:0,fff"))
