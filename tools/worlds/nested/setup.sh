#!/usr/bin/env bash
# setup.sh: make the nested KVM world ready and print its directory.
#
# The world is Debian's own kernel with its kvm_amd module, booted under
# QEMU TCG with an emulated SVM CPU (../shared/PLATFORM.md, "A real KVM
# without /dev/kvm"). This script fetches that kernel's package once with
# apt-get, keeps vmlinuz and the modules the world loads, and packs an
# initramfs of busybox, those modules and tools/worlds/nested/init. Later calls find
# the cache and return at once.
set -eu

# The one place the kernel is pinned: the ABI of linux-image-amd64 in
# Debian 12 when this was written. When the archive has moved on, the
# version linux-image-amd64 now depends on is used instead, and said.
PINNED_ABI=6.1.0-57-amd64

# In the order the init script loads them (each needs the ones before it).
MODULES="irqbypass kvm ccp kvm-amd
virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
9pnet 9pnet_virtio netfs fscache 9p"

here=$(cd "$(dirname "$0")" && pwd)
cache_root=${NESTED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmm-nested}

say() { echo "nested-setup: $*" >&2; }
die() { say "$*"; exit 1; }

# abi_available ABI: does apt know linux-image-ABI?
abi_available() {
	apt-cache show "linux-image-$1" >/dev/null 2>&1
}

pick_abi() {
	local abi=${NESTED_KERNEL_ABI:-$PINNED_ABI} dep
	if [ -d "$cache_root/$abi" ] || abi_available "$abi"; then
		echo "$abi"; return
	fi
	# An old package list hides packages: refresh it once before giving up.
	[ "$(id -u)" -eq 0 ] && apt-get update -q >&2 && abi_available "$abi" && { echo "$abi"; return; }
	dep=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -n1)
	[ -n "$dep" ] || die "kernel linux-image-$abi is not in the package lists, and linux-image-amd64 names no other (apt-get update?)"
	say "kernel linux-image-$abi (pinned in tools/worlds/nested/setup.sh) is no longer offered by apt; using linux-image-$dep, which linux-image-amd64 depends on now"
	echo "$dep"
}

abi=$(pick_abi)
dir=$cache_root/$abi
stamp=$dir/ready
# The initramfs also depends on the init script and the module copier:
# rebuild when they change.
want=$(cat "$here/init" "$here/setup.sh" "$here/../copy-modules.sh" | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	echo "$dir"
	exit 0
fi

command -v busybox >/dev/null || [ -x /bin/busybox ] || die "busybox is missing (apt-get install busybox-static)"
command -v cpio >/dev/null || die "cpio is missing (apt-get install cpio)"
busybox=$(command -v busybox || echo /bin/busybox)
file "$busybox" 2>/dev/null | grep -q 'dynamically linked' &&
	die "$busybox is dynamically linked; the initramfs needs busybox-static"

mkdir -p "$dir"
work=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

deb=$(ls "$dir"/linux-image-"$abi"_*.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
	say "downloading linux-image-$abi (once; about 70 MB)"
	# apt-get download writes to the current directory; as root it warns
	# that _apt cannot write there, which is harmless.
	(cd "$dir" && apt-get download -q "linux-image-$abi" 2>&1 | grep -v 'unsandboxed' >&2) ||
		die "apt-get download linux-image-$abi failed"
	deb=$(ls "$dir"/linux-image-"$abi"_*.deb | head -n1)
fi
say "unpacking $(basename "$deb")"
dpkg-deb -x "$deb" "$work/x"
cp "$work/x/boot/vmlinuz-$abi" "$dir/vmlinuz"
cp "$work/x/boot/System.map-$abi" "$dir/System.map"

root=$work/initramfs
mkdir -p "$root/bin" "$root/lib/modules" "$root/proc" "$root/sys" "$root/dev" "$root/root"
cp "$busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod 755 "$root/init"
bash "$here/../copy-modules.sh" "$work/x/lib/modules/$abi" "$root/lib/modules" $MODULES ||
	die "the kernel package linux-image-$abi lacks a module the world loads"
echo "$MODULES" | tr ' ' '\n' | grep . >"$root/lib/modules/order"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initramfs.gz"
echo "$want" >"$stamp"
say "ready in $dir"
echo "$dir"
