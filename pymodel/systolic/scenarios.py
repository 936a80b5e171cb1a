"""GEMM scenarios on the model: C = A @ B (+ bias) (ReLU) laid out for the systolic block, the
model's result and numpy's reference. tb/systolic/jobs.py runs the same on the RTL
(gemm_on_rtl)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import Descriptor
from pymodel.systolic.job import HardwareResult
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


def gemm(a: np.ndarray, b: np.ndarray, bias: np.ndarray | None = None, relu: bool = False, K: int = 8) -> GemmRun:
    """C = A @ B (+ bias) (ReLU) on the model (hardware None; tb.systolic.jobs.gemm_on_rtl runs the RTL)."""
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
    return GemmRun(cfg, descs, exp, c.astype(np.int32), None, problems)

