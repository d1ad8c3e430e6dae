"""mmu_history.py: KVM's second stage over time, for tools/inside-kvm/mmu_map_report.py.

The map says what KVM's entries were at the end; this says how they got
there. The VMM's own operations on guest memory (a view switch's mmap over
RAM, a memslot ioctl, seen at the system call) cut the run into windows;
in each window the report shows what KVM did: the range its MMU notifier
unmapped (kvm:kvm_unmap_hva_range), the SPTEs it removed
(kvmmmu:kvm_tdp_mmu_spte_changed to non-present), a fast zap of all
(kvmmmu:kvm_mmu_zap_all_fast), and then the faults (kvm:kvm_page_fault) and
entries (kvmmmu:kvm_mmu_set_spte) of the next touches. And the
two-dimensional walk: the VMM's --walk lines (GVA -> GPA through the
guest's tables) joined with every SPTE KVM set for that GPA (GPA -> HPA).

Event lines, each with its time in ns last (tools/inside-kvm/kvm-mmu-map.sh):
    ev set GFN SPTE LEVEL T         ev chg GFN LEVEL OLD NEW T
    ev unmap HVA_START HVA_END T    ev zapall T      ev zap ROLE_LEVEL T
    ev npf GPA ERROR_CODE T         ev exit T        ev stage VALUE T
    ev mmap ADDR LEN OFFSET T       ev memslot SLOT GPA SIZE HVA T
    ev done RET T                   (the return of the mmap or ioctl before)
    ev sp GFN ROLE CREATED T        ev walk GVA PFERR T    (tools/inside-kvm/mmu_shadow.py)
    ev pte PTE LEVEL T              ev walkerr PFERR T
    ev root HPA LEVEL T             ev newpgd PGD T        (tools/inside-kvm/mmu_roots.py)
    ev vmfunc L2_RIP T              ev sptep HPA T         (the set before: its SPTE's address)
    ev l1exit IS_VMFUNC T           (an exit of L2 that KVM reflected to L1)
"""
import os
import re

import mmu_shadow
import spte_decode

FIELDS = {"set": "xxd", "chg": "xdxx", "unmap": "xx", "zapall": "", "zap": "d", "npf": "xx",
          "exit": "", "mmap": "xxx", "memslot": "dxxx", "done": "d", "stage": "x",
          "sp": "xxd", "walk": "xx", "pte": "xd", "walkerr": "x",
          "root": "xd", "newpgd": "x", "vmfunc": "x", "sptep": "x", "l1exit": "d"}
BOOTINFO_H = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "include", "bootinfo.h")


def parse(lines):
    """Timed events in time order: (t, kind, values)."""
    out = []
    for line in lines:
        w = line.split()
        if len(w) < 2 or w[0] != "ev" or w[1] not in FIELDS:
            continue
        kinds = FIELDS[w[1]]
        if len(w) != 3 + len(kinds):
            continue  # an untimed line of an older program
        vals = [int(v, 16) if k == "x" else int(v) for k, v in zip(kinds, w[2:])]
        out.append((int(w[-1]), w[1], vals))
    out.sort(key=lambda e: e[0])  # bpftrace's per-CPU buffers interleave
    return out


def span(level):
    return 1 << (9 * (level - 1))  # 4K frames one entry at level covers


def present(spte):
    return spte >> 11 & 1  # KVM's SPTE_MMU_PRESENT, every format


class Op:
    """One VMM operation on guest memory and what KVM did in its window."""

    def __init__(self, n, t, kind, gpa, size, what):
        self.n, self.t, self.kind, self.what = n, t, kind, [what]
        self.ranges = [(gpa, size)]
        self.t_done, self.ret = None, None
        self.unmapped, self.removed, self.zapall, self.zaps = [], [], 0, 0
        self.faults, self.refaults, self.elsewhere = [], [], []

    def covers(self, gfn, level=1):
        """Whether the entry for gfn at level overlaps the operation's range."""
        lo = gfn & ~(span(level) - 1)
        return any(g >> 12 < lo + span(level) and lo < (g + z + 0xfff) >> 12 for g, z in self.ranges)

    def quiet(self):
        """Done, and the guest has not run into memory since: a memslot
        ioctl now is part of the same change (a memslot view switch is a
        delete and several sets)."""
        return self.t_done is not None and not (self.faults or self.refaults or self.elsewhere)


