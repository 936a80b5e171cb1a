"""Source-level mutants written by hand, independent of `yosys mutate` (docs/verification.md,
"Mutation"): bugs a designer makes and yosys's bit mutations do not express (an operator or a
comparison off by one, two fields swapped, a bound one short, the wrong sign), each one line of
rtl/ replaced in a copy of rtl/, built on its own and run through the kill set (the block's regress
CI sweep on verilator-native, then its fault tests on cocotb Verilator), stopping at the first kill.

`python -m tb.mutate.source [--only NAME ...]` (part of `make mutate`) writes
bench/results/source_mutants.json: per mutant what killed it, or "survived".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tb.runner as runner
from pymodel.errors import AccelscopeError
from tb.mutate import killset
from tb.runner import MUTANTS_ENV, MUTSEL_ENV, TB_DIR

DEFAULT_OUT = TB_DIR.parent / "bench" / "results" / "source_mutants.json"


@dataclass(frozen=True)
class SourceMutant:
    name: str
    block: str  # the regress block whose kill set runs it
    file: str  # below rtl/
    line: str  # the text replaced (exactly once in the file)
    new: str
    why: str  # the bug it models


MUTANTS = [
    SourceMutant("requant_round_high", "systolic", "systolic/systolic_requant.v",
                 "(64'sd1 <<< sh1)", "(64'sd1 <<< shift)",
                 "the rounding constant one bit too high (half of 2^shift instead of half of a step)"),
    SourceMutant("requant_min_0x81", "systolic", "systolic/systolic_requant.v",
                 "(shr < QMIN) ? 8'h80", "(shr < QMIN) ? 8'h81",
                 "negative saturation to -127 instead of -128"),
    SourceMutant("acc_depth_inclusive", "systolic", "systolic/systolic_seq.v",
                 "({1'b0, d_m} > ACC_LIMIT)", "({1'b0, d_m} >= ACC_LIMIT)",
                 "CHECK refuses a GEMM of exactly ACC_DEPTH rows"),
    SourceMutant("d_range_unpooled", "systolic", "systolic/systolic_seq.v",
                 "{23'd0, drows1s} * {24'd0, d_dstride}", "{23'd0, rows1_s} * {24'd0, d_dstride}",
                 "D_RANGE of a fused-pool CONV counts the conv rows, not the pooled rows"),
    SourceMutant("relu_wrong_sign_bit", "systolic", "systolic/systolic_post.v",
                 "(f_relu && yb[31])", "(f_relu && yb[30])",
                 "ReLU tests bit 30 for the sign"),
    SourceMutant("window_right_edge", "systolic", "systolic/systolic_win.v",
                 "(iw < {5'd0, in_w})", "(iw <= {5'd0, in_w})",
                 "a tap one column past the input's right edge reads a window byte instead of padding"),
    SourceMutant("pool_min", "systolic", "systolic/systolic_pool.v",
                 "(s_first || a > b)", "(s_first || a < b)",
                 "POOL takes the minimum"),
    SourceMutant("cond_notlast_first", "lebug", "lebug/lebug_cond.v",
                 "C_NOTLAST:  level_ok = ~last;", "C_NOTLAST:  level_ok = ~first;",
                 "condition notlast tests the first flag"),
    SourceMutant("fru_threshold_inclusive", "lebug", "lebug/lebug_fru.v",
                 "$signed(in_data[i*DATA_W +: DATA_W]) >", "$signed(in_data[i*DATA_W +: DATA_W]) >=",
                 "a value equal to a threshold counts in the bin above it"),
    SourceMutant("chain_flags_levels_swapped", "lebug", "lebug/lebug_chain_seq.v",
                 "{buf_eof[1], prev_last[1], buf_eof[0], prev_last[0]}",
                 "{buf_eof[0], prev_last[0], buf_eof[1], prev_last[1]}",
                 "the two EOF levels' first/last flags swapped"),
    SourceMutant("input_buffer_full_early", "lebug", "lebug/lebug_input_buffer.v",
                 "assign full  = (cnt == CNT_FULL);", "assign full  = (cnt == CNT_FULL - CNT_ONE);",
                 "the input buffer reports full one vector early (its last slot never used)"),
    SourceMutant("tap_fifo_full_early", "top", "top/tap_fifo.v",
                 "assign full  = (count == DEPTH32);", "assign full  = (count == DEPTH32 - 32'd1);",
                 "the tap FIFO reports full one row early"),
    SourceMutant("apb_access_without_setup", "lebug", "common/apb_frontend.v",
                 "assign access  = psel & penable & setup_q;", "assign access  = psel & penable;",
                 "an access phase without a setup phase is taken"),
]


def planted(m: SourceMutant, dst: Path) -> Path:
    """A copy of rtl/ under dst with the mutant's one line replaced; its root."""
    rtl = dst / "rtl"
    shutil.copytree(runner.rtl_root(), rtl)
    path = rtl / m.file
    text = path.read_text()
    if text.count(m.line) != 1:
        raise AccelscopeError(f"source mutant {m.name}: {m.line!r} is not once in rtl/{m.file}")
    path.write_text(text.replace(m.line, m.new))
    return rtl


