#!/usr/bin/env python3
"""A GDB remote-protocol client that breaks the rules, against the VMM's stub.

Usage: bad_client.py PORT   (the VMM stopped before the kernel image's first
instruction, real mode). Prints one TAP-like line per check; exits 1 if any
failed. Every request must get the reply the stub documents (vmm/gdb/gdb_stub.c)
and the stub must keep answering; the last request detaches, and the guest
then runs to its exit (tests/host/gdb.sh checks the VMM's status).
"""
import socket
import sys

failed = 0


def check(name, cond, got):
    global failed
    print(("ok - " if cond else "not ok - ") + name + ("" if cond else ": got %r" % (got,)))
    failed += 0 if cond else 1


def frame(payload):
    return b"$" + payload + b"#%02x" % (sum(payload) & 0xFF)


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buf = b""

    def byte(self):
        while not self.buf:
            data = self.s.recv(4096)
            if not data:
                raise EOFError("the stub closed the connection")
            self.buf += data
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def ack(self):
        return self.byte()

    def packet(self):
        """The next packet's payload; its checksum must be right."""
        while self.byte() != b"$":
            pass
        data = b""
        while True:
            c = self.byte()
            if c == b"#":
                break
            data += c
        csum = int(self.byte() + self.byte(), 16)
        assert csum == sum(data) & 0xFF, "bad checksum from the stub"
        self.s.sendall(b"+")
        return data

    def ask(self, payload):
        """Send a good packet; the ack and the reply."""
        self.s.sendall(frame(payload))
        return self.ack(), self.packet()


def main():
    port = int(sys.argv[1])
    c = Client(port)

    c.s.sendall(b"$g#00")
    check("a bad checksum is NAKed", c.ack() == b"-", None)
    c.s.sendall(b"$g#zz")
    check("a checksum that is not hex is NAKed", c.ack() == b"-", None)
    big = b"m" * 5000
    c.s.sendall(frame(big))
    check("an oversize packet (5000 bytes) is NAKed", c.ack() == b"-", None)
    c.s.sendall(b"\x03")  # an interrupt while stopped changes nothing

    a, r = c.ask(b"qSupported:swbreak+;hwbreak+")
    check("qSupported offers PacketSize=1000 and the target description",
          a == b"+" and b"PacketSize=1000" in r and b"qXfer:features:read+" in r, r)
    a, r = c.ask(b"?")
    check("? says stopped (S05)", r == b"S05", r)
    a, r = c.ask(b"qXfer:features:read:target.xml:0,40")
    check("target.xml is served", r.startswith(b"m<?xml"), r)
    a, r = c.ask(b"qXfer:features:read:other.xml:0,40")
    check("another annex is refused", r == b"E16", r)

    a, r = c.ask(b"g")
    check("g gives 340 bytes of registers (x87 unavailable)",
          len(r) == 680 and r[2 * 164:2 * 164 + 20] == b"x" * 20, r[:40])
    a, r = c.ask(b"G00")
    check("a short G is refused", r == b"E01", r)
    a, r = c.ask(b"p10")
    check("p 0x10 is RIP 0x7c00", r == b"007c000000000000", r)
    a, r = c.ask(b"p18")
    check("p of st0 says unavailable", r == b"x" * 20, r)
    a, r = c.ask(b"p30")
    check("p of register 0x30 (out of range) is refused", r == b"E16", r)
    a, r = c.ask(b"pffffffffffffffffff")
    check("p of a 17-digit register number is malformed", r == b"E01", r)
    a, r = c.ask(b"P30=00")
    check("P of register 0x30 is refused", r == b"E16", r)
    a, r = c.ask(b"P10=00")
    check("P with a value of the wrong width is malformed", r == b"E01", r)
    a, r = c.ask(b"P12=01000000")
    check("P of CS in real mode is taken", r == b"OK", r)
    a, r = c.ask(b"P12=00000000")
    check("... and put back", r == b"OK", r)

    a, r = c.ask(b"mzz,4")
    check("m with a bad address is malformed", r == b"E01", r)
    a, r = c.ask(b"m7c00")
    check("m without a length is malformed", r == b"E01", r)
    a, r = c.ask(b"mffffffffffffffff,10")
    check("m that wraps past 2^64 is refused", r == b"E01", r)
    a, r = c.ask(b"m7c00,801")
    check("m of more than 2048 bytes is refused", r == b"E01", r)
    a, r = c.ask(b"m10000000,4")
    check("m beyond RAM (256 MiB, RAM is 64) is unmapped", r == b"E0e", r)
    a, r = c.ask(b"m3fffffe,4")
    check("m across RAM's end is unmapped", r == b"E0e", r)
    a, r = c.ask(b"m7c00,2")
    check("m 7c00,2 is the boot sector's cli; cld", r == b"fafc", r)
    a, r = c.ask(b"M10000000,1:00")
    check("M beyond RAM is unmapped", r == b"E0e", r)
    a, r = c.ask(b"M200000,2:123")
    check("M with odd hex is malformed", r == b"E01", r)
    a, r = c.ask(b"X200000,2:" + b"}\x03}\x04")
    check("X with escaped binary writes", r == b"OK", r)
    a, r = c.ask(b"m200000,2")
    check("... and m reads the bytes back", r == b"2324", r)
    a, r = c.ask(b"X200000,3:ab")
    check("X with less data than its length is malformed", r == b"E01", r)

    a, r = c.ask(b"Z0,10000000,1")
    check("a breakpoint beyond RAM is refused", r == b"E16", r)
    a, r = c.ask(b"Z2,1000,3")
    check("a 3-byte watchpoint is refused", r == b"E16", r)
    a, r = c.ask(b"Z2,1001,4")
    check("an unaligned watchpoint is refused", r == b"E16", r)
    replies = [c.ask(b"Z1,%x,1" % (0x7c10 + i))[1] for i in range(5)]
    check("four hardware breakpoints, then no debug register left",
          replies == [b"OK"] * 4 + [b"E1c"], replies)
    replies = [c.ask(b"z1,%x,1" % (0x7c10 + i))[1] for i in range(4)]
    check("... all four removed", replies == [b"OK"] * 4, replies)
    a, r = c.ask(b"z0,7c00,1")
    check("removing a breakpoint never set is refused", r == b"E16", r)
    a, r = c.ask(b"Z9,0,0")
    check("an unknown breakpoint type is unsupported (empty)", r == b"", r)
    a, r = c.ask(b"jfoo")
    check("an unknown packet is unsupported (empty)", r == b"", r)
    a, r = c.ask(b"?")
    check("still stopped and answering", r == b"S05", r)
    a, r = c.ask(b"D")
    check("D detaches", r == b"OK", r)
    c.s.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
