"""Faults in simulation on rtl/top/accel_top (docs/verification.md, "Faults"): reset in the
middle of a bundle's PROG replay, X (Icarus) or garbage (Verilator) on the APB inputs
whenever PSEL is low, and malformed APB on the raw bus, through each window (systolic,
LeBug) and on the top registers. cocotb tests on the k8_n8 regression build
(tb/top/test_top.py), plus the pytest runner for both simulators.

Every test watches every output of accel_top (prdata, pready, pslverr, busy, done, idle) for
X at each clock edge, compares whole register sets, and ends with (or is) a bundle replay
compared with pymodel.top.model.expected (every written word, stream row, counter, the tap,
LeBug's status and trace buffer). The seed is logged; rerun with TOP_SEED=<seed>.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import replace
from typing import Any

import cocotb
import pytest

from pymodel.bitfields import pack
from pymodel.bundle import Bundle
from pymodel.compare import MismatchError
from pymodel.lebug import regmap as lb
from pymodel.systolic import regmap as sy
from pymodel.top import regmap as tr
from pymodel.top import regs as RDL
from pymodel.top.config import TopConfig
from pymodel.top.model import expected
from pymodel.top.randbundle import random_two_layer
from pymodel.top.result import check
from tb.common.faults import (
    TEST_TIMEOUT_MS,
    Counter,
    Shadow,
    XWatch,
    assert_regs,
    bit_bash,
    counter_read_paths,
    junk_during_run,
    preload_when,
    protocol_faults,
    read_regs,
    reset_during,
    seed_from,
    unpreload,
)
from tb.common.harness import Junk
from tb.lebug.test_lebug_faults import apb_map as lebug_map
from tb.lebug.test_lebug_faults import bash_words as lebug_bash
from tb.lebug.test_lebug_faults import counters as lebug_counters
from tb.lebug.test_lebug_faults import reset_values as lebug_reset
from tb.lebug.test_lebug_faults import shadows as lebug_shadows
from tb.runner import regression_env, run_regression, sims_under_test
from tb.systolic.test_systolic_faults import apb_map as systolic_map
from tb.systolic.test_systolic_faults import bash_words as systolic_bash
from tb.systolic.test_systolic_faults import counters as systolic_counters
from tb.systolic.test_systolic_faults import reset_values as systolic_reset
from tb.top.jobs import BLOCK, bundle_job
from tb.top.test_top import CONFIGS, TB, fresh

CFG = TopConfig.from_hardware(json.loads(os.environ["TOP_HW"])) if "TOP_HW" in os.environ else TopConfig()
OUTPUTS = ("prdata", "pready", "pslverr", "busy", "done", "idle")
FAULT_CONFIG = "k8_n8"  # the one build the fault tests use, per simulator
S_WRITE = 3  # tb/common/job_engine.v: the WRITE phase (PROG records)
TOP_RO = [tr.REG_ID, tr.REG_PARAMS, *tr.TAP_REGS.values()]


def top_values(cfg: TopConfig) -> dict[int, int]:
    """The top registers after reset (rtl/top/accel_top.rdl, docs/regs/accel_top.md; CTRL is
    write-only, so not read)."""
    regs = {RDL.ADDR[name]: value for name, value in RDL.RESET.items() if name != "CTRL"}
    regs[tr.REG_PARAMS] = pack(RDL.FIELDS["PARAMS"], {"K": cfg.sys.K, "N": cfg.lebug.N, "TAP_DEPTH": cfg.TAP_DEPTH})
    return dict(sorted(regs.items()))


def reset_values(cfg: TopConfig) -> dict[int, int]:
    """Every register of the chip after reset and LeBug's clear: top, systolic and LeBug windows."""
    return {**top_values(cfg), **systolic_reset(cfg.sys, tr.SYS_BASE), **lebug_reset(cfg.lebug, tr.LEBUG_BASE)}


TAP_COUNTERS = tuple(Counter(k, f"tap_{k}", tr.TAP_REGS[k]) for k in ("rows", "drops", "vectors"))
TAP_SHADOWS = (Shadow("sh_offered", (("rows", 1), ("drops", 1))), Shadow("sh_popped", (("rows", 1),)))


