"""cocotb tests for accel_top: bundles replayed over APB (PROG records) or loaded by backdoor,
compared with pymodel.top.model.expected; plus the pytest runner.

Random bundles log their seed; rerun with TOP_SEED=<seed>.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pymodel.bundle import Bundle, load_bundle, read_prog
from pymodel.compare import MismatchError, assert_equal, assert_same_counters
from pymodel.errors import AccelscopeError
from pymodel.lebug import regmap as lb
from pymodel.systolic import regmap as sy
from pymodel.systolic.layout import mem_from_hex
from pymodel.systolic.rtl import stream_from_text
from pymodel.top import regmap as tr
from pymodel.top.config import TopConfig
from pymodel.top.model import TopExpected, expected
from pymodel.top.rtl import HwResult, run_top_tb
from tb.common.harness import HarnessTB

SEL = {"cmd": 0, "act": 1, "wgt": 2, "bias": 3, "quant": 4, "out": 5}
CFG = TopConfig.from_hardware(json.loads(os.environ["TOP_HW"])) if "TOP_HW" in os.environ else TopConfig()


class TB(HarnessTB):
    """Clock, APB master, backdoor load/dump and stream capture for top_harness."""

    def __init__(self, dut: Any, cfg: TopConfig) -> None:
        super().__init__(dut, ("ld_go", "ld_sel", "ld_count", "dump_go", "dump_sel", "dump_count", "cap_open",
                               "cap_close"))
        self.cfg = cfg
        self.dir = Path(os.environ.get("TOP_DIR", "."))

    async def reset(self, settle: int = 0) -> None:
        await super().reset(settle or self.cfg.lebug.CACHE_DEPTH + 4)  # LeBug's clear after reset

    async def replay(self, records: list[tuple[int, int]]) -> None:
        """Every PROG record as one APB write, in order."""
        for addr, data in records:
            await self.apb.write(addr, data)

    async def backdoor(self, bundle: Bundle) -> None:
        """$readmemh every scratchpad image; LeBug's register files and all registers over APB."""
        assert bundle.path is not None
        apb_records = []
        for m in bundle.memories:
            mem = tr.SYS_MEMS.get(m.name)
            if mem is None:
                apb_records += [r for r in bundle_records(bundle, m.name)]
                continue
            shutil.copyfile(bundle.path / m.file, self.dir / f"{mem}.hex")
            self.dut.ld_sel.value = SEL[mem]
            self.dut.ld_count.value = m.depth
            await self.pulse("ld_go")
        await self.replay(apb_records + [(r.addr, r.value) for r in bundle.registers])

    async def dump(self, mem: str, count: int) -> np.ndarray:
        self.dut.dump_sel.value = SEL[mem]
        self.dut.dump_count.value = count
        await self.pulse("dump_go")
        f = self.dir / f"dump_{mem}.hex"
        return mem_from_hex(mem, f.read_text(), self.cfg.sys.K, str(f))

    async def run(self) -> tuple[np.ndarray, np.ndarray]:
        """Start the accelerator, capture its rows, wait for done and for LeBug to drain."""
        from cocotb.triggers import RisingEdge

        await self.pulse("cap_open")
        await self.apb.write(tr.SYS_BASE + sy.REG_CTRL, sy.CTRL_START)
        await self.tick()
        if not int(self.dut.done.value):
            await RisingEdge(self.dut.done)
        await self.tick(2)
        while not int(self.dut.idle.value):
            await RisingEdge(self.dut.idle)
        await self.tick(2)
        await self.pulse("cap_close")
        return stream_from_text((self.dir / "stream.txt").read_text(), self.cfg.sys.K)

    async def read_back(self, exp: TopExpected, stream: np.ndarray, eof: np.ndarray) -> HwResult:
        written = exp.written()
        mems = {}
        for mem, addrs in written.items():
            if addrs.size:
                mems[mem] = (await self.dump(mem, int(addrs.max()) + 1))[addrs]
        counters = {k: await self.apb.read(tr.SYS_BASE + a) for k, a in sy.COUNTER_REGS.items()}
        tap = {k: await self.apb.read(a) for k, a in tr.TAP_REGS.items() if k != "maxfill"}
        maxfill = await self.apb.read(tr.REG_TAP_MAXFILL)
        lcfg = self.cfg.lebug
        st = await self.apb.read(tr.LEBUG_BASE + lb.REG_STATUS)
        lstatus = {"rows": await self.apb.read(tr.LEBUG_BASE + lb.REG_ROWS),
                   "drops": await self.apb.read(tr.LEBUG_BASE + lb.REG_DROPS),
                   "cycles": await self.apb.read(tr.LEBUG_BASE + lb.REG_CYCLES),
                   "vectors": await self.apb.read(tr.LEBUG_BASE + lb.REG_VECTORS),
                   "wrap": int(bool(st & lb.STATUS_WRAP)), "pack_fill": (st >> 8) & 0xFF}
        trace = np.zeros((lcfg.TB_DEPTH, lcfg.N), dtype=np.int64)
        for r in range(lcfg.TB_DEPTH):
            for lane in range(lcfg.N):
                w = await self.apb.read(lb.trace_addr(lcfg, r, lane, tr.LEBUG_BASE))
                trace[r, lane] = w - (1 << 32) if w & (1 << 31) else w
        return HwResult(mems, stream, eof, counters, tap, maxfill, lstatus, trace)


def bundle_records(bundle: Bundle, memory: str) -> list[tuple[int, int]]:
    m = next(x for x in bundle.memories if x.name == memory)
    img = bundle.images[memory]
    return [(m.base + i * m.stride + 4 * c, int(img[i, c])) for i in range(m.depth) for c in range(m.chunks)]


