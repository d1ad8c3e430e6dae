#!/usr/bin/env bash
# Host tests of the VMM: flags, image loader, exit statuses, and adversarial
# guests (tests/guests/*.asm, prebuilt into $GUESTS). Prints TAP and ends
# with "N passed, N failed, N skipped"; exits nonzero if anything failed.
#
#   VMM=build/vmm GUESTS=build/guests bash tests/host/run.sh
set -u

VMM=${VMM:?set VMM to the vmm binary}
GUESTS=${GUESTS:?set GUESTS to the directory of built guest images}
. "$(dirname "$0")/lib.sh"

guest() { echo "$GUESTS/$1.img"; }
# The KVM serving here: where KVMs differ, a test checks this one's
# behaviour (docs/worlds.md, "KVMs differ"), never skips it.
kvm=$(bash "$(dirname "$0")/../../tools/worlds/kvm-name")
echo "# KVM: $kvm"
# What this KVM does where KVMs differ: the vendor's own hypercall
# instruction, which KVM takes, and whether the vCPU is reset before a
# shutdown is reported.
case $kvm in
kvm_amd) own=VMMCALL resets=yes ;;
kvm_intel) own=VMCALL resets=no ;;
*) own=none resets=no ;;
esac

for g in com1 rep_outsb exit_status bootinfo triple_fault spin vmcall unknown_port mmio hlt_cli hypercall \
	vmfunc vmfunc_prefix flood bad_size; do
	if [ ! -f "$(guest $g)" ]; then
		echo "# missing guest image $(guest $g): build tests/guests/$g.asm with nasm first"
		echo "Bail out! guest images missing"
		exit 1
	fi
done

# --- images the loader must refuse -----------------------------------------
bad="$tmp/images"
mkdir "$bad"
: >"$bad/empty.img"
head -c 300 /dev/zero >"$bad/short.img"
head -c 512 /dev/zero >"$bad/nosig.img"
{ head -c 510 /dev/zero; printf '\x55\xaa'; head -c $((700 * 1024 - 512)) /dev/zero; } >"$bad/big.img"
# The largest image that fits below the EBDA (0x9fc00, where the memory map
# the VMM reports stops calling base memory RAM), and one byte more.
{ cat "$(guest com1)"; head -c $((0x9fc00 - 0x7c00 - 512)) /dev/zero; } >"$bad/max.img"
{ cat "$bad/max.img"; printf x; } >"$bad/max1.img"

expect "image: nonexistent file is refused" 125 "image '$bad/none.img': cannot open: No such file" "$bad/none.img"
expect "image: empty file is refused" 125 "image '.*empty.img': empty file" "$bad/empty.img"
expect "image: 300-byte file is refused" 125 "image '.*short.img': 300 bytes, shorter than one 512-byte boot sector" "$bad/short.img"
expect "image: 512 bytes without 0x55 0xAA are refused" 125 "image '.*nosig.img': no boot signature" "$bad/nosig.img"
expect "image: 700 KiB does not fit below 0x9fc00" 125 "image '.*big.img': too large \(716800 bytes\)" "$bad/big.img"
expect "image: one byte over the EBDA limit is refused, naming it" 125 \
	"image '.*max1.img': too large \(622593 bytes\): it must fit between 0x7c00 and 0x9fc00, at most 622592 bytes" \
	"$bad/max1.img"
expect "image: exactly up to 0x9fc00 boots" 0 "" "$bad/max.img"
expect "image: a directory is refused" 125 "image '$bad': cannot read: Is a directory" "$bad"
expect "image: a pipe (/dev/stdin) still works" 0 "" /dev/stdin < <(cat "$(guest com1)")

# A FIFO image: a wait for a writer, or for bytes, is bounded by --timeout.
mkfifo "$tmp/fifo.img"
expect "image: a FIFO with no writer ends with --timeout: 124, saying so" 124 \
	"image '.*fifo.img': timeout after 1 s while waiting to open it: the guest never ran" \
	--timeout 1 "$tmp/fifo.img"
expect "image: a FIFO whose writer sends nothing ends with --timeout: 124" 124 \
	"image '.*fifo.img': timeout after 1 s while waiting to read it" \
	--timeout 1 "$tmp/fifo.img" 4<>"$tmp/fifo.img"