def counter_sets() -> list[tuple[str, tuple[Counter, ...], tuple[Shadow, ...]]]:
    """Every event counter of the chip (the tap's, the systolic array's, LeBug's), as the read-back
    names them, with the shadow registers of the assertions beside them."""
    return [("tap", TAP_COUNTERS, TAP_SHADOWS),
            ("counters", systolic_counters(tr.SYS_BASE, "u_sys."), ()),
            ("lebug_status", lebug_counters(tr.LEBUG_BASE, "u_lebug."), lebug_shadows("u_lebug."))]


async def _start(dut: Any, salt: int) -> tuple[TB, Bundle, random.Random, XWatch]:
    """Log the seed, reset, start the X watch; the TB, a random two-layer bundle (distribution
    on the tap), a Python generator and the watch."""
    seed = seed_from(os.environ.get("TOP_SEED"))
    dut._log.info("seed %d (rerun with TOP_SEED=%d)", seed, seed)
    tb = TB(dut, CFG)
    bundle = random_two_layer(CFG, seed + salt, fresh(tb.dir / f"fault_bundle_{salt}"))
    await tb.reset()
    return tb, bundle, random.Random(seed * 1000 + salt), XWatch(dut, OUTPUTS).start()


async def replay_and_check(tb: TB, bundle: Bundle, name: str) -> None:
    """The bundle's PROG records over APB, start, run, read back: equal to the model."""
    exp = expected(bundle)
    hw = await tb.run(bundle_job(bundle, "apb"), exp)
    check(exp, hw, name)
    tb.log.info("%s: %d stream rows, tap %s, LeBug %s, cycles %s: match", name, len(hw.stream), hw.tap,
                hw.lebug_status, hw.job.cycles())


