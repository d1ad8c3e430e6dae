#!/usr/bin/env bash
# make test: every suite, then one closing line for all of them.
set -u
cd "$(dirname "$0")/.."
total_p=0 total_f=0 total_s=0 broken=() summary=()
run_suite() {
	local name=$1; shift
	echo "=== $name"
	local out rc
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out"
	local closing
	closing=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' | tail -n1)
	if [ -z "$closing" ]; then
		broken+=("$name (no closing line)")
		return
	fi
	read -r p _ f _ s _ <<<"${closing//,/}"
	local kvm
	kvm=$(printf '%s\n' "$out" | sed -n 's/^# world: \(.*\)$/ (world: \1)/p' | head -n1)
	summary+=("$name$kvm: $closing")
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
	[ "$rc" -eq 0 ] || broken+=("$name (exit $rc)")
}
# kvm_suites WORLD: every suite that needs KVM, run in that world
# (tests/in_world.sh; each suite's output names its world and KVM).
kvm_suites() {
	local w=$1 in="bash tests/in_world.sh $1"
	run_suite "host [$w]" $in env VMM=build/vmm GUESTS=build/guests bash tests/host/run.sh
	run_suite "host-kernel [$w]" $in env VMM=build/vmm IMG=build/kernel.img bash tests/host/kernel.sh
	run_suite "host-tools [$w]" $in env VMM=build/vmm IMAGE=build/kernel.img bash tests/host/tools.sh
	run_suite "guest-vmm [$w]" $in bash tests/run_guest.sh vmm
}
# The host world where /dev/kvm is usable here; the nested kvm_amd world
# (QEMU TCG, tools/nested/) always, so every machine runs upstream KVM.
if why=$(KVM_WORLD=host tools/in-kvm true 2>&1); then
	kvm_suites host
	fast=host
else
	run_suite "host world" printf 'ok 1 - the host world # SKIP %s\n0 passed, 0 failed, 1 skipped\n' "${why#in-kvm: }"
	fast=nested
fi
kvm_suites nested
# The host tests once more against the ASan+UBSan build, in the fastest
# world: every report aborts the VMM, which fails its test. Leak checks are
# off: LeakSanitizer's thread would break the sandbox, and a VMM's memory
# ends with its run (the resource test bounds what it holds meanwhile).
run_suite "host-asan [$fast]" bash tests/in_world.sh $fast env VMM=build/vmm-asan GUESTS=build/guests \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
	bash tests/host/run.sh
run_suite in-kvm env VMM=build/vmm GUESTS=build/guests bash tests/host/in_kvm.sh
run_suite unit-guest-mem build/unit_guest_mem
run_suite unit-hypercall build/unit_hypercall
run_suite unit-views build/unit_views
run_suite unit-dump-pt build/unit_dump_pt
run_suite unit-insn build/unit_insn
run_suite fuzz-replay bash tests/fuzz/replay.sh
run_suite guest-qemu bash tests/run_guest.sh qemu
[ -f tests/bochs/run.sh ] && run_suite guest-bochs bash tests/run_guest.sh bochs
echo "==="
printf '%s\n' "${summary[@]}"
[ ${#broken[@]} -eq 0 ] || echo "suites that failed: ${broken[*]}"
echo "total: $total_p passed, $total_f failed, $total_s skipped"
[ ${#broken[@]} -eq 0 ] && [ "$total_f" -eq 0 ]