def operations(events):
    """The VMM's operations (view switches by mmap, memslot changes), each
    with KVM's effects until the next one. An mmap outside every memslot is
    the VMM's set-up (RAM itself), not an operation on guest memory."""
    slots, ops, pending, cur = {}, [], None, None
    for t, kind, v in events:
        if kind == "memslot":
            slot, gpa, size, hva = v
            old = slots.get(slot)
            what = ("memslot %d set: GPA 0x%x, %s, at host VA 0x%x" % (slot, gpa, size_str(size), hva)
                    if size else "memslot %d deleted (was GPA 0x%x, %s)" % (slot, old[0] if old else 0,
                                                          size_str(old[1] if old else 0)))
            if size:
                slots[slot] = (gpa, size, hva)
            else:
                slots.pop(slot, None)
            gpa, size = (gpa, size) if size else (old[:2] if old else (0, 0))
            if cur is not None and cur.kind == "memslot" and cur.quiet():
                cur.what.append(what)
                cur.ranges.append((gpa, size))
                cur.t_done = None
                pending = cur
                continue
            pending = Op(len(ops) + 1, t, "memslot", gpa, size, what)
            ops.append(pending)
            cur = pending
        elif kind == "mmap":
            addr, length, off = v
            slot = next(((s, g, z, h) for s, (g, z, h) in slots.items() if h <= addr < h + z), None)
            if slot is None:
                pending = None
                continue
            gpa = slot[1] + addr - slot[3]
            what = ("mmap of RAM offset 0x%x over GPA 0x%x-0x%x (%s)%s"
                    % (off, gpa, gpa + length - 1, size_str(length),
                       ": its own memory (a switch back, or the range split out of RAM's "
                       "mapping at VIEW_MAP)" if off == gpa else ""))
            pending = Op(len(ops) + 1, t, "remap", gpa, length, what)
            ops.append(pending)
            cur = pending
        elif kind == "done":
            if pending is not None:
                pending.ret, pending.t_done = v[0], t
            pending = None
        elif kind == "exit":
            cur = None  # what follows is the VM's teardown
        elif cur is None:
            continue
        elif kind == "unmap":
            cur.unmapped.append(gpa_range(slots, cur, v[0], v[1]))
        elif kind == "chg":
            gfn, level, old, new = v
            if present(old) and not present(new) and (cur.t_done is None or t <= cur.t_done):
                cur.removed.append((gfn, level, old))
        elif kind == "zapall":
            cur.zapall += 1
        elif kind == "zap":
            cur.zaps += 1
        elif kind == "npf" and cur.t_done is not None and t > cur.t_done:
            cur.faults.append((t, v[0]))
        elif kind == "set" and cur.t_done is not None and t > cur.t_done:
            gfn, spte, level = v
            (cur.refaults if cur.covers(gfn, level) else cur.elsewhere).append((t, gfn, spte, level))
    return ops


def gpa_range(slots, op, start, end):
    """An unmapped host VA range as GPAs, through the slot that holds it
    (or, once a memslot op deleted it, the op's own range)."""
    for gpa, size, hva in slots.values():
        if hva <= start < hva + size:
            return (gpa + start - hva, gpa + end - hva)
    return None


def size_str(n):
    if n >= 1 << 20 and not n & ((1 << 20) - 1):
        return "%d MiB" % (n >> 20)
    return "%d KiB" % (n >> 10)


def ms(t, t0):
    return "+%.3f ms" % ((t - t0) / 1e6)


