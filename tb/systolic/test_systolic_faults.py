"""Faults in simulation on rtl/systolic (docs/verification.md, "Faults"): reset in the middle
of a GEMM, X (Icarus) or garbage (Verilator) on the APB inputs whenever PSEL is low,
malformed APB on the raw bus, and the OUT8 flag where CHECK must refuse it (FLAGS). cocotb tests on the K=8 regression
build
(tb/systolic/test_systolic.py), plus the pytest runner for both simulators.

Every test watches every output of the block (prdata, pready, pslverr, out_valid, out_eof,
out_data, busy, done) for X at each clock edge, compares whole register sets, and ends with
(or is) a run compared with pymodel.systolic.model bit for bit (every touched scratchpad
word, stream row, counter and STATUS). The seed is logged; rerun with SYSTOLIC_SEED=<seed>.
"""

from __future__ import annotations

import os
import random
from dataclasses import replace
from typing import Any

import cocotb
import numpy as np
import pytest

from pymodel.compare import MismatchError
from pymodel.systolic import regmap as R
from pymodel.systolic import regs as RDL
from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.convjob import conv, pool, put_tensor
from pymodel.systolic.descriptor import ERR_FLAGS, ERR_NONE
from pymodel.systolic.job import mismatches
from pymodel.systolic.model import MEMORIES, depth_of, run
from pymodel.systolic.randjob import rand_int8, rand_quant, random_layers
from tb.common.faults import (
    PRELOAD,
    TEST_TIMEOUT_MS,
    ApbMap,
    BashWord,
    Counter,
    XWatch,
    assert_regs,
    bit_bash,
    counter_read_paths,
    junk_during_run,
    preload_each_after_first,
    preload_when,
    protocol_faults,
    read_regs,
    reset_during,
    seed_from,
    unpreload,
)
from tb.common.harness import Junk
from tb.runner import param_text, regression_env, run_regression, sims_under_test
from tb.systolic.jobs import BLOCK, systolic_job
from tb.systolic.test_systolic import TB

CFG = SystolicConfig.parse(os.environ.get("SYSTOLIC_CFG", ""))
OUTPUTS = ("prdata", "pready", "pslverr", "out_valid", "out_eof", "out_data", "busy", "done")
FAULT_K = 8  # the one build the fault tests use, per simulator


def reset_values(cfg: SystolicConfig, base: int = 0) -> dict[int, int]:
    """Every register after reset: the documented reset values (rtl/systolic/systolic.rdl,
    docs/regs/systolic.md: STATUS and the counters 0, NUM_DESC 1, CTRL reads 0) and the
    parameter words."""
    regs = {RDL.ADDR[name]: value for name, value in RDL.RESET.items()}
    regs.update({R.REG_PARAMS0: R.params0(cfg), R.REG_PARAMS1: R.params1(cfg), R.REG_PARAMS2: R.params2(cfg)})
    return {base + a: v for a, v in sorted(regs.items())}


def bash_words(cfg: SystolicConfig, base: int = 0) -> list[BashWord]:
    """Every chunk of the first and the last word of the command memory and of each scratchpad,
    with the bits the layout stores (pymodel.systolic.regmap: unused bits of a narrow word read 0)."""
    out = []
    for name in R.BASE:
        ch = R.chunks(cfg, name)
        ones = np.full((1, ch), 0xFFFFFFFF, dtype=np.int64)
        mask = ones[0] if name == "cmd" else R.words_to_chunks(cfg, name, R.chunks_to_words(cfg, name, ones))[0]
        depth = cfg.CMD_DEPTH if name == "cmd" else depth_of(cfg, name)
        for w in sorted({0, depth - 1}):
            out += [BashWord(base + R.word_addr(cfg, name, w, c), int(mask[c])) for c in range(ch)]
    return out


SNAPSHOT_WORDS = 2  # words of each memory in the protocol-fault snapshot


def memory_words(cfg: SystolicConfig, words: int = SNAPSHOT_WORDS, base: int = 0) -> list[int]:
    """Every chunk of the first `words` words of the command memory and each scratchpad."""
    return [base + R.word_addr(cfg, name, w, c) for name in R.BASE for w in range(words)
            for c in range(R.chunks(cfg, name))]


