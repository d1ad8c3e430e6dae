#!/usr/bin/env python3
"""spte_decode.py: decode a second-stage entry (SPTE) as KVM writes it.

    tools/inside-kvm/spte_decode.py --format npt|ept|pte [--level N] SPTE...
    tools/inside-kvm/spte_decode.py --legend --format npt|ept|pte

One function per format; no KVM needed, so tests/host/unit_spte.py tests it
on values captured in the nested world. Layouts:
  npt, pte  AMD64 long-mode page-table entry (AMD APM vol. 2, "Long-Mode
            Page Translation" / "Page-Translation-Table Entry Fields"). NPT
            tables are ordinary AMD64 tables (APM vol. 2, "Nested Paging");
            KVM's shadow pages (kvm_pvm, or no NPT/EPT) use the same format.
  ept       Intel EPT paging-structure entry (Intel SDM vol. 3C, "EPT
            Translation Mechanism": R 0, W 1, X 2, memory type 5:3, ignore
            PAT 6, large page 7, accessed 8, dirty 9, user-mode execute 10,
            suppress #VE 63).
  KVM's own software bits in ignored bit positions, from Linux
  arch/x86/kvm/mmu/spte.h: SPTE_MMU_PRESENT bit 11 (all formats), host- and
  MMU-writable bits 9/10 (non-EPT) or 57/58 (EPT), the TDP A/D type in
  bits 53:52, REMOVED_SPTE 0x5a0 (TDP MMU placeholder). MMIO SPTEs carry no
  bit 11: on EPT their bits 2:0 are 110b (write+execute without read, an EPT
  misconfiguration, vmx's kvm_mmu_set_ept_masks); on NPT / shadow pages they
  set P and reserved address bits up to 51 (svm_adjust_mmio_mask), so a
  reserved-bit #PF brings them back to KVM.
"""
import argparse
import sys

ADDR_MASK = ((1 << 52) - 1) & ~0xFFF  # bits 51:12, both formats
PAGE = {1: "4K", 2: "2M", 3: "1G", 4: "512G", 5: "256T"}
EPT_MEMTYPE = {0: "UC", 1: "WC", 4: "WT", 5: "WP", 6: "WB"}  # SDM vol. 3: 2, 3, 7 reserved
REMOVED_SPTE = 0x5A0


def bit(v, n):
    return (v >> n) & 1


def _frame(spte, level, large):
    """The host physical address: bits 51:12 of a 4K entry or a table
    pointer; a large page's address starts at bit 21 (2M) or 30 (1G)."""
    if large and level > 1:
        return spte & ADDR_MASK & ~((1 << (12 + 9 * (level - 1))) - 1)
    return spte & ADDR_MASK


def _kvm_bits(d, spte, host_w, mmu_w):
    d["mmu_present"] = bit(spte, 11)
    d["host_writable"] = bit(spte, host_w)
    d["mmu_writable"] = bit(spte, mmu_w)
    d["ad_type"] = ("enabled", "disabled", "wrprot-only", "?")[(spte >> 52) & 3]
    d["removed"] = spte == REMOVED_SPTE


def decode_pte(spte, level=1):
    """AMD64 long-mode PTE (NPT and shadow pages): P 0, R/W 1, U/S 2, PWT 3,
    PCD 4, A 5, D 6, PS 7 (levels 2-3; PAT at 4K), G 8, PAT 12 in large
    pages, NX 63. Memory type: the PAT index PAT:PCD:PWT (its type is the
    host's PAT MSR entry of that index)."""
    large = level > 1 and bit(spte, 7) == 1
    leaf = level == 1 or large
    d = {"format": "pte", "level": level, "leaf": leaf, "large": large,
         "hpa": _frame(spte, level, large),
         "present": bit(spte, 0), "writable": bit(spte, 1),
         "user": bit(spte, 2), "executable": 1 - bit(spte, 63),
         "accessed": bit(spte, 5), "dirty": bit(spte, 6) if leaf else None,
         "global": bit(spte, 8) if leaf else None}
    pat = bit(spte, 12 if large else 7) if leaf else 0
    d["memtype"] = "pat%d" % (pat << 2 | bit(spte, 4) << 1 | bit(spte, 3))
    _kvm_bits(d, spte, 9, 10)
    # MMIO: P plus reserved bit 51 (the top of the mask KVM sets) and no
    # bit 11; KVM only ever writes such a value for MMIO.
    d["mmio"] = spte != REMOVED_SPTE and not d["mmu_present"] and bit(spte, 0) == 1 and bit(spte, 51) == 1
    return d


def decode_npt(spte, level=1):
    d = decode_pte(spte, level)
    d["format"] = "npt"
    return d