# --- flags -----------------------------------------------------------------
img=$(guest com1)
expect "flags: -m 0 is refused" 125 "-m: size '0' is out of range" -m 0 "$img"
expect "flags: -m garbage is refused" 125 "-m: invalid size 'garbage'" -m garbage "$img"
expect "flags: -m 1T is refused" 125 "-m: invalid size '1T'" -m 1T "$img"
expect "flags: -m 64Q is refused" 125 "-m: invalid size '64Q'" -m 64Q "$img"
expect "flags: -m overflowing 64 bits is refused" 125 "-m: size '99999999999999999999' is out of range" -m 99999999999999999999 "$img"
expect "flags: -m 17179869184G (wraps when shifted) is refused" 125 "-m: size '17179869184G' is out of range" -m 17179869184G "$img"
expect "flags: -m above 3G is refused" 125 "-m: size '3073M' is out of range" -m 3073M "$img"
expect "flags: -m not a multiple of 4K is refused" 125 "-m: size '2049K' is not a multiple of 4K" -m 2049K "$img"
expect "flags: -m 2M (the minimum) boots" 0 "" -m 2M "$img"
expect "flags: -m 3G (the maximum) boots" 0 "" -m 3G "$img"
expect "flags: -m without a value is refused" 125 "flag -m needs a value" -m
long=$(head -c 512 /dev/zero | tr '\0' 'x')
expect "flags: -c of 512 bytes is refused" 125 "cmdline: command line of 512 bytes is too long" -c "$long" "$img"
expect "flags: --cmdline=STR of 511 bytes is taken" 7 "" "--cmdline=7${long:0:510}" "$(guest exit_status)"
expect "flags: unknown flag is refused" 125 "unknown flag '--bogus'" --bogus "$img"
expect "flags: missing image is refused" 125 "no image given" --trace
expect "flags: a second image is refused" 125 "more than one image given" "$img" "$img"
expect "flags: --timeout garbage is refused" 125 "--timeout: invalid time 'soon'" --timeout soon "$img"
expect "flags: --timeout negative is refused" 125 "--timeout: invalid time '-1'" --timeout -1 "$img"
expect "flags: --timeout 0 is refused" 125 "--timeout: time '0' is out of range" --timeout 0 "$img"
expect "flags: --timeout 1e3 is refused" 125 "--timeout: invalid time '1e3'" --timeout 1e3 "$img"
expect "flags: --timeout=0.5 with a quick guest exits 0" 0 "" --timeout=0.5 "$img"
expect "flags: --view-switch with a bad mode is refused" 125 \
	"--view-switch: invalid mode 'fast' \(remap or memslot\)" --view-switch=fast "$img"
expect "flags: --view-switch without a value is refused" 125 "flag --view-switch needs a value" \
	--view-switch
expect "flags: --view-switch memslot (separate value) boots" 0 "" --view-switch memslot "$img"
expect "flags: --walk with a bad address is refused" 125 "--walk: invalid address '0xg'" --walk 0xg "$img"
expect "flags: --walk a ninth time is refused" 125 "--walk: at most 8 addresses" \
	$(printf -- '--walk %d ' 1 2 3 4 5 6 7 8 9) "$img"
expect "flags: --huge-pages of an unknown kind is refused" 125 \
	"--huge-pages: invalid kind 'big' \(thp or hugetlb\)" --huge-pages=big "$img"
expect "huge-pages: hugetlb with RAM not a multiple of 2M is refused" 125 \
	"--huge-pages=hugetlb: guest RAM of 3145728 bytes is not a multiple of 2M" --huge-pages=hugetlb -m 3M "$img"
# What the host allows decides the outcome: refused with the reason, or a boot.
thp=$(cat /sys/kernel/mm/transparent_hugepage/shmem_enabled 2>/dev/null)
if [[ -z $thp || $thp == *"[never]"* || $thp == *"[deny]"* ]]; then
	expect "huge-pages: thp refused, saying why, where the host gives shmem none (${thp:-no THP})" 125 \
		"--huge-pages=thp: (the host gives shmem no huge pages|cannot read .*no shmem THP)" --huge-pages=thp "$img"
else
	expect "huge-pages: thp boots where the host allows shmem THP ($thp)" 0 "" --huge-pages=thp "$img"
fi
hfree=$(awk '$1 == "HugePages_Free:" { print $2 }' /proc/meminfo)
if [ "${hfree:-0}" -lt 32 ]; then
	expect "huge-pages: hugetlb refused with the pool's state where it lacks 32 free pages (${hfree:-none})" 125 \
		"--huge-pages=hugetlb: mmap of 32 2 MiB pages failed: .*the host has ${hfree:--1} free" --huge-pages=hugetlb "$img"
	# The nested world is ours: give it a pool, and the same run boots.
	if [ "${KVM_WORLD:-}" = nested ] && echo 32 >/proc/sys/vm/nr_hugepages 2>/dev/null; then
		hfree=$(awk '$1 == "HugePages_Free:" { print $2 }' /proc/meminfo)
	fi
fi
if [ "${hfree:-0}" -ge 32 ]; then
	expect "huge-pages: hugetlb boots from a pool of $hfree free 2 MiB pages (the kernel's suite, --stats)" 0 \
		"kvm pf_fixed" --stats --huge-pages=hugetlb -c 'test=boot*' "${KERNEL:-$(dirname "$0")/../../build/kernel.img}"
	# A 2 MiB page maps all the boot touches in the first 2 MiB: a few
	# faults, where 4 KiB pages take one a page (16 and more).
	pf=$(awk '$3 == "kvm" && $4 == "pf_fixed" { print $5 }' "$tmp/err")
	[ -n "$pf" ] && [ "$pf" -lt 8 ] && ok "huge-pages: ... KVM page faults (pf_fixed) for it: $pf, fewer than 8 (2 MiB pages)" ||
		not_ok "huge-pages: ... KVM took few page faults for it (2 MiB pages)" "kvm pf_fixed '${pf:-none}'"
else
	skip "huge-pages: hugetlb boots from a pool of 2 MiB pages" "the host's pool has ${hfree:-no} free pages, 32 needed"
fi

vmm --help
missing=""
for f in -m -c --cmdline --timeout --trace --stats --dump-pt --walk --huge-pages --view-switch -h --help; do
	grep -q -- "$f" "$tmp/out" || missing="$missing $f"
done
if [ "$status" != 0 ]; then
	not_ok "flags: --help exits 0" "exit status $status"