def apb_map(cfg: SystolicConfig, base: int = 0) -> ApbMap:
    """The systolic block as protocol_faults sees it: NUM_DESC the plain RW register (1..CMD_DEPTH),
    ID the other; the registers and the first words of every memory are compared; unmapped: the word
    after the last register and the last word of the register page."""
    ro = [base + a for a in (R.REG_ID, R.REG_PARAMS0, R.REG_PARAMS1, R.REG_PARAMS2, R.REG_STATUS,
                             *R.COUNTER_REGS.values())]
    last = max(a for name, a in vars(R).items() if name.startswith("REG_") and isinstance(a, int))
    return ApbMap(f"systolic@{base:#x}", base + R.REG_NUM_DESC, lambda rng: rng.randint(1, cfg.CMD_DEPTH),
                  base + R.REG_ID, ro, list(reset_values(cfg, base)) + memory_words(cfg, base=base),
                  unmapped=[base + last + 4, base + R.BASE["cmd"] - 4])


def long_layers(cfg: SystolicConfig, rng: np.random.Generator) -> tuple[list[Any], dict[str, np.ndarray]]:
    """Two layers, the first several hundred cycles long (3 x 3 tiles of 4K rows)."""
    K = cfg.K
    return random_layers(cfg, rng, 2, 2 * K, shapes=[(4 * K, 2 * K + 3, 2 * K + 1), (K + 2, K, K - 1)])


def counters(base: int = 0, prefix: str = "") -> tuple[Counter, ...]:
    """The performance counters (docs/regs/systolic.md: CYCLES, BUSY, MACS, STALLS in the sequencer,
    ROWS in systolic.v), their flip-flops below the systolic instance (`prefix`) and addresses."""
    seq = {"cycles": "cnt_cycles", "busy": "cnt_busy", "macs": "cnt_macs", "stalls": "cnt_stalls"}
    return (*(Counter(k, f"{prefix}u_seq.{v}", base + R.COUNTER_REGS[k]) for k, v in seq.items()),
            Counter("rows", prefix + "cnt_rows", base + R.COUNTER_REGS["rows"]))


async def _start(dut: Any, salt: int) -> tuple[TB, np.random.Generator, random.Random, XWatch]:
    """Log the seed, reset, start the X watch; the TB, numpy and Python generators and the watch."""
    seed = seed_from(os.environ.get("SYSTOLIC_SEED"))
    dut._log.info("seed %d (rerun with SYSTOLIC_SEED=%d)", seed, seed)
    tb = TB(dut, CFG)
    await tb.reset()
    return (tb, np.random.default_rng([seed, salt, CFG.K]), random.Random(seed * 1000 + salt),
            XWatch(dut, OUTPUTS).start())


# --------------------------------------------------------------------------
# cocotb tests (names do not start with test_: pytest collects only the runner)
# --------------------------------------------------------------------------
@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def reset_mid_gemm(dut: Any) -> None:
    """Reset while the first of two GEMMs streams rows: the outputs and every register read
    their reset values, and the same job then matches the model bit for bit."""
    tb, rng, _, watch = await _start(dut, 1)
    descs, images = long_layers(CFG, rng)
    rows = [0]
    at = int(rng.integers(2, 4 * CFG.K - 2))

    def when() -> bool:
        rows[0] += int(dut.out_valid.value)
        return int(dut.busy.value) == 1 and rows[0] >= at

    n = await reset_during(tb, systolic_job(CFG, descs, images), when)
    tb.log.info("reset after %d cycles, %d output rows", n, rows[0])
    outs = {name: int(getattr(dut, name).value) for name in ("busy", "done", "out_valid", "out_eof", "out_data")}
    if any(outs.values()):
        raise MismatchError(f"outputs right after reset {outs}; documented: all 0")
    want = reset_values(CFG)
    assert_regs("systolic after reset", list(want), list(want.values()), await read_regs(tb, list(want)))
    await tb.run_and_check("the job after the reset", descs, images)
    watch.stop("reset mid-GEMM")

