#!/usr/bin/env bash
# kvm_hc.sh: the guest's kvm_hc tests under build/vmm, plus the one check
# only the host can make: kvm.ko's own count of our hypercalls
# (/sys/module/kvm/parameters/hc_calls, tools/kvm-hc/kvm-hc.patch) moved
# by exactly the calls the guest says it made. Runs inside a KVM world:
#   KVM_MODULES=hc bash tests/in_world.sh nested bash tests/host/kvm_hc.sh
# Prints the guest's TAP, the host's check as one more result line, and a
# closing "N passed, N failed, N skipped" over both. Where our kvm.ko is
# not loaded the host check SKIPs, as the guest's tests do. Exit 0 when
# nothing failed, 1 otherwise.
set -u
cd "$(dirname "$0")/../.." || exit 1
param=/sys/module/kvm/parameters/hc_calls
log=build/test-kvm-hc.log

before=$(cat "$param" 2>/dev/null)
build/vmm --timeout 120 -c test=kvm_hc build/kernel.img >"$log" 2>&1
status=$?
after=$(cat "$param" 2>/dev/null)
cat "$log"
summary=$(bash tests/tap_summary.sh "$log" "$status" 0)
guest_ok=$?
echo "$summary" | sed -n '2,$p'
read -r p _ f _ s _ <<<"$(echo "$summary" | head -n1 | tr -d ,)"

made=$(sed -n 's/^# kvm_hc: this guest made \([0-9]*\) calls of ours.*/\1/p' "$log" | tr -d '\r')
name="host: kvm.ko's hc_calls moved by the calls the guest made"
if [ -z "$before" ] || [ -z "$after" ]; then
	echo "ok - $name # SKIP no $param: the stock kvm.ko (KVM_MODULES=hc loads ours)"
	s=$((s + 1))
elif [ -z "$made" ]; then
	echo "not ok - $name # the guest printed no count (its count test did not run to its end)"
	f=$((f + 1))
elif [ $((after - before)) -eq "$made" ]; then
	echo "ok - $name # $before -> $after: $made calls, as the guest counted"
	p=$((p + 1))
else
	echo "not ok - $name # $before -> $after is $((after - before)) calls; the guest made $made"
	f=$((f + 1))
fi
echo "$p passed, $f failed, $s skipped"
[ "$guest_ok" -eq 0 ] && [ "$f" -eq 0 ]