elif [ -n "$missing" ]; then
	not_ok "flags: --help documents every flag" "missing:$missing"
else
	ok "flags: --help exits 0 and documents every flag"
fi

# --- exit statuses ---------------------------------------------------------
img=$(guest exit_status)
expect "status: guest exit 0 -> 0" 0 "" -c 0 "$img"
expect "status: guest exit 7 -> 7" 7 "" -c 7 "$img"
expect "status: guest exit 122 -> 122" 122 "" -c 122 "$img"
expect "status: guest exit 200 -> 123" 123 "guest reported crash status 200 at RIP 0x" -c 200 "$img"
expect "status: guest exit 4294967295 -> 123" 123 "guest reported crash status 4294967295" -c 4294967295 "$img"
expect "status: a byte-wide out to the exit port -> 123 naming port, RIP and stage" 123 \
	"exit port 0x501 takes a 32-bit out, got out of size 1 at RIP 0x7c[0-9a-f]+ \(stage 0x10 real mode\)$" \
	-c e "$(guest bad_size)"
expect "status: a byte-wide out to the doorbell -> 123 naming port, RIP and stage" 123 \
	"hypercall doorbell 0x500 takes a 32-bit out of a block's GPA, got out of size 1 at RIP 0x7c[0-9a-f]+ \(stage 0x10 real mode\)$" \
	-c d "$(guest bad_size)"

# --- adversarial guests ----------------------------------------------------
vmm "$(guest triple_fault)"
if [ $resets = yes ]; then
	# kvm_amd re-INITs the vCPU before the exit: the registers say 0xfff0.
	check "crash: triple fault -> 123; $kvm reset the vCPU, and the message says so" 123 \
		"guest triple fault \(KVM_EXIT_SHUTDOWN\): .*$kvm reset the vCPU before reporting it, so the fault site is lost"
	grep -q "Last known location: the OUT to port 0x80 at RIP 0x7c28; stage 0x20 protected mode$" "$tmp/err" &&
		! grep -qE "at RIP 0xfff0|rip=000000000000fff0" "$tmp/err" &&
		ok "crash: ... the last known location is the last exit (the stage marker's OUT at 0x7c28), never the reset RIP" ||
		not_ok "crash: ... the last known location is the last exit (the stage marker's OUT at 0x7c28), never the reset RIP" \
			"wrong or missing location"
else
	check "crash: triple fault -> 123 at the faulting ud2 with registers" 123 "triple fault .* at RIP 0x7c2f"
	if grep -q "rax=000000007e1f0a17" "$tmp/err" && grep -q "cr0=" "$tmp/err" && grep -q "code at GPA 0x7c2f: 0f 0b" "$tmp/err"; then
		ok "crash: triple fault dump shows RAX, CR0 and the faulting ud2"
	else
		not_ok "crash: triple fault dump shows RAX, CR0 and the faulting ud2" "register dump incomplete"
	fi
fi
expect "crash: unknown port -> 123 naming it" 123 "unknown port 0x123 \(out, size 1\) at RIP 0x" "$(guest unknown_port)"
expect "crash: MMIO beyond RAM -> 123 naming the address" 123 \
	"unhandled MMIO write of 4 bytes at GPA 0xd0000000 at RIP 0x" "$(guest mmio)"
expect "crash: HLT with interrupts off -> 123, naming the HLT's own address (KVM leaves RIP past it)" 123 \
	"guest halted with interrupts disabled at RIP 0x7c01" "$(guest hlt_cli)"

expect "timeout: spinning guest under --timeout 1 -> 124 naming the RIP" 124 \
	"timeout after 1 s at RIP 0x7c0e \(stage 0x10 real mode\)" --timeout 1 "$(guest spin)"
if awk "BEGIN { exit !($elapsed < 5) }"; then
	ok "timeout: the watchdog stopped it in ${elapsed}s (allowed 5)"
else
	not_ok "timeout: the watchdog stopped it in ${elapsed}s (allowed 5)" "too slow"
fi

# VMCALL and VMMCALL at CPL0: the VMM turns off the quirk that hangs them,
# where KVM can. Then the host vendor's own instruction is KVM's hypercall
# (-KVM_ENOSYS in EAX: 43), the other one a #UD (triple fault: 123); on
# kvm_pvm both are #UD. Never a hang (124).
for insn in VMCALL VMMCALL; do
	[ $insn = VMMCALL ] && arg=m || arg=c
	vmm --trace --timeout 5 -c $arg "$(guest vmcall)"
	if ! grep -q "VMCALL quirk disabled" "$tmp/err"; then
		skip "vmcall: $insn at CPL0 is never a hang" \
			"KVM cannot disable KVM_X86_QUIRK_FIX_HYPERCALL_INSN here (no KVM_CAP_DISABLE_QUIRKS2 bit 5)"
	elif [ $insn = $own ]; then
		[ "$status" = 43 ] && ok "vmcall: $insn at CPL0 is $kvm's own: KVM takes it, EAX = -1000 (-KVM_ENOSYS)" ||
			not_ok "vmcall: $insn at CPL0 is $kvm's own: KVM takes it, EAX = -1000 (-KVM_ENOSYS)" "exit status $status"
	elif [ "$status" = 123 ] && grep -qE "triple fault .*(at RIP 0x7c3[49]|reset the vCPU)" "$tmp/err"; then
		ok "vmcall: $insn at CPL0 is a #UD on $kvm (triple fault, 123), not a hang"
	else
		not_ok "vmcall: $insn at CPL0 is a #UD on $kvm (triple fault, 123), not a hang" "exit status $status"
	fi