async def top_register_faults(tb: TB, rng: random.Random, junk: Junk) -> None:
    """The protocol errors on the top's own registers (no plain read-write register there: CTRL is
    write-only and clears the tap), and back-to-back transfers across the three windows; each
    case followed by a read-back of the top registers (docs/top.md, "APB protocol errors")."""
    raw = tb.raw
    addrs = list(top_values(CFG))
    regs = dict(zip(addrs, await read_regs(tb, addrs)))
    if not regs[tr.REG_TAP_ROWS]:
        raise AssertionError("the tap counters should be nonzero after a run (the clear must be visible)")

    async def compare(case: str) -> None:
        assert_regs(f"top registers: after {case}", addrs, [regs[a] for a in addrs], await read_regs(tb, addrs))
        tb.log.info("top registers: %s: %d registers as documented", case, len(addrs))

    def expect(case: str, what: str, got: Any, err: bool) -> None:
        if got.err() != err:
            raise MismatchError(f"top registers: {case}: {what}: PSLVERR {got.err()}, documented {err}")

    case = "access without setup"
    await raw.start(junk)
    await raw.idle(2)
    expect(case, "CTRL.clear after an idle cycle", await raw.access(True, tr.REG_CTRL, 1), True)
    await raw.idle(1)
    expect(case, "TAP_ROWS read after an idle cycle", await raw.access(False, tr.REG_TAP_ROWS), True)
    expect(case, "CTRL <- 0 (setup)", await raw.setup(True, tr.REG_CTRL, 0), False)
    expect(case, "CTRL <- 0 (access)", await raw.access(True, tr.REG_CTRL, 0), False)
    expect(case, "CTRL.clear: PENABLE held", await raw.access(True, tr.REG_CTRL, 1), True)
    await raw.idle(2)
    await raw.stop()
    await compare(case)

    # PADDR moved between the phases: the access is the top window's without a setup phase there
    # (the front end sees PSEL only while PADDR selects its window), so a stray access: PSLVERR
    case = "PADDR moved into the top window after another window's setup"
    await raw.start(junk)
    for setup_addr in (tr.SYS_BASE + sy.REG_ID, tr.LEBUG_BASE + lb.REG_ID):
        expect(case, f"setup at {setup_addr:#x}", await raw.setup(True, setup_addr, 1), False)
        expect(case, "CTRL.clear in the access phase", await raw.access(True, tr.REG_CTRL, 1), True)
        await raw.idle(1)
        expect(case, f"setup at {setup_addr:#x}", await raw.setup(False, setup_addr), False)
        expect(case, "TAP_ROWS read in the access phase", await raw.access(False, tr.REG_TAP_ROWS), True)
        await raw.idle(1)
    await raw.stop()
    await compare(case)

    case = "PSEL dropped after setup"
    await raw.start(junk)
    for penable in (0, 1):
        for pins in (True, False):
            expect(case, "CTRL.clear (setup)", await raw.setup(True, tr.REG_CTRL, 1), False)
            expect(case, f"PSEL low, PENABLE {penable}", await raw.cycle(0, penable, 1, tr.REG_CTRL, 1, pins=pins),
                   False)
            await raw.idle(1)
    await raw.stop()
    await compare(case)

    case = "back-to-back transfers"
    ops = [  # write, address, data, expected read (None: not checked), PSLVERR
        (False, tr.REG_TAP_ROWS, 0, regs[tr.REG_TAP_ROWS], False),
        (False, tr.SYS_BASE + sy.REG_ID, 0, sy.ID_VALUE, False),
        (False, tr.LEBUG_BASE + lb.REG_ID, 0, lb.ID_VALUE, False),
        (False, tr.REG_ID, 0, regs[tr.REG_ID], False),
        (True, tr.REG_TAP_ROWS, rng.getrandbits(32), None, True),  # read-only
        (False, tr.REG_CTRL, 0, None, True),  # write-only
        (True, tr.REG_CTRL, 0, None, False),
        (False, tr.REG_TAP_VECTORS, 0, regs[tr.REG_TAP_VECTORS], False),
        (True, tr.REG_CTRL, 1, None, False),  # the clear: every tap counter 0
        (False, tr.REG_TAP_ROWS, 0, 0, False),
        (False, tr.SYS_BASE + sy.REG_NUM_DESC, 0, None, False),
        (False, tr.REG_TAP_MAXFILL, 0, 0, False)]
    await raw.start(junk)
    for i, (write, addr, wdata, want, want_err) in enumerate(ops):
        data, err = await raw.transfer(write, addr, wdata)
        if err != want_err or (want is not None and data != want):
            raise MismatchError(f"top: {case}: transfer {i} ({'write' if write else 'read'} {addr:#x}) answered "
                                f"{data:#x} PSLVERR {err}, expected {'-' if want is None else hex(want)} "
                                f"PSLVERR {want_err}")
    await raw.idle(2)
    await raw.stop()
    regs.update(dict.fromkeys(tr.TAP_REGS.values(), 0))
    await compare(case)

    case = "writes to read-only registers"
    await raw.start(junk)
    for ro in TOP_RO:
        _, err = await raw.transfer(True, ro, rng.getrandbits(32) | 1)
        if not err:
            raise MismatchError(f"top: {case}: write to {ro:#x} without PSLVERR")
        await raw.idle(1)
    await raw.stop()
    await compare(case)