@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def x_on_idle_inputs(dut: Any) -> None:
    """X (Icarus) or garbage (Verilator) on paddr/pwdata/pwrite while PSEL is low, with the
    block idle and then through a whole GEMM: no output goes X and the job matches the model."""
    tb, rng, prng, watch = await _start(dut, 2)
    junk = Junk(prng)
    await tb.raw.start(junk)
    await tb.raw.idle(50)
    await tb.raw.stop()
    descs, images = long_layers(CFG, rng)
    exp = run(CFG, descs, images)
    held = cocotb.start_soon(junk_during_run(tb, junk))
    hw = await tb.run(systolic_job(CFG, descs, images))
    cycles = await held
    problems = mismatches(exp, hw)
    if problems:
        raise MismatchError("; ".join(problems))
    tb.log.info("%d stream rows with %s on the idle APB for the %d RUN cycles: match", len(hw.stream),
                "X" if junk.use_x else "garbage", cycles)
    if cycles < hw.job.run_cycles - 2:
        raise AssertionError(f"the bus carried junk for {cycles} of {hw.job.run_cycles} RUN cycles")
    watch.stop("X on idle inputs")

@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def apb_protocol_errors(dut: Any) -> None:
    """Access without setup, PSEL dropped, back-to-back transfers and read-only writes on the
    raw bus after a GEMM: only the documented effects (docs/systolic.md), then a job matches."""
    tb, rng, prng, watch = await _start(dut, 3)
    descs, images = random_layers(CFG, rng, 2, 2 * CFG.K)
    # the snapshot reads the first words of every scratchpad: load them all (a scratchpad no
    # descriptor used so far would hold X on Icarus)
    for name in MEMORIES:
        img = images.get(name, np.zeros((0, CFG.K), np.int64))
        if len(img) < SNAPSHOT_WORDS:
            images[name] = np.concatenate([img, np.zeros((SNAPSHOT_WORDS - len(img), CFG.K), np.int64)])
    await tb.run_and_check("the job before", descs, images)
    await protocol_faults(tb, apb_map(CFG), prng, Junk(prng))
    descs, images = random_layers(CFG, rng, 2, 2 * CFG.K)
    await tb.run_and_check("the job after", descs, images)
    watch.stop("APB protocol errors")

@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def out8_flag_errors(dut: Any) -> None:
    """OUT8 where it is not allowed stops the run in CHECK with FLAGS (docs/systolic.md): without
    INT8 (GEMM and CONV), on a POOL, on a CONV with fused pooling, and with pool != 0 on a GEMM
    (FLAGS before GEOM). The legal OUT8 GEMM before it completes; STATUS, counters (+3 cycles),
    stream and every touched word as the model; then the same block runs a legal list."""
    tb, rng, _, watch = await _start(dut, 4)
    K = CFG.K
    jb = JobBuilder(CFG)
    base, stride = jb.put_matrix(rand_int8(rng, (K + 1, K + 2)))
    jb.layer(base, stride, K + 1, rand_int8(rng, (K + 2, K + 3)), quant=rand_quant(rng, K + 3), out8=True)
    x = rand_int8(rng, (1, 4, 4, 3))
    xb, xs = put_tensor(jb, x, True)
    pool(jb, xb, xs, x.shape, (2, 2))
    conv(jb, xb, xs, x.shape, True, rand_int8(rng, (3, 3, 3, 4)), pad=(1, 1), quant=rand_quant(rng, 4),
         blk_rows=2, pool=2)
    conv(jb, xb, xs, x.shape, True, rand_int8(rng, (3, 3, 3, 4)), pad=(1, 1))
    ok, pool_d, fused, cv = jb.descriptors
    assert ok.out8 and all(d.check(CFG) == ERR_NONE for d in jb.descriptors)
    bad = [("GEMM OUT8 without INT8", replace(ok, int8=False)),
           ("CONV OUT8 without INT8", replace(cv, out8=True)),
           ("POOL OUT8", replace(pool_d, out8=True)),
           ("CONV with fused pooling OUT8", replace(fused, out8=True)),
           ("GEMM OUT8 with pool=2 (FLAGS before GEOM)", replace(ok, pool=2)),
           ("OUT8 and a reserved flag bit", replace(ok, reserved_flags=1 << 10))]
    images = jb.images()
    for name, d in bad:
        assert d.check(CFG) == ERR_FLAGS, (name, d.check(CFG))
        _exp, hw = await tb.run_and_check(name, [ok, d], images)
        assert hw.status == {"done": 1, "busy": 0, "error": 1, "err_code": ERR_FLAGS, "cur_desc": 1}, \
            (name, hw.status)
    await tb.run_and_check("the legal list after", [ok, pool_d, fused, cv], images)
    watch.stop("OUT8 FLAGS errors")


