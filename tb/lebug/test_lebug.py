"""cocotb regressions for rtl/lebug against pymodel.lebug.emulate, plus the pytest runner.

Every test compares the whole trace-buffer memory and every status counter with
the emulator, bit for bit. Random tests log their seed; rerun one with
LEBUG_SEED=<seed> make test (or pytest -k ...).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pymodel.compare import assert_equal, assert_same_counters
from pymodel.errors import AccelscopeError
from pymodel.lebug import (LIBRARY, EmulationResult, Firmware, LebugConfig, build,
                           default_thresholds, emulate)
from pymodel.lebug import regmap as R
from pymodel.lebug.randfw import random_firmware, random_stream
from pymodel.lebug.rtl import run_lebug_tb
from tb.common.harness import HarnessTB

CFG = LebugConfig.parse(os.environ.get("LEBUG_CFG", ""))

# --------------------------------------------------------------------------
# testbench class
# --------------------------------------------------------------------------


class TB(HarnessTB):
    """Clock, APB master, stimulus player and read-back for lebug_harness."""

    def __init__(self, dut: Any, cfg: LebugConfig) -> None:
        super().__init__(dut, ("stim_load", "stim_start", "stim_count"))
        self.cfg = cfg
        self.stim_dir = Path(os.environ.get("LEBUG_STIM_DIR", "."))

    async def reset(self, settle: int = 0) -> None:
        await super().reset(settle)
        await self.wait_clear()

    async def wait_clear(self) -> None:
        from cocotb.triggers import ClockCycles

        await ClockCycles(self.dut.clk, self.cfg.CACHE_DEPTH + 4)
        status = await self.apb.read(R.REG_STATUS)
        assert not status & R.STATUS_CLEARING, f"still clearing after {self.cfg.CACHE_DEPTH + 4} cycles"

    async def program(self, fw: Firmware, thresholds: np.ndarray) -> None:
        for addr, data in R.program_records(self.cfg, fw, thresholds):
            await self.apb.write(addr, data)
        await self.wait_clear()

    async def play(self, x: np.ndarray, eof: np.ndarray, gaps: np.ndarray | None = None,
                   fire: bool = False) -> None:
        """Replay raw vectors through the stimulus player and wait until LeBug is idle."""
        from cocotb.triggers import ClockCycles, RisingEdge

        n = len(x)
        if n == 0:
            return
        gaps = np.zeros(n, dtype=np.int64) if gaps is None else gaps
        lane_mask = (1 << self.cfg.DATA_W) - 1
        digits = (self.cfg.N * self.cfg.DATA_W + 3) // 4
        packed = [sum((int(v) & lane_mask) << (i * self.cfg.DATA_W) for i, v in enumerate(row)) for row in x.tolist()]
        ctl = (eof[:, 0] | (eof[:, 1] << 1) | (int(fire) << 2) | (gaps << 16)).tolist()
        data_file = self.stim_dir / "stim_data.hex"
        ctl_file = self.stim_dir / "stim_ctl.hex"
        data_file.write_text("".join(f"{p:0{digits}x}\n" for p in packed))
        ctl_file.write_text("".join(f"{c:08x}\n" for c in ctl))
        self.dut.stim_count.value = n
        self.dut.stim_load.value = 1
        await ClockCycles(self.dut.clk, 1)
        self.dut.stim_load.value = 0
        self.dut.stim_start.value = 1
        await RisingEdge(self.dut.stim_done)
        self.dut.stim_start.value = 0
        await self.wait_idle()

    async def wait_idle(self) -> None:
        from cocotb.triggers import ClockCycles, RisingEdge

        await ClockCycles(self.dut.clk, 2)
        while not int(self.dut.idle.value):
            await RisingEdge(self.dut.idle)
        await ClockCycles(self.dut.clk, 1)

    async def read_status(self) -> dict[str, int]:
        st = await self.apb.read(R.REG_STATUS)
        return {
            "rows": await self.apb.read(R.REG_ROWS),
            "drops": await self.apb.read(R.REG_DROPS),
            "cycles": await self.apb.read(R.REG_CYCLES),
            "vectors": await self.apb.read(R.REG_VECTORS),
            "wrap": int(bool(st & R.STATUS_WRAP)),
            "pack_fill": (st >> 8) & 0xFF,
        }

    async def read_tb_mem(self) -> np.ndarray:
        mem = np.zeros((self.cfg.TB_DEPTH, self.cfg.N), dtype=np.int64)
        for r in range(self.cfg.TB_DEPTH):
            for lane in range(self.cfg.N):
                word = await self.apb.read(R.trace_addr(self.cfg, r, lane))
                mem[r, lane] = word - (1 << 32) if word & (1 << 31) else word
        return mem

    async def run_and_check(self, name: str, fw: Firmware, x: np.ndarray, eof: np.ndarray,
                            thresholds: np.ndarray | None = None, gaps: np.ndarray | None = None,
                            fire: bool = False) -> tuple[EmulationResult, np.ndarray, dict[str, int]]:
        thr = thresholds if thresholds is not None else (fw.thresholds if fw.thresholds is not None
                                                          else default_thresholds(self.cfg))
        push = np.cumsum((gaps if gaps is not None else np.zeros(len(x), np.int64)) + 1) if fire else None
        exp = emulate(self.cfg, fw, x, eof, thr, push_cycles=push)
        await self.program(fw, thr)
        await self.play(x, eof, gaps, fire)
        mem = await self.read_tb_mem()
        status = await self.read_status()
        assert_equal(f"{name}: trace buffer", exp.tb_mem, mem)
        assert_same_counters(f"{name}: status", exp.status.as_dict(), status)
        self.log.info("%s: %d vectors, %d rows, status %s: match", name, len(x), exp.status.rows, status)
        return exp, mem, status


def _seed() -> int:
    import cocotb

    env = os.environ.get("LEBUG_SEED")
    return int(env) if env else int(cocotb.RANDOM_SEED) % (1 << 32)


async def _start(dut: Any, salt: int) -> tuple[TB, np.random.Generator]:
    """Log the seed, reset, and return the TB and this test's random generator."""
    seed = _seed()
    dut._log.info("seed %d (rerun with LEBUG_SEED=%d)", seed, seed)
    tb = TB(dut, CFG)
    await tb.reset()
    return tb, np.random.default_rng([seed, salt])