def check(exp: TopExpected, hw: HwResult, name: str) -> None:
    """Every output word, stream row, counter and trace-buffer row against the model."""
    for mem, addrs in exp.written().items():
        if addrs.size:
            assert_equal(f"{name}: {mem} outputs", exp.systolic.mems[mem][addrs], hw.mems[mem])
    assert_equal(f"{name}: stream rows", exp.systolic.stream, hw.stream)
    assert_equal(f"{name}: stream eof", exp.systolic.eof, hw.eof)
    assert_same_counters(f"{name}: systolic counters", exp.systolic.counters.as_dict(), hw.counters)
    assert_same_counters(f"{name}: tap", exp.tap, hw.tap)
    assert_same_counters(f"{name}: LeBug status", exp.lebug.status.as_dict(), hw.lebug_status)
    assert_equal(f"{name}: LeBug trace buffer", exp.lebug.tb_mem, hw.trace)


async def run_bundle(tb: TB, bundle: Bundle, mode: str) -> tuple[TopExpected, HwResult]:
    exp = expected(bundle)
    await tb.reset()
    if mode == "apb":
        assert bundle.path is not None
        await tb.replay(read_prog(bundle.path))
    else:
        await tb.backdoor(bundle)
    stream, eof = await tb.run()
    hw = await tb.read_back(exp, stream, eof)
    check(exp, hw, f"{mode} load")
    tb.log.info("%s load: %d stream rows, counters %s, tap %s, LeBug %s: match", mode, len(stream), hw.counters,
                hw.tap, hw.lebug_status)
    return exp, hw


# --------------------------------------------------------------------------
# cocotb tests (names do not start with test_)
# --------------------------------------------------------------------------
try:
    import cocotb

    @cocotb.test()
    async def two_layer_both_loads(dut: Any) -> None:
        """A two-layer network from random weights, distribution on the tap: APB replay and backdoor
        load each equal the model, and each other."""
        from pymodel.top.randbundle import random_two_layer

        seed = int(os.environ.get("TOP_SEED", cocotb.RANDOM_SEED % (1 << 32)))
        dut._log.info("seed %d (rerun with TOP_SEED=%d)", seed, seed)
        bundle = random_two_layer(CFG, seed, Path(os.environ["TOP_DIR"]) / "bundle")
        tb = TB(dut, CFG)
        _, apb = await run_bundle(tb, bundle, "apb")
        _, bd = await run_bundle(tb, bundle, "backdoor")
        for field in ("stream", "eof", "trace"):
            assert_equal(f"APB vs backdoor: {field}", getattr(apb, field), getattr(bd, field))
        assert apb.counters == bd.counters and apb.lebug_status == bd.lebug_status and apb.tap == bd.tap
        assert apb.lebug_status["rows"] > 0, "the tap firmware should have written trace rows"

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
        for addr in (0xA00000, 0xF00000, 0x900100, tr.LEBUG_BASE + 0x3000, 0x8F0000, tr.REG_ID + 2):
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
        from pymodel.top.randbundle import random_two_layer

        bundle = random_two_layer(CFG, 5, Path(os.environ["TOP_DIR"]) / "bad_bundle")
        assert bundle.path is not None
        prog_d = bundle.path / "prog" / "0PROG_D"
        lines = prog_d.read_text().splitlines()
        lines[len(lines) // 2] = "xyz"
        prog_d.write_text("\n".join(lines) + "\n")
        tb = TB(dut, CFG)
        await tb.reset()
        state_regs = (tr.LEBUG_BASE + lb.REG_NUM_CHAINS, tr.SYS_BASE + sy.REG_NUM_DESC,
                      tr.LEBUG_BASE + lb.CHAIN_BASE, tr.SYS_BASE + sy.BASE["cmd"])
        before = [await tb.apb.read(a) for a in state_regs]
        transfers = tb.apb.transfers
        try:
            records = read_prog(bundle.path)  # what a replay does first: parse and validate everything
            load_bundle(bundle.path)
        except AccelscopeError as e:
            assert f"0PROG_D:{len(lines) // 2 + 1}: bad record 'xyz'" in str(e), str(e)
        else:
            raise MismatchError(f"corrupted bundle was accepted ({len(records)} records)")
        assert tb.apb.transfers == transfers, "an APB transfer happened before validation finished"
        after = [await tb.apb.read(a) for a in state_regs]
        assert before == after, f"state changed: {before} -> {after}"

    @cocotb.test()
    async def run_job(dut: Any) -> None:
        """File-driven: replay $TOP_BUNDLE ($TOP_MODE apb|backdoor), save results to $TOP_OUT."""
        bundle = load_bundle(Path(os.environ["TOP_BUNDLE"]))
        tb = TB(dut, CFG)
        _, hw = await run_bundle(tb, bundle, os.environ.get("TOP_MODE", "apb"))
        hw.save(Path(os.environ["TOP_OUT"]))

except ImportError:  # pragma: no cover
    pass


# --------------------------------------------------------------------------
# pytest runner: one build per configuration
# --------------------------------------------------------------------------

CONFIGS = {
    "k8_n8": TopConfig.for_array(8),
    "k8_n4": TopConfig.for_array(8, N=4, M=2),
    "k4_n8": TopConfig.for_array(4, N=8),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_top(name: str) -> None:
    env = {"TOP_SEED": os.environ["TOP_SEED"]} if "TOP_SEED" in os.environ else {}
    run_top_tb(CONFIGS[name], extra_env=env)
