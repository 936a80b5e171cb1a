"""Wall time of `make test` (the whole regression: Python unit tests and every cocotb run).

Usage: .venv/bin/python bench/make_test.py [--runs 1] [--jobs 2]
Writes bench/results/make_test.json. Runs `make test JOBS=<jobs>` pinned to the
first <jobs> CPUs (taskset, when there are more) so the figure is "on 2 cores" by
default. Simulation builds are kept between runs (sim_build/), as on a developer's
machine after the first run; the first run of a fresh clone also compiles. Target:
under 10 minutes on 2 cores (reported, never asserted).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import spread, write  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 600


def main() -> None:
    from tqdm import tqdm

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    cmd = ["make", "-s", "test", f"JOBS={args.jobs}"]
    pinned = (os.cpu_count() or 1) > args.jobs and shutil.which("taskset") is not None
    if pinned:
        cmd = ["taskset", "-c", f"0-{args.jobs - 1}", *cmd]
    times, outcomes = [], []
    for _ in tqdm(range(args.runs), desc="make test", unit="run"):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        last = (r.stdout.strip().splitlines() or [""])[-1]
        outcomes.append(last)
        if r.returncode:
            raise SystemExit(f"make test failed:\n{r.stdout[-3000:]}{r.stderr[-2000:]}")
        tqdm.write(f"make test: {times[-1]:.1f} s ({last})")
    s = spread(times)
    out = write("make_test", {"command": " ".join(cmd), "pinned_cpus": args.jobs if pinned else os.cpu_count(),
                              "wall_s": s, "target_s": TARGET_S, "met": s["median"] < TARGET_S,
                              "pytest_summary": outcomes})
    print(f"make test: median {s['median']:.1f} s over {args.runs} run(s); wrote {out}")


if __name__ == "__main__":
    main()
