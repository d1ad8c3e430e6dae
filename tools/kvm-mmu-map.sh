#!/usr/bin/env bash
# kvm-mmu-map.sh: KVM's own second-stage map (GPA -> host frame) for one run
# of build/vmm, as KVM built it: per guest frame the last SPTE KVM set
# (kvmmmu:kvm_mmu_set_spte), decoded, then a summary (entries by level,
# guest RAM never mapped, SPTE changes and zaps) and the bit legend.
#
#   tools/kvm-mmu-map.sh [-- VMM ARGS...]
#
#   VMM ARGS   default: --timeout 60 -c boot-only build/kernel.img
#   VMM=PATH   the VMM binary (default build/vmm)
#
# Run as root where /dev/kvm is, or through tools/in-kvm (make mmu-map).
# The SPTE format follows the KVM: NPT on kvm_amd with npt=Y, EPT on
# kvm_intel with ept=Y, otherwise shadow pages (x86-64 PTEs). Decoding is
# tools/spte_decode.py, the report tools/mmu_map_report.py. Only events of
# the VMM's process count. One small bpftrace program: each start costs
# seconds under TCG. Exit status: the VMM's, or 126 if nothing could be
# traced (the reason is printed).
set -u

here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.." || exit 126
VMM=${VMM:-build/vmm}
case ${1:-} in
--) shift ;;
-h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) echo "kvm-mmu-map: unknown argument '$1' (try --help)" >&2; exit 126 ;;
esac
[ $# -gt 0 ] || set -- --timeout 60 -c boot-only build/kernel.img

say() { echo "kvm-mmu-map: $*"; }
cannot() { say "cannot trace: $*"; exit 126; }

kvm=$(bash "$here/kvm-name")
say "in the ${KVM_WORLD:-host} world ($(uname -r)); /dev/kvm served by $kvm"
[ "$kvm" != none ] || cannot "no /dev/kvm here: run it under tools/in-kvm (make mmu-map does)"
[ -x "$VMM" ] || cannot "no VMM at $VMM (run make)"
[ "$(id -u)" -eq 0 ] || cannot "not root (bpftrace needs root)"
command -v bpftrace >/dev/null 2>&1 || cannot "bpftrace is not installed (Debian/Ubuntu package bpftrace)"
tracefs=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
ev=$tracefs/events/kvmmmu
[ -n "$tracefs" ] && [ -d "$ev/kvm_mmu_set_spte" ] ||
	cannot "no kvmmmu:kvm_mmu_set_spte in tracefs (${tracefs:-tracefs not mounted})"

# Which table format this KVM writes.
yes_param() { case $(cat "/sys/module/$1/parameters/$2" 2>/dev/null) in Y | y | 1) return 0 ;; esac; return 1; }
case $kvm in
kvm_amd) if yes_param kvm_amd npt; then fmt=npt; else fmt=pte; fi ;;
kvm_intel) if yes_param kvm_intel ept; then fmt=ept; else fmt=pte; fi ;;
*) fmt=pte ;;
esac

# Guest RAM: the VMM's -m (K/M/G suffix, as vmm --help says), else 64M.
ram=$((64 << 20)) prev=""
for a in "$@"; do
	m=""
	if [ "$prev" = -m ]; then m=$a; elif [[ $a == -m?* ]]; then m=${a#-m}; fi
	case $m in
	"") ;;
	*[kK]) ram=$((${m%?} << 10)) ;;
	*[mM]) ram=$((${m%?} << 20)) ;;
	*[gG]) ram=$((${m%?} << 30)) ;;
	*) ram=$m ;;
	esac
	prev=$a
done

. "$here/bpf_held.sh"

# The program: kvm_mmu_set_spte, plus each optional tracepoint tracefs has.
# $1 is the VMM's pid; values printed raw, decoded afterwards.
attached="kvm_mmu_set_spte"
{
	echo 'BEGIN { printf("ev attached\n"); }'
	echo 'tracepoint:kvmmmu:kvm_mmu_set_spte /pid == $1/ { printf("ev set %lx %lx %d\n", args->gfn, args->spte, args->level); }'
	for p in kvm_tdp_mmu_spte_changed mark_mmio_spte kvm_mmu_prepare_zap_page kvm_mmu_split_huge_page; do
		[ -d "$ev/$p" ] || { say "not attached: kvmmmu:$p (not in $ev)"; continue; }
		attached="$attached $p"
		case $p in
		kvm_tdp_mmu_spte_changed) echo "tracepoint:kvmmmu:$p"' /pid == $1/ { printf("ev chg %lx %d %lx %lx\n", args->gfn, args->level, args->old_spte, args->new_spte); }' ;;
		mark_mmio_spte) echo "tracepoint:kvmmmu:$p"' /pid == $1/ { printf("ev mmio %lx\n", args->gfn); }' ;;
		kvm_mmu_prepare_zap_page) echo "tracepoint:kvmmmu:$p"' /pid == $1/ { printf("ev zap %d\n", args->role & 0xf); }' ;;
		kvm_mmu_split_huge_page) echo "tracepoint:kvmmmu:$p"' /pid == $1/ { printf("ev split %lx %d\n", args->gfn, args->level); }' ;;
		esac
	done
} >"$tmp/prog.bt"
say "attaching: kvmmmu:{${attached// /,}}; SPTE format $fmt; guest RAM $((ram >> 20)) MiB"

held_vmm "$VMM" "$@"
bpf_start "$tmp/prog.bt" || cannot "bpftrace did not attach"
say "running: $VMM $*"
held_run
say "the VMM exited with status $status"
echo
python3 "$here/mmu_map_report.py" --format "$fmt" --ram "$ram" --attached "$attached" <"$tmp/bt.out"
echo
python3 "$here/spte_decode.py" --legend --format "$fmt"
exit "$status"
