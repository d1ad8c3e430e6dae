#!/usr/bin/env bash
# kvm-trace.sh: run build/vmm under bpftrace and summarise what KVM did for it:
# exits by reason (in KVM and to the VMM), port I/O and boot stages, emulated
# instructions, shadow MMU pages, the MMU roots, MMU-root loads and vCPU loads.
#
#   tools/inside-kvm/kvm-trace.sh [-q] [--raw FILE] [--probes FILE] [-- VMM ARGS...]
#
#   VMM ARGS     default: --timeout 60 -c 'test=boot*' build/kernel.img
#   -q           do not print the probe table (tools/inside-kvm/kvm-probes.sh) first
#   --raw FILE   keep bpftrace's raw output (maps and events) in FILE
#   --probes FILE  use this output of tools/inside-kvm/kvm-probes.sh, from this same
#                world, instead of running it again (it costs seconds under
#                emulation)
#   VMM=PATH     the VMM binary (default build/vmm)
#
# It needs a KVM where it runs: on a machine without /dev/kvm run it under
# tools/worlds/in-kvm, as `make trace` does (Debian's kvm_amd under QEMU TCG). Its
# first line names the world and the KVM it traces.
#
# It asks tools/inside-kvm/kvm-probes.sh what this host can attach and builds the
# bpftrace program from the parts in tools/inside-kvm/kvm-*.bt that can run here: the
# kvm:* and kvmmmu:* tracepoints, the seed's function probes
# (vmx/svm/pvm_load_mmu_pgd, *_vcpu_load) as kfunc or kprobe where those
# work, and, where no load_mmu_pgd probe attaches, the MMU root read through
# BTF. It says up front what it attached and what not, and why. Only events
# of the VMM's process are counted. The function probes print every event
# (comm, vCPU, root HPA and level / cpu), then the summary gives the distinct
# roots, the loads of this boot and the top kernel stacks.
#
# Exit status: the VMM's, or 126 if nothing could be traced (the reason is
# printed). Needs root and bpftrace.
set -u

here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.." || exit 126
VMM=${VMM:-build/vmm}
quiet=0 raw="" probes_file=""
while [ $# -gt 0 ]; do
	case "$1" in
	-q) quiet=1 ;;
	--raw) raw=${2:?--raw needs a file}; shift ;;
	--probes) probes_file=${2:?--probes needs a file}; shift ;;
	--) shift; break ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "kvm-trace: unknown argument '$1' (try --help)" >&2; exit 126 ;;
	esac
	shift
done
# The intel world (kvm_intel under Bochs) has its own: the seed's lines
# verbatim and tracefs kprobe events that need no bpftrace.
[ "${KVM_WORLD:-}" = intel ] && exec bash "$here/../worlds/intel/seed-trace.sh" -- "$@"
[ $# -gt 0 ] || set -- --timeout 60 -c 'test=boot*' build/kernel.img

say() { echo "kvm-trace: $*"; }
cannot() { say "cannot trace: $*"; exit 126; }

. "$here/bpf_held.sh"

# ---- which world, which KVM ----------------------------------------------------------

# KVM_WORLD is set by tools/worlds/in-kvm; run directly, this is the host world.
kvm=$(bash "$here/../worlds/kvm-name")
case ${KVM_WORLD:-host} in
nested) world="nested world (Debian's $(uname -r) under QEMU TCG, tools/worlds/in-kvm)" ;;
*) world="host world ($(uname -r))" ;;
esac
say "tracing in the $world; /dev/kvm served by $kvm"
[ "$kvm" != none ] || cannot "no /dev/kvm here: run it under tools/worlds/in-kvm (make trace does), which boots a KVM under emulation"

[ -x "$VMM" ] || cannot "no VMM at $VMM (run make)"
# Before the probe table: that costs seconds, and without root it is moot.
[ "$(id -u)" -eq 0 ] || cannot "not root (bpftrace needs root)"
command -v bpftrace >/dev/null 2>&1 || cannot "bpftrace is not installed (Debian/Ubuntu package bpftrace)"

# ---- what this host has ------------------------------------------------------------

if [ -n "$probes_file" ]; then
	cp "$probes_file" "$tmp/probes" || cannot "cannot read $probes_file"
else
	bash "$here/kvm-probes.sh" >"$tmp/probes" 2>&1
