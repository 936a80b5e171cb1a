"""Run the systolic RTL under cocotb (tb/systolic) from Python: regressions and file-driven jobs."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from pymodel.compare import first_mismatch
from pymodel.errors import AccelscopeError
from pymodel.simrun import REPO, SIM_BUILD, results_ok, rtl_sources, run_cocotb
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.job import HardwareResult, SystolicJob
from pymodel.systolic.model import RunResult

HARNESS = REPO / "tb" / "systolic" / "systolic_harness.v"
TOPLEVEL = "systolic_harness"
REGRESSION = r"^tb\.systolic\.test_systolic\.(?!run_job)"  # every cocotb test but the file-driven job
JOB = r"^tb\.systolic\.test_systolic\.run_job$"


def build_dir_for(cfg: SystolicConfig, waves: bool = False) -> Path:
    return SIM_BUILD / "systolic" / (cfg.tag() + ("_waves" if waves else ""))


def run_systolic_tb(cfg: SystolicConfig, test_filter: str = REGRESSION, waves: bool = False,
                    extra_env: dict[str, str] | None = None, log_file: Path | None = None,
                    sim: str = "icarus", build_dir: Path | None = None, data_dir: Path | None = None) -> Path:
    """Build this configuration once (its own directory) and run the selected cocotb tests."""
    bdir = build_dir or build_dir_for(cfg, waves)
    bdir.mkdir(parents=True, exist_ok=True)
    ddir = data_dir or bdir
    env = {"SYSTOLIC_CFG": ",".join(f"{k}={v}" for k, v in cfg.params().items()), "SYSTOLIC_DIR": str(ddir)}
    env.update(extra_env or {})
    return run_cocotb(toplevel=TOPLEVEL, sources=rtl_sources("systolic") + [HARNESS], parameters=cfg.params(),
                      test_module="tb.systolic.test_systolic", build_dir=bdir, test_filter=test_filter,
                      waves=waves, extra_env=env, log_file=log_file, sim=sim, plusargs=[f"+SYS_DIR={ddir}"])


def run_job_on_rtl(job: SystolicJob, sim: str = "icarus", waves_dir: Path | None = None) -> HardwareResult:
    """Load, program, run and dump on the RTL; returns what the hardware produced."""
    bdir = waves_dir if waves_dir is not None else build_dir_for(job.cfg)
    bdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=bdir, prefix="job_") as tmp:
        job.save(Path(tmp))
        log = bdir / "sim.log"
        t0 = time.perf_counter()
        results = run_systolic_tb(job.cfg, JOB, waves=waves_dir is not None, extra_env={"SYSTOLIC_JOB": tmp},
                                  log_file=log, sim=sim, build_dir=bdir, data_dir=Path(tmp))
        wall = time.perf_counter() - t0
        tests, failed = results_ok(results)
        if tests != 1 or failed:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:]) if log.exists() else ""
            raise AccelscopeError(f"RTL simulation failed (log: {log}):\n{tail}")
        hw = job.load_hardware()
        hw.wall_s = wall
        return hw


def mismatches(exp: RunResult, hw: HardwareResult) -> list[str]:
    """Every disagreement between the model and the hardware (empty when bit-exact)."""
    problems = []
    for name, mem in hw.mems.items():
        msg = first_mismatch(exp.mems[name][: len(mem)], mem)
        if msg:
            problems.append(f"scratchpad {name}: {msg}")
    for what, e, a in (("stream rows", exp.stream, hw.stream), ("stream eof", exp.eof, hw.eof)):
        msg = first_mismatch(e, a)
        if msg:
            problems.append(f"{what}: {msg}")
    for k, v in exp.counters.as_dict().items():
        if hw.counters.get(k) != v:
            problems.append(f"counter {k}: expected {v}, actual {hw.counters.get(k)}")
    for k, v in exp.status.items():
        if hw.status.get(k) != v:
            problems.append(f"status {k}: expected {v}, actual {hw.status.get(k)}")
    return problems


def stream_from_text(text: str, K: int) -> tuple[np.ndarray, np.ndarray]:
    """Parse the harness capture file: '<eof hex> <data hex>' per row."""
    from pymodel.systolic.layout import from_hex

    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return np.zeros((0, K), np.int64), np.zeros((0, 2), np.int64)
    eof_v = np.array([int(e, 16) for e, _ in lines], dtype=np.int64)
    data = from_hex("\n".join(d for _, d in lines), K, 32, where="stream capture")
    return data, np.stack([eof_v & 1, eof_v >> 1], axis=1)