done

# --- console -----------------------------------------------------------------
expect "console: COM1 polling driver exits 0" 0 "" "$(guest com1)"
expect_stdout "console: COM1 bytes reach stdout, divisor bytes do not" "hello from com1"
expect "console: rep outsb, then rep insb of LSR (count > 1) reads 0x60 each" 0 "" "$(guest rep_outsb)"
expect_stdout "console: rep outsb bytes arrive in order" "0123456789abcdefghijklmnopqrstuvwxyz-rep-outsb"

# Started with stdout closed, the VMM must not let guest RAM take fd 1
# (flood.asm exits 3 if its own console output landed in its RAM).
vmm_closed_stdout() { timeout -k 2 30 "$VMM" "$@" >&- 2>"$tmp/err"; status=$?; }
vmm_closed_stdout "$(guest flood)"
check "console: with stdout closed the output goes nowhere, not into guest RAM" 0 ""

# A stdout that fails: said once; the guest goes on and its status stands.
VMM_STDOUT=/dev/full expect "console: a failing stdout (/dev/full) is reported, the guest goes on" 0 \
	"guest console: write to stdout failed: No space left on device: 6 bytes and all later output dropped \(stage 0x10 real mode\)" \
	"$(guest flood)"
[ "$(grep -c "guest console" "$tmp/err")" = 1 ] &&
	ok "console: ... once, not at each later write" ||
	not_ok "console: ... once, not at each later write" "$(grep -c "guest console" "$tmp/err") lines"

# A stdout nobody reads: a FIFO this shell holds open and never drains. The
# VMM blocks in write(); --timeout must still end the run, with 124.
mkfifo "$tmp/stalled"
exec 5<>"$tmp/stalled"
for mode in h c; do
	what=$([ $mode = h ] && echo "CONSOLE_WRITE" || echo "COM1 rep outsb")
	VMM_STDOUT=$tmp/stalled expect "console: $what into a stdout nobody reads: --timeout still ends it, 124" \
		124 "timeout after 1 s at RIP 0x7c[0-9a-f]+ \(stage 0x10 real mode\)" --timeout 1 -c $mode "$(guest flood)"
	grep -Eq "guest console: stdout still full when the run stopped \(timeout after 1 s\): [0-9]+ bytes and all later output dropped" "$tmp/err" &&
		ok "console: ... and the lost output is said ($what)" ||
		not_ok "console: ... and the lost output is said ($what)" "no console message"
done

# A non-blocking stdout and a slow reader: EAGAIN means wait, not drop.
if command -v python3 >/dev/null; then
	python3 "$(dirname "$0")/nonblock_stdout.py" "$VMM" "$(guest flood)" "$tmp/err" >"$tmp/out"
	read -r status got whole <"$tmp/out"
	want=$((6 + 256 * 1024 + 4))
	if [ "$status" = 0 ] && [ "$got" = "$want" ] && [ "$whole" = True ] && [ ! -s "$tmp/err" ]; then
		ok "console: a non-blocking stdout with a slow reader loses nothing"
	else
		not_ok "console: a non-blocking stdout with a slow reader loses nothing" \
			"exit status $status, $got bytes of $want"
	fi
else
	skip "console: a non-blocking stdout with a slow reader loses nothing" "no python3"
fi

# ulimit -f: SIGXFSZ must not kill the VMM; the call that failed is named.
printf '#!/usr/bin/env bash\nulimit -f "$1" && shift && exec "%s" "$@"\n' "$VMM" >"$tmp/fsize-vmm"
chmod +x "$tmp/fsize-vmm"
VMM=$tmp/fsize-vmm expect "limits: RAM over ulimit -f is reported (EFBIG), not death by SIGXFSZ" 125 \
	"cannot size guest RAM to 67108864 bytes: ftruncate: File too large" 1000 "$(guest spin)"
VMM=$tmp/fsize-vmm expect "limits: a console file over ulimit -f is said, the run goes on to --timeout" 124 \
	"guest console: write to stdout failed: File too large" 3000 -m 2M --timeout 1 -c h "$(guest flood)"

# --- boot protocol -------------------------------------------------------------
expect "bootinfo: entry registers and boot info block as documented" 0 "" \
	-m 8M -c bootinfo-test "$(guest bootinfo)"
[ "$status" = 0 ] || echo "# bootinfo guest: check $status failed (see tests/guests/bootinfo.asm)"

# --- hypercall doorbell ----------------------------------------------------
img=$(guest hypercall)
expect "hypercall: NOP, CONSOLE_WRITE, unknown nr, then EXIT 42 from real mode" 42 \
	"bad hypercall block at GPA 0x6004 \(misaligned\) at RIP 0x7c[0-9a-f]+ \(stage none reported\): ret = -EINVAL" "$img"
[ "$status" = 42 ] || echo "# hypercall guest: check $status failed (see tests/guests/hypercall.asm)"
expect_stdout "hypercall: CONSOLE_WRITE bytes reach stdout" "hc-console"
if [ "$(grep -c "bad hypercall block" "$tmp/err")" = 1 ]; then
	ok "hypercall: a misaligned block gets -EINVAL and is logged once, not twice"