fi
[ $quiet -eq 1 ] || { say "probes on this host (tools/inside-kvm/kvm-probes.sh):"; sed 's/^/  /' "$tmp/probes"; }

# has PROBE: kvm-probes.sh said "PROBE: yes". why PROBE: its reason.
has() { grep -q "^$1: yes" "$tmp/probes"; }
why() { sed -n "s/^$1: no (\(.*\))\$/\1/p" "$tmp/probes" | head -n1; }

has tracepoints || cannot "no usable tracepoints: $(why tracepoints)"

# ---- the program -------------------------------------------------------------------

prog=$tmp/prog.bt
printf '%s\n' 'BEGIN { printf("ev attached\n"); }' >"$prog"
: >"$tmp/fn.bt"
attached=() fn_attached=() parts=""

# part NAME FILE PROBE...: add FILE if every PROBE is usable, else say why not.
part() {
	local name=$1 file=$2 p missing=""
	shift 2
	for p in "$@"; do
		has "$p" || missing="${missing:+$missing; }$p: $(why "$p")"
	done
	if [ -n "$missing" ]; then
		say "not attached: $name: $missing"
		return 1
	fi
	cat "$here/$file" >>"$prog"
	attached+=("$@")
	parts="$parts $file"
	say "attached: $name: $*"
}

part "exits in KVM" kvm-tp-exits.bt tracepoint:kvm:kvm_exit tracepoint:kvm:kvm_entry
part "exits to the VMM" kvm-tp-userspace.bt tracepoint:kvm:kvm_userspace_exit tracepoint:kvm:kvm_pio tracepoint:kvm:kvm_mmio
part "emulated instructions" kvm-tp-emulate.bt tracepoint:kvm:kvm_emulate_insn
part "shadow MMU pages" kvm-tp-mmu.bt tracepoint:kvmmmu:kvm_mmu_get_page tracepoint:kvmmmu:kvm_mmu_prepare_zap_page tracepoint:kvm:kvm_page_fault
part "KVM_RUN calls and vCPU sched-ins" kvm-sched.bt tracepoint:syscalls:sys_enter_ioctl tracepoint:syscalls:sys_exit_ioctl tracepoint:sched:sched_switch

# fnpart NAME TEMPLATE ARGS FUNC...: the first FUNC that attaches as a kfunc
# (preferred: typed arguments) or a kprobe. ARGS are "placeholder=kprobe
# expression=kfunc expression" triples, comma-separated.
fnpart() {
	local name=$1 template=$2 args=$3 f kind sedargs a t ph kp kf
	shift 3
	local tried="" present=""
	for f in "$@"; do
		for kind in kfunc kprobe; do
			if has "$kind:$f"; then
				sedargs=(-e "s/__PROBE__/$kind:$f/")
				IFS=, read -ra a <<<"$args"
				for t in "${a[@]}"; do
					IFS='=' read -r ph kp kf <<<"$t"
					if [ $kind = kprobe ]; then sedargs+=(-e "s/$ph/$kp/g"); else sedargs+=(-e "s/$ph/$kf/g"); fi
				done
				sed "${sedargs[@]}" "$here/$template" >>"$tmp/fn.bt"
				fn_attached+=("$kind:$f")
				parts="$parts $template($kind:$f)"
				say "attached: $name: $kind:$f"
				echo "$kind:$f" >"$tmp/fn-$template"
				return 0
			fi
		done
		has "kallsyms:$f" && present="$present $f"
	done
	# Why not: no symbol, no mechanism, or each function's own reason.
	if [ -z "$present" ]; then
		tried="none of $* is in /proc/kallsyms"
	elif ! has kprobes && ! has kfunc; then
		tried="${present# } in /proc/kallsyms, but kprobes: no, kfunc: no (see above)"
	else
		for f in $present; do
			tried="${tried:+$tried; }kfunc:$f: $(why "kfunc:$f"); kprobe:$f: $(why "kprobe:$f")"
		done
	fi
	say "not attached: $name: $tried"
	[ -s "$tmp/fnwhy-$template" ] && printf '; ' >>"$tmp/fnwhy-$template"
	printf '%s' "$tried" >>"$tmp/fnwhy-$template"
	return 1
}

