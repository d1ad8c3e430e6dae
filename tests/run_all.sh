#!/usr/bin/env bash
# make test: every suite, then one closing line for all of them.
#
# The suites run in two lanes at once (the machines have 2 cores and each
# nested world is one busy QEMU thread); each suite's output is kept whole
# and printed in lane order once both are done.
set -u
cd "$(dirname "$0")/.."
res=$(mktemp -d)
trap 'rm -rf "$res"' EXIT

# suite ID NAME CMD...: run CMD, keep its output, status and name under ID.
suite() {
	local id=$1 name=$2
	shift 2
	"$@" >"$res/$id.out" 2>&1
	echo $? >"$res/$id.rc"
	echo "$name" >"$res/$id.name"
}

# kvm_suites LANE WORLD: every suite that needs KVM, run in that world
# (tests/in_world.sh; each suite's output names its world and KVM).
kvm_suites() {
	local l=$1 w=$2 in="bash tests/in_world.sh $2"
	suite "$l-1" "host [$w]" $in env VMM=build/vmm GUESTS=build/guests bash tests/host/run.sh
	suite "$l-2" "host-kernel [$w]" $in env VMM=build/vmm IMG=build/kernel.img bash tests/host/kernel.sh
	suite "$l-3" "host-tools [$w]" $in env VMM=build/vmm IMAGE=build/kernel.img bash tests/host/tools.sh
	suite "$l-4" "guest-vmm [$w]" $in bash tests/run_guest.sh vmm
	suite "$l-5" "trace-json [$w]" $in env VMM=build/vmm GUESTS=build/guests IMG=build/kernel.img \
		bash tests/host/trace_json.sh
}

# The host world where /dev/kvm is usable here; the nested kvm_amd world
# (QEMU TCG, tools/nested/) always, so every machine runs upstream KVM.
if why=$(KVM_WORLD=host tools/in-kvm true 2>&1); then
	host=1 fast=host
else
	host=0 fast=nested
fi

lane_a() {
	if [ $host = 1 ]; then
		kvm_suites a1 host
	else
		suite a1-1 "host world" printf 'ok 1 - the host world # SKIP %s\n0 passed, 0 failed, 1 skipped\n' \
			"${why#in-kvm: }"
	fi
	kvm_suites a2 nested
	# The guest fuzzer, seeded: 200 boot sectors under build/vmm and
	# build/vmm-asan, in every world.
	[ $host = 1 ] && suite a3-1 "fuzz-guest [host]" python3 tools/fuzz_guest.py --world host --seed 1 --count 200
	suite a3-2 "fuzz-guest [nested]" python3 tools/fuzz_guest.py --world nested --seed 1 --count 200
	suite a4 guest-qemu bash tests/run_guest.sh qemu
}

lane_b() {
	# The host tests once more against the ASan+UBSan build, in the
	# fastest world: every report aborts the VMM, which fails its test.
	suite b1 "host-asan [$fast]" bash tests/in_world.sh $fast env VMM=build/vmm-asan GUESTS=build/guests \
		ASAN_OPTIONS=abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
		bash tests/host/run.sh
	suite b2 in-kvm env VMM=build/vmm GUESTS=build/guests bash tests/host/in_kvm.sh
	suite b3 unit-guest-mem build/unit_guest_mem
	suite b4 unit-hypercall build/unit_hypercall
	suite b5 unit-views build/unit_views
	suite b6 unit-dump-pt build/unit_dump_pt
	suite b7 unit-insn build/unit_insn
	suite b8 unit-spte python3 tests/host/unit_spte.py
	suite b9 fuzz-replay bash tests/fuzz/replay.sh
	suite b10 guest-bochs bash tests/run_guest.sh bochs
	# The GDB stub against Debian's gdb, in every KVM world.
	local w
	for w in host nested; do
		[ $w = host ] && [ $host = 0 ] && continue
		suite "b11-$w" "gdb [$w]" bash tests/in_world.sh $w env VMM=build/vmm IMG=build/kernel.img \
			ELF=build/kernel.elf GUESTS=build/guests XML16=build/gdb/i8086.xml bash tests/host/gdb.sh
	done
}

lane_a &
lane_b &
wait

total_p=0 total_f=0 total_s=0 broken=() summary=()
for rcfile in $(ls "$res"/*.rc | sort -V); do
	id=$(basename "$rcfile" .rc)
	name=$(cat "$res/$id.name") rc=$(cat "$rcfile")
	echo "=== $name"
	cat "$res/$id.out"
	closing=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$res/$id.out" | tail -n1)
	if [ -z "$closing" ]; then
		broken+=("$name (no closing line)")
		continue
	fi
	read -r p _ f _ s _ <<<"${closing//,/}"
	kvm=$(sed -n 's/^# world: \(.*\)$/ (world: \1)/p' "$res/$id.out" | head -n1)
	summary+=("$name$kvm: $closing")
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
	[ "$rc" -eq 0 ] || broken+=("$name (exit $rc)")
done
echo "==="
printf '%s\n' "${summary[@]}"
[ ${#broken[@]} -eq 0 ] || echo "suites that failed: ${broken[*]}"
echo "total: $total_p passed, $total_f failed, $total_s skipped"
[ ${#broken[@]} -eq 0 ] && [ "$total_f" -eq 0 ]
