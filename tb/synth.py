"""`make synth`: Debian's yosys (0.23) on lebug, systolic (K=8) and accel_top, then checks and
bench/results/synth.json (docs/performance.md, "Synthesis").

Each run reads its block's rtl/ sources (tb.runner's Block registry, as `make lint` does) with
the evaluation build's parameters and synthesizes generic gates, keeping memories as cells:

    synth -flatten -top T -run begin:fine        # coarse: proc, opt, fsm, alumacc, memory -nomap
    check -assert
    opt -fast -full; techmap; opt -fast; abc -fast; opt -fast   # synth's `fine` without memory_map
    check -assert

and a copy of the design before `synth` (proc, flatten, opt, wreduce) shows the RTL's
multipliers ($mul before alumacc and techmap) and storage arrays. A run fails (one
`accelscope: error:` line, exit 2) when yosys or `check -assert` fails, when a latch is left
($dlatch, $_DLATCH_*), when a cell other than a memory escapes techmap, or when a storage
array of the RTL (every scratchpad: systolic_ram, tap_fifo, LeBug's input buffer, vector
cache and trace buffer) is not kept as one $mem_v2 cell of the same size.

Figures per run: cells (the final netlist, memories included), gates (cells minus flip-flops
and memories), flip-flops, multipliers, memories and memory bits; and LeBug's share of the
accelerator's logic, gates(lebug) / gates(systolic K=8), for the int32 build (before) and the
evaluation build (after).

Usage: python -m tb.synth [--only NAME ...] [--jobs J] [--out bench/results/synth.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymodel.deploy.gemm_calls import EVAL_BUILD, eval_config
from pymodel.errors import AccelscopeError
from pymodel.lebug.config import LebugConfig
from tb.lebug.jobs import BLOCK as LEBUG
from tb.machine import machine
from tb.runner import TB_DIR, Block, rtl_root, sim_build_root
from tb.systolic.jobs import BLOCK as SYSTOLIC
from tb.top.jobs import BLOCK as TOP

# modules whose storage array is a scratchpad: each instance must stay a memory cell
SCRATCHPADS = ("systolic_ram", "tap_fifo", "lebug_input_buffer", "lebug_vvalu", "lebug_trace_buf")
LATCH = re.compile(r"latch", re.I)
FLOP = re.compile(r"dff", re.I)
MEMORY_CELLS = ("$mem", "$mem_v2")
DEFAULT_OUT = TB_DIR.parent / "bench" / "results" / "synth.json"


@dataclass(frozen=True)
class Run:
    name: str
    block: Block
    top: str  # RTL module
    params: Mapping[str, int]
    what: str

    def sources(self) -> list[Path]:
        """The block's rtl/ files (its registry entry; the harness and tb/ files left out)."""
        root = rtl_root().resolve()
        return [p for p in self.block.sources() if root in p.resolve().parents]

    def include_dirs(self) -> list[Path]:
        return sorted({p.parent for p in self.sources()})


def runs() -> list[Run]:
    """lebug at its defaults (the int32 build: N=8, DATA_W=32) and as the evaluation build has it,
    the systolic block and accel_top of the evaluation build (K=8)."""
    ev = eval_config(8)
    sys_params = {k: v for k, v in ev.sys.params().items() if k != "APB_ADDR_W"}
    lb = ev.lebug
    return [
        Run("lebug_int32", LEBUG, "lebug", LebugConfig().params(),
            "LeBug defaults = the int32 build at K=8 (N=8, M=4, DATA_W=32): the previous evaluation build's LeBug"),
        Run(f"lebug_{EVAL_BUILD}", LEBUG, "lebug", lb.params(),
            f"LeBug of the evaluation build ({EVAL_BUILD}: N={lb.N}, M={lb.M}, DATA_W={lb.DATA_W})"),
        Run("systolic", SYSTOLIC, "systolic", sys_params, "systolic block, K=8 (evaluation build)"),
        Run("accel_top", TOP, "accel_top", ev.params(),
            f"accel_top, evaluation build (K=8, LeBug {EVAL_BUILD}, TAP_DEPTH={ev.TAP_DEPTH})"),
    ]


