"""Faults in simulation on rtl/lebug (docs/verification.md, "Faults"): reset in the middle of
a stream, X (Icarus) or garbage (Verilator) on the APB and stream inputs whenever PSEL or
in_valid is low, and malformed APB on the raw bus. cocotb tests on the int_n8m4 regression
build (tb/lebug/test_lebug.py), plus the pytest runner for both simulators.

Every test watches every LeBug output (in_ready, idle, prdata, pready, pslverr) for X at
each clock edge, compares whole register sets, and ends with (or is) a run compared with
pymodel.lebug.emulate bit for bit. The seed is logged; rerun with LEBUG_SEED=<seed>.
"""

from __future__ import annotations

import os
import random
from typing import Any

import cocotb
import numpy as np
import pytest

from pymodel.compare import MismatchError, assert_equal, assert_same_counters
from pymodel.lebug import LebugConfig, build, default_thresholds, emulate
from pymodel.lebug import regmap as R
from pymodel.lebug import regs as RDL
from pymodel.lebug.randfw import random_stream
from tb.common.faults import (
    PRELOAD,
    TEST_TIMEOUT_MS,
    ApbMap,
    BashWord,
    Counter,
    Shadow,
    XWatch,
    assert_regs,
    bit_bash,
    counter_read_paths,
    preload_when,
    protocol_faults,
    read_regs,
    reset_during,
    seed_from,
    unpreload,
)
from tb.common.harness import Junk, RawStream
from tb.job import Job
from tb.lebug.jobs import BLOCK, decode, lebug_job
from tb.lebug.test_lebug import CONFIGS, TB
from tb.runner import param_text, regression_env, run_regression, sims_under_test

CFG = LebugConfig.parse(os.environ.get("LEBUG_CFG", ""))
OUTPUTS = ("in_ready", "idle", "prdata", "pready", "pslverr")  # the harness wires of LeBug's outputs
FAULT_CONFIG = "int_n8m4"  # the one build the fault tests use, per simulator
# the distribution firmware's bins: as many as the build's filter rows and chains hold (16 on int_n8m4), so
# the same tests run on any build (make mutate runs them on every LeBug build)
HIST_BINS = CFG.M * min(CFG.FU_ROWS, CFG.MAX_CHAINS)


