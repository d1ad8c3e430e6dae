#!/usr/bin/env bash
# The tools that look inside KVM, on kvm_intel (the intel world: nested=1,
# under Bochs): the seed's probes (make trace: tools/worlds/intel/seed-trace.sh:
# tracefs kprobe events, then the seed's four bpftrace lines where the world
# has bpftrace, IN_KVM_BPFTRACE=1) and KVM's EPT map with one MMU root per
# view (make mmu-map: tools/inside-kvm/kvm-mmu-map.sh, with tracefs as make
# mmu-map has it there), each around the kernel's views tests, where the
# kernel is an L1 hypervisor and KVM serves every VMFUNC of its L2.
#
#   VMM=build/vmm IMG=build/kernel.img bash tests/host/inside_kvm_intel.sh
set -u
VMM=${VMM:?set VMM to the vmm binary}
IMG=${IMG:?set IMG to the kernel image}
cd "$(dirname "$0")/../.." || exit 1
. tests/host/lib.sh

views=(--timeout 60 -c 'test=views*' "$IMG")
tests=("seed-trace: the views tests pass while traced"
	"seed-trace: vmx_load_mmu_pgd events with root_hpa and root_level 4"
	"seed-trace: three MMU roots or more (L1's, view 0's, one per further view)"
	"seed-trace: vmx_vcpu_load_vmcs events with cpu and buddy"
	"seed-trace: KVM's SPTEs, EPT format, decoded from the real values"
	"seed-trace: the seed's four bpftrace lines print the VMM's events, the kfunc root line its maps"
	"mmu-map: the views tests pass under tracefs, SPTE format ept"
	"mmu-map: KVM's map, decoded EPT entries"
	"mmu-map: L1's direct root and a shadow root each for views 0 and 1"
	"mmu-map: every EPTP L2 switched to ran on roots of its own, two EPTPs or more"
	"mmu-map: a VMFUNC to a new view builds its root, a VMFUNC back keeps view 0's"
	"mmu-map: a refused VMFUNC is reflected to L1 (exit 59)"
	"mmu-map: a view's shadow root maps an L2 GPA to another L1 GPA")
kvm=$(bash tools/worlds/kvm-name)
if [ "$kvm" != kvm_intel ]; then
	for t in "${tests[@]}"; do skip "$t" "/dev/kvm is served by $kvm, not kvm_intel (the intel world runs this)"; done
	finish
	exit
fi

# verdict N REGEX FILE: test N passes if a line of FILE matches REGEX.
verdict() {
	if has_line "$2" "$3"; then ok "${tests[$1]}"; else not_ok "${tests[$1]}" "no line matches /$2/"; fi
}

VMM=$VMM timeout -k 5 600 bash tools/worlds/intel/seed-trace.sh -- "${views[@]}" >"$tmp/out" 2>"$tmp/err"
status=$?
cp "$tmp/out" "$tmp/seed"
sed 's/^/# /' "$tmp/seed" | head -n 12
[ $status = 0 ] && ok "${tests[0]}" || not_ok "${tests[0]}" "seed-trace.sh exit $status"
verdict 1 'vmx_load_mmu_pgd\+0x0/0x[0-9a-f]+ \[kvm_intel\] vcpu=0x[0-9a-f]+ root_hpa=0x[0-9a-f]+ root_level=0x4$' "$tmp/seed"
roots=0
while IFS= read -r l; do [[ $l =~ ^\ +root_hpa=0x[0-9a-f]+\ root_level=0x4:\ [0-9]+$ ]] && roots=$((roots + 1)); done <"$tmp/seed"
[ $roots -ge 3 ] && ok "${tests[2]}" || not_ok "${tests[2]}" "$roots distinct roots"
verdict 3 'vmx_vcpu_load_vmcs\+0x0/0x[0-9a-f]+ \[kvm_intel\] vcpu=0x[0-9a-f]+ cpu=0x0 buddy=0x[0-9a-f]+$' "$tmp/seed"
verdict 4 '^    gfn 0x[0-9a-f]+ level 1: spte 0x[0-9a-f]{16} +L1 4K +hpa 0x[0-9a-f]+ +R W X .* WB ' "$tmp/seed"
# The seed's lines: each block from its "$ bpftrace -e" line must say exit 0
# and hold an event of the VMM ("vmm" and a 16-digit pointer).
if ! command -v bpftrace >/dev/null; then
	skip "${tests[5]}" "bpftrace is not in this world (IN_KVM_BPFTRACE=1 adds it; make test sets it)"
