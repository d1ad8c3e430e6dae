#!/usr/bin/python3
"""Render a --trace-json file as a timeline PNG (matplotlib), where
ui.perfetto.dev cannot be reached to take a screenshot of it.

    /usr/bin/python3 tools/bench/trace_render.py TRACE.json OUT.png [TITLE]

Two lanes, as Perfetto shows them: the VMM's phases, and the vCPU's exits
(each a slice from KVM_RUN's return to the next entry, coloured by name);
the guest's boot stages are vertical lines. Time in ms from process start.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def draw(ax, phases, exits, stages, colour, xlim):
    """One view of the lanes; xlim (ms) zooms."""
    cmap = plt.get_cmap("tab20")
    width = (xlim[1] - xlim[0]) if xlim else max(e["ts"] + e["dur"] for e in phases) / 1e3
    for i, e in enumerate(p for p in phases if p["name"] != "run the guest"):
        ax.broken_barh([(e["ts"] / 1e3, e["dur"] / 1e3)], (2.1, 0.8), color=cmap(i % 20))
        if not xlim:
            ax.text((e["ts"] + e["dur"] / 2) / 1e3, 3.0 + 0.25 * (i % 2), e["name"],
                    ha="center", fontsize=7)
    for e in (p for p in phases if p["name"] == "run the guest"):
        ax.broken_barh([(e["ts"] / 1e3, e["dur"] / 1e3)], (1.6, 0.4), color="lightgray")
        ax.text(max(e["ts"] / 1e3, xlim[0] if xlim else 0), 1.8, " run the guest",
                va="center", fontsize=7)
    for e in exits:
        # An exit is tens of us: drawn at least 0.15% of the view wide to be seen.
        ax.broken_barh([(e["ts"] / 1e3, max(e["dur"] / 1e3, width * 0.0015))], (0.2, 0.8),
                       color=colour[e["name"]])
    for k, s in enumerate(stages):
        ax.axvline(s["ts"] / 1e3, ymin=0, ymax=0.36, color="black", lw=0.6, ls=":")
        if xlim:
            ax.text(s["ts"] / 1e3, -0.1 - 0.35 * (k % 3), s["name"], ha="center", va="top",
                    fontsize=7)
    ax.set_yticks([0.6, 1.8, 2.5])
    ax.set_yticklabels(["vCPU 0: exits", "", "VMM phases"], fontsize=8)
    ax.set_ylim(-1.3, 3.6)
    if xlim:
        pad = (xlim[1] - xlim[0]) * 0.02
        ax.set_xlim(xlim[0] - pad, xlim[1] + pad)
    ax.set_xlabel("ms from process start")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        trace = json.load(f)
    ev = trace["traceEvents"]
    od = trace.get("otherData", {})
    phases = [e for e in ev if e.get("ph") == "X" and e.get("tid") == 1]
    exits = [e for e in ev if e.get("ph") == "X" and e.get("tid") == 2]
    stages = [e for e in ev if e.get("ph") == "i" and e.get("tid") == 2 and e.get("s") == "t"]
    run = [p for p in phases if p["name"] == "run the guest"]
    names = sorted({e["name"] for e in exits})
    cmap = plt.get_cmap("tab20")
    colour = {n: cmap((i * 2 + 1) % 20) for i, n in enumerate(names)}
    fig, (whole, zoom) = plt.subplots(2, 1, figsize=(13, 8))
    draw(whole, phases, exits, stages, colour, None)
    if run:
        r = run[0]
        draw(zoom, phases, exits, stages, colour, (r["ts"] / 1e3, (r["ts"] + r["dur"]) / 1e3))
        zoom.set_title("the guest's run, zoomed", fontsize=9)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour[n]) for n in names]
    whole.legend(handles, [f"{n} ({sum(e['name'] == n for e in exits)})" for n in names],
                 fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="exits (count)",
                 title_fontsize=7)
    title = sys.argv[3] if len(sys.argv) == 4 else sys.argv[1]
    whole.set_title(f"{title} ({od.get('kvm', '?')}, {od.get('world', '?')} world; "
                    f"{od.get('exits_recorded', len(exits))} exits recorded, "
                    f"{od.get('exits_dropped', 0)} dropped)", fontsize=9)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)


if __name__ == "__main__":
    main()
