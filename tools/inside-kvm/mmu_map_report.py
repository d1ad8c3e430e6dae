#!/usr/bin/env python3
"""mmu_map_report.py: the report of tools/inside-kvm/kvm-mmu-map.sh, from the event
lines its bpftrace program printed (read on stdin):

    ev set GFN SPTE LEVEL T       kvmmmu:kvm_mmu_set_spte (hex, hex, decimal)
    ev chg GFN LEVEL OLD NEW T    kvmmmu:kvm_tdp_mmu_spte_changed
    ev mmio GFN                   kvmmmu:mark_mmio_spte
    ev zap LEVEL T                kvmmmu:kvm_mmu_prepare_zap_page
    ev split GFN LEVEL            kvmmmu:kvm_mmu_split_huge_page
    and the timed events of mmu_history.py (T: time in ns)

    mmu_map_report.py --format npt|ept|pte --ram BYTES [--attached LIST]
                      [--vmm-messages FILE]

The map (the last entry per frame) and its summary; where KVM shadowed the
guest's page tables, its shadow pages and walks (mmu_shadow.py), and why a
run has no SPTEs; KVM's MMU roots and the VMFUNCs that switched them
(mmu_roots.py); then the history: the
VMM's view switches and memslot changes with what KVM did for each, and
the two-dimensional walk of each address the VMM was asked to --walk.

Python, not awk: SPTEs are 64-bit and awk's numbers are doubles.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spte_decode  # noqa: E402
import mmu_history  # noqa: E402
import mmu_roots  # noqa: E402
import mmu_shadow  # noqa: E402


def frames(level):
    return 1 << (9 * (level - 1))  # 4K frames one leaf entry covers


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--format", choices=sorted(spte_decode.DECODERS), required=True)
    ap.add_argument("--ram", type=int, required=True)
    ap.add_argument("--attached", default="")
    ap.add_argument("--vmm-messages")
    a = ap.parse_args(argv)
    lines = sys.stdin.readlines()
    last = {}  # gfn -> (spte, level) of the last kvm_mmu_set_spte
    sets = 0
    chg = {"installed": 0, "changed": 0, "removed": 0}
    chg_n = zaps = splits = 0
    mmio, mmio_spte = set(), {}
    for line in lines:
        w = line.split()
        if len(w) < 3 or w[0] != "ev":
            continue
        if w[1] == "set":
            last[int(w[2], 16)] = (int(w[3], 16), int(w[4]))
            sets += 1
        elif w[1] == "chg":
            chg_n += 1
            old, new = int(w[4], 16), int(w[5], 16)
            # Present to KVM: its SPTE_MMU_PRESENT bit 11, in every format.
            po, pn = old >> 11 & 1, new >> 11 & 1
            if pn and not po:
                chg["installed"] += 1
            elif po and not pn:
                chg["removed"] += 1
            elif po and pn:
                chg["changed"] += 1
            if int(w[3]) == 1 and spte_decode.decode(a.format, new, 1)["mmio"]:
                mmio_spte[int(w[2], 16)] = new
        elif w[1] == "mmio":
            mmio.add(int(w[2], 16))
        elif w[1] == "zap":
            zaps += 1
        elif w[1] == "split":
            splits += 1
    for g in mmio:  # MMIO SPTEs do not pass kvm_mmu_set_spte
        last.setdefault(g, (mmio_spte.get(g, 0), 1))

    ram_frames = a.ram >> 12
    print("== KVM's second stage for this run (%s; the last SPTE KVM set for each guest frame)" % a.format)
    print("%-9s %-12s %-18s %-12s %-8s %s" % ("gfn", "gpa", "spte", "hpa", "level", "decoded"))
    by_level, mapped, outside, n_mmio = {}, 0, 0, 0
    for g in sorted(last):
        spte, level = last[g]
        d = spte_decode.decode(a.format, spte, level)
        print("%-9s %-12s 0x%016x %-12s %-8s %s" % (hex(g), hex(g << 12), spte, hex(d["hpa"]),
              "%d %s" % (level, spte_decode.PAGE.get(level, "?")), spte_decode.flags(d)))
        by_level[level] = by_level.get(level, 0) + 1
        n_mmio += d["mmio"] or g in mmio
        if d["mmio"] or g in mmio:
            continue
        # The RAM frames this entry covers (a large page covers many).
        lo, n = g & ~(frames(level) - 1), frames(level)
        inram = max(0, min(lo + n, ram_frames) - lo) if lo < ram_frames else 0
        mapped += inram
        outside += n - inram
    print()
    print("== summary")
    print("entries: %d (kvm_mmu_set_spte events: %d)" % (len(last), sets))
    for lv in sorted(by_level):
        print("  level %d (%s): %d" % (lv, spte_decode.PAGE.get(lv, "?"), by_level[lv]))
    print("  MMIO entries: %d" % n_mmio)
    print("guest RAM frames: %d (%d MiB); mapped %d, never mapped %d; mapped outside RAM %d"
          % (ram_frames, a.ram >> 20, mapped, ram_frames - mapped, outside))
    on = a.attached.split()
    if "kvm_tdp_mmu_spte_changed" in on:
        print("SPTE changes (kvmmmu:kvm_tdp_mmu_spte_changed to or from present, all levels): %d: %d installed, "
              "%d changed in place, %d removed (the VM's teardown included)"
              % (chg_n, chg["installed"], chg["changed"], chg["removed"]))
    else:
        print("SPTE changes: kvmmmu:kvm_tdp_mmu_spte_changed not attached")
    for name, n in (("kvm_mmu_prepare_zap_page", zaps), ("kvm_mmu_split_huge_page", splits)):
        print("%s: %s" % (name, n if name in on else "not attached"))
    print()
    messages = open(a.vmm_messages).readlines() if a.vmm_messages else []
    events = mmu_history.parse(lines)
    kvm_walks = mmu_shadow.report(events, lines, sets, on)
    mmu_roots.report(events, messages, a.format)
    mmu_history.report(events, messages, a.format, kvm_walks)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
