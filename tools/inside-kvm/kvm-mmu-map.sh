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
#   MMU_MAP_TRACER=tracefs  read tracefs events, not a bpftrace program
#              (the default where bpftrace is not installed, as in the
#              intel world): nothing to compile, but without the VMM's
#              system calls (its view switches and memslot changes)
#   MMU_MAP_RAW=FILE  also keep the raw events in FILE and the VMM's
#              messages in FILE.vmm (tools/inside-kvm/mmu_map_report.py reads
#              them); with several runs, the last run's
#
# Run as root where /dev/kvm is, or through tools/worlds/in-kvm (make mmu-map).
# The SPTE format follows the KVM: NPT on kvm_amd with npt=Y, EPT on
# kvm_intel with ept=Y, otherwise shadow pages (x86-64 PTEs). Decoding is
# tools/inside-kvm/spte_decode.py, the report tools/inside-kvm/mmu_map_report.py. Only events of
# the VMM's process count. One small bpftrace program: each start costs
# seconds under TCG. KVM's MMU roots (*_load_mmu_pgd, kvm_mmu_new_pgd) and
# L2's VMFUNC exits are tracefs kprobe and trace events with either tracer,
# merged by time (tools/inside-kvm/tracefs.sh). Exit status: the VMM's, or 126 if nothing could be
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
[ "$(id -u)" -eq 0 ] || cannot "not root (tracing needs root)"
tracer=bpftrace
if [ "${MMU_MAP_TRACER:-}" = tracefs ]; then
	tracer=tracefs
elif ! command -v bpftrace >/dev/null 2>&1; then
	tracer=tracefs
	say "bpftrace is not installed here (Debian package bpftrace): tracefs events instead"
fi
. "$here/bpf_held.sh"
. "$here/tracefs.sh"
tfs_init mmu-map || cannot "$tfs_why"
tracefs=$TFS_ROOT
[ -d "$tracefs/events/kvmmmu/kvm_mmu_set_spte" ] || cannot "no kvmmmu:kvm_mmu_set_spte in $tracefs/events"

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
# tracefs_tp TP: enable tracepoint TP for the tracefs tracer (filters as
# the bpftrace program's, where the report needs them).
tracefs_tp() {
	case ${1#*/} in
	sys_enter_*) left_out+=("syscalls:${1#*/} (the VMM's system calls are read by bpftrace only)"); return ;;
	kvm_pio) tfs_event "$1" 'port == 0x80 && rw == 1' ;;
	*) tfs_event "$1" ;;
	esac || { left_out+=("${1%/*}:${1#*/} (${tfs_why:-tracefs refused it})"); return; }
	attached="$attached ${1#*/}"
	case ${1#*/} in kvm_emulate_insn | kvm_exit) counted="$counted ${1#*/}" ;; esac
}
[ $tracer = bpftrace ] || tfs_event kvmmmu/kvm_mmu_set_spte || cannot "tracefs refused kvmmmu:kvm_mmu_set_spte"
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
		if [ $tracer = tracefs ]; then
			tracefs_tp "$tp"
			continue
		fi
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
# KVM's MMU roots, with either tracer: the root each VM entry runs on, the
# guest table (CR3 or EPTP) KVM made it for, and L2's VMFUNC exits (VMX).
roots_why=""
for f in vmx_load_mmu_pgd svm_load_mmu_pgd pvm_load_mmu_pgd; do
	grep -q " $f\b" /proc/kallsyms || continue
	if tfs_kprobe root $f 'root_hpa=%si root_level=%dx' && tfs_kprobe newpgd kvm_mmu_new_pgd 'pgd=%si'; then
		attached="$attached $f kvm_mmu_new_pgd"
	else
		roots_why=$tfs_why
	fi
	break
done
[ -n "$roots_why" ] || [[ $attached == *load_mmu_pgd* ]] || roots_why="no vmx_, svm_ or pvm_load_mmu_pgd in /proc/kallsyms"
[ -z "$roots_why" ] || left_out+=("kprobes on *_load_mmu_pgd, kvm_mmu_new_pgd ($roots_why)")
if [ "$kvm" = kvm_intel ]; then
	# L2's VMFUNC exits, and the exits KVM reflects to L1 (the refused ones).
	for e in "kvm_nested_vmexit exit_reason == 59 && isa == 1" "kvm_nested_vmexit_inject isa == 1"; do
		if tfs_event "kvm/${e%% *}" "${e#* }"; then
			attached="$attached ${e%% *}"
		else
			left_out+=("kvm:${e%% *} (${tfs_why:-not in $tracefs/events})")
		fi
	done
fi
for l in "${left_out[@]}"; do say "not attached: $l"; done
ram1=""
[ ${#runs[@]} -gt 1 ] || { eval "set -- ${runs[0]}"; ram1="; guest RAM $(($(ram_of "$@") >> 20)) MiB"; }
say "attaching ($tracer): ${attached// /, }; SPTE format $fmt$ram1"

# The runs' VMMs, held; their output (the guest's, with the EPTPs of its
# views, and the VMM's messages, with --walk lines) is shown after each
# run and kept for the report. --stage-exits: the stub writes its boot
# stages to port 0x80 too (an exit each, which it does not make by
# default), where the report cuts its phases.
for i in "${!runs[@]}"; do
	eval "set -- ${runs[$i]}"
	held_vmm "$VMM" --stage-exits "$@" >"$tmp/vmm.$i.out" 2>"$tmp/vmm.$i.err"
done
if [ $tracer = bpftrace ]; then
	# The program for all their pids ($1, $2, ...), each event headed by
	# its VMM's pid: "ev PID set ...".
	who='pid == $1'
	for ((i = 2; i <= ${#runs[@]}; i++)); do who="$who || pid == \$$i"; done
	[ ${#runs[@]} -eq 1 ] || who="($who)"
	sed -e "s/pid == \\\$1/$who/" -e 's/printf("ev \([^"]*\)", /printf("ev %d \1", pid, /' \
		"$tmp/prog.1" >"$tmp/prog.bt"
	bpf_start "$tmp/prog.bt" || cannot "bpftrace did not attach"
else
	: >"$tmp/bt.out"
fi
held_run
# The tracefs events, as the bpftrace program's lines (by time in the report).
tfs_stop "$tmp/tfs.out"
python3 "$here/tracefs_events.py" --pids "$(IFS=,; echo "${vpids_done[*]}")" <"$tmp/tfs.out" >>"$tmp/bt.out"

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
	cat "$tmp/vmm.$i.out"
	cat "$tmp/vmm.$i.err" >&2
	# The report reads both: the guest's own lines (views' EPTPs) and the VMM's.
	cat "$tmp/vmm.$i.out" "$tmp/vmm.$i.err" >"$tmp/vmm.$i.msg"
	[ -z "${MMU_MAP_RAW:-}" ] || { cp "$tmp/ev.$i" "$MMU_MAP_RAW" && cp "$tmp/vmm.$i.msg" "$MMU_MAP_RAW.vmm"; }
	say "the VMM exited with status ${statuses[$i]}"
	echo
	python3 "$here/mmu_map_report.py" --format "$fmt" --ram "$ram" --attached "$attached" \
		--vmm-messages "$tmp/vmm.$i.msg" <"$tmp/ev.$i"
	echo
	python3 "$here/spte_decode.py" --legend --format "$fmt"
	[ "$rc" != 0 ] || rc=${statuses[$i]}
done
exit "$rc"