else
	not_ok "hypercall: a misaligned block gets -EINVAL and is logged once, not twice" \
		"$(grep -c "bad hypercall block" "$tmp/err") log lines"
fi
expect "hypercall: a block outside RAM ends the run with 123" 123 \
	"bad hypercall block at GPA 0xfffffff8 \(outside RAM, which ends at 0x4000000\) at RIP 0x" -c o "$img"
expect "hypercall: a block straddling the end of RAM ends the run with 123" 123 \
	"bad hypercall block at GPA 0x3ffffe0 \(outside RAM, which ends at 0x4000000\) at RIP 0x" -c t "$img"
expect "hypercall: ABORT -> 123 with file:line: message, RIP and stage" 123 \
	"guest abort at guest.asm:7: boom \(RIP 0x7[cd][0-9a-f]+, stage none reported\)$" -c a "$img"
if grep -q "rip=" "$tmp/err"; then
	ok "hypercall: ABORT prints the registers"
else
	not_ok "hypercall: ABORT prints the registers" "no register dump"
fi
expect "hypercall: ASSERT -> 1 with file:line: expression, RIP and stage" 1 \
	"guest assertion failed at guest.asm:7: x == 1 \(RIP 0x7[cd][0-9a-f]+, stage none reported\)$" -c s "$img"
expect "stats: hypercalls counted by number" 42 "stats:   hypercall CONSOLE_WRITE +1$" --stats "$img"

# --- CPUID: KVM's supported table, kept per boot and module (vmm/cpuid.c) -----
xc=$tmp/xdg-cache kept=$tmp/xdg-cache/vmm/kvm-cpuid
XDG_CACHE_HOME=$xc expect "cpuid: a first run asks KVM and keeps the table in \$XDG_CACHE_HOME/vmm/kvm-cpuid" 0 \
	"CPUID: asked KVM \([0-9]+ entries\), kept in $kept for this boot and kvm" --trace "$(guest com1)"
XDG_CACHE_HOME=$xc expect "cpuid: the next run takes it from there" 0 \
	"CPUID: KVM's supported table \([0-9]+ entries\) from $kept, kept for this boot" --trace "$(guest com1)"
cp "$kept" "$tmp/kept" 2>/dev/null
XDG_CACHE_HOME=$tmp/xdg-fresh vmm --trace "$(guest com1)"
if [ -s "$tmp/kept" ] && cmp -s "$tmp/kept" "$tmp/xdg-fresh/vmm/kvm-cpuid"; then
	ok "cpuid: the kept table is byte for byte what KVM answers a fresh run (APIC ID 0 in both)"
else
	not_ok "cpuid: the kept table is byte for byte what KVM answers a fresh run (APIC ID 0 in both)" \
		"$(cmp "$tmp/kept" "$tmp/xdg-fresh/vmm/kvm-cpuid" 2>&1)"
fi
# The key: the boot id at byte 16 of the file, the module's inode after it.
printf 'xxxxxxxx' | dd of="$kept" bs=1 seek=16 conv=notrunc status=none
XDG_CACHE_HOME=$xc expect "cpuid: a table kept for another boot is not used: KVM is asked again" 0 \
	"CPUID: asked KVM \([0-9]+ entries\), kept in $kept" --trace "$(guest com1)"
printf '\1' | dd of="$kept" bs=1 seek=56 conv=notrunc status=none
XDG_CACHE_HOME=$xc expect "cpuid: nor one kept for another load of the KVM module" 0 \
	"CPUID: asked KVM \([0-9]+ entries\), kept in $kept" --trace "$(guest com1)"
truncate -s -1 "$kept"
XDG_CACHE_HOME=$xc expect "cpuid: nor a file cut short" 0 \
	"CPUID: asked KVM \([0-9]+ entries\), kept in $kept" --trace "$(guest com1)"
XDG_CACHE_HOME=/proc/self expect "cpuid: where no file can be written, the run goes on and --trace says why" 0 \
	"CPUID: asked KVM \([0-9]+ entries\); not kept in /proc/self/vmm/kvm-cpuid: " --trace "$(guest com1)"

# --- trace and stats ---------------------------------------------------------
expect "trace: every exit is printed with port and the OUT's own address, whatever RIP KVM leaves" 0 \
	"trace: IO out port 0x3f8 size 1 count 1 at RIP 0x7c3c" --trace "$(guest com1)"
expect "stats: exit counts by reason" 0 "stats:   IO +[0-9]+" --stats "$(guest com1)"

# --- VMFUNC and EPT views, emulated (tests/guests/vmfunc.asm) ----------------
img=$(guest vmfunc)
for mode in remap memslot; do
	expect "vmfunc: view switch, write isolation, VIEW_CURRENT, bad index/leaf #UD ($mode)" 42 "" \
		--view-switch=$mode "$img"
	[ "$status" = 42 ] || echo "# vmfunc guest: check $status failed (see tests/guests/vmfunc.asm)"
done
# Which route serves VMFUNC is the KVM's: kvm_pvm runs CPL0 code in its
# emulator, which fails on VMFUNC and hands it to the VMM; elsewhere the
# CPU raises #UD in the guest, whose handler forwards it over HC_VMFUNC.
# A refusal forwarded again after the VMM's own #UD is counted once.
if [ "$kvm" = kvm_pvm ]; then
	expect "vmfunc: a bad index is a #UD injected into the guest, named in the trace" 42 \
		"trace: VMFUNC\(0, 7\) at RIP 0x7c[0-9a-f]+: no such view, #UD injected" --trace "$img"
	expect "vmfunc: --stats: 6 by the emulation-failure route, the 3 refusals counted once though the guest asks again" 42 \
		"stats: VMFUNC 6 caught as emulation failures, 3 by HC_VMFUNC \(3 of them a refused one asked again\): 2 switched view, 1 to the live view, 3 refused .* 3 #UD injected" \
		--stats "$img"
