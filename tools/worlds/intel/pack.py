#!/usr/bin/env python3
"""pack.py: the intel world's two Bochs disks (read by stage.asm).

  pack.py boot VMLINUZ MBR STAGE OUT   the boot disk: mbr, load table, stage,
                                       then the kernel's uncompressed segments
  pack.py job INITRD CMDLINE OUT       a run's job disk: IKRD header, initrd

The boot disk holds vmlinux, taken out of Debian's bzImage here (its xz
stream, found by its magic), because the decompressor that bzImage runs
at boot costs ~110 s under Bochs; stage.asm enters vmlinux at the PVH
entry its ELF note 18 (XEN_ELFNOTE_PHYS32_ENTRY) names. Chunks of zeros
(the bss above all) are not stored: the table tells the loader to zero
them, which is much cheaper under Bochs than reading them.

Both disks are padded to whole cylinders of 16 heads x 63 sectors, as
Bochs wants; `pack.py ... ` prints the cylinder count.
"""
import lzma
import struct
import sys

SECTOR = 512
CHUNK = 64 * SECTOR            # stage.asm reads 64 sectors at a time
CYLINDER = 16 * 63 * SECTOR
TABLE_SECTORS, STAGE_SECTORS = 4, 4
TABLE_MAX = (TABLE_SECTORS * SECTOR - 16) // 16
XZ_MAGIC = b"\xfd7zXZ\x00"
PT_LOAD, PT_NOTE = 1, 4
XEN_ELFNOTE_PHYS32_ENTRY = 18


def die(msg):
    sys.exit("pack.py: " + msg)


def vmlinux_of(bzimage):
    """The ELF image inside a bzImage whose payload is xz-compressed."""
    at = bzimage.find(XZ_MAGIC)
    while at >= 0:
        try:
            elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(bzimage[at:])
        except lzma.LZMAError:
            elf = b""
        if elf[:4] == b"\x7fELF":
            return elf
        at = bzimage.find(XZ_MAGIC, at + 1)
    die("no xz stream holding an ELF image in the kernel (is it CONFIG_KERNEL_XZ?)")


def segments_and_entry(elf):
    if elf[4] != 2 or elf[5] != 1:
        die("vmlinux is not a 64-bit little-endian ELF")
    phoff, = struct.unpack_from("<Q", elf, 32)
    phentsize, phnum = struct.unpack_from("<HH", elf, 54)
    loads, entry = [], None
    for i in range(phnum):
        p_type, _, off, _, paddr, filesz, memsz, _ = struct.unpack_from(
            "<IIQQQQQQ", elf, phoff + i * phentsize)
        if p_type == PT_LOAD:
            loads.append((paddr, elf[off:off + filesz], memsz))
        elif p_type == PT_NOTE:
            pos, end = off, off + filesz
            while pos + 12 <= end:
                namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
                name = elf[pos + 12:pos + 12 + namesz].rstrip(b"\0")
                desc = pos + 12 + (namesz + 3) // 4 * 4
                if name == b"Xen" and ntype == XEN_ELFNOTE_PHYS32_ENTRY:
                    entry = struct.unpack_from("<I", elf, desc)[0]
                pos = desc + (descsz + 3) // 4 * 4
    if entry is None:
        die("vmlinux has no PVH entry (Xen ELF note 18): a kernel without CONFIG_PVH")
    return loads, entry


def boot(vmlinuz, mbr, stage, out):
    loads, entry = segments_and_entry(vmlinux_of(open(vmlinuz, "rb").read()))
    mbr, stage = open(mbr, "rb").read(), open(stage, "rb").read()
    if len(mbr) != SECTOR or len(stage) > STAGE_SECTORS * SECTOR:
        die("mbr must be one sector and the stage at most %d" % STAGE_SECTORS)
    data_lba = 1 + TABLE_SECTORS + STAGE_SECTORS
    table, data, top = [], bytearray(), 0
    for paddr, body, memsz in sorted(loads):
        if paddr % 4 or memsz % 4:
            die("segment at %#x is not dword-aligned" % paddr)
        body = body + bytes(memsz - len(body))
        for at in range(0, memsz, CHUNK):
            piece = body[at:at + CHUNK]
            kind = 1 if piece.count(0) == len(piece) else 0
            n = (len(piece) + SECTOR - 1) // SECTOR
            prev = table[-1] if table else None
            if prev and prev[3] == kind and prev[2] + prev[1] * (SECTOR if kind == 0 else 1) == paddr + at \
                    and (kind == 1 or prev[0] + prev[1] == data_lba + len(data) // SECTOR):
                prev[1] += n if kind == 0 else len(piece)
            else:
                table.append([data_lba + len(data) // SECTOR if kind == 0 else 0,
                              n if kind == 0 else len(piece), paddr + at, kind])
            if kind == 0:
                data += piece + bytes(n * SECTOR - len(piece))
        top = max(top, paddr + memsz)
    if len(table) > TABLE_MAX:
        die("%d load entries; the table holds %d" % (len(table), TABLE_MAX))
    initrd_at = (top + 0x1fffff) & ~0x1fffff
    head = struct.pack("<4sIII", b"IKLD", entry, len(table), initrd_at)
    head += b"".join(struct.pack("<IIII", *e) for e in table)
    disk = mbr + head.ljust(TABLE_SECTORS * SECTOR, b"\0") + stage.ljust(STAGE_SECTORS * SECTOR, b"\0") + data
    write_padded(out, disk)
    sys.stderr.write("pack.py: boot disk: PVH entry %#x, %d table entries, %d MiB stored, initrd at %#x\n"
                     % (entry, len(table), len(data) >> 20, initrd_at))


def job(initrd, cmdline, out):
    rd = open(initrd, "rb").read()
    cmd = cmdline.encode()
    if len(cmd) + 1 > SECTOR - 16:
        die("kernel command line longer than %d bytes" % (SECTOR - 17))
    head = struct.pack("<4sIII", b"IKRD", len(rd), 0, 0) + cmd + b"\0"
    write_padded(out, head.ljust(SECTOR, b"\0") + rd)


def write_padded(out, disk):
    cyl = max(1, (len(disk) + CYLINDER - 1) // CYLINDER)
    with open(out, "wb") as f:
        f.write(disk)
        f.truncate(cyl * CYLINDER)
    print(cyl)


def main(argv):
    if len(argv) == 6 and argv[1] == "boot":
        boot(*argv[2:])
    elif len(argv) == 5 and argv[1] == "job":
        job(*argv[2:])
    else:
        die("usage: pack.py boot VMLINUZ MBR STAGE OUT | pack.py job INITRD CMDLINE OUT")


if __name__ == "__main__":
    main(sys.argv)
