#!/usr/bin/python3
"""build/bench.json -> build/bench.png: the figures of one `make bench`.

Top: every ratio beside its target (log scale; a ratio with a target is
green when it meets it, red when not). Bottom: the latency distribution of
every timed figure, median (bar) and p99 (tick), one panel per unit. Each
label carries the figure's world/KVM, its unit and its run count.
Needs matplotlib (Debian: python3-matplotlib, tools/install-deps.sh).
"""
import json
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def meets(ratio, target):
    """True/False against a target such as '<= 1.5x' or '>= 100x'; None if none."""
    m = re.match(r"\s*([<>]=)\s*([0-9.]+)x", target or "")
    if not m:
        return None
    return ratio <= float(m.group(2)) if m.group(1) == "<=" else ratio >= float(m.group(2))


def target_value(target):
    m = re.match(r"\s*[<>]=\s*([0-9.]+)x", target or "")
    return float(m.group(1)) if m else None


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bench.json")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "build", "bench.png")
    with open(src) as f:
        bench = json.load(f)
    ratios, lats = [], []
    for label, w in bench["worlds"].items():
        chart = w["figures"].get("chart")
        if not chart:
            continue
        ratios += [dict(r, world=label) for r in chart["ratios"]]
        # A baseline shared by two pairs is one set of samples under two
        # names (bench.py's pair()): drawn once, under its first name.
        seen = set()
        for x in chart["latencies"]:
            key = (x["unit"], x["runs"], x["median"], x["p99"])
            if key not in seen:
                seen.add(key)
                lats.append(dict(x, world=label))
    if not ratios:
        sys.exit(f"bench_chart: no chart data in {src} (run make bench)")
    units = sorted({x["unit"] for x in lats})
    heights = [max(2.5, 0.42 * len(ratios))] + \
              [max(2.0, 0.42 * sum(x["unit"] == u for x in lats)) for u in units]
    fig, axes = plt.subplots(len(heights), 1, figsize=(12, sum(heights) + 1.5),
                             gridspec_kw={"height_ratios": heights})
    ax = axes[0]
    ys = range(len(ratios))
    colors = [{True: "tab:green", False: "tab:red", None: "tab:gray"}[meets(r["ratio"], r["target"])]
              for r in ratios]
    ax.barh(ys, [r["ratio"] for r in ratios], color=colors)
    for y, r in zip(ys, ratios):
        t = target_value(r["target"])
        if t:
            ax.plot([t, t], [y - 0.4, y + 0.4], color="black", lw=2)
        ax.text(r["ratio"], y, f" {r['ratio']:.3g}x" + (f" (target {r['target']})" if t else ""),
                va="center", fontsize=8)
    ax.set_yticks(list(ys))
    ax.set_yticklabels([f"{r['name']} [{r['world']}, n={r['runs']}]" for r in ratios], fontsize=8)
    ax.set_xscale("log")
    ax.axvline(1, color="gray", lw=0.5)
    ax.invert_yaxis()
    ax.set_xlabel("ratio (ours / baseline; black tick: the target; green meets it, red does not)")
    ax.set_title("make bench: ratios against their targets")
    for ax, unit in zip(axes[1:], units):
        xs = [x for x in lats if x["unit"] == unit]
        ys = range(len(xs))
        ax.barh(ys, [x["median"] for x in xs], color="tab:blue", label="median")
        ax.scatter([x["p99"] for x in xs], list(ys), marker="|", s=200, color="tab:orange",
                   label="p99", zorder=3)
        for y, x in zip(ys, xs):
            ax.text(x["p99"], y, f"  {x['median']:,.0f} / {x['p99']:,.0f} {unit}", va="center", fontsize=8)
        ax.set_yticks(list(ys))
        ax.set_yticklabels([f"{x['name']} [{x['world']}, n={x['runs']}]" for x in xs], fontsize=8)
        ax.set_xscale("log")
        ax.set_xlim(min(x["median"] for x in xs) / 4, max(x["p99"] for x in xs) * 8)
        ax.invert_yaxis()
        ax.set_xlabel(f"{unit} (log scale)")
        ax.set_title(f"latency distributions, {unit}: median and p99")
        ax.legend(loc="lower right", fontsize=8)
    notes = [f"{label}: {w['caveat']}" for label, w in bench["worlds"].items() if w.get("caveat")]
    notes += [f"{k} world skipped: {v}" for k, v in bench.get("skipped", {}).items()]
    fig.text(0.01, 0.005, "\n".join(notes), fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.02 + 0.012 * len(notes), 1, 1))
    fig.savefig(out, dpi=90)
    print(f"wrote {os.path.relpath(out, ROOT)}")


if __name__ == "__main__":
    main()
