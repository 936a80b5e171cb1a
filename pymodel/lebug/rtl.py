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


def _clog2(v: int) -> int:
    return max(1, (v - 1).bit_length())


def gtkw_groups(cfg: LebugConfig) -> dict[str, list[tuple[str, int]]]:
    """Signals under lebug_harness.dut grouped by unit, in pipeline order, with widths."""
    vw = cfg.N * cfg.DATA_W
    gen = "g_vsru_first" if cfg.VSRU_FIRST else "g_alu_first"
    units = {
        "VVALU": [(f"{gen}.u_vvalu.out_valid", 1), (f"{gen}.u_vvalu.out_flags", 4), (f"{gen}.u_vvalu.out_data", vw)],
        "VSRU": [(f"{gen}.u_vsru.out_valid", 1), (f"{gen}.u_vsru.out_data", vw)],
    }
    middle = ["VSRU", "VVALU"] if cfg.VSRU_FIRST else ["VVALU", "VSRU"]
    groups = {
        "Input": [("clk", 1), ("rst_n", 1), ("in_valid", 1), ("in_ready", 1), ("in_eof", 2), ("in_data", vw)],
        "Input buffer": [("u_ib.empty", 1), ("u_ib.full", 1)],
        "Sequencer": [("u_seq.pop", 1), ("u_seq.valid", 1), ("u_seq.chain_idx", _clog2(cfg.MAX_CHAINS)),
                      ("u_seq.flags", 4), ("u_seq.vec", vw)],
        "FRU": [("u_fru.out_valid", 1), ("u_fru.out_flags", 4), ("u_fru.out_data", vw)],
    }
    groups.update({m: units[m] for m in middle})
    groups.update({
        "DP": [("u_dp.row_valid", 1), ("u_dp.fill", _clog2(cfg.N)), ("u_dp.row_data", vw)],
        "Trace buffer": [("u_tb.rows", 32), ("u_tb.wrap", 1)],
        "APB": [("psel", 1), ("penable", 1), ("pwrite", 1), ("paddr", 20), ("pwdata", 32), ("prdata", 32),
                ("pslverr", 1)],
        "Status": [("idle", 1)],
    })
    return groups


def write_gtkw(fst: Path, out: Path, cfg: LebugConfig, top: str = "lebug_harness.dut") -> None:
    """A GTKWave save file (one comment-headed group per unit; binary for bits, hex for
    vectors) and beside it zoom_full.tcl, which `make waves` runs to show the whole run."""
    lines = [f'[dumpfile] "{fst}"', f'[savefile] "{out}"', "[timestart] 0", "[size] 1600 1000"]
    for group, sigs in gtkw_groups(cfg).items():
        lines += ["@200", f"-{group}"]
        for name, width in sigs:
            lines += ["@28", f"{top}.{name}"] if width == 1 else ["@22", f"{top}.{name}[{width - 1}:0]"]
    out.write_text("\n".join(lines) + "\n")
    (out.parent / "zoom_full.tcl").write_text("gtkwave::/Time/Zoom/Zoom_Full\n")

