"""mmu_shadow.py: what a shadow MMU did in a run, for tools/inside-kvm/mmu_map_report.py.

Where KVM has no EPT/NPT to use (kvm_pvm; kvm_amd with npt=0; kvm_intel
with ept=0) it builds shadow pages: KVM's own tables that stand for the
guest's page tables (kvmmmu:kvm_mmu_get_page), and it walks the guest's
tables itself (kvmmmu:kvm_mmu_pagetable_walk, then one
kvmmmu:kvm_mmu_paging_element per entry read) on a guest page fault or
when its instruction emulator needs a guest-virtual address translated.
kvm_pvm runs CPL0 guest code in that emulator, which reaches guest memory
through the VMM's mapping of RAM: it installs no SPTE for such a guest.

Event lines (tools/inside-kvm/kvm-mmu-map.sh), each timed in ns last:
    ev sp GFN ROLE CREATED T     ev walk GVA PFERR T
    ev pte PTE LEVEL T           ev walkerr PFERR T
and, once at the end, "ev count NAME N" (kvm_emulate_insn, kvm_exit).
"""

# union kvm_mmu_page_role, the bits that have kept their place from
# Linux 6.1 to 6.18: level 0-3, quadrant 5-6, direct 7, access 8-10.
ACC = ((1, "x"), (2, "w"), (4, "u"))  # ACC_EXEC_MASK, ACC_WRITE_MASK, ACC_USER_MASK
PT_LEVELS = {5: "PML5E", 4: "PML4E", 3: "PDPTE", 2: "PDE", 1: "PTE"}
ADDR = ((1 << 52) - 1) & ~0xfff


def role(r):
    return {"level": r & 0xf, "quadrant": r >> 5 & 3, "direct": r >> 7 & 1,
            "access": "".join(c if r >> 8 & m else "-" for m, c in ACC)}


def access(pferr):
    """A page-fault error code as the access it stands for."""
    kind = "fetch" if pferr & 0x10 else "write" if pferr & 2 else "read"
    return kind + (" user" if pferr & 4 else "")


def pages(events):
    """[(t, gfn, role dict, created)] of kvm_mmu_get_page, in time order."""
    return [(t, v[0], role(v[1]), v[2]) for t, kind, v in events if kind == "sp"]


def walks(events):
    """Each walk of the guest's tables: its GVA, access, the entries read
    (pte, level) in order, and the error code if it failed."""
    out, cur = [], None
    for t, kind, v in events:
        if kind == "walk":
            cur = {"t": t, "gva": v[0], "pferr": v[1], "entries": [], "error": None}
            out.append(cur)
        elif kind == "pte" and cur is not None:
            cur["entries"].append((v[0], v[1]))
        elif kind == "walkerr" and cur is not None:
            cur["error"] = v[0]
            cur = None
    return out


def leaf_gpa(w):
    """The GPA a walk ended at, with its page size, or None if it did not."""
    if w["error"] is not None or not w["entries"]:
        return None
    pte, level = w["entries"][-1]
    if not pte & 1 or (level > 1 and not pte & 0x80):
        return None
    size = 1 << (12 + 9 * (level - 1))
    base = pte & ADDR & ~(size - 1)
    return base | (w["gva"] & (size - 1)), size


def walk_str(w):
    parts = ["%s 0x%x" % (PT_LEVELS.get(lv, "L%d" % lv), pte) for pte, lv in w["entries"]]
    end = leaf_gpa(w)
    if end:
        parts.append("GPA 0x%x (%s page)" % (end[0], {4096: "4K", 2 << 20: "2M", 1 << 30: "1G"}.get(end[1], "?")))
    elif w["error"] is not None:
        parts.append("failed, error code 0x%x" % w["error"])
    else:
        parts.append("no leaf")
    return " -> ".join(parts)


