#!/usr/bin/env bash
# make gdb, inside a KVM world (tools/worlds/in-kvm): build/vmm --gdb on
# build/kernel.img, and gdb on build/kernel.elf attached to it. With a
# terminal, gdb is interactive (after GDB_CMDS, if set); without one (the
# nested world has no stdin) it runs GDB_CMDS, tools/gdb/session.gdb by
# default, in batch mode. The VMM picks a free port and says it.
set -u
cd "$(dirname "$0")/../.." || exit 125
vmm=${VMM:-build/vmm} cmds=${GDB_CMDS:-}
# A new world's loopback may be down (the nested world's init leaves it).
ip -o link show lo 2>/dev/null | grep -q UP || ip link set lo up 2>/dev/null
# The VMM's messages go to stderr and, through a FIFO and tee (the nested
# world has no /dev/fd for a process substitution), to a file to find the
# port in.
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
err=$d/err
mkfifo "$d/fifo" || exit 125
tee "$err" <"$d/fifo" >&2 &
# shellcheck disable=SC2086 # VMM_ARGS is words
"$vmm" --gdb 0 ${VMM_ARGS:-} build/kernel.img 2>"$d/fifo" &
vpid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/^vmm: gdb: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$err")
	[ -n "$port" ] && break
	kill -0 $vpid 2>/dev/null || break
	sleep 0.1
done
[ -n "$port" ] || { echo "make gdb: the VMM did not start its GDB stub" >&2; wait $vpid; exit 125; }
if [ -t 0 ]; then
	gdb -q -nx build/kernel.elf -ex "set remotetimeout 30" -ex "target remote 127.0.0.1:$port" ${cmds:+-x "$cmds"}
else
	gdb -q -batch -nx build/kernel.elf -ex "set remotetimeout 30" -ex "target remote 127.0.0.1:$port" \
		-x "${cmds:-tools/gdb/session.gdb}"
fi
# gdb gone without a kill or a detach (a crash, a disconnect): the VMM
# keeps the guest stopped for another client. This session is over. (After
# a detach the guest runs on to its own end.)
sleep 1
if kill -0 $vpid 2>/dev/null && grep 'vmm: gdb: ' "$err" | tail -n1 | grep -q 'stays stopped'; then
	echo "make gdb: gdb ended and left the VMM waiting for another client: stopping it" >&2
	kill -TERM $vpid
fi
wait $vpid
echo "make gdb: the VMM ended with status $?"
