#!/usr/bin/env python3
"""tracefs_events.py: a tracefs buffer (text, stdin) as the event lines of
tools/inside-kvm/kvm-mmu-map.sh's bpftrace program (stdout), so that one
report reads either tracer's events:

    ev PID KIND VALUES... T     PID: the process (the thread's where tracefs
                                did not record it); T: the time in ns
                                (trace_clock mono)
    @NAME[PID]: N               the counted events (kvm_exit, kvm_emulate_insn)

    tracefs_events.py [--pids PID,PID...]

Each tracepoint's text is its TP_printk format in Linux 6.1 to 6.18
(arch/x86/kvm/mmu/mmutrace.h, arch/x86/kvm/trace.h); the kprobe events are
the ones kvm-mmu-map.sh defines: root (vmx/svm_load_mmu_pgd: root_hpa,
root_level) and newpgd (kvm_mmu_new_pgd: pgd). An exit KVM reflects to L1
(kvm_nested_vmexit_inject) is "l1exit 1" if it is a VMFUNC's, else "l1exit 0". A line of another format,
or of a pid not asked for, is left out.
"""
import argparse
import re
import sys

# comm-TID, with options/record-tgid the process "(TGID)", CPU, flags, time.
LINE = re.compile(r"^\s*(.+)-(\d+)\s+(?:\(\s*([-\d]+)\)\s+)?\[\d+\]\s+\S+\s+(\d+)\.(\d+): (\w+): (.*)$")
H = r"([0-9a-fx]+)"  # a hex number, with or without 0x
D = r"(\d+)"
ACCESS = ("---", "--x", "w--", "w-x", "-u-", "-ux", "wu-", "wux")  # KVM's access_str
SP = re.compile(r"gfn " + H + r" l" + D + r" (\d)-byte q" + D + r"( direct)? ([-wux]{3})")


def role(m):
    """A kvm_mmu_page_role word from its printed form: the bits
    mmu_shadow.role() reads (level, 4-byte gptes, quadrant, direct, access)."""
    level, four, quadrant, direct, acc = int(m[2]), m[3] == "4", int(m[4]), bool(m[5]), m[6]
    return level | four << 4 | quadrant << 5 | direct << 7 | ACCESS.index(acc) << 8


def sp(text):
    """kvm_mmu_get_page's gfn, role word and whether it was created."""
    m = SP.search(text)
    if not m:
        return None
    return [m[1], "%x" % role(m), "1" if text.rstrip().endswith(" new") else "0"]


# event name -> (our kind, regex or function giving the values, timed)
PARSE = {
    "kvm_mmu_set_spte": ("set", r"gfn " + H + r" spte " + H + r" \(.*\) level " + D + r"(?: at " + H + ")?", True),
    "kvm_tdp_mmu_spte_changed": ("chg", r"gfn " + H + r" level " + D + r" old_spte " + H + r" new_spte " + H, True),
    "mark_mmio_spte": ("mmio", r"gfn " + H, False),
    "kvm_mmu_prepare_zap_page": ("zap", r"gfn [0-9a-f]+ l" + D, True),
    "kvm_mmu_split_huge_page": ("split", r"gfn " + H + r" spte [0-9a-f]+ level " + D, False),
    "kvm_mmu_zap_all_fast": ("zapall", r"", True),
    "kvm_unmap_hva_range": ("unmap", H + r" -- " + H, True),
    "kvm_page_fault": ("npf", r"address " + H + r" error_code " + H, True),
    "kvm_mmu_get_page": ("sp", sp, True),
    "kvm_mmu_pagetable_walk": ("walk", r"addr " + H + r" pferr " + H, True),
    "kvm_mmu_paging_element": ("pte", r"pte " + H + r" level " + D, True),
    "kvm_mmu_walker_error": ("walkerr", r"pferr " + H, True),
    "kvm_pio": ("stage", r"pio_write at 0x80 size \d+ count \d+ val " + H, True),
    "kvm_nested_vmexit": ("vmfunc", r"reason VMFUNC rip " + H, True),
    "kvm_nested_vmexit_inject": ("l1exit", lambda t: ["1" if t.startswith("reason: VMFUNC ") else "0"], True),
    "root": ("root", r"root_hpa=" + H + r" root_level=" + H, True),
    "newpgd": ("newpgd", r"pgd=" + H, True),
}
COUNTED = ("kvm_exit", "kvm_emulate_insn")


def plain(v):
    """Hex as bpftrace's %lx prints it; decimals as they are."""
    return v[2:] if v and v.startswith("0x") else v


def convert(lines, pids=None):
    out, counts = [], {}
    for line in lines:
        m = LINE.match(line)
        if not m:
            continue
        pid = m[3] if m[3] and m[3].isdigit() else m[2]
        name, text = m[6], m[7]
        if pids is not None and pid not in pids:
            continue
        if name in COUNTED:
            counts[(name, pid)] = counts.get((name, pid), 0) + 1
            continue
        if name not in PARSE:
            continue
        kind, how, timed = PARSE[name]
        if callable(how):
            vals = how(text)
        else:
            v = re.search(how, text)
            vals = list(v.groups()) if v else None
        if vals is None:
            continue
        vals = [plain(x) for x in vals]
        # As the bpftrace program: only changes to or from a present entry
        # (KVM's bit 11); a zap also writes REMOVED_SPTE over empty slots.
        if kind == "chg" and not (int(vals[2], 16) | int(vals[3], 16)) & 0x800:
            continue
        # The level of root is a hex fetcharg; every other level a decimal.
        if kind == "root":
            vals[1] = str(int(vals[1], 16))
        t = int(m[4]) * 1000000000 + int(m[5].ljust(9, "0")[:9])
        # The SPTE's own address (Linux 6.1 on) as an event of its own
        # right after, since the bpftrace program's set has none.
        at = vals.pop() if kind == "set" else None  # None: not printed
        out.append(" ".join(["ev", pid, kind] + vals + ([str(t)] if timed else [])))
        if at is not None:
            out.append("ev %s sptep %s %d" % (pid, at, t))
    for (name, pid), n in sorted(counts.items()):
        out.append("@%s[%s]: %d" % (name, pid, n))
    return out


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pids", help="comma-separated: only these processes' events")
    a = ap.parse_args(argv)
    pids = set(a.pids.split(",")) if a.pids else None
    for line in convert(sys.stdin, pids):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