def _library_for(cfg: LebugConfig) -> list[str]:
    """Library firmware that this configuration can run (v_reduce order, cache size)."""
    ok = []
    for name in LIBRARY:
        try:
            build(name, cfg)
        except AccelscopeError:
            continue
        ok.append(name)
    return ok


# --------------------------------------------------------------------------
# cocotb tests (names do not start with test_: pytest collects only the runner)
# --------------------------------------------------------------------------
try:
    import cocotb

    @cocotb.test()
    @cocotb.parametrize(firmware=_library_for(CFG))
    async def library_firmware(dut: Any, firmware: str) -> None:
        """Each library firmware on random inputs with both EOF levels."""
        tb, rng = await _start(dut, list(LIBRARY).index(firmware))
        fw = build(firmware, CFG)
        x, eof = random_stream(CFG, rng, int(rng.integers(40, 120)))
        await tb.run_and_check(firmware, fw, x, eof)

    @cocotb.test()
    async def random_firmware_regression(dut: Any) -> None:
        """Random legal firmware and random thresholds, without reset in between (clear only)."""
        tb, rng = await _start(dut, 101)
        for _ in range(6):
            fw = random_firmware(CFG, rng)
            x, eof = random_stream(CFG, rng, int(rng.integers(1, 50)))
            thr = rng.integers(-8 << CFG.FRAC_W, 8 << CFG.FRAC_W, CFG.n_thresholds)
            await tb.run_and_check("random", fw, x, eof, thresholds=thr)

    @cocotb.test()
    async def full_input_buffer(dut: Any) -> None:
        """Push regardless of in_ready: drops are counted and predicted exactly."""
        tb, rng = await _start(dut, 202)
        fw = build("distribution", CFG, bins=CFG.M * min(CFG.FU_ROWS, 3))
        x, eof = random_stream(CFG, rng, 80)
        # mostly back-to-back pushes (>= 2 chains drain one vector per 2+ cycles), a few pauses
        gaps = np.where(rng.random(len(x)) < 0.8, 0, rng.integers(1, 4, size=len(x)))
        exp, _, status = await tb.run_and_check("drops", fw, x, eof, gaps=gaps, fire=True)
        assert status["drops"] > 0, "the stimulus was meant to overflow the input buffer"
        dut._log.info("dropped vectors: %s", np.flatnonzero(~exp.accepted).tolist())

    @cocotb.test()
    async def apb_errors(dut: Any) -> None:
        """Unmapped, out-of-range and read-only accesses answer PSLVERR and change nothing."""
        tb = TB(dut, CFG)
        await tb.reset()
        assert await tb.apb.read(R.REG_ID) == R.ID_VALUE
        assert await tb.apb.read(R.REG_PARAMS) == R.params_word(CFG)
        assert await tb.apb.read(R.REG_PARAMS2) == R.params2_word(CFG)
        await tb.apb.write(R.REG_NUM_CHAINS, 1)
        await tb.apb.write(R.CHAIN_BASE, 0x1234)
        bad_writes = [0x00FFC, R.REG_NUM_CHAINS + 2, R.CHAIN_BASE + 8 * CFG.MAX_CHAINS,
                      R.THRESH_BASE + 4 * CFG.n_thresholds, R.REG_ROWS, R.TRACE_BASE, 0x03000]
        for addr in bad_writes:
            assert await tb.apb.write(addr, 0xFFFFFFFF, check=False), f"write {addr:#x}: no PSLVERR"
        for value in (0, CFG.MAX_CHAINS + 1):
            assert await tb.apb.write(R.REG_NUM_CHAINS, value, check=False), f"NUM_CHAINS={value} accepted"
        for addr in (0x00FFC, R.CHAIN_BASE + 8 * CFG.MAX_CHAINS, R.trace_addr(CFG, CFG.TB_DEPTH, 0), 0x03000):
            _, err = await tb.apb.read_err(addr)
            assert err, f"read {addr:#x}: no PSLVERR"
        assert await tb.apb.read(R.REG_NUM_CHAINS) == 1
        assert await tb.apb.read(R.CHAIN_BASE) == 0x1234
        assert await tb.apb.read(R.REG_ROWS) == 0

    @cocotb.test()
    async def seed_examples(dut: Any) -> None:
        """The seed's printed loopback, minicache and distribution examples, to the digit."""
        from pymodel.lebug.seed_vectors import SEED_EXAMPLES

        tb = TB(dut, CFG)
        await tb.reset()
        for ex in SEED_EXAMPLES:
            if not ex.runs_on(CFG):
                continue
            fw, x, eof = ex.firmware(CFG), ex.raw_inputs(CFG), ex.eof()
            exp, _, _ = await tb.run_and_check(ex.name, fw, x, eof)
            ex.check(CFG, exp.trace)
            await tb.apb.write(R.REG_CTRL, R.CTRL_CLEAR)
            await tb.wait_clear()

    @cocotb.test()
    async def run_job(dut: Any) -> None:
        """File-driven run for the CLI and `make sim`: job.json + npy in $LEBUG_JOB."""
        from pymodel.lebug.job import LebugJob

        job = LebugJob.load(Path(os.environ["LEBUG_JOB"]))
        tb = TB(dut, job.cfg)
        await tb.reset()
        await tb.program(job.firmware, job.thresholds)
        await tb.play(job.x, job.eof)
        job.save_hardware(await tb.read_tb_mem(), await tb.read_status())

