#!/usr/bin/env bash
# kvm-probes.sh: what can be attached to KVM on this host, and why not.
#
# For each function of the seed's bpftrace one-liners (vmx_load_mmu_pgd,
# vmx_vcpu_load_vmcs) and its counterparts on kvm_amd and kvm_pvm, plus the
# generic kvm_mmu_load and kvm_arch_vcpu_load, it says whether the symbol is
# in /proc/kallsyms, whether a kprobe and a kfunc (fentry) program attach to
# it (a real test attach with bpftrace), and which kvm:* and kvmmmu:*
# tracepoints exist. Every probe gets one line:
#
#   PROBE: yes (how it was checked)
#   PROBE: no (why not)
#
# tools/inside-kvm/kvm-trace.sh reads these lines to decide what to attach. Lines that
# start with '#' are explanations. As root it mounts tracefs if it is not
# mounted. Takes a few seconds (one bpftrace test attach per candidate).
#
# Under emulation (the nested world of tools/worlds/in-kvm) each bpftrace start
# costs seconds, so the functions are first test-attached all in one
# program, and one by one only if that fails; and the BTF root check (a
# minute to compile there) is left out where a *_load_mmu_pgd probe attaches
# and gives the root itself, unless --btf asks for it.
#
#   tools/inside-kvm/kvm-probes.sh          the table
#   tools/inside-kvm/kvm-probes.sh --all    also list every kvm:* and kvmmmu:* tracepoint
#   tools/inside-kvm/kvm-probes.sh --btf    check the BTF root read even where not needed
set -u

all=0 btf_always=0
for a in "$@"; do
	case "$a" in
	--all) all=1 ;;
	--btf) btf_always=1 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "kvm-probes: unknown argument '$a' (try --help)" >&2; exit 2 ;;
	esac
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- the host ---------------------------------------------------------------

root=0
[ "$(id -u)" -eq 0 ] && root=1

# Which KVM serves /dev/kvm: a loaded module, a built-in one (it has a
# /sys/module entry but no refcnt), or none.
kvm_flavor=none kvm_how=""
for m in kvm_intel kvm_amd kvm_pvm; do
	if [ -d "/sys/module/$m" ]; then
		kvm_flavor=$m
		if [ -e "/sys/module/$m/refcnt" ]; then kvm_how="loaded module"; else kvm_how="built into the kernel"; fi
		break
	fi
done
if [ "$kvm_flavor" = none ]; then
	# A built-in KVM without module parameters has no /sys/module entry.
	for pair in vmx_vcpu_run:kvm_intel svm_vcpu_run:kvm_amd pvm_vcpu_run:kvm_pvm; do
		if grep -qE " ${pair%%:*}( |$)" /proc/kallsyms 2>/dev/null; then
			kvm_flavor=${pair##*:} kvm_how="found in /proc/kallsyms"
			break
		fi
	done
fi

# The kernel's configuration, when the kernel shows it.
kconfig() { # kconfig NAME -> "y", "m", "not set" or "" (unknown)
	local line
	if [ -r /proc/config.gz ]; then
		line=$(zcat /proc/config.gz 2>/dev/null | grep -E "^(# )?$1[= ]")
	elif [ -r "/boot/config-$(uname -r)" ]; then
		line=$(grep -E "^(# )?$1[= ]" "/boot/config-$(uname -r)")
	else
		return
	fi
	case "$line" in
	"# $1 is not set") echo "not set" ;;
	"$1="*) echo "${line#*=}" ;;
	esac
}

# tracefs: find it, or mount it (root only).
tracefs=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
tracefs_note=""
if [ -z "$tracefs" ]; then
	if [ $root -eq 1 ] && [ -d /sys/kernel/tracing ] &&
		mount -t tracefs tracefs /sys/kernel/tracing 2>"$tmp/mount.err"; then
		tracefs=/sys/kernel/tracing tracefs_note="mounted now"
	elif [ $root -eq 1 ]; then
		tracefs_note="not mounted, and mounting it failed: $(head -n1 "$tmp/mount.err" 2>/dev/null)"
	else
		tracefs_note="not mounted, and only root can mount it"
	fi