else
	expect "vmfunc: on $kvm the CPU's #UD reaches the guest, which asks over HC_VMFUNC (traced)" 42 \
		"trace: hypercall 20 \(VMFUNC\) ret -22" --trace "$img"
	grep -q "trace: INTERNAL_ERROR" "$tmp/err" &&
		not_ok "vmfunc: ... and no VMFUNC reaches the VMM as an emulation failure" "one did" ||
		ok "vmfunc: ... and no VMFUNC reaches the VMM as an emulation failure"
	expect "vmfunc: --stats: all 6 by the HC_VMFUNC route, 3 refused, no #UD injected by the VMM" 42 \
		"stats: VMFUNC 0 caught as emulation failures, 6 by HC_VMFUNC \(0 of them a refused one asked again\): 2 switched view, 1 to the live view, 3 refused .* 0 #UD injected" \
		--stats "$img"
fi
if [ $resets = yes ]; then
	expect "vmfunc: a VMFUNC whose #UD cannot be delivered: triple fault, 123, VMM intact, $kvm's reset said" 123 \
		"guest triple fault .*$kvm reset the vCPU before reporting it.*Last known location: none: no exit came before it" \
		-c n "$img"
else
	expect "vmfunc: a bad VMFUNC where the #UD cannot be delivered: triple fault, 123, VMM intact" 123 \
		"triple fault .* at RIP 0x7e[0-9a-f]+" -c n "$img"
	grep -q "code at GPA 0x7e[0-9a-f]*: 0f 01 d4" "$tmp/err" &&
		ok "vmfunc: ... and the dump shows the VMFUNC" ||
		not_ok "vmfunc: ... and the dump shows the VMFUNC" "no 0f 01 d4 in the dump"
fi
vmm "$(guest vmfunc_prefix)"
if [ "$kvm" = kvm_pvm ]; then
	check "vmfunc: a prefixed VMFUNC (66 0f 01 d4) is named as such" 123 \
		"KVM internal error 1 .* at RIP 0x7c[0-9a-f]+ \(stage 0x10 real mode\): a VMFUNC with prefixes, which the VMFUNC emulation does not take .*instruction bytes: 66 0f 01 d4"
else
	check "vmfunc: a prefixed VMFUNC (66 0f 01 d4) is the CPU's #UD in the guest on $kvm (44)" 44 ""
fi

# --- --dump-pt ---------------------------------------------------------------
expect "dump-pt: a real-mode guest has no page tables, and says so" 0 \
	"dump-pt: paging is off \(CR0 0x[0-9a-f]+\): no page tables" --dump-pt "$(guest com1)"
[ $resets = yes ] && why="$kvm reset the vCPU at the shutdown: CR3 is gone" || why="paging is off"
expect "dump-pt: printed on a crash exit too (triple fault), or why not ($why)" 123 "dump-pt: $why" \
	--dump-pt "$(guest triple_fault)"
kernel=${KERNEL:-$(dirname "$0")/../../build/kernel.img}
if [ -f "$kernel" ]; then
	# The stub identity-maps the RAM the VMM reports (64 MiB by default):
	# 2M pages, but for the first 2 MiB in 4K pages around the boot
	# stack's guard page, which is not mapped.
	expect "dump-pt: the kernel's identity map of its 64 MiB of RAM in 2M pages" 0 \
		"^vmm:   0x0000000000200000-0x0000000003ffffff -> 0x000000200000 +62 MiB +31 x 2M W - - PS$" \
		--dump-pt -c 'test=boot*' "$kernel"
	grep -Eq "^vmm: dump-pt: 3 runs, 511 4K \+ 31 2M \+ 0 1G leaves, 4 tables$" "$tmp/err" &&
		ok "dump-pt: ... 3 runs, 511 4K + 31 2M leaves, 4 tables (PML4, PDPT, PD, PT)" ||
		not_ok "dump-pt: ... 3 runs, 511 4K + 31 2M leaves, 4 tables (PML4, PDPT, PD, PT)" "summary differs"
	guard=$(nm "${kernel%.img}.elf" 2>/dev/null | awk '$3 == "boot_stack_guard" { print $1 }')
	if [ -n "$guard" ]; then
		below=$(printf '0x%016x' $((0x$guard - 1))) above=$(printf '0x%016x' $((0x$guard + 4096)))
		grep -Eq "^vmm:   0x0000000000000000-$below -> 0x000000000000 .* x 4K W - -$" "$tmp/err" &&
			grep -Eq "^vmm:   $above-0x00000000001fffff -> .* x 4K W - -$" "$tmp/err" &&
			ok "dump-pt: ... the first 2 MiB in 4K pages but for the stack guard at 0x$guard" ||
			not_ok "dump-pt: ... the first 2 MiB in 4K pages but for the stack guard at 0x$guard" \
				"no 4K runs that end below and resume above it"
	else
		skip "dump-pt: ... the first 2 MiB in 4K pages but for the stack guard" \
			"no boot_stack_guard in ${kernel%.img}.elf"
	fi
	# --walk: one address, each level's entry; the stack guard's is not present.
	main=$(nm "${kernel%.img}.elf" 2>/dev/null | awk '$3 == "kernel_main" { print $1 }')
	expect "walk: kernel_main (0x$main) through four levels to its own GPA (identity map, 4K)" 0 \
		"^vmm: walk: GVA 0x0*$main -> GPA 0x${main#"${main%%[1-9a-f]*}"} \(4K page, W - -\)$" \
		--walk "0x$main" ${guard:+--walk 0x$guard} -c 'test=boot*' "$kernel"
	[ "$(grep -c '^vmm: walk:   \(PML4\|PDPT\|PD  \|PT  \)\[' "$tmp/err")" -ge 4 ] &&
		ok "walk: ... one line per level read" || not_ok "walk: ... one line per level read" "fewer than 4"
	[ -z "$guard" ] || { grep -Eq "^vmm: walk: GVA 0x0*$guard -> no GPA: not present$" "$tmp/err" &&
		ok "walk: the stack guard page is not present" ||
		not_ok "walk: the stack guard page is not present" "no such line"; }
	expect "dump-pt: with -m 1G the map covers the first GiB" 0 \
		"^vmm:   0x0000000000200000-0x000000003fffffff -> 0x000000200000 +1022 MiB +511 x 2M W - - PS$" \
		--dump-pt -m 1G -c 'test=boot*' "$kernel"
	# With stdout closed, memfd_create took fd 1 and the kernel's console
	# output overwrote its own page tables: a triple fault.
	vmm_closed_stdout "$kernel"
	[ "$status" = 0 ] && ok "console: the kernel's whole suite passes with stdout closed" ||
		not_ok "console: the kernel's whole suite passes with stdout closed" "exit status $status"
