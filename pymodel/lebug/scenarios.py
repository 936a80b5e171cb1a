"""`make sim TEST=<firmware>`: the seed's three blocks, emulator vs RTL, PASS/FAIL."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import numpy as np

from pymodel.compare import first_mismatch
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.emulator import emulate
from pymodel.lebug.firmware import LIBRARY, build
from pymodel.lebug.fixed import default_thresholds, to_raw, to_real
from pymodel.lebug.isa import Firmware
from pymodel.lebug.job import LebugJob, trace_from_mem
from pymodel.lebug.seed_vectors import SEED_BY_NAME
from pymodel.simrun import SIM_BUILD, check_simulator

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


def scenario(name: str, seed: int | None = None) -> Scenario:
    """The seed's examples for loopback/minicache/distribution; random frames for the rest."""
    if name in SEED_BY_NAME:
        ex = SEED_BY_NAME[name]
        cfg = ex.sim_config
        return Scenario(name, cfg, ex.firmware(cfg), ex.inputs, ex.eof(), ex.expected.shape[1])
    cfg = LebugConfig(VSRU_FIRST=int(name == "activation_predictiveness"))
    fw = build(name, cfg)
    seed = seed if seed is not None else int(os.environ.get("LEBUG_SEED", random.randrange(1 << 31)))
    rng = np.random.default_rng(seed)
    n = 24
    x = rng.integers(-3, 8, size=(n, cfg.N))
    eof = np.zeros((n, 2), dtype=np.int64)
    eof[2::3, 0] = 1
    eof[-1, 1] = 1
    return Scenario(name, cfg, fw, x, eof, cfg.N, seed)


def _fmt(rows: np.ndarray) -> str:
    with np.printoptions(precision=3, suppress=True, linewidth=200):
        return str(rows)


def shown(sc: Scenario, trace: np.ndarray) -> np.ndarray:
    vals = to_real(trace, sc.cfg)
    if vals.size % sc.row_width:
        return vals
    vals = vals.reshape(-1, sc.row_width)
    return np.round(vals, 3) if sc.cfg.fixed else vals


def run(name: str, sim: str = "icarus", waves: bool = False) -> int:
    """Print the three blocks; 0 on PASS."""
    from pymodel.lebug.rtl import run_job_on_rtl, write_gtkw

    if name not in LIBRARY:
        print(f"accelscope: unknown LeBug test {name!r}; registered: {', '.join(LIBRARY)}")
        return 2
    check_simulator(sim)
    sc = scenario(name)
    if sc.seed is not None:
        print(f"seed {sc.seed} (rerun with LEBUG_SEED={sc.seed})")
    print(f"config: {', '.join(f'{k}={v}' for k, v in sc.cfg.params().items())}")
    print(f"{BANNER} Input vectors {BANNER}")
    with np.printoptions(precision=3, suppress=True, linewidth=200):
        for i, v in enumerate(sc.inputs):
            eof = f"  eof={sc.eof[i].tolist()}" if sc.eof[i].any() and name not in SEED_BY_NAME else ""
            print(f"Cycle {i}: {v}{eof}")
    exp = emulate(sc.cfg, sc.firmware, sc.raw, sc.eof, sc.thresholds)
    print(f"{BANNER} Emulation results {BANNER}")
    print(_fmt(shown(sc, exp.trace)))
    waves_dir = SIM_BUILD / "waves" / name if waves else None
    job = LebugJob(sc.cfg, sc.firmware, sc.thresholds, sc.raw, sc.eof)
    mem, status = run_job_on_rtl(job, sim=sim, waves_dir=waves_dir)
    hw_trace = trace_from_mem(mem, status["rows"])
    print(f"{BANNER} Hardware results {BANNER}")
    print(_fmt(shown(sc, hw_trace)))
    problems = [m for m in (first_mismatch(exp.tb_mem, mem),) if m]
    problems += [f"status {k}: expected {v}, actual {status.get(k)}" for k, v in exp.status.as_dict().items()
                 if status.get(k) != v]
    if name in SEED_BY_NAME:
        try:
            SEED_BY_NAME[name].check(sc.cfg, hw_trace)
        except AssertionError as e:
            problems.append(str(e))
    print(f"status: {status}")
    if waves_dir is not None:
        fst = waves_dir / "lebug_harness.fst"
        write_gtkw(fst, waves_dir / "waves.gtkw", sc.cfg)
        print(f"waves: {fst} (open with: make waves TEST={name})")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("PASS")
    return 0

