#!/usr/bin/env python3
"""Guest-side fuzzer of the VMM's exit paths (`make fuzz-guest`).

Generates boot sectors (tools/fuzz-guest/fuzz_guest_gen.py) here, runs each under
every VMM of --vmms in a KVM world through tools/fuzz-guest/fuzz_guest_run.sh (Python
takes ~10 s to start inside the nested world, so only that bash loop runs
there), and judges each run: a documented status (0-125), a message on
stderr for 123 and 125, no death by signal, no sanitizer report, no hang
past the outer timeout (the VMM's own --timeout, 124, is fine: a spinning
guest). TAP, one line per batch or failing guest, closing "N passed,
N failed, N skipped"; failing images are kept in build/fuzz-guest/ with the
seed and index that rebuild them.
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import time

from fuzz_guest_gen import build

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, "build", "fuzz-guest")

# ---- running and judging ----------------------------------------------------

SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:")


def verdict(status, err, san, outer):
    """None if this run is fine, else why not."""
    if san or SANITIZER.search(err):
        return "sanitizer report"
    if status > 128:
        return f"killed by signal {status - 128}" + (
            f" (the outer {outer} s timeout: a hang)" if status == 137 else "")
    if status > 125:
        return f"undocumented status {status}"
    if status in (123, 125) and not err.strip():
        return f"status {status} without a message on stderr"
    return None


def kind(err):
    """The VMM's last message (not --trace/--stats/--dump-pt output)
    reduced to its kind, numbers blanked, for the summary."""
    lines = [l for l in err.strip().splitlines()
             if l and not re.match(r"vmm: (trace|stats|dump-pt):|\s", l)]
    line = re.sub(r"^vmm: ", "", lines[-1]) if lines else "(no message)"
    line = re.sub(r"0x[0-9a-f]+|\b\d+\b", "N", line)
    return re.split(r" at | \(|: ", line)[0][:60]


def world_cmd(world, cmd):
    if world == "here":
        return cmd
    if world == "auto":
        return [os.path.join(ROOT, "tools", "worlds", "in-kvm"), "bash", "-c",
                'echo "# world: $KVM_WORLD, KVM: $(tools/worlds/kvm-name)"; exec "$@"', "fz"] + cmd
    return ["bash", os.path.join(ROOT, "tests", "in_world.sh"), world] + cmd


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=os.environ.get("FUZZ_SEED") or None)
    ap.add_argument("--count", type=int, default=int(os.environ.get("FUZZ_GUESTS", 200)))
    ap.add_argument("--only", type=int, help="just image INDEX of the seed")
    ap.add_argument("--world", default=os.environ.get("FUZZ_WORLD", "auto"),
                    help="auto (tools/worlds/in-kvm's choice), host, nested, or here")
    ap.add_argument("--vmms", default=os.environ.get("VMMS", "build/vmm build/vmm-asan"))
    ap.add_argument("--timeout", default="2", help="the VMM's --timeout")
    ap.add_argument("--outer", type=int, default=10, help="seconds before a run is a hang")
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--gen", metavar="DIR", help="only write the images (and a manifest) to DIR")
    o = ap.parse_args()
    if o.seed is None:
        o.seed = random.SystemRandom().randrange(1, 1 << 31)
    idx = [o.only] if o.only is not None else list(range(o.count))
    os.chdir(ROOT)
    run_dir = o.gen or os.path.join(OUT_DIR, f".run-{o.seed}-{os.getpid()}")
    os.makedirs(run_dir, exist_ok=True)
    info = {}
    with open(os.path.join(run_dir, "manifest"), "w") as man:
        for i in idx:
            img, args, mode = build(o.seed, i)
            name = f"{i:06d}.img"
            with open(os.path.join(run_dir, name), "wb") as f:
                f.write(img)
            man.write(f"{name} {' '.join(args)}\n")
            info[name] = (i, args, mode)
    print(f"# fuzz-guest: seed {o.seed}, {len(idx)} guests, VMM --timeout {o.timeout}, "
          f"outer timeout {o.outer} s")
    if o.gen:
        print(f"# images in {o.gen}")
        return 0

    n = passed = failed = skipped = 0
    vmms = []
    for v in o.vmms.split():
        if os.access(v, os.X_OK):
            vmms.append(v)
        else:
            n += 1
            skipped += 1
            print(f"ok {n} - {v}: guests of seed {o.seed} # SKIP {v} is not built")
    if not vmms:
        print(f"{passed} passed, {failed} failed, {skipped} skipped")
        return 0
    t0 = time.monotonic()
    cmd = ["bash", "tools/fuzz-guest/fuzz_guest_run.sh", run_dir, o.timeout, str(o.outer)] + vmms
    p = subprocess.run(world_cmd(o.world, cmd), stdout=subprocess.PIPE, text=True,
                       errors="replace")
    took = time.monotonic() - t0
    results = {v: [] for v in vmms}
    for line in p.stdout.splitlines():
        f = line.split("\t")
        if len(f) == 6 and f[1] in results:
            err = f[5].replace("\\n", "\n").replace("\\t", "\t")
            results[f[1]].append((f[0], int(f[2]), int(f[3]), f[4] == "1", err))
        else:
            print(line)                                  # "# world: ..." and the like
    os.makedirs(OUT_DIR, exist_ok=True)
    for v in vmms:
        got = results[v]
        statuses, kinds = {}, {}
        for b in range(0, len(idx), o.batch):
            batch, bad = got[b:b + o.batch], 0
            for name, st, ms, san, err in batch:
                statuses[st] = statuses.get(st, 0) + 1
                k = f"{st} {kind(err)}"
                kinds.setdefault(k, [0, int(name[:6])])[0] += 1
                why = verdict(st, err, san, o.outer)
                if not why:
                    continue
                bad += 1
                i, args, mode = info[name]
                keep = os.path.join(OUT_DIR, f"seed{o.seed}-{i}.img")
                shutil.copy(os.path.join(run_dir, name), keep)
                with open(keep[:-4] + ".err", "w") as ef:
                    ef.write(err)
                n += 1
                failed += 1
                print(f"not ok {n} - {v}: guest {i} of seed {o.seed} ({mode}): {why}")
                print(f"#   reproduce: {v} --timeout {o.timeout} {' '.join(args)} "
                      f"{os.path.relpath(keep, ROOT)}   (rebuild: python3 tools/fuzz-guest/fuzz_guest.py "
                      f"--seed {o.seed} --only {i} --gen DIR)")
                for el in err.strip().splitlines()[:8]:
                    print(f"#   stderr: {el}")
            if len(batch) > bad:
                n += 1
                passed += 1
                print(f"ok {n} - {v}: guests {b}-{b + len(batch) - 1} of seed {o.seed}: "
                      f"{len(batch) - bad} ran as documented")
        if len(got) != len(idx):
            n += 1
            failed += 1
            print(f"not ok {n} - {v}: {len(got)} of {len(idx)} guests reported "
                  f"(the runner exited {p.returncode})")
        print(f"# {v}: statuses " + ", ".join(f"{s}: {c}" for s, c in sorted(statuses.items())))
        for k, (c, first) in sorted(kinds.items(), key=lambda kc: -kc[1][0]):
            print(f"#   {c:5d}  {k} (first: guest {first})")
    print(f"# {sum(len(r) for r in results.values())} runs in {took:.1f} s")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    shutil.rmtree(run_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