else
	skip "dump-pt: the kernel's identity map of its RAM in 2M pages" "no kernel image at $kernel"
fi

# --- signals -----------------------------------------------------------------
# start_vmm READY ARGS...: start the VMM in the background (stdout to
# $VMM_STDOUT or $tmp/out), its pid in $pid, and wait until the shell test
# READY holds (at most 5 s).
start_vmm() {
	local ready=$1
	shift
	"$VMM" "$@" >"${VMM_STDOUT:-$tmp/out}" 2>"$tmp/err" &
	pid=$!
	for _ in $(seq 50); do
		eval "$ready" && break
		sleep 0.1
	done
}

# signal_vmm SIG READY ARGS...: start_vmm, send SIG, and wait for the VMM;
# sets $status. A VMM that ignores the signal is killed after 10 s, so it
# cannot hang the suite.
signal_vmm() {
	local sig=$1
	shift
	start_vmm "$@"
	kill -"$sig" "$pid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	status=$?
}
spinning='grep -q S "$tmp/out"'
blocked_in_write='grep -q pipe_write /proc/$pid/wchan 2>/dev/null'
ram_made='ls -l /proc/$pid/fd 2>/dev/null | grep -q memfd:' # handlers are in by then

signal_vmm TERM "$spinning" "$(guest spin)"
check "signal: SIGTERM stops the guest, the VMM exits 125 and says where" 125 \
	"stopped by SIGTERM at RIP 0x7c0e \(stage 0x10 real mode\)"
signal_vmm USR1 "$spinning" "$(guest spin)"
check "signal: SIGUSR1, fatal by default, stops the guest like SIGTERM: 125" 125 \
	"stopped by SIGUSR1 at RIP 0x7c0e \(stage 0x10 real mode\)"
signal_vmm ALRM "$spinning" "$(guest spin)"
check "signal: a SIGALRM from outside (no --timeout) is a signal, 125, not a timeout" 125 \
	"stopped by SIGALRM at RIP 0x7c0e \(stage 0x10 real mode\)"
VMM_STDOUT=$tmp/stalled signal_vmm TERM "$blocked_in_write" -c h "$(guest flood)"
check "signal: SIGTERM while stdout is blocked stops the VMM: 125" 125 \
	"guest console: stdout still full when the run stopped \(stopped by SIGTERM\)"
signal_vmm INT "$ram_made" "$tmp/fifo.img"
check "signal: SIGINT while a FIFO image waits for a writer: 125, saying so" 125 \
	"image '.*fifo.img': stopped by SIGINT while waiting to open it: the guest never ran"
exec 5>&-

