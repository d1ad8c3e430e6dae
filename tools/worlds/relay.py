#!/usr/bin/env python3
"""relay.py [--follow PID] OUT ERR: copy a world's job output, OUT to our
stdout and ERR to our stderr, as it comes.

Why one process for both: a world's job writes its two streams through
serial ports a byte at a time, so two copiers (cat, tail) each forwarded
whatever bytes had come, and where stdout and stderr are one file or
terminal (2>&1) their lines interleaved byte by byte. Here each stream is
written out a whole line at a time; a partial line (a prompt, binary data)
goes out once its stream has been quiet for 0.2 s, and at the end. The
bytes of each stream stay exactly as they came.

OUT and ERR are FIFOs (the nested world: each ends when its writer closes
it), or, with --follow PID, files another process appends to (the intel
world's Bochs): each ends once PID is gone and it has been read to its end.
"""
import os
import select
import sys
import time

QUIET = 0.2


def main(argv):
    follow = None
    if len(argv) >= 2 and argv[0] == "--follow":
        follow, argv = int(argv[1]), argv[2:]
    if len(argv) != 2:
        sys.exit("usage: relay.py [--follow PID] OUT ERR")
    streams = []  # [fd in, fd out, pending bytes, time of last data]
    for path, sink in zip(argv, (1, 2)):
        streams.append([os.open(path, os.O_RDONLY), sink, b"", 0.0])
    while streams:
        alive = follow is None or pid_alive(follow)
        if follow is None:
            ready, _, _ = select.select([s[0] for s in streams], [], [], QUIET)
        else:
            ready = [s[0] for s in streams]
        for s in list(streams):
            if s[0] not in ready:
                continue
            data = os.read(s[0], 65536)
            if data:
                s[2] += data
                s[3] = time.monotonic()
                cut = s[2].rfind(b"\n") + 1
                if cut:
                    write_all(s[1], s[2][:cut])
                    s[2] = s[2][cut:]
            elif follow is None or not alive:
                write_all(s[1], s[2])
                os.close(s[0])
                streams.remove(s)
        now = time.monotonic()
        for s in streams:
            if s[2] and now - s[3] >= QUIET:
                write_all(s[1], s[2])
                s[2] = b""
        if follow is not None and alive:
            time.sleep(0.05)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


if __name__ == "__main__":
    main(sys.argv[1:])