@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def register_bit_bash(dut: Any) -> None:
    """Every stored bit of the first and last word of each memory window, written 0, 1 and alone
    (tb.common.faults.bit_bash), reads back as written; before it, right after reset, a word's top
    chunk written alone commits the staging register's reset value (0) below it."""
    tb, _, prng, watch = await _start(dut, 5)
    # right after reset the staging register is 0: the top chunk written alone commits zeros below it
    ch = R.chunks(CFG, "out")
    top_only = [R.word_addr(CFG, "out", 0, c) for c in range(ch)]
    top_value = prng.getrandbits(32)
    await tb.write_records([(top_only[-1], top_value)])
    assert_regs("OUT word 0 after reset, only its top chunk written", top_only, [0] * (ch - 1) + [top_value],
                await read_regs(tb, top_only))
    await bit_bash(tb, "systolic", bash_words(CFG))
    # the staging register across idle cycles: the last OUT word's chunks written with 0..3 idle
    # cycles between them (junk on the idle bus), then read back
    addrs = [R.word_addr(CFG, "out", CFG.OUT_DEPTH - 1, c) for c in range(ch)]
    for gap in range(4):
        data = [prng.getrandbits(32) for _ in addrs]
        await tb.raw.start(Junk(prng))
        for a, v in zip(addrs, data):
            _, err = await tb.raw.transfer(True, a, v)
            if err:
                raise MismatchError(f"OUT chunk write {a:#x}: PSLVERR")
            await tb.raw.idle(prng.randrange(gap + 1))  # random gaps: odd and even distances to the commit
        await tb.raw.stop()
        assert_regs(f"the last OUT word written with up to {gap} idle cycles between chunks", addrs, data,
                    await read_regs(tb, addrs))
    watch.stop("register bit bash")

@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def counter_preload(dut: Any) -> None:
    """The counters' upper bits (2^32 cycles are out of a test's reach): once the job is busy (the
    counters cleared by its start), PRELOAD is added to every counter by backdoor; the read-back
    minus PRELOAD is the model's count and the job matches; again with each counter preloaded after its
    first count (the other parity of the counts after the preload). Then each counter set to all ones, all
    zeros and a random word reads back through APB as set."""
    tb, rng, prng, watch = await _start(dut, 7)
    descs, images = long_layers(CFG, rng)
    exp = run(CFG, descs, images)
    pre = cocotb.start_soon(preload_when(dut.clk, dut.dut, counters(), (), lambda: int(dut.busy.value) == 1))
    hw = await tb.run(systolic_job(CFG, descs, images))
    if not pre.done():
        pre.cancel()
        raise AssertionError("the job ended before the preload point (busy)")
    hw = replace(hw, counters=unpreload(hw.counters, pre.result()))
    tb.log.info("PRELOAD %#x added to %s", PRELOAD, sorted(pre.result()))
    problems = mismatches(exp, hw)
    if problems:
        raise MismatchError("preloaded job: " + "; ".join(problems))
    tb.log.info("preloaded job: counters %s after taking PRELOAD off: match", hw.counters)
    # again, each counter preloaded after its first count: the other parity of the counts after it
    done: set[str] = set()
    each = cocotb.start_soon(preload_each_after_first(dut.clk, dut.dut, counters(), (),
                                                             lambda: int(dut.busy.value) == 1, done))
    hw = await tb.run(systolic_job(CFG, descs, images))
    each.cancel()
    tb.log.info("PRELOAD %#x added after the first count to %s", PRELOAD, sorted(done))
    problems = mismatches(exp, replace(hw, counters=unpreload(hw.counters, done)))
    if problems:
        raise MismatchError("job preloaded after each counter's first count: " + "; ".join(problems))
    await counter_read_paths(tb, dut.dut, counters(), (), prng)
    watch.stop("counter preload")

# --------------------------------------------------------------------------
# pytest runner: the regression's K=8 build, its own work directory
# --------------------------------------------------------------------------


@pytest.mark.parametrize("sim", sims_under_test())
def test_systolic_faults(sim: str) -> None:
    cfg = SystolicConfig.for_array(FAULT_K)
    env = regression_env("SYSTOLIC_CFG", param_text(cfg.params()), "SYSTOLIC_SEED", "XWATCH_PRDATA")
    run_regression(BLOCK, cfg.params(), cfg.tag(), sim, env, min_tests=6,
                   test_module="tb.systolic.test_systolic_faults", work_name="faults")