def reset_values(cfg: LebugConfig, base: int = 0) -> dict[int, int]:
    """Every readable register once the reset's cache clear is over: the documented reset values
    (rtl/lebug/lebug.rdl, docs/regs/lebug.md: CTRL and NUM_CHAINS 0, counters 0), STATUS idle
    (the clear done), the parameter words, and every chain word, threshold and trace slot 0
    (docs/lebug.md)."""
    regs = {RDL.ADDR[name]: value for name, value in RDL.RESET.items()}
    regs.update({R.REG_PARAMS: R.params_word(cfg), R.REG_PARAMS2: R.params2_word(cfg), R.REG_STATUS: R.STATUS_IDLE})
    regs.update({R.CHAIN_BASE + 4 * i: 0 for i in range(R.CHAIN_BYTES // 4 * cfg.MAX_CHAINS)})
    regs.update({R.THRESH_BASE + 4 * i: 0 for i in range(cfg.n_thresholds)})
    regs.update({R.TRACE_BASE + 4 * i: 0 for i in range(cfg.TB_DEPTH * cfg.N)})
    return {base + a: v for a, v in sorted(regs.items())}


def ro_addrs(cfg: LebugConfig, base: int = 0) -> list[int]:
    """Read-only registers (ID first: a constant) and the first and last trace words."""
    return [base + a for a in (R.REG_ID, R.REG_PARAMS, R.REG_STATUS, R.REG_ROWS, R.REG_DROPS, R.REG_CYCLES,
                               R.REG_VECTORS, R.REG_PARAMS2, R.trace_addr(cfg, 0, 0),
                               R.trace_addr(cfg, cfg.TB_DEPTH - 1, cfg.N - 1))]


def threshold_value(cfg: LebugConfig, rng: random.Random) -> int:
    """A THRESH word as it reads back: DATA_W random bits, sign-extended to 32."""
    v = rng.getrandbits(cfg.DATA_W)
    return (v - (1 << cfg.DATA_W) if v >> (cfg.DATA_W - 1) else v) & 0xFFFFFFFF


def bash_words(cfg: LebugConfig, base: int = 0) -> list[BashWord]:
    """Every chain word (MAX_CHAINS of RDL.ENTRY_BITS["CHAIN"] bits, 32 a chunk) and every threshold
    (DATA_W bits, sign-extended reads: docs/regs/lebug.md)."""
    bits = RDL.ENTRY_BITS["CHAIN"]
    chunk_masks = [((1 << bits) - 1) >> (32 * k) & 0xFFFFFFFF for k in range(R.CHAIN_BYTES // 4)]
    chains = [BashWord(base + R.CHAIN_BASE + R.CHAIN_BYTES * c + 4 * k, m)
              for c in range(cfg.MAX_CHAINS) for k, m in enumerate(chunk_masks)]
    thresholds = [BashWord(base + R.THRESH_BASE + 4 * i, (1 << cfg.DATA_W) - 1, cfg.DATA_W)
                  for i in range(cfg.n_thresholds)]
    return chains + thresholds


def apb_map(cfg: LebugConfig, base: int = 0) -> ApbMap:
    """LeBug as protocol_faults sees it: THRESH[0] the plain RW register, ID the other one; unmapped:
    the word after the last register and the last word before the trace buffer."""
    last = max(a for name, a in vars(R).items() if name.startswith("REG_") and isinstance(a, int))
    return ApbMap(f"lebug@{base:#x}", base + R.THRESH_BASE, lambda rng: threshold_value(cfg, rng), base + R.REG_ID,
                  ro_addrs(cfg, base), list(reset_values(cfg, base)),
                  unmapped=[base + last + 4, base + R.TRACE_BASE - 4])


def counters(base: int = 0, prefix: str = "") -> tuple[Counter, ...]:
    """LeBug's event counters (docs/regs/lebug.md: DROPS, CYCLES, VECTORS), their flip-flops below
    the lebug instance (`prefix`: the path from the DUT to it) and addresses (`base`: its window)."""
    return (Counter("drops", prefix + "drops", base + R.REG_DROPS),
            Counter("cycles", prefix + "cycles", base + R.REG_CYCLES),
            Counter("vectors", prefix + "vectors", base + R.REG_VECTORS))


def shadows(prefix: str = "") -> tuple[Shadow, ...]:
    """The books lebug.v's assertions keep beside them: offered = drops + vectors, popped follows vectors."""
    return (Shadow(prefix + "sh_offered", (("drops", 1), ("vectors", 1))),
            Shadow(prefix + "sh_popped", (("vectors", 1),)))


async def _start(dut: Any, salt: int) -> tuple[TB, np.random.Generator, random.Random, XWatch]:
    """Log the seed, reset, start the X watch; the TB, numpy and Python generators and the watch."""
    seed = seed_from(os.environ.get("LEBUG_SEED"))
    dut._log.info("seed %d (rerun with LEBUG_SEED=%d)", seed, seed)
    tb = TB(dut, CFG)
    await tb.reset()
    return tb, np.random.default_rng([seed, salt]), random.Random(seed * 1000 + salt), XWatch(dut, OUTPUTS).start()


# --------------------------------------------------------------------------
# cocotb tests (names do not start with test_: pytest collects only the runner)
# --------------------------------------------------------------------------
@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def reset_mid_stream(dut: Any) -> None:
    """Reset while the player streams (trace rows already written): every register reads
    its reset value, and the same run then matches the emulator bit for bit."""
    tb, rng, _, watch = await _start(dut, 1)
    fw = build("distribution", CFG, bins=HIST_BINS)
    thr = default_thresholds(CFG)
    x, eof = random_stream(CFG, rng, 160)
    eof[::5, 0] = 1  # frames of at most 5 vectors: trace rows early in the stream
    at = int(rng.integers(20, 120))
    n = await reset_during(tb, lebug_job(CFG, fw, thr, x, eof),
                           lambda: int(dut.running.value) == 1 and int(dut.idx.value) >= at
                           and int(dut.dut.u_tb.rows.value) >= 2)
    tb.log.info("reset after %d cycles, at vector %d", n, at)
    # the reset starts the cache clear: LeBug takes no vector until it is over
    if int(dut.in_ready.value) or int(dut.idle.value):
        raise MismatchError(f"right after reset: in_ready {dut.in_ready.value}, idle {dut.idle.value}; "
                            "documented 0 and 0 while the cache clear runs")
    status = await tb.apb.read(R.REG_STATUS)
    if status != RDL.RESET["STATUS"]:
        raise MismatchError(f"STATUS right after reset {status:#x}, documented {RDL.RESET['STATUS']:#x} (clearing)")
    want = reset_values(CFG)
    assert_regs("LeBug after reset", list(want), list(want.values()), await read_regs(tb, list(want)))
    await tb.run_and_check("the run after the reset", fw, x, eof)
    watch.stop("reset mid-stream")

@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def x_on_idle_inputs(dut: Any) -> None:
    """X (Icarus) or garbage (Verilator) on paddr/pwdata/pwrite while PSEL is low and on
    in_data/in_eof while in_valid is low, through a whole stream: no output goes X, and
    the trace buffer and status equal the emulator's."""
    tb, rng, prng, watch = await _start(dut, 2)
    junk = Junk(prng)
    fw = build("multiple_chains", CFG)
    thr = default_thresholds(CFG)
    x, eof = random_stream(CFG, rng, 120)
    gaps = rng.integers(0, 4, size=len(x))
    await tb.run_job(Job(writes=R.program_records(CFG, fw, thr), run=False))
    await tb.raw.start(junk)
    playing = [True]
    idler = cocotb.start_soon(tb.raw.idle_while(lambda: playing[0] or not int(dut.idle.value)))
    stream = RawStream(dut, "raw_in", dut.clk, CFG.DATA_W)
    cycles = await stream.play(x, eof, gaps, junk)
    playing[0] = False
    await idler
    tb.log.info("%d vectors in %d cycles with %s on every idle input, %d raw APB cycles", len(x), cycles,
                "X" if junk.use_x else "garbage", tb.raw.cycles)
    hw = decode(CFG, await tb.run_job(Job(reads=R.readback_addrs(CFG), run=False)))
    exp = emulate(CFG, fw, x, eof, thr)
    assert_equal("trace buffer", exp.tb_mem, hw.tb_mem)
    assert_same_counters("status", exp.status.as_dict(), hw.status)
    watch.stop("X on idle inputs")

@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def apb_protocol_errors(dut: Any) -> None:
    """Access without setup, PSEL dropped, back-to-back transfers and read-only writes on the
    raw bus after a run: only the documented effects (docs/lebug.md), then a run matches."""
    tb, rng, prng, watch = await _start(dut, 3)
    fw = build("distribution", CFG, bins=HIST_BINS)
    x, eof = random_stream(CFG, rng, 60)
    await tb.run_and_check("the run before", fw, x, eof)
    await protocol_faults(tb, apb_map(CFG), prng, Junk(prng))
    x, eof = random_stream(CFG, rng, 60)
    await tb.run_and_check("the run after", build("multiple_chains", CFG), x, eof)
    watch.stop("APB protocol errors")


@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def register_bit_bash(dut: Any) -> None:
    """Every stored bit of every chain word and threshold, written 0, 1 and alone
    (tb.common.faults.bit_bash), reads back as written; then a run matches the emulator."""
    tb, rng, _, watch = await _start(dut, 5)
    await bit_bash(tb, "lebug", bash_words(CFG))
    x, eof = random_stream(CFG, rng, 40)
    await tb.run_and_check("the run after", build("multiple_chains", CFG), x, eof)
    watch.stop("register bit bash")

@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def counter_preload(dut: Any) -> None:
    """The counters' upper bits (2^32 events are out of a test's reach): once the stream has begun,
    PRELOAD is added to DROPS, CYCLES and VECTORS by backdoor; a run pushing a vector every cycle
    (drops) then reads back the emulator's counts plus PRELOAD, and the trace matches. Then each
    counter set to all ones, all zeros and a random word reads back through APB as set."""
    tb, rng, prng, watch = await _start(dut, 6)
    fw = build("distribution", CFG, bins=HIST_BINS)
    thr = default_thresholds(CFG)
    x, eof = random_stream(CFG, rng, 120)
    exp = emulate(CFG, fw, x, eof, thr, push_cycles=np.arange(1, len(x) + 1, dtype=np.int64))
    lb = dut.dut
    pre = cocotb.start_soon(preload_when(dut.clk, lb, counters(), shadows(), lambda: int(lb.vectors.value) > 0))
    hw = await tb.run(lebug_job(CFG, fw, thr, x, eof, None, True))
    if not pre.done():
        pre.cancel()
        raise AssertionError("the run ended before the preload point (VECTORS > 0)")
    assert_equal("preloaded run: trace buffer", exp.tb_mem, hw.tb_mem)
    tb.log.info("PRELOAD %#x added to %s", PRELOAD, sorted(pre.result()))
    assert_same_counters("preloaded run: status", exp.status.as_dict(), unpreload(hw.status, pre.result()))
    tb.log.info("preloaded run: status %s after taking PRELOAD off: match", unpreload(hw.status, pre.result()))
    await counter_read_paths(tb, lb, counters(), shadows(), prng)
    watch.stop("counter preload")

# --------------------------------------------------------------------------
# pytest runner: the regression's int_n8m4 build, its own work directory
# --------------------------------------------------------------------------


@pytest.mark.parametrize("sim", sims_under_test())
def test_lebug_faults(sim: str) -> None:
    cfg = CONFIGS[FAULT_CONFIG]
    env = regression_env("LEBUG_CFG", param_text(cfg.params()), "LEBUG_SEED", "XWATCH_PRDATA")
    run_regression(BLOCK, cfg.params(), cfg.tag(), sim, env, min_tests=5, test_module="tb.lebug.test_lebug_faults",
                   work_name="faults")
