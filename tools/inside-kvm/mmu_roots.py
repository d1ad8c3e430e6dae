"""mmu_roots.py: KVM's MMU roots over a run, for tools/inside-kvm/mmu_map_report.py.

A root is the top table KVM hands the CPU for the guest's second stage:
vmx_load_mmu_pgd (or svm_load_mmu_pgd) writes its host-physical address
into the VMCS (or VMCB) before a VM entry. Where the guest is itself a
hypervisor, KVM keeps one root for the guest's own memory (direct: L1's
GPAs) and builds a shadow of each EPT the guest gives its L2: one root per
EPTP, which kvm_mmu_new_pgd names just before the load. An L2's VMFUNC
(EPTP switching) exits to KVM, which reads the new EPTP from the guest's
EPTP list and loads that EPTP's root: the report follows each VMFUNC from
the instruction to the root, and shows what KVM put in each view's root.

Events (tools/inside-kvm/kvm-mmu-map.sh, tracefs kprobes and tracepoints):
    ev root HPA LEVEL T     ev newpgd PGD T     ev vmfunc RIP T
    ev sp GFN ROLE CREATED T (kvm_mmu_get_page)  ev set GFN SPTE LEVEL T
and the guest's own messages naming its views' EPTPs (kernel/vmx/views_l1.c):
    # vmx: VMX on; view 0 maps ... EPTP 0x10005e, ...
    # vmx: view 1: EPTP list entry 1 = 0x1ff05e
"""
import re

import spte_decode

SHOWN = 12  # rows of a list before "... N more"
ENTRIES = 3  # entries shown per shadow root


def views_of(messages):
    """EPTP -> the views the guest gave it, in the order it said so."""
    out = {}
    for line in messages:
        m = re.search(r"view 0 maps .*EPTP (0x[0-9a-f]+)", line)
        if m:
            v, eptp = "0", m[1]
        else:
            m = re.search(r"view (\d+): EPTP list entry \d+ = (0x[0-9a-f]+)", line)
            if not m:
                continue
            v, eptp = m[1], m[2]
        seen = out.setdefault(int(eptp, 16), [])
        if v not in seen:
            seen.append(v)
    return out


class Root:
    """One life of a root: from the kvm_mmu_get_page that built it (or its
    first load) to the next build at the same address."""

    def __init__(self, n, hpa, level, direct):
        self.n, self.hpa, self.level, self.direct = n, hpa, level, direct
        self.pgds, self.loads, self.sets = [], 0, []


def follow(events):
    """The roots and the VMFUNCs in time order: ([Root], [(rip, pgd, Root,
    how)]), how one of "built" (a root made for the EPTP), "kept" (a root
    KVM had), "refused" (reflected to L1 as exit 59), "same" (the EPTP
    already live: nothing to do, L2 went on until its next exit to L1),
    "unknown" (the trace ended first)."""
    roots, live = [], {}  # live: hpa -> its current Root
    vmfuncs, pending = [], None  # pending: [rip, pgd] of the last VMFUNC
    pgd, built = None, None  # the last newpgd not yet loaded; the last root-level sp
    current, fault = None, None  # the root running; the last fault's GPA
    for _t, kind, v in events:
        if kind == "newpgd":
            pgd = v[0]
            if pending and pending[1] is None:
                pending[1] = pgd
        elif kind == "sp":
            built = v  # gfn, role, created
        elif kind == "root":
            hpa, level = v
            made = built if built is not None and built[1] & 0xf == level else None  # this root's sp
            fresh = made is not None and made[2] == 1
            direct = made[1] >> 7 & 1 if made is not None else None
            if fresh or hpa not in live:
                live[hpa] = Root(len(roots) + 1, hpa, level, direct)
                roots.append(live[hpa])
            current = live[hpa]
            current.loads += 1
            if current.direct is None:
                current.direct = direct
            if pgd is not None and pgd not in current.pgds:
                current.pgds.append(pgd)
            if pending and pending[1] is not None:
                # Without l1exit events, L1's own root next means refused.
                how = "refused" if current.direct else "built" if fresh else "kept"
                vmfuncs.append((pending[0], None if how == "refused" else pending[1], current, how))
                pending = None
            pgd, built = None, None
        elif kind == "vmfunc":
            if pending:  # no new EPTP came of the last one
                vmfuncs.append((pending[0], None, None, "same"))
            pending = [v[0], None]
        elif kind == "l1exit":
            # An exit reflected to L1 before any new EPTP: the VMFUNC's own
            # (refused), or a later one of L2 (the VMFUNC changed nothing).
            if pending and pending[1] is None:
                vmfuncs.append((pending[0], None, None, "refused" if v[0] else "same"))
                pending = None
        elif kind == "npf":
            fault = v[0]
        elif kind == "set" and current is not None:
            current.sets.append([v[0], v[1], v[2], None])
        elif kind == "sptep" and current is not None and current.sets and fault is not None:
            # The entry's slot in its table gives the address it translates:
            # KVM fills the table of the faulting address (the fault's own
            # entry, and neighbours it prefetches), so the slot replaces
            # the fault address's bits at the entry's level.
            level = current.sets[-1][2]
            shift = 12 + 9 * (level - 1)
            current.sets[-1][3] = fault & ~((1 << (shift + 9)) - 1) | (v[0] & 0xfff) >> 3 << shift
    if pending:
        vmfuncs.append((pending[0], pending[1], None, "unknown"))
    return roots, vmfuncs