fi

# Generous: under TCG one bpftrace start takes 5-15 s, more on a busy machine.
bt_timeout=90
bpftrace_version="" bt_info=""
if command -v bpftrace >/dev/null 2>&1; then
	# --info carries the version too: one start instead of two.
	[ $root -eq 1 ] && bt_info=$(timeout $bt_timeout bpftrace --info 2>&1)
	bpftrace_version=$(printf '%s\n' "$bt_info" | awk '$1 == "version:" { print $2; exit }')
	[ -n "$bpftrace_version" ] || bpftrace_version=$(bpftrace --version 2>/dev/null | awk '{ print $2 }')
fi

# bt_feature NAME: the yes/no bpftrace --info gives a probe type ("kfunc").
bt_feature() { printf '%s\n' "$bt_info" | awk -v k="$1:" '$1 == k { print $2; exit }'; }

# try_attach PROGRAM: a real attach; returns 0 if bpftrace attached and ran
# BEGIN. On failure $tmp/attach.err holds its first error line.
try_attach() {
	timeout $bt_timeout bpftrace -e "$1"' BEGIN { exit(); }' >"$tmp/attach.out" 2>"$tmp/attach.all"
	local rc=$?
	[ $rc -eq 124 ] && echo "ERROR: bpftrace did not attach within $bt_timeout s" >>"$tmp/attach.all"
	grep -v -e RLIMIT_MEMLOCK -e '^$' "$tmp/attach.all" | grep -m1 -E 'ERROR|error' >"$tmp/attach.err"
	[ -s "$tmp/attach.err" ] || grep -v -e RLIMIT_MEMLOCK -e '^$' "$tmp/attach.all" | head -n1 >"$tmp/attach.err"
	[ $rc -eq 0 ] && grep -q '^Attaching' "$tmp/attach.out" "$tmp/attach.all"
}
attach_err() { sed -e 's/^ERROR: //' -e 's/^stdin:[0-9:-]*: //' "$tmp/attach.err" | head -c 160; }

# Why bpftrace cannot be used at all ("" if it can).
no_bpftrace=""
if [ -z "$bpftrace_version" ]; then
	no_bpftrace="bpftrace is not installed (Debian/Ubuntu package bpftrace)"
elif [ $root -eq 0 ]; then
	no_bpftrace="not root: bpftrace needs root (CAP_BPF and CAP_PERFMON)"
fi

# ---- the mechanisms: kprobes, kfunc/fentry, tracepoints -----------------------

# kprobes: bpftrace attaches through the kprobe PMU or tracefs kprobe_events.
kprobe_infra=""
[ -e /sys/bus/event_source/devices/kprobe/type ] && kprobe_infra="kprobe PMU"
[ -n "$tracefs" ] && [ -e "$tracefs/kprobe_events" ] && kprobe_infra="${kprobe_infra:+$kprobe_infra, }tracefs kprobe_events"
kprobes_no=""
if [ -z "$kprobe_infra" ]; then
	c=$(kconfig CONFIG_KPROBES)
	kprobes_no="this kernel has no kprobes${c:+ (CONFIG_KPROBES ${c/#y/=y})}: no kprobe PMU in /sys/bus/event_source/devices"
	[ -n "$tracefs" ] && kprobes_no="$kprobes_no, no $tracefs/kprobe_events"
elif [ -n "$no_bpftrace" ]; then
	kprobes_no="kernel has kprobes ($kprobe_infra), but $no_bpftrace"
fi

# kfunc/fentry: bpftrace --info loads a test fentry program.
kfunc_no=""
if [ -n "$no_bpftrace" ]; then
	kfunc_no=$no_bpftrace
elif [ ! -e /sys/kernel/btf/vmlinux ]; then
	kfunc_no="no kernel BTF (/sys/kernel/btf/vmlinux); CONFIG_DEBUG_INFO_BTF $(kconfig CONFIG_DEBUG_INFO_BTF)"
