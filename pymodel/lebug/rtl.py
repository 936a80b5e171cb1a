"""Run the LeBug RTL under cocotb (tb/lebug) from Python: regressions and file-driven jobs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.job import LebugJob
from pymodel.simrun import REPO, SIM_BUILD, results_ok, rtl_sources, run_cocotb

HARNESS = REPO / "tb" / "lebug" / "lebug_harness.v"
TOPLEVEL = "lebug_harness"
REGRESSION = r"^tb\.lebug\.test_lebug\.(?!run_job)"  # every cocotb test but the file-driven job
JOB = r"^tb\.lebug\.test_lebug\.run_job$"


def build_dir_for(cfg: LebugConfig, waves: bool = False) -> Path:
    return SIM_BUILD / "lebug" / (cfg.tag() + ("_waves" if waves else ""))


def run_lebug_tb(cfg: LebugConfig, test_filter: str = REGRESSION, waves: bool = False,
                 extra_env: dict[str, str] | None = None, log_file: Path | None = None,
                 sim: str = "icarus", build_dir: Path | None = None) -> Path:
    """Build this configuration once (its own directory) and run the selected cocotb tests."""
    bdir = build_dir or build_dir_for(cfg, waves)
    bdir.mkdir(parents=True, exist_ok=True)
    env = {"LEBUG_CFG": ",".join(f"{k}={v}" for k, v in cfg.params().items()), "LEBUG_STIM_DIR": str(bdir)}
    env.update(extra_env or {})
    return run_cocotb(toplevel=TOPLEVEL, sources=rtl_sources("lebug") + [HARNESS], parameters=cfg.params(),
                      test_module="tb.lebug.test_lebug", build_dir=bdir, test_filter=test_filter, waves=waves,
                      extra_env=env, log_file=log_file, sim=sim,
                      plusargs=[f"+STIM_DATA={bdir / 'stim_data.hex'}", f"+STIM_CTL={bdir / 'stim_ctl.hex'}"])


def run_job_on_rtl(job: LebugJob, sim: str = "icarus", waves_dir: Path | None = None) -> tuple[np.ndarray, dict[str, int]]:
    """Program, play and read back on the RTL; returns (trace-buffer memory, status)."""
    bdir = waves_dir if waves_dir is not None else build_dir_for(job.cfg)
    bdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=bdir, prefix="job_") as tmp:
        job.save(Path(tmp))
        log = bdir / "sim.log"
        results = run_lebug_tb(job.cfg, JOB, waves=waves_dir is not None, extra_env={"LEBUG_JOB": tmp},
                               log_file=log, sim=sim, build_dir=bdir)
        tests, failed = results_ok(results)
        if tests != 1 or failed:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:]) if log.exists() else ""
            raise AccelscopeError(f"RTL simulation failed (log: {log}):\n{tail}")
        return job.load_hardware()


GTKW_GROUPS: list[tuple[str, list[str]]] = [
    ("Input", ["clk", "rst_n", "in_valid", "in_ready", "in_eof[1:0]", "in_data"]),
    ("APB", ["psel", "penable", "pwrite", "paddr", "pwdata", "prdata", "pslverr"]),
    ("Status", ["idle"]),
]


def write_gtkw(fst: Path, out: Path, scopes: dict[str, list[str]]) -> None:
    """A GTKWave save file: one comment-headed group per unit, signals by full path."""
    lines = [f'[dumpfile] "{fst}"', f'[savefile] "{out}"', "[timestart] 0"]
    for group, sigs in scopes.items():
        lines += ["@200", f"-{group}"]
        for s in sigs:
            lines += ["@28" if not s.endswith("]") and "data" not in s and "addr" not in s else "@22", s]
    out.write_text("\n".join(lines) + "\n")
