"""`make bench`: every benchmark in bench/, then one short table on stdout.

Usage: .venv/bin/python bench/run_all.py [--runs 5] [--test-runs 1] [--large] [--skip-make-test]
       [--only sim_paths lebug_emulator systolic_util make_test]
Each script writes bench/results/<name>.json (see its docstring); this one also writes
bench/results/summary.json (the table's figures) and prints the table. docs/performance.md
describes every figure. Wall-time figures are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import RESULTS, write  # noqa: E402

BENCH = Path(__file__).resolve().parent
SCRIPTS = ("sim_paths", "lebug_emulator", "systolic_util", "make_test")
PATH_LABELS = {"cocotb": "cocotb+Icarus", "plain": "plain Icarus", "native": "verilator-native"}


def tool_versions() -> dict[str, str]:
    def first_line(cmd: list[str]) -> str:
        if shutil.which(cmd[0]) is None:
            return "not installed"
        r = subprocess.run(cmd, capture_output=True, text=True)
        line = ((r.stdout or r.stderr).strip().splitlines() or ["?"])[0]
        return line.replace(" ()", "")

    cpu = "unknown"
    try:
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = m.group(1).strip() if m else platform.processor() or platform.machine()
    except OSError:
        pass
    try:
        import cocotb
        cocotb_v = cocotb.__version__
    except ImportError:
        cocotb_v = "not installed"
    return {"cpu": cpu, "nproc": str(os.cpu_count()), "icarus": first_line(["iverilog", "-V"]),
            "verilator": first_line(["verilator", "--version"]), "python": platform.python_version(),
            "cocotb": cocotb_v}


def load(name: str) -> dict[str, Any] | None:
    f = RESULTS / f"{name}.json"
    return json.loads(f.read_text()) if f.exists() else None


def fmt_spread(s: dict[str, float], spec: str = ",.0f", scale: float = 1.0) -> str:
    return f"{s['median'] * scale:{spec}} [{s['min'] * scale:{spec}}-{s['max'] * scale:{spec}}]"


def table(ran: list[str], machine: dict[str, str]) -> tuple[str, dict[str, Any]]:
    lines = [f"accelscope bench: {machine['nproc']} CPUs ({machine['cpu']}), {machine['icarus']}, "
             f"{machine['verilator']}, Python {machine['python']}, cocotb {machine['cocotb']}",
             "figures: median [min-max] over repeated runs"]
    summary: dict[str, Any] = {"machine": machine}
    sp = load("sim_paths") if "sim_paths" in ran else None
    if sp:
        lines += ["", f"Simulated cycles per wall-second ({sp['runs']} runs; builds excluded)",
                  f"{'workload':20s} {'cycles':>8s}  " + "  ".join(f"{PATH_LABELS[p]:>26s}" for p in PATH_LABELS)
                  + "  native/cocotb"]
        summary["cycles_per_s"] = {}
        for name, r in sp["workloads"].items():
            cells, row = [], {}
            for p in PATH_LABELS:
                d = r["paths"][p]
                if d["available"]:
                    cells.append(f"{fmt_spread(d['cycles_per_s']):>26s}")
                    row[p] = d["cycles_per_s"]
                else:
                    cells.append(f"{'not available':>26s}")
                    row[p] = {"available": False, "reason": d["reason"]}
            cyc = r["paths"]["cocotb"].get("sim_cycles", r["paths"]["plain"].get("sim_cycles", "?"))
            speed = f"{r['native_speedup_vs_cocotb']:13.0f}x" if "native_speedup_vs_cocotb" in r else f"{'n/a':>14s}"
            lines.append(f"{name:20s} {cyc:>8,}  " + "  ".join(cells) + "  " + speed)
            row["native_speedup_vs_cocotb"] = r.get("native_speedup_vs_cocotb")
            summary["cycles_per_s"][name] = row
        for name, r in sp["workloads"].items():
            for p, d in r["paths"].items():
                if not d["available"]:
                    lines.append(f"  {name} {PATH_LABELS[p]}: not available: {d['reason']}")
        oh = load("cocotb_overhead")
        if oh:
            lines += ["", "cocotb overhead: wall(cocotb+Icarus) / wall(plain Icarus), same stimulus (target <= 1.5 on "
                      + " and ".join(oh["target_workloads"]) + ")"]
            summary["cocotb_overhead"] = {}
            for name, r in oh["workloads"].items():
                tgt = "target" if name in oh["target_workloads"] else "not a target"
                lines.append(f"  {name:20s} {fmt_spread(r, '.2f')}  (cocotb {r['cocotb_wall_s']['median']:.2f} s, "
                             f"plain {r['plain_wall_s']['median']:.2f} s; {tgt})")
                summary["cocotb_overhead"][name] = {k: r[k] for k in ("median", "min", "max", "runs")}
    emu = load("lebug_emulator") if "lebug_emulator" in ran else None
    if emu:
        lines += ["", f"LeBug numpy emulator, {emu['vectors']:,} vectors (M vectors/s)"]
        summary["emulator_vectors_per_s"] = {}
        for fw, r in emu["firmware"].items():
            s = {"median": r["vectors_per_s_median"], "min": r["vectors_per_s_min"], "max": r["vectors_per_s_max"]}
            lines.append(f"  {fw:20s} {fmt_spread(s, '.2f', 1e-6)}  ({r['engine']}, {r['runs']} runs)")
            summary["emulator_vectors_per_s"][fw] = s
    util = load("systolic_util") if "systolic_util" in ran else None
    if util:
        lines += ["", f"MAC utilization, K={util['array']} (MACs / (K*K*cycles))"]
        summary["mac_utilization"] = {}
        for g in util["gemms"]:
            shape = f"{g['m']}x{g['k']}x{g['n']}"
            lines.append(f"  {shape:20s} {g['utilization']:.4f}  ({g['cycles']:,} cycles)")
            summary["mac_utilization"][f"{g['m']}x{g['k']}x{g['n']}"] = g["utilization"]
    mt = load("make_test") if "make_test" in ran else None
    if mt:
        lines += ["", f"make test wall time: {fmt_spread(mt['wall_s'], '.1f')} s over {mt['wall_s']['runs']} run(s) "
                      f"on {mt['pinned_cpus']} CPUs (target < {mt['target_s']} s)"]
        summary["make_test_s"] = mt["wall_s"]
    return "\n".join(lines), summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="timed runs per figure (median and spread)")
    ap.add_argument("--test-runs", type=int, default=1, help="runs of `make test`")
    ap.add_argument("--large", action="store_true", help="also the 256^3 GEMM in the utilization bench")
    ap.add_argument("--skip-make-test", action="store_true")
    ap.add_argument("--only", nargs="+", choices=SCRIPTS, default=list(SCRIPTS))
    args = ap.parse_args()
    todo = [s for s in args.only if not (s == "make_test" and args.skip_make_test)]
    argv = {"sim_paths": ["--runs", str(args.runs)], "lebug_emulator": ["--runs", str(args.runs)],
            "systolic_util": ["--large"] if args.large else [], "make_test": ["--runs", str(args.test_runs)]}
    for name in todo:
        print(f"== bench/{name}.py", flush=True)
        r = subprocess.run([sys.executable, str(BENCH / f"{name}.py"), *argv[name]])
        if r.returncode:
            raise SystemExit(f"bench/{name}.py failed (exit {r.returncode})")
    text, summary = table(todo, tool_versions())
    write("summary", {"scripts": todo, **summary})
    print("\n" + text)


if __name__ == "__main__":
    main()
