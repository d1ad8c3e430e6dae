#!/usr/bin/env python3
"""Unit tests of tools/inside-kvm/tracefs_events.py and mmu_roots.py (no KVM
needed): tracefs lines as event lines (the process from record-tgid, hex
as bpftrace prints it, the SPTE's address after its set), and KVM's roots
followed from them: the EPTP each root stands for, each VMFUNC to its root
or to L1, and an L2 GPA found from the fault and the SPTE's slot. The
lines are the shapes Linux 6.1's kvm_intel printed in the intel world.
Prints TAP and ends with "N passed, N failed, N skipped".

    python3 tests/host/unit_mmu_roots.py
"""
import contextlib
import io

from tap import check, finish
import mmu_history
import mmu_roots as mr
import tracefs_events as te

P = "             vmm-106     (    106) [000] .....    15.%06d: "
trace = [P % 1 + "kvm_mmu_get_page: sp gen 0 gfn 0 l4 8-byte q0 direct wux nxe ad root 0 sync new",
         P % 2 + "root: (vmx_load_mmu_pgd+0x0/0x260 [kvm_intel]) root_hpa=0xc58d000 root_level=0x4",
         P % 3 + "kvm_page_fault: vcpu 0 rip 0x8000 address 0x0000000000002000 error_code 0x181",
         P % 4 + "kvm_mmu_set_spte: gfn 2 spte 600000004206b77 (rwxu) level 1 at 4a1b010",
         # L2 enters under view 0, then switches to view 1 (a new root) and back.
         P % 10 + "newpgd: (kvm_mmu_new_pgd+0x0/0x260 [kvm]) pgd=0x10005e",
         P % 11 + "kvm_mmu_get_page: sp gen 0 gfn 100 l4 8-byte q0 wux !nxe ad root 0 sync new",
         P % 12 + "root: (vmx_load_mmu_pgd+0x0/0x260 [kvm_intel]) root_hpa=0xc589000 root_level=0x4",
         P % 20 + "kvm_nested_vmexit: vcpu 0 reason VMFUNC rip 0x17644 info1 0x0000000000000000 info2 0x0",
         P % 21 + "newpgd: (kvm_mmu_new_pgd+0x0/0x260 [kvm]) pgd=0x10c05e",
         P % 22 + "kvm_mmu_get_page: sp gen 0 gfn 10c l4 8-byte q0 wux !nxe ad root 0 sync new",
         P % 23 + "root: (vmx_load_mmu_pgd+0x0/0x260 [kvm_intel]) root_hpa=0xc585000 root_level=0x4",
         # L2 reads GPA 0x10a008: view 1 maps it to L1's 0x10b000; KVM
         # prefetches the next slot too (L2 0x10b000 -> L1 0x10b000).
         P % 24 + "kvm_page_fault: vcpu 0 rip 0x17647 address 0x000000000010a008 error_code 0x181",
         P % 25 + "kvm_mmu_set_spte: gfn 10b spte 200000003308975 (r-x-) level 1 at 3f0c850",
         P % 26 + "kvm_mmu_set_spte: gfn 10b spte 200000003308975 (r-x-) level 1 at 3f0c858",
         P % 30 + "kvm_nested_vmexit: vcpu 0 reason VMFUNC rip 0x1765d info1 0x0000000000000000 info2 0x0",
         P % 31 + "newpgd: (kvm_mmu_new_pgd+0x0/0x260 [kvm]) pgd=0x10005e",
         P % 32 + "root: (vmx_load_mmu_pgd+0x0/0x260 [kvm_intel]) root_hpa=0xc589000 root_level=0x4",
         # A VMFUNC to the live view: nothing until L2's next exit to L1.
         P % 33 + "kvm_nested_vmexit: vcpu 0 reason VMFUNC rip 0x17700 info1 0x0000000000000000 info2 0x0",
         P % 34 + "kvm_nested_vmexit_inject: reason: VMCALL ext_inf1: 0x0000000000000000 ext_inf2: 0x0",
         P % 35 + "newpgd: (kvm_mmu_new_pgd+0x0/0x260 [kvm]) pgd=0x2000",
         P % 36 + "root: (vmx_load_mmu_pgd+0x0/0x260 [kvm_intel]) root_hpa=0xc58d000 root_level=0x4",
         P % 37 + "newpgd: (kvm_mmu_new_pgd+0x0/0x260 [kvm]) pgd=0x10005e",
         P % 38 + "root: (vmx_load_mmu_pgd+0x0/0x260 [kvm_intel]) root_hpa=0xc589000 root_level=0x4",
         # A refused VMFUNC: KVM reflects it, and L1 runs on its own root.
         P % 40 + "kvm_nested_vmexit: vcpu 0 reason VMFUNC rip 0x17ce5 info1 0x0000000000000000 info2 0x0",
         P % 41 + "kvm_nested_vmexit_inject: reason: VMFUNC ext_inf1: 0x0000000000000000 ext_inf2: 0x0",
         P % 42 + "newpgd: (kvm_mmu_new_pgd+0x0/0x260 [kvm]) pgd=0x2000",
         P % 43 + "root: (vmx_load_mmu_pgd+0x0/0x260 [kvm_intel]) root_hpa=0xc58d000 root_level=0x4",
         P % 50 + "kvm_exit: vcpu 0 reason VMCALL rip 0x9000 info1 0x0",
         # Another process, and a thread of ours without record-tgid.
         "   qemu-7     (      7) [001] .....    15.000060: kvm_exit: vcpu 0 reason HLT rip 0x1",
         "   kvm-nx-lpage-re-107 [001] .....    15.000070: kvm_mmu_zap_all_fast: kvm-mmu-valid-gen 0 used_pages 0"]