# --- sandbox -------------------------------------------------------------------
# seccomp_of READY ARGS...: the VMM's threads' "Seccomp:" modes while it runs
# a guest (once READY holds), one per line; stopped with SIGTERM after.
seccomp_of() {
	start_vmm "$@"
	modes=$(cat /proc/$pid/task/*/status 2>/dev/null | awk '/^Seccomp:/ { print $2 }')
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
}
# modes_all MODE: every thread's mode is MODE, whatever their count: Linux
# 6.18 lists KVM's NX huge page recovery worker (kvm-nx-lpage-re) as a
# thread of the VMM's process, and it shows the process's mode (kvm_pvm
# host: 2 and 2, 0 and 0 without).
modes_all() { [ -n "$modes" ] && [ -z "$(echo "$modes" | grep -vx "$1")" ]; }
seccomp_of "$spinning" "$(guest spin)"
modes_all 2 &&
	ok "sandbox: every thread of a running VMM is under a seccomp filter (Seccomp: 2)" ||
	not_ok "sandbox: every thread of a running VMM is under a seccomp filter (Seccomp: 2)" "modes: $modes"
seccomp_of "$spinning" --no-sandbox "$(guest spin)"
modes_all 0 &&
	ok "sandbox: --no-sandbox runs without it (Seccomp: 0 in every thread)" ||
	not_ok "sandbox: --no-sandbox runs without it (Seccomp: 0 in every thread)" "modes: $modes"
VMM_TEST_FORBIDDEN_SYSCALL=1 expect "sandbox: a call off the allowlist (test hook) ends with 125, naming it" 125 \
	"sandbox: system call 110 \(getppid\) is not on the VMM's seccomp allowlist" "$(guest com1)"
VMM_TEST_FORBIDDEN_SYSCALL=1 expect "sandbox: ... and with --no-sandbox the same run passes" 0 "" \
	--no-sandbox "$(guest com1)"
# Allowed calls with arguments off the list: each must trap as well. Each
# run also passes with --no-sandbox, so only the filter can stop it.
for c in "ioctl-fd ioctl 16 an ioctl on /dev/kvm's fd" "ioctl-req ioctl 16 a vCPU ioctl off the list (KVM_SET_SREGS without --gdb)" \
	"write-fd write 1 a write to stdin" "mmap-exec mmap 9 an executable mapping of RAM" \
	"mmap-past mmap 9 a mapping past the end of RAM" "mmap-long mmap 9 a mapping longer than RAM"; do
	read -r hook call nr what <<<"$c"
	VMM_TEST_FORBIDDEN_SYSCALL=$hook vmm --no-sandbox "$(guest com1)"
	if [ "$status" != 0 ]; then
		not_ok "sandbox: $what is stopped (test hook)" "without the sandbox the run ended $status, not 0"
		continue
	fi
	VMM_TEST_FORBIDDEN_SYSCALL=$hook expect "sandbox: $what is stopped (test hook)" 125 \
		"sandbox: system call $nr \($call\) is not on the VMM's seccomp allowlist" "$(guest com1)"
done

# --- resources -------------------------------------------------------------------
# The VMM's own memory, beyond the guest RAM it has touched (RssShmem: the
# memfd), stays under 2 MiB however the guest floods: a storm of
# CONSOLE_WRITE hypercalls, and a rep outsb to COM1 at one exit a byte.
if grep -q __asan_init "$VMM"; then
	skip "resources: the VMM's own memory stays under 2 MiB beyond guest RAM" \
		"a sanitizer build: its runtime's shadow memory is not the VMM's"
else
	for run in "-c h $(guest flood)" "-c c $(guest flood)"; do
		# The guest floods until stopped: read after 2 s, then stop it
		# (a short --timeout could end it first on a loaded machine).
		# shellcheck disable=SC2086
		"$VMM" --timeout 60 $run >/dev/null 2>"$tmp/err" &
		pid=$!
		sleep 2
		own=$(awk '/^VmRSS:/ { r = $2 } /^RssShmem:/ { s = $2 } END { if (r) print r - s }' \
			/proc/$pid/status 2>/dev/null)
		kill "$pid"
		wait "$pid"
		[ -n "$own" ] && [ "$own" -lt 2048 ] &&
			ok "resources: after 2 s of flood '${run:3:1}' the VMM holds $own KiB beyond guest RAM (< 2048)" ||
			not_ok "resources: after 2 s of flood '${run:3:1}' the VMM holds ${own:-?} KiB beyond guest RAM (< 2048)" \
				"VmRSS - RssShmem too large, or the VMM was gone"
	done
fi

# --- bad host input ----------------------------------------------------------------
for t in nan inf -inf 1e30 0x10; do
	expect "flags: --timeout $t is refused" 125 "--timeout: invalid time '$t'" --timeout $t "$(guest com1)"
done
expect "image: a character device that reads nothing (/dev/null) is refused" 125 \
	"image '/dev/null': empty file, expected a boot sector" /dev/null
expect "image: an endless device (/dev/zero) is refused as too large" 125 "image '/dev/zero': too large" /dev/zero
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$tmp/sock"
expect "image: a socket is refused" 125 "image '$tmp/sock': cannot open: No such device or address" "$tmp/sock"
VMM_KVM_DEVICE=$tmp/none expect "kvm: a missing KVM device (VMM_KVM_DEVICE, test-only) is refused, named" 125 \
	"cannot open $tmp/none: No such file or directory" "$(guest com1)"
VMM_KVM_DEVICE=/dev/null expect "kvm: a device that is not KVM is refused, named" 125 \
	"/dev/null is not KVM: KVM_GET_API_VERSION: Inappropriate ioctl" "$(guest com1)"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ "$(stat -c %a /dev/kvm)" = 600 ]; then
	chmod o+rx "$tmp" && cp "$(guest com1)" "$tmp/com1.img" && chmod o+r "$tmp/com1.img"
	status=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$VMM" "$tmp/com1.img" >"$tmp/out" 2>"$tmp/err" ||
		status=$?
	check "kvm: no permission on /dev/kvm (as nobody): 125, saying so" 125 \
		"cannot open /dev/kvm: Permission denied"
else
	skip "kvm: no permission on /dev/kvm (as nobody)" \
		"needs root, setpriv and a /dev/kvm of mode 600 here ($(stat -c %a /dev/kvm 2>/dev/null))"
fi

finish