fnpart "MMU root loads" kvm-fn-rootload.bt \
	"__VCPU__=arg0=args->vcpu,__ROOT_HPA__=arg1=args->root_hpa,__ROOT_LEVEL__=arg2=args->root_level" \
	vmx_load_mmu_pgd svm_load_mmu_pgd pvm_load_mmu_pgd ||
	fnpart "MMU root loads (generic)" kvm-fn-rootload.bt \
		"__VCPU__=arg0=args->vcpu,__ROOT_HPA__=0=0,__ROOT_LEVEL__=-1=-1" kvm_mmu_load
fnpart "vCPU loads" kvm-fn-vcpuload.bt \
	"__VCPU__=arg0=args->vcpu,__CPU__=arg1=args->cpu" \
	vmx_vcpu_load_vmcs svm_vcpu_load pvm_vcpu_load kvm_arch_vcpu_load

# The BTF read stands in for the seed's probe only where that does not attach
# (kvm_pvm); it is also the slowest part to compile (a minute under TCG).
case $(cat "$tmp/fn-kvm-fn-rootload.bt" 2>/dev/null) in
*_load_mmu_pgd) say "not attached: MMU roots through BTF: not needed, $(cat "$tmp/fn-kvm-fn-rootload.bt") passes root_hpa and root_level" ;;
*) part "MMU roots through BTF" kvm-btf-root.bt btf:kvm_vcpu.arch.mmu.root ;;
esac

