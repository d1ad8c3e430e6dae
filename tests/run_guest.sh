#!/usr/bin/env bash
# run_guest.sh WORLD [extra args]: boot build/kernel.img in one world and
# check its TAP. WORLD is vmm (our VMM on KVM), qemu (SeaBIOS, TCG) or bochs
# (Bochs BIOS, a CPU model with VMX, EPT and VM functions).
set -u
cd "$(dirname "$0")/.."
world=$1; shift
img=build/kernel.img
# One log per KVM world: make test runs guest-vmm in several at once, all
# in this work tree.
log=build/test-$world${KVM_WORLD:+-$KVM_WORLD}.log
case $world in
vmm)
	build/vmm --timeout 300 "$@" "$img" >"$log" 2>&1
	status=$? expected=0
	;;
qemu)
	# isa-debug-exit turns the guest's status v into (v << 1) | 1.
	timeout 300 qemu-system-x86_64 -machine pc -accel tcg -m 128 \
		-drive file="$img",format=raw,if=ide -serial stdio -display none \
		-no-reboot -monitor none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 >"$log" 2>&1 </dev/null
	status=$? expected=1
	;;
bochs)
	bash tests/bochs/run.sh "$img" >"$log" 2>&1
	status=$? expected=0
	;;
*)
	echo "run_guest.sh: unknown world '$world' (vmm, qemu, bochs)" >&2
	exit 2
	;;
esac
sed "s/^/$world| /" "$log"
echo "$world: exit status $status"
bash tests/tap_summary.sh "$log" "$status" "$expected"
