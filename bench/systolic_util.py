"""MAC utilization of the systolic RTL (Icarus) on square GEMMs at K=8.

Usage: .venv/bin/python bench/systolic_util.py [--sizes 64 128] [--large] [--array 8]
Writes bench/results/systolic_util.json. Default sizes 64 and 128 (what `make bench`
runs); --large adds 256 (about a minute more of Icarus). Cycle counts are
deterministic (the model predicts them exactly and the run fails if the RTL
disagrees), so one run per size; its wall seconds (cocotb + Icarus, build excluded:
a warm-up run builds first) are informational (bench/sim_paths.py repeats runs).
utilization = MACs / (K * K * cycles), cycles from start to done.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import write  # noqa: E402
from pymodel.systolic.scenarios import gemm  # noqa: E402


def main() -> None:
    from tqdm import tqdm

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--large", action="store_true", help="also 256^3")
    ap.add_argument("--array", type=int, default=8)
    ap.add_argument("--sim", default="icarus")
    args = ap.parse_args()
    if args.large and 256 not in args.sizes:
        args.sizes.append(256)
    rng = np.random.default_rng(0)
    gemm(np.ones((1, 1), np.int64), np.ones((1, 1), np.int64), K=args.array, sim=args.sim)  # build once
    rows = []
    for n in tqdm(args.sizes, desc="GEMMs on the RTL", unit="gemm"):
        a = rng.integers(-128, 128, size=(n, n))
        b = rng.integers(-128, 128, size=(n, n))
        t0 = time.perf_counter()
        res = gemm(a, b, K=args.array, sim=args.sim)
        wall = time.perf_counter() - t0
        if res.problems:
            raise SystemExit(f"{n}^3: RTL disagrees with the model: {res.problems}")
        assert res.hardware is not None
        hw = res.hardware.counters
        row = {"m": n, "k": n, "n": n, "cycles": hw["cycles"], "busy": hw["busy"], "stalls": hw["stalls"],
               "macs": res.macs, "utilization": res.macs / (args.array ** 2 * hw["cycles"]),
               "wall_s": round(wall, 3), "sim_cycles_per_s": round(hw["cycles"] / wall)}
        rows.append(row)
        tqdm.write(f"{n:4d}^3  cycles {row['cycles']:8d}  MACs {row['macs']:9d}  utilization {row['utilization']:.4f}  "
                   f"wall {wall:6.2f} s")
    out = write("systolic_util", {"array": args.array, "simulator": args.sim,
                                  "formula": "MACs / (K*K*cycles); cycles = CYCLES counter, start to done",
                                  "gemms": rows})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
