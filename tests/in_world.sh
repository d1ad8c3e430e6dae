#!/usr/bin/env bash
# in_world.sh WORLD CMD [ARGS...]: CMD under tools/worlds/in-kvm in WORLD (host or
# nested), its output headed by a line naming the world and the KVM that
# served it, as seen from inside: "# world: nested, KVM: kvm_amd", and
# "KVM: kvm_amd (modules: hc)" where our patched kvm.ko is the one loaded
# (KVM_MODULES=hc; its hc_calls parameter is what tells).
cd "$(dirname "$0")/.." || exit 125
world=$1; shift
KVM_WORLD=$world exec tools/worlds/in-kvm bash -c \
	'hc=; [ -e /sys/module/kvm/parameters/hc_calls ] && hc=" (modules: hc)"
	echo "# world: $KVM_WORLD, KVM: $(tools/worlds/kvm-name)$hc"; exec "$@"' in_world "$@"
