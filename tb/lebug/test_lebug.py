"""cocotb regressions for rtl/lebug against pymodel.lebug.emulate, plus the pytest runner.

Every test runs harness jobs (tb/job.py: PROG records, stimulus, read-back) and
compares the whole trace-buffer memory and every status counter with the emulator,
bit for bit; apb_errors drives single transfers through the host port. Random tests
log their seed; rerun one with LEBUG_SEED=<seed> make test (or pytest -k ...).
"""

from __future__ import annotations

import os
from typing import Any

import cocotb
import numpy as np
import pytest

from pymodel.compare import assert_equal, assert_same_counters
from pymodel.errors import AccelscopeError
from pymodel.lebug import LIBRARY, EmulationResult, Firmware, LebugConfig, build, default_thresholds, emulate
from pymodel.lebug import regmap as R
from pymodel.lebug.randfw import random_firmware, random_stream
from pymodel.lebug.seed_vectors import SEED_EXAMPLES
from tb.common.harness import HarnessTB
from tb.job import Job
from tb.lebug.jobs import BLOCK, LebugRun, decode, lebug_job
from tb.runner import config_sims, param_text, regression_env, run_regression

CFG = LebugConfig.parse(os.environ.get("LEBUG_CFG", ""))

# --------------------------------------------------------------------------
# testbench class
# --------------------------------------------------------------------------


class TB(HarnessTB):
    """Clock, host port and harness jobs for lebug_harness, and the emulator as the model."""

    def __init__(self, dut: Any, cfg: LebugConfig) -> None:
        super().__init__(dut)
        self.cfg = cfg

    async def run(self, job: Job) -> LebugRun:
        """One harness job (program, play, read back), exactly as every other path runs it."""
        return decode(self.cfg, await self.run_job(job))

    async def run_and_check(self, name: str, fw: Firmware, x: np.ndarray, eof: np.ndarray,
                            thresholds: np.ndarray | None = None, gaps: np.ndarray | None = None,
                            fire: bool = False) -> tuple[EmulationResult, LebugRun]:
        thr = thresholds if thresholds is not None else (fw.thresholds if fw.thresholds is not None
                                                          else default_thresholds(self.cfg))
        push = np.cumsum((gaps if gaps is not None else np.zeros(len(x), np.int64)) + 1) if fire else None
        exp = emulate(self.cfg, fw, x, eof, thr, push_cycles=push)
        hw = await self.run(lebug_job(self.cfg, fw, thr, x, eof, gaps, fire))
        assert_equal(f"{name}: trace buffer", exp.tb_mem, hw.tb_mem)
        assert_same_counters(f"{name}: status", exp.status.as_dict(), hw.status)
        self.log.info("%s: %d vectors, %d rows, status %s, cycles %s: match", name, len(x), exp.status.rows,
                      hw.status, hw.result.cycles())
        return exp, hw


def _seed() -> int:
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
    exp, hw = await tb.run_and_check("drops", fw, x, eof, gaps=gaps, fire=True)
    assert hw.status["drops"] > 0, "the stimulus was meant to overflow the input buffer"
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
    past_thresh = R.THRESH_BASE + R.regs.MEMS["THRESH"][1]  # unmapped, between windows
    bad_writes = [R.REGS_END, R.REG_NUM_CHAINS + 2, R.CHAIN_BASE + R.CHAIN_BYTES * CFG.MAX_CHAINS,
                  R.THRESH_BASE + 4 * CFG.n_thresholds, R.REG_ROWS, R.TRACE_BASE, past_thresh]
    for addr in bad_writes:
        assert await tb.apb.write(addr, 0xFFFFFFFF, check=False), f"write {addr:#x}: no PSLVERR"
    for value in (0, CFG.MAX_CHAINS + 1):
        assert await tb.apb.write(R.REG_NUM_CHAINS, value, check=False), f"NUM_CHAINS={value} accepted"
    for addr in (R.REGS_END, R.CHAIN_BASE + R.CHAIN_BYTES * CFG.MAX_CHAINS, R.trace_addr(CFG, CFG.TB_DEPTH, 0),
                 past_thresh):
        _, err = await tb.apb.read_err(addr)
        assert err, f"read {addr:#x}: no PSLVERR"
    assert await tb.apb.read(R.REG_NUM_CHAINS) == 1
    assert await tb.apb.read(R.CHAIN_BASE) == 0x1234
    assert await tb.apb.read(R.REG_ROWS) == 0

@cocotb.test()
async def seed_examples(dut: Any) -> None:
    """The seed's printed loopback, minicache and distribution examples, to the digit."""
    tb = TB(dut, CFG)
    await tb.reset()
    for ex in SEED_EXAMPLES:
        if not ex.runs_on(CFG):
            continue
        fw, x, eof = ex.firmware(CFG), ex.raw_inputs(CFG), ex.eof()
        exp, _ = await tb.run_and_check(ex.name, fw, x, eof)
        ex.check(CFG, exp.trace)


# --------------------------------------------------------------------------
# pytest runner: one build per HDL configuration
# --------------------------------------------------------------------------

CONFIGS = {
    "int_n8m4": LebugConfig(N=8, M=4, DATA_W=32, FRAC_W=0),
    "fix_n8m4": LebugConfig(N=8, M=4, DATA_W=32, FRAC_W=16),  # also the seed examples' `make sim` build
    "fix_n4m2_vsru": LebugConfig(N=4, M=2, DATA_W=16, FRAC_W=8, VSRU_FIRST=1, IB_DEPTH=4, CACHE_DEPTH=4,
                                 TB_DEPTH=16),
    "int_n16m8_vsru": LebugConfig(N=16, M=8, DATA_W=16, FRAC_W=0, VSRU_FIRST=1, FU_ROWS=2, MAX_CHAINS=4,
                                  TB_DEPTH=32),
}



# on Verilator in make test: the fault tests' build and the `make sim` build (every one on Icarus;
# ACCELSCOPE_FULL_MATRIX=1: all); the other two run on Verilator in make regress's CI sweep
VERILATOR_CONFIGS = {"int_n8m4", "fix_n8m4"}


@pytest.mark.parametrize("name,sim", config_sims(list(CONFIGS), verilator=VERILATOR_CONFIGS))
def test_lebug(name: str, sim: str) -> None:
    cfg = CONFIGS[name]
    env = regression_env("LEBUG_CFG", param_text(cfg.params()), "LEBUG_SEED")
    run_regression(BLOCK, cfg.params(), cfg.tag(), sim, env, min_tests=8)