def label(pgd, views):
    if pgd is None:
        return "-"
    vs = views.get(pgd)
    return "0x%x%s" % (pgd, " (view%s %s)" % ("s"[:len(vs) > 1], ", ".join(vs)) if vs else "")


def report(events, messages, fmt):
    roots, vmfuncs = follow(events)
    if not roots:
        return
    views = views_of(messages)
    print("== KVM's MMU roots (*_load_mmu_pgd: the root each VM entry ran on; kvm_mmu_new_pgd: "
          "the guest table it stands for)")
    print("%-3s %-12s %-5s %-6s %-7s %-7s %s" % ("#", "root_hpa", "level", "loads", "SPTEs", "kind", "for pgd"))
    for r in roots:
        kind = {1: "direct", 0: "shadow"}.get(r.direct, "?")
        print("%-3d 0x%-10x %-5d %-6d %-7d %-7s %s" % (r.n, r.hpa, r.level, r.loads, len(r.sets), kind,
              ", ".join(label(p, views) for p in r.pgds) or "-"))
    print("(direct: the guest's own memory, its GPA -> HPA; %s)" % (
        "shadow: KVM's copy of a guest's table, here an EPT of the guest's L2, built as L2 touches memory"
        if any(r.direct == 0 for r in roots) else "no shadow root: the guest ran no L2 of its own"))
    print()
    if vmfuncs:
        print("== L2's VMFUNCs (kvm_nested_vmexit reason VMFUNC), each served in KVM (nested EPTP switching)")
        print("%-4s %-10s %-26s %s" % ("#", "L2 rip", "-> EPTP", "-> root"))
        for i, (rip, pgd, root, how) in enumerate(vmfuncs[:SHOWN]):
            print("%-4d 0x%-8x %s" % (i + 1, rip, outcome(pgd, root, how, views)))
        if len(vmfuncs) > SHOWN:
            print("... %d more" % (len(vmfuncs) - SHOWN))
    eptps = {}
    for _rip, pgd, root, how in vmfuncs:
        if how in ("built", "kept"):
            eptps.setdefault(pgd, set()).add(root.n)
    shared = [r for r in roots if len([p for p in r.pgds if p in eptps]) > 1]
    print("VMFUNCs: %d; EPTPs they switched to: %d; roots those EPTPs ran on: %d; roots shared by two EPTPs: %s"
          % (len(vmfuncs), len(eptps), len({n for s in eptps.values() for n in s}),
             ", ".join("#%d" % r.n for r in shared) or "none"))
    print()
    entries(roots, views, fmt)


def outcome(pgd, root, how, views):
    if how == "refused":
        # A leaf or index our VM-function controls or EPTP list refuse.
        return "%-26s refused: KVM reflected it to L1 (exit 59)" % "-"
    if how == "same":
        return "%-26s none: that view was live already" % "-"
    if root is None:
        return "%-26s the trace ended before a root was loaded" % label(pgd, views)
    return "%-26s #%d 0x%x, %s" % (label(pgd, views), root.n, root.hpa,
                                   "built for it" if how == "built" else "kept from before")


def entries(roots, views, fmt):
    """What KVM set in each shadow root: L2's GPA -> L1's GPA (the frame
    kvm_mmu_set_spte names: the target of the view's EPT entry) -> host
    frame. L2's GPA comes from the fault KVM was serving and the entry's
    slot (its address, tracefs only). Where it is not L1's GPA, the view
    remaps it (view 0 is the identity)."""
    shadow = [r for r in roots if r.direct == 0 and r.sets]
    if not shadow:
        return
    print("== the entries KVM set in each EPT view's shadow root (L2 GPA -> L1 GPA -> host frame; "
          "those the view remaps first, %d at most)" % ENTRIES)
    remapped_all = 0
    for r in shadow:
        rows, remapped = [], 0
        for gfn, spte, level, l2 in r.sets:
            d = spte_decode.decode(fmt, spte, level)
            moved = l2 is not None and l2 >> 12 != gfn
            remapped += moved
            rows.append((not moved, "  L2 %-12s -> L1 0x%-9x -> hpa 0x%-9x spte 0x%016x %s%s" % (
                "0x%x" % l2 if l2 is not None else "?", gfn << 12, d["hpa"], spte, spte_decode.flags(d),
                "  (remapped)" if moved else "")))
        remapped_all += remapped
        print("root #%d 0x%x, EPTP %s: %d entries, %d remapped by the view" % (
            r.n, r.hpa, ", ".join(label(p, views) for p in r.pgds), len(r.sets), remapped))
        for _, row in sorted(rows, key=lambda x: x[0])[:ENTRIES]:
            print(row)
    known = any(e[3] is not None for r in shadow for e in r.sets)
    print("entries remapped by a view, in all shadow roots: %s" % (
        remapped_all if known else "unknown (L2's GPAs need the SPTEs' addresses: MMU_MAP_TRACER=tracefs)"))
    print()
