#!/usr/bin/env bash
# build.sh: build kvm.ko and kvm-amd.ko with our in-KVM hypercalls
# (kvm-hc.patch) for the nested world's kernel, once, and print the
# directory holding them. Later calls find the cache and return at once.
#
# The kernel is the nested world's (tools/worlds/nested/setup.sh pins its ABI, the
# one place); the source, headers and kbuild packages are fetched at the
# very version of its linux-image package with `apt-get download`, unpacked
# with dpkg-deb (nothing is installed), and only arch/x86/kvm and virt/kvm
# are taken from the source tarball. Only x86.c is patched. The build is
# refused when the rebuilt kvm.ko exports other symbols or CRCs than the
# headers' Module.symvers (the stock kvm-amd.ko and any module linking
# kvm.ko must keep loading), or when its vermagic is not the stock one's.
#
# Cache: ${KVM_HC_CACHE:-~/.cache/vmm-kvm-hc}/ABI/: debs/ (the packages),
# kvm.ko, kvm-amd.ko, build.log, and `ready` (a hash of this script and the
# patch: a change rebuilds). Exit 0 with the directory on stdout; 1 with
# the reason on stderr.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
say() { echo "kvm-hc: $*" >&2; }
die() { say "$*"; exit 1; }

world=$(bash "$top/tools/worlds/nested/setup.sh") || die "the nested world's kernel could not be set up (tools/worlds/nested/setup.sh)"
abi=$(basename "$world")
dir=${KVM_HC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmm-kvm-hc}/$abi
want=$(cat "$here/build.sh" "$here/kvm-hc.patch" | sha256sum | cut -c1-16)
if [ -f "$dir/ready" ] && [ "$(cat "$dir/ready")" = "$want" ]; then
	echo "$dir"
	exit 0
fi

image=$(ls "$world"/linux-image-"$abi"_*.deb 2>/dev/null | head -n1)
[ -n "$image" ] || die "no linux-image-$abi .deb in $world (tools/worlds/nested/setup.sh keeps it)"
version=$(dpkg-deb -f "$image" Version) || die "cannot read the version of $image"
for tool in make gcc-12 patch xz cpio; do
	command -v $tool >/dev/null || die "$tool is missing: run tools/install-deps.sh"
done
t0=$SECONDS

# fetch PACKAGE: PACKAGE=$version into debs/, unless there already.
mkdir -p "$dir/debs"
fetch() {
	ls "$dir/debs/$1_${version}_"*.deb >/dev/null 2>&1 && return 0
	say "downloading $1 $version (once)"
	# An old package list hides packages: as root, refresh it once.
	(cd "$dir/debs" && apt-get download -q "$1=$version" 2>&1 | grep -v unsandboxed >&2)
	ls "$dir/debs/$1_${version}_"*.deb >/dev/null 2>&1 && return 0
	[ "$(id -u)" -eq 0 ] && apt-get update -q >&2 &&
		(cd "$dir/debs" && apt-get download -q "$1=$version" 2>&1 | grep -v unsandboxed >&2)
	ls "$dir/debs/$1_${version}_"*.deb >/dev/null 2>&1 ||
		die "apt-get download $1=$version failed (is the archive still offering that version?)"
}
src_pkg=linux-source-${abi%%.0-*}            # 6.1.0-57-amd64 -> linux-source-6.1
kbuild_pkg=linux-kbuild-${abi%%.0-*}
common_pkg=linux-headers-${abi%-amd64}-common
for p in "$src_pkg" "linux-headers-$abi" "$common_pkg" "$kbuild_pkg"; do fetch "$p"; done

work=$(mktemp -d "$dir/.build.XXXXXX") || die "cannot make a build directory in $dir"
trap 'rm -rf "$work"' EXIT
say "unpacking the headers and arch/x86/kvm, virt/kvm of $src_pkg $version"
for p in "linux-headers-$abi" "$common_pkg" "$kbuild_pkg"; do
	dpkg-deb -x "$dir/debs/${p}_${version}_"*.deb "$work/root" || die "cannot unpack $p"
