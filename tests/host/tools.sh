#!/usr/bin/env bash
# Host tests of the KVM tracing tools: tools/inside-kvm/kvm-probes.sh (what can be
# attached here, and why not) and tools/inside-kvm/kvm-trace.sh (a build/vmm boot under
# bpftrace, summarised). Prints TAP and ends with "N passed, N failed,
# N skipped"; exits nonzero if anything failed. kvm-trace.sh runs only where
# it can (a /dev/kvm, root, bpftrace, kvm tracepoints); elsewhere its tests
# are SKIPped with the reason measured. Where kprobes or kfunc reach the
# vendor's *_load_mmu_pgd / *_vcpu_load, the per-event lines those print
# (root HPA and level, vCPU, cpu) are checked; on kvm_pvm (neither) those
# tests SKIP with the reason. About 10 s natively, a minute in the nested
# world (each bpftrace start costs seconds under TCG).
#
#   bash tests/host/tools.sh            (VMM=build/vmm IMAGE=build/kernel.img)
#   tools/worlds/in-kvm bash tests/host/tools.sh   where this machine has no /dev/kvm
set -u
cd "$(dirname "$0")/../.." || exit 1

VMM=${VMM:-build/vmm}
IMAGE=${IMAGE:-build/kernel.img}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0 passed=0 failed=0 skipped=0
ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $1"; }
skip() { n=$((n + 1)); skipped=$((skipped + 1)); echo "ok $n - $1 # SKIP $2"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1 # $2"; }
# check DESC WHY-IF-FAILED CONDITION...: ok if the command succeeds.
check() {
	local desc=$1 why=$2
	shift 2
	if "$@"; then ok "$desc"; else not_ok "$desc" "$why"; fi
}
finish() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}
# first REGEX: R is the first line of L matching (bash ERE), BASH_REMATCH
# its groups; status 1 if none. L holds the output being checked: each
# section reads its tool's output once and searches it with shell builtins
# only (under TCG each grep, sed or awk costs half a second or more).
first() { local l; for l in "${L[@]}"; do [[ $l =~ $1 ]] && { R=$l; return 0; }; done; R=""; return 1; }
# run_or_skip WHY_NOT FN TESTS...: run the section FN, or, if WHY_NOT says
# it cannot run here, SKIP each of its TESTS with that reason.
run_or_skip() {
	local why=$1 fn=$2
	shift 2
	if [ -n "$why" ]; then
		for t in "$@"; do skip "$t" "$why"; done
	else
		"$fn"
	fi
}

# ---- kvm-probes.sh ---------------------------------------------------------------

bash tools/inside-kvm/kvm-probes.sh >"$tmp/probes" 2>"$tmp/probes.err"
status=$?
check "probes: kvm-probes.sh exits 0 and names the host's KVM" \
	"exit status $status; $(head -c 200 "$tmp/probes.err")" \
	grep -qE '^# host: .*KVM: (kvm_intel|kvm_amd|kvm_pvm|none)' "$tmp/probes"

# The table read once, with builtins: in the nested world each grep costs
# about half a second (TCG). pline[PROBE]: its first "PROBE: ..." line.
declare -A pline=()
while IFS= read -r l; do
	case $l in "#"* | "") continue ;; esac
	k=${l%%: *}
	[ -n "${pline[$k]+set}" ] || pline[$k]=$l
done <"$tmp/probes"
# verdict PROBE: "yes", "no" (with a non-empty reason), or "" if the line is
# missing or malformed.
verdict() {
	case "${pline[$1]:-}" in
	"$1: yes ("?*")") echo yes ;;
	"$1: no ("?*")") echo no ;;
	esac
}
# in_kallsyms NAME: the kernel has the function (one pass over kallsyms).
awk '{ print $3 }' /proc/kallsyms | grep -E '^(vmx|svm|pvm|kvm)_' >"$tmp/ksyms"
declare -A ksym=()
while IFS= read -r l; do ksym[$l]=1; done <"$tmp/ksyms"
in_kallsyms() { [ -n "${ksym[$1]:-}" ]; }

bad=""
for m in kprobes kfunc tracepoints; do
	[ -n "$(verdict "$m")" ] || bad="$bad $m"
done
check "probes: kprobes, kfunc and tracepoints each get yes/no with a reason" "missing or malformed:$bad" [ -z "$bad" ]

# The host's KVM, measured here, not taken from the tool.
flavor=none
for m in kvm_intel kvm_amd kvm_pvm; do [ -d "/sys/module/$m" ] && flavor=$m && break; done

