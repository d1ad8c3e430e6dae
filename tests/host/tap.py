"""TAP for the Python unit tests (the Python side of tests/host/tap.h):
check() prints one result line, finish() the closing "N passed, N failed,
N skipped" line and exits nonzero if anything failed. Also puts
tools/inside-kvm on the import path, where the code under test lives."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "inside-kvm"))

_n = _passed = _failed = 0


def check(desc, got, want):
    global _n, _passed, _failed
    _n += 1
    if got == want:
        _passed += 1
        print("ok %d - %s" % (_n, desc))
    else:
        _failed += 1
        print("not ok %d - %s # got %r, want %r" % (_n, desc, got, want))


def finish():
    print("%d passed, %d failed, 0 skipped" % (_passed, _failed))
    sys.exit(1 if _failed else 0)