done
dpkg-deb --fsys-tarfile "$dir/debs/${src_pkg}_${version}_all.deb" |
	tar -xO "./usr/src/$src_pkg.tar.xz" | tar -xJ -C "$work" "$src_pkg/arch/x86/kvm" "$src_pkg/virt/kvm" ||
	die "cannot extract arch/x86/kvm and virt/kvm from $src_pkg's tarball"

# The build dir's Makefile includes the common dir by its installed path,
# /usr/src/...: point it at ours. Kbuild finds the sources through the
# common tree (srctree): give it the extracted kvm directories there.
hdr=$work/root/usr/src/linux-headers-$abi
common=$work/root/usr/src/linux-headers-${abi%-amd64}-common
echo "include $common/Makefile" >"$hdr/Makefile"
ln -s "$work/$src_pkg/arch/x86/kvm" "$common/arch/x86/kvm"
ln -s "$work/$src_pkg/virt" "$common/virt"
patch -d "$work/$src_pkg" -p1 --no-backup-if-mismatch <"$here/kvm-hc.patch" >&2 ||
	die "kvm-hc.patch does not apply to $src_pkg $version"

say "building kvm.ko and kvm-amd.ko (a minute on 2 cores; log $dir/build.log)"
# Run from make (install-deps under the Makefile), the outer make's flags
# and variables (MAKEFLAGS: CC=..., -j) must not reach the kernel's build.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -C "$hdr" M="$work/$src_pkg/arch/x86/kvm" CONFIG_KVM_INTEL= -j"$(nproc)" modules \
	>"$dir/build.log" 2>&1; then
	tail -n 20 "$dir/build.log" >&2
	die "the module build failed (whole log: $dir/build.log)"
fi
grep -E 'warning:' "$dir/build.log" >&2 && say "the build warned (above)"
out=$work/$src_pkg/arch/x86/kvm

# kvm.ko's exports and their CRCs, as "symbol crc kind", sorted.
exports() { awk -F'\t' -v m="$2" '$3 ~ m { print $2, $1, $4 }' "$1" | sort; }
exports "$hdr/Module.symvers" '^arch/x86/kvm/kvm$' >"$work/stock.exports"
exports "$out/Module.symvers" '/kvm$' >"$work/ours.exports"
[ -s "$work/stock.exports" ] || die "the headers' Module.symvers lists no kvm exports"
if ! cmp -s "$work/stock.exports" "$work/ours.exports"; then
	diff "$work/stock.exports" "$work/ours.exports" | head -n 20 >&2
	die "refused: the rebuilt kvm.ko's exports or CRCs differ from the headers' Module.symvers (above)"
fi

# vermagic: the stock kvm.ko's (from the nested world's initramfs) or refuse.
vermagic() { objcopy -O binary --only-section=.modinfo "$1" /dev/stdout | tr '\0' '\n' | sed -n 's/^vermagic=//p'; }
(cd "$work" && gzip -dc "$world/initramfs.gz" | cpio -id --quiet lib/modules/kvm.ko) ||
	die "cannot take the stock kvm.ko from $world/initramfs.gz"
stock=$(vermagic "$work/lib/modules/kvm.ko")
for m in kvm kvm-amd; do
	got=$(vermagic "$out/$m.ko")
	[ -n "$stock" ] && [ "$got" = "$stock" ] || die "refused: $m.ko's vermagic '$got' is not the stock '$stock'"
done

cp "$out/kvm.ko" "$out/kvm-amd.ko" "$dir/"
echo "$want" >"$dir/ready"
say "built in $((SECONDS - t0)) s: $(wc -l <"$work/ours.exports") kvm exports with the stock CRCs, vermagic '$stock'"
echo "$dir"
