"""The seed's printed LeBug examples (seeds/001): inputs and expected results as printed.

They are test vectors: `make sim` and the regressions reproduce them to the digit.
For distribution the seed's "M=16" means 16 bins; every input vector is its own
frame, and a frame's 16 values print as one row. Real-valued inputs run in fixed point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pymodel.compare import MismatchError
from pymodel.lebug.compiler import Compiler
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.firmware import distribution, loopback, minicache
from pymodel.lebug.fixed import to_raw, to_real
from pymodel.lebug.isa import Firmware

MIN_FRAC_W = 10  # enough fraction bits that 3 printed decimals survive the round trip


@dataclass(frozen=True)
class SeedExample:
    name: str
    inputs: np.ndarray  # as printed
    expected: np.ndarray  # as printed, in the printed layout
    build: Callable[[Compiler], Firmware]
    real: bool  # inputs are real numbers: needs fixed point
    frame_per_vector: bool
    sim_config: LebugConfig  # the configuration `make sim` uses

    def runs_on(self, cfg: LebugConfig) -> bool:
        if cfg.N != self.inputs.shape[1] or (self.real and cfg.FRAC_W < MIN_FRAC_W):
            return False
        if self.name == "distribution":
            bins = self.expected.shape[1]
            return bins % cfg.M == 0 and bins // cfg.M <= min(cfg.FU_ROWS, cfg.MAX_CHAINS)
        return True

    def firmware(self, cfg: LebugConfig) -> Firmware:
        return self.build(Compiler(cfg, self.name))

    def raw_inputs(self, cfg: LebugConfig) -> np.ndarray:
        return to_raw(self.inputs, cfg)

    def eof(self) -> np.ndarray:
        eof = np.zeros((len(self.inputs), 2), dtype=np.int64)
        if self.frame_per_vector:
            eof[:, 0] = 1
        return eof

    def layout(self, cfg: LebugConfig, trace: np.ndarray) -> np.ndarray:
        """Trace rows (raw) in the printed layout and units."""
        vals = to_real(trace, cfg).reshape(-1, self.expected.shape[1])
        return np.round(vals, 3) if cfg.fixed else vals

    def check(self, cfg: LebugConfig, trace: np.ndarray) -> None:
        got = self.layout(cfg, trace)
        if got.shape != self.expected.shape or not np.array_equal(got, self.expected):
            raise MismatchError(f"seed example {self.name}: expected\n{self.expected}\ngot\n{got}")


_LOOP_IN = np.array([
    [0.744, 1.576, 1.014, 0.724, 0.118, 1.229, 0.188, 2.459],
    [2.818, -0.083, 1.959, 0.644, 0.84, 2.628, -1.645, -1.564],
    [-1.899, 2.163, 1.891, 2.35, 2.893, 1.996, 0.307, 1.903],
])
_MC_IN = np.array([[2, 2, 6, 1, 3, 6, 1, 0], [1, 0, 0, 3, 4, 0, 0, 4]])
_MC_OUT = np.array([[4, 4, 12, 2, 6, 12, 2, 0], [10, 8, 24, 10, 20, 24, 4, 8]])
_DIST_IN = np.array([
    [6.268, 2.575, 2.042, 4.962, 6.475, 3.808, 8.827, 6.163],
    [4.328, 3.529, 3.089, 6.561, 3.947, 0.537, 3.582, 6.642],
])
_DIST_OUT = np.array([
    [0., 0., 2., 1., 1., 0., 3., 0., 1., 0., 0., 0., 0., 0., 0., 0.],
    [1., 0., 0., 4., 1., 0., 2., 0., 0., 0., 0., 0., 0., 0., 0., 0.],
])

SEED_EXAMPLES: tuple[SeedExample, ...] = (
    SeedExample("loopback", _LOOP_IN, _LOOP_IN.copy(), lambda cp: loopback(cp, cp.cfg.N), True, False,
                LebugConfig(FRAC_W=16)),
    SeedExample("minicache", _MC_IN, _MC_OUT, minicache, False, False, LebugConfig()),
    SeedExample("distribution", _DIST_IN, _DIST_OUT, lambda cp: distribution(cp, 16, cp.cfg.M), True, True,
                LebugConfig(FRAC_W=16)),
)
SEED_BY_NAME = {ex.name: ex for ex in SEED_EXAMPLES}