def report_ops(ops, fmt, t0, events):
    """The view switches and memslot changes, in order, with their effects."""
    sets = [(t, v[0], v[2], spte_decode.decode(fmt, v[1], v[2])["hpa"]) for t, kind, v in events
            if kind == "set"]

    def holders_at(t):  # gfn -> its 4K host frame as of time t
        return {g: h for ts, g, lv, h in sets if ts <= t and lv == 1}

    def mapped_at(t, gfn):  # whether an entry of any level mapped gfn before t
        return any(ts < t and g & ~(span(lv) - 1) <= gfn < (g & ~(span(lv) - 1)) + span(lv)
                   for ts, g, lv, _ in sets)

    if not ops:
        print("no view switch or memslot change after set-up")
        return
    for op in ops:
        took = " (%.1f us in the call%s)" % ((op.t_done - op.t) / 1e3, "" if not op.ret or op.ret > 0 else ", failed %d" % op.ret) \
            if op.t_done else ""
        print("#%d %s  %s%s" % (op.n, ms(op.t, t0), "\n      then ".join(op.what), took))
        for r in op.unmapped:
            n = (r[1] - r[0]) >> 12 if r else 0
            print("   MMU notifier unmapped %s" % ("GPA 0x%x-0x%x (%d frame%s)" % (r[0], r[1] - 1, n, "s"[:n != 1])
                                                if r else "a range outside the memslots"))
        if op.zapall:
            print("   kvm_mmu_zap_all_fast: %d (every root made obsolete)" % op.zapall)
        leaves = [r for r in op.removed if spte_decode.decode(fmt, r[2], r[1])["leaf"]]
        inside = [r for r in leaves if op.covers(r[0], r[1])]
        print("   leaf SPTEs removed: %d, %d inside the operation's range%s" % (
            len(leaves), len(inside),
            ": " + ", ".join("gfn 0x%x (level %d, HPA 0x%x)" % (g, lv, spte_decode.decode(fmt, s, lv)["hpa"])
                             for g, lv, s in leaves[:8]) + (" ..." if len(leaves) > 8 else "")
            if leaves else ""))
        if len(op.removed) > len(leaves):
            print("   table SPTEs removed: %d (levels %s)" % (
                len(op.removed) - len(leaves),
                ", ".join(str(lv) for lv in sorted({r[1] for r in op.removed if r not in leaves}))))
        again = 0
        for i, (t, gfn, spte, level) in enumerate(op.refaults):
            before = mapped_at(op.t, gfn)
            again += before
            if i >= 8:
                continue
            hpa = spte_decode.decode(fmt, spte, level)["hpa"]
            same = [g for g, h in holders_at(t).items() if h == hpa and g != gfn]
            print("   %s: gfn 0x%x -> HPA 0x%x, level %d, %.1f us after the call%s" % (
                "refaulted" if before else "first touch", gfn, hpa, level,
                (t - op.t_done) / 1e3,
                " (the host frame of gfn %s)" % ", ".join(hex(g) for g in same) if same else ""))
        if len(op.refaults) > 8:
            print("   ... %d entries in the range in all" % len(op.refaults))
        print("   then: %d guest page faults into KVM; in the range %d entries refaulted, %d first touches; "
              "%d entries elsewhere" % (len(op.faults), again, len(op.refaults) - again, len(op.elsewhere)))


WALK_HEAD = re.compile(r"walk: GVA (0x[0-9a-f]+)(?:, CR3 (0x[0-9a-f]+))?")
WALK_GPA = re.compile(r"walk: GVA (0x[0-9a-f]+) -> (?:GPA (0x[0-9a-f]+) \((.*)\)|no GPA: (.*))$")
WALK_LEVEL = re.compile(r"walk:   (\S+)\s*\[\s*(\d+)\] at GPA (0x[0-9a-f]+) = (0x[0-9a-f]+)")


def walks(messages):
    """The VMM's --walk lines: [(gva, [level lines], gpa or None, note)]."""
    out, levels = [], []
    for line in messages:
        line = line.rstrip("\n")
        m = WALK_LEVEL.search(line)
        if m:
            levels.append("%-4s[%3s] at GPA %s = %s" % m.groups())
            continue
        m = WALK_GPA.search(line)
        if m:
            gva, gpa, note, why = m.groups()
            out.append((int(gva, 16), levels, int(gpa, 16) if gpa else None, note or why))
            levels = []
            continue
        if WALK_HEAD.search(line):
            levels = []
    return out


