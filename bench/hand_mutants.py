"""Mutants written by hand, independently of `make mutate` (tb/mutate): plausible one-line RTL bugs,
each applied to a copy of the checkout (a detached git worktree of HEAD) and run against the
regression's CI sweep (the same seeds as tests/test_regress.py) of the block it belongs to, or
the directed fault tests for the APB protocol. Each must be killed (a failing case, a firing
assertion or a failed build). Writes
bench/results/hand_mutants.json (docs/verification.md, "Mutation").

    .venv/bin/python -m bench.hand_mutants [--seeds N] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
CI_SEEDS = {"lebug": 200, "systolic": 100, "top": 50}

# name: (file, text, replacement, blocks whose sweep should kill it, the bug in words)
MUTANTS: dict[str, tuple[str, str, str, tuple[str, ...], str]] = {
    "tap_fifo_write_when_full": (
        "rtl/top/tap_fifo.v", "if (do_push) mem[wr_ptr] <= din;", "if (push) mem[wr_ptr] <= din;", ("top",),
        "a row offered to a full tap FIFO overwrites the head row (the write is not gated by full)"),
    "tap_adapter_eof_every_vector": (
        "rtl/top/tap_adapter.v", "assign vec_eof   = last_part ? eof : 2'b00;", "assign vec_eof   = eof;", ("top",),
        "a split row's eof bits go with every vector, not only its last"),
    "tap_drops_count_every_row": (
        "rtl/top/accel_top.v", "if (st_valid && fifo_full)  tap_drops <= tap_drops + 32'd1;",
        "if (st_valid)  tap_drops <= tap_drops + 32'd1;", ("top",),
        "TAP_DROPS counts every row, stored or not"),
    "chain_seq_one_chain_too_many": (
        "rtl/lebug/lebug_chain_seq.v", "+ NC_ONE) >= num_chains);", "+ NC_ONE) > num_chains);", ("lebug",),
        "the chain sequencer issues NUM_CHAINS + 1 chains a vector"),
    "input_buffer_full_one_early": (
        "rtl/lebug/lebug_input_buffer.v", "assign full  = (cnt == CNT_FULL);",
        "assign full  = (cnt == CNT_FULL - CNT_ONE);", ("lebug",),
        "the input buffer reports full one vector early (drops where it should not)"),
    "trace_wrap_one_row_early": (
        "rtl/lebug/lebug_trace_buf.v", "if (rows >= DEPTH32) wrap <= 1'b1;",
                                 "if (rows >= DEPTH32 - 32'd1) wrap <= 1'b1;",
        ("lebug",), "STATUS.wrap is set by the TB_DEPTH-th row instead of the one after it"),
    "apb_stray_access_accepted": (
        "rtl/common/apb_frontend.v", "assign pslverr = (access & err & ~hold) | stray;",
        "assign pslverr = (access & err & ~hold);", ("tb/lebug/test_lebug_faults.py",),
        "an access phase without a setup phase is not answered with PSLVERR"),
    "requant_round_half_lost": (
        "rtl/systolic/systolic_requant.v", "(64'sd1 <<< sh1)", "(64'sd0 <<< sh1)", ("systolic",),
        "the requantizer truncates instead of rounding half up"),
    "d_range_off_by_one": (
        "rtl/systolic/systolic_seq.v", "wire e_d     = f_int8 && !d_out8 && (dd_last >= ACT_LIMIT);",
        "wire e_d     = f_int8 && !d_out8 && (dd_last > ACT_LIMIT);", ("systolic",),
        "CHECK lets an int8 destination run one word past ACT's end"),
    "acc_depth_off_by_one": (
        "rtl/systolic/systolic_seq.v", "({1'b0, d_m} > ACC_LIMIT)", "({1'b0, d_m} >= ACC_LIMIT)", ("systolic",),
        "CHECK refuses a GEMM of exactly ACC_DEPTH rows"),
    "bq_range_ignores_int8": (
        "rtl/systolic/systolic_seq.v", "wire e_bq    = !is_pool && (f_bias || f_int8) && (bq_last >= BQ_LIMIT);",
        "wire e_bq    = !is_pool && f_bias && (bq_last >= BQ_LIMIT);", ("systolic",),
        "CHECK does not range-check the requantization words of an INT8 layer without BIAS"),
    "fused_pool_stale_line_buffer": (
        "rtl/systolic/systolic_post.v", "assign vnew[g*8 +: 8] = (ps_dy0 || hn > l) ? hn : l;",
        "assign vnew[g*8 +: 8] = (hn > l) ? hn : l;", ("systolic",),
        "the fused pool combines a window's first row with the line buffer's stale word (from the window above)"),
}


def run_mutant(name: str, seeds_scale: float, keep: bool) -> dict:
    path, old, new, blocks, what = MUTANTS[name]
    tmp = Path(tempfile.mkdtemp(prefix=f"hand_mutant_{name}_"))
    t0 = time.perf_counter()
    try:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tmp / "src"), "HEAD"],
                       check=True, capture_output=True)
        src = tmp / "src" / path
        text = src.read_text()
        if text.count(old) != 1:
            return {"name": name, "error": f"{path}: the text to mutate occurs {text.count(old)} times"}
        src.write_text(text.replace(old, new))
        env = {**os.environ, "ACCELSCOPE_SIM_BUILD": str(tmp / "sim_build"), "PYTHONPATH": str(tmp / "src")}
        killed_by = []
        for block in blocks:
            if block.endswith(".py"):  # a directed test module (the fault tests), on Icarus
                cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", block]
                env["ACCELSCOPE_SIM"] = "icarus"
            else:
                seeds = max(1, int(CI_SEEDS[block] * seeds_scale))
                cmd = [sys.executable, "-m", "tb.cli", "regress", "--block", block, "--seeds", str(seeds),
                       "--workers", "0", "--quiet", "--out", str(tmp / f"out_{block}")]
            r = subprocess.run(cmd, cwd=tmp / "src", env=env, capture_output=True, text=True)
            if r.returncode != 0:
                lines = r.stdout.splitlines() + r.stderr.splitlines()
                first = next((ln.strip() for ln in lines if "FAIL seed" in ln or "ASSERTION FAILED" in ln
                              or ln.startswith("E ")), lines[-1] if lines else f"exit {r.returncode}")
                killed_by.append(f"{block}: {first[:240]}")
                break
        return {"name": name, "file": path, "bug": what, "killed": bool(killed_by), "by": killed_by,
                "wall_s": round(time.perf_counter() - t0, 1)}
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp / "src")],
                       capture_output=True)
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=float, default=1.0, help="fraction of the CI sweep's seeds (default 1)")
    ap.add_argument("--only", action="append", choices=sorted(MUTANTS))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = ap.parse_args()
    names = args.only or list(MUTANTS)
    results = [run_mutant(n, args.seeds, args.keep) for n in tqdm(names, unit="mutant")]
    for r in results:
        print(f"{r['name']:<32} {'KILLED' if r.get('killed') else 'SURVIVED'}  "
              f"{'; '.join(r.get('by', [])) or r.get('error', '')}")
    out = ROOT / "bench" / "results" / "hand_mutants.json"
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"mutants": results, "killed": sum(bool(r.get("killed")) for r in results),
                               "total": len(results)}, indent=1) + "\n")
    tmp.replace(out)
    return 0 if all(r.get("killed") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
