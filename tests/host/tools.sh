#!/usr/bin/env bash
# Host tests of the KVM tracing tools: tools/kvm-probes.sh (what can be
# attached here, and why not) and tools/kvm-trace.sh (a build/vmm boot under
# bpftrace, summarised). Prints TAP and ends with "N passed, N failed,
# N skipped"; exits nonzero if anything failed. kvm-trace.sh runs only where
# it can (root, bpftrace, kvm tracepoints); elsewhere its tests are SKIPped
# with the reason measured. About 5 seconds.
#
#   bash tests/host/tools.sh            (VMM=build/vmm IMAGE=build/kernel.img)
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

# ---- kvm-probes.sh ---------------------------------------------------------------

bash tools/kvm-probes.sh >"$tmp/probes" 2>"$tmp/probes.err"
status=$?
check "probes: kvm-probes.sh exits 0 and names the host's KVM" \
	"exit status $status; $(head -c 200 "$tmp/probes.err")" \
	grep -qE '^# host: .*KVM: (kvm_intel|kvm_amd|kvm_pvm|none)' "$tmp/probes"

# verdict PROBE: "yes", "no" (with a non-empty reason), or "" if the line is
# missing or malformed.
verdict() {
	local line
	line=$(grep -E "^$1: " "$tmp/probes" | head -n1)
	case "$line" in
	"$1: yes ("?*")") echo yes ;;
	"$1: no ("?*")") echo no ;;
	esac
}

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
	awk -v n="$name" '$3 == n { f = 1 } END { exit !f }' /proc/kallsyms && present=yes
	if [ "$k" != "$present" ]; then
		not_ok "$desc" "says kallsyms $k, /proc/kallsyms says $present"
	elif [ "$present" = no ] && { [ "$kp" = yes ] || [ "$kf" = yes ] ||
		! grep -q "^kprobe:$name: no (symbol absent" "$tmp/probes"; }; then
		not_ok "$desc" "absent symbol but kprobe $kp, kfunc $kf, or no 'symbol absent' reason"
	elif [ "$present" = no ] && [ "$owner" != kvm ] && [ "$owner" != "$flavor" ] &&
		! grep -q "^kprobe:$name: no (symbol absent: this host's KVM is $flavor)" "$tmp/probes"; then
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

# Not root: it must refuse with a reason, and status 126.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	setpriv --reuid=65534 --regid=65534 --clear-groups bash tools/kvm-trace.sh -q >"$tmp/nobody" 2>&1
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

why_not=""
if [ "$(id -u)" -ne 0 ]; then
	why_not="not root (bpftrace needs root)"
elif ! command -v bpftrace >/dev/null 2>&1; then
	why_not="bpftrace is not installed (Debian package bpftrace)"
elif [ "$(verdict tracepoints)" != yes ]; then
	why_not="no usable kvm tracepoints: $(sed -n 's/^tracepoints: no (\(.*\))$/\1/p' "$tmp/probes")"
elif [ ! -x "$VMM" ] || [ ! -f "$IMAGE" ]; then
	why_not="$VMM or $IMAGE not built (make)"
fi
trace_tests=(
	"trace: says up front what it attached, and why not the rest"
	"trace: the VMM ran to status 0 under it"
	"trace: userspace exits of reason IO, as many as the VMM counted"
	"trace: boot stages 0x10 .. 0x40 on port 0x80, in order"
	"trace: one return to userspace per KVM_RUN call"
	"trace: KVM did the guest's work (emulated instructions or kvm_exit)"
	"trace: shadow MMU pages created"
	"trace: MMU roots read through BTF, the last one 4-level"
	"trace: MMU-root and vCPU loads from function probes"
)
if [ -n "$why_not" ]; then
	for t in "${trace_tests[@]}"; do skip "$t" "$why_not"; done
	finish
fi

t0=$(date +%s.%N)
timeout -k 5 120 env VMM="$VMM" bash tools/kvm-trace.sh -q -- --timeout 60 --stats -c 'test=boot*' "$IMAGE" \
	>"$tmp/trace" 2>&1
status=$?
secs=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }")
out=$tmp/trace
echo "# kvm-trace.sh took ${secs}s, status $status"
# num LABEL: the number after "LABEL: " at the start of a summary line.
num() { awk -v l="$1: " 'index($0, l) == 1 { s = substr($0, length(l) + 1); sub(/[^0-9].*/, "", s); print s; exit }' "$out"; }
# vmmstat NAME: a count from the VMM's --stats ("" if it printed none).
vmmstat() { grep -E "^vmm: stats: +$1 +[0-9]+$" "$out" | awk '{ print $NF }' | head -n1; }

