#!/usr/bin/env bash
# tap_summary.sh LOG STATUS EXPECTED_STATUS
# Checks a TAP log from a guest run: a plan, one result line per planned
# test, the closing "N passed, N failed, N skipped" agreeing with the lines,
# no failure, and the exit status the run should have had. Prints the
# closing line (or what is wrong) and exits 0 only if all holds.
set -u
log=$1 status=$2 expected=$3
plan=$(grep -m1 -E '^1\.\.[0-9]+' "$log" | tr -d '\r' | cut -c4-)
ok=$(grep -cE '^ok [0-9]+ ' "$log")
notok=$(grep -cE '^not ok [0-9]+ ' "$log")
skip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log")
closing=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$log" | tail -n1 | tr -d '\r')
bad=""
[ -n "$plan" ] || bad="no TAP plan line"
[ -n "$closing" ] || bad="${bad:+$bad; }no closing line"
if [ -n "$plan" ] && [ $((ok + notok)) -ne "$plan" ]; then
	bad="${bad:+$bad; }plan says $plan tests, saw $((ok + notok)) results"
fi
if [ -n "$closing" ]; then
	read -r p _ f _ s _ <<<"${closing//,/}"
	[ "$p" -eq $((ok - skip)) ] && [ "$f" -eq "$notok" ] && [ "$s" -eq "$skip" ] ||
		bad="${bad:+$bad; }closing line disagrees with the result lines"
fi
[ "$notok" -eq 0 ] || bad="${bad:+$bad; }$notok test(s) failed"
[ "$status" -eq "$expected" ] || bad="${bad:+$bad; }exit status $status, expected $expected"
echo "$((ok - skip)) passed, $notok failed, $skip skipped"
if [ -n "$bad" ]; then
	echo "FAILED: $bad"
	exit 1
fi
