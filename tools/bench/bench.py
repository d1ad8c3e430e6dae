#!/usr/bin/env python3
"""make bench: run the guest's benchmarks under our VMM, turn the samples
into medians and p99s, print a table of figures beside their baselines,
and write build/bench.json (tools/bench/bench_chart.py draws build/bench.png
from it: each world's "chart" holds the ratios with their targets and the
latency distributions, each with its unit and run count).

The figures that need a KVM are run in every world there is (tools/worlds/in-kvm):
the host world when /dev/kvm is usable here, and the nested world (Debian's
kvm_amd under QEMU TCG) always; with KVM_WORLD=intel, the intel world
(kvm_intel under Bochs) alone, where the kernel is an L1 hypervisor and its
L2's VMFUNC is timed against an L2 VMCALL round trip to L1. This script re-runs itself there with
--in-world; that part writes its figures to a file in build/, which this
part merges. QEMU TCG's run of the same image needs no KVM and stays on
this machine. Every figure is labelled world/KVM (e.g. nested/kvm_amd) and
every ratio is between two figures of the same run and world. Nothing
here decides pass or fail by time; a figure that cannot be had is an error.
"""
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VMM = os.path.join(ROOT, "build", "vmm")
IMG = os.path.join(ROOT, "build", "kernel.img")
OUT = os.path.join(ROOT, "build", "bench.json")
HELLO = os.path.join(ROOT, "build", "kvm_hello_world")  # the seed's, unchanged (Makefile)
BOOT_RUNS = 21  # each of ours and the seed's, alternating
IN_KVM = os.path.join(ROOT, "tools", "worlds", "in-kvm")
KVM_NAME = os.path.join(ROOT, "tools", "worlds", "kvm-name")
# Present where our patched kvm.ko is loaded (tools/kvm-hc/, KVM_MODULES=hc).
HC_PARAM = "/sys/module/kvm/parameters/hc_calls"
QEMU = ["qemu-system-x86_64", "-machine", "pc", "-m", "128", "-drive",
        f"file={IMG},format=raw,if=ide", "-serial", "stdio", "-display", "none",
        "-no-reboot", "-monitor", "none",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
# What a reader must know to read a world's times.
CAVEATS = {
    "nested": "Debian 6.1's kvm_amd inside QEMU TCG on this machine: times are "
              "TCG times, not hardware times; ratios still compare",
    "intel": "Debian 6.1's kvm_intel (nested=1) inside Bochs 2.7 on this machine: "
             "times are Bochs times (its TSC is ips-based), not hardware times; "
             "ratios still compare",
}
KVM_CAVEATS = {
    "kvm_pvm": "CPL0 guest code runs in KVM's instruction emulator",
}


def run_ns(cmd, ok_status=(0,)):
    """Wall time of one whole command, process start to exit."""
    t0 = time.perf_counter_ns()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL)
    t = time.perf_counter_ns() - t0
    if p.returncode not in ok_status:
        sys.exit(f"bench: {' '.join(cmd)} exited {p.returncode}: {p.stderr.decode()[-500:]}")
    return t


def wall_ns(cmd, runs, ok_status=(0,)):
    """Median wall time of a whole command."""
    return statistics.median(run_ns(cmd, ok_status) for _ in range(runs))


def alternating_ns(cmd_a, cmd_b, runs):
    """Samples of two whole commands run in turns, so that what else the
    machine does weighs on both alike."""
    a, b = [], []
    for _ in range(runs):
        a.append(run_ns(cmd_a))
        b.append(run_ns(cmd_b))
    return a, b


