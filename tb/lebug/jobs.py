"""LeBug on its harness (tb/lebug/lebug_harness.v): the job that programs LeBug, plays a
stream and reads everything back, and a runner for any simulator in tb.runner.SIMULATORS.
The cocotb regressions (test_lebug.py), the CLI, `make sim` and bench/ all use these."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pymodel.bundle.hexio import format_image, lanes_to_chunks
from pymodel.errors import AccelscopeError
from pymodel.lebug import regmap as R
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.isa import Firmware
from tb.job import Job, JobResult
from tb.runner import Block, run_job
from tb.waves import Trace, job_state, lanes

BLOCK = Block("lebug", ("lebug",), "lebug_harness", "tb.lebug.test_lebug")
STIM_DEPTH = 65536  # lebug_harness STIM_DEPTH: most vectors per job


def stimulus_files(cfg: LebugConfig, x: np.ndarray, eof: np.ndarray, gaps: np.ndarray | None = None,
                   fire: bool = False) -> dict[str, str]:
    """stim_data.hex (one N*DATA_W-bit vector a line) and stim_ctl.hex (eof, fire, gap)."""
    n = len(x)
    if n > STIM_DEPTH:
        raise AccelscopeError(f"{n} vectors: the LeBug harness plays at most {STIM_DEPTH} per run")
    e = np.asarray(eof, dtype=np.int64).reshape(n, 2)
    g = np.zeros(n, dtype=np.int64) if gaps is None else np.asarray(gaps, dtype=np.int64)
    if n and (g.min() < 0 or g.max() > 0xFFFF):
        raise AccelscopeError("stimulus gaps must be 0..65535 cycles")
    ctl = e[:, 0] | (e[:, 1] << 1) | (int(fire) << 2) | (g << 16)
    return {"stim_data.hex": format_image(lanes_to_chunks(np.asarray(x, dtype=np.int64), cfg.DATA_W),
                                          cfg.N * cfg.DATA_W),
            "stim_ctl.hex": "".join(f"{c:08x}\n" for c in ctl.tolist())}


def lebug_job(cfg: LebugConfig, fw: Firmware, thresholds: np.ndarray, x: np.ndarray, eof: np.ndarray,
              gaps: np.ndarray | None = None, fire: bool = False, junk: list[tuple[int, int]] | None = None) -> Job:
    """Program (PROG records; after the `junk` writes, if any), play x, read the trace buffer and
    the status registers."""
    n = len(x)
    g = 0 if gaps is None else int(np.sum(gaps))
    reads = R.readback_addrs(cfg)
    timeout = 64 * (n + g) * max(1, fw.num_chains) + 8 * len(reads) + 100_000
    return Job(writes=list(junk or []) + descending(R.program_records(cfg, fw, thresholds)), reads=reads, block=[n],
               files=stimulus_files(cfg, x, eof, gaps, fire), timeout=timeout)


def descending(recs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The program's register and memory writes between the first CTRL write (disable) and the last
    two (clear, enable) in reverse order (they are independent while disabled): the highest chain
    slot and threshold first, so a write decoded to a lower index as well as its own would be
    overwritten by the later, correct write in ascending order but not here."""
    return [recs[0], *reversed(recs[1:-2]), *recs[-2:]]


@dataclass
class LebugRun:
    tb_mem: np.ndarray  # trace-buffer memory (TB_DEPTH, N)
    status: dict[str, int]
    result: JobResult


def decode(cfg: LebugConfig, res: JobResult) -> LebugRun:
    mem, status = R.decode_readback(cfg, res.reads)
    return LebugRun(mem, status, res)


def run_lebug(cfg: LebugConfig, fw: Firmware, thresholds: np.ndarray, x: np.ndarray, eof: np.ndarray,
              sim: str, waves: bool = False, work: Path | None = None) -> LebugRun:
    """One run on `sim` (any simulator of tb.runner); the caller compares with the emulator."""
    job = lebug_job(cfg, fw, thresholds, x, eof)
    return decode(cfg, run_job(BLOCK, cfg.params(), cfg.tag(), job, sim, waves=waves, work=work))


def wave_groups(cfg: LebugConfig) -> dict[str, list[Trace]]:
    """GTKWave groups under lebug_harness, in pipeline order: each lane a signed trace."""
    gen = "g_vsru_first" if cfg.VSRU_FIRST else "g_alu_first"
    units = {"VVALU": [Trace(f"dut.{gen}.u_vvalu.out_valid"), *lanes("alu_x", cfg.N, cfg.DATA_W, "VVALU")],
             "VSRU": [Trace(f"dut.{gen}.u_vsru.out_valid"), *lanes("vsru_x", cfg.N, cfg.DATA_W, "VSRU")]}
    groups = {
        "Input": [Trace("clk"), Trace("rst_n"), Trace("present"), Trace("in_ready"), Trace("eof", 2),
                  *lanes("in_x", cfg.N, cfg.DATA_W, "in")],
        "Sequencer": [Trace("dut.u_seq.valid"), Trace("dut.u_seq.flags", 4)],
        "FRU": [Trace("dut.u_fru.out_valid"), *lanes("fru_x", cfg.N, cfg.DATA_W, "FRU")],
    }
    for unit in (["VSRU", "VVALU"] if cfg.VSRU_FIRST else ["VVALU", "VSRU"]):
        groups[unit] = units[unit]
    groups["Trace row (DP)"] = [Trace("dut.u_dp.row_valid"), *lanes("row_x", cfg.N, cfg.DATA_W, "row")]
    groups["Trace buffer"] = [Trace("dut.u_tb.rows", 32), Trace("dut.u_tb.wrap")]
    groups["APB"] = [Trace("psel"), Trace("penable"), Trace("pwrite"), Trace("paddr", 20), Trace("pwdata", 32),
                     Trace("prdata", 32), Trace("pslverr")]
    groups["Status"] = [Trace("idle"), job_state()]
    return groups
