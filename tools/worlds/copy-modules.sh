#!/usr/bin/env bash
# copy-modules.sh TREE DEST MODULE...: copy each MODULE.ko found under TREE
# (an unpacked kernel package's lib/modules/ABI) into DEST, a .ko.xz
# decompressed, for the worlds' initramfs builders (nested/setup.sh,
# intel/setup.sh). Exit 1 naming the first module the package lacks.
set -eu
tree=$1 dest=$2
shift 2
for m in "$@"; do
	ko=$(find "$tree" -name "$m.ko" -o -name "$m.ko.xz" | head -n1)
	[ -n "$ko" ] || { echo "copy-modules: module $m.ko is not in $tree" >&2; exit 1; }
	case $ko in *.xz) xz -dc "$ko" >"$dest/$m.ko" ;; *) cp "$ko" "$dest/" ;; esac
done
