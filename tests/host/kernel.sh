#!/usr/bin/env bash
# Host tests of the kernel image under our VMM: the crash paths end the run
# with the documented status and a message that names the problem, the test
# and bench filters work, and the image boots with other RAM sizes.
#
#   VMM=build/vmm IMG=build/kernel.img bash tests/host/kernel.sh
set -u
VMM=${VMM:?set VMM to the vmm binary}
IMG=${IMG:?set IMG to the kernel image}
. "$(dirname "$0")/lib.sh"

expect "kernel: an unexpected #UD ends the run with 123 and names it" 123 "guest reported crash status 123" -c crash=ud "$IMG"
grep -q "FATAL: unexpected exception 6 (#UD invalid opcode)" "$tmp/out" &&
	ok "kernel: the #UD report gives vector, name and RIP" ||
	not_ok "kernel: the #UD report gives vector, name and RIP" "no report on the console"
expect "kernel: an unexpected #PF ends the run with 123" 123 "guest reported crash status 123" -c crash=pf "$IMG"
grep -q "CR2 0x00007fff00000000" "$tmp/out" &&
	ok "kernel: the #PF report shows CR2" || not_ok "kernel: the #PF report shows CR2" "no CR2 line"
expect "kernel: an unexpected #GP ends the run with 123" 123 "guest reported crash status 123" -c crash=gp "$IMG"
expect "kernel: a stack overflow ends the run with 123" 123 "guest reported crash status 123" -c crash=stack "$IMG"
if grep -q "FATAL: unexpected exception 8 (#DF double fault)" "$tmp/out" &&
	grep -q "stack overflow: CR2 is in the boot stack's guard page" "$tmp/out"; then
	ok "kernel: ... through the guard page: a #DF on its own stack, named a stack overflow"
else
	not_ok "kernel: ... through the guard page: a #DF on its own stack, named a stack overflow" \
		"no #DF report naming the guard page"
fi
expect "kernel: panic goes through HC_ABORT with file:line and registers" 123 \
	"guest abort at kernel/main.c:[0-9]+: crash=panic requested" -c crash=panic "$IMG"

expect "kernel: a filter that matches nothing fails the run" 1 "" -c test=no-such-test "$IMG"
grep -q "no test matches the filter 'no-such-test'" "$tmp/out" &&
	ok "kernel: ... and says so" || not_ok "kernel: ... and says so" "no message"

expect "kernel: bench=NAME that names no benchmark fails the run" 1 "" -c bench=no-such-bench "$IMG"
grep -q "bench: no benchmark named 'no-such-bench'" "$tmp/out" && ! grep -q "bench-done" "$tmp/out" &&
	ok "kernel: ... says so and runs none" || not_ok "kernel: ... says so and runs none" "no message"
expect "kernel: a bench= name too long to hold fails the run" 1 "" \
	-c bench=raw_exit_vs_hypercall_and_then_some_more "$IMG"
grep -q "bench: the name in bench= is longer than" "$tmp/out" && ! grep -q "^# bench " "$tmp/out" &&
	ok "kernel: ... says so and runs none, not a benchmark named by its cut-off prefix" ||
	not_ok "kernel: ... says so and runs none, not a benchmark named by its cut-off prefix" "no message"

expect "kernel: the filter picks one suite" 0 "" -c test=traps "$IMG"
ntraps=$(grep -c '^TEST(traps,' "$(dirname "$0")/../guest/traps.c")
if grep -q "^1\.\.$ntraps\$" "$tmp/out" && ! grep -q 'boot:' "$tmp/out"; then
	ok "kernel: test=traps runs the $ntraps traps tests of tests/guest/traps.c and nothing else"
else
	not_ok "kernel: test=traps runs the $ntraps traps tests of tests/guest/traps.c and nothing else" \
		"plan: $(grep '^1\.\.' "$tmp/out")"
fi

# The whole suite at the smallest and largest RAM sizes; what needs room it
# lacks must SKIP, not fail. (Its one expected VMM log line: the misaligned
# hypercall block test.)
expect "kernel: the whole suite passes with -m 3G" 0 "misaligned" -m 3G "$IMG"
expect "kernel: the whole suite passes with -m 2M" 0 "misaligned" -m 2M "$IMG"
grep -q "# SKIP no free 2 MiB-aligned block" "$tmp/out" &&
	ok "kernel: ... and with -m 2M the 2 MiB mapping tests SKIP, saying why" ||
	not_ok "kernel: ... and with -m 2M the 2 MiB mapping tests SKIP, saying why" "no such SKIP"
finish