# 1. The statement of what is and is not attached.
bad=""
grep -q '^kvm-trace: attached: .*tracepoint:kvm:kvm_userspace_exit' "$out" || bad="kvm_userspace_exit not attached"
if grep '^kvm-trace: not attached: ' "$out" | grep -vqE '^kvm-trace: not attached: [^:]+: .{10,}'; then
	bad="${bad:+$bad; }a 'not attached' line without a reason"
fi
check "${trace_tests[0]}" "$bad" [ -z "$bad" ]

# 2. Status passed through, and the summary present.
check "${trace_tests[1]}" "status $status; $(grep -m1 -E 'cannot trace|summary' "$out")" \
	grep -q "^== kvm-trace summary: .* exited with status 0 " "$out"
if [ "$status" -ne 0 ]; then sed 's/^/#   /' "$out" | tail -n 20; fi

# 3. KVM_EXIT_IO: at least one, and exactly the VMM's own count when it says.
io=$(grep -E '^ +KVM_EXIT_IO +[0-9]+$' "$out" | awk '{ print $2 }')
vio=$(vmmstat IO)
if [ -z "$io" ] || [ "$io" -eq 0 ]; then
	not_ok "${trace_tests[2]}" "no KVM_EXIT_IO in the summary"
elif [ -n "$vio" ] && [ "$io" -ne "$vio" ]; then
	not_ok "${trace_tests[2]}" "kvm_userspace_exit says $io, the VMM's --stats $vio"
else
	ok "${trace_tests[2]} ($io${vio:+, VMM $vio})"
fi

# 4. Boot stages, strictly increasing, from 0x10 to 0x40.
stages=$(sed -n 's/^boot stages (port 0x80 writes, in order): //p' "$out")
check "${trace_tests[3]} ($stages)" "stages: '$stages'" \
	awk -v s="$stages" 'BEGIN { n = split(s, a, " "); if (n < 2 || a[1] != "0x10" || a[n] != "0x40") exit 1
		for (i = 2; i <= n; i++) if (length(a[i]) != 4 || a[i] <= a[i - 1]) exit 1 }'

# 5. Each KVM_RUN returns to userspace once: the pid filter and both counts.
runs=$(num "KVM_RUN calls, each a vCPU load (syscalls:sys_enter_ioctl)")
uexits=$(num "exits to the VMM (kvm:kvm_userspace_exit)")
if grep -q '^kvm-trace: not attached: KVM_RUN' "$out"; then
	skip "${trace_tests[4]}" "$(grep -m1 'not attached: KVM_RUN' "$out" | sed 's/^kvm-trace: not attached: //')"
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
emul=$(num "emulated instructions (kvm:kvm_emulate_insn)")
exits=$(num "VM exits handled in KVM (kvm:kvm_exit)")
vemul=$(vmmstat "kvm insn_emulation")
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
created=$(sed -n 's/^shadow MMU pages (kvmmmu:kvm_mmu_get_page): \([0-9]*\) created.*/\1/p' "$out")
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
if grep -q '^MMU roots through BTF: not attached' "$out"; then
	skip "${trace_tests[7]}" "$(sed -n 's/^MMU roots through BTF: not attached (\(.*\))$/\1/p' "$out")"
else
	nroots=$(sed -n 's/^MMU roots (.*): \([0-9]*\) seen$/\1/p' "$out")
	last=$(grep -E '^ +0x[0-9a-f]+ +level [0-9]+ ' "$out" | tail -n1 | awk '{ print $3 }')
	if [ "${nroots:-0}" -ge 1 ] && [ "$last" = 4 ]; then
		ok "${trace_tests[7]} ($nroots, last level $last)"
	else
		not_ok "${trace_tests[7]}" "roots '$nroots', last level '$last'"
	fi
fi

# 9. The seed's probes, where kprobe or kfunc reach them.
rl=$(grep -m1 '^MMU root loads' "$out") vl=$(grep -m1 '^vCPU loads' "$out")
if [[ $rl == *"not attached"* ]] && [[ $vl == *"not attached"* ]]; then
	r=${rl#*not attached (}
	skip "${trace_tests[8]}" "neither attaches here: ${r%)}"
else
	bad=""
	[[ $rl == *"not attached"* ]] || [ "${rl##*: }" -ge 1 ] 2>/dev/null || bad="no MMU root load"
	[[ $vl == *"not attached"* ]] || [ "${vl##*: }" -ge 1 ] 2>/dev/null || bad="$bad no vCPU load"
	check "${trace_tests[8]}" "$bad" [ -z "$bad" ]
fi

finish
