#!/usr/bin/env bash
# Host tests of tools/worlds/in-kvm: the world is chosen as documented, and CMD's
# stdout, stderr (apart, byte for byte, with no kernel messages), exit
# status, working directory and environment pass through; in the intel
# world the files CMD writes under the work tree come back, and a world that
# stops answering ends with 125. Runs from this machine, not inside a world;
# each nested boot costs about 6 s, each intel one about 35 s.
#
#   VMM=build/vmm GUESTS=build/guests bash tests/host/in_kvm.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
VMM=${VMM:?set VMM to the vmm binary}
GUESTS=${GUESTS:?set GUESTS to the directory of built guest images}
. tests/host/lib.sh

# in_kvm ARGS...: like vmm() in lib.sh, for tools/worlds/in-kvm.
in_kvm() {
	timeout -k 5 600 tools/worlds/in-kvm "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
}

KVM_WORLD=bogus in_kvm true
check "world: KVM_WORLD=bogus is refused: 125, saying so" 125 "KVM_WORLD='bogus': expected host, nested or intel"
KVM_MODULES=bogus in_kvm true
check "modules: KVM_MODULES=bogus is refused: 125, saying so" 125 "KVM_MODULES='bogus': expected stock or hc"
KVM_MODULES=hc KVM_WORLD=host in_kvm true
check "modules: KVM_MODULES=hc in the host world is refused: 125, saying why" 125 \
	"KVM_MODULES=hc: the host's own KVM is not ours to replace"
KVM_MODULES=hc KVM_WORLD=intel in_kvm true
check "modules: KVM_MODULES=hc in the intel world is refused: 125, saying why" 125 \
	"KVM_MODULES=hc: our modules are built for kvm_amd"
(cd /tmp && KVM_WORLD=intel timeout -k 5 600 "$OLDPWD/tools/worlds/in-kvm" true >"$tmp/out" 2>"$tmp/err")
status=$?
check "intel: a working directory outside the work tree is refused: 125, saying so" 125 \
	"the intel world holds the work tree .* only; run from within it \(here: /tmp\)"
in_kvm
check "usage: no command: 125, saying so" 125 "usage: tools/worlds/in-kvm"
if [ -c /dev/kvm ]; then
	KVM_WORLD=host in_kvm bash -c 'echo "$KVM_WORLD"; exit 3'
	[ "$status" = 3 ] && [ "$(cat "$tmp/out")" = host ] &&
		ok "world: KVM_WORLD=host runs CMD here, its status passed through" ||
		not_ok "world: KVM_WORLD=host runs CMD here, its status passed through" "status $status"
else
	KVM_WORLD=host in_kvm true
	check "world: KVM_WORLD=host without /dev/kvm: 125, saying why" 125 \
		"KVM_WORLD=host, but /dev/kvm does not exist on this machine"
fi

# plumbing WORLD CWD SERVES: one boot's checks, from its $status, $tmp/out
# and $tmp/err: the status, binary stdout, the working directory and
# environment (and the KVM parameter the command printed), stderr alone.
plumbing() {
	local w=$1 want
	[ "$status" = 7 ] && ok "$w: CMD's exit status passes through (7)" ||
		not_ok "$w: CMD's exit status passes through (7)" "status $status"
	head -c 4096 "$tmp/out" | cmp -s - "$tmp/bytes" &&
		ok "$w: stdout carries binary bytes unchanged (4 KiB of random data)" ||
		not_ok "$w: stdout carries binary bytes unchanged (4 KiB of random data)" "bytes differ"
	want=$(printf '%s\n' "$2" 'a "quoted" value; $x' "$w" Y)
	[ "$(tail -c +4097 "$tmp/out")" = "$want" ] &&
		ok "$w: the working directory and environment are kept; $3" ||
		not_ok "$w: the working directory and environment are kept; $3" \
			"got: $(tail -c +4097 "$tmp/out" | tr '\n' '|')"
	[ "$(cat "$tmp/err")" = to-stderr ] &&
		ok "$w: stderr is CMD's alone: no kernel messages mixed in" ||
		not_ok "$w: stderr is CMD's alone: no kernel messages mixed in" "stderr: $(head -c 300 "$tmp/err")"
}

# One nested boot for the plumbing: stdout and stderr apart and exact
# (binary bytes too: the serial lines are raw), status, cwd, environment.
head -c 4096 /dev/urandom >"$tmp/bytes"
mkdir -p "$tmp/cwd"
(cd "$tmp/cwd" && IN_KVM_PROBE='a "quoted" value; $x' KVM_WORLD=nested \
	timeout -k 5 600 "$OLDPWD/tools/worlds/in-kvm" bash -c \
	'cat "$1"; printf "%s\n" "$PWD" "$IN_KVM_PROBE" "$KVM_WORLD" "$(cat /sys/module/kvm_amd/parameters/npt)"; echo to-stderr >&2; exit 7' \
	- "$tmp/bytes" >"$tmp/out" 2>"$tmp/err")
status=$?
plumbing nested "$tmp/cwd" "kvm_amd serves, with nested paging"

# Images under build/vmm give the documented statuses through in-kvm.
KVM_WORLD=nested in_kvm "$VMM" --timeout 5 "$GUESTS/triple_fault.img"
check "nested: build/vmm --timeout 5 on a crashing image: 123 and the VMM's message" 123 "guest triple fault"
KVM_WORLD=nested in_kvm "$VMM" --timeout 1 "$GUESTS/spin.img"
check "nested: build/vmm --timeout 1 on a spinning image: 124" 124 "timeout after 1 s"

# One intel boot for the same plumbing, from a directory in the work tree
# (the world holds nothing else), and for the files written there: a new
# one and a changed one come back; kvm_intel serves, with nested VMX.
job=build/in-kvm-test
rm -rf "$job" && mkdir -p "$job" && echo before >"$job/changed" && cp "$tmp/bytes" "$job/bytes"
(cd "$job" && IN_KVM_PROBE='a "quoted" value; $x' KVM_WORLD=intel \
	timeout -k 5 600 "$OLDPWD/tools/worlds/in-kvm" bash -c \
	'cat bytes; printf "%s\n" "$PWD" "$IN_KVM_PROBE" "$KVM_WORLD" "$(cat /sys/module/kvm_intel/parameters/nested)"
	echo after >changed; head -c 2048 bytes >new; echo to-stderr >&2; exit 7' >"$tmp/out" 2>"$tmp/err")
status=$?
plumbing intel "$PWD/$job" "kvm_intel serves, with nested=1"
[ "$(cat "$job/changed")" = after ] && head -c 2048 "$tmp/bytes" | cmp -s - "$job/new" &&
	ok "intel: the files CMD wrote under the work tree come back (one changed, one new, binary)" ||
	not_ok "intel: the files CMD wrote under the work tree come back (one changed, one new, binary)" \
		"changed: $(cat "$job/changed"), new: $(ls -l "$job/new" 2>&1)"
rm -rf "$job"

# A world that stops answering: a guest spinning with IF=0 hangs the whole
# machine under Bochs 2.7 (docs/worlds.md); the watchdog ends it.
IN_KVM_HANG_TIMEOUT=15 KVM_WORLD=intel in_kvm "$VMM" --timeout 1 "$GUESTS/spin_if0.img"
check "intel: a world that stops answering is ended: 125, naming the watchdog and the Bochs bug" 125 \
	"the world stopped answering for 15 s \(IN_KVM_HANG_TIMEOUT\): Bochs 2.7 hangs the whole machine"
finish