for f in vmx_load_mmu_pgd:kvm_intel vmx_vcpu_load_vmcs:kvm_intel svm_load_mmu_pgd:kvm_amd \
	svm_vcpu_load:kvm_amd pvm_load_mmu_pgd:kvm_pvm pvm_vcpu_load:kvm_pvm kvm_mmu_load:kvm \
	kvm_arch_vcpu_load:kvm; do
	name=${f%%:*} owner=${f#*:}
	k=$(verdict "kallsyms:$name") kp=$(verdict "kprobe:$name") kf=$(verdict "kfunc:$name")
	desc="probes: $name: kallsyms, kprobe and kfunc each say yes/no with a reason"
	if [ -z "$k" ] || [ -z "$kp" ] || [ -z "$kf" ]; then
		not_ok "$desc" "kallsyms '$k', kprobe '$kp', kfunc '$kf'"
		continue
	fi
	# Agree with /proc/kallsyms; an absent symbol attaches nowhere and says so.
	present=no
	in_kallsyms "$name" && present=yes
	if [ "$k" != "$present" ]; then
		not_ok "$desc" "says kallsyms $k, /proc/kallsyms says $present"
	elif [ "$present" = no ] && { [ "$kp" = yes ] || [ "$kf" = yes ] ||
		[[ ${pline[kprobe:$name]} != "kprobe:$name: no (symbol absent"* ]]; }; then
		not_ok "$desc" "absent symbol but kprobe $kp, kfunc $kf, or no 'symbol absent' reason"
	elif [ "$present" = no ] && [ "$owner" != kvm ] && [ "$owner" != "$flavor" ] &&
		[ "${pline[kprobe:$name]}" != "kprobe:$name: no (symbol absent: this host's KVM is $flavor)" ]; then
		not_ok "$desc" "the reason does not name this host's KVM ($flavor)"
	elif [ "$(verdict kprobes)" = no ] && [ "$kp" = yes ]; then
		not_ok "$desc" "kprobe:$name yes on a host without kprobes"
	else
		ok "$desc ($k, kprobe $kp, kfunc $kf)"
	fi
done

tracefs=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
bad=""
for tp in kvm:kvm_exit kvm:kvm_entry kvm:kvm_userspace_exit kvm:kvm_pio kvm:kvm_emulate_insn \
	kvm:kvm_page_fault kvmmmu:kvm_mmu_get_page kvmmmu:kvm_mmu_prepare_zap_page; do
	v=$(verdict "tracepoint:$tp")
	if [ -z "$v" ]; then
		bad="$bad $tp(missing)"
	elif [ "$v" = yes ] && { [ -z "$tracefs" ] || [ ! -d "$tracefs/events/${tp%%:*}/${tp#*:}" ]; }; then
		bad="$bad $tp(yes, but not in tracefs)"
	fi
done
check "probes: each kvm/kvmmmu tracepoint gets yes/no, and yes only if tracefs has it" "$bad" [ -z "$bad" ]

# ---- kvm-trace.sh ------------------------------------------------------------------

# Not root: it must refuse with a reason, and status 126 (after saying which
# world it is in; without a /dev/kvm it stops for that first).
kvm=$(bash tools/worlds/kvm-name)
if [ "$kvm" = none ]; then
	skip "trace: as a non-root user it stops with status 126 and says why" "no /dev/kvm here (run it under tools/worlds/in-kvm)"
elif [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	setpriv --reuid=65534 --regid=65534 --clear-groups bash tools/inside-kvm/kvm-trace.sh -q >"$tmp/nobody" 2>&1
	status=$?
	if [ "$status" -eq 126 ] && grep -q "^kvm-trace: cannot trace: not root" "$tmp/nobody"; then
		ok "trace: as a non-root user it stops with status 126 and says why"
	else
		not_ok "trace: as a non-root user it stops with status 126 and says why" \
			"status $status: $(tail -n1 "$tmp/nobody")"
	fi
else
	skip "trace: as a non-root user it stops with status 126 and says why" "not root or no setpriv"
fi

# bpf_why_not: why bpftrace cannot trace a run of the VMM here, or nothing.
bpf_why_not() {
	if [ "$kvm" = none ]; then
		echo "no /dev/kvm here (run it under tools/worlds/in-kvm)"
	elif [ "$(id -u)" -ne 0 ]; then
		echo "not root (bpftrace needs root)"
	elif ! command -v bpftrace >/dev/null 2>&1; then
		echo "bpftrace is not installed (Debian package bpftrace)"
	elif [ ! -x "$VMM" ] || [ ! -f "$IMAGE" ]; then
		echo "$VMM or $IMAGE not built (make)"
	fi
}
why_not=$(bpf_why_not)
[ -z "$why_not" ] && [ "$(verdict tracepoints)" != yes ] &&
	why_not="no usable kvm tracepoints: $(sed -n 's/^tracepoints: no (\(.*\))$/\1/p' "$tmp/probes")"
trace_tests=(
	"trace: says up front what it attached, and why not the rest"
	"trace: the VMM ran to status 0 under it"
	"trace: userspace exits of reason IO, as many as the VMM counted"
	"trace: boot stages 0x10 .. 0x40 on port 0x80, in order"
	"trace: one return to userspace per KVM_RUN call"
	"trace: KVM did the guest's work (emulated instructions or kvm_exit)"
	"trace: shadow MMU pages created"
	"trace: MMU roots read through BTF, the last one 4-level"
	"trace: MMU-root loads printed per event: comm, vCPU, root HPA, level, cpu"
	"trace: MMU-root summary: distinct roots add up, top stack starts at the traced function"
	"trace: vCPU loads printed per event (comm, vCPU, cpu), at least one per KVM_RUN"
)
# trace_run: the trace and its checks (a function: where the probes for
# its last checks cannot attach it returns early, and the sections after
# it still run).
trace_run() {
SECONDS=0
# The probe table from above is reused: another run costs half a minute under TCG.
timeout -k 5 400 env VMM="$VMM" bash tools/inside-kvm/kvm-trace.sh -q --probes "$tmp/probes" -- --timeout 60 --stats -c 'test=boot*' "$IMAGE" \
	>"$tmp/trace" 2>&1
status=$?
echo "# kvm-trace.sh took ${SECONDS}s, status $status"

# The output is read once and searched with shell builtins only: under TCG
# each grep, sed or awk costs half a second or more.
mapfile -t L <"$tmp/trace"
# section START END: S holds the lines after the first one matching START,
# up to the next one matching END.
section() {
	local l in=0
	S=()
	for l in "${L[@]}"; do
		if [ $in = 1 ]; then [[ $l =~ $2 ]] && break; S+=("$l")
		elif [[ $l =~ $1 ]]; then in=1; fi
	done
}
# num LABEL: N is the number after "LABEL: " at the start of a summary line.
num() {
	local l r
	N=""
	for l in "${L[@]}"; do
		[[ $l == "$1: "[0-9]* ]] && { r=${l#"$1: "}; N=${r%%[!0-9]*}; return; }
	done
}
# vmmstat NAME: V is a count from the VMM's --stats ("" if it printed none).
vmmstat() { V=""; first "^vmm: stats: +$1 +([0-9]+)\$" && V=${BASH_REMATCH[1]}; }

# 1. Which world and KVM; what is and is not attached.
bad=""
[[ ${L[0]:-} =~ ^kvm-trace:\ tracing\ in\ the\ ${KVM_WORLD:-host}\ world\ .*\;\ /dev/kvm\ served\ by\ $kvm$ ]] ||
	bad="the first line does not name the ${KVM_WORLD:-host} world and $kvm: ${L[0]:-}"
first '^kvm-trace: attached: .*tracepoint:kvm:kvm_userspace_exit' || bad="${bad:+$bad; }kvm_userspace_exit not attached"
for l in "${L[@]}"; do
	[[ $l == "kvm-trace: not attached: "* ]] && ! [[ $l =~ ^kvm-trace:\ not\ attached:\ [^:]+:\ .{10,} ]] &&
		bad="${bad:+$bad; }a 'not attached' line without a reason: $l"
done
check "${trace_tests[0]}" "$bad" [ -z "$bad" ]

# 2. Status passed through, and the summary present.
first 'cannot trace|summary'
check "${trace_tests[1]}" "status $status; $R" first "^== kvm-trace summary: .* exited with status 0 "
if [ "$status" -ne 0 ]; then printf '#   %s\n' "${L[@]: -20}"; fi

# 3. KVM_EXIT_IO: at least one, and exactly the VMM's own count when it says.
io="" vio=""
first '^ +KVM_EXIT_IO +([0-9]+)$' && io=${BASH_REMATCH[1]}
vmmstat IO; vio=$V
if [ -z "$io" ] || [ "$io" -eq 0 ]; then
	not_ok "${trace_tests[2]}" "no KVM_EXIT_IO in the summary"
elif [ -n "$vio" ] && [ "$io" -ne "$vio" ]; then
	not_ok "${trace_tests[2]}" "kvm_userspace_exit says $io, the VMM's --stats $vio"
else
	ok "${trace_tests[2]} ($io${vio:+, VMM $vio})"
fi

# 4. Boot stages, strictly increasing, from 0x10 to 0x40.
stages=""
first '^boot stages \(port 0x80 writes, in order\): (.*)$' && stages=${BASH_REMATCH[1]}
bad=""
read -ra st <<<"$stages"
if [ ${#st[@]} -lt 2 ] || [ "${st[0]}" != 0x10 ] || [ "${st[-1]}" != 0x40 ]; then
	bad=1
else
	for ((i = 1; i < ${#st[@]}; i++)); do
		[[ ${st[i]} =~ ^0x[0-9a-f]{2}$ ]] && [ $((st[i])) -gt $((st[i - 1])) ] || bad=1
	done
fi
check "${trace_tests[3]} ($stages)" "stages: '$stages'" [ -z "$bad" ]

# 5. Each KVM_RUN returns to userspace once: the pid filter and both counts.
num "KVM_RUN calls, each a vCPU load (syscalls:sys_enter_ioctl)"; runs=$N
num "exits to the VMM (kvm:kvm_userspace_exit)"; uexits=$N
if first '^kvm-trace: not attached: (KVM_RUN.*)'; then
	skip "${trace_tests[4]}" "${BASH_REMATCH[1]}"
elif [ -z "$runs" ]; then
	not_ok "${trace_tests[4]}" "no KVM_RUN count in the summary"
else
	if [ "$runs" -gt 0 ] && [ "$runs" = "$uexits" ]; then
		ok "${trace_tests[4]} ($runs)"
	else
		not_ok "${trace_tests[4]}" "KVM_RUN calls $runs, userspace exits $uexits"
	fi
fi

# 6. Where the work happened: on kvm_pvm every CPL0 instruction is emulated
# (kvm_exit never fires for it); on VMX/SVM the guest exits to KVM.
num "emulated instructions (kvm:kvm_emulate_insn)"; emul=$N
num "VM exits handled in KVM (kvm:kvm_exit)"; exits=$N
vmmstat "kvm insn_emulation"; vemul=$V
if [ "$flavor" = kvm_pvm ]; then
	if [ -z "$emul" ] || [ "$emul" -eq 0 ]; then
		not_ok "${trace_tests[5]}" "kvm_pvm, but no emulated instructions in the summary"
	elif [ -n "$vemul" ] && [ "$emul" -ne "$vemul" ]; then
		not_ok "${trace_tests[5]}" "kvm_emulate_insn says $emul, KVM's insn_emulation stat $vemul"
	else
		ok "${trace_tests[5]} (kvm_pvm: $emul emulated${vemul:+, KVM stat $vemul})"
	fi
else
	if [ -n "$exits" ] && [ "$exits" -gt 0 ]; then
		ok "${trace_tests[5]} ($flavor: $exits kvm_exit)"
	else
		not_ok "${trace_tests[5]}" "$flavor, but kvm_exit count '$exits'"
	fi
fi

# 7. Shadow paging (kvm_pvm, or a host without EPT/NPT) builds shadow pages;
# a TDP MMU need not.
created=""
first '^shadow MMU pages \(kvmmmu:kvm_mmu_get_page\): ([0-9]+) created' && created=${BASH_REMATCH[1]}
if [ "$flavor" = kvm_pvm ]; then
	if [ "${created:-0}" -gt 0 ]; then
		ok "${trace_tests[6]} ($created)"
	else
		not_ok "${trace_tests[6]}" "kvm_pvm, but created '$created'"
	fi
else
	skip "${trace_tests[6]}" "$flavor uses EPT/NPT where it can: no shadow pages need be created"
fi

# 8. The MMU root through BTF: a first root, and long mode's 4-level root last.
if first '^MMU roots through BTF: not attached \((.*)\)$'; then
	skip "${trace_tests[7]}" "${BASH_REMATCH[1]}"
else
	nroots="" last=""
	first '^MMU roots \(.*\): ([0-9]+) seen$' && nroots=${BASH_REMATCH[1]}
	for l in "${L[@]}"; do [[ $l =~ ^\ +0x[0-9a-f]+\ +level\ ([0-9]+)\ +first ]] && last=${BASH_REMATCH[1]}; done
	if [ "${nroots:-0}" -ge 1 ] && [ "$last" = 4 ]; then
		ok "${trace_tests[7]} ($nroots, last level $last)"
	else
		not_ok "${trace_tests[7]}" "roots '$nroots', last level '$last'"
	fi
fi

# 9-11. The seed's probes on the vendor's functions. Whether they must
# attach is measured here: the vendor's load_mmu_pgd is in /proc/kallsyms and
# the kernel has kprobes (or kvm-probes.sh test-attached a kfunc to it).
rootfn="" vcpufn=""
for f in vmx_load_mmu_pgd:vmx_vcpu_load_vmcs svm_load_mmu_pgd:svm_vcpu_load pvm_load_mmu_pgd:pvm_vcpu_load; do
	if in_kallsyms "${f%%:*}"; then
		rootfn=${f%%:*} vcpufn=${f#*:}
		break
	fi
done
must=no
if [ -n "$rootfn" ] && { [ -e /sys/bus/event_source/devices/kprobe/type ] || [ "$(verdict "kfunc:$rootfn")" = yes ]; }; then
	must=yes
fi
if [ $must = no ]; then
	if [ -z "$rootfn" ]; then
		r="no vmx/svm/pvm_load_mmu_pgd in /proc/kallsyms"
	else
		r="${pline[kprobe:$rootfn]}; ${pline[kfunc:$rootfn]}"
	fi
	for i in 8 9 10; do skip "${trace_tests[$i]}" "$r"; done
	return
fi
comm=${VMM##*/} comm=${comm:0:15}   # the kernel's comm: 15 characters
ncpu=$(nproc)

# 9. One line per root load; as many as the in-kernel count (none lost).
bad="" rl=""
first '^MMU root loads' && rl=$R
if [[ $rl =~ ^MMU\ root\ loads\ \((kprobe|kfunc):$rootfn\):\ ([0-9]+)\ in\ this\ boot,\ ([0-9]+)\ printed$ ]]; then
	n_rl=${BASH_REMATCH[2]}
	[ "$n_rl" -ge 1 ] && [ "$n_rl" -eq "${BASH_REMATCH[3]}" ] || bad="counted $n_rl, printed ${BASH_REMATCH[3]}"
else
	bad="not on $rootfn, or no count: '$rl'" n_rl=0
fi
section '^MMU root loads \(' '^  distinct roots:'
ev=() evroots=() evvcpus=()
for l in "${S[@]}"; do
	[[ $l == "    ... "* ]] && continue
	if [[ $l =~ ^\ \ \ \ comm\ $comm\ \ vcpu\ (0x[0-9a-f]{8,16})\ \ root_hpa\ (0x[0-9a-f]+)\ \ level\ ([2-5])\ \ cpu\ ([0-9]+)$ ]]; then
		ev+=("$l")
		h=${BASH_REMATCH[2]}
		# The root is a page: 4 KiB aligned, not 0; the cpu one of ours.
		[ $((h)) -ne 0 ] && [ $((h & 0xfff)) -eq 0 ] || bad="${bad:+$bad; }root_hpa $h not a page"
		[ "${BASH_REMATCH[4]}" -lt "$ncpu" ] || bad="${bad:+$bad; }cpu ${BASH_REMATCH[4]}"
		evroots+=("$h  level ${BASH_REMATCH[3]}") evvcpus+=("${BASH_REMATCH[1]}")
	else
		bad="${bad:+$bad; }malformed event line: '$l'"
	fi
done
[ ${#ev[@]} -eq $((n_rl < 20 ? n_rl : 20)) ] || bad="${bad:+$bad; }${#ev[@]} event lines for $n_rl loads"
if [ -z "$bad" ]; then
	ok "${trace_tests[8]} ($n_rl loads; ${ev[0]#    })"
else
	not_ok "${trace_tests[8]}" "$bad"
fi

# 10. The distinct roots are those of the events and add up to the count;
# the top stack is that of the traced function (not of the BPF trampoline).
bad="" sum=0
section '^  distinct roots: ' '^  top kernel stacks'
declare -A droot=()
for l in "${S[@]}"; do
	if [[ $l =~ ^\ \ \ \ (0x[0-9a-f]+\ \ level\ [0-9]+)\ \ loaded\ ([0-9]+)\ times$ ]]; then
		droot[${BASH_REMATCH[1]}]=1 sum=$((sum + BASH_REMATCH[2]))
	else
		bad="${bad:+$bad; }malformed root line '$l'"
	fi
done
for r in "${evroots[@]}"; do [ -n "${droot[$r]:-}" ] || bad="${bad:+$bad; }root '$r' of the events not among the distinct roots"; done
[ ${#droot[@]} -ge 1 ] && [ "$sum" -eq "$n_rl" ] || bad="${bad:+$bad; }distinct roots add up to $sum, not $n_rl"
section '^MMU root loads \(' '^vCPU loads'
top=""
for l in "${S[@]}"; do [[ $l =~ ^\ \ \ \ [0-9]+\ times:\ (.*) ]] && { top=${BASH_REMATCH[1]}; break; }; done
[[ $top == "$rootfn+"* ]] || bad="${bad:+$bad; }top stack does not start at $rootfn: '$top'"
if [ -z "$bad" ]; then
	ok "${trace_tests[9]} (${#droot[@]} distinct; $top)"
else
	not_ok "${trace_tests[9]}" "$bad"
fi

# 11. vCPU loads: each KVM_RUN call loads the vCPU (vcpu_load), so at least
# as many as KVM_RUN calls; the root loads' vCPU is among them.
bad="" vl="" n_vl=""
first '^vCPU loads' && vl=$R
if [[ $vl =~ ^vCPU\ loads\ \((kprobe|kfunc):$vcpufn\):\ ([0-9]+)\ in\ this\ boot,\ ([0-9]+)\ printed$ ]]; then
	n_vl=${BASH_REMATCH[2]}
	[ "$n_vl" -ge 1 ] && [ "$n_vl" -eq "${BASH_REMATCH[3]}" ] || bad="counted $n_vl, printed ${BASH_REMATCH[3]}"
	[ -z "$runs" ] || [ "$n_vl" -ge "$runs" ] || bad="${bad:+$bad; }$n_vl vCPU loads, fewer than the $runs KVM_RUN calls"
else
	bad="not on $vcpufn, or no count: '$vl'"
fi
section '^vCPU loads \(' '^  by vCPU and cpu:'
nvev=0
for l in "${S[@]}"; do
	[[ $l == "    ... "* ]] && continue
	if [[ $l =~ ^\ \ \ \ comm\ $comm\ \ vcpu\ 0x[0-9a-f]{8,16}\ \ cpu\ ([0-9]+)$ ]]; then
		nvev=$((nvev + 1))
	else
		bad="${bad:+$bad; }malformed event line: '$l'"
	fi
done
[ "$nvev" -ge 1 ] || bad="${bad:+$bad; }no vCPU load event printed"
section '^  by vCPU and cpu:' '^  top kernel stacks'
for v in "${evvcpus[@]}"; do
	f=0
	for l in "${S[@]}"; do [[ $l == "    vcpu $v on cpu "* ]] && f=1; done
	[ $f = 1 ] || bad="${bad:+$bad; }the root loads' vCPU $v has no vCPU load"
done
if [ -z "$bad" ]; then
	ok "${trace_tests[10]} ($n_vl loads, ${runs:-?} KVM_RUN calls)"
else
	not_ok "${trace_tests[10]}" "$bad"
fi

}
run_or_skip "$why_not" trace_run "${trace_tests[@]}"

# ---- kvm-mmu-map.sh ----------------------------------------------------------------

# KVM's second-stage map of a boot-only run. The guest's pages, from the
# boot protocol (docs/boot.md): 0x1000 boot info, 0x2000-0x4fff the stub's page
# tables, 0x7000 the boot sector's page (the image at 0x7c00, the stack
# below it). Each must have a leaf entry at 4K: the VMM's RAM is a memfd
# (shmem), which gets no huge pages unless shmem THP is enabled.
# What KVM installs for this guest, per KVM, as measured: kvm_amd and
# kvm_intel SPTEs for every page the guest touches (the map); kvm_pvm none,
# since its emulator runs CPL0 code and reaches RAM through the VMM's
# mapping (../shared/PLATFORM.md, a boot-only run: kvm_mmu_set_spte 0,
# kvm_mmu_get_page 17, kvm_mmu_pagetable_walk 1757, paging_element 7028).
case $flavor in kvm_pvm) sptes=no ;; *) sptes=yes ;; esac
mmu_tests=(
	"mmu-map: the VMM ran to status 0 under it, map and summary printed (kvm_pvm: no map, and one line saying why)"
	"mmu-map: the boot info, stub page tables and boot sector pages (gfn 1-4, 7) mapped at the expected level"
	"mmu-map: each entry's host frame is its SPTE's bits 51:12, and it is present (bit 0, KVM's bit 11)"
	"mmu-map: the summary adds up: levels to entries, mapped plus never mapped to the RAM's frames"
	"mmu-map: SPTE changes and zaps counted, an install for each entry"
	"mmu-map: changes per phase: the boot's stages 0x10, 0x20, 0x30, 0x40 in order; the teardown removes all that was installed"
)
why_not=$(bpf_why_not)
[ -z "$why_not" ] && { [ -z "$tracefs" ] || [ ! -d "$tracefs/events/kvmmmu/kvm_mmu_set_spte" ]; } &&
	why_not="no kvmmmu:kvm_mmu_set_spte tracepoint (tracefs at '${tracefs:-none}')"
# A line of the map: gfn, gpa, spte (16 digits), hpa, level, size, flags.
map_re='^(0x[0-9a-f]+) +0x[0-9a-f]+ +(0x[0-9a-f]{16}) +(0x[0-9a-f]+) +([1-5]) [0-9]+[KMGT] +(.*)$'
# The huge pages run's conditions, known before the runs start (its tests
# are at the end, "kvm-mmu-map.sh: huge pages").
huge_tests=("mmu-huge: with --huge-pages=thp the boot's first 2 MiB is one level-2 (2M) entry")
thp_file=/sys/kernel/mm/transparent_hugepage/shmem_enabled
huge_why_not=$why_not
[ -n "$huge_why_not" ] || [ $sptes = yes ] ||
	huge_why_not="$flavor installs no SPTE for a CPL0 guest: there is no entry to be 2M (mmu-map checks that)"
if [ -z "$huge_why_not" ]; then
	thp=$(cat "$thp_file" 2>/dev/null)
	if [[ -z $thp ]]; then
		huge_why_not="no shmem THP in this kernel ($thp_file)"
	elif [[ $thp == *"[never]"* || $thp == *"[deny]"* ]]; then
		if [ "${KVM_WORLD:-}" = nested ] && echo advise >"$thp_file" 2>/dev/null; then
			echo "# nested world: $thp_file set to advise for this test"
		else
			huge_why_not="the host gives shmem no huge pages ($thp_file: $thp)"
		fi
	fi
fi

# The map, CPL3, view switch and huge pages runs, one after the other
# under one bpftrace (kvm-mmu-map.sh's +++: its program compiles once, ~40
# s under TCG), each run's report into its own file, headed by what came
# before the first run; ${mmu_st[FILE]} is that run's VMM status.
declare -A mmu_st=()
mmu_batch() {
	local -a args=(-- --timeout 60 -c boot-only "$IMAGE"
		+++ --timeout 60 -c 'test=usermode*' "$IMAGE"
		+++ --timeout 60 --walk 0x9000 "${GUESTS:-build/guests}/vmfunc.img")
	local files=(map cpl3 sw) rc f
	[ -n "$huge_why_not" ] || { args+=(+++ --timeout 60 --huge-pages=thp -c boot-only "$IMAGE"); files+=(huge); }
	SECONDS=0
	timeout -k 5 600 env VMM="$VMM" bash tools/inside-kvm/kvm-mmu-map.sh "${args[@]}" >"$tmp/batch" 2>&1
	rc=$?
	echo "# kvm-mmu-map.sh, ${#files[@]} runs under one bpftrace: ${SECONDS}s, status $rc"
	awk -v dir="$tmp" -v names="${files[*]}" '
		BEGIN { split(names, f, " ") }
		/^kvm-mmu-map: run [0-9]+ of [0-9]+:/ { n = $3; close(out); out = dir "/" f[n]; printf "%s", head > out }
		!n { head = head $0 "\n"; next }
		{ print > out }
		END { if (!n) for (i in f) printf "%s", head > (dir "/" f[i]) }' "$tmp/batch"
	for f in "${files[@]}"; do
		mmu_st[$f]=$(sed -n 's/^kvm-mmu-map: the VMM exited with status \([0-9]*\)$/\1/p' "$tmp/$f" 2>/dev/null)
		[ -n "${mmu_st[$f]}" ] || mmu_st[$f]=$rc
	done
}
[ -n "$why_not" ] || mmu_batch

mmu_run() {
status=${mmu_st[map]}
mapfile -t L <"$tmp/map"

# The map's lines: gfn gpa spte hpa level size flags...
declare -A lvl=() hpa=() spte=() fl=()
nmap=0 entries="" sets="" ram="" mapped="" never="" lsum=0 installed="" zaps=""
for l in "${L[@]}"; do
	if [[ $l =~ $map_re ]]; then
		g=$((BASH_REMATCH[1])) nmap=$((nmap + 1))
		spte[$g]=${BASH_REMATCH[2]} hpa[$g]=${BASH_REMATCH[3]} lvl[$g]=${BASH_REMATCH[4]} fl[$g]=${BASH_REMATCH[5]}
	elif [[ $l =~ ^entries:\ ([0-9]+)\ \(kvm_mmu_set_spte\ events:\ ([0-9]+)\)$ ]]; then
		entries=${BASH_REMATCH[1]} sets=${BASH_REMATCH[2]}
	elif [[ $l =~ ^\ \ level\ [1-5]\ \([0-9]+[KMGT]\):\ ([0-9]+)$ ]]; then
		lsum=$((lsum + BASH_REMATCH[1]))
	elif [[ $l =~ ^guest\ RAM\ frames:\ ([0-9]+)\ .*mapped\ ([0-9]+),\ never\ mapped\ ([0-9]+)\; ]]; then
		ram=${BASH_REMATCH[1]} mapped=${BASH_REMATCH[2]} never=${BASH_REMATCH[3]}
	elif [[ $l =~ ^SPTE\ changes\ .*:\ ([0-9]+)\ installed, ]]; then
		installed=${BASH_REMATCH[1]}
	elif [[ $l =~ ^kvm_mmu_prepare_zap_page:\ ([0-9]+)$ ]]; then
		zaps=${BASH_REMATCH[1]}
	fi
done

# 1. Status, map and summary; or, where KVM installs no SPTE, the reason.
if [ $sptes = no ]; then
	first '^no SPTEs: KVM installed no second-stage entry in this run\. Its instruction emulator ran every guest instruction \(([0-9]+) emulated, 0 kvm_exit\)'
	if [ "$status" -eq 0 ] && [ "$nmap" -eq 0 ] && [ "$entries" = 0 ] && [ -n "$R" ]; then
		ok "${mmu_tests[0]} ($flavor: ${BASH_REMATCH[1]} instructions emulated, 0 entries)"
	else
		not_ok "${mmu_tests[0]}" "status $status, $nmap map lines, entries '$entries', why-line '${R:-none}'"
		printf '#   %s\n' "${L[@]: -15}"
	fi
	for i in 1 2 3 4 5; do skip "${mmu_tests[$i]}" "$flavor installs no SPTE for a CPL0 guest (the test before checks that)"; done
	return
fi
if [ "$status" -eq 0 ] && [ "$nmap" -gt 0 ] && [ -n "$entries" ]; then
	ok "${mmu_tests[0]} ($nmap entries)"
else
	not_ok "${mmu_tests[0]}" "status $status, $nmap map lines, entries '$entries'"
	printf '#   %s\n' "${L[@]: -15}"
fi

# 2. The known pages, at 4K unless shmem THP could give 2M pages.
want=1
thp=$(cat /sys/kernel/mm/transparent_hugepage/shmem_enabled 2>/dev/null)
[[ $thp == *"[never]"* || $thp == *"[deny]"* || -z $thp ]] || want="1 or 2 (shmem THP: $thp)"
bad=""
for g in 1 2 3 4 7; do
	l=${lvl[$g]:-}
	if [ -z "$l" ]; then
		bad="${bad:+$bad; }gfn $g not mapped"
	elif [ "$l" != 1 ] && ! { [ "$want" != 1 ] && [ "$l" = 2 ]; }; then
		bad="${bad:+$bad; }gfn $g at level $l, want $want"
	fi
done
check "${mmu_tests[1]} (level $want)" "$bad" [ -z "$bad" ]

# 3. Decoding checked against the raw SPTE, by shell arithmetic.
bad=""
for g in "${!spte[@]}"; do
	s=$((spte[$g])) l=${lvl[$g]}
	m=$(((1 << 52) - (1 << (12 + 9 * (l - 1)))))
	[ "$l" = 1 ] || [ $((s >> 7 & 1)) = 1 ] || m=$(((1 << 52) - (1 << 12)))
	[ $((s & m)) -eq $((hpa[$g])) ] || bad="${bad:+$bad; }gfn $g: hpa ${hpa[$g]} for spte ${spte[$g]}"
	[ $((s & 1)) = 1 ] && [ $((s >> 11 & 1)) = 1 ] || [[ ${fl[$g]} == MMIO* ]] || bad="${bad:+$bad; }gfn $g: ${spte[$g]} not present"
done
check "${mmu_tests[2]}" "$bad" [ -z "$bad" ]

# 4. The counts add up (64 MiB by default: 16384 frames; all at 4K here).
bad=""
[ "$entries" = "$nmap" ] || bad="entries '$entries', map lines $nmap"
[ "$lsum" = "$nmap" ] || bad="${bad:+$bad; }levels sum to $lsum, not $nmap"
[ -n "$sets" ] && [ "$sets" -ge "$nmap" ] || bad="${bad:+$bad; }set events '$sets' < entries $nmap"
[ "$ram" = 16384 ] && [ -n "$mapped" ] && [ $((mapped + never)) -eq "$ram" ] ||
	bad="${bad:+$bad; }RAM frames '$ram', mapped '$mapped' + never '$never'"
[ "$want" != 1 ] || [ "$mapped" = "$nmap" ] || bad="${bad:+$bad; }4K entries $nmap but $mapped frames mapped"
check "${mmu_tests[3]} ($nmap entries, $mapped of $ram frames mapped)" "$bad" [ -z "$bad" ]

# 5. Changes: the TDP MMU reports each leaf install (and the tables above).
if [ -z "$installed" ]; then
	skip "${mmu_tests[4]}" "kvmmmu:kvm_tdp_mmu_spte_changed not attached (no TDP MMU here)"
	skip "${mmu_tests[5]}" "kvmmmu:kvm_tdp_mmu_spte_changed not attached (no TDP MMU here)"
	return
elif [ "$installed" -ge "$nmap" ] && [ -n "$zaps" ]; then
	ok "${mmu_tests[4]} ($installed installed, $zaps zaps)"
else
	not_ok "${mmu_tests[4]}" "installed '$installed' for $nmap entries, zaps '$zaps'"
fi

# 6. The phase table: rows "+T ms  PHASE  installed removed zaps faults shadow walks".
local stages="" ins=0 rem=0 teardown=""
for l in "${L[@]}"; do
	[[ $l =~ ^\+[0-9.]+\ ms\ +(.*[^ ])\ +([0-9]+)\ +([0-9]+)\ +[0-9]+\ +[0-9]+\ +[0-9]+\ +[0-9]+$ ]] || continue
	case ${BASH_REMATCH[1]} in
	"stage 0x"*) p=${BASH_REMATCH[1]#stage }; stages="$stages ${p%% *}" ;;
	teardown*) teardown=${BASH_REMATCH[3]}; continue ;;
	esac
	ins=$((ins + BASH_REMATCH[2])) rem=$((rem + BASH_REMATCH[3]))
done
local held=no
[ "$stages" = " 0x10 0x20 0x30 0x40" ] && [ -n "$teardown" ] && [ $((rem + teardown)) -eq "$ins" ] && held=yes
check "${mmu_tests[5]} (stages:$stages; $ins installed, $rem removed before the teardown, ${teardown:-?} in it)" \
	"stages '$stages', installed $ins, removed $rem + teardown '${teardown:-none}'" [ $held = yes ]

}
run_or_skip "$why_not" mmu_run "${mmu_tests[@]}"

# ---- kvm-mmu-map.sh: a stretch of CPL3 code ---------------------------------------

# The guest's usermode test (kernel/usermode.c) runs a routine at CPL3 that
# writes 8 pages, and prints the GPAs of its code page and data pages. Every
# KVM maps them. On kvm_pvm, which installs no SPTE for CPL0 code, they are
# the run's only SPTEs, and each carries the guest's own permissions; measured
# there: 9 entries, 9 kvm_mmu_set_spte, pf_fixed 9, the code page P-X U (not
# writable), the data pages P W NX U A D (docs/inside-kvm.md, "CPL3 code").
cpl3_tests=(
	"mmu-cpl3: the usermode test passed under kvm-mmu-map.sh and printed its pages' GPAs"
	"mmu-cpl3: its code page and 8 data pages are in KVM's map at level 1 (kvm_pvm: they are the whole map)"
	"mmu-cpl3: each shadow entry has the guest's permissions: code U and not W, data U W NX and dirty"
)
cpl3_run() {
	local status=${mmu_st[cpl3]} g bad="" code="" data=()
	mapfile -t L <"$tmp/cpl3"
	declare -A lvl=() fl=()
	local nmap=0
	for l in "${L[@]}"; do
		[[ $l =~ $map_re ]] || continue
		g=$((BASH_REMATCH[1])) nmap=$((nmap + 1))
		lvl[$g]=${BASH_REMATCH[4]} fl[$g]=${BASH_REMATCH[5]}
	done
	if first '^# usermode: code page GPA (0x[0-9a-f]+), data pages GPA(( 0x[0-9a-f]+){8})$'; then
		code=$((BASH_REMATCH[1] >> 12))
		for g in ${BASH_REMATCH[2]}; do data+=($((g >> 12))); done
	fi
	first '^[0-9]+ passed, 0 failed, 0 skipped$'
	local passed_all=no
	[ "$status" -eq 0 ] && [ -n "$R" ] && [ -n "$code" ] && passed_all=yes
	check "${cpl3_tests[0]}" "status $status, summary '${R:-none}', code page '${code:-none}'" [ $passed_all = yes ]
	[ -n "$code" ] || { printf '#   %s\n' "${L[@]: -15}"; skip "${cpl3_tests[1]}" "no GPAs printed"; skip "${cpl3_tests[2]}" "no GPAs printed"; return; }
	for g in "$code" "${data[@]}"; do
		[ "${lvl[$g]:-}" = 1 ] || bad="${bad:+$bad; }gfn $(printf 0x%x "$g") at level '${lvl[$g]:-not mapped}'"
	done
	[ $flavor != kvm_pvm ] || [ "$nmap" = 9 ] || bad="${bad:+$bad; }$nmap entries, not just the 9 of CPL3"
	check "${cpl3_tests[1]} ($nmap entries in the map)" "$bad" [ -z "$bad" ]
	if [ $flavor != kvm_pvm ]; then
		skip "${cpl3_tests[2]}" "$flavor maps its guest's CPL0 accesses too: a frame's last entry need not be the CPL3 routine's"
		return
	fi
	bad=""
	[[ ${fl[$code]} =~ ^P\ -\ X\ U\  ]] || bad="code: '${fl[$code]}'"
	for g in "${data[@]}"; do
		[[ ${fl[$g]} =~ ^P\ W\ NX\ U\ A\ D\  ]] || bad="${bad:+$bad; }gfn $(printf 0x%x "$g"): '${fl[$g]}'"
	done
	check "${cpl3_tests[2]}" "$bad" [ -z "$bad" ]
}
run_or_skip "$why_not" cpl3_run "${cpl3_tests[@]}"

# ---- kvm-mmu-map.sh: a shadow MMU ------------------------------------------------

# shadow_checks FILE [NOTE]: the shadow MMU's sections of a kvm-mmu-map.sh
# report: the shadow pages KVM built, its own walks of the guest's page
# tables, and both per phase of the boot.
shadow_tests=(
	"mmu-shadow: shadow pages listed with gfn, level, quadrant, access and what each stands for (kvm_mmu_get_page)"
	"mmu-shadow: KVM's walks of the guest's tables read one entry a level from the top down and end at a GPA of that leaf, or an error code"
	"mmu-shadow: shadow pages and walks per phase add up to the totals, the boot's stages 0x10-0x40 in order"
)
shadow_checks() {
	local note=${2:-} l bad="" n_sp="" created="" rows=0
	mapfile -t L <"$1"
	first '^kvm_mmu_get_page: ([0-9]+), ([0-9]+) shadow pages created, ([0-9]+) found existing$' &&
		n_sp=${BASH_REMATCH[1]} created=${BASH_REMATCH[2]}
	for l in "${L[@]}"; do
		[[ $l =~ ^0x[0-9a-f]+\ +[1-5]\ +[0-3]\ +[-x][-w][-u]\ +(direct:\ maps\ guest-physical|shadows\ the\ guest\'s\ level-[1-5]\ table\ at\ GPA) ]] &&
			rows=$((rows + 1))
	done
	if [ -n "$created" ] && [ "$created" -ge 1 ] && [ "$rows" -eq $((created < 32 ? created : 32)) ]; then
		ok "${shadow_tests[0]}$note ($n_sp events, $created created)"
	else
		not_ok "${shadow_tests[0]}$note" "get_page '$n_sp', created '$created', $rows rows"
	fi

	local n_w="" n_e="" n_f="" pages=0 chain lv prev v gpa size
	first '^walks: ([0-9]+) of ([0-9]+) distinct GVA pages, ([0-9]+) entries read, ([0-9]+) failed' &&
		n_w=${BASH_REMATCH[1]} n_e=${BASH_REMATCH[3]} n_f=${BASH_REMATCH[4]}
	[ -n "$n_w" ] && [ "$n_w" -ge 1 ] && [ "$n_e" -ge "$n_w" ] || bad="walks '$n_w', entries '$n_e'"
	for l in "${L[@]}"; do
		[[ $l =~ ^0x[0-9a-f]{16}\ +[0-9]+\ \ (.*)$ ]] || continue
		pages=$((pages + 1)) chain=${BASH_REMATCH[1]} prev=6 v=""
		while [[ $chain =~ ^(PML5E|PML4E|PDPTE|PDE|PTE)\ (0x[0-9a-f]+)\ -\>\ (.*)$ ]]; do
			case ${BASH_REMATCH[1]} in PML5E) lv=5 ;; PML4E) lv=4 ;; PDPTE) lv=3 ;; PDE) lv=2 ;; PTE) lv=1 ;; esac
			[ $lv -lt $prev ] || bad="${bad:+$bad; }levels not descending: $l"
			prev=$lv v=${BASH_REMATCH[2]} chain=${BASH_REMATCH[3]}
		done
		if [[ $chain =~ ^GPA\ (0x[0-9a-f]+)\ \((4K|2M|1G)\ page\)$ ]]; then
			gpa=${BASH_REMATCH[1]}
			case ${BASH_REMATCH[2]} in 4K) size=$((1 << 12)) ;; 2M) size=$((1 << 21)) ;; 1G) size=$((1 << 30)) ;; esac
			[ -n "$v" ] && [ $((v & ((1 << 52) - 1) & -size)) -eq $((gpa & -size)) ] ||
				bad="${bad:+$bad; }GPA $gpa not from the leaf entry: $l"
		elif ! [[ $chain =~ ^failed,\ error\ code\ 0x[0-9a-f]+$ ]]; then
			bad="${bad:+$bad; }no GPA or error at the end: $l"
		fi
	done
	[ $pages -ge 1 ] || bad="${bad:+$bad; }no walked page listed"
	check "${shadow_tests[1]}$note (${n_w:-?} walks, ${n_e:-?} entries, ${n_f:-?} failed)" "$bad" [ -z "$bad" ]

	local stages="" sum_sp=0 sum_w=0 p
	for l in "${L[@]}"; do
		[[ $l =~ ^\+[0-9.]+\ ms\ +(.*[^ ])\ +[0-9]+\ +[0-9]+\ +[0-9]+\ +[0-9]+\ +([0-9]+)\ +([0-9]+)$ ]] || continue
		[[ ${BASH_REMATCH[1]} == "stage 0x"* ]] && { p=${BASH_REMATCH[1]#stage }; stages="$stages ${p%% *}"; }
		sum_sp=$((sum_sp + BASH_REMATCH[2])) sum_w=$((sum_w + BASH_REMATCH[3]))
	done
	local held=no
	[ "$stages" = " 0x10 0x20 0x30 0x40" ] && [ "$sum_sp" = "$created" ] && [ "$sum_w" = "$n_w" ] && held=yes
	check "${shadow_tests[2]}$note (stages:$stages)" \
		"stages '$stages', shadow pages per phase $sum_sp of '$created', walks $sum_w of '$n_w'" [ $held = yes ]
}
# Where this KVM shadowed the guest's tables for the boot above: the map's
# format says so, as kvm-mmu-map.sh read it from the KVM (pte: kvm_pvm, or
# kvm_amd/kvm_intel without NPT/EPT).
shadow_why_not=$why_not
if [ -z "$shadow_why_not" ]; then
	mapfile -t L <"$tmp/map"
	if ! first '^== KVM.s second stage for this run \((npt|ept|pte);'; then
		shadow_why_not="the map run above printed no map header"
	elif [ "${BASH_REMATCH[1]}" != pte ]; then
		shadow_why_not="$flavor maps this guest with ${BASH_REMATCH[1]^^} (a TDP MMU): no shadow pages; the nested world checks them with npt=0"
	fi
fi
shadow_run() { shadow_checks "$tmp/map"; }
run_or_skip "$shadow_why_not" shadow_run "${shadow_tests[@]}"

# The same with kvm_amd reloaded with npt=0 (shadow paging), in the nested
# world only: it is ours to reload, a host's KVM is not. The map is then
# of shadow SPTEs (x86-64 PTE format), one a guest page touched.
npt0_tests=("mmu-shadow: kvm_amd npt=0: reloaded, the boot ran to status 0 and KVM's map has its shadow SPTEs in x86-64 PTE format"
	"${shadow_tests[@]/%/ (kvm_amd npt=0)}")
npt0_why_not=$why_not
[ -n "$npt0_why_not" ] || [ "${KVM_WORLD:-host}" = nested ] ||
	npt0_why_not="reloading kvm_amd with npt=0 is done in the nested world only (a host's KVM is not ours)"
npt0_run() {
	local r
	if ! r=$(bash tools/worlds/nested/kvm-reload.sh npt=0 2>&1); then
		not_ok "${npt0_tests[0]}" "$r"
		return
	fi
	timeout -k 5 300 env VMM="$VMM" bash tools/inside-kvm/kvm-mmu-map.sh -- --timeout 60 -c boot-only "$IMAGE" >"$tmp/npt0" 2>&1
	status=$?
	r=$(bash tools/worlds/nested/kvm-reload.sh 2>&1) || echo "# could not reload kvm_amd with its defaults: $r"
	mapfile -t L <"$tmp/npt0"
	local nmap=0 l
	for l in "${L[@]}"; do
		[[ $l =~ $map_re ]] && nmap=$((nmap + 1))
	done
	if [ "$status" = 0 ] && [ $nmap -gt 0 ] && first '^== KVM.s second stage for this run \(pte;'; then
		ok "${npt0_tests[0]} ($nmap entries)"
	else
		not_ok "${npt0_tests[0]}" "status $status, $nmap map lines, format line '${R:-none}'"
		printf '#   %s\n' "${L[@]: -15}"
	fi
	shadow_checks "$tmp/npt0" " (kvm_amd npt=0)"
}
run_or_skip "$npt0_why_not" npt0_run "${npt0_tests[@]}"

# ---- kvm-mmu-map.sh: a view switch, seen from inside KVM -------------------------

# tests/guests/vmfunc.asm maps GPA 0x9000 -> 0xa000 in view 1, switches to
# it and back. With the remap back end the VMM makes three mmaps of RAM
# over GPA 0x9000-0x9fff: at VIEW_MAP, the range split out of RAM's own
# mapping (its own memory; that split may cost a whole 2 MiB block of
# entries, see vmm/mem.c), then one per switch. Each switch must make
# KVM's MMU notifier drop exactly that page and remove no entry outside
# it; the next touch refaults gfn 0x9, first onto gfn 0xa's host frame,
# then back onto its own.
switch_tests=(
	"mmu-switch: the VMM's mmaps over GPA 0x9000-0x9fff seen in order: VIEW_MAP's split, view 1, view 0 (guest status 42)"
	"mmu-switch: each switch unmapped exactly GPA 0x9000-0x9fff and removed no leaf entry outside it"
	"mmu-switch: in view 1 gfn 0x9 refaults onto gfn 0xa's host frame, after the switch back onto its own"
	"mmu-switch: the two-dimensional walk of 0x9000 shows those three entries of gfn 0x9 in order"
)
switch_run() {
	status=${mmu_st[sw]}
	mapfile -t L <"$tmp/sw"
	local sec="" cur="" l hpa_a="" walk=()
	local -a remaps=() unm=() rem=() ref=()
	for l in "${L[@]}"; do
		case $l in
		"== view switches"*) sec=ops; continue ;;
		"== two-dimensional"*) sec=walk; continue ;;
		"== "* | "SPTE bits"*) sec=""; continue ;;
		esac
		if [[ $l =~ ^0xa\ +0xa000\ +0x[0-9a-f]+\ +(0x[0-9a-f]+) ]]; then
			hpa_a=${BASH_REMATCH[1]}
		elif [ "$sec" = ops ] && [[ $l =~ ^#[0-9]+\ .*\ mmap\ of\ RAM\ offset\ (0x[0-9a-f]+)\ over\ GPA\ (0x[0-9a-f]+-0x[0-9a-f]+) ]]; then
			remaps+=("${BASH_REMATCH[1]}>${BASH_REMATCH[2]}")
			cur=${#remaps[@]}
		elif [ "$sec" = ops ] && [[ $l =~ ^#[0-9]+ ]]; then
			cur=""
		elif [ -n "$cur" ] && [[ $l =~ MMU\ notifier\ unmapped\ (.*)$ ]]; then
			unm[cur]="${unm[cur]:-}${BASH_REMATCH[1]};"
		elif [ -n "$cur" ] && [[ $l =~ leaf\ SPTEs\ removed:\ ([0-9]+),\ ([0-9]+)\ inside[^:]*(:\ (.*))?$ ]]; then
			rem[cur]="${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[4]}"
		elif [ -n "$cur" ] && [[ $l =~ refaulted:\ gfn\ (0x[0-9a-f]+)\ -\>\ HPA\ (0x[0-9a-f]+) ]]; then
			ref[cur]="${ref[cur]:-}${BASH_REMATCH[1]}=${BASH_REMATCH[2]};"
		elif [ "$sec" = walk ] && [[ $l =~ ^\ \ KVM\ .*\ gfn\ 0x9\ -\>\ SPTE\ .*-\>\ HPA\ (0x[0-9a-f]+) ]]; then
			walk+=("${BASH_REMATCH[1]}")
		fi
	done
	echo "# kvm-mmu-map.sh on vmfunc.img: status $status; remaps ${remaps[*]:-none}; gfn 0x9 entries ${walk[*]:-none}; gfn 0xa at ${hpa_a:-?}"
	echo "# at VIEW_MAP the notifier unmapped: ${unm[1]:-nothing}"
	if [ "$status" = 42 ] &&
		[ "${remaps[*]:-}" = "0x9000>0x9000-0x9fff 0xa000>0x9000-0x9fff 0x9000>0x9000-0x9fff" ]; then
		ok "${switch_tests[0]}"
	else
		not_ok "${switch_tests[0]}" "status $status, remaps '${remaps[*]:-}'"
		printf '#   %s\n' "${L[@]: -25}"
	fi
	local bad="" i
	local r
	if [ $sptes = no ]; then
		# No SPTE to drop or refault: the guest's reads and writes after
		# each switch went through the VMM's remapped RAM (status 42 above
		# says they saw the view's bytes).
		for i in 2 3; do
			echo "# switch $((i - 1)): the MMU notifier unmapped ${unm[i]:-nothing}; ${rem[i]:-no removal line}"
			r=(${rem[i]:-x y})
			[ "${r[0]}" = 0 ] && [ "${r[1]}" = 0 ] || bad="${bad:+$bad; }switch $((i - 1)) removed '${rem[i]:-nothing}'"
		done
		first '^entries: 0 \(kvm_mmu_set_spte events: 0\)$' || bad="${bad:+$bad; }an SPTE was set: '$(printf '%s\n' "${L[@]}" | grep -m1 '^entries:')'"
		check "mmu-switch: no switch removed an SPTE and the run set none ($flavor: the guest reached each view through the VMM's remapped RAM)" "$bad" [ -z "$bad" ]
		skip "${switch_tests[2]}" "$flavor installs no SPTE for this CPL0 guest: nothing to refault (the test before checks that)"
		skip "${switch_tests[3]}" "$flavor installs no SPTE for this CPL0 guest: no KVM entries to walk"
		return
	fi
	for i in 2 3; do
		r=(${rem[i]:-x y})
		[ "${unm[i]:-}" = "GPA 0x9000-0x9fff (1 frame);" ] || bad="${bad:+$bad; }switch $((i - 1)) unmapped '${unm[i]:-nothing}'"
		[ "${r[0]}" = "${r[1]}" ] && [ "${r[0]}" -le 1 ] 2>/dev/null ||
			bad="${bad:+$bad; }switch $((i - 1)) removed '${rem[i]:-nothing}'"
	done
	# gfn 0x9 was read in view 1, so the switch back had its entry to drop.
	[[ ${rem[3]:-} == "1 1 gfn 0x9 (level 1,"* ]] || bad="${bad:+$bad; }the switch back removed '${rem[3]:-nothing}'"
	check "${switch_tests[1]}" "$bad" [ -z "$bad" ]
	bad=""
	[ -n "$hpa_a" ] || bad="no entry for gfn 0xa in the map"
	[ "${ref[2]:-}" = "0x9=$hpa_a;" ] || bad="${bad:+$bad; }after switch 1: '${ref[2]:-no refault}', gfn 0xa at '$hpa_a'"
	[ "${#walk[@]}" -ge 1 ] && [ "${ref[3]:-}" = "0x9=${walk[0]};" ] ||
		bad="${bad:+$bad; }after switch 2: '${ref[3]:-no refault}', first entry '${walk[0]:-none}'"
	[ "${walk[0]:-}" != "$hpa_a" ] || bad="${bad:+$bad; }gfn 0x9 and 0xa share a frame before any switch"
	check "${switch_tests[2]}" "$bad" [ -z "$bad" ]
	local held=no
	[ "${#walk[@]}" = 3 ] && [ "${walk[1]}" = "$hpa_a" ] && [ "${walk[2]}" = "${walk[0]}" ] && held=yes
	check "${switch_tests[3]}" "entries '${walk[*]:-}', want own, $hpa_a, own" [ $held = yes ]
}
run_or_skip "$why_not" switch_run "${switch_tests[@]}"

# ---- kvm-mmu-map.sh: huge pages ----------------------------------------------------

# With --huge-pages=thp KVM can map guest RAM with 2 MiB entries: a
# boot-only run touches only the first 2 MiB, so one level-2 entry maps
# it all. The host decides: where shmem THP is off this SKIPs with its
# setting, except in the nested world, which is ours to set (advise).
huge_run() {
	status=${mmu_st[huge]}
	mapfile -t L <"$tmp/huge"
	local l first="" levels=""
	for l in "${L[@]}"; do
		[[ $l =~ ^0x0\ +0x0\ +0x[0-9a-f]+\ +0x[0-9a-f]+\ +([1-5])\ ([0-9]+[KMG]) ]] && first="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
		[[ $l =~ ^\ \ level\ ([1-5])\ \(([0-9]+[KMG])\):\ ([0-9]+)$ ]] && levels="$levels ${BASH_REMATCH[1]}:${BASH_REMATCH[3]}"
	done
	echo "# kvm-mmu-map.sh --huge-pages=thp: status $status; gfn 0 at '${first:-none}'; entries by level:${levels:- none}"
	local held=no
	[ "$status" = 0 ] && [ "$first" = "2 2M" ] && [ "$levels" = " 2:1" ] && held=yes
	check "${huge_tests[0]}" "status $status, gfn 0 '${first:-not mapped}', levels '$levels'" [ $held = yes ]
}
run_or_skip "$huge_why_not" huge_run "${huge_tests[@]}"
finish
