#!/usr/bin/env python3
"""Unit tests of tools/inside-kvm/spte_decode.py (no KVM needed). Prints TAP and ends
with "N passed, N failed, N skipped"; exits nonzero if anything failed.

    python3 tests/host/unit_spte.py
"""
from tap import check, finish
import spte_decode as sd


def fields(d, *keys):
    return tuple(d[k] for k in keys)


# Captured in the nested world (tools/worlds/in-kvm: Debian 6.1, kvm_amd npt=Y, TDP
# MMU) with bpftrace on kvmmmu:kvm_mmu_set_spte / kvm_tdp_mmu_spte_changed,
# `build/vmm --timeout 60 -c boot-only build/kernel.img`:
#   "ev set 7 7e3ae67 1"          the boot sector's page, GPA 0x7000
#   "ev chg 0 4 0 7ff1f827"       the level-4 entry KVM built first
#   "ev chg 1 1 7e54e67 5a0"      a leaf removed at the VM's teardown
NPT_LEAF, NPT_L4, REMOVED = 0x7E3AE67, 0x7FF1F827, 0x5A0

d = sd.decode("npt", NPT_LEAF, 1)
check("npt captured leaf: host frame 0x7e3a000", d["hpa"], 0x7E3A000)
check("npt captured leaf: P W U, executable", fields(d, "present", "writable", "user", "executable"), (1, 1, 1, 1))
check("npt captured leaf: accessed and dirty", fields(d, "accessed", "dirty"), (1, 1))
check("npt captured leaf: PAT index 0, a leaf, not large", fields(d, "memtype", "leaf", "large"), ("pat0", True, False))
check("npt captured leaf: KVM bits 9, 10, 11 (host-w, mmu-w, mmu-present)",
      fields(d, "host_writable", "mmu_writable", "mmu_present"), (1, 1, 1))
check("npt captured leaf: not MMIO, not removed, A/D enabled", fields(d, "mmio", "removed", "ad_type"),
      (False, False, "enabled"))
check("npt captured leaf: flags text", sd.flags(d), "P W X U A D pat0  kvm:mmu-present,host-w,mmu-w")

d = sd.decode("npt", NPT_L4, 4)
check("npt captured level 4: a table at 0x7ff1f000, not a leaf", fields(d, "hpa", "leaf", "dirty"), (0x7FF1F000, False, None))
check("npt captured level 4: P W U A, mmu-present only",
      fields(d, "present", "writable", "user", "accessed", "mmu_present", "host_writable"), (1, 1, 1, 1, 1, 0))
d = sd.decode("npt", REMOVED, 1)
check("captured 0x5a0: REMOVED_SPTE, not present, not MMIO", fields(d, "removed", "mmu_present", "mmio"), (True, 0, False))

# Hand-made long-mode PTE values, one bit each.
for b, key, want in ((0, "present", 1), (1, "writable", 1), (2, "user", 1), (5, "accessed", 1), (6, "dirty", 1),
                     (63, "executable", 0), (9, "host_writable", 1), (10, "mmu_writable", 1), (11, "mmu_present", 1)):
    check("pte bit %d: %s %d" % (b, key, want), sd.decode("pte", 1 << b, 1)[key], want)
check("pte PWT|PCD at 4K: PAT index 3", sd.decode("pte", 0x18, 1)["memtype"], "pat3")
check("pte bit 7 at 4K is PAT: index 4", sd.decode("pte", 0x80, 1)["memtype"], "pat4")
big = sd.decode("pte", 0x40201000 | 0x80 | 0x1, 2)  # 2M page, PAT (bit 12) set, address 0x40200000
check("pte 2M page: large, frame bits 51:21, PAT from bit 12", fields(big, "large", "hpa", "memtype"),
      (True, 0x40200000, "pat4"))
check("pte A/D type bits 53:52 = 1: disabled", sd.decode("pte", 1 << 52 | 1 << 11, 1)["ad_type"], "disabled")
# NPT MMIO as svm_adjust_mmio_mask makes it with 43 physical address bits:
# bits 51:43 and P, no bit 11.
mmio = ((1 << 52) - (1 << 43)) | 1
check("npt MMIO value (P + reserved 51:43): mmio", sd.decode("npt", mmio, 1)["mmio"], True)
check("npt present RAM entry with bit 51 clear: not mmio", sd.decode("npt", NPT_LEAF, 1)["mmio"], False)

# Hand-made EPT values, one bit each (SDM vol. 3C; KVM's 57/58 from spte.h).
for b, key, want in ((0, "readable", 1), (1, "writable", 1), (2, "executable", 1), (8, "accessed", 1),
                     (9, "dirty", 1), (10, "user_exec", 1), (63, "suppress_ve", 1), (11, "mmu_present", 1),
                     (57, "host_writable", 1), (58, "mmu_writable", 1)):
    check("ept bit %d: %s %d" % (b, key, want), sd.decode("ept", 1 << b, 1)[key], want)
for mt, name in ((0, "UC"), (1, "WC"), (4, "WT"), (5, "WP"), (6, "WB"), (2, "rsvd2")):
    check("ept memory type %d (bits 5:3): %s" % (mt, name), sd.decode("ept", mt << 3 | 1, 1)["memtype"], name)
check("ept bit 6: ignore PAT", sd.decode("ept", 6 << 3 | 1 << 6 | 1, 1)["memtype"], "WB ipat")
e = sd.decode("ept", 0x80000000 | 1 << 7 | 7, 3)  # 1G page at 0x80000000
check("ept 1G page: large, frame bits 51:30", fields(e, "large", "leaf", "hpa"), (True, True, 0x80000000))
e = sd.decode("ept", 0x12345000 | 1 << 7 | 7, 2)
check("ept level 2 with bit 7: 2M frame bits 51:21", e["hpa"], 0x12200000)
e = sd.decode("ept", 0x12345000 | 7, 2)
check("ept level 2 without bit 7: a table, no memtype", fields(e, "large", "leaf", "hpa", "memtype"),
      (False, False, 0x12345000, None))
check("ept MMIO (bits 2:0 = 110b, no bit 11)", sd.decode("ept", 0x6, 1)["mmio"], True)
check("ept W+X present RAM (bit 11 set) is not MMIO", sd.decode("ept", 0x806, 1)["mmio"], False)
check("ept R W X WB leaf with KVM bits: flags text", sd.flags(sd.decode("ept", 1 << 58 | 1 << 57 | 0xB00 | 6 << 3 | 7, 1)),
      "R W X - A D WB  kvm:mmu-present,host-w,mmu-w")
check("ept REMOVED_SPTE", sd.decode("ept", REMOVED, 1)["removed"], True)

finish()
