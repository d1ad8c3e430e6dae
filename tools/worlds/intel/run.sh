#!/usr/bin/env bash
# run.sh JOB_SCRIPT CMD_WORDS...: the intel world's half of tools/worlds/in-kvm.
# in-kvm writes the job script (environment, cd, exec CMD) and calls this;
# here Debian's Bochs boots the world (setup.sh's cache) with the job in its
# initramfs, CMD's stdout and stderr stream back from two serial ports, the
# files CMD wrote under the work tree are copied back, and CMD's exit
# status is ours. Exit 125, with the console's last lines, when the world
# fails or stops answering: Bochs 2.7 hangs the whole machine for a KVM
# guest that spins with IF=0 (docs/worlds.md), so a watchdog ends a world
# whose control port has been silent IN_KVM_HANG_TIMEOUT seconds (default
# 90; the init writes there every 2 s of guest time). IN_KVM_KEEP=1 keeps
# the job directory (bochsrc, console.log, bochs.log, the ports' files).
#
# In: the work tree (but .git) and this machine's tools (setup.sh's list;
# bpftrace too with IN_KVM_BPFTRACE=1), at their paths here; not the rest
# of this machine's files.
# Out: stdout, stderr, the exit status, and the regular files CMD created
# or changed under the work tree (not deletions, not files elsewhere).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
die() { echo "in-kvm: $*" >&2; exit 125; }
[ $# -ge 1 ] && [ -f "$1" ] || die "usage: tools/worlds/intel/run.sh JOB_SCRIPT (from tools/worlds/in-kvm)"
script=$1
for t in bochs script cpio; do
	command -v "$t" >/dev/null || die "$t is missing: run tools/install-deps.sh"
done
bios=/usr/share/bochs/BIOS-bochs-latest vgabios=/usr/share/bochs/VGABIOS-lgpl-latest
[ -f "$bios" ] && [ -f "$vgabios" ] || die "Bochs' BIOS images are missing (packages bochsbios, vgabios)"
case $PWD/ in "$top"/*) ;; *) die "the intel world holds the work tree $top only; run from within it (here: $PWD)" ;; esac
world=$(bash "$here/setup.sh") || die "the intel world could not be set up (tools/worlds/intel/setup.sh)"

job=$(mktemp -d /tmp/in-kvm.XXXXXX) || die "cannot make a job directory under /tmp"
bochs_pid=
cleanup() {
	[ -n "$bochs_pid" ] && kill -- -"$bochs_pid" 2>/dev/null
	if [ -n "${IN_KVM_KEEP:-}" ]; then echo "in-kvm: kept $job (IN_KVM_KEEP)" >&2; else rm -rf "$job"; fi
}
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 125' INT TERM HUP

# job.cpio: the job (its script, the work tree's path) and the work tree,
# each path after its parent directories. The initrd is the three archives
# back to back, which the kernel unpacks in turn.
mkdir -p "$job/root/inkvm/job"
cp "$script" "$job/root/inkvm/job/run.sh"
printf '%s' "$top" >"$job/root/inkvm/job/work"
(cd "$job/root" && find inkvm | cpio -o -H newc --quiet) >"$job/job.cpio" || die "cannot pack the job"
{
	d=${top%/*}
	parents=
	while [ -n "$d" ]; do parents="${d#/} $parents"; d=${d%/*}; done
	printf '%s\n' $parents
	(cd / && find "${top#/}" -name .git -prune -o -print)
} | (cd / && cpio -o -H newc --quiet) >>"$job/job.cpio" || die "cannot pack the work tree $top"
# IN_KVM_BPFTRACE=1 adds bpftrace (~150 MB more to load and unpack).
extra=
[ "${IN_KVM_BPFTRACE:-}" = 1 ] && extra=$world/bpftrace.cpio
cat "$world/base.cpio" "$world/sysroot.cpio" $extra "$job/job.cpio" >"$job/initrd"
rm "$job/job.cpio"
# rootfstype=ramfs: the root is the initramfs, whose tmpfs would stop at
# half the RAM (the sysroot and bpftrace alone are 290 MiB).
cmdline="console=ttyS0,115200 quiet panic=-1 mitigations=off nokaslr tsc=reliable lpj=400000 cryptomgr.notests rootfstype=ramfs"
jobcyl=$(python3 "$here/pack.py" job "$job/initrd" "$cmdline" "$job/job.img") || die "cannot write the job disk"
rm "$job/initrd"
# Bochs locks a disk image by a file beside its path: reached through a
# link of the job's own, the cached boot disk serves runs side by side
# (the guest has no disk driver; nothing writes to it).
ln -s "$world/boot.img" "$job/boot.img"

# Bochs: the CPU model PLATFORM.md measured kvm_intel on; RAM for the
# kernel (74 MiB), the initrd twice while it unpacks, and the VMM's guests.
cat >"$job/bochsrc" <<RC
megs: ${IN_KVM_INTEL_MEGS:-$([ -n "$extra" ] && echo 1024 || echo 640)}
cpu: model=corei7_haswell_4770, count=1, ips=100000000, reset_on_triple_fault=0
romimage: file=$bios
vgaromimage: file=$vgabios
display_library: term
sound: driver=dummy
ata0-master: type=disk, path=$job/boot.img, mode=flat, cylinders=$(cat "$world/boot.cyl"), heads=16, spt=63
ata0-slave: type=disk, path=$job/job.img, mode=flat, cylinders=$jobcyl, heads=16, spt=63
boot: disk
clock: sync=none, time0=local
com1: enabled=1, mode=file, dev=$job/console.log
com2: enabled=1, mode=file, dev=$job/out
com3: enabled=1, mode=file, dev=$job/err
com4: enabled=1, mode=file, dev=$job/ctl
log: $job/bochs.log
panic: action=fatal
error: action=report
RC
printf 'c\nquit\n' >"$job/cmds"
: >"$job/out"
: >"$job/err"
: >"$job/ctl"
# The term display wants a terminal: script(1) gives it one; its screen
# is of no use here. setsid: the watchdog ends Bochs and script together.
(cd "$job" && exec setsid script -qfc "bochs -q -f bochsrc -rc cmds" /dev/null </dev/null >"$job/screen" 2>&1) &
bochs_pid=$!
# stdout and stderr, a line at a time each (relay.py: 2>&1 stays readable).
python3 "$here/../relay.py" --follow "$bochs_pid" "$job/out" "$job/err" &
relay=$!

limit=${IN_KVM_TIMEOUT:-3600} hang=${IN_KVM_HANG_TIMEOUT:-90} boot=${IN_KVM_BOOT_TIMEOUT:-240}
t0=$SECONDS last=0 moved=$SECONDS why=
while kill -0 "$bochs_pid" 2>/dev/null; do
	sleep 1
	n=$(stat -c %s "$job/ctl")
	[ "$n" != "$last" ] && { last=$n moved=$SECONDS; }
	if [ $((SECONDS - t0)) -ge "$limit" ]; then
		why="IN_KVM_TIMEOUT=$limit s ran out"
	elif [ "$n" = 0 ] && [ $((SECONDS - t0)) -ge "$boot" ]; then
		why="the world did not come up in $boot s (IN_KVM_BOOT_TIMEOUT)"
	elif [ "$n" != 0 ] && [ $((SECONDS - moved)) -ge "$hang" ]; then
		why="the world stopped answering for $hang s (IN_KVM_HANG_TIMEOUT): Bochs 2.7 hangs the whole machine for a KVM guest spinning with interrupts off (docs/worlds.md)"
	else
		continue
	fi
	kill -- -"$bochs_pid" 2>/dev/null
	break
done
wait "$bochs_pid" 2>/dev/null
bochs_pid=
wait "$relay"

status=$(python3 "$here/control.py" "$job/ctl" "$top") || status=
if [ -n "$status" ] && [ -z "$why" ]; then
	exit "$status"
fi
echo "in-kvm: the intel world failed: ${why:-it ended without reporting a status (Bochs: $(grep -m1 -E 'PANIC|FATAL|ERROR' "$job/bochs.log" || echo 'no message'))}; its console:" >&2
tail -n 30 "$job/console.log" 2>/dev/null | sed 's/^/in-kvm:   /' >&2
exit 125
