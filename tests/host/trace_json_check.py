#!/usr/bin/env python3
"""The file checks of tests/host/trace_json.sh: TAP lines numbered from
argv[1] + 1 over the files it left in argv[2]. Only order and sign are
checked, never a time's size."""
import json
import re
import sys

n = int(sys.argv[1])
d = sys.argv[2]


def tap(ok, desc, why=""):
    global n
    n += 1
    print(f"ok {n} - {desc}" if ok else f"not ok {n} - {desc} # {why}")


def load(name):
    try:
        with open(f"{d}/{name}") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        tap(False, f"trace-json: {name} parses as JSON", str(e))
        return None


def vcpu_slices(t):
    return [e for e in t["traceEvents"] if e.get("ph") == "X" and e.get("tid") == 2]


def check_slices(name, t):
    bad = [e for e in t["traceEvents"] if e.get("ph") == "X"
           and not (isinstance(e.get("dur"), (int, float)) and e["dur"] >= 0
                    and isinstance(e.get("ts"), (int, float)))]
    tap(not bad, f"trace-json: {name}: every slice has a start and a non-negative duration",
        f"{len(bad)} do not, first {bad[:1]}")


# The hypercall guest (tests/guests/hypercall.asm): its exits in order.
t = load("hc.json")
if t:
    tap(True, "trace-json: hc.json parses as JSON")
    names = [e["name"] for e in vcpu_slices(t)]
    want = ["hypercall NOP", "hypercall, misaligned block", "hypercall, misaligned block",
            "hypercall CONSOLE_WRITE", "hypercall unknown", "hypercall EXIT"]
    tap(names == want, "trace-json: the hypercall guest's exits in order, named by call",
        f"got {names}")
    cw = [e for e in vcpu_slices(t) if e["name"] == "hypercall CONSOLE_WRITE"]
    tap(len(cw) == 1 and cw[0]["args"].get("nr") == 2 and cw[0]["args"].get("arg1") == "0xb"
        and cw[0]["args"].get("ret") == 11 and cw[0]["args"].get("port") == "0x500",
        "trace-json: CONSOLE_WRITE's number, arguments and return value in args",
        f"got {cw[:1]}")
    starts = [e["ts"] for e in vcpu_slices(t)]
    tap(starts == sorted(starts), "trace-json: the exits are in time order", f"{starts}")
    check_slices("hc.json", t)
    od = t.get("otherData", {})
    tap(od.get("exits_recorded") == 6 and od.get("exits_dropped") == 0 and od.get("kvm"),
        "trace-json: otherData names the KVM and counts 6 exits, none dropped", f"{od}")

t = load("bound.json")
if t:
    od = t.get("otherData", {})
    full = [e for e in t["traceEvents"] if e.get("ph") == "i"
            and e.get("name") == "trace buffer full: 4 later exits not recorded"]
    tap(len(vcpu_slices(t)) == 2 and od.get("exits_dropped") == 4 and len(full) == 1,
        "trace-json: past a bound of 2, 2 exits kept and the file says 4 dropped",
        f"{len(vcpu_slices(t))} slices, {od}, {len(full)} notes")

# The kernel's boot-only run: stages as instants in order, VMM phases.
t = load("boot.json")
if t:
    check_slices("boot.json", t)
    inst = [e for e in t["traceEvents"] if e.get("ph") == "i" and e.get("tid") == 2]
    want = ["stub entry (real mode)", "image loaded", "protected mode", "long mode",
            "C entry", "init done", "exit"]
    tap([e["name"] for e in inst] == want, "trace-json: the kernel's boot stages, in order",
        f"got {[e['name'] for e in inst]}")
    ts = [e["ts"] for e in inst]
    tap(ts == sorted(ts), "trace-json: the boot stages' times do not go back", f"{ts}")
    phases = [e["name"] for e in t["traceEvents"] if e.get("ph") == "X" and e.get("tid") == 1]
    want = ["allocate guest RAM", "load image", "open /dev/kvm", "create VM",
            "map RAM (memslot)", "create vCPU", "boot info, devices, sandbox", "run the guest"]
    tap(phases == want, "trace-json: the VMM's phases on their own track, in order", f"got {phases}")
    meta = {e["tid"]: e["args"]["name"] for e in t["traceEvents"]
            if e.get("ph") == "M" and e.get("name") == "thread_name"}
    tap(meta == {1: "VMM phases", 2: "vCPU 0"}, "trace-json: the two tracks are named", f"{meta}")
    last = vcpu_slices(t)[-1:]
    tap(bool(last) and last[0]["name"] == "IO out 0x501",
        "trace-json: the boot-only run ends with the exit port", f"{last}")

# --stats: the timeline, its rows in order and their times not going back.
ROW = re.compile(r"^vmm: stats: +(-?[0-9.]+)  (VMM|guest) +(.+?)(?: {2,}.*)?$")
for name, stepped in (("boot.stats", False), ("steps.stats", True)):
    try:
        lines = open(f"{d}/{name}").read().splitlines()
    except OSError as e:
        tap(False, f"stats: {name} readable", str(e))
        continue
    start = next((i for i, l in enumerate(lines) if "stats: timeline" in l), None)
    rows = [ROW.match(l) for l in lines[start + 2:]] if start is not None else []
    rows = [r for r in rows if r]
    got = [f"{r.group(2)} {r.group(3).strip()}" for r in rows]
    want = ["VMM process start", "VMM guest RAM allocated", "VMM image loaded", "VMM KVM opened",
            "VMM VM created", "VMM RAM mapped (memslot)", "VMM vCPU created", "VMM first KVM_RUN",
            "guest stub entry (real mode)", "guest image loaded", "guest protected mode",
            "guest long mode", "guest C entry", "guest init done", "guest exit", "VMM exit"]
    tap(got == want, f"stats: {name}: the timeline's rows, VMM phases and guest stages in order",
        f"got {got}")
    us = [float(r.group(1)) for r in rows]
    tap(bool(us) and us[0] == 0 and us == sorted(us),
        f"stats: {name}: the timeline starts at 0 us and never goes back", f"{us}")
    if stepped:
        counts = [int(l.split()[-1]) for l in lines[start + 2:]
                  if ROW.match(l) and len(l.split()) >= 8 and l.split()[-1].isdigit()]
        total = next((int(m.group(1)) for l in lines
                      for m in [re.search(r"stats: (\d+) guest instructions single-stepped", l)] if m), None)
        tap(total is not None and total > 0 and sum(counts) == total and all(c >= 0 for c in counts),
            "count-insns: the stepped column adds up to the total, which is not 0",
            f"rows {counts}, total {total}")
print(f"# trace_json_check: done at {n}")
