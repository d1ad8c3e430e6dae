#!/usr/bin/env bash
# Installs what the build and the tests need, on Debian/Ubuntu.
# As root it runs apt-get; otherwise it prints the exact command to run.
set -eu

# command-or-file : package
need=(
	"nasm:nasm"
	"qemu-system-x86_64:qemu-system-x86"
	"bochs:bochs"
	"/usr/share/doc/bochs-term:bochs-term"
	"/usr/share/bochs/BIOS-bochs-latest:bochsbios"
	"/usr/share/vgabios/vgabios.bin:vgabios"
	"script:bsdutils"
	"objcopy:binutils"
	"cc:gcc"
	"python3:python3"
	"bpftrace:bpftrace"
	"busybox:busybox-static"
	"cpio:cpio"
	"file:file"
	"clang:clang"
	"/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev"
	"/usr/lib/python3/dist-packages/matplotlib:python3-matplotlib"
	"gdb:gdb"
	"ip:iproute2"
	# Building our kvm.ko out of tree (tools/kvm-hc/): Debian's kernel is
	# built with gcc-12, its objtool links libelf.
	"make:make"
	"gcc-12:gcc-12"
	"patch:patch"
	"xz:xz-utils"
	"/usr/lib/x86_64-linux-gnu/libelf.so.1:libelf1"
)

missing=()
for pair in "${need[@]}"; do
	what=${pair%%:*} pkg=${pair##*:}
	if [[ $what == /* ]]; then
		[ -e "$what" ] || missing+=("$pkg")
	else
		command -v "$what" >/dev/null 2>&1 || missing+=("$pkg")
	fi
done
# The nested KVM world (tools/worlds/in-kvm) is made ready once the
# packages are, and our patched kvm modules for it (KVM_MODULES=hc; built
# once, a minute or two, then cached); then the intel world (Bochs, nasm,
# busybox, cpio and script from the list above; ~20 s, then cached).
nested() {
	bash "$(dirname "$0")/worlds/nested/setup.sh" >/dev/null &&
		bash "$(dirname "$0")/kvm-hc/build.sh" >/dev/null &&
		bash "$(dirname "$0")/worlds/intel/setup.sh" >/dev/null
}
[ ${#missing[@]} -eq 0 ] && { nested; exit 0; }

cmd="apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root: apt-get update && $cmd" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q "${missing[@]}" >&2
nested
