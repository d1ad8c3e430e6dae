#!/usr/bin/env bash
# make test: every suite, two at a time (the machines have 2 cores; each
# nested world is one busy QEMU thread), the longest first and the rest
# filling in. A line is printed as each suite ends; every suite's whole
# output is kept in build/test-logs/, and the failing ones are printed in
# full at the end, then one line per world and the total.
set -u
cd "$(dirname "$0")/.."
logs=build/test-logs
# Each suite's seconds in the last run order this one (longest first);
# a suite never timed yet gets its estimate below.
declare -A last=()
if [ -f "$logs/times" ]; then
	while read -r s name; do last[$name]=$s; done <"$logs/times"
fi
rm -rf "$logs"
mkdir -p "$logs"

# The host world where /dev/kvm is usable here; the nested kvm_amd world
# (QEMU TCG, tools/worlds/nested/) always, so every machine runs upstream KVM.
if why=$(KVM_WORLD=host tools/worlds/in-kvm true 2>&1); then
	worlds="host nested" fast=host
else
	worlds=nested fast=nested
fi

# add EST NAME CMD...: a suite, its seconds as measured here (nested world,
# a machine without /dev/kvm) and its command, kept as a quoted string.
names=()
declare -A cmd=() est=()
add() {
	local e=$1 name=$2
	shift 2
	names+=("$name") est[$name]=${last[$name]:-$e}
	cmd[$name]=$(printf '%q ' "$@")
}
# in_world WORLD: the words that run a command in that KVM world, its
# output headed by the world and the KVM that served it (tests/in_world.sh).
in_world() { echo bash tests/in_world.sh "$1"; }

for w in $worlds; do
	# The host world is native: a tenth of the nested world's time is a
	# guess for the first run; later runs order by their own times.
	k=1
	[ $w = host ] && k=10
	add $((147 / k)) "host [$w]" $(in_world $w) env VMM=build/vmm GUESTS=build/guests bash tests/host/run.sh
	add $((23 / k)) "host-kernel [$w]" $(in_world $w) env VMM=build/vmm IMG=build/kernel.img bash tests/host/kernel.sh
	add $((200 / k)) "host-tools [$w]" $(in_world $w) env VMM=build/vmm IMAGE=build/kernel.img GUESTS=build/guests \
		bash tests/host/tools.sh
	add $((11 / k)) "guest-vmm [$w]" $(in_world $w) bash tests/run_guest.sh vmm
	add $((29 / k)) "trace-json [$w]" $(in_world $w) env VMM=build/vmm GUESTS=build/guests IMG=build/kernel.img \
		bash tests/host/trace_json.sh
	# The guest fuzzer, seeded: 200 boot sectors under build/vmm and
	# build/vmm-asan, in every world.
	add $((167 / k)) "fuzz-guest [$w]" python3 tools/fuzz-guest/fuzz_guest.py --world $w --seed 1 --count 200
	# The GDB stub against Debian's gdb, in every KVM world.
	add $((74 / k)) "gdb [$w]" $(in_world $w) env VMM=build/vmm IMG=build/kernel.img ELF=build/kernel.elf \
		GUESTS=build/guests XML16=build/gdb/i8086.xml bash tests/host/gdb.sh
done
# The intel world (kvm_intel, nested=1, under Bochs: tools/worlds/intel/)
# on every machine: the guest suite, where the vmx tests run as an L1
# hypervisor on KVM's nested VMX; the VMM's host tests; the GDB stub, whose
# watchpoint test runs there. Each suite boots the world once (~35 s).
add 45 "guest-vmm [intel]" $(in_world intel) bash tests/run_guest.sh vmm
add 119 "host [intel]" $(in_world intel) env VMM=build/vmm GUESTS=build/guests bash tests/host/run.sh
add 86 "gdb [intel]" $(in_world intel) env VMM=build/vmm IMG=build/kernel.img ELF=build/kernel.elf \
	GUESTS=build/guests XML16=build/gdb/i8086.xml bash tests/host/gdb.sh
# The kvm_hc suite, against our patched kvm modules (tools/kvm-hc/): the
# nested world only, where the modules are ours to load.
add 160 "inside-kvm [intel]" env IN_KVM_BPFTRACE=1 $(in_world intel) env VMM=build/vmm IMG=build/kernel.img \
	bash tests/host/inside_kvm_intel.sh
add 25 "guest-vmm-hc [nested]" env KVM_MODULES=hc $(in_world nested) bash tests/host/kvm_hc.sh
[ $fast = host ] || add 0 "host world" printf 'ok 1 - the host world # SKIP %s\n0 passed, 0 failed, 1 skipped\n' \
	"${why#in-kvm: }"
# The host tests once more against the ASan+UBSan build, in the fastest
# world: every report aborts the VMM, which fails its test.
add 173 "host-asan [$fast]" $(in_world $fast) env VMM=build/vmm-asan GUESTS=build/guests \
	ASAN_OPTIONS=abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
	bash tests/host/run.sh
add 130 in-kvm env VMM=build/vmm GUESTS=build/guests bash tests/host/in_kvm.sh
add 1 unit-guest-mem build/unit_guest_mem
add 1 unit-hypercall build/unit_hypercall
add 1 unit-views build/unit_views
add 1 unit-dump-pt build/unit_dump_pt
add 1 unit-insn build/unit_insn
add 1 unit-spte python3 tests/host/unit_spte.py
add 1 unit-mmu-shadow python3 tests/host/unit_mmu_shadow.py
add 1 unit-mmu-roots python3 tests/host/unit_mmu_roots.py
add 10 fuzz-replay bash tests/fuzz/replay.sh
add 1 guest-qemu bash tests/run_guest.sh qemu
add 2 guest-bochs bash tests/run_guest.sh bochs

