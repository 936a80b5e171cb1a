"""Throughput of the LeBug numpy emulator: 10^6 vectors of N=8 through library firmware.

Usage: .venv/bin/python -m bench.lebug_emulator [--vectors 1000000] [--runs 5]
Writes bench/results/lebug_emulator.json.

Firmware: distribution (16 bins), lane_stats, frame_correlation and loopback. lane_stats
and frame_correlation are the programs this bench measured as `summary_stats` and
`correlation` before the library took those names for the original LeBug programs, so
the figures stay comparable.
"""

from __future__ import annotations

import argparse

import numpy as np

from bench.common import repeat, write
from pymodel.lebug import LebugConfig, build, emulate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--vectors", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    cfg = LebugConfig()  # N=8, M=4, DATA_W=32, integer
    rng = np.random.default_rng(0)
    x = rng.integers(-2, 18, size=(args.vectors, cfg.N))
    eof = np.zeros((args.vectors, 2), dtype=np.int64)
    eof[63::64, 0] = 1  # frames of 64 vectors
    results = {}
    for name, kwargs in [("distribution", {"bins": 16}), ("lane_stats", {}), ("frame_correlation", {}),
                         ("loopback", {})]:
        fw = build(name, cfg, **kwargs)
        res = emulate(cfg, fw, x, eof)
        t = repeat(lambda fw=fw: emulate(cfg, fw, x, eof), args.runs)
        results[name] = {**t, "engine": res.method, "chains": fw.num_chains,
                         "vectors_per_s_median": args.vectors / t["median_s"],
                         "vectors_per_s_min": args.vectors / t["max_s"],
                         "vectors_per_s_max": args.vectors / t["min_s"]}
        print(f"{name:18s} {fw.num_chains} chains  {results[name]['vectors_per_s_median'] / 1e6:6.3f} M vectors/s "
              f"(median of {args.runs}; {t['min_s']:.2f}-{t['max_s']:.2f} s per run)")
    out = write("lebug_emulator", {"vectors": args.vectors, "config": cfg.params(), "firmware": results})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
