"""Wall time of `make test`: the whole suite (Python unit tests and every cocotb regression,
each on both cocotb simulators, icarus and verilator).

Usage: .venv/bin/python -m bench.make_test [--runs 1] [--jobs 2] [--fresh]
Writes bench/results/make_test.json (--fresh: make_test_fresh.json). Runs `make -s test
JOBS=<jobs>` pinned to the first <jobs> CPUs (taskset, when there are more) so the figure
is "on 2 cores" by default.
By default in this checkout: simulation builds are kept between runs (sim_build/), as
on a developer's machine after the first run. With --fresh, each run is in a fresh copy
of the checkout (the files git tracks or would track: `git ls-files -co
--exclude-standard`, mtimes kept, added to a new git repository so it looks like a
clone of the working tree) in a temporary directory, so every Icarus and
Verilator build is made inside the timed run; it uses this checkout's virtual
environment (VENV=...), so the venv bootstrap is not part of the figure.
Target: under 15 minutes on 2 cores (reported, never asserted).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import spread, write

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 900  # the brief: make test under 15 minutes on 2 cores


def fresh_copy(dest: Path) -> Path:
    """The checkout's tracked and untracked-but-not-ignored files, copied with their mtimes,
    in a new git repository with every one of them added (what a clone of this tree holds)."""
    r = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                       check=True)
    for rel in filter(None, r.stdout.decode().split("\0")):
        src = ROOT / rel
        if not src.is_file():  # deleted in the working tree
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"]):  # a repository like a clone (tests use git ls-files)
        subprocess.run(cmd, cwd=dest, check=True, capture_output=True)
    return dest


def main() -> None:
    from tqdm import tqdm

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--fresh", action="store_true", help="each run in a fresh copy: every build is timed")
    args = ap.parse_args()
    cmd = ["make", "-s", "test", f"JOBS={args.jobs}"]
    if args.fresh:
        cmd.append(f"VENV={ROOT / '.venv'}")
    pinned = (os.cpu_count() or 1) > args.jobs and shutil.which("taskset") is not None
    if pinned:
        cmd = ["taskset", "-c", f"0-{args.jobs - 1}", *cmd]
    times, outcomes = [], []
    for _ in tqdm(range(args.runs), desc="make test", unit="run"):
        with tempfile.TemporaryDirectory(prefix="accelscope_make_test_") as tmp:
            cwd = fresh_copy(Path(tmp)) if args.fresh else ROOT
            t0 = time.perf_counter()
            r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
        last = (r.stdout.strip().splitlines() or [""])[-1]
        outcomes.append(last)
        if r.returncode:
            raise SystemExit(f"make test failed:\n{r.stdout[-3000:]}{r.stderr[-2000:]}")
        tqdm.write(f"make test: {times[-1]:.1f} s ({last})")
    s = spread(times)
    out = write("make_test_fresh" if args.fresh else "make_test", {"command": " ".join(cmd), "fresh_copy": args.fresh,
                              "pinned_cpus": args.jobs if pinned else os.cpu_count(),
                              "wall_s": s, "target_s": TARGET_S, "met": s["median"] < TARGET_S,
                              "pytest_summary": outcomes})
    print(f"make test: median {s['median']:.1f} s over {args.runs} run(s); wrote {out}")


if __name__ == "__main__":
    main()
