"""cocotb tests for accel_top: bundles replayed over APB (PROG records) or loaded by backdoor,
as harness jobs (tb/top/jobs.py), compared with pymodel.top.model.expected; single
transfers through the host port; plus the pytest runner.

Random bundles log their seed; rerun with TOP_SEED=<seed> make test (or pytest -k ...).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
import pytest

from pymodel.bundle import Bundle, load_bundle, read_prog
from pymodel.compare import MismatchError, assert_equal
from pymodel.deploy.gemm_calls import eval_config
from pymodel.errors import AccelscopeError
from pymodel.lebug import regmap as lb
from pymodel.net.layers import Linear, Network
from pymodel.systolic import regmap as sy
from pymodel.top import regmap as tr
from pymodel.top.config import TopConfig
from pymodel.top.model import TopExpected, expected
from pymodel.top.randbundle import compile_network, random_two_layer
from pymodel.top.result import HwResult, check
from tb.common.harness import HarnessTB
from tb.job import Job
from tb.runner import config_sims, regression_env, run_regression
from tb.top.jobs import BLOCK, bundle_job, decode, prepare

CFG = TopConfig.from_hardware(json.loads(os.environ["TOP_HW"])) if "TOP_HW" in os.environ else TopConfig()


class TB(HarnessTB):
    """Clock, host port and harness jobs for top_harness."""

    def __init__(self, dut: Any, cfg: TopConfig) -> None:
        super().__init__(dut)
        self.cfg = cfg

    async def reset(self) -> None:
        """Reset, then LeBug's cache clear (host-port tests; a job waits for it by itself)."""
        await super().reset()
        await self.tick(self.cfg.lebug.CACHE_DEPTH + 4)

    async def run(self, job: Job, exp: TopExpected) -> HwResult:
        """One harness job (load, program, start, run, read back, dump), exactly as every other path runs it."""
        return decode(self.cfg, exp.written(), await self.run_job(job))


async def run_bundle(tb: TB, bundle: Bundle, mode: str) -> tuple[TopExpected, HwResult]:
    exp = expected(bundle)
    await tb.reset()
    hw = await tb.run(bundle_job(bundle, mode), exp)
    check(exp, hw, f"{mode} load")
    tb.log.info("%s load: %d stream rows, counters %s, tap %s, LeBug %s, cycles %s: match", mode, len(hw.stream),
                hw.counters, hw.tap, hw.lebug_status, hw.job.cycles())
    return exp, hw


def fresh(path: Path) -> Path:
    """A bundle directory for this run: one left by an earlier run is removed (bundles are never
    written over)."""
    shutil.rmtree(path, ignore_errors=True)
    return path


# --------------------------------------------------------------------------
# cocotb tests (names do not start with test_)
# --------------------------------------------------------------------------
@cocotb.test()
async def two_layer_both_loads(dut: Any) -> None:
    """A two-layer network from random weights, distribution on the tap: APB replay and backdoor
    load each equal the model, and each other."""
    seed = int(os.environ.get("TOP_SEED", cocotb.RANDOM_SEED % (1 << 32)))
    dut._log.info("seed %d (rerun with TOP_SEED=%d)", seed, seed)
    tb = TB(dut, CFG)
    bundle = random_two_layer(CFG, seed, fresh(tb.dir / "bundle"))
    _, apb = await run_bundle(tb, bundle, "apb")
    _, bd = await run_bundle(tb, bundle, "backdoor")
    for field in ("stream", "eof", "trace"):
        assert_equal(f"APB vs backdoor: {field}", getattr(apb, field), getattr(bd, field))
    assert apb.counters == bd.counters and apb.lebug_status == bd.lebug_status and apb.tap == bd.tap
    assert apb.lebug_status["rows"] > 0, "the tap firmware should have written trace rows"

@cocotb.test()
async def tap_saturates_narrow_lanes(dut: Any) -> None:
    """int32 results beyond LeBug's lanes: with DATA_W < 32 the tap saturates them (loopback firmware
    records what LeBug saw), with 32-bit lanes they pass unchanged; both equal the model."""
    f_in = 20
    w = np.zeros((8, f_in), np.float32)
    w[0], w[1], w[2, 0], w[3, ::2], w[3, 1::2] = 1.0, -1.0, 1.0, 1.0, -1.0  # +-20*127*127, 127*127, ~0
    w[4:] = np.linspace(-1, 1, 4 * f_in, dtype=np.float32).reshape(4, f_in)
    net = Network((Linear(w, np.zeros(8, np.float32)),), (f_in,))
    x = np.stack([np.ones(f_in), np.full(f_in, 0.5), -np.ones(f_in), np.linspace(-1, 1, f_in)]).astype(np.float32)
    tb = TB(dut, CFG)
    bundle = compile_network(net, x, CFG, "loopback").bundle
    bundle.write(fresh(tb.dir / "sat_bundle"))
    exp, hw = await run_bundle(tb, bundle, "backdoor")
    lim = 1 << (CFG.lebug.DATA_W - 1)
    beyond = int(np.count_nonzero((exp.systolic.stream >= lim) | (exp.systolic.stream < -lim)))
    if CFG.lebug.DATA_W < 32:
        assert beyond > 0, "no stream value beyond the lanes: the test does not exercise saturation"
        assert int(hw.trace.max()) == lim - 1 and int(hw.trace.min()) == -lim, "trace shows no saturated value"
    tb.log.info("%d stream values beyond %d-bit lanes; LeBug's trace equals the model", beyond, CFG.lebug.DATA_W)