# The queue: longest first.
mapfile -t queue < <(for n in "${names[@]}"; do printf '%s\t%s\n' "${est[$n]}" "$n"; done | sort -t$'\t' -k1,1nr -s | cut -f2)

# log NAME: the suite's log file (its name without spaces or brackets).
log() { local f=${1//[][ ]/_}; echo "$logs/${f//__/_}.log"; }
# closing NAME: its closing "N passed, N failed, N skipped" line, or nothing.
closing() { grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$(log "$1")" | tail -n1; }
# world_of NAME: "WORLD KVM" from the header tests/in_world.sh writes; the
# suites that need no KVM are "-" (QEMU, Bochs, units, replays).
world_of() {
	local w
	w=$(sed -n 's/^# world: \([a-z]*\), KVM: \(.*\)$/\1 \2/p' "$(log "$1")" | head -n1)
	echo "${w:-- -}"
}

declare -A pid_of=() rc=() secs=() start=()
running=() t0=$SECONDS done_n=0
launch() {
	local name=$1
	start[$name]=$SECONDS
	eval "${cmd[$name]}" >"$(log "$name")" 2>&1 </dev/null &
	pid_of[$!]=$name
	running+=("$name")
}
report_end() {
	local name=$1 status=$2 c verdict wk
	secs[$name]=$((SECONDS - start[$name])) rc[$name]=$status
	done_n=$((done_n + 1))
	c=$(closing "$name")
	verdict=ok
	{ [ "$status" -eq 0 ] && [ -n "$c" ]; } || verdict=FAIL
	read -r _ wk <<<"$(world_of "$name")"
	local still=() r
	for r in "${running[@]}"; do [ "$r" = "$name" ] || still+=("$r"); done
	running=("${still[@]}")
	printf '[%2d/%d %3d:%02d] %-4s %-22s %-8s %s, %d s%s\n' "$done_n" "${#names[@]}" \
		$(((SECONDS - t0) / 60)) $(((SECONDS - t0) % 60)) "$verdict" "$name" "$wk" \
		"${c:-no closing line (exit $status)}" "${secs[$name]}" \
		"${running[*]:+; running: $(IFS=,; echo "${running[*]}" | sed 's/,/, /g')}"
}

echo "make test: ${#names[@]} suites, two at a time, longest first; whole outputs in $logs/"
next=0
while [ $next -lt ${#queue[@]} ] || [ ${#running[@]} -gt 0 ]; do
	while [ ${#running[@]} -lt 2 ] && [ $next -lt ${#queue[@]} ]; do
		launch "${queue[$next]}"
		next=$((next + 1))
	done
	wait -n -p done_pid
	status=$?
	report_end "${pid_of[$done_pid]}" "$status"
done

# Times for the next run's order; failing suites in full; per world; total.
for n in "${names[@]}"; do echo "${secs[$n]} $n"; done >"$logs/times"
broken=()
for n in "${names[@]}"; do
	[ "${rc[$n]}" -eq 0 ] && [ -n "$(closing "$n")" ] || broken+=("$n")
done
for n in "${broken[@]}"; do
	echo "=== $n (exit ${rc[$n]}, $(log "$n")):"
	cat "$(log "$n")"
done
# One line per world and KVM (the nested world with our kvm modules is a
# line of its own); "none" is the suites that need no KVM.
declare -A wp=() wf=() ws=() wt=()
keys=()
tp=0 tf=0 ts=0
for n in "${names[@]}"; do
	read -r p _ f _ s _ <<<"$(closing "$n" | tr -d ,)"
	read -r wn wk <<<"$(world_of "$n")"
	[ "$n" = "host world" ] && wn=host wk="none here"
	[ "$wn" = - ] && wn=none wk="(QEMU, Bochs, units)"
	k="$wn|$wk"
	[ -n "${wp[$k]+set}" ] || keys+=("$k")
	wp[$k]=$((${wp[$k]:-0} + ${p:-0})) wf[$k]=$((${wf[$k]:-0} + ${f:-0}))
	ws[$k]=$((${ws[$k]:-0} + ${s:-0})) wt[$k]=$((${wt[$k]:-0} + secs[$n]))
	tp=$((tp + ${p:-0})) tf=$((tf + ${f:-0})) ts=$((ts + ${s:-0}))
done
echo "=== per world (seconds: its suites' times added up; they ran two at a time)"
for w in host nested intel none; do
	for k in "${keys[@]}"; do
		[ "${k%%|*}" = "$w" ] || continue
		printf 'world %-7s KVM %-22s %4d passed, %d failed, %d skipped, %d s\n' \
			"$w" "${k#*|}" "${wp[$k]}" "${wf[$k]}" "${ws[$k]}" "${wt[$k]}"
	done
done
[ ${#broken[@]} -eq 0 ] || echo "suites that failed: ${broken[*]}"
echo "make test took $(((SECONDS - t0) / 60)) min $(((SECONDS - t0) % 60)) s"
echo "total: $tp passed, $tf failed, $ts skipped"
[ ${#broken[@]} -eq 0 ] && [ "$tf" -eq 0 ]
