#!/usr/bin/env bash
# seed-trace.sh [-- VMM ARGS...]: the seed's probes on kvm_intel, in the
# intel world (make trace there: tools/inside-kvm/kvm-trace.sh hands over).
#
#   VMM ARGS  default: --timeout 60 -c 'test=views*' build/kernel.img: the
#             views tests, where the kernel is an L1 hypervisor and every
#             VMFUNC of its L2 is served by KVM's nested EPTP switching
#
# 1. The seed's two functions as tracefs kprobe events, which need no
#    bpftrace, with kvmmmu:kvm_mmu_set_spte, around one run of the VMM:
#    - every vmx_load_mmu_pgd (root_hpa, root_level): one root per EPTP L2
#      switches to, as KVM builds a shadow EPT for each view;
#    - the vmx_vcpu_load_vmcs count and its first events;
#    - the SPTEs KVM installed, EPT format, decoded by
#      tools/inside-kvm/spte_decode.py from the real values.
# 2. Then the seed's four bpftrace lines, verbatim, each around a boot-only
#    run: its events and maps, or bpftrace's own reason where it cannot
#    attach, or that bpftrace is not in this world (IN_KVM_BPFTRACE=1).
#    The VMM starts once bpftrace is idle, waiting for events: a kfunc
#    attaches seconds after bpftrace says "Attaching" under Bochs. Last,
#    since a line that hung the world would end it (125; the kfunc line
#    on vmx_vcpu_load_vmcs did once, before that wait): the part above has
#    been printed by then.
# Exit status: the traced VMM run's, or 126 when nothing can be traced.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../../.." || exit 126
VMM=${VMM:-build/vmm}
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || set -- --timeout 60 -c 'test=views*' build/kernel.img
say() { echo "seed-trace: $*"; }
cannot() { say "cannot trace: $*"; exit 126; }
[ "$(bash tools/worlds/kvm-name)" = kvm_intel ] || cannot "/dev/kvm is not served by kvm_intel here (KVM_WORLD=intel make trace)"
[ -x "$VMM" ] || cannot "no VMM at $VMM (run make)"
tmp=$(mktemp -d) || cannot "no temporary directory"
. tools/inside-kvm/tracefs.sh
trap '[ -z "$tfs_dir" ] || tfs_stop /dev/null; rm -rf "$tmp"' EXIT

# The kprobe events: the seed's functions, register by register (the
# x86-64 calling convention: vcpu, cpu or root_hpa, buddy or root_level).
tfs_init seed-trace || cannot "$tfs_why"
tfs_kprobe vmcs vmx_vcpu_load_vmcs 'vcpu=%di cpu=%si buddy=%dx' || cannot "$tfs_why"
tfs_kprobe pgd vmx_load_mmu_pgd 'vcpu=%di root_hpa=%si root_level=%dx' || cannot "$tfs_why"
tfs_event kvmmmu/kvm_mmu_set_spte || cannot "no kvmmmu:kvm_mmu_set_spte in tracefs"
"$VMM" "$@" >"$tmp/vmm" 2>&1
status=$?
tfs_stop "$tmp/trace"
grep -E '^ *vmm-' "$tmp/trace" >"$tmp/ev"

tally=$(grep -E '^[0-9]+ passed' "$tmp/vmm")
say "tracefs kprobe events around one run of $VMM $* (VMM exit $status${tally:+: $tally})"
echo "  vmx_load_mmu_pgd, every event (p:pgd vmx_load_mmu_pgd vcpu=%di root_hpa=%si root_level=%dx):"
grep ' pgd: ' "$tmp/ev" | sed 's/^ *\(vmm-[0-9]*\).*pgd: (\([^)]*\)) /  \1 \2 /' | sed 's/^/  /'
echo "  distinct MMU roots (root_hpa, level: loads):"
grep -o 'root_hpa=0x[0-9a-f]* root_level=0x[0-9a-f]*' "$tmp/ev" | sort | uniq -c | sort -rn |
	awk '{ printf "    %s %s: %d\n", $2, $3, $1 }'