[ $((${#attached[@]} + ${#fn_attached[@]})) -gt 0 ] || cannot "none of the parts can be attached here (see above)"

# ---- run the VMM under it --------------------------------------------------------------

# --stage-exits: the stub writes its boot stages to port 0x80 too (an exit
# each, which it does not make by default), for the "boot stages" line.
held_vmm "$VMM" --stage-exits "$@"
if [ -s "$tmp/fn.bt" ]; then
	cat "$prog" "$tmp/fn.bt" >"$tmp/prog-fn.bt"
	if bpf_start "$tmp/prog-fn.bt"; then
		attached+=("${fn_attached[@]}")
	else
		err=$(grep -v RLIMIT_MEMLOCK "$tmp/bt.err" | grep -m1 ERROR | sed 's/^.*ERROR: //')
		say "not attached: ${fn_attached[*]}: bpftrace failed on them ($err); again without them"
		for t in kvm-fn-rootload.bt kvm-fn-vcpuload.bt; do
			if [ -s "$tmp/fn-$t" ]; then
				echo "$(cat "$tmp/fn-$t"): $err" >"$tmp/fnwhy-$t"
				rm -f "$tmp/fn-$t"
			fi
		done
		[ ${#attached[@]} -gt 0 ] || cannot "nothing else to attach"
		bpf_start "$prog" || cannot "bpftrace did not start (program: ${parts# })"
	fi
else
	bpf_start "$prog" || cannot "bpftrace did not start (program: ${parts# })"
fi
say "running: $VMM --stage-exits $*"
t0=$(date +%s.%N)
held_run
t1=$(date +%s.%N)
[ -n "$raw" ] && cp "$tmp/bt.out" "$raw"

# ---- the summary ----------------------------------------------------------------------

tracefs=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)

# Reason names from the tracepoints' own print formats: "isa code name" lines
# (isa 1 VMX, 2 SVM for kvm_exit; 0 for KVM_EXIT_* of kvm_userspace_exit).
names() { # names FORMAT_FILE FIRST_ISA
	sed -n 's/^print fmt: //p' "$1" 2>/dev/null | awk -v isa="$2" '
	function num(s,   n, i, c, neg) {
		gsub(/ /, "", s); neg = 0
		if (substr(s, 1, 1) == "-") { neg = 1; s = substr(s, 2) }
		n = 0
		if (s ~ /^0[xX]/) {
			s = tolower(substr(s, 3))
			for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		} else n = s + 0
		return neg ? -n : n
	}
	{
		nseg = split($0, seg, /__print_symbolic\(/)
		for (k = 2; k <= nseg; k++) {
			s = seg[k]
			while (match(s, /\{ *[-0-9a-fA-Fx+ ]+, *"[^}]*\}/)) {
				e = substr(s, RSTART + 1, RLENGTH - 2); s = substr(s, RSTART + RLENGTH)
				v = substr(e, 1, index(e, ",") - 1); nm = substr(e, index(e, ",") + 1)
				gsub(/" *"/, "", nm); gsub(/"/, "", nm); sub(/^ +/, "", nm); sub(/ +$/, "", nm); gsub(/ /, "_", nm)
				np = split(v, part, "+"); val = 0
				for (j = 1; j <= np; j++) val += num(part[j])
				print isa + k - 2, val, nm
			}
		}
	}'
}
{
	names "$tracefs/events/kvm/kvm_exit/format" 1
	names "$tracefs/events/kvm/kvm_userspace_exit/format" 0
} >"$tmp/names"

fnwhy() { cat "$tmp/fnwhy-$1" 2>/dev/null; }
fnname() { cat "$tmp/fn-$1" 2>/dev/null; }

echo
awk -v vmm="$VMM" -v pid="$vpid_done" -v status="$status" \
	-v secs="$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")" \
	-v kvm="$(sed -n 's/^# host: .*KVM: \([a-z_]*\).*/\1/p' "$tmp/probes")" \
	-v attached=" ${attached[*]} " \
	-v rootload_fn="$(fnname kvm-fn-rootload.bt)" -v rootload_why="$(fnwhy kvm-fn-rootload.bt)" \
	-v vcpuload_fn="$(fnname kvm-fn-vcpuload.bt)" -v vcpuload_why="$(fnwhy kvm-fn-vcpuload.bt)" \
	-v probes="$tmp/probes" -v names="$tmp/names" '
function hex(n) { return sprintf("0x%x", n) }
function on(p) { return index(attached, " " p " ") > 0 }
function why(p,   l, r) {
	r = ""
	while ((getline l < probes) > 0)
		if (index(l, p ": no (") == 1) { r = substr(l, length(p) + 6); sub(/\)$/, "", r) }
	close(probes)
	return r
}
function notattached(what, p) { printf "%s: not attached (%s: %s)\n", what, p, why(p) }
# The ports of our VMM (include/ports.h).
function port(p) {
	return hex(p) (p == 128 ? " (boot stage)" : p == 1280 ? " (hypercall)" : p == 1281 ? " (exit)" : p == 1282 ? " (null)" : p >= 1016 && p <= 1023 ? " (COM1)" : "")
}
function mode(f) { return f == 0 ? "real" : f == 3 ? "vm86" : f == 1 ? "prot16" : f == 5 ? "prot32" : f == 9 ? "prot64" : "flags " f }
BEGIN {
	# The function each stack map is of, and whether a kfunc took it.
	fn["root_load_stack"] = rootload_fn; fn["vcpu_load_stack"] = vcpuload_fn
	for (m in fn) { kfunc[m] = fn[m] ~ /^kfunc:/; sub(/^[a-z]+:/, "", fn[m]) }
}
FILENAME == names { name[$1 " " $2] = $3; next }
# Multi-line keys (kernel stacks): gather them, innermost frame first. A
# kfunc stack starts with frames of the BPF trampoline, which the kernel
# names after whatever symbol lies below them: they are dropped, the stack
# starts at the traced function.
stack != "" {
	if ($0 ~ /^\]: [0-9]+$/) {
		sub(/^\]: /, ""); k = ++nst[stack]; stn[stack, k] = $0 + 0
		sts[stack, k] = cur != "" ? cur : raw	# the function not found: all of it
		stack = ""; next
	}
	gsub(/^ +/, "")
	raw = raw (raw == "" ? "" : " <- ") $0
	if (cur == "" && fn[stack] != "" && index($0, fn[stack] "+") == 1) skipping[stack] = 0
	if (skipping[stack]) next
	cur = cur (cur == "" ? "" : " <- ") $0; next
}
/^@[a-z_]+\[$/ { stack = substr($0, 2, length($0) - 2); cur = raw = ""; skipping[stack] = fn[stack] != "" && kfunc[stack]; next }
/^ev stage / { stages = stages " 0x" $3; next }
/^ev root / {
	nroots++
	roots = roots sprintf("    %-14s level %s  first at rip 0x%s (cr3 0x%s)\n", "0x" $3, $5, $9, $11)
	next
}
# ev root_load vcpu V root_hpa H root_level L cpu C comm NAME
/^ev root_load / {
	nrl++
	c = $12; for (i = 13; i <= NF; i++) c = c " " $i
	if (nrl <= 20) rl = rl sprintf("    comm %s  vcpu 0x%s  root_hpa 0x%s  level %s  cpu %s\n", c, $4, $6, $8, $10)
	r = "0x" $6 "  level " $8
	if (!(r in rootn)) rootorder[++nroot] = r
	rootn[r]++
	next
}
# ev vcpu_load vcpu V cpu C comm NAME
/^ev vcpu_load / {
	nvl++
	c = $8; for (i = 9; i <= NF; i++) c = c " " $i
	if (nvl <= 20) vl = vl sprintf("    comm %s  vcpu 0x%s  cpu %s\n", c, $4, $6)
	r = "vcpu 0x" $4 " on cpu " $6
	if (!(r in vcpun)) vcpuorder[++nvcpu] = r
	vcpun[r]++
	next
}
/^ev emulation_failed / { efail = efail "    at " $3 "\n"; next }
/^@/ {
	# @map[k1, k2]: v   or   @map: v
	line = $0
	v = line; sub(/.*: /, "", v)
	m = line; sub(/[\[:].*/, "", m); m = substr(m, 2)
	k = ""
	if (index(line, "[")) { k = line; sub(/^[^\[]*\[/, "", k); sub(/\]: [0-9-]+$/, "", k); gsub(/ /, "", k) }
	n = split(k, key, ",")
	if (m == "exit") {
		# VMX: the basic reason is the low 16 bits. Keys print unsigned: -1 is 4294967295.
		c = key[2]; if (key[1] == 1) c = c % 65536; else if (c >= 2147483648) c = c - 4294967296
		r = name[key[1] " " c]; if (r == "") r = "isa " key[1] " reason " key[2]
		if (key[1] == 1 && key[2] >= 65536) r = r " " hex(key[2] - c)
		exits += v; exitby[r] += v
	}
	else if (m == "entry") entries += v
	else if (m == "uexit") { uexits += v; r = name["0 " key[1]]; if (r == "") r = "reason " key[1]; uexitby[r] += v }
	else if (m == "uexit_errno") { uexits += v; uexitby["errno " key[1] (key[1] == 4 ? " (EINTR)" : "")] += v }
	else if (m == "pio") { pios += v; pio[(key[1] == 1 ? "out" : "in ") " " port(key[2])] += v }
	else if (m == "mmio") { mmios += v; mmio[(key[1] == 2 ? "write" : key[1] == 1 ? "read " : "unsatisfied read") " " hex(key[2])] += v }
	else if (m == "emulated") { emul += v; emulby[mode(key[1])] += v }
	else if (m == "emulate_failed") efails += v
	else if (m == "sp_get") { if (key[1] == 1 || key[1] == "true") { spnew += v; spn["level " key[2] (key[3] == 1 ? " direct" : "")] += v } else { spold += v; spo["level " key[2] (key[3] == 1 ? " direct" : "")] += v } }
	else if (m == "sp_zap") { spzap += v; spz["level " key[1] (key[2] == 1 ? " direct" : "")] += v }
	else if (m == "page_fault") pfs += v
	else if (m == "root_changes") rootchanges += v
	else if (m == "root_loads") rootloads += v
	else if (m == "run_calls") { runs += v; runcpu = runcpu sprintf(" cpu%s:%d", key[1], v) }
	else if (m == "run_schedin") { schedins += v; schedcpu = schedcpu sprintf(" cpu%s:%d", key[1], v) }
	else if (m == "vcpu_load") vloads += v
	next
}
# rows(ARR, PREFIX): the "key count" lines of ARR, biggest count first.
function rows(arr, prefix,   k, n, i, j, t, ks) {
	n = 0
	for (k in arr) ks[++n] = k
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && arr[ks[j]] > arr[ks[j - 1]]; j--) { t = ks[j]; ks[j] = ks[j - 1]; ks[j - 1] = t }
	for (i = 1; i <= n; i++) printf "    %-28s %8d\n", prefix ks[i], arr[ks[i]]
}
# topstacks(MAP, N): the N most frequent kernel stacks of MAP.
function topstacks(m, top,   n, i, j, t, ix) {
	n = nst[m]
	for (i = 1; i <= n; i++) ix[i] = i
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && stn[m, ix[j]] > stn[m, ix[j - 1]]; j--) { t = ix[j]; ix[j] = ix[j - 1]; ix[j - 1] = t }
	printf "  top kernel stacks (%d of %d distinct, innermost first):\n", n < top ? n : top, n
	for (i = 1; i <= n && i <= top; i++) printf "    %d times: %s\n", stn[m, ix[i]], sts[m, ix[i]]
}
function table(arr, total, title) {
	printf "%s: %d\n", title, total
	rows(arr, "")
}
END {
	printf "== kvm-trace summary: %s (pid %s) exited with status %s after %s s\n", vmm, pid, status, secs
	if (on("tracepoint:kvm:kvm_userspace_exit")) {
		table(uexitby, uexits, "exits to the VMM (kvm:kvm_userspace_exit)")
		table(pio, pios, "port I/O (kvm:kvm_pio)")
		printf "boot stages (port 0x80 writes, in order):%s\n", stages == "" ? " none" : stages
		table(mmio, mmios, "MMIO (kvm:kvm_mmio)")
	} else notattached("exits to the VMM", "tracepoint:kvm:kvm_userspace_exit")
	if (on("tracepoint:kvm:kvm_exit")) {
		table(exitby, exits, "VM exits handled in KVM (kvm:kvm_exit)")
		if (exits == 0 && kvm == "kvm_pvm") print "    (none is expected on kvm_pvm: the guest'"'"'s CPL0 code is emulated, not run)"
		printf "VM entries (kvm:kvm_entry): %d\n", entries
	} else notattached("VM exits handled in KVM", "tracepoint:kvm:kvm_exit")
	if (on("tracepoint:kvm:kvm_emulate_insn")) {
		printf "emulated instructions (kvm:kvm_emulate_insn): %d, failed %d\n", emul, efails
		rows(emulby, "")
		printf "%s", efail
	} else notattached("emulated instructions", "tracepoint:kvm:kvm_emulate_insn")
	if (on("tracepoint:kvmmmu:kvm_mmu_get_page")) {
		printf "guest page faults handled by KVM (kvm:kvm_page_fault): %d\n", pfs
		printf "shadow MMU pages (kvmmmu:kvm_mmu_get_page): %d created, %d found existing\n", spnew, spold
		rows(spn, "created ")
		rows(spo, "existing ")
		table(spz, spzap, "shadow MMU pages zapped (kvmmmu:kvm_mmu_prepare_zap_page)")
	} else notattached("shadow MMU pages", "tracepoint:kvmmmu:kvm_mmu_get_page")
	if (on("btf:kvm_vcpu.arch.mmu.root")) {
		printf "MMU roots (vcpu->arch.mmu->root.hpa read through BTF at kvm_entry/kvm_emulate_insn): %d seen\n", nroots
		printf "%s", roots
	} else if (rootload_fn ~ /_load_mmu_pgd$/)
		printf "MMU roots through BTF: not attached (not needed: %s passes the root)\n", rootload_fn
	else notattached("MMU roots through BTF", "btf:kvm_vcpu.arch.mmu.root")
	# One VMM run is one boot of the image: these are the loads of that boot.
	if (rootload_fn != "") {
		printf "MMU root loads (%s): %d in this boot, %d printed\n", rootload_fn, rootloads, nrl
		printf "%s", rl
		if (nrl > 20) printf "    ... %d more\n", nrl - 20
		printf "  distinct roots: %d\n", nroot
		for (i = 1; i <= nroot; i++) printf "    %s  loaded %d times\n", rootorder[i], rootn[rootorder[i]]
		topstacks("root_load_stack", 3)
	} else {
		printf "MMU root loads: not attached (%s)\n", rootload_why
		if (on("btf:kvm_vcpu.arch.mmu.root")) print "    (the MMU roots above are what the loads would have shown)"
	}
	if (vcpuload_fn != "") {
		printf "vCPU loads (%s): %d in this boot, %d printed\n", vcpuload_fn, vloads, nvl
		printf "%s", vl
		if (nvl > 20) printf "    ... %d more\n", nvl - 20
		printf "  by vCPU and cpu:\n"
		for (i = 1; i <= nvcpu; i++) printf "    %s: %d\n", vcpuorder[i], vcpun[vcpuorder[i]]
		topstacks("vcpu_load_stack", 3)
	} else printf "vCPU loads: not attached (%s)\n", vcpuload_why
	if (on("tracepoint:sched:sched_switch")) {
		printf "KVM_RUN calls, each a vCPU load (syscalls:sys_enter_ioctl): %d,%s\n", runs, runcpu == "" ? " none" : runcpu
		printf "vCPU thread switched in inside KVM_RUN, each a vCPU load (sched:sched_switch): %d,%s\n", schedins, schedcpu == "" ? " none" : schedcpu
	}
}' "$tmp/names" "$tmp/bt.out"
exit "$status"
