#!/usr/bin/env bash
# Host tests of where the time goes: --trace-json writes a Chrome
# trace-event file (parsed by Python's json) with a known guest's events in
# order, the buffer bound is said when reached, and --stats prints the
# boot timeline in order. Nothing here checks a time, only order and sign.
# One Python run checks every file (it takes seconds to start in the nested
# world).
#
#   VMM=build/vmm GUESTS=build/guests IMG=build/kernel.img bash tests/host/trace_json.sh
set -u
VMM=${VMM:?set VMM to the vmm binary}
GUESTS=${GUESTS:?set GUESTS to the directory of built test guests}
IMG=${IMG:?set IMG to the kernel image}
. "$(dirname "$0")/lib.sh"

expect "trace-json: the hypercall guest runs traced, sandboxed, with its status" 42 "misaligned.*logged once" \
	--trace-json "$tmp/hc.json" "$GUESTS/hypercall.img"
VMM_TRACE_JSON_MAX=2 vmm --trace-json "$tmp/bound.json" "$GUESTS/hypercall.img"
check "trace-json: a bound of 2 exits is said on stderr" 42 \
	"^vmm: --trace-json: buffer full at 2 exits: 4 later exits not recorded in '.*bound.json'$"
expect "trace-json: a file that cannot be opened is refused before the guest runs" 125 \
	"^vmm: --trace-json: cannot open '/nonexistent/t.json' for writing: No such file or directory$" \
	--trace-json /nonexistent/t.json "$GUESTS/hypercall.img"
expect "stats: the kernel's boot-only run, traced, with --stats" 0 "stats: timeline" \
	--stats --trace-json "$tmp/boot.json" -c boot-only "$IMG"
cp "$tmp/err" "$tmp/boot.stats"
expect "count-insns: the kernel's boot-only run, single-stepped" 0 "instructions single-stepped" \
	--count-insns -c boot-only "$IMG"
cp "$tmp/err" "$tmp/steps.stats"

# The checks of the files: TAP lines numbered on from here.
python3 "$(dirname "$0")/trace_json_check.py" "$n" "$tmp" >"$tmp/py" 2>&1
cat "$tmp/py"
passed=$((passed + $(grep -c '^ok ' "$tmp/py")))
failed=$((failed + $(grep -c '^not ok ' "$tmp/py")))
grep -q '^ok \|^not ok ' "$tmp/py" || { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - trace-json: the checker ran"; }
finish