echo "  vmx_vcpu_load_vmcs: $(grep -c ' vmcs: ' "$tmp/ev") loads; the first 5 (p:vmcs vmx_vcpu_load_vmcs vcpu=%di cpu=%si buddy=%dx):"
grep ' vmcs: ' "$tmp/ev" | head -n 5 | sed 's/^ *\(vmm-[0-9]*\).*vmcs: (\([^)]*\)) /  \1 \2 /' | sed 's/^/  /'
n=$(grep -c 'kvm_mmu_set_spte:' "$tmp/ev")
echo "  kvmmmu:kvm_mmu_set_spte: $n SPTEs installed; by level:"
sed -n 's/.*kvm_mmu_set_spte: .* level \([0-9]\).*/level \1/p' "$tmp/ev" | sort | uniq -c | sed 's/^/  /'
echo "  the first 6, decoded (tools/inside-kvm/spte_decode.py --format ept):"
sed -n 's/.*kvm_mmu_set_spte: gfn \([0-9a-f]*\) spte \([0-9a-f]*\) (\([^)]*\)) level \([0-9]\).*/\1 \2 \4/p' "$tmp/ev" |
	head -n 6 | while read -r gfn spte level; do
		echo "    gfn 0x$gfn level $level: $(python3 tools/inside-kvm/spte_decode.py --format ept --level "$level" "0x$spte" | tr '\n' ' ')"
	done
# The seed's lines (../shared/seeds/), character for character.
seed=(
'kprobe:vmx_vcpu_load_vmcs {printf("%s %016lx %d %016lx\n", comm, *arg0, arg1, *arg2);}'
'kprobe:vmx_load_mmu_pgd {printf("%s %016lx %016lx %d\n", comm, arg0, arg1, arg2);}'
'kfunc:vmx_load_mmu_pgd {printf("%s %016lx %ld %d\n", comm, args->vcpu, args->root_hpa, args->root_level); @[kstack()] = count(); @root_hpa[args->root_hpa] = count(); }'
'kfunc:vmx_vcpu_load_vmcs {printf("%s %016lx %d %016lx\n", comm, args->vcpu, args->cpu, args->buddy); @[kstack()] = count(); @vmcs_pos[args->buddy] = count();}'
)
say "the seed's bpftrace lines, each around a boot of $VMM (-c boot-only)"
for prog in "${seed[@]}"; do
	echo "  \$ bpftrace -e '$prog'"
	if ! command -v bpftrace >/dev/null; then
		echo "    not run: bpftrace is not in this world (with LLVM it is ~160 MB: IN_KVM_BPFTRACE=1 adds it); the kprobe events above stand in"
		continue
	fi
	bpftrace -e "$prog" >"$tmp/bt" 2>&1 &
	bt=$!
	for _ in $(seq 600); do
		grep -q '^Attaching' "$tmp/bt" && break
		kill -0 $bt 2>/dev/null || break
		sleep 0.5
	done
	# "Attaching N probes" comes before the attaching, which for a kfunc
	# (a BPF trampoline patched into the function) takes seconds under
	# Bochs: the VMM starts once bpftrace waits for events, idle in
	# epoll_wait at two looks 0.5 s apart.
	idle=0
	for _ in $(seq 240); do
		kill -0 $bt 2>/dev/null || break
		w=$(cat /proc/$bt/wchan 2>/dev/null)
		if [ "$w" = do_epoll_wait ]; then idle=$((idle + 1)); else idle=0; fi
		[ $idle -ge 2 ] && break
		sleep 0.5
	done
	if kill -0 $bt 2>/dev/null; then
		"$VMM" --timeout 60 -c boot-only build/kernel.img >/dev/null 2>&1
		sleep 1
		kill -INT $bt
	fi
	wait $bt
	echo "    bpftrace exit $?; its output (events of the VMM, then maps; 20 lines at most):"
	grep -v '^Attaching' "$tmp/bt" | grep -E '^(vmm|@|ERROR|stdin|  )|^[^ ]*[Ee]rror' | head -n 20 | sed 's/^/    /'
done

exit $status
