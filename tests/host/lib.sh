# Shared by the host test scripts: TAP counters and helpers that run the
# VMM and check its exit status and messages. Source it; it needs $VMM.

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0 passed=0 failed=0 skipped=0

ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $1"; }
skip() { n=$((n + 1)); skipped=$((skipped + 1)); echo "ok $n - $1 # SKIP $2"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - $1 # $2"
	sed 's/^/#   stderr: /' "$tmp/err" | head -n 20
	sed 's/^/#   stdout: /' "$tmp/out" | head -n 5
}

# vmm ARGS...: run the VMM; sets $status and $elapsed (seconds), leaves
# its output in $tmp/out (or $VMM_STDOUT if set: a FIFO, /dev/full...) and
# $tmp/err. The outer timeout only keeps a broken VMM from hanging the suite.
# (The clock is bash's own: under TCG or Bochs every process the suite
# starts costs tenths of a second, and this runs ~150 times a suite.)
vmm() {
	local t0=${EPOCHREALTIME/[.,]/} t1
	timeout -k 2 30 "$VMM" "$@" >"${VMM_STDOUT:-$tmp/out}" 2>"$tmp/err"
	status=$?
	t1=${EPOCHREALTIME/[.,]/}
	printf -v elapsed '%d.%02d' $(((t1 - t0) / 1000000)) $(((t1 - t0) / 10000 % 100))
}

# expect DESC STATUS STDERR_REGEX ARGS...: the VMM must exit with STATUS
# and its stderr must match STDERR_REGEX (grep -E); an empty regex means
# stderr must be empty.
expect() {
	local desc=$1 want=$2 re=$3
	shift 3
	vmm "$@"
	check "$desc" "$want" "$re"
}

# has_line REGEX FILE: a line of FILE matches REGEX (extended, as grep -E),
# in bash alone: a grep a check is a process more under TCG or Bochs.
has_line() {
	local l
	while IFS= read -r l || [ -n "$l" ]; do
		[[ $l =~ $1 ]] && return 0
	done <"$2"
	return 1
}

# check DESC STATUS STDERR_REGEX: expect's verdict on a run made otherwise
# ($status and $tmp/err already set).
check() {
	local desc=$1 want=$2 re=$3
	if [ "$status" != "$want" ]; then
		not_ok "$desc" "exit status $status, expected $want"
	elif [ -z "$re" ] && [ -s "$tmp/err" ]; then
		not_ok "$desc" "unexpected stderr"
	elif [ -n "$re" ] && ! has_line "$re" "$tmp/err"; then
		not_ok "$desc" "stderr does not match /$re/"
	else
		ok "$desc"
	fi
}

# expect_stdout DESC TEXT: after an expect, stdout must be exactly TEXT
# (plus a final newline).
expect_stdout() {
	if [ "$(cat "$tmp/out")" == "$2" ] && [ "$(tail -c 1 "$tmp/out" | od -An -c | tr -d ' ')" == '\n' ]; then
		ok "$1"
	else
		not_ok "$1" "stdout is not exactly '$2'"
	fi
}

# finish: the closing line; the exit status says whether anything failed.
finish() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}
