"""Regression throughput of `accelscope regress` (docs/performance.md, "Regression throughput").

Usage: .venv/bin/python -m bench.regress [--seeds 60] [--runs 3] [--nightly DIR]

For each simulator (`verilator`: the verilator-native binary; `icarus`: plain vvp) and for
1 and 2 Dask workers (a LocalCluster, started inside each timed run), `--seeds` cases of
every block (LeBug, GEMM, bundles) are run `--runs` times; cases per minute is the median
and spread over the runs, with the builds made before timing. Scaling efficiency is
throughput(2 workers) / (2 x throughput(1 worker)). `--nightly DIR` adds the figures of a
`make regress` run from its DIR/results.json (wall time, cases, failures, functional and
code coverage). Writes bench/results/regress.json. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import spread, write
from tb.regress.cases import BLOCKS, build
from tb.regress.engine import regress
from tb.regress.options import Options
from tb.runner import NATIVE_SIMS

SIMS = tuple(NATIVE_SIMS)  # verilator-native, icarus-plain
WORKERS = (1, 2)


def _run(sim: str, workers: int, seeds: int, out: Path) -> float:
    """Wall seconds of one sweep of every block (builds already made)."""
    t0 = time.perf_counter()
    res = regress(Options(blocks=["lebug", "systolic", "top"], seeds=seeds, sim=sim, workers=workers, out=out,
                          progress=False))
    wall = time.perf_counter() - t0
    if not res["passed"]:
        raise SystemExit(f"bench/regress.py: a case failed on {sim} (see {out}/report.md)")
    return wall


def throughput(seeds: int, runs: int) -> dict[str, Any]:
    from tqdm import tqdm

    out: dict[str, Any] = {}
    for sim in SIMS:
        for b in BLOCKS:
            build(b, sim)
    with tempfile.TemporaryDirectory() as tmp, tqdm(total=len(SIMS) * len(WORKERS) * runs, desc="regress bench",
                                                    unit="sweep") as bar:
        for sim in SIMS:
            per: dict[str, Any] = {}
            for w in WORKERS:
                rates = []
                for r in range(runs):
                    wall = _run(sim, w, seeds, Path(tmp) / f"{sim}_{w}_{r}")
                    rates.append(3 * seeds / wall * 60.0)
                    bar.update(1)
                per[f"workers_{w}"] = {"cases_per_min": spread(rates), "cases": 3 * seeds}
            per["scaling_efficiency"] = round(per["workers_2"]["cases_per_min"]["median"]
                                              / (2 * per["workers_1"]["cases_per_min"]["median"]), 3)
            out[sim] = per
    return out


def nightly(d: Path) -> dict[str, Any]:
    res = json.loads((d / "results.json").read_text())
    cc = res.get("code_coverage") or {}
    return {
        "cases": len(res["cases"]),
        "failed": sum(1 for c in res["cases"] if not c["ok"]),
        "code_coverage_cases": sum(1 for c in res["cases"] if c.get("code_cov")),
        "build_s": res["timings"]["build_s"], "run_s": res["timings"]["run_s"],
        "functional": {b: d_["functional"]["totals"] for b, d_ in res["blocks"].items()},
        "code_coverage_total": cc.get("total"),
        "dask": res.get("dask"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=60, help="cases per block in each timed sweep")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--nightly", type=Path, help="a `make regress` output directory (results.json) to record")
    a = ap.parse_args()
    payload: dict[str, Any] = {"seeds_per_block": a.seeds, "throughput": throughput(a.seeds, a.runs)}
    if a.nightly:
        payload["nightly"] = nightly(a.nightly)
    path = write("regress", payload)
    print(f"wrote {path}")
    for sim, per in payload["throughput"].items():
        print(f"{sim}: " + ", ".join(f"{w} worker(s) {per[f'workers_{w}']['cases_per_min']['median']:.0f} cases/min"
                                     for w in WORKERS) + f", scaling efficiency {per['scaling_efficiency']}")


if __name__ == "__main__":
    main()