def report_walks(ws, events, ops, fmt, t0, kvm_walks):
    """Each walked GVA: the guest's levels, KVM's own walks of that page
    (a shadow MMU or emulator), then every SPTE KVM set for its GPA, in
    order, each said after which operation."""
    for gva, levels, gpa, note in ws:
        print("GVA 0x%016x" % gva)
        for lv in levels:
            print("  guest  %s" % lv)
        if gpa is None:
            print("  guest  -> no GPA: %s" % note)
            continue
        print("  guest  -> GPA 0x%x (%s)" % (gpa, note))
        mine = [w for w in kvm_walks if w["gva"] >> 12 == gva >> 12]
        if mine:
            print("  KVM    walked this page itself, %d time%s; the last: %s"
                  % (len(mine), "s"[:len(mine) != 1], mmu_shadow.walk_str(mine[-1])))
        gfn, seen = gpa >> 12, 0
        for t, kind, v in events:
            if kind != "set":
                continue
            g, spte, level = v
            if not g & ~(span(level) - 1) <= gfn < (g & ~(span(level) - 1)) + span(level):
                continue
            d = spte_decode.decode(fmt, spte, level)
            off = gpa & ((1 << (12 + 9 * (level - 1))) - 1)
            after = [op for op in ops if op.t < t]
            print("  KVM    %s %s: gfn 0x%x -> SPTE 0x%016x, level %d (%s) -> HPA 0x%x  %s" % (
                ms(t, t0), "after #%d" % after[-1].n if after else "before any switch", g, spte, level,
                spte_decode.PAGE.get(level, "?"), d["hpa"] + off, spte_decode.flags(d)))
            seen += 1
        if not seen:
            print("  KVM    no entry for gfn 0x%x in this run (never touched, or mapped before tracing)" % gfn)


def stage_names():
    """STAGE_* values -> their comments in include/bootinfo.h (the ABI)."""
    names = {}
    try:
        for line in open(BOOTINFO_H):
            m = re.match(r"#define STAGE_\w+\s+0x([0-9a-fA-F]+)\s*/\*\s*(.*?)\s*\*/", line)
            if m:
                names[int(m.group(1), 16)] = m.group(2)
    except OSError:
        pass
    return names


def report_phases(events, ops, t0):
    """SPTE installs and removals, zaps and guest faults per phase: the run
    cut at each boot stage the guest marks on port 0x80 and at each VMM
    operation on its memory; after the VMM's exit, the VM's teardown."""
    names, rows, cur = stage_names(), [], None
    starts = {op.t: op for op in ops}

    def start(t, name):
        nonlocal cur
        cur = {"t": t, "name": name, "installed": 0, "removed": 0, "zaps": 0, "faults": 0,
               "shadow": 0, "walks": 0}
        rows.append(cur)

    start(t0, "set-up, before the first stage marker")
    for t, kind, v in events:
        if t in starts:
            op = starts[t]
            start(t, "#%d %s" % (op.n, "view switch or view range (mmap)" if op.kind == "remap"
                                 else "memslot change"))
        if kind == "stage":
            start(t, "stage 0x%x %s" % (v[0], names.get(v[0], "")))
        elif kind == "exit":
            start(t, "teardown, after the VMM's exit_group")
        elif kind == "chg" and present(v[3]) and not present(v[2]):
            cur["installed"] += 1
        elif kind == "chg" and present(v[2]) and not present(v[3]):
            cur["removed"] += 1
        elif kind in ("zap", "zapall"):
            cur["zaps"] += 1
        elif kind == "npf":
            cur["faults"] += 1
        elif kind == "sp" and v[2]:
            cur["shadow"] += 1
        elif kind == "walk":
            cur["walks"] += 1
    print("%-12s %-52s %9s %9s %5s %7s %6s %6s" % ("from", "phase", "installed", "removed", "zaps", "faults",
                                                 "shadow", "walks"))
    for r in rows:
        print("%-12s %-52s %9d %9d %5d %7d %6d %6d" % (ms(r["t"], t0), r["name"][:52], r["installed"],
                                                      r["removed"], r["zaps"], r["faults"], r["shadow"],
                                                      r["walks"]))
    print("(installed, removed: SPTEs of any level made present or not, kvm_tdp_mmu_spte_changed; "
          "zaps: kvm_mmu_prepare_zap_page and kvm_mmu_zap_all_fast; faults: kvm_page_fault; "
          "shadow: shadow pages created, kvm_mmu_get_page; walks: KVM's walks of the guest's tables, "
          "kvm_mmu_pagetable_walk)")


def report(events, messages, fmt, kvm_walks):
    if not events:
        print("no timed events (an older bpftrace program?)")
        return
    t0 = events[0][0]
    ops = operations(events)
    print("== changes per phase (times from the first event)")
    report_phases(events, ops, t0)
    print()
    print("== view switches and memslot changes, seen from inside KVM (times from the first event)")
    report_ops(ops, fmt, t0, events)
    ws = walks(messages)
    if ws:
        print()
        print("== two-dimensional walk: GVA -> GPA (the guest's tables at the end, vmm --walk) "
              "-> HPA (every entry KVM set for that GPA, in order)")
        report_walks(ws, events, ops, fmt, t0, kvm_walks)
