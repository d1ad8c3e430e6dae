#!/usr/bin/env bash
# make test's pass over the fuzz corpora: each libFuzzer harness in
# tests/fuzz/ built out of tree (build/fuzz/, by the Makefile), then run
# once on every file of tests/fuzz/corpus/NAME/. A crash, a failed
# assertion, a sanitizer report or a timeout fails that harness's line.
# The corpora hold the seeds and every input that once found a bug, so a
# bug that comes back fails here without fuzzing. SKIP without clang or
# its libFuzzer runtime (tools/install-deps.sh installs both).
set -u
cd "$(dirname "$0")/../.."
names=(hypercall guest_mem loader flags dump_pt insn gdb)
n=0 passed=0 failed=0 skipped=0
log=build/fuzz/replay.log

line() { # STATUS TEXT
	n=$((n + 1))
	case $1 in
	ok) passed=$((passed + 1)); echo "ok $n - $2" ;;
	skip) skipped=$((skipped + 1)); echo "ok $n - $2 # SKIP $3" ;;
	*) failed=$((failed + 1)); echo "not ok $n - $2" ;;
	esac
}
done_() { echo "$passed passed, $failed failed, $skipped skipped"; exit $((failed != 0)); }

rt=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null)
if ! command -v clang >/dev/null || [[ $rt != /* ]]; then
	for f in "${names[@]}"; do line skip "fuzz_$f replays its corpus" "no clang with libFuzzer"; done
	done_
fi

mkdir -p build/fuzz
if ! make -s --no-print-directory "${names[@]/#/build/fuzz/fuzz_}" >"$log" 2>&1; then
	sed 's/^/# /' "$log" | tail -n 20
	for f in "${names[@]}"; do line fail "fuzz_$f builds"; done
	done_
fi

for f in "${names[@]}"; do
	files=(tests/fuzz/corpus/"$f"/*)
	# Inputs named one by one run once each; -timeout bounds every one.
	# libFuzzer reports on stderr; stdout is the code under test's (usage).
	build/fuzz/fuzz_"$f" -timeout=20 "${files[@]}" >/dev/null 2>"$log"
	rc=$? ran=$(grep -c '^Executed ' "$log")
	if [ "$rc" -eq 0 ] && [ "$ran" -eq "${#files[@]}" ]; then
		line ok "fuzz_$f replays its corpus: $ran inputs"
	else
		grep -E 'Running:|ERROR|SUMMARY|Assertion|runtime error' "$log" | tail -n 8 | sed 's/^/# /'
		line fail "fuzz_$f replays its corpus: exit $rc, $ran of ${#files[@]} inputs ran"
	fi
done
done_