def script(run: Run, work: Path) -> str:
    files = " ".join(str(p) for p in run.sources())
    incs = " ".join(f"-I{d}" for d in run.include_dirs())
    chparams = "\n".join(f"chparam -set {k} {v} {run.top}" for k, v in run.params.items())
    keep_mems = "delete c:* t:$mem_v2 t:$mem %u %d"
    return f"""
read_verilog -defer {incs} {files}
{chparams}
hierarchy -check -top {run.top}
design -save elab
# the RTL's view: multipliers before alumacc/techmap, every storage array as a memory cell
proc
flatten
opt -fast
wreduce
opt_clean
memory_collect
tee -q -o {work}/rtl_stat.json stat -json
delete c:* t:$mul t:$mem_v2 %u %d
write_json -compat-int {work}/rtl_cells.json
design -load elab
# the flow: coarse synthesis, then generic gates with memories kept as cells
synth -flatten -top {run.top} -run begin:fine
check -assert
tee -q -o {work}/coarse_stat.json stat -json
opt -fast -full
techmap
opt -fast
abc -fast
opt -fast
hierarchy -check
check -assert
tee -q -o {work}/gates_stat.json stat -json
{keep_mems}
write_json -compat-int {work}/gates_mems.json
"""


def _cells(path: Path) -> list[dict[str, Any]]:
    doc = json.loads(path.read_text())
    return [c for m in doc["modules"].values() for c in m["cells"].values()]


def _types(path: Path) -> dict[str, int]:
    return dict(json.loads(path.read_text())["design"]["num_cells_by_type"])