elif [ "$(bt_feature kfunc)" != yes ]; then
	kfunc_no="this kernel refuses fentry programs: bpftrace --info says kfunc: $(bt_feature kfunc)"
fi

# The per-function lines give the short form; the lines above the details.
kprobes_short="" kfunc_short=""
[ -z "$kprobe_infra" ] && kprobes_short="this kernel has no kprobes"
[ -n "$kfunc_no" ] && [ -z "$no_bpftrace" ] && [ -e /sys/kernel/btf/vmlinux ] && kfunc_short="this kernel refuses kfunc (fentry) programs"

# ---- the functions, and the test attaches ----------------------------------------

# name:owner:what (owner is the KVM flavour that has the function)
funcs=(
	"vmx_load_mmu_pgd:kvm_intel:MMU root load (vcpu, root_hpa, root_level); the seed's one-liner"
	"vmx_vcpu_load_vmcs:kvm_intel:vCPU load / VMCS switch (vcpu, cpu[, buddy]); the seed's one-liner"
	"svm_load_mmu_pgd:kvm_amd:MMU root load (vcpu, root_hpa, root_level)"
	"svm_vcpu_load:kvm_amd:vCPU load (vcpu, cpu)"
	"pvm_load_mmu_pgd:kvm_pvm:MMU root load (vcpu, root_hpa, root_level)"
	"pvm_vcpu_load:kvm_pvm:vCPU load (vcpu, cpu)"
	"kvm_mmu_load:kvm:MMU root allocation and load, all vendors (vcpu)"
	"kvm_arch_vcpu_load:kvm:vCPU load, all vendors (vcpu, cpu)"
)

# One pass over /proc/kallsyms (each pass is about a second under TCG):
# the functions' own lines, and compiler copies such as NAME.isra.0.
names=""
for f in "${funcs[@]}"; do names="$names ${f%%:*}"; done
awk -v names="$names" 'BEGIN { n = split(names, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
	{ s = $3; sub(/\..*/, "", s) } want[s]' /proc/kallsyms >"$tmp/ksyms" 2>/dev/null
# ksym[NAME]: its /proc/kallsyms line, if it is there.
declare -A ksym=()
for f in "${funcs[@]}"; do
	name=${f%%:*}
	ksym[$name]=$(awk -v n="$name" '$3 == n { print; exit }' "$tmp/ksyms")
done

# The candidates: the tracepoint test, then a kprobe and a kfunc on each
# function present, where the mechanism is there at all.
tp_no=""
if [ -z "$tracefs" ]; then
	tp_no="no tracefs: $tracefs_note"
elif [ ! -d "$tracefs/events/kvm" ]; then
	tp_no="no kvm tracepoints in $tracefs/events (KVM not in this kernel?)"
elif [ -n "$no_bpftrace" ]; then
	tp_no=$no_bpftrace
fi
cands=()
[ -z "$tp_no" ] && cands+=(tracepoint:kvm:kvm_userspace_exit)
for f in "${funcs[@]}"; do
	name=${f%%:*}
	[ -n "${ksym[$name]}" ] || continue
	[ -z "$kprobes_no" ] && cands+=("kprobe:$name")
	[ -z "$kfunc_no" ] && cands+=("kfunc:$name")
done