def kill_set(m: SourceMutant) -> killset.Kill:
    """The block's CI sweep (every configuration, seed order), then the fault tests on its first
    fault configuration, on builds of the planted copy (runner.rtl_root points there)."""
    seeds = list(range(1, killset.CI_SEEDS[m.block] + 1))
    kill = killset.run_sweep(m.block, seeds)
    if not kill.killed:
        kill = killset.run_faults(m.block, killset.FAULT_CONFIGS[m.block][0])
    return kill


def run_one(m: SourceMutant, work: Path) -> dict[str, Any]:
    real_root, real_build = runner.rtl_root, os.environ.get("ACCELSCOPE_SIM_BUILD")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"src_{m.name}_", dir=work) as tmp:
        rtl = planted(m, Path(tmp))
        runner.rtl_root = lambda: rtl  # every build below compiles the copy
        os.environ["ACCELSCOPE_SIM_BUILD"] = str(Path(tmp) / "sim_build")
        try:
            kill = kill_set(m)
        finally:
            runner.rtl_root = real_root
            if real_build is None:
                os.environ.pop("ACCELSCOPE_SIM_BUILD", None)
            else:
                os.environ["ACCELSCOPE_SIM_BUILD"] = real_build
    return {"name": m.name, "block": m.block, "file": f"rtl/{m.file}", "line": m.line, "new": m.new, "why": m.why,
            "by": kill.by or "survived", "what": kill.what, "error": kill.error,
            "wall_s": round(time.perf_counter() - t0, 1)}


def main(argv: Sequence[str] | None = None) -> int:
    from tqdm import tqdm

    ap = argparse.ArgumentParser(prog="python -m tb.mutate.source", description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=[], help="run only these mutants (by name)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    unknown = set(args.only) - {m.name for m in MUTANTS}
    if unknown:
        print(f"accelscope: error: --only: no source mutant {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for var in (MUTANTS_ENV, MUTSEL_ENV):
        os.environ.pop(var, None)
    todo = [m for m in MUTANTS if not args.only or m.name in args.only]
    work = runner.sim_build_root() / "mutate_source"
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for m in tqdm(todo, desc="source mutants", unit="mutant", file=sys.stderr):
        rows.append(run_one(m, work))
        print(f"{m.name}: {rows[-1]['by']} {rows[-1]['what']}", flush=True)
    survived = [r["name"] for r in rows if r["by"] == "survived"]
    res = {"description": __doc__.splitlines()[0], "mutants": rows, "killed": len(rows) - len(survived),
           "survived": survived}
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(res, indent=1) + "\n")
    tmp.replace(args.out)
    print(f"source mutants: {len(rows) - len(survived)} of {len(rows)} killed"
          + (f"; survived: {', '.join(survived)}" if survived else ""))
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())