@cocotb.test()
async def unmapped_access(dut: Any) -> None:
    """Unmapped APB addresses answer PSLVERR and change nothing."""
    tb = TB(dut, CFG)
    await tb.reset()
    await tb.apb.write(tr.LEBUG_BASE + lb.REG_NUM_CHAINS, 2)
    await tb.apb.write(tr.SYS_BASE + sy.REG_NUM_DESC, 3)
    assert await tb.apb.read(tr.REG_ID) == tr.TOP_ID_VALUE
    before = [await tb.apb.read(a) for a in (tr.LEBUG_BASE + lb.REG_NUM_CHAINS, tr.SYS_BASE + sy.REG_NUM_DESC,
                                             tr.REG_TAP_ROWS)]
    top_end = sum(tr.regs.WINDOWS["TOP"])  # past the last window
    lb_trace_end = sum(lb.regs.MEMS["TRACE"][:2])  # past LeBug's last window
    unmapped = (top_end, (1 << 24) - 4, tr.regs.REGS_END, tr.LEBUG_BASE + lb.THRESH_BASE + lb.regs.MEMS["THRESH"][1],
                tr.LEBUG_BASE + lb_trace_end, tr.REG_ID + 2)
    for addr in unmapped:
        assert await tb.apb.write(addr, 0xFFFFFFFF, check=False), f"write {addr:#x}: no PSLVERR"
        _, err = await tb.apb.read_err(addr)
        assert err, f"read {addr:#x}: no PSLVERR"
    assert await tb.apb.write(tr.REG_TAP_ROWS, 1, check=False), "write to a read-only top register accepted"
    after = [await tb.apb.read(a) for a in (tr.LEBUG_BASE + lb.REG_NUM_CHAINS, tr.SYS_BASE + sy.REG_NUM_DESC,
                                            tr.REG_TAP_ROWS)]
    assert before == after == [2, 3, 0], f"state changed: {before} -> {after}"

@cocotb.test()
async def corrupted_records_rejected(dut: Any) -> None:
    """A bundle with a corrupted PROG line is rejected before any APB write."""
    tb = TB(dut, CFG)
    bundle = random_two_layer(CFG, 5, fresh(tb.dir / "bad_bundle"))
    assert bundle.path is not None
    prog_d = bundle.path / "prog" / "0PROG_D"
    lines = prog_d.read_text().splitlines()
    lines[len(lines) // 2] = "xyz"
    prog_d.write_text("\n".join(lines) + "\n")
    await tb.reset()
    state_regs = (tr.LEBUG_BASE + lb.REG_NUM_CHAINS, tr.SYS_BASE + sy.REG_NUM_DESC,
                  tr.LEBUG_BASE + lb.CHAIN_BASE, tr.SYS_BASE + sy.BASE["cmd"])
    before = [await tb.apb.read(a) for a in state_regs]
    transfers = tb.apb.transfers
    want = f"0PROG_D:{len(lines) // 2 + 1}: bad record 'xyz'"
    for what, validate in (("read_prog", lambda: read_prog(bundle.path)),
                           ("load_bundle", lambda: load_bundle(bundle.path)),
                           ("replay's validation", lambda: prepare(bundle.path, CFG))):
        try:
            validate()
        except AccelscopeError as e:
            assert want in str(e), f"{what}: {e}"
        else:
            raise MismatchError(f"{what}: the corrupted bundle was accepted")
    assert tb.apb.transfers == transfers, "an APB transfer happened before validation finished"
    after = [await tb.apb.read(a) for a in state_regs]
    assert before == after, f"state changed: {before} -> {after}"



# --------------------------------------------------------------------------
# pytest runner: one build per configuration
# --------------------------------------------------------------------------

CONFIGS = {
    "k8_n8": TopConfig.for_array(8),
    "k8_n4": TopConfig.for_array(8, N=4, M=2),
    "k4_n8": TopConfig.for_array(4, N=8),
    "k8_eval": eval_config(8),  # the evaluation build: LeBug int16 (N=4 lanes of 16 bits, saturating tap)
}


# Verilator builds of the top take a minute or more each: make test runs the fault tests' build and
# the evaluation build on Verilator, every configuration on Icarus (ACCELSCOPE_FULL_MATRIX=1: all)
VERILATOR_CONFIGS = {"k8_n8", "k8_eval"}


@pytest.mark.parametrize("name,sim", config_sims(list(CONFIGS), verilator=VERILATOR_CONFIGS))
def test_top(name: str, sim: str) -> None:
    cfg = CONFIGS[name]
    env = regression_env("TOP_HW", json.dumps(cfg.hardware()), "TOP_SEED")
    run_regression(BLOCK, cfg.params(), cfg.tag(), sim, env, min_tests=3)
