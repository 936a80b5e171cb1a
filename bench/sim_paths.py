"""Simulated cycles per wall-second on each simulation path, and the cocotb overhead.

Usage: .venv/bin/python bench/sim_paths.py [--runs 5] [--workloads lebug_distribution gemm_128 mlp_digits_100]
                                           [--paths cocotb plain native]
Writes bench/results/sim_paths.json and bench/results/cocotb_overhead.json.

Workloads and paths: bench/workloads.py. Every path runs each workload once untimed
(builds, warm caches; checked like every run), then `runs` timed rounds, the paths
interleaved inside a round (cocotb, plain, native) so that drift in the machine's load
hits all of them alike. Per path: wall seconds and simulated cycles per wall-second
(median, min, max over the rounds). cocotb overhead = wall(cocotb) / wall(plain) per
round (median, min, max), target <= 1.5 on lebug_distribution and gemm_128 (reported,
never asserted: wall time depends on the machine).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import spread, write  # noqa: E402
from bench.workloads import PATHS, WORKLOADS  # noqa: E402

OVERHEAD_TARGET = 1.5
OVERHEAD_WORKLOADS = ("lebug_distribution", "gemm_128")
NATIVE_TARGET = 20.0


def measure(name: str, runs: int, paths: list[str]) -> dict[str, Any]:
    from tqdm import tqdm

    tqdm.write(f"{name}: preparing")
    w = WORKLOADS[name]()
    active = [p for p in PATHS if p in paths and p in w.runners]
    for p in tqdm(active, desc=f"{name}: warm-up (builds)", unit="path", leave=False):
        w.runners[p]()
    samples: dict[str, list] = {p: [] for p in active}
    for _ in tqdm(range(runs), desc=f"{name}: timed rounds", unit="round"):
        for p in active:
            samples[p].append(w.runners[p]())
    out: dict[str, Any] = {"description": w.description, "paths": {}}
    for p in PATHS:
        if p not in active:
            why = w.unavailable.get(p, "not selected (--paths)")
            out["paths"][p] = {"available": False, "reason": why}
            continue
        s = samples[p]
        cycles = sorted({x.cycles for x in s})
        out["paths"][p] = {"available": True, "sim_cycles": cycles[0] if len(cycles) == 1 else cycles,
                           "wall_s": spread([x.wall_s for x in s]),
                           "cycles_per_s": spread([x.cycles / x.wall_s for x in s])}
    if "cocotb" in active and "plain" in active:
        ratios = [c.wall_s / q.wall_s for c, q in zip(samples["cocotb"], samples["plain"])]
        out["cocotb_overhead"] = spread(ratios)
    if "cocotb" in active and "native" in active:
        c, n = out["paths"]["cocotb"]["cycles_per_s"], out["paths"]["native"]["cycles_per_s"]
        out["native_speedup_vs_cocotb"] = n["median"] / c["median"]
    if "plain" in active and "native" in active:
        out["native_speedup_vs_plain"] = (out["paths"]["native"]["cycles_per_s"]["median"]
                                          / out["paths"]["plain"]["cycles_per_s"]["median"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    ap.add_argument("--paths", nargs="+", default=list(PATHS), choices=list(PATHS))
    args = ap.parse_args()
    results = {name: measure(name, args.runs, args.paths) for name in args.workloads}
    out = write("sim_paths", {"runs": args.runs, "clock_ns": 10,
                              "definition": "simulated clock cycles of the whole run (reset, programming, run, "
                                            "read-back) / wall seconds of the simulator process; builds excluded",
                              "workloads": results})
    print(f"wrote {out}")
    overhead = {name: {**r["cocotb_overhead"], "target": OVERHEAD_TARGET,
                       "met": r["cocotb_overhead"]["median"] <= OVERHEAD_TARGET,
                       "cocotb_wall_s": r["paths"]["cocotb"]["wall_s"], "plain_wall_s": r["paths"]["plain"]["wall_s"]}
                for name, r in results.items() if "cocotb_overhead" in r}
    if overhead:
        out = write("cocotb_overhead", {
            "definition": "wall(cocotb + Icarus run) / wall(plain Icarus run of the same stimulus), per round; "
                          "compile excluded for both (built once in a warm-up run)",
            "target_workloads": list(OVERHEAD_WORKLOADS), "workloads": overhead})
        print(f"wrote {out}")
    for name, r in results.items():
        cells = []
        for p in PATHS:
            d = r["paths"][p]
            cells.append(f"{p} {d['cycles_per_s']['median']:,.0f} cyc/s" if d["available"] else f"{p} n/a")
        extra = f"  overhead {r['cocotb_overhead']['median']:.2f}" if "cocotb_overhead" in r else ""
        print(f"{name:20s} " + "  ".join(cells) + extra)


if __name__ == "__main__":
    main()