else
	lines=0 good=0 maps=no
	while IFS= read -r l; do
		if [[ $l =~ ^\ \ \$\ bpftrace\ -e ]]; then
			lines=$((lines + 1)) exit0=no event=no
		elif [[ $l =~ ^\ +bpftrace\ exit\ 0\; ]]; then
			exit0=yes
		elif [ $lines -gt 0 ] && [[ $l =~ ^\ +vmm\ [0-9a-f]{16}\  ]] && [ $event = no ]; then
			event=yes
			[ $exit0 = yes ] && good=$((good + 1))
		elif [[ $l =~ ^\ +@root_hpa\[[0-9]+\]:\ [1-9][0-9]*$ ]]; then
			maps=yes
		fi
	done <"$tmp/seed"
	if [ $lines = 4 ] && [ $good = 4 ] && [ $maps = yes ]; then
		ok "${tests[5]}"
	else
		not_ok "${tests[5]}" "$lines lines, $good with exit 0 and an event, @root_hpa map: $maps"
	fi
fi

# tracefs, as make mmu-map in this world (bpftrace's program takes minutes to compile under Bochs).
VMM=$VMM MMU_MAP_TRACER=tracefs timeout -k 5 300 bash tools/inside-kvm/kvm-mmu-map.sh -- "${views[@]}" >"$tmp/out" 2>"$tmp/err"
status=$?
cp "$tmp/out" "$tmp/map"
sed -n '/^== KVM.s MMU roots/,/^entries remapped/p' "$tmp/map" | sed 's/^/# /'
if [ $status = 0 ] && has_line '^kvm-mmu-map: attaching \(tracefs\): .*SPTE format ept' "$tmp/map"; then
	ok "${tests[6]}"
else
	not_ok "${tests[6]}" "kvm-mmu-map.sh exit $status"
fi
verdict 7 '^0x[0-9a-f]+ +0x[0-9a-f]+ +0x[0-9a-f]{16} +0x[0-9a-f]+ +1 4K +R W X ' "$tmp/map"
if has_line '^[0-9]+ +0x[0-9a-f]+ +4 +[0-9]+ +[0-9]+ +direct ' "$tmp/map" &&
	has_line '^[0-9]+ +0x[0-9a-f]+ +4 +[0-9]+ +[1-9][0-9]* +shadow +0x[0-9a-f]+ \(view 0\)' "$tmp/map" &&
	has_line '^[0-9]+ +0x[0-9a-f]+ +4 +[0-9]+ +[1-9][0-9]* +shadow +0x[0-9a-f]+ \(view 1\)' "$tmp/map"; then
	ok "${tests[8]}"
else
	not_ok "${tests[8]}" "the roots table lacks one of them"
fi
summary='^VMFUNCs: ([0-9]+); EPTPs they switched to: ([0-9]+); roots those EPTPs ran on: [0-9]+; roots shared by two EPTPs: (.*)$'
line=$(sed -n '/^VMFUNCs: /p' "$tmp/map")
if [[ $line =~ $summary ]] && [ "${BASH_REMATCH[2]}" -ge 2 ] && [ "${BASH_REMATCH[3]}" = none ]; then
	ok "${tests[9]}"
else
	not_ok "${tests[9]}" "summary: ${line:-none}"
fi
if has_line '^[0-9]+ +0x[0-9a-f]+ +0x[0-9a-f]+ \(view [1-9].*#[0-9]+ 0x[0-9a-f]+, built for it$' "$tmp/map" &&
	has_line '^[0-9]+ +0x[0-9a-f]+ +0x[0-9a-f]+ \(view 0\) +#[0-9]+ 0x[0-9a-f]+, kept from before$' "$tmp/map"; then
	ok "${tests[10]}"
else
	not_ok "${tests[10]}" "no such VMFUNC rows"
fi
verdict 11 '^[0-9]+ +0x[0-9a-f]+ +- +refused: KVM reflected it to L1 \(exit 59\)$' "$tmp/map"
line=$(sed -n '/^entries remapped by a view/p' "$tmp/map")
if [[ $line =~ :\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge 1 ] &&
	has_line '^  L2 0x[0-9a-f]+ +-> L1 0x[0-9a-f]+ +-> hpa 0x[0-9a-f]+ .*\(remapped\)$' "$tmp/map"; then
	ok "${tests[12]}"
else
	not_ok "${tests[12]}" "${line:-no remapped count}"
fi
finish
