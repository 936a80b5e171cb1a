"""MAC utilization of the systolic array on square GEMMs at K=8: the model's cycle count,
confirmed on the RTL.

Usage: .venv/bin/python -m bench.systolic_util [--sizes 64 128] [--large] [--array 8] [--sim icarus]
Writes bench/results/systolic_util.json. Default sizes 64 and 128 (what `make bench`
runs); --large adds 256 (about half a minute more on Icarus). utilization = MACs /
(K * K * cycles), cycles = the CYCLES counter from start to done. The cycle count is
deterministic: pymodel.systolic.scenarios.gemm predicts it, and with --sim (any
simulator of tb.runner; default icarus) the RTL runs the same GEMM through
tb.systolic.jobs.gemm_on_rtl and the bench fails if anything differs from the model
(outputs, counters); --sim model skips the RTL. One run per size; its wall seconds
(build excluded: a warm-up run builds first) are informational (bench/sim_paths.py
measures simulator speed).
"""

from __future__ import annotations

import argparse

import numpy as np

from bench.common import write
from pymodel.systolic.scenarios import gemm
from tb.runner import BASELINES, SIMULATORS
from tb.systolic.jobs import gemm_on_rtl


def main() -> None:
    from tqdm import tqdm

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--large", action="store_true", help="also 256^3")
    ap.add_argument("--array", type=int, default=8)
    ap.add_argument("--sim", default="icarus", choices=[*SIMULATORS, *BASELINES, "model"])
    args = ap.parse_args()
    if args.large and 256 not in args.sizes:
        args.sizes.append(256)
    rtl = args.sim != "model"
    if rtl:
        gemm_on_rtl(np.ones((1, 1), np.int64), np.ones((1, 1), np.int64), K=args.array, sim=args.sim)  # build once
    rng = np.random.default_rng(0)
    rows = []
    for n in tqdm(args.sizes, desc=f"GEMMs ({args.sim})", unit="gemm"):
        a = rng.integers(-128, 128, size=(n, n))
        b = rng.integers(-128, 128, size=(n, n))
        res = gemm_on_rtl(a, b, K=args.array, sim=args.sim) if rtl else gemm(a, b, K=args.array)
        if res.problems:
            raise SystemExit(f"{n}^3 on {args.sim}: disagrees with the model: {'; '.join(res.problems)}")
        c = res.expected.counters
        row = {"m": n, "k": n, "n": n, "cycles": c.cycles, "busy": c.busy, "stalls": c.stalls,
               "macs": res.macs, "utilization": res.macs / (args.array ** 2 * c.cycles)}
        if res.hardware is not None:
            row.update(wall_s=round(res.hardware.wall_s, 3), job_cycles=res.hardware.job.job_cycles)
        rows.append(row)
        wall = f"  wall {row['wall_s']:6.2f} s" if "wall_s" in row else ""
        tqdm.write(f"{n:4d}^3  cycles {row['cycles']:8d}  MACs {row['macs']:9d}  utilization {row['utilization']:.4f}"
                   + wall)
    out = write("systolic_util", {"array": args.array, "simulator": args.sim,
                                  "formula": "MACs / (K*K*cycles); cycles = CYCLES counter, start to done",
                                  "gemms": rows})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