# --------------------------------------------------------------------------
# cocotb tests (names do not start with test_: pytest collects only the runner)
# --------------------------------------------------------------------------
@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def reset_mid_prog_replay(dut: Any) -> None:
    """After a replay (tap counters, LeBug trace, systolic done and counters all set), reset while
    the next replay's PROG records are being written: every register of the chip reads its
    reset value, and the whole replay then matches the model bit for bit."""
    tb, bundle, prng, watch = await _start(dut, 1)
    await replay_and_check(tb, bundle, "the replay before")
    n_writes = len(bundle.records())
    at = prng.randrange(n_writes // 4, 3 * n_writes // 4)
    job = dut.u_job
    n = await reset_during(tb, bundle_job(bundle, "apb"),
                           lambda: int(job.state.value) == S_WRITE and int(job.issued.value) >= at)
    tb.log.info("reset after %d cycles, at PROG record %d of %d", n, at, n_writes)
    outs = {name: int(getattr(dut, name).value) for name in ("busy", "done")}
    if any(outs.values()):
        raise MismatchError(f"outputs right after reset {outs}; documented: 0")
    want = reset_values(CFG)
    assert_regs("accel_top after reset", list(want), list(want.values()), await read_regs(tb, list(want)))
    await replay_and_check(tb, bundle, "the replay after the reset")
    watch.stop("reset mid-PROG-replay")

@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def x_on_idle_inputs(dut: Any) -> None:
    """X (Icarus) or garbage (Verilator) on paddr/pwdata/pwrite while PSEL is low, with the chip
    idle and through the RUN phase of a replay: no output goes X (PRDATA: in read access
    phases) and the replay matches the model."""
    tb, bundle, prng, watch = await _start(dut, 2)
    junk = Junk(prng)
    await tb.raw.start(junk)
    await tb.raw.idle(50)
    await tb.raw.stop()
    held = cocotb.start_soon(junk_during_run(tb, junk))
    await replay_and_check(tb, bundle, "the replay")
    cycles = await held
    tb.log.info("%s on the idle APB for %d RUN cycles", "X" if junk.use_x else "garbage", cycles)
    if cycles < 10:
        raise AssertionError(f"the bus carried junk for only {cycles} RUN cycles")
    watch.stop("X on idle inputs")

@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def apb_protocol_errors(dut: Any) -> None:
    """The protocol errors through the systolic and LeBug windows and on the top registers, after
    a replay: only the documented effects (docs/top.md), then the replay matches again."""
    tb, bundle, prng, watch = await _start(dut, 3)
    await replay_and_check(tb, bundle, "the replay before")
    junk = Junk(prng)
    await protocol_faults(tb, systolic_map(CFG.sys, tr.SYS_BASE), prng, junk)
    await protocol_faults(tb, lebug_map(CFG.lebug, tr.LEBUG_BASE), prng, junk)
    await top_register_faults(tb, prng, junk)  # ends with the tap cleared
    await replay_and_check(tb, bundle, "the replay after")
    watch.stop("APB protocol errors")


@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def register_bit_bash(dut: Any) -> None:
    """The blocks' bit bashes through the SYS and LEBUG windows (every PWDATA and PRDATA bit
    through the top's routing, tb.common.faults.bit_bash), then a replay matches."""
    tb, bundle, _, watch = await _start(dut, 5)
    await bit_bash(tb, "top", systolic_bash(CFG.sys, tr.SYS_BASE) + lebug_bash(CFG.lebug, tr.LEBUG_BASE))
    await replay_and_check(tb, bundle, "the replay after")
    watch.stop("register bit bash")

@cocotb.test(timeout_time=TEST_TIMEOUT_MS, timeout_unit="ms")
async def counter_preload(dut: Any) -> None:
    """The counters' upper bits: once the first stream row reached the tap, PRELOAD is added to every
    counter of the chip by backdoor (tap, systolic, LeBug); the read-back minus PRELOAD is the
    model's, and the whole replay matches. Then each counter set to all ones, all zeros and a random
    word reads back through the top's windows as set."""
    tb, bundle, prng, watch = await _start(dut, 6)
    exp = expected(bundle)
    top = dut.dut
    sets = counter_sets()
    pre = [cocotb.start_soon(preload_when(dut.clk, top, c, s, lambda: int(top.tap_rows.value) > 0))
           for _, c, s in sets]
    hw = await tb.run(bundle_job(bundle, "apb"), exp)
    if not all(p.done() for p in pre):
        for p in pre:
            p.cancel()
        raise AssertionError("the replay ended before the preload point (TAP_ROWS > 0)")
    off = {field: unpreload(getattr(hw, field), p.result()) for (field, _, _), p in zip(sets, pre)}
    hw = replace(hw, tap=off["tap"], counters=off["counters"], lebug_status=off["lebug_status"])
    check(exp, hw, "preloaded replay")
    tb.log.info("preloaded replay: tap %s, systolic %s, LeBug %s after taking PRELOAD off: match", hw.tap,
                hw.counters, hw.lebug_status)
    for _, c, s in sets:
        await counter_read_paths(tb, top, c, s, prng)
    watch.stop("counter preload")

# --------------------------------------------------------------------------
# pytest runner: the regression's k8_n8 build, its own work directory
# --------------------------------------------------------------------------


@pytest.mark.parametrize("sim", sims_under_test())
def test_top_faults(sim: str) -> None:
    cfg = CONFIGS[FAULT_CONFIG]
    env = regression_env("TOP_HW", json.dumps(cfg.hardware()), "TOP_SEED", "XWATCH_PRDATA")
    run_regression(BLOCK, cfg.params(), cfg.tag(), sim, env, min_tests=5, test_module="tb.top.test_top_faults",
                   work_name="faults")
