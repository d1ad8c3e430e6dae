# Sourced by the tracing tools (kvm-trace.sh, kvm-mmu-map.sh): run the VMM
# under a bpftrace program from its first instruction. The VMM is started
# first but held on a FIFO until bpftrace has attached everything (its
# BEGIN printed "ev attached"), so its pid is known to the program and
# nothing it does is missed. Several VMMs may be held, for one program
# (its $1, $2, ... their pids) that they then run under one after the
# other: bpftrace compiles once (a minute under TCG). The caller defines
# say() and cannot().
# Waits use shell builtins only: under TCG every grep or sleep costs about
# half a second of the one CPU that bpftrace is compiling on.

tmp=$(mktemp -d)
vpids=() bpid=""
cleanup() {
	# Only our own children, by pid.
	[ ${#vpids[@]} -gt 0 ] && kill "${vpids[@]}" 2>/dev/null
	[ -n "$bpid" ] && kill -INT "$bpid" 2>/dev/null
	[ -z "${tfs_dir:-}" ] || tfs_stop /dev/null # tracefs.sh's instance
	rm -rf "$tmp"
}
trap cleanup EXIT
mkfifo "$tmp/tick"
exec {tick}<>"$tmp/tick"   # never written: read -t on it is a sleep

# held_vmm VMM ARGS...: start the VMM, held until held_run; its pid is
# appended to vpids.
held_vmm() {
	local go=$tmp/go.${#vpids[@]}
	mkfifo "$go"
	(
		read -r _ <"$go"
		exec "$@"
	) &
	vpids+=($!)
}

# bpf_start PROGRAM: bpftrace on PROGRAM for the held VMMs ($1, $2, ... in
# the program are their pids), output in $tmp/bt.out; 0 once it has
# attached everything, else 1 with its errors said.
bpf_start() {
	local t=0 l up=0
	# 2 MiB of perf buffer a CPU, not 256 KiB: a shadow MMU's walks come
	# thousands a boot (kvm_pvm: 1757 walks, 7028 entries), faster than read.
	BPFTRACE_PERF_RB_PAGES=${BPFTRACE_PERF_RB_PAGES:-512} bpftrace -B none "$1" "${vpids[@]}" >"$tmp/bt.out" 2>"$tmp/bt.err" &
	bpid=$!
	until [ $up = 1 ]; do
		if [ -f "$tmp/bt.out" ]; then   # bpftrace's shell may not have made it yet
			while IFS= read -r l; do [ "$l" = "ev attached" ] && up=1; done <"$tmp/bt.out"
			[ $up = 1 ] && break
		fi
		# Compiling takes seconds natively, up to a minute or two under TCG.
		if ! kill -0 "$bpid" 2>/dev/null || [ $t -ge 600 ]; then
			kill -INT "$bpid" 2>/dev/null
			wait "$bpid" 2>/dev/null
			bpid=""
			grep -v -e RLIMIT_MEMLOCK -e 'is not traceable' -e '^$' "$tmp/bt.err" |
				awk '!seen[$0]++' | head -n 10 | while IFS= read -r l; do say "bpftrace: $l"; done
			return 1
		fi
		read -r -t 0.3 -u "$tick"
		t=$((t + 1))
	done
}

# held_run: release the VMMs one after the other, each once the last has
# ended (statuses[i] and vpids_done[i]; $status and $vpid_done are the
# last one's), then stop bpftrace and say whether it lost events.
held_run() {
	local i
	statuses=() vpids_done=()
	for i in "${!vpids[@]}"; do
		echo go >"$tmp/go.$i"
		wait "${vpids[$i]}"
		statuses+=($?)
		vpids_done+=("${vpids[$i]}")
	done
	vpids=()
	status=${statuses[-1]} vpid_done=${vpids_done[-1]}
	[ -n "$bpid" ] || return 0 # no bpftrace: tracefs events (tracefs.sh)
	# The VM's teardown (its last events) is still in the perf buffers:
	# a second for bpftrace to read them before SIGINT ends it.
	read -r -t 1 -u "$tick"
	bpf_stop
	wait "$bpid"
	bpid=""
	grep -i lost "$tmp/bt.err" | while IFS= read -r l; do say "bpftrace: $l"; done
}

# bpf_stop: SIGINT bpftrace until it has ended (a zombie, or already
# reaped by bash, which keeps its status for wait).
# bpftrace 0.17 looks for its SIGINT only between waits for events: one that
# lands while it reads a burst is seen at the next event or signal, and
# after the VMM's exit none come. Seen on kvm_pvm: about one stop in six hung
# for good in epoll_wait on a single SIGINT; a second one ended it. A
# bpftrace that saw the first is busy printing its maps and detaching (for
# seconds under TCG), and a second SIGINT then cuts its output short: so it
# is sent only to one found idle in epoll_wait at two looks 0.5 s apart.
bpf_stop() {
	local st=R w n=0 idle=0
	kill -INT "$bpid"
	while read -r _ _ st _ 2>/dev/null <"/proc/$bpid/stat" && [ "$st" != Z ]; do
		read -r -t 0.5 -u "$tick"
		w="" n=$((n + 1))
		read -r w 2>/dev/null <"/proc/$bpid/wchan"   # no newline: status 1
		if [ "$w" = do_epoll_wait ]; then idle=$((idle + 1)); else idle=0; fi
		if [ $idle -ge 2 ]; then
			kill -INT "$bpid" 2>/dev/null
			idle=0
		fi
		if [ $n -ge 600 ]; then
			say "bpftrace: still running 5 minutes after SIGINT; killed, its END output is lost"
			kill -KILL "$bpid" 2>/dev/null
			return
		fi
	done
}