def decode_ept(spte, level=1):
    """Intel EPT entry (SDM vol. 3C), with KVM's bits 11, 57, 58, 53:52."""
    large = level > 1 and bit(spte, 7) == 1
    leaf = level == 1 or large
    d = {"format": "ept", "level": level, "leaf": leaf, "large": large,
         "hpa": _frame(spte, level, large),
         "present": 1 if spte & 7 else 0, "readable": bit(spte, 0),
         "writable": bit(spte, 1), "executable": bit(spte, 2),
         "user": None, "user_exec": bit(spte, 10) if leaf else None,
         "accessed": bit(spte, 8), "dirty": bit(spte, 9) if leaf else None,
         "suppress_ve": bit(spte, 63)}
    if leaf:
        mt = (spte >> 3) & 7
        d["memtype"] = EPT_MEMTYPE.get(mt, "rsvd%d" % mt) + (" ipat" if bit(spte, 6) else "")
    else:
        d["memtype"] = None
    _kvm_bits(d, spte, 57, 58)
    d["mmio"] = spte != REMOVED_SPTE and (spte & 7) == 6 and not d["mmu_present"]
    return d


DECODERS = {"npt": decode_npt, "ept": decode_ept, "pte": decode_pte}


def decode(fmt, spte, level=1):
    return DECODERS[fmt](spte, level)


def flags(d):
    """A short text for a decoded entry: its permissions and state."""
    if d["removed"]:
        return "removed (KVM's REMOVED_SPTE placeholder)"
    if d["mmio"]:
        return "MMIO (KVM's marker: the access exits to KVM, which emulates it)"
    if not d["present"] and not d["mmu_present"]:
        return "not present"
    f = [("P" if d["present"] else "-") if d["format"] != "ept" else ("R" if d["readable"] else "-"),
         "W" if d["writable"] else "-", "X" if d["executable"] else "NX"]
    if d["format"] == "ept":
        f.append("UX" if d.get("user_exec") else "-")
    else:
        f.append("U" if d["user"] else "S")
    f.append("A" if d["accessed"] else "-")
    if d["dirty"] is not None:
        f.append("D" if d["dirty"] else "-")
    if d["memtype"]:
        f.append(d["memtype"])
    kvm = [n for n, k in (("mmu-present", "mmu_present"), ("host-w", "host_writable"),
                           ("mmu-w", "mmu_writable")) if d[k]]
    if d["ad_type"] != "enabled":
        kvm.append("ad-" + d["ad_type"])
    return " ".join(f) + "  kvm:" + (",".join(kvm) or "-")


LEGEND = {
    "npt": """SPTE bits (NPT = AMD64 long-mode page-table entry, AMD APM vol. 2 "Nested Paging", "Page-Translation-Table Entry Fields"):
  0 P present  1 W writable  2 U user (NPT: set, guest accesses are user)  3 PWT  4 PCD
  5 A accessed  6 D dirty  7 PS large page (levels 2-3; PAT bit at level 1)  8 G  12 PAT (large pages)
  51:12 host frame (HPA)  63 NX (clear: executable); memtype pat<N>: PAT index PAT:PCD:PWT into the host's PAT MSR
KVM's software bits (Linux arch/x86/kvm/mmu/spte.h): 9 host-writable  10 MMU-writable
  11 SPTE_MMU_PRESENT (backed by memory)  53:52 TDP A/D type (0 enabled)
  MMIO: P + reserved bits up to 51, bit 11 clear (svm_adjust_mmio_mask); 0x5a0 REMOVED_SPTE""",
    "ept": """SPTE bits (EPT entry, Intel SDM vol. 3C "EPT Translation Mechanism"):
  0 R  1 W  2 X  5:3 memory type (0 UC 1 WC 4 WT 5 WP 6 WB)  6 ignore PAT  7 large page
  8 A accessed  9 D dirty  10 user-mode execute (MBEC)  51:12 host frame (HPA)  63 suppress #VE
KVM's software bits (Linux arch/x86/kvm/mmu/spte.h): 57 host-writable  58 MMU-writable
  11 SPTE_MMU_PRESENT (backed by memory)  53:52 TDP A/D type (0 enabled, 1 disabled, 2 wrprot-only)
  MMIO: bits 2:0 = 110b (W+X without R: EPT misconfiguration), bit 11 clear; 0x5a0 REMOVED_SPTE""",
}
LEGEND["pte"] = LEGEND["npt"].replace("NPT = AMD64", "shadow page = x86-64").replace(
    "(NPT: set, guest accesses are user)", "supervisor/user from the guest's own PTE")


def main(argv):
    ap = argparse.ArgumentParser(description="Decode KVM second-stage entries (SPTEs).")
    ap.add_argument("--format", choices=sorted(DECODERS), required=True)
    ap.add_argument("--level", type=int, default=1, help="paging level of the entry (1 = 4K)")
    ap.add_argument("--legend", action="store_true", help="print the bit legend")
    ap.add_argument("spte", nargs="*")
    a = ap.parse_args(argv)
    if a.legend:
        print(LEGEND[a.format])
    for s in a.spte:
        v = int(s, 16)
        d = decode(a.format, v, a.level)
        print("spte 0x%016x  L%d %s  hpa 0x%x  %s" % (v, a.level, PAGE.get(a.level, "?"), d["hpa"], flags(d)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