def _mems(cells: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for c in cells:
        if c["type"] in MEMORY_CELLS:
            p = c["parameters"]
            # src: the declaration and the instantiations above it, in no fixed order
            stems = [Path(part.split(":")[0]).stem for part in c.get("attributes", {}).get("src", "").split("|")]
            module = next((m for m in stems if m in SCRATCHPADS), stems[-1] or "?")
            out[str(p["MEMID"]).lstrip("\\")] = {"module": module, "depth": int(p["SIZE"]),
                                                 "width": int(p["WIDTH"]), "bits": int(p["SIZE"]) * int(p["WIDTH"])}
    return out


def analyse(run: Run, work: Path) -> tuple[dict[str, Any], list[str]]:
    """Figures and failed checks of one finished yosys run."""
    problems = []
    rtl = _cells(work / "rtl_cells.json")
    muls = [c for c in rtl if c["type"] == "$mul"]
    widths: dict[str, int] = {}
    for c in muls:
        p = c["parameters"]
        key = f"{p['A_WIDTH']}x{p['B_WIDTH']}->{p['Y_WIDTH']}"
        widths[key] = widths.get(key, 0) + 1
    rtl_mems = _mems(rtl)
    mems = _mems(_cells(work / "gates_mems.json"))
    for mod in SCRATCHPADS:
        if any(p.stem == mod for p in run.sources()) and not any(m["module"] == mod for m in rtl_mems.values()):
            problems.append(f"{mod}'s storage array is not a memory in the RTL (yosys made registers of it)")
    for name, m in rtl_mems.items():
        got = mems.get(name)
        if got is None:
            problems.append(f"memory {name} ({m['module']}) was not kept as a memory cell")
        elif (got["depth"], got["width"]) != (m["depth"], m["width"]):
            problems.append(f"memory {name}: {got['depth']}x{got['width']} after synthesis, "
                            f"{m['depth']}x{m['width']} in the RTL")
    coarse, gates = _types(work / "coarse_stat.json"), _types(work / "gates_stat.json")
    latches = {t: n for t, n in {**coarse, **gates}.items() if LATCH.search(t)}
    if latches:
        problems.append(f"latches: {latches}")
    unmapped = {t: n for t, n in gates.items() if not t.startswith("$_") and t not in MEMORY_CELLS}
    if unmapped:
        problems.append(f"cells left after techmap: {unmapped}")
    cells = sum(gates.values())
    flops = sum(n for t, n in gates.items() if FLOP.search(t))
    n_mem = sum(n for t, n in gates.items() if t in MEMORY_CELLS)
    return {
        "block": run.top, "what": run.what, "params": dict(run.params),
        "cells": cells, "gates": cells - flops - n_mem, "flops": flops,
        "coarse_cells": sum(coarse.values()),
        "multipliers": len(muls), "multiplier_widths": widths,
        "memories": len(mems), "memory_bits": sum(m["bits"] for m in mems.values()),
        "memory_list": mems, "latches": sum(latches.values()), "check": "passed",
        "cell_types": dict(sorted(gates.items())),
    }, problems


def synthesize(run: Run, root: Path) -> tuple[dict[str, Any], list[str]]:
    work = root / run.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ys = work / "synth.ys"
    ys.write_text(script(run, work))
    log = work / "yosys.log"
    t0 = time.perf_counter()
    r = subprocess.run(["yosys", "-q", "-l", str(log), "-s", str(ys)], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    if r.returncode:
        text = (log.read_text(errors="replace") if log.exists() else "") + r.stdout + r.stderr
        err = next((ln.strip() for ln in text.splitlines() if ln.startswith("ERROR")), f"exit {r.returncode}")
        return {}, [f"yosys failed: {err} (log: {log})"]
    res, problems = analyse(run, work)
    res["wall_s"] = round(wall, 1)
    return res, [f"{p} (log: {log})" for p in problems]


def yosys_version() -> str:
    if shutil.which("yosys") is None:
        raise AccelscopeError("yosys not found; install with: sudo apt-get install yosys "
                              "(make synth does this as root)")
    r = subprocess.run(["yosys", "-V"], capture_output=True, text=True)
    return r.stdout.strip()


def table(results: dict[str, dict[str, Any]]) -> str:
    head = f"{'block':<14} {'cells':>8} {'gates':>8} {'flops':>6} {'muls':>5} {'memories':>8} {'memory bits':>12}"
    lines = [head, "-" * len(head)]
    for name, r in results.items():
        lines.append(f"{name:<14} {r['cells']:>8,} {r['gates']:>8,} {r['flops']:>6,} {r['multipliers']:>5} "
                     f"{r['memories']:>8} {r['memory_bits']:>12,}")
    return "\n".join(lines)


def shares(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """LeBug's gates over the systolic array's (K=8), per LeBug build; accel_top's gates beyond the
    systolic block's (LeBug, tap and top registers) over the systolic block's."""
    sys_g = results.get("systolic", {}).get("gates")
    if not sys_g:
        return {}
    out: dict[str, Any] = {"definition": "gates(block) / gates(systolic K=8); gates = cells after abc -fast "
                                         "minus flip-flops and memory cells"}
    for name, r in results.items():
        if name.startswith("lebug_"):
            out[name] = r["gates"] / sys_g
    if "accel_top" in results:
        out["accel_top_beyond_systolic"] = (results["accel_top"]["gates"] - sys_g) / sys_g
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.synth", description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="+", metavar="NAME", help="runs to do (default: all)")
    ap.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 4), help="yosys processes at once")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results file (default: %(default)s)")
    args = ap.parse_args(argv)
    from tqdm import tqdm

    try:
        version = yosys_version()
        todo = runs()
        names = [r.name for r in todo]
        if args.only:
            bad = [n for n in args.only if n not in names]
            if bad:
                raise AccelscopeError(f"--only {' '.join(bad)}: choose from {', '.join(names)}")
            todo = [r for r in todo if r.name in args.only]
        if args.jobs < 1:
            raise AccelscopeError(f"--jobs {args.jobs}: must be >= 1")
    except AccelscopeError as e:
        print(f"accelscope: error: {e}", file=sys.stderr)
        return 2
    root = sim_build_root() / "synth"
    results: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool, \
            tqdm(total=len(todo), desc="yosys", unit="block", delay=2) as bar:
        futs = {pool.submit(synthesize, r, root): r for r in todo}
        for fut in as_completed(futs):
            run = futs[fut]
            res, problems = fut.result()
            failures += [f"synth {run.name}: {p}" for p in problems]
            if res:
                results[run.name] = res
            bar.set_postfix_str(run.name)
            bar.update()
    results = {r.name: results[r.name] for r in todo if r.name in results}
    if failures:
        print(f"accelscope: error: {failures[0]}" + (f" (and {len(failures) - 1} more failed checks)"
                                                      if len(failures) > 1 else ""), file=sys.stderr)
        return 2
    print(table(results))
    sh = shares(results)
    for name, v in sh.items():
        if name != "definition":
            print(f"{name}: {v:.1%} of the systolic array's gates (K=8)")
    if args.only is None:
        payload = {"name": "synth", "machine": machine(), "yosys": version,
                   "flow": "synth -flatten -run begin:fine; check -assert; opt -fast -full; techmap; opt -fast; "
                           "abc -fast; opt -fast; check -assert (memories kept as $mem_v2 cells)",
                   "blocks": results,
                   "lebug_share": {k: v if k == "definition" else round(v, 4) for k, v in sh.items()}}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, indent=2) + "\n")
        tmp.replace(args.out)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
