"""`make sim TEST=gemm`: a random GEMM on the RTL, checked against the model and numpy; PASS/FAIL."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.simrun import SIM_BUILD
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import Descriptor
from pymodel.systolic.job import HardwareResult, SystolicJob
from pymodel.systolic.layout import gemm_layout, unpack_rows
from pymodel.systolic.model import RunResult, run, wrap32


def reference_gemm(a: np.ndarray, b: np.ndarray, bias: np.ndarray | None, relu: bool) -> np.ndarray:
    """Plain numpy: A.astype(int64) @ B (+ bias), wrapped to int32, ReLU."""
    c = np.asarray(a, dtype=np.int64) @ np.asarray(b, dtype=np.int64)
    if bias is not None:
        c = c + np.asarray(bias, dtype=np.int64)[None, :]
    c = wrap32(c)
    return np.maximum(c, 0) if relu else c


@dataclass
class GemmRun:
    cfg: SystolicConfig
    descriptors: list[Descriptor]
    expected: RunResult
    c: np.ndarray  # int32 (M, N) result
    hardware: HardwareResult | None
    problems: list[str]

    @property
    def macs(self) -> int:
        return sum(d.m * d.kd * d.n for d in self.descriptors)

    @property
    def cycles(self) -> int:
        return self.expected.counters.cycles

    @property
    def utilization(self) -> float:
        return self.macs / (self.cfg.K * self.cfg.K * self.cycles)

    def stats(self) -> dict[str, object]:
        kd, n = self.descriptors[0].kd, self.descriptors[0].n
        m = sum(d.m for d in self.descriptors)
        return {"shape": [m, kd, n], "array": self.cfg.K, "descriptors": len(self.descriptors),
                "cycles": self.cycles, "macs": self.macs, "utilization": self.utilization,
                "counters": self.expected.counters.as_dict(), "rtl": self.hardware is not None}


def gemm(a: np.ndarray, b: np.ndarray, bias: np.ndarray | None = None, relu: bool = False, K: int = 8,
         sim: str = "model", waves_dir: Path | None = None) -> GemmRun:
    """C = A @ B (+ bias) (ReLU) on the model, and on the RTL unless sim == 'model'."""
    from pymodel.systolic.rtl import mismatches, run_job_on_rtl

    cfg = SystolicConfig.for_array(K)
    descs, images = gemm_layout(cfg, a, b, bias, relu)
    exp = run(cfg, descs, images)
    m, n = a.shape[0], b.shape[1]
    nt = descs[0].nt(K)
    c = unpack_rows(exp.mems["out"], 0, nt, m, n, K)
    problems = []
    ref = reference_gemm(a, b, bias, relu)
    if not np.array_equal(c, ref):
        problems.append("model disagrees with A.astype(int64) @ B")  # a bug in pymodel, never expected
    hw = None
    if sim != "model":
        hw = run_job_on_rtl(SystolicJob(cfg, descs, images), sim=sim, waves_dir=waves_dir)
        problems += mismatches(exp, hw)
    return GemmRun(cfg, descs, exp, c.astype(np.int32), hw, problems)


def write_gtkw(fst: Path, out: Path, K: int, top: str = "systolic_harness.dut") -> None:
    """A GTKWave save file: APB, sequencer, array feed and output stream groups."""
    groups = {
        "APB": [("psel", 1), ("penable", 1), ("pwrite", 1), ("paddr", 23), ("pwdata", 32), ("prdata", 32),
                ("pslverr", 1)],
        "Sequencer": [("u_seq.state", 3), ("u_seq.cur_desc", 6), ("u_seq.nt_cnt", 16), ("u_seq.kt_cnt", 16),
                      ("u_seq.p", 16), ("u_seq.t_sel", 1)],
        "Array feed": [("u_seq.act_re", 1), ("u_seq.wgt_re", 1), ("arr_a", 8 * K), ("wm_v", 1), ("wm_row", max(1, K.bit_length() - 1))],
        "Output": [("out_valid", 1), ("out_eof", 2), ("out_data", 32 * K)],
        "Status": [("busy", 1), ("done", 1)],
    }
    lines = [f'[dumpfile] "{fst}"', f'[savefile] "{out}"', "[timestart] 0"]
    for group, sigs in groups.items():
        lines += ["@200", f"-{group}"]
        for name, width in sigs:
            lines += ["@28", f"{top}.{name}"] if width == 1 else ["@22", f"{top}.{name}[{width - 1}:0]"]
    out.write_text("\n".join(lines) + "\n")


def run_gemm(sim: str = "icarus", waves: bool = False, seed: int | None = None) -> int:
    """Random GEMM on the RTL (K=8); prints shape, cycles, utilization, PASS/FAIL. 0 on PASS."""
    seed = seed if seed is not None else int(os.environ.get("SYSTOLIC_SEED", random.randrange(1 << 31)))
    rng = np.random.default_rng(seed)
    m, kd, n = (int(v) for v in rng.integers(1, 97, size=3))
    a = rng.integers(-128, 128, size=(m, kd))
    b = rng.integers(-128, 128, size=(kd, n))
    bias = rng.integers(-(1 << 16), 1 << 16, size=n) if rng.random() < 0.5 else None
    relu = bool(rng.random() < 0.5)
    K = 8
    print(f"seed {seed} (rerun with SYSTOLIC_SEED={seed})")
    print(f"GEMM: C[{m} x {n}] = A[{m} x {kd}] @ B[{kd} x {n}]{' + bias' if bias is not None else ''}"
          f"{', ReLU' if relu else ''}; int8 operands, int32 output; {K}x{K} array")
    waves_dir = SIM_BUILD / "waves" / "gemm" if waves else None
    try:
        res = gemm(a, b, bias, relu, K=K, sim=sim, waves_dir=waves_dir)
    except AccelscopeError as e:
        print(f"FAIL: {e}")
        return 1
    hw = res.hardware
    assert hw is not None
    print(f"cycles: {hw.counters['cycles']} (model {res.cycles}); busy {hw.counters['busy']}, "
          f"stalls {hw.counters['stalls']}, stream rows {len(hw.stream)}")
    print(f"MACs: {res.macs}; MAC utilization = MACs / (K*K*cycles) = {res.macs / (K * K * hw.counters['cycles']):.4f}")
    print(f"RTL wall time: {hw.wall_s:.2f} s")
    if waves_dir is not None:
        fst = waves_dir / "systolic_harness.fst"
        write_gtkw(fst, waves_dir / "waves.gtkw", K)
        print(f"waves: {fst} (open with: make waves TEST=gemm)")
    if res.problems:
        print("FAIL: " + "; ".join(res.problems))
        return 1
    print("PASS: RTL output rows, scratchpads and counters equal the model; C equals A @ B")
    return 0
