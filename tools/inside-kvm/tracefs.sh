# Sourced by the tracing tools (kvm-mmu-map.sh, tools/worlds/intel/seed-trace.sh):
# trace events and kprobe events read from tracefs, with no bpftrace. Each
# user gets a tracefs instance of its own (its own buffer and enables), so
# two tools tracing at once do not read each other's events; kprobe events
# are global, and are taken back at tfs_stop. The clock is "mono", the
# clock of bpftrace's nsecs, so the two tools' events can be merged by time.
#
#   tfs_init NAME        the instance (0, or 1 with the reason in $tfs_why)
#   tfs_event SYS/EVENT [FILTER]     enable a trace event (1: not there)
#   tfs_kprobe NAME FUNC FETCHARGS   a kprobe event NAME on FUNC, enabled
#                        (1, with the kernel's refusal in $tfs_why)
#   tfs_stop FILE        stop, write the buffer to FILE, take everything back
tfs_on=() tfs_kprobes=() tfs_dir=""

tfs_init() {
	local root
	root=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
	if [ -z "$root" ]; then
		# As tools/inside-kvm/kvm-probes.sh: mount it where the kernel expects it.
		if ! mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null; then
			tfs_why="tracefs is not mounted, and mounting it on /sys/kernel/tracing failed (not root?)"
			return 1
		fi
		root=/sys/kernel/tracing
	fi
	TFS_ROOT=$root
	tfs_dir=$root/instances/$1.$$
	if ! mkdir "$tfs_dir" 2>/dev/null; then tfs_why="cannot make $tfs_dir (not root?)"; tfs_dir=""; return 1; fi
	echo 0 >"$tfs_dir/tracing_on"
	echo mono >"$tfs_dir/trace_clock"
	# The process, not the thread: KVM's own workers (kvm-nx-lpage-recovery)
	# are threads of the VMM's process, as bpftrace's pid counts them.
	echo 1 >"$tfs_dir/options/record-tgid" 2>/dev/null
	# Per CPU. A views run of the kernel under kvm_intel: ~2 MiB of text.
	echo "${TFS_BUFFER_KB:-16384}" >"$tfs_dir/buffer_size_kb"
	echo 1 >"$tfs_dir/tracing_on"
}

tfs_event() {
	local d=$tfs_dir/events/$1
	[ -d "$d" ] || return 1
	if [ -n "${2:-}" ] && ! echo "$2" >"$d/filter" 2>/dev/null; then
		tfs_why="the kernel refused the filter '$2' on $1"
		return 1
	fi
	echo 1 >"$d/enable" && tfs_on+=("$1")
}

tfs_kprobe() {
	if [ ! -w "$TFS_ROOT/kprobe_events" ]; then
		tfs_why="no kprobe events in this kernel ($TFS_ROOT/kprobe_events)"
		return 1
	fi
	if ! echo "p:$1 $2 $3" >>"$TFS_ROOT/kprobe_events" 2>/dev/null; then
		tfs_why="the kernel refused 'p:$1 $2 $3' (is $2 in /proc/kallsyms?)"
		return 1
	fi
	tfs_kprobes+=("$1")
	tfs_event "kprobes/$1"
}

tfs_stop() {
	local e k lost
	[ -n "$tfs_dir" ] || return 0
	echo 0 >"$tfs_dir/tracing_on"
	cat "$tfs_dir/trace" >"$1"
	lost=$(awk '/^overrun:/ { n += $2 } END { print n + 0 }' "$tfs_dir"/per_cpu/cpu*/stats)
	[ "$lost" = 0 ] || echo "tracefs: $lost events lost (the buffer was full: TFS_BUFFER_KB, KiB per CPU)" >&2
	# Disabled first: an enabled kprobe event cannot be removed. (Filters
	# go with the instance.)
	for e in "${tfs_on[@]}"; do echo 0 >"$tfs_dir/events/$e/enable"; done
	for k in "${tfs_kprobes[@]}"; do echo "-:$k" >>"$TFS_ROOT/kprobe_events"; done
	rmdir "$tfs_dir"
	tfs_on=() tfs_kprobes=() tfs_dir=""
}
