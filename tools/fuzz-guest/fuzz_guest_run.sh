#!/usr/bin/env bash
# The in-world half of tools/fuzz-guest/fuzz_guest.py: run every image of DIR/manifest
# ("NAME FLAGS...") under each VMM and print one record per run:
#   NAME <tab> VMM <tab> STATUS <tab> MS <tab> SANITIZER(0/1) <tab> STDERR
# with STDERR cut to its first 500 and last 700 bytes, newlines and tabs escaped. Judging is the
# Python side's. This loop stays in bash, and forks only the VMM, because it
# runs in the nested world, where every exec costs (Python takes ~10 s to
# start there; `timeout` around each run doubled the time per guest).
#   fuzz_guest_run.sh DIR VMM_TIMEOUT OUTER_TIMEOUT VMM...
set -u
dir=$1 vmm_timeout=$2 outer=$3
shift 3
tmp=$(mktemp -d) || exit 125
err=$tmp/err cur=$tmp/current
mkfifo "$tmp/tick" && exec {tick}<>"$tmp/tick" || exit 125
# One watchdog for the whole run instead of `timeout` per guest: once a
# second (read -t on a FIFO nobody writes: a sleep without a fork) it kills
# the current VMM if it has run OUTER seconds. KILL, not TERM: the VMM turns
# SIGTERM into a tidy 125, and a hang must not pass for that; wait then
# says 137.
(
	while :; do
		read -r -t 1 -u "$tick"
		read -r pid since <"$cur" 2>/dev/null || continue
		[ -n "$pid" ] && ((EPOCHSECONDS - since >= outer)) && kill -KILL "$pid" 2>/dev/null
	done
) &
dog=$!
trap 'kill $dog 2>/dev/null; rm -rf "$tmp"' EXIT
for vmm in "$@"; do
	while read -r name flags; do
		t0=$EPOCHREALTIME
		# shellcheck disable=SC2086 # flags are words by design
		"$vmm" --timeout "$vmm_timeout" $flags "$dir/$name" >/dev/null 2>"$err" &
		echo "$! $EPOCHSECONDS" >"$cur"
		wait $!
		st=$?
		: >"$cur"
		t1=$EPOCHREALTIME
		text=
		IFS= read -r -d '' text <"$err"
		# The whole stderr is searched (a report can be long); builtins only.
		san=0
		[[ $text == *AddressSanitizer* || $text == *LeakSanitizer* || $text == *"runtime error:"* ]] && san=1
		# Head and tail: the closing message follows any --trace lines.
		((${#text} > 1200)) && text="${text:0:500}[...]${text: -700}"
		text=${text//$'\t'/\\t}
		text=${text//$'\n'/\\n}
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$vmm" "$st" \
			$(((${t1/./} - ${t0/./}) / 1000)) "$san" "$text"
	done <"$dir/manifest"
done