# attach_ok[PROBE]: "yes (how)" or "no (why)". One program with all of
# them first; where that fails, each alone for its own reason.
declare -A attach_ok=()
if [ ${#cands[@]} -gt 0 ]; then
	progall=""
	for c in "${cands[@]}"; do progall="$progall $c { @n = count(); }"; done
	if [ ${#cands[@]} -gt 1 ] && try_attach "$progall"; then
		for c in "${cands[@]}"; do attach_ok[$c]="yes (test attach, all ${#cands[@]} candidates in one program)"; done
	else
		for c in "${cands[@]}"; do
			if try_attach "$c { @n = count(); }"; then
				attach_ok[$c]="yes (test attach)"
			else
				attach_ok[$c]="no (test attach failed: $(attach_err))"
			fi
		done
	fi
fi
if [ -z "$tp_no" ] && [[ ${attach_ok[tracepoint:kvm:kvm_userspace_exit]} != yes* ]]; then
	tp_no="test attach to tracepoint:kvm:kvm_userspace_exit failed: ${attach_ok[tracepoint:kvm:kvm_userspace_exit]#no (test attach failed: }"
	tp_no=${tp_no%)}
fi

echo "# host: $(uname -sr); KVM: $kvm_flavor${kvm_how:+ ($kvm_how)}; /dev/kvm: $([ -e /dev/kvm ] && echo present || echo absent); root: $([ $root -eq 1 ] && echo yes || echo no)"
echo "# bpftrace: ${bpftrace_version:-not installed}; tracefs: ${tracefs:-none}${tracefs_note:+ ($tracefs_note)}; kernel BTF: $([ -e /sys/kernel/btf/vmlinux ] && echo yes || echo no)"
if [ -z "$kprobes_no" ]; then echo "kprobes: yes ($kprobe_infra)"; else echo "kprobes: no ($kprobes_no)"; fi
if [ -z "$kfunc_no" ]; then echo "kfunc: yes (bpftrace --info: kfunc: yes)"; else echo "kfunc: no ($kfunc_no)"; fi
if [ -z "$tp_no" ]; then echo "tracepoints: yes (test attach to tracepoint:kvm:kvm_userspace_exit)"; else echo "tracepoints: no ($tp_no)"; fi

echo "# functions: kallsyms, then kprobe and kfunc (a test attach each)"
root_fn=""   # the first *_load_mmu_pgd probe that attaches (for the BTF check)
for f in "${funcs[@]}"; do
	name=${f%%:*} rest=${f#*:}
	owner=${rest%%:*} what=${rest#*:}
	echo "# $name ($owner): $what"
	line=${ksym[$name]}
	if [ -n "$line" ]; then
		mod=$(printf '%s\n' "$line" | sed -n 's/.*\[\(.*\)\].*/\1/p')
		echo "kallsyms:$name: yes ($([ -n "$mod" ] && echo "module $mod" || echo "built in"), type $(printf '%s\n' "$line" | awk '{ print $2 }'))"
	else
		variant=$(awk -v n="$name" 'index($3, n ".") == 1 { print $3; exit }' "$tmp/ksyms")
		if [ -n "$variant" ]; then
			absent="symbol absent: only the compiler's copy $variant is in /proc/kallsyms"
		elif [ "$owner" != kvm ] && [ "$owner" != "$kvm_flavor" ]; then
			absent="symbol absent: this host's KVM is $kvm_flavor"
		else
			absent="symbol absent from /proc/kallsyms: inlined or renamed in this kernel"
		fi
		echo "kallsyms:$name: no ($absent)"
		echo "kprobe:$name: no ($absent)"
		echo "kfunc:$name: no ($absent)"
		continue
	fi
	if [ -n "$kprobes_no" ]; then
		echo "kprobe:$name: no (symbol present, but ${kprobes_short:-$kprobes_no})"
	else
		echo "kprobe:$name: ${attach_ok[kprobe:$name]}"
	fi
	if [ -n "$kfunc_no" ]; then
		echo "kfunc:$name: no (symbol present, but ${kfunc_short:-$kfunc_no})"
	else
		echo "kfunc:$name: ${attach_ok[kfunc:$name]}"
	fi
	if [ -z "$root_fn" ] && [[ $name == *_load_mmu_pgd ]]; then
		for k in kfunc kprobe; do
			[[ ${attach_ok[$k:$name]:-} == yes* ]] && { root_fn=$k:$name; break; }
		done
	fi
done

# ---- tracepoints ----------------------------------------------------------------

# Those kvm-trace.sh uses, and a few more worth knowing about.
tps=(
	kvm:kvm_exit kvm:kvm_entry kvm:kvm_userspace_exit kvm:kvm_pio kvm:kvm_mmio
	kvm:kvm_emulate_insn kvm:kvm_page_fault kvm:kvm_hypercall kvm:kvm_inj_exception
	kvmmmu:kvm_mmu_get_page kvmmmu:kvm_mmu_prepare_zap_page kvmmmu:kvm_mmu_set_spte
	syscalls:sys_enter_ioctl syscalls:sys_exit_ioctl sched:sched_switch
)
if [ -n "$tracefs" ]; then
	nkvm=$(find "$tracefs/events/kvm" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
	nmmu=$(find "$tracefs/events/kvmmmu" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
	echo "# tracepoints: $nkvm kvm:*, $nmmu kvmmmu:* in $tracefs/events"
else
	echo "# tracepoints: cannot list them without tracefs"
fi
for tp in "${tps[@]}"; do
	if [ -n "$tp_no" ]; then
		echo "tracepoint:$tp: no ($tp_no)"
	elif [ -d "$tracefs/events/${tp%%:*}/${tp#*:}" ]; then
		echo "tracepoint:$tp: yes (in $tracefs/events)"
	else
		echo "tracepoint:$tp: no (not in $tracefs/events on this kernel)"
	fi
done

# ---- the MMU root through BTF ---------------------------------------------------

# tools/inside-kvm/kvm-btf-root.bt reads vcpu->arch.mmu->root.hpa (the value that
# *_load_mmu_pgd receives) at kvm tracepoints, finding the vCPU through the
# vCPU file's private_data. It needs kernel BTF for struct kvm_vcpu: compile
# it without attaching.
btf_probe=btf:kvm_vcpu.arch.mmu.root
dir=$(cd "$(dirname "$0")" && pwd)
if [ -n "$tp_no" ]; then
	echo "$btf_probe: no ($tp_no)"
elif [ ! -e /sys/kernel/btf/vmlinux ]; then
	echo "$btf_probe: no (no kernel BTF: /sys/kernel/btf/vmlinux is absent)"
elif [ ! -d "$tracefs/events/kvm/kvm_entry" ] || [ ! -d "$tracefs/events/kvm/kvm_emulate_insn" ]; then
	echo "$btf_probe: no (needs tracepoints kvm:kvm_entry and kvm:kvm_emulate_insn)"
elif [ -n "$root_fn" ] && [ $btf_always -eq 0 ]; then
	# Measured under the nested world's TCG: this compile takes about a minute,
	# and kvm-trace.sh does not use the BTF read where a load_mmu_pgd probe works.
	echo "$btf_probe: no (not checked: $root_fn attaches and passes root_hpa itself; --btf checks it anyway)"
elif timeout $bt_timeout bpftrace --emit-elf "$tmp/root.elf" "$dir/kvm-btf-root.bt" 1 >/dev/null 2>"$tmp/attach.all"; then
	echo "$btf_probe: yes (tools/inside-kvm/kvm-btf-root.bt compiles against kernel BTF; read at kvm:kvm_entry and kvm:kvm_emulate_insn)"
else
	[ $? -eq 124 ] && echo "ERROR: bpftrace did not finish compiling it within $bt_timeout s" >>"$tmp/attach.all"
	grep -v RLIMIT_MEMLOCK "$tmp/attach.all" | grep -m1 ERROR >"$tmp/attach.err"
	echo "$btf_probe: no (tools/inside-kvm/kvm-btf-root.bt does not compile here: $(attach_err))"
fi

if [ $all -eq 1 ] && [ -n "$tracefs" ]; then
	echo "# every kvm and kvmmmu tracepoint:"
	for d in "$tracefs"/events/kvm/*/ "$tracefs"/events/kvmmmu/*/; do
		[ -d "$d" ] || continue
		d=${d%/}
		echo "#   $(basename "$(dirname "$d")"):$(basename "$d")"
	done
fi
exit 0
