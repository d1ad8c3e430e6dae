#!/usr/bin/env bash
# kvm-mmu-map.sh: KVM's own second-stage map (GPA -> host frame) for one run
# of build/vmm, as KVM built it: per guest frame the last SPTE KVM set
# (kvmmmu:kvm_mmu_set_spte), decoded, then a summary (entries by level,
# guest RAM never mapped, SPTE changes and zaps) and the bit legend.
#
#   tools/inside-kvm/kvm-mmu-map.sh [-- VMM ARGS... [+++ VMM ARGS...]...]
#
#   VMM ARGS   default: --timeout 60 -c boot-only build/kernel.img; each
#              +++ starts another run: the runs go one after the other
#              under the one bpftrace program, which compiles once (about
#              40 s under TCG), and each gets its own report, headed
#              "kvm-mmu-map: run N of M: ...". The exit status is then the
#              first run's that was not 0.
#   VMM=PATH   the VMM binary (default build/vmm)
#   MMU_MAP_RAW=FILE  also keep the raw events in FILE and the VMM's
#              messages in FILE.vmm (tools/inside-kvm/mmu_map_report.py reads
#              them); with several runs, the last run's
#
# Run as root where /dev/kvm is, or through tools/worlds/in-kvm (make mmu-map).
# The SPTE format follows the KVM: NPT on kvm_amd with npt=Y, EPT on
# kvm_intel with ept=Y, otherwise shadow pages (x86-64 PTEs). Decoding is
# tools/inside-kvm/spte_decode.py, the report tools/inside-kvm/mmu_map_report.py. Only events of
# the VMM's process count. One small bpftrace program: each start costs
# seconds under TCG. Exit status: the VMM's, or 126 if nothing could be
# traced (the reason is printed).
set -u

