#!/usr/bin/env bash
# in_world.sh WORLD CMD [ARGS...]: CMD under tools/worlds/in-kvm in WORLD (host or
# nested), its output headed by a line naming the world and the KVM that
# served it, as seen from inside: "# world: nested, KVM: kvm_amd".
cd "$(dirname "$0")/.." || exit 125
world=$1; shift
KVM_WORLD=$world exec tools/worlds/in-kvm bash -c \
	'echo "# world: $KVM_WORLD, KVM: $(tools/worlds/kvm-name)"; exec "$@"' in_world "$@"