messages = ["# vmx: VMX on; view 0 maps 0x4000000 bytes of RAM to itself in 2M leaves, EPTP 0x10005e, EPTP list at 0x101000",
            "# vmx: view 1: EPTP list entry 1 = 0x10c05e"]

lines = te.convert(trace, {"106"})
check("tracefs: a set, then its SPTE's address as an event", lines[3:5],
      ["ev 106 set 2 600000004206b77 1 15000004000", "ev 106 sptep 4a1b010 15000004000"])
check("tracefs: a root level printed in hex comes out decimal", lines[1], "ev 106 root c58d000 4 15000002000")
check("tracefs: kvm_mmu_get_page's printed role back as a word (level 4, direct, wux)",
      lines[0], "ev 106 sp 0 784 1 15000001000")
check("tracefs: only VMFUNC exits, with L2's RIP", [x for x in lines if " vmfunc " in x][0], "ev 106 vmfunc 17644 15000020000")
check("tracefs: counted events as bpftrace's map lines, other pids left out", lines[-1], "@kvm_exit[106]: 1")
check("tracefs: a thread's event without a tgid counts under its own id",
      te.convert(trace[-1:], None), ["ev 107 zapall 15000070000"])

ev = mmu_history.parse(" ".join(x.split()[:1] + x.split()[2:]) for x in lines)
roots, vmfuncs = mr.follow(ev)
check("roots: three lives, L1's direct one first", [(r.hpa, r.direct) for r in roots],
      [(0xc58d000, 1), (0xc589000, 0), (0xc585000, 0)])
check("roots: each with the pgds KVM named before its loads", [r.pgds for r in roots],
      [[0x2000], [0x10005e], [0x10c05e]])
check("roots: VMFUNC to view 1 builds its root, back to view 0 keeps it, to the live view does nothing, "
      "a refused one is reflected to L1",
      [(rip, pgd, r and r.n, how) for rip, pgd, r, how in vmfuncs],
      [(0x17644, 0x10c05e, 3, "built"), (0x1765d, 0x10005e, 2, "kept"), (0x17700, None, None, "same"),
       (0x17ce5, None, None, "refused")])
check("tracefs: an exit reflected to L1 says whether it is a VMFUNC's",
      [x.split()[3] for x in lines if " l1exit " in x], ["0", "1"])
check("roots: an entry's L2 GPA from the fault and its slot; a prefetched neighbour's from its own slot",
      [(gfn, l2) for gfn, _s, _l, l2 in roots[2].sets], [(0x10b, 0x10a000), (0x10b, 0x10b000)])
check("roots: in L1's own root the slot gives the GPA back", roots[0].sets[0][3], 0x2000)
check("views: EPTPs named by the guest's lines", mr.views_of(messages), {0x10005e: ["0"], 0x10c05e: ["1"]})

out = io.StringIO()
with contextlib.redirect_stdout(out):
    mr.report(ev, messages, "ept")
text = out.getvalue()
check("report: the summary counts VMFUNCs and EPTPs, no root shared",
      [x for x in text.splitlines() if x.startswith("VMFUNCs:")],
      ["VMFUNCs: 4; EPTPs they switched to: 2; roots those EPTPs ran on: 2; roots shared by two EPTPs: none"])
check("report: the refused VMFUNC's row", [x for x in text.splitlines() if x.startswith("4 ")],
      ["4    0x17ce5    -                          refused: KVM reflected it to L1 (exit 59)"])
check("report: one entry remapped by view 1",
      [x for x in text.splitlines() if x.startswith("entries remapped")],
      ["entries remapped by a view, in all shadow roots: 1"])
check("report: the remapped entry is listed first, L2 -> L1 -> host",
      "  L2 0x10a000     -> L1 0x10b000    -> hpa 0x3308000" in text.split("root #3")[1].splitlines()[1], True)
finish()
