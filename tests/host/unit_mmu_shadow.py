#!/usr/bin/env python3
"""Unit tests of tools/inside-kvm/mmu_shadow.py (no KVM needed): kvm_mmu_page_role
decoding, walks grouped from their events, the GPA a walk ends at, and the
line on a run without SPTEs. Prints TAP and ends with "N passed, N failed,
N skipped"; exits nonzero if anything failed.

    python3 tests/host/unit_mmu_shadow.py
"""
import contextlib
import io

from tap import check, finish
import mmu_history
import mmu_shadow as ms


# Roles: level in bits 0-3, quadrant 5-6, direct 7, access 8-10 (x, w, u).
check("role: a level-4 page shadowing a guest table, access xwu", ms.role(0x704),
      {"level": 4, "quadrant": 0, "direct": 0, "access": "xwu"})
check("role: a direct level-1 page, quadrant 3, access x only", ms.role(0x1e1),
      {"level": 1, "quadrant": 3, "direct": 1, "access": "x--"})
check("role: bits above access (smm, guest_mode, ...) are ignored", ms.role(0x0100_0a02)["access"], "-w-")

check("access: a fetch", ms.access(0x10), "fetch")
check("access: a user write", ms.access(0x6), "write user")
check("access: a read", ms.access(0x0), "read")

# A 4-level walk to a 4K page, a 3-level walk to a 2M page, a failed walk,
# and entries before any walk (ignored), as mmu_history.parse gives them.
ev = mmu_history.parse("""\
ev pte 1 4 5
ev walk ffffffff80001234 10 10
ev pte 3023 4 11
ev pte 4023 3 12
ev pte 5023 2 13
ev pte 8000000000abc063 1 14
ev walk 200123 2 20
ev pte 3023 4 21
ev pte 4023 3 22
ev pte 4000e3 2 23
ev walk 7fff0000 4 30
ev pte 0 4 31
ev walkerr 4 32
ev sp 3 704 1 40
ev sp 3 704 0 41
ev count kvm_emulate_insn 9
""".splitlines())
ws = ms.walks(ev)
check("walks: three, in order", [w["gva"] for w in ws], [0xffffffff80001234, 0x200123, 0x7fff0000])
check("walks: entries read per walk (the stray one before them dropped)",
      [len(w["entries"]) for w in ws], [4, 3, 1])
check("walks: the failed one carries its error code", [w["error"] for w in ws], [None, None, 4])
check("leaf: a 4K PTE with NX set: frame from bits 51:12, offset from the GVA",
      ms.leaf_gpa(ws[0]), (0xabc234, 4096))
check("leaf: a 2M PDE (PS): frame from bits 51:21, offset from the GVA", ms.leaf_gpa(ws[1]), (0x400123, 2 << 20))
check("leaf: a failed walk has none", ms.leaf_gpa(ws[2]), None)
check("walk_str: each level then the GPA",
      ms.walk_str(ws[1]), "PML4E 0x3023 -> PDPTE 0x4023 -> PDE 0x4000e3 -> GPA 0x400123 (2M page)")
check("walk_str: a failed walk", ms.walk_str(ws[2]), "PML4E 0x0 -> failed, error code 0x4")
check("pages: created and found", [(g, r["level"], c) for _, g, r, c in ms.pages(ev)], [(3, 4, 1), (3, 4, 0)])

check("counts: the END lines", ms.counts(["ev count kvm_emulate_insn 1237", "ev count kvm_exit 0", "ev sp 1 2 3 4"]),
      {"kvm_emulate_insn": 1237, "kvm_exit": 0})
why = ms.why_no_sptes(0, {"kvm_emulate_insn": 1237, "kvm_exit": 0}, 1757, 17)
check("why: all emulated, no kvm_exit: the emulator's line",
      why.startswith("no SPTEs: KVM installed no second-stage entry in this run. Its instruction emulator ran "
                     "every guest instruction (1237 emulated, 0 kvm_exit)"), True)
check("why: nothing to say when SPTEs were set", ms.why_no_sptes(5, {"kvm_emulate_insn": 3, "kvm_exit": 0}, 0, 0), None)
check("why: exits but no SPTE is said to be unexplained",
      "not explained" in ms.why_no_sptes(0, {"kvm_emulate_insn": 2, "kvm_exit": 40}, 0, 0), True)
check("why: untraced counts are said, not guessed",
      "cannot say why" in ms.why_no_sptes(0, {}, 0, 0), True)

out = io.StringIO()
with contextlib.redirect_stdout(out):
    ms.report(ev, ["ev count kvm_emulate_insn 9", "ev count kvm_exit 0"], 0,
              ["kvm_mmu_get_page", "kvm_mmu_pagetable_walk", "kvm_mmu_paging_element"])
text = out.getvalue().splitlines()
check("report: the totals lines", [l for l in text if l.startswith(("kvm_mmu_get_page:", "walks:"))],
      ["kvm_mmu_get_page: 2, 1 shadow pages created, 1 found existing",
       "walks: 3 of 3 distinct GVA pages, 8 entries read, 1 failed (kvm_mmu_walker_error)"])
check("report: the shadow page's row",
      [l for l in text if l.startswith("0x3 ")],
      ["0x3        4      0         xwu     shadows the guest's level-4 table at GPA 0x3000"])

finish()