here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.." || exit 126
VMM=${VMM:-build/vmm}
case ${1:-} in
--) shift ;;
-h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) echo "kvm-mmu-map: unknown argument '$1' (try --help)" >&2; exit 126 ;;
esac
[ $# -gt 0 ] || set -- --timeout 60 -c boot-only build/kernel.img
# runs[i]: run i's VMM arguments, shell-quoted.
runs=() cur=()
for a in "$@" +++; do
	if [ "$a" != +++ ]; then
		cur+=("$a")
		continue
	fi
	[ ${#cur[@]} -gt 0 ] || { echo "kvm-mmu-map: a run without VMM arguments (+++ twice, or at an end)" >&2; exit 126; }
	runs+=("$(printf '%q ' "${cur[@]}")")
	cur=()
done

say() { echo "kvm-mmu-map: $*"; }
cannot() { say "cannot trace: $*"; exit 126; }

kvm=$(bash "$here/../worlds/kvm-name")
say "in the ${KVM_WORLD:-host} world ($(uname -r)); /dev/kvm served by $kvm"
[ "$kvm" != none ] || cannot "no /dev/kvm here: run it under tools/worlds/in-kvm (make mmu-map does)"
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

# ram_of VMM ARGS...: guest RAM, the VMM's -m (K/M/G suffix, as vmm --help
# says), else 64M.
ram_of() {
	local ram=$((64 << 20)) prev="" a m
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
	echo "$ram"
}

. "$here/bpf_held.sh"

# The program: kvm_mmu_set_spte, plus each optional tracepoint tracefs has.
# Written for one VMM ($1 its pid), then made the runs' (below); values
# printed raw, decoded afterwards; every event carries its time (ns) last,
# so the report can put them in order of the VMM's own operations: a view
# switch's mmap over guest RAM (MAP_FIXED, shared), a memslot ioctl
# (KVM_SET_USER_MEMORY_REGION), and its exit.
attached="kvm_mmu_set_spte" counted="" left_out=()
optional="kvmmmu/kvm_tdp_mmu_spte_changed kvmmmu/mark_mmio_spte kvmmmu/kvm_mmu_prepare_zap_page
	kvmmmu/kvm_mmu_split_huge_page kvmmmu/kvm_mmu_zap_all_fast kvm/kvm_unmap_hva_range kvm/kvm_page_fault
	kvmmmu/kvm_mmu_get_page kvmmmu/kvm_mmu_pagetable_walk kvmmmu/kvm_mmu_paging_element
	kvmmmu/kvm_mmu_walker_error kvm/kvm_emulate_insn kvm/kvm_exit
	kvm/kvm_pio syscalls/sys_enter_mmap syscalls/sys_enter_ioctl syscalls/sys_enter_exit_group"
{
	echo 'BEGIN { printf("ev attached\n"); }'
	echo 'tracepoint:kvmmmu:kvm_mmu_set_spte /pid == $1/ { printf("ev set %lx %lx %d %lu\n", args->gfn, args->spte, args->level, nsecs); }'
	for tp in $optional; do
		p=${tp#*/}
		[ -d "$tracefs/events/$tp" ] || { left_out+=("${tp%/*}:$p (not in $tracefs/events)"); continue; }
		# With NPT, KVM walks the guest's tables only to emulate an
		# instruction, and no guest of ours runs a hypervisor of its own
		# on AMD: nothing to show, and each probe is ~3 s of bpftrace's
		# compile under TCG. (Shadow paging walks for every fault, and so
		# does kvm_intel for an L1 hypervisor's EPT: kept for pte and ept.)
		case $fmt:$p in
		npt:kvm_mmu_pagetable_walk | npt:kvm_mmu_paging_element | npt:kvm_mmu_walker_error)
			left_out+=("${tp%/*}:$p (NPT: KVM walks the guest's tables only to emulate)")
			continue ;;
		esac
		attached="$attached $p"
		probe="tracepoint:${tp%/*}:$p"
		case $p in
		# Only changes to or from a present entry (KVM's bit 11): a zap
		# also writes REMOVED_SPTE over each empty slot of a table, 512 a
		# table, which would flood the buffer and say nothing.
		kvm_tdp_mmu_spte_changed) echo "$probe"' /pid == $1 && ((args->old_spte | args->new_spte) & 0x800)/ { printf("ev chg %lx %d %lx %lx %lu\n", args->gfn, args->level, args->old_spte, args->new_spte, nsecs); }' ;;
		mark_mmio_spte) echo "$probe"' /pid == $1/ { printf("ev mmio %lx\n", args->gfn); }' ;;
		kvm_mmu_prepare_zap_page) echo "$probe"' /pid == $1/ { printf("ev zap %d %lu\n", args->role & 0xf, nsecs); }' ;;
		kvm_mmu_split_huge_page) echo "$probe"' /pid == $1/ { printf("ev split %lx %d\n", args->gfn, args->level); }' ;;
		kvm_mmu_zap_all_fast) echo "$probe"' /pid == $1/ { printf("ev zapall %lu\n", nsecs); }' ;;
		kvm_unmap_hva_range) echo "$probe"' /pid == $1/ { printf("ev unmap %lx %lx %lu\n", args->start, args->end, nsecs); }' ;;
		# The guest's boot stage markers (out to port 0x80), which cut the
		# run into phases for the report.
		kvm_pio) echo "$probe"' /pid == $1 && args->port == 0x80 && args->rw == 1/ { printf("ev stage %x %lu\n", args->val, nsecs); }' ;;
		kvm_page_fault) echo "$probe"' /pid == $1/ { printf("ev npf %lx %lx %lu\n", args->fault_address, args->error_code, nsecs); }' ;;
		# A shadow MMU (kvm_pvm; kvm_amd npt=0; kvm_intel ept=0): the shadow
		# pages it builds, and its walks of the guest's own page tables
		# (kvm_pvm's emulator walks them for every CPL0 access: no SPTE).
		kvm_mmu_get_page) echo "$probe"' /pid == $1/ { printf("ev sp %lx %x %d %lu\n", args->gfn, args->role, args->created, nsecs); }' ;;
		kvm_mmu_pagetable_walk) echo "$probe"' /pid == $1/ { printf("ev walk %lx %x %lu\n", args->addr, args->pferr, nsecs); }' ;;
		kvm_mmu_paging_element) echo "$probe"' /pid == $1/ { printf("ev pte %lx %d %lu\n", args->pte, args->level, nsecs); }' ;;
		kvm_mmu_walker_error) echo "$probe"' /pid == $1/ { printf("ev walkerr %x %lu\n", args->pferr, nsecs); }' ;;
		# Counted only: who ran the guest, KVM's emulator or the CPU.
		kvm_emulate_insn | kvm_exit) echo "$probe"' /pid == $1/ { @'"$p"'[pid]++; }'; counted="$counted $p" ;;
		# MAP_SHARED|MAP_FIXED (0x11) of a file: guest RAM, or a view switch.
		sys_enter_mmap)
			echo "$probe"' /pid == $1 && (args->flags & 0x11) == 0x11 && args->fd < 65536/ { @mm[tid] = 1; printf("ev mmap %lx %lx %lx %lu\n", args->addr, args->len, args->off, nsecs); }'
			echo 'tracepoint:syscalls:sys_exit_mmap /@mm[tid]/ { delete(@mm[tid]); printf("ev done %ld %lu\n", args->ret, nsecs); }' ;;
		# KVM_SET_USER_MEMORY_REGION: slot, guest_phys_addr, memory_size, userspace_addr.
		sys_enter_ioctl)
			echo "$probe"' /pid == $1 && args->cmd == 0x4020ae46/ { @io[tid] = 1; printf("ev memslot %u %lx %lx %lx %lu\n", *(uint32 *)uptr(args->arg), *(uint64 *)uptr(args->arg + 8), *(uint64 *)uptr(args->arg + 16), *(uint64 *)uptr(args->arg + 24), nsecs); }'
			echo 'tracepoint:syscalls:sys_exit_ioctl /@io[tid]/ { delete(@io[tid]); printf("ev done %ld %lu\n", args->ret, nsecs); }' ;;
		sys_enter_exit_group) echo "$probe"' /pid == $1/ { printf("ev exit %lu\n", nsecs); }' ;;
		esac
	done
	echo 'END {'
	for p in $counted; do echo "print(@$p); clear(@$p);"; done
	echo 'clear(@mm); clear(@io); }'
} >"$tmp/prog.1"
for l in "${left_out[@]}"; do say "not attached: $l"; done
ram1=""
[ ${#runs[@]} -gt 1 ] || { eval "set -- ${runs[0]}"; ram1="; guest RAM $(($(ram_of "$@") >> 20)) MiB"; }
say "attaching: ${attached// /, }; SPTE format $fmt$ram1"

# The runs' VMMs, held; their messages (--walk lines among them) are
# shown and kept for the report. --stage-exits: the stub writes its boot
# stages to port 0x80 too (an exit each, which it does not make by
# default), where the report cuts its phases.
for i in "${!runs[@]}"; do
	eval "set -- ${runs[$i]}"
	held_vmm "$VMM" --stage-exits "$@" 2>"$tmp/vmm.$i.err"
done
# The program for all their pids ($1, $2, ...), each event headed by its
# VMM's pid: "ev PID set ...".
who='pid == $1'
for ((i = 2; i <= ${#runs[@]}; i++)); do who="$who || pid == \$$i"; done
[ ${#runs[@]} -eq 1 ] || who="($who)"
sed -e "s/pid == \\\$1/$who/" -e 's/printf("ev \([^"]*\)", /printf("ev %d \1", pid, /' \
	"$tmp/prog.1" >"$tmp/prog.bt"
bpf_start "$tmp/prog.bt" || cannot "bpftrace did not attach"
held_run

# events_of PID: that VMM's events, as the report reads them ("ev set ...",
# its counts "ev count NAME N").
events_of() {
	awk -v p="$1" -v counted="$counted" '$1 == "ev" && $2 == p { sub(/^ev [0-9]+ /, "ev "); print; next }
		$1 ~ /^@[a-z_]+\[[0-9]+\]:$/ { split($1, k, /[][@]/); if (k[3] == p) n[k[2]] = $2 }
		END { split(counted, c, " "); for (i in c) print "ev count " c[i], n[c[i]] + 0 }' "$tmp/bt.out"
}

rc=0
for i in "${!runs[@]}"; do
	eval "set -- ${runs[$i]}"
	ram=$(ram_of "$@")
	[ ${#runs[@]} -eq 1 ] || { echo; say "run $((i + 1)) of ${#runs[@]}: guest RAM $((ram >> 20)) MiB"; }
	say "running: $VMM --stage-exits $*"
	events_of "${vpids_done[$i]}" >"$tmp/ev.$i"
	cat "$tmp/vmm.$i.err" >&2
	[ -z "${MMU_MAP_RAW:-}" ] || { cp "$tmp/ev.$i" "$MMU_MAP_RAW" && cp "$tmp/vmm.$i.err" "$MMU_MAP_RAW.vmm"; }
	say "the VMM exited with status ${statuses[$i]}"
	echo
	python3 "$here/mmu_map_report.py" --format "$fmt" --ram "$ram" --attached "$attached" \
		--vmm-messages "$tmp/vmm.$i.err" <"$tmp/ev.$i"
	echo
	python3 "$here/spte_decode.py" --legend --format "$fmt"
	[ "$rc" != 0 ] || rc=${statuses[$i]}
done
exit "$rc"
