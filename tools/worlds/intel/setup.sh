#!/usr/bin/env bash
# setup.sh: make the intel KVM world ready and print its directory.
#
# The world is Debian's kernel with kvm_intel (nested=1) under Debian's
# Bochs, whose CPU model has VMX (../shared/PLATFORM.md, "A real kvm_intel
# under Bochs"). The kernel is the nested world's, pinned there
# (tools/worlds/nested/setup.sh fetches its package). Built once into
# ~/.cache/vmm-intel/ABI/ (INTEL_CACHE moves it):
#   boot.img     our loader (mbr.asm, stage.asm) and the kernel's vmlinux,
#                entered at its PVH entry (pack.py): no xz decompression
#   base.cpio    busybox, tools/worlds/intel/init, irqbypass, kvm, kvm-intel
#   sysroot.cpio this machine's tools a job runs (TOOLS below) with their
#                shared libraries, python3's standard library and gdb's
#                data, at the same paths as here
#   bpftrace.cpio bpftrace and its libraries (LLVM, clang: ~150 MB), which
#                run.sh adds when asked (IN_KVM_BPFTRACE=1)
# Later calls find the cache and return at once; one builds at a time (a
# lock), and each file is put in place whole.
set -eu

# The commands a job finds inside (with what they load): the shell tools
# the tests and tools/ use, python3 and gdb (with ICU, ~40 MB). bpftrace is
# apart (bpftrace.cpio): with LLVM it is ~150 MB, more than every boot of
# this world should carry.
TOOLS="bash sh env cat cp mv rm mkdir rmdir ls ln chmod chown touch head tail wc sort
uniq cut tr tee sed grep egrep awk mawk find xargs diff cmp od printf echo test [ expr
seq sleep timeout date stat dirname basename readlink realpath mktemp mkfifo kill
nproc id uname true false yes dd truncate sha256sum md5sum base64 comm paste tac
fold join nl split du df sync stdbuf nohup ps pgrep pkill setsid taskset flock
script xxd hexdump nm objdump readelf gdb /usr/bin/python3 ip getconf whoami hostname
install numfmt shuf setpriv"
MODULES="irqbypass kvm kvm-intel"

here=$(cd "$(dirname "$0")" && pwd)
say() { echo "intel-setup: $*" >&2; }
die() { say "$*"; exit 1; }

nested=$(bash "$here/../nested/setup.sh") || die "the kernel could not be fetched (tools/worlds/nested/setup.sh)"
abi=$(basename "$nested")
dir=${INTEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmm-intel}/$abi
stamp=$dir/ready
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
want=$(cat "$here/setup.sh" "$here/init" "$here/mbr.asm" "$here/stage.asm" "$here/pack.py" \
	"$here/../copy-modules.sh" | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	echo "$dir"
	exit 0
fi

for t in nasm cpio dpkg-deb; do
	command -v "$t" >/dev/null || die "$t is missing (tools/install-deps.sh)"
done
busybox=$(command -v busybox || echo /bin/busybox)
[ -x "$busybox" ] || die "busybox is missing (apt-get install busybox-static)"
file "$busybox" 2>/dev/null | grep -q 'dynamically linked' &&
	die "$busybox is dynamically linked; the initramfs needs busybox-static"

work=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

deb=$(ls "$nested"/linux-image-"$abi"_*.deb | head -n1) || die "no kernel package in $nested"
say "unpacking $(basename "$deb")"
dpkg-deb -x "$deb" "$work/x"
nasm -f bin -o "$work/mbr.bin" "$here/mbr.asm"
nasm -f bin -o "$work/stage.bin" "$here/stage.asm"
python3 "$here/pack.py" boot "$work/x/boot/vmlinuz-$abi" "$work/mbr.bin" "$work/stage.bin" \
	"$work/boot.img" >"$work/boot.cyl"

# base.cpio: the world's own files, under /inkvm.
root=$work/base
mkdir -p "$root/inkvm/modules" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/run"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/inkvm/busybox"
cp "$here/init" "$root/init"
chmod 755 "$root/init"
bash "$here/../copy-modules.sh" "$work/x/lib/modules/$abi" "$root/inkvm/modules" $MODULES ||
	die "the kernel package linux-image-$abi lacks a module the world loads"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/base.cpio"

# sysroot.cpio: paths as on this machine, so a job's scripts run as here.
# Each path is stored with its directories resolved (bin -> usr/bin, ...),
# and a symlink with every hop it takes (awk -> /etc/alternatives/awk ->
# mawk), so the kernel's unpacker never writes through a link.
list=$work/sysroot.list
: >"$list"
canon() { echo "$(readlink -f "$(dirname "$1")")/$(basename "$1")"; }
add_path() {
	local p t
	p=$(canon "$1")
	while :; do
		echo "$p" >>"$list"
		[ -L "$p" ] || break
		t=$(readlink "$p")
		[[ $t == /* ]] || t=$(dirname "$p")/$t
		p=$(canon "$t")
	done
}
add_elf() { # the file and every library ldd names for it
	local lib
	add_path "$1"
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do add_path "$lib"; done
}
for t in $TOOLS; do
	p=$(command -v "$t") || die "command $t is missing here (tools/install-deps.sh)"
	[[ $p == /* ]] || continue              # a shell builtin only ([, echo, ...)
	add_path "$p"
	real=$(readlink -f "$p")
	if file -L "$real" | grep -q ELF; then add_elf "$real"; fi
done
# What the tools load at run time beyond ldd: python3's standard library
# (its own tests, GUI and packaging left out) and extension modules, gdb's
# python scripts and syntax files, coreutils' stdbuf preload. python3 is
# Debian's (/usr/bin/python3, without site-packages), whatever python3 is
# first on this machine's PATH.
py=$(readlink -f "$(/usr/bin/python3 -c 'import sys; print(sys.prefix + "/lib/python%d.%d" % sys.version_info[:2])')")
find "$py" \( -name test -o -name tests -o -name idlelib -o -name tkinter -o -name turtledemo \
	-o -name lib2to3 -o -name ensurepip -o -name 'config-*' -o -name dist-packages \
	-o -name site-packages -o -name '_tkinter*' \) -prune -o \
	\( -name '*.opt-1.pyc' -o -name '*.opt-2.pyc' \) -o -print >>"$list"
for so in "$py"/lib-dynload/*.so; do
	case $so in *_tkinter*) ;; *) add_elf "$so" ;; esac
done
for d in /usr/share/gdb /usr/libexec/coreutils /etc/passwd /etc/group; do
	[ -e "$d" ] && find "$(readlink -f "$d")" >>"$list"
done
# The merged-/usr links (bin -> usr/bin, ...) as here.
for l in /bin /sbin /lib /lib64; do [ -L "$l" ] && echo "$l" >>"$list"; done
# pack LIST OUT: a cpio of LIST's paths, each after its parent directories
# (the kernel's cpio unpacker makes none itself).
pack() {
	sort -u "$1" | while read -r p; do
		d=${p%/*} parents=
		while [ -n "$d" ]; do parents="$d $parents"; d=${d%/*}; done
		printf '%s\n' $parents "$p"
	done | awk '!seen[$0]++' | sed 's|^/||' >"$1.paths"
	(cd / && cpio -o -H newc --quiet <"$1.paths") >"$2"
	say "$(basename "$2"): $(wc -l <"$1.paths") paths, $(($(stat -c %s "$2") >> 20)) MiB"
}
pack "$list" "$work/sysroot.cpio"
# bpftrace.cpio: what bpftrace needs beyond the sysroot.
sort -u "$list" >"$work/sysroot.sorted"
list=$work/bpftrace.list
: >"$list"
bt=$(command -v bpftrace) || die "bpftrace is missing here (tools/install-deps.sh)"
add_elf "$(readlink -f "$bt")"
add_path "$bt"
sort -u "$list" | comm -23 - "$work/sysroot.sorted" >"$list.new" && mv "$list.new" "$list"
pack "$list" "$work/bpftrace.cpio"
mv "$work/boot.img" "$work/boot.cyl" "$work/base.cpio" "$work/sysroot.cpio" "$work/bpftrace.cpio" "$dir/"
echo "$want" >"$stamp"
say "ready in $dir"
echo "$dir"
