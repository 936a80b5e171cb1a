"""Simulated cycles per wall-second of every simulator on the three workloads, and the ratios.

Usage: .venv/bin/python -m bench.sim_paths [--runs 5] [--quick]
           [--workloads lebug_distribution gemm_128 mlp_digits_100]
           [--sims icarus verilator verilator-native icarus-plain]
Writes bench/results/sim_paths.json (--quick: sim_paths_quick.json).

Workloads and simulators: bench/workloads.py. A warm-up runs every workload once on every
simulator (builds; untimed, checked like every run); then `runs` timed rounds, each
running every workload once on every simulator (the simulator order rotates from round
to round) so that drift in the machine's load hits all of them alike. Every run is
checked against the model, and its whole outputs and cycle counts against the warm-up
run of the first simulator: any difference stops the bench with the first mismatch.

Per simulator: wall seconds (tb.job.JobResult.wall_s: the simulation processes, builds
excluded) and simulated cycles (JobResult.job_cycles) per wall-second, median [min-max]
over the rounds. Ratios are taken per round (same round, same stimulus) and reported as
median [min-max]:
  verilator/icarus      cocotb+Verilator over cocotb+Icarus (target >= 5x on the two long workloads)
  native/verilator      verilator-native over cocotb+Verilator (the fast path is kept only if >= 3x
                        on the two long workloads)
  icarus/icarus-plain   cocotb overhead: wall(cocotb+Icarus) / wall(plain Icarus): the same harness
                        job under vvp, driven by tb/common/job_main.v instead of cocotb
Wall-time figures are reported, never asserted: they depend on the machine and its load.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.common import spread, write
from bench.workloads import QUICK, SIMS, WORKLOADS, Sample, Workload, availability, differences
from pymodel.errors import AccelscopeError

LONG = ("lebug_distribution", "gemm_128")  # the workloads the targets apply to
# name: (faster simulator, baseline simulator, kind, target, what)
#   kind "speedup": cycles/s(faster) / cycles/s(baseline), target a minimum
#   kind "overhead": wall(faster) / wall(baseline), no target
RATIOS: dict[str, tuple[str, str, str, float | None, str]] = {
    "verilator/icarus": ("verilator", "icarus", "speedup", 5.0, "cocotb+Verilator vs cocotb+Icarus"),
    "native/verilator": ("verilator-native", "verilator", "speedup", 3.0, "verilator-native vs cocotb+Verilator"),
    "icarus/icarus-plain": ("icarus", "icarus-plain", "overhead", None,
                            "cocotb overhead: wall(cocotb+Icarus) / wall(plain Icarus)"),
}


def run_checked(w: Workload, sim: str) -> Sample:
    """One run; a disagreement with the model (or a failed simulation) stops the bench."""
    try:
        return w.run(sim)
    except AccelscopeError as e:
        raise SystemExit(f"FAIL {w.name} on {sim}: {e}") from None


def check_same(w: Workload, sim: str, ref_sim: str, ref: Sample, s: Sample) -> None:
    if s.cycles != ref.cycles:
        raise SystemExit(f"FAIL {w.name}: {sim} simulated {s.cycles} cycles, {ref_sim} {ref.cycles}")
    msg = differences(ref.outputs, s.outputs)
    if msg:
        raise SystemExit(f"FAIL {w.name}: {sim} differs from {ref_sim}: {msg}")


def main() -> None:
    from tqdm import tqdm

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="timed rounds")
    ap.add_argument("--quick", action="store_true", help="small workloads (2,000 vectors, 32^3, 20 images) to "
                                                         "check the bench; writes sim_paths_quick.json")
    ap.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    ap.add_argument("--sims", nargs="+", default=list(SIMS), choices=list(SIMS))
    args = ap.parse_args()

    unavailable = {s: availability(s) for s in SIMS if s in args.sims}
    unavailable = {s: why for s, why in unavailable.items() if why}
    for s in SIMS:
        if s not in args.sims:
            unavailable[s] = "not selected (--sims)"
    sims = [s for s in SIMS if s not in unavailable]
    if not sims:
        raise SystemExit("no simulator available: " + "; ".join(f"{s}: {w}" for s, w in unavailable.items()))
    for s, why in unavailable.items():
        tqdm.write(f"{s}: not available: {why}")

    workloads: dict[str, Workload] = {}
    for key in args.workloads:
        tqdm.write(f"{key}: preparing the stimulus and the model's results")
        workloads[key] = WORKLOADS[key](**(QUICK[key] if args.quick else {}))

    ref: dict[str, tuple[str, Sample]] = {}
    with tqdm(total=len(workloads) * len(sims), desc="warm-up (builds, untimed)", unit="run") as bar:
        for key, w in workloads.items():
            for s in sims:
                bar.set_postfix_str(f"{key} on {s}")
                sample = run_checked(w, s)
                if key in ref:
                    check_same(w, s, *ref[key], sample)
                else:
                    ref[key] = (s, sample)
                bar.update()

    samples: dict[str, dict[str, list[Sample]]] = {k: {s: [] for s in sims} for k in workloads}
    with tqdm(total=args.runs * len(workloads) * len(sims), desc="timed rounds", unit="run") as bar:
        for r in range(args.runs):
            order = sims[r % len(sims):] + sims[: r % len(sims)]
            for key, w in workloads.items():
                for s in order:
                    bar.set_postfix_str(f"round {r + 1}: {key} on {s}")
                    sample = run_checked(w, s)
                    check_same(w, s, *ref[key], sample)
                    samples[key][s].append(Sample(sample.wall_s, sample.cycles, {}))
                    bar.update()

    results: dict[str, Any] = {}
    for key, w in workloads.items():
        out: dict[str, Any] = {"name": w.name, "description": w.description, "sim_cycles": ref[key][1].cycles,
                               "sims": {}, "ratios": {}}
        for s in SIMS:
            if s in unavailable:
                out["sims"][s] = {"available": False, "reason": unavailable[s]}
                continue
            ss = samples[key][s]
            out["sims"][s] = {"available": True, "wall_s": spread([x.wall_s for x in ss]),
                              "cycles_per_s": spread([x.cycles / x.wall_s for x in ss])}
        for name, (fast, base, kind, target, what) in RATIOS.items():
            if fast in unavailable or base in unavailable:
                continue
            pairs = list(zip(samples[key][fast], samples[key][base]))
            if kind == "speedup":
                vals = [(f.cycles / f.wall_s) / (b.cycles / b.wall_s) for f, b in pairs]
            else:
                vals = [f.wall_s / b.wall_s for f, b in pairs]
            d: dict[str, Any] = {**spread(vals), "kind": kind, "what": what}
            if target is not None and key in LONG and not args.quick:
                d.update(target=target, met=d["median"] >= target)
            out["ratios"][name] = d
        results[key] = out

    name = "sim_paths_quick" if args.quick else "sim_paths"
    path = write(name, {
        "runs": args.runs, "quick": args.quick, "clock_ns": 10, "sims": list(SIMS), "long_workloads": list(LONG),
        "definition": "simulated cycles = the harness job's cycle count (tb.job.JobResult.job_cycles: go to end, "
                      "programming, run and read-back; summed over the MLP's two runs), identical on every simulator; "
                      "wall = the simulation processes (JobResult.wall_s), builds excluded; ratios per round",
        "ratio_definitions": {k: {"faster": v[0], "baseline": v[1], "kind": v[2], "target": v[3], "what": v[4]}
                              for k, v in RATIOS.items()},
        "workloads": results})
    for r in results.values():
        cells = [f"{s} {d['cycles_per_s']['median']:,.0f}" if d["available"] else f"{s} n/a"
                 for s, d in r["sims"].items()]
        ratios = [f"{k} {v['median']:.2f}" for k, v in r["ratios"].items()]
        print(f"{r['name']:20s} cyc/s: " + ", ".join(cells) + "; " + ", ".join(ratios))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
