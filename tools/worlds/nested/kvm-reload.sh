#!/usr/bin/env bash
# kvm-reload.sh [PARAM=VALUE...]: inside the nested world only, unload
# kvm_amd and load it again with these parameters (none: its defaults),
# e.g. npt=0 for shadow paging. No VM may be open. Exit 0 once /dev/kvm is
# back; 1 with the reason otherwise (busybox's rmmod and insmod: the
# machines have no kmod).
set -u
ko=/run/in-kvm/kvm-amd.ko
[ "${KVM_WORLD:-}" = nested ] || { echo "kvm-reload: only in the nested world (KVM_WORLD=${KVM_WORLD:-unset})"; exit 1; }
[ -f "$ko" ] || { echo "kvm-reload: $ko missing (an older nested world's init?)"; exit 1; }
busybox rmmod kvm_amd || { echo "kvm-reload: rmmod kvm_amd failed"; exit 1; }
busybox insmod "$ko" "$@" || { echo "kvm-reload: insmod $ko $* failed"; exit 1; }
[ -c /dev/kvm ] || { echo "kvm-reload: no /dev/kvm after loading kvm_amd $*"; exit 1; }
