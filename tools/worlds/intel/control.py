#!/usr/bin/env python3
"""control.py CTL WORK: read the intel world's control port (init's ttyS3).

The stream is "." heartbeats, then "INKVM-STATUS N", "INKVM-FILES BYTES"
and a cpio (newc, busybox's) of the files the job wrote under the work
tree. Those are written back into WORK: regular files only, and only
under WORK (the archive comes from a machine that ran arbitrary code).
Prints N; exits 1 when the stream holds no status, or an archive cut short
(the world died while sending).
"""
import os
import re
import sys


def cpio_files(blob):
    """(name, mode, bytes) of each entry of a newc archive."""
    at = 0
    while at + 110 <= len(blob):
        head = blob[at:at + 110]
        if head[:6] != b"070701":
            raise ValueError("not a newc header at byte %d" % at)
        field = [int(head[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = field[1], field[6], field[11]
        name = blob[at + 110:at + 110 + namesize - 1].decode()
        data = (at + 110 + namesize + 3) & ~3
        if name == "TRAILER!!!":
            return
        if data + size > len(blob):
            raise ValueError("%s is cut short" % name)
        yield name, mode, blob[data:data + size]
        at = (data + size + 3) & ~3
    raise ValueError("no trailer")


def main(ctl_path, work):
    data = open(ctl_path, "rb").read()
    m = re.search(rb"\nINKVM-STATUS (\d+)\nINKVM-FILES (\d+)\n", data)
    if not m:
        sys.exit(1)
    size = int(m.group(2))
    blob = data[m.end():m.end() + size]
    root = os.path.realpath(work)
    try:
        files = list(cpio_files(blob)) if size else []
    except ValueError as e:
        sys.stderr.write("in-kvm: the files written in the world came back damaged (%s; %d of %d bytes); "
                         "none were copied\n" % (e, len(blob), size))
        sys.exit(1)
    for name, mode, body in files:
        dest = os.path.realpath(os.path.join("/", name))
        if (mode & 0o170000) != 0o100000 or not dest.startswith(root + os.sep):
            sys.stderr.write("in-kvm: not copied back from the world: %s\n" % name)
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest + ".in-kvm", "wb") as out:
            out.write(body)
        os.chmod(dest + ".in-kvm", mode & 0o7777)
        os.replace(dest + ".in-kvm", dest)
    print(int(m.group(1)))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: control.py CTL WORK")
    main(sys.argv[1], sys.argv[2])