def report_pages(sps):
    created = [p for p in sps if p[3]]
    print("kvm_mmu_get_page: %d, %d shadow pages created, %d found existing"
          % (len(sps), len(created), len(sps) - len(created)))
    if not sps:
        return
    print("%-10s %-6s %-9s %-6s  %s" % ("gfn", "level", "quadrant", "access", "what it stands for"))
    for t, gfn, r, _ in created[:32]:
        what = ("direct: maps guest-physical 0x%x on with no guest table behind it" % (gfn << 12)
                if r["direct"] else "shadows the guest's level-%d table at GPA 0x%x" % (r["level"], gfn << 12))
        print("0x%-8x %-6d %-9d %-6s  %s" % (gfn, r["level"], r["quadrant"], r["access"], what))
    if len(created) > 32:
        print("... %d created in all" % len(created))


def report_walks(ws):
    failed = sum(w["error"] is not None for w in ws)
    entries = sum(len(w["entries"]) for w in ws)
    by_acc, by_page = {}, {}
    for w in ws:
        by_acc[access(w["pferr"])] = by_acc.get(access(w["pferr"]), 0) + 1
        by_page.setdefault(w["gva"] & ~0xfff, []).append(w)
    print("walks: %d of %d distinct GVA pages, %d entries read, %d failed (kvm_mmu_walker_error)"
          % (len(ws), len(by_page), entries, failed))
    if not ws:
        return
    print("by access: " + ", ".join("%s %d" % kv for kv in sorted(by_acc.items(), key=lambda kv: -kv[1])))
    print("%-18s %6s  %s" % ("GVA page", "walks", "the last walk: the entry read at each level -> where it led"))
    top = sorted(by_page.items(), key=lambda kv: -len(kv[1]))
    for page, wl in top[:16]:
        print("0x%016x %6d  %s" % (page, len(wl), walk_str(wl[-1])))
    if len(top) > 16:
        print("... %d more pages, %d walks" % (len(top) - 16, sum(len(wl) for _, wl in top[16:])))


def why_no_sptes(sets, counts, nwalks, nsp):
    """One line on a run with no kvm_mmu_set_spte, from what was counted."""
    emul, exits = counts.get("kvm_emulate_insn"), counts.get("kvm_exit")
    if sets:
        return None
    if emul and not exits:
        return ("no SPTEs: KVM installed no second-stage entry in this run. Its instruction emulator ran "
                "every guest instruction (%d emulated, 0 kvm_exit), walked the guest's page tables itself "
                "(%d walks) and read and wrote guest memory through the VMM's own mapping of RAM, so no "
                "access needed an SPTE; the %d shadow page events are the roots and tables it prepared. "
                "kvm_pvm runs CPL0 guest code this way." % (emul, nwalks, nsp))
    if emul is None or exits is None:
        return "no SPTEs: kvm_mmu_set_spte never fired (kvm_emulate_insn or kvm_exit not traced: cannot say why)"
    return ("no SPTEs: kvm_mmu_set_spte never fired, though the CPU ran the guest (%d kvm_exit, %d emulated): "
            "not explained by this trace" % (exits, emul))


def counts(lines):
    out = {}
    for line in lines:
        w = line.split()
        if len(w) == 4 and w[:2] == ["ev", "count"]:
            out[w[2]] = int(w[3])
    return out


def report(events, lines, sets, attached):
    """The shadow MMU's sections of the report, and the line on why a run
    has no SPTEs."""
    ws, sps, n = walks(events), pages(events), counts(lines)
    if n:
        print("who ran the guest: KVM's emulator, %s instructions (kvm_emulate_insn); the CPU, with %s "
              "exits into KVM (kvm_exit)" % (n.get("kvm_emulate_insn", "?"), n.get("kvm_exit", "?")))
    why = why_no_sptes(sets, n, len(ws), len(sps))
    if why:
        print(why)
        print()
    if "kvm_mmu_get_page" in attached:
        print("== shadow pages KVM built (kvmmmu:kvm_mmu_get_page; none where EPT/NPT maps the guest)")
        report_pages(sps)
        print()
    if "kvm_mmu_pagetable_walk" in attached and "kvm_mmu_paging_element" in attached:
        print("== the guest's page tables walked by KVM itself (kvmmmu:kvm_mmu_pagetable_walk, "
              "kvm_mmu_paging_element)")
        report_walks(ws)
        print()
    return ws