except ImportError:  # pragma: no cover - cocotb is a hard dependency; keeps pydoc working
    pass

# --------------------------------------------------------------------------
# pytest runner: one build per HDL configuration
# --------------------------------------------------------------------------

CONFIGS = {
    "int_n8m4": LebugConfig(N=8, M=4, DATA_W=32, FRAC_W=0),
    "fix_n8m4": LebugConfig(N=8, M=4, DATA_W=32, FRAC_W=16, TB_DEPTH=32),
    "fix_n4m2_vsru": LebugConfig(N=4, M=2, DATA_W=16, FRAC_W=8, VSRU_FIRST=1, IB_DEPTH=4, CACHE_DEPTH=4,
                                 TB_DEPTH=16),
    "int_n16m8_vsru": LebugConfig(N=16, M=8, DATA_W=16, FRAC_W=0, VSRU_FIRST=1, FU_ROWS=2, MAX_CHAINS=4,
                                  TB_DEPTH=32),
}



@pytest.mark.parametrize("name", list(CONFIGS))
def test_lebug(name: str) -> None:
    cfg = CONFIGS[name]
    env = {"LEBUG_SEED": os.environ["LEBUG_SEED"]} if "LEBUG_SEED" in os.environ else {}
    run_lebug_tb(cfg, extra_env=env)

