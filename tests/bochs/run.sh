#!/usr/bin/env bash
# run.sh IMAGE [TIMEOUT_SEC]: boot a raw disk image under Bochs, non-interactively,
# with a CPU model that has VMX, EPT and VM functions (PLATFORM.md's recipe),
# and print the guest's console (port 0xe9) as clean lines on stdout.
# BOCHS_CPU picks another CPU model (default corei7_haswell_4770; `bochs
# -help cpu` lists them); BOCHS_RAW=FILE keeps Bochs' raw output.
#
# Exit status: 0 when Bochs powered off on the guest's request (the guest
# writes "Shutdown" to port 0x8900; it cannot pass a status, so its TAP says
# whether the run passed); 124 on timeout; 2 for bad arguments or a missing
# tool; otherwise 1 (Bochs failed or stopped for another reason), with Bochs'
# last words on stderr.
set -u
img=${1:-}
limit=${2:-${BOCHS_TIMEOUT:-300}}
if [ -z "$img" ] || [ ! -f "$img" ]; then
	echo "usage: $0 IMAGE [TIMEOUT_SEC] (image '${img}' not found)" >&2
	exit 2
fi
for tool in bochs script timeout; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool not installed (bash tools/install-deps.sh)" >&2; exit 2; }
done
bios=/usr/share/bochs/BIOS-bochs-latest
vgabios=/usr/share/bochs/VGABIOS-lgpl-latest
for f in "$bios" "$vgabios"; do
	[ -f "$f" ] || { echo "run.sh: $f missing (packages bochsbios, vgabios)" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Bochs wants a disk of exactly cylinders*heads*spt sectors: pad a copy,
# choosing enough cylinders for the image (16 heads, 63 sectors a track).
heads=16 spt=63
size=$(stat -c %s "$img")
cyl=$(( (size + heads * spt * 512 - 1) / (heads * spt * 512) ))
[ "$cyl" -ge 20 ] || cyl=20
cp "$img" "$tmp/disk.img"
truncate --size=$((cyl * heads * spt * 512)) "$tmp/disk.img"

cat >"$tmp/bochsrc" <<RC
megs: 128
cpu: model=${BOCHS_CPU:-corei7_haswell_4770}, count=1, ips=200000000, reset_on_triple_fault=0
romimage: file=$bios
vgaromimage: file=$vgabios
display_library: term
sound: driver=dummy
ata0-master: type=disk, path=$tmp/disk.img, mode=flat, cylinders=$cyl, heads=$heads, spt=$spt
boot: disk
com1: enabled=0
port_e9_hack: enabled=1
log: /dev/null
panic: action=fatal
error: action=report
RC
# The debugger is compiled into Debian's Bochs: continue, then quit.
printf 'c\nquit\n' >"$tmp/cmds"

# The term display needs a terminal: script(1) gives it one. Port 0xe9
# bytes reach Bochs' stdout, mixed with the term display's escape sequences.
(cd "$tmp" && timeout --kill-after=5 "$limit" \
	script -qfc "bochs -q -f bochsrc -rc cmds" /dev/null </dev/null >"$tmp/raw" 2>&1)
rc=$?

# Clean lines: drop CSI/OSC escapes, the other ESC pairs, CRs and NULs.
sed -e 's/\x1b\[[0-9;?]*[ -\/]*[@-~]//g' -e 's/\x1b\][^\x07]*\x07//g' \
    -e 's/\x1b[()][0-9A-Za-z]//g' -e 's/\x1b[=>78DEHMc]//g' "$tmp/raw" |
	tr -d '\r\000\017' >"$tmp/out"
[ -z "${BOCHS_RAW:-}" ] || cp "$tmp/raw" "$BOCHS_RAW"

# The guest's console lies between the debugger's first "(0) [0x...]" line
# (printed when `c` starts the simulation) and Bochs' closing banner; the
# rest is Bochs' own start-up and exit chatter, which goes to stderr.
awk '
	state == 0 && /^\(0\) \[0x/ { state = 1; next }
	state == 1 && /^Bochs is exiting/ { state = 2; msg = $0; next }
	state == 1 && /^\(0\)\.\[[0-9]+\] \[0x/ { next }   # the debugger: where it stopped
	state == 1 && /^Session terminated, killing shell/ { next } # script(1) on timeout
	state == 1 { lines[n++] = $0; next }
	state == 2 && /^=+$/ { next }
	state == 2 && /^\(0\)/ { msg = msg " (stopped at " $0 ")"; next }
	state == 2 { msg = msg " " $0 }
	END {
		# Drop the "====" line Bochs prints just before "Bochs is exiting".
		if (state == 2 && n && lines[n - 1] ~ /^=+$/) n--
		for (i = 0; i < n; i++) print lines[i]
		fflush()   # the console first, then the Bochs message
		if (msg != "") print "bochs: " msg > "/dev/stderr"
	}' "$tmp/out"

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "run.sh: Bochs still running after ${limit} s: killed (timeout)" >&2
	exit 124
fi
# The guest's "Shutdown" on port 0x8900 ends Bochs through its panic path
# (panic: action=fatal) with this message; anything else is a failure.
if sed -n '/^Bochs is exiting/,$p' "$tmp/out" | grep -q 'Shutdown port: shutdown requested'; then
	exit 0
fi
echo "run.sh: Bochs ended (status $rc) without the guest's power-off" >&2
grep -q '^Bochs is exiting' "$tmp/out" || { echo "run.sh: Bochs' last output:"; tail -n 20 "$tmp/out"; } >&2
exit 1