def boot_insns():
    """The boot path's guest instructions per phase, single-stepped
    (vmm --count-insns), and KVM's emulated ones (insn_emulation) per phase,
    from the --stats timeline: {row: (stepped, emulated)}, total stepped."""
    p = subprocess.run([VMM, "--timeout", "600", "--count-insns", "-c", "boot-only", IMG],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench: vmm --count-insns exited {p.returncode}: {p.stderr[-800:]}")
    rows, total = {}, None
    for line in p.stderr.splitlines():
        f = line.split()
        if line.startswith("vmm: stats: ") and len(f) >= 9 and f[2][0].isdigit() and f[-1].isdigit():
            # "vmm: stats: US WHO NAME... VMM KVM EMULATED STEPPED"
            rows[f"{f[3]} {' '.join(f[4:-4])}"] = (int(f[-1]), int(f[-2]) if f[-2].isdigit() else None)
        elif "guest instructions single-stepped" in line:
            total = int(f[2])
    if total is None:
        sys.exit("bench: vmm --count-insns printed no instruction count")
    return rows, total


def run_guest(vmm_flags=(), cmdline="bench"):
    p = subprocess.run([VMM, "--timeout", "300", *vmm_flags, "-c", cmdline, IMG],
                       capture_output=True, text=True)
    if p.returncode != 0 or "bench-done" not in p.stdout:
        sys.stderr.write(p.stdout[-2000:] + p.stderr[-2000:])
        sys.exit(f"bench: the guest run failed (exit status {p.returncode})")
    return p.stdout


def parse(out):
    samples, values = {}, {}
    for line in out.splitlines():
        f = line.split()
        if not f:
            continue
        if f[0] == "bench-samples":
            khz = int(f[2])
            if khz == 0:
                sys.exit("bench: the guest does not know its TSC frequency")
            samples[f[1]] = [int(c) * 1e6 / khz for c in f[3:]]  # ns
        elif f[0] == "bench-value":
            values[f[1]] = int(f[2])
    return samples, values


def p99(xs):
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


THP_KNOB = "/sys/kernel/mm/transparent_hugepage/shmem_enabled"


def thp_why_not(world):
    """Why --huge-pages=thp cannot run here, or "". The nested world is
    ours: its shmem THP is set to advise. A host's setting is left alone."""
    try:
        mode = open(THP_KNOB).read().strip()
    except OSError:
        return f"no shmem THP in this kernel ({THP_KNOB})"
    if "[never]" not in mode and "[deny]" not in mode:
        return ""
    if world == "nested":
        try:
            with open(THP_KNOB, "w") as f:
                f.write("advise")
            return ""
        except OSError as e:
            return f"cannot set {THP_KNOB} in the nested world: {e}"
    return f"the host gives shmem no huge pages ({THP_KNOB}: {mode})"


def kvm_stat(flags, name):
    """One KVM vCPU stat (vmm --stats) at the end of a boot-only run."""
    p = subprocess.run([VMM, "--stats", *flags, "-c", "boot-only", IMG], capture_output=True, text=True)
    for line in p.stderr.splitlines():
        w = line.split()
        if len(w) == 5 and w[2:4] == ["kvm", name]:
            return int(w[4])
    sys.exit(f"bench: vmm --stats {' '.join(flags)} printed no kvm {name} (status {p.returncode})")


def huge_pages(world, samples, res, rows, latency, ratio):
    """What 2 MiB host pages (--huge-pages=thp) change: KVM's first-touch
    faults and the boot, each against 4 KiB pages in the same run, and a
    4K view switch (with its first read) on them."""
    why = thp_why_not(world)
    if why:
        res["huge_pages_skipped"] = why
        rows.append(("huge pages (--huge-pages=thp)", "SKIP", why, "", "-", ""))
        return
    thp = ("--huge-pages=thp",)
    pf_thp, pf_4k = kvm_stat(thp, "pf_fixed"), kvm_stat((), "pf_fixed")
    res["boot_pf_fixed_thp"], res["boot_pf_fixed_4k"] = pf_thp, pf_4k
    rows.append(("boot-only, KVM pf_fixed, 2M host pages", f"{pf_thp}", "4K host pages", f"{pf_4k}",
                 f"{pf_thp / pf_4k:.2f}x", ""))
    big, small = alternating_ns([VMM, *thp, "-c", "boot-only", IMG], [VMM, "-c", "boot-only", IMG], BOOT_RUNS)
    mb, msm = statistics.median(big), statistics.median(small)
    res["boot_thp_ns"], res["boot_4k_ns"], res["boot_thp_vs_4k"] = round(mb), round(msm), round(mb / msm, 3)
    rows.append(("boot to exit, 2M host pages", f"{mb / 1e6:.2f} ms (p99 {p99(big) / 1e6:.2f})",
                 "4K host pages", f"{msm / 1e6:.2f} ms (p99 {p99(small) / 1e6:.2f})", f"{mb / msm:.2f}x", ""))
    latency("boot to exit, 2M host pages", [x / 1e6 for x in big], "ms")
    ratio("boot to exit: 2M / 4K host pages", mb / msm, "", BOOT_RUNS)
    huge, _ = parse(run_guest(thp, "bench=vmfunc"))
    for key, name in (("vmfunc_switch_4k", "VMFUNC, switches view (4K)"),
                      ("vmfunc_touch_4k", "VMFUNC switch (4K) + first read")):
        if key not in huge or key not in samples:
            continue
        m, b = statistics.median(huge[key]), statistics.median(samples[key])
        res[key + "_thp_ns"], res[key + "_thp_vs_4k"] = round(m), round(m / b, 3)
        rows.append((name + ", 2M host pages", f"{m:,.0f} ns (p99 {p99(huge[key]):,.0f})",
                     "4K host pages", f"{b:,.0f} ns (p99 {p99(samples[key]):,.0f})", f"{m / b:.3f}x", ""))
        latency(name + ", 2M host pages", huge[key])
        ratio(f"{name}: 2M / 4K host pages", m / b, "", len(huge[key]))


def kvm_figures():
    """Every figure that needs a KVM, in the world this process runs in
    (tools/worlds/in-kvm sets KVM_WORLD). Returns the world, its KVM, the figures
    by key and the table rows."""
    world = os.environ.get("KVM_WORLD")
    if world not in ("host", "nested", "intel"):
        sys.exit("bench: --in-world runs under tools/worlds/in-kvm, which sets KVM_WORLD")
    kvm = subprocess.run([KVM_NAME], capture_output=True, text=True).stdout.strip()
    if os.path.exists(HC_PARAM):
        kvm += " (modules: hc)"
    samples, values = parse(run_guest())
    # The memslot view switch needs its own guest: the VMM's switch method
    # is a flag. Only view_switch_memslot is taken from that run.
    memslot, _ = parse(run_guest(("--view-switch=memslot",),
                                 "bench=vmfunc view-switch=memslot"))
    if "view_switch_memslot" in memslot:
        samples["view_switch_memslot"] = memslot["view_switch_memslot"]
    res, rows = {}, []
    # What tools/bench/bench_chart.py draws: ratios beside their targets, and the
    # distribution (median, p99) of every timed figure, each with its unit
    # and run count. A new figure adds itself here through pair(), whole()
    # or latency().
    chart = {"ratios": [], "latencies": []}
    res["chart"] = chart

    def latency(name, xs, unit="ns"):
        if all(c["name"] != name for c in chart["latencies"]):
            chart["latencies"].append({"name": name, "unit": unit, "runs": len(xs),
                                       "median": statistics.median(xs), "p99": p99(xs)})

    def ratio(name, value, target, runs):
        chart["ratios"].append({"name": name, "ratio": value, "target": target, "runs": runs})

    def pair(name, key, base_key, base_name, key_out, base_out, ratio_key, target):
        if key not in samples or base_key not in samples:
            return
        m, b = statistics.median(samples[key]), statistics.median(samples[base_key])
        res[key_out], res[base_out] = round(m), round(b)
        res[key_out.replace("_ns", "_p99_ns")] = round(p99(samples[key]))
        res[base_out.replace("_ns", "_p99_ns")] = round(p99(samples[base_key]))
        res[ratio_key] = round(m / b, 3)
        rows.append((name, f"{m:,.0f} ns (p99 {p99(samples[key]):,.0f})",
                     base_name, f"{b:,.0f} ns (p99 {p99(samples[base_key]):,.0f})",
                     f"{m / b:.3f}x", target))
        latency(name, samples[key])
        latency(base_name, samples[base_key])
        ratio(f"{name} / {base_name}", m / b, target, len(samples[key]))

    pair("NOP hypercall round trip", "hypercall_nop", "raw_exit", "raw port-I/O exit",
         "hypercall_rtt_ns", "raw_exit_rtt_ns", "hypercall_vs_raw_exit", "<= 1.05x")
    # Two ways to a hypercall (docs/hypercalls-in-kvm.md): answered inside
    # KVM against our VMM's doorbell and the raw exit, all from one guest run.
    # With our kvm.ko it is our ECHO; on stock KVM the same instruction and
    # number get KVM's -1000, answered just as far in: named as such.
    for key, name in (("kvm_hc_echo", "in-KVM hypercall (our ECHO, KVM_MODULES=hc)"),
                      ("kvm_enosys", "in-KVM hypercall (stock KVM's -1000 answer)")):
        pair(name, key, "hypercall_nop", "NOP doorbell (our VMM)",
             "in_kvm_hc_ns", "hypercall_rtt_ns", "in_kvm_hc_vs_doorbell", "")
        pair(name, key, "raw_exit", "raw port-I/O exit",
             "in_kvm_hc_ns", "raw_exit_rtt_ns", "in_kvm_hc_vs_raw_exit", "")
        if key in samples:
            res["in_kvm_hc_kind"] = key
    pair("VMFUNC, switches view (4K)", "vmfunc_switch_4k", "vmfunc_trap", "VMFUNC to the live view",
         "vmfunc_switch_ns", "vmfunc_trap_ns", "vmfunc_switch_vs_trap", "<= 1.25x")
    pair("VMFUNC, switches view (2M)", "vmfunc_switch_2m", "vmfunc_trap", "VMFUNC to the live view",
         "vmfunc_switch_2m_ns", "vmfunc_trap_ns", "vmfunc_switch_2m_vs_trap", "<= 1.25x")
    pair("VMFUNC, switches view (4K)", "vmfunc_switch_4k", "raw_exit", "raw port-I/O exit",
         "vmfunc_switch_ns", "raw_exit_rtt_ns", "vmfunc_switch_vs_raw_exit", "")
    pair("VMFUNC switch (4K) + first read", "vmfunc_touch_4k", "vmfunc_trap",
         "VMFUNC to the live view", "vmfunc_touch_4k_ns", "vmfunc_trap_ns",
         "vmfunc_touch_4k_vs_trap", "")
    pair("VMFUNC view 0 <-> 1 (4K) + first read", "vmfunc_touch_4k_v0", "vmfunc_touch_4k",
         "the same between views 1 and 2", "vmfunc_touch_4k_v0_ns", "vmfunc_touch_4k_ns",
         "vmfunc_touch_4k_v0_vs_views_1_2", "")
    # The native world (kvm_intel nested=1): L2's VMFUNC, which KVM's nested
    # EPTP switching serves in L0, against a VMCALL NOP that goes to L1.
    pair("L2 VMFUNC, switches view (4K)", "l2_vmfunc_switch_4k", "l2_vmcall_nop",
         "L2 VMCALL NOP round trip to L1", "l2_vmfunc_switch_ns", "l2_vmcall_nop_ns",
         "l2_vmfunc_vs_vmcall", "")
    pair("view switch by memslot swap*", "view_switch_memslot", "vmfunc_switch_4k",
         "VMFUNC switch (remap)", "memslot_switch_ns", "vmfunc_switch_ns",
         "memslot_switch_vs_vmfunc_switch", "")
    if "console_batched_ns" in values and "console_bytewise_ns" in values:
        bt, by = values["console_batched_ns"], values["console_bytewise_ns"]
        kib = 64
        res["console_batched_ns"], res["console_bytewise_ns"] = bt, by
        res["console_batched_vs_bytewise"] = round(by / bt, 1)
        rows.append(("64 KiB console, CONSOLE_WRITE", f"{bt / 1e6:.3f} ms ({kib / 1024 / (bt / 1e9):.1f} MiB/s)",
                     "one COM1 exit a byte", f"{by / 1e6:.3f} ms ({kib / 1024 / (by / 1e9):.2f} MiB/s)",
                     f"{by / bt:.0f}x faster", ">= 100x"))
        ratio("64 KiB console: bytewise / CONSOLE_WRITE", by / bt, ">= 100x", 1)
    for k, v in values.items():
        res.setdefault(k, v)

    def whole(name, ours, base_name, base_cmd, runs, keys, target="", base_ok=(0,)):
        base = wall_ns(base_cmd, runs, base_ok)
        res[keys[0]], res[keys[1]], res[keys[2]] = round(ours), round(base), round(ours / base, 3)
        rows.append((name, f"{ours / 1e6:.2f} ms", base_name, f"{base / 1e6:.2f} ms",
                     f"{ours / base:.2f}x", target))
        ratio(f"{name} / {base_name}", ours / base, target, runs)

    # The boot: our whole process to long mode and exit against the seed's
    # kvm-hello-world, run in turns, BOOT_RUNS each.
    ours, seed = alternating_ns([VMM, "-c", "boot-only", IMG], [HELLO], BOOT_RUNS)
    mo, ms = statistics.median(ours), statistics.median(seed)
    res["boot_to_exit_ns"], res["seed_hello_ns"] = round(mo), round(ms)
    res["boot_to_exit_p99_ns"], res["seed_hello_p99_ns"] = round(p99(ours)), round(p99(seed))
    res["boot_vs_seed_hello"] = round(mo / ms, 3)
    res["boot_runs"] = BOOT_RUNS
    rows.append(("boot to exit, our VMM + kernel", f"{mo / 1e6:.2f} ms (p99 {p99(ours) / 1e6:.2f})",
                 "the seed's kvm-hello-world", f"{ms / 1e6:.2f} ms (p99 {p99(seed) / 1e6:.2f})",
                 f"{mo / ms:.2f}x", "<= 1.5x"))
    latency("boot to exit, our VMM + kernel", [x / 1e6 for x in ours], "ms")
    latency("the seed's kvm-hello-world", [x / 1e6 for x in seed], "ms")
    ratio("boot to exit / the seed's kvm-hello-world", mo / ms, "<= 1.5x", BOOT_RUNS)
    # What the boot path costs on a KVM that emulates CPL0 code: its
    # instructions, single-stepped, per phase.
    phases, total = boot_insns()
    res["boot_insns"], res["boot_insns_by_phase"] = total, {k: v[0] for k, v in phases.items()}
    res["boot_emulated_by_phase"] = {k: v[1] for k, v in phases.items()}
    biggest = max(phases.items(), key=lambda kv: kv[1][0])
    rows.append(("boot path, guest instructions", f"{total:,} (single-stepped)",
                 "the largest phase", f"{biggest[0]}: {biggest[1][0]:,}", "-", ""))
    huge_pages(world, samples, res, rows, latency, ratio)
    # QEMU boots the same image through SeaBIOS on the same KVM and runs
    # the same suite (its isa-debug-exit turns status 0 into 1). Our suite
    # is timed once: the QEMU TCG comparison outside reuses suite_vmm_ns.
    suite_runs = [run_ns([VMM, IMG]) for _ in range(3)]
    suite = statistics.median(suite_runs)
    latency("whole suite, our VMM", [x / 1e6 for x in suite_runs], "ms")
    if world == "intel":
        res["suite_vmm_ns"] = round(suite)
        rows.append(("whole suite, our VMM", f"{suite / 1e6:.2f} ms", "QEMU KVM, same image",
                     "not run: QEMU is not in the intel world's initramfs", "-", ""))
        return {"world": world, "kvm": kvm, "figures": res, "rows": rows}
    whole("whole suite, our VMM", suite, "QEMU KVM, same image", QEMU + ["-accel", "kvm"],
          1, ("suite_vmm_ns", "suite_qemu_kvm_ns", "suite_vmm_vs_qemu_kvm"), base_ok=(1,))
    return {"world": world, "kvm": kvm, "figures": res, "rows": rows}


def world_env(world):
    """The environment for tools/worlds/in-kvm in WORLD. KVM_MODULES=hc (our
    kvm.ko) is for the nested world only: the host's KVM is left alone, and
    the intel world loads Debian's kvm_intel."""
    env = dict(os.environ, KVM_WORLD=world)
    if world in ("host", "intel"):
        env.pop("KVM_MODULES", None)
    return env


def host_world():
    """(True, "") when the host world can be had, else (False, why),
    asked of tools/worlds/in-kvm itself so both agree."""
    p = subprocess.run([IN_KVM, "true"], env=world_env("host"),
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    why = p.stderr.strip().removeprefix("in-kvm: ")
    return p.returncode == 0, why or f"tools/worlds/in-kvm exited {p.returncode}"


def run_world(world):
    """kvm_figures() in WORLD: this script again, under tools/worlds/in-kvm."""
    out = os.path.join(ROOT, "build", f"bench-{world}.json")
    if os.path.exists(out):
        os.unlink(out)
    print(f"bench: running the KVM figures in the {world} world"
          + {"nested": " (QEMU TCG: about a minute)", "intel": " (Bochs: a few minutes)"}.get(world, ""),
          file=sys.stderr)
    # A hung world must end with a message, not hold `make bench` for the
    # in-kvm default of an hour.
    env = world_env(world)
    env.setdefault("IN_KVM_TIMEOUT", "900")
    # The intel world carries Debian's python3 only (tools/worlds/intel/setup.sh).
    python = "/usr/bin/python3" if world == "intel" else sys.executable
    p = subprocess.run([IN_KVM, python, os.path.abspath(__file__), "--in-world", out],
                       env=env, stdin=subprocess.DEVNULL)
    if p.returncode != 0 or not os.path.exists(out):
        sys.exit(f"bench: the KVM figures could not be run in the {world} world "
                 f"(tools/worlds/in-kvm exited {p.returncode}; its messages are above)")
    with open(out) as f:
        got = json.load(f)
    os.unlink(out)
    return got


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--in-world":
        got = kvm_figures()
        with open(sys.argv[2], "w") as f:
            json.dump(got, f)
        return
    if len(sys.argv) != 1:
        sys.exit("usage: tools/bench/bench.py   (--in-world FILE is for tools/worlds/in-kvm)")

    worlds, skipped = [], {}
    if os.environ.get("KVM_WORLD") == "intel":
        worlds.append(run_world("intel"))
        skipped["host"] = skipped["nested"] = "KVM_WORLD=intel: the intel world alone"
    else:
        ok, why = host_world()
        if ok:
            worlds.append(run_world("host"))
        else:
            skipped["host"] = why
        worlds.append(run_world("nested"))
    for w in worlds:
        w["label"] = f"{w['world']}/{w['kvm']}"

    # QEMU TCG runs the same image on this machine, with no KVM: host/none.
    # Its only same-world partner is our suite in the host world; without
    # that world it stands alone (a ratio to a nested figure would compare
    # two different machines).
    tcg = {"world": "host", "kvm": "none", "label": "host/none", "rows": [],
           "figures": {"suite_qemu_tcg_ns": round(wall_ns(QEMU + ["-accel", "tcg"], 3, (1,)))}}
    q = tcg["figures"]["suite_qemu_tcg_ns"]
    host = next((w for w in worlds if w["world"] == "host"), None)
    if host:
        ours = host["figures"]["suite_vmm_ns"]
        host["figures"]["suite_vmm_vs_qemu_tcg"] = round(ours / q, 3)
        host["rows"].append(("whole suite, our VMM", f"{ours / 1e6:.2f} ms",
                             "QEMU TCG, same image (host/none)", f"{q / 1e6:.2f} ms",
                             f"{ours / q:.2f}x", ""))
    else:
        tcg["rows"].append(("whole suite, our VMM", "(no host world)",
                            "QEMU TCG, same image", f"{q / 1e6:.2f} ms", "-", ""))
        tcg["caveat"] = "QEMU TCG's time stands alone: our VMM has no host world to run in beside it"
    worlds.append(tcg)

    head = ("world/KVM", "figure", "ours", "baseline", "baseline figure", "ratio", "target")
    rows = [(w["label"],) + tuple(r) for w in worlds for r in w["rows"]]
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    print("* from a second guest run under `vmm --view-switch=memslot`, the same 4K "
          "switch as vmfunc_switch_4k: memslot delete + re-add")
    for w in worlds:
        caveat = w.get("caveat") or CAVEATS.get(w["world"]) or KVM_CAVEATS.get(w["kvm"])
        if caveat:
            w["caveat"] = caveat
            print(f"{w['label']}: {caveat}")
    for world, why in skipped.items():
        print(f"{world} world's KVM figures skipped: {why}")

    with open(OUT, "w") as f:
        json.dump({"worlds": {w["label"]: {k: w[k] for k in ("world", "kvm", "figures", "caveat")
                                           if k in w} for w in worlds},
                   "skipped": skipped}, f, indent=2, sort_keys=True)
    print(f"wrote {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
