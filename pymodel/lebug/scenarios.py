"""The inputs `make sim TEST=<firmware>` plays (tb/sims.py runs them): the seed's examples for
loopback, minicache and distribution, random frames for the rest; and how results are shown."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.firmware import build
from pymodel.lebug.fixed import default_thresholds, to_raw, to_real
from pymodel.lebug.fwtext import load_firmware_file
from pymodel.lebug.isa import Firmware
from pymodel.lebug.seed_vectors import SEED_BY_NAME

BANNER = "*" * 10


@dataclass
class Scenario:
    name: str
    cfg: LebugConfig
    firmware: Firmware
    inputs: np.ndarray  # as shown (real in fixed point)
    eof: np.ndarray
    row_width: int  # values per printed result row
    seed: int | None = None

    @property
    def raw(self) -> np.ndarray:
        return to_raw(self.inputs, self.cfg)

    @property
    def thresholds(self) -> np.ndarray:
        return self.firmware.thresholds if self.firmware.thresholds is not None else default_thresholds(self.cfg)


def _compiled(compile_fw: Callable[[LebugConfig], Firmware]) -> tuple[LebugConfig, Firmware]:
    """The default configuration, or VSRU-first for programs that need the VSRU before the VVALU."""
    try:
        cfg = LebugConfig()
        return cfg, compile_fw(cfg)
    except AccelscopeError:
        cfg = LebugConfig(VSRU_FIRST=1)
        return cfg, compile_fw(cfg)


def scenario(name: str, seed: int | None = None, firmware_file: str | Path | None = None) -> Scenario:
    """The seed's examples for loopback/minicache/distribution; random frames for the rest
    (library programs, or a firmware file in the text format)."""
    if firmware_file is None and name in SEED_BY_NAME:
        ex = SEED_BY_NAME[name]
        cfg = ex.sim_config
        return Scenario(name, cfg, ex.firmware(cfg), ex.inputs, ex.eof(), ex.expected.shape[1])
    if firmware_file is not None:
        cfg, fw = _compiled(lambda c: load_firmware_file(firmware_file, c))
    else:
        cfg, fw = _compiled(lambda c: build(name, c))
    seed = seed if seed is not None else int(os.environ.get("LEBUG_SEED", random.randrange(1 << 31)))
    rng = np.random.default_rng(seed)
    n = 24
    x = rng.integers(-3, 8, size=(n, cfg.N))
    eof = np.zeros((n, 2), dtype=np.int64)
    eof[2::3, 0] = 1
    eof[-1, 1] = 1
    return Scenario(name, cfg, fw, x, eof, cfg.N, seed)


def fmt(rows: np.ndarray) -> str:
    with np.printoptions(precision=3, suppress=True, linewidth=200):
        return str(rows)


def shown(sc: Scenario, trace: np.ndarray) -> np.ndarray:
    vals = to_real(trace, sc.cfg)
    if vals.size % sc.row_width:
        return vals
    vals = vals.reshape(-1, sc.row_width)
    return np.round(vals, 3) if sc.cfg.fixed else vals
