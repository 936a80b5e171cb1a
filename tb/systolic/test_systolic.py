"""cocotb regressions for rtl/systolic against pymodel.systolic.model, plus the pytest runner.

Every test runs harness jobs (tb/systolic/jobs.py: backdoor scratchpad loads, descriptor
records over APB, start, read-back, dumps) and compares every scratchpad word the run
may touch, every output stream row (data and eof), every counter and STATUS with the
model, bit for bit; apb_data_path moves all data over APB and drives single transfers
through the host port. Random tests log their seed; rerun one with
SYSTOLIC_SEED=<seed> make test (or pytest -k ...).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import cocotb
import numpy as np
import pytest

from pymodel.compare import MismatchError, assert_equal
from pymodel.systolic import regmap as R
from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import ERR_A_RANGE, ERR_FLAGS, ERR_SHAPE, Descriptor
from pymodel.systolic.job import HardwareResult, mismatches
from pymodel.systolic.model import RunResult, run, unpack_out8
from pymodel.systolic.randjob import chained_layers, extreme_layers, rand_int8, rand_quant, random_layers
from tb.common.harness import HarnessTB
from tb.job import Job, JobResult
from tb.runner import config_sims, param_text, regression_env, run_regression
from tb.systolic.jobs import BLOCK, decode, systolic_job

CFG = SystolicConfig.parse(os.environ.get("SYSTOLIC_CFG", ""))

# --------------------------------------------------------------------------
# testbench class
# --------------------------------------------------------------------------


class TB(HarnessTB):
    """Clock, host port and harness jobs for systolic_harness, and the model."""

    def __init__(self, dut: Any, cfg: SystolicConfig) -> None:
        super().__init__(dut)
        self.cfg = cfg

    async def run_raw(self, job: Job) -> JobResult:
        return await self.run_job(job)

    async def run(self, job: Job) -> HardwareResult:
        """One harness job (load, program, start, run, read back, dump), exactly as every other path runs it."""
        return decode(self.cfg, job, await self.run_raw(job))

    async def run_and_check(self, name: str, descs: Sequence[Descriptor],
                            images: dict[str, np.ndarray]) -> tuple[RunResult, HardwareResult]:
        exp = run(self.cfg, descs, images)
        hw = await self.run(systolic_job(self.cfg, descs, images))
        problems = mismatches(exp, hw)
        if problems:
            raise MismatchError(f"{name}: " + "; ".join(problems))
        shapes = ", ".join(f"{d.m}x{d.kd}x{d.n}" for d in descs)
        self.log.info("%s: %d descriptors (%s), %d stream rows, counters %s, cycles %s: match", name, len(descs),
                      shapes, len(hw.stream), hw.counters, hw.job.cycles())
        return exp, hw

    async def write_records(self, records: Sequence[tuple[int, int]]) -> None:
        """APB writes as one job (no start, no run): the engine's record replay."""
        await self.run_raw(Job(writes=records, run=False))

    async def start_and_wait(self) -> HardwareResult:
        """CTRL.start as a job's START write; RUN until done; counters and STATUS read back."""
        return await self.run(Job(start=(R.REG_CTRL, R.CTRL_START), reads=R.readback_addrs(self.cfg),
                                  timeout=10_000_000))

    async def read_counters(self) -> dict[str, int]:
        """Counters and STATUS through the host port (the one read-back decoder)."""
        counters, _ = R.decode_readback([await self.apb.read(a) for a in R.readback_addrs(self.cfg)])
        return counters

    async def read_status(self) -> dict[str, int]:
        return R.decode_status(await self.apb.read(R.REG_STATUS))


def _seed() -> int:
    env = os.environ.get("SYSTOLIC_SEED")
    return int(env) if env else int(cocotb.RANDOM_SEED) % (1 << 32)


async def _start(dut: Any, salt: int) -> tuple[TB, np.random.Generator]:
    """Log the seed, reset, and return the TB and this test's random generator."""
    seed = _seed()
    dut._log.info("seed %d (rerun with SYSTOLIC_SEED=%d)", seed, seed)
    tb = TB(dut, CFG)
    await tb.reset()
    return tb, np.random.default_rng([seed, salt, CFG.K])


# --------------------------------------------------------------------------
# cocotb tests (names do not start with test_: pytest collects only the runner)
# --------------------------------------------------------------------------
@cocotb.test()
async def random_shapes(dut: Any) -> None:
    """Random shapes (1x1x1, non-multiples of K, several K-tiles), flags, strides; no reset between runs."""
    tb, rng = await _start(dut, 1)
    K = CFG.K
    fixed = [(1, 1, 1), (K, K, K), (K + 1, 3 * K + 1, K - 1), (2, 4 * K, 2 * K + 3)]
    descs, images = random_layers(CFG, rng, len(fixed), 3 * K + 3, shapes=fixed)
    await tb.run_and_check("directed shapes", descs, images)
    for i in range(8):
        descs, images = random_layers(CFG, rng, int(rng.integers(1, 4)), 3 * K + 3)
        await tb.run_and_check(f"random {i}", descs, images)
    descs, images = random_layers(CFG, rng, 2, 6 * K + 5)
    await tb.run_and_check("random large", descs, images)

@cocotb.test()
async def chained(dut: Any) -> None:
    """Three layers: int8 outputs written to ACT feed the next layer without the host."""
    tb, rng = await _start(dut, 2)
    K = CFG.K
    for layers in (4, 6):
        dims = [int(v) for v in rng.integers(1, 3 * K + 2, size=layers)]
        descs, images = chained_layers(CFG, rng, int(rng.integers(1, 2 * K + 3)), dims)
        _exp, hw = await tb.run_and_check(f"chain {dims}", descs, images)
        assert hw.eof[:, 0].sum() == len(descs) and hw.eof[-1, 1] == 1 and hw.eof[:, 1].sum() == 1

@cocotb.test()
async def extremes(dut: Any) -> None:
    """-128/127 operands, int32 wrap-around through bias and ACC, saturating requantization."""
    tb, rng = await _start(dut, 3)
    descs, images = extreme_layers(CFG, rng)
    await tb.run_and_check("extremes", descs, images)

@cocotb.test()
async def out8(dut: Any) -> None:
    """OUT8: INT8 GEMMs whose int8 rows go to OUT at c ({zeros, int8 row}) with ACT untouched (their
    d fields point at junk ACT words, which must stay), with and without ACC, partial n-tiles, next
    to int32 and INT8 layers; an int8 layer feeding an OUT8 logits layer through ACT; the OUT8 words
    read over APB are the int8 rows' bytes, low chunk first, the chunks above them 0."""
    tb, rng = await _start(dut, 6)
    K = CFG.K
    jb = JobBuilder(CFG)
    junk = jb.put("act", rand_int8(rng, (4 * K, K)))  # OUT8 descriptors' d: must not be written
    shapes = [(1, 1, 1, False), (K + 3, 2 * K + 1, 2 * K + 3, False), (2 * K, K, K, True),
              (max(1, K - 1), 3 * K, K + 1, True)]
    for i, (m, kd, n, acc) in enumerate(shapes):
        base, stride = jb.put_matrix(rand_int8(rng, (m, kd)))
        jb.layer(base, stride, m, rand_int8(rng, (kd, n)), bias=rng.integers(-5000, 5000, size=n),
                 relu=bool(i % 2), quant=rand_quant(rng, n, edges=True),
                 acc_init=rng.integers(-(1 << 24), 1 << 24, size=(m, n)) if acc else None,
                 out_pad=i % 2, out8=True)
        if i == 1:  # an int32 and an INT8 (ACT) layer between the OUT8 ones
            jb.layer(base, stride, m, rand_int8(rng, (kd, n)), relu=True)
            jb.layer(base, stride, m, rand_int8(rng, (kd, n)), quant=rand_quant(rng, n))
    descs = [replace(d, d_base=junk + i % K, d_stride=1) if d.out8 else d for i, d in enumerate(jb.descriptors)]
    assert sum(d.out8 for d in descs) == len(shapes)
    exp, hw = await tb.run_and_check("OUT8 GEMMs", descs, jb.images())
    # the last OUT8 descriptor's words over APB: the int8 stream rows' bytes, higher chunks 0
    d = descs[-1]
    nt = d.nt(K)
    rows = exp.stream[-d.m * nt:]  # n-tile major, row minor
    for r in range(min(d.m, 3)):
        for t in range(nt):
            w = d.c_base + r * d.c_stride + t
            data = [await tb.apb.read(R.word_addr(CFG, "out", w, c)) for c in range(R.chunks(CFG, "out"))]
            want = [sum((int(v) & 0xFF) << 8 * j for j, v in enumerate(rows[t * d.m + r]))]
            want = [(want[0] >> 32 * c) & 0xFFFFFFFF for c in range(R.chunks(CFG, "out"))]
            assert data == want, f"APB read of OUT8 word {w} (row {r}, n-tile {t}): {data}, expected {want}"
            got = unpack_out8(R.chunks_to_words(CFG, "out", np.array([data])), K)[0]
            assert np.array_equal(got, rows[t * d.m + r]), (got, rows[t * d.m + r])

    # an int8 hidden layer (ACT) feeding an OUT8 logits layer: the network's last layer
    jb = JobBuilder(CFG)
    m, dims = int(rng.integers(1, 2 * K + 3)), [int(v) for v in rng.integers(1, 3 * K + 2, size=3)]
    base, stride = jb.put_matrix(rand_int8(rng, (m, dims[0])))
    base, stride = jb.layer(base, stride, m, rand_int8(rng, (dims[0], dims[1])), relu=True,
                            bias=rng.integers(-999, 999, size=dims[1]), quant=rand_quant(rng, dims[1]))
    jb.layer(base, stride, m, rand_int8(rng, (dims[1], dims[2])), bias=rng.integers(-999, 999, size=dims[2]),
             quant=rand_quant(rng, dims[2]), out8=True)
    exp, hw = await tb.run_and_check(f"int8 hidden layer -> OUT8 logits {dims}", jb.descriptors, jb.images())
    assert hw.eof[-1, 1] == 1 and exp.error == 0

@cocotb.test()
async def descriptor_errors(dut: Any) -> None:
    """A malformed descriptor stops the run with the predicted code; earlier ones complete."""
    tb, rng = await _start(dut, 4)
    ok, images = random_layers(CFG, rng, 1, 2 * CFG.K)
    for bad, code in ((Descriptor(m=0, kd=1, n=1), ERR_SHAPE),
                      (Descriptor(m=1, kd=1, n=1, reserved_flags=0x400), ERR_FLAGS),
                      (Descriptor(m=2, kd=1, n=1, a_base=CFG.ACT_DEPTH - 1, a_stride=1), ERR_A_RANGE)):
        _exp, hw = await tb.run_and_check(f"error {code}", ok + [bad], images)
        assert hw.status["error"] == 1 and hw.status["err_code"] == code and hw.status["cur_desc"] == 1

@cocotb.test()
async def apb_data_path(dut: Any) -> None:
    """Scratchpads written over APB (low chunk first), results read back over APB; PSLVERR cases."""
    tb, rng = await _start(dut, 5)
    K = CFG.K
    assert await tb.apb.read(R.REG_ID) == R.ID_VALUE
    assert await tb.apb.read(R.REG_PARAMS0) == R.params0(CFG)
    assert await tb.apb.read(R.REG_PARAMS1) == R.params1(CFG)
    assert await tb.apb.read(R.REG_PARAMS2) == R.params2(CFG)
    for quant in (False, True):
        jb = JobBuilder(CFG)
        m, kd, n = int(rng.integers(1, K + 3)), int(rng.integers(1, 2 * K + 2)), int(rng.integers(1, K + 3))
        base, stride = jb.put_matrix(rand_int8(rng, (m, kd)))
        dst, dstride = jb.layer(base, stride, m, rand_int8(rng, (kd, n)), bias=rng.integers(-999, 999, size=n),
                                relu=True, quant=rand_quant(rng, n) if quant else None)
        descs, images = jb.descriptors, jb.images()
        exp = run(CFG, descs, images)
        await tb.write_records(R.program_records(CFG, descs, images, start=False))
        # read back one word of every loaded scratchpad
        for name, img in images.items():
            if len(img):
                w = len(img) - 1
                data = [await tb.apb.read(R.word_addr(CFG, name, w, c)) for c in range(R.chunks(CFG, name))]
                got = R.chunks_to_words(CFG, name, np.array([data]))[0]
                want = R.chunks_to_words(CFG, name, R.words_to_chunks(CFG, name, img[w:w + 1]))[0]
                assert np.array_equal(got, want), f"{name}[{w}] read back {got}, wrote {want}"
        cmd = [await tb.apb.read(R.word_addr(CFG, "cmd", 0, i)) for i in range(8)]
        assert cmd == descs[0].encode(), f"CMD[0] read back {cmd}"
        started = await tb.start_and_wait()
        assert_equal("stream rows", exp.stream, started.stream)
        assert_equal("stream eof", exp.eof, started.eof)
        name = "act" if quant else "out"
        nt = descs[0].nt(K)
        words = []
        for r in range(m):
            for t in range(nt):
                w = dst + r * dstride + t
                words.append([await tb.apb.read(R.word_addr(CFG, name, w, c)) for c in range(R.chunks(CFG, name))])
        got = R.chunks_to_words(CFG, name, np.array(words))
        idx = dst + np.arange(m)[:, None] * dstride + np.arange(nt)[None, :]
        assert_equal(f"APB read of {name}", exp.mems[name][idx.ravel()], got)
        want_counters = np.array(list(exp.counters.as_dict().values()))
        assert_equal("counters (job read-back)", want_counters, np.array(list(started.counters.values())))
        assert_equal("counters (host port)", want_counters, np.array(list((await tb.read_counters()).values())))
        assert started.status == exp.status, f"status {started.status}, expected {exp.status}"
    # error responses: unmapped, misaligned, read-only, bad NUM_DESC, scratchpad beyond depth
    for addr in (R.REGS_END, R.REG_ID + 2, R.BASE["act"] + 4 * R.chunks(CFG, "act") * CFG.ACT_DEPTH,
                 sum(R.regs.MEMS["OUT"][:2]),
                 R.BASE["cmd"] + 32 * CFG.CMD_DEPTH):
        assert await tb.apb.write(addr, 0, check=False), f"write {addr:#x}: no PSLVERR"
    for addr in (R.REG_ID, R.REG_PARAMS2, R.REG_STATUS, R.REG_CYCLES):
        assert await tb.apb.write(addr, 0, check=False), f"write to RO {addr:#x}: no PSLVERR"
    # NUM_DESC: COUNT >= 1 and FIRST + COUNT <= CMD_DEPTH, else PSLVERR and no change
    D = CFG.CMD_DEPTH
    legal = R.num_desc_value(D - 3, 3, CFG)
    await tb.apb.write(R.REG_NUM_DESC, legal)
    assert await tb.apb.read(R.REG_NUM_DESC) == legal, "NUM_DESC FIRST/COUNT read back"
    for v in (0, D + 1, R.num_desc_value(D - 1, 2), R.num_desc_value(3, 0), R.num_desc_value(D, 1),
              R.num_desc_value(0xFFFF, 2)):
        assert await tb.apb.write(R.REG_NUM_DESC, v, check=False), f"NUM_DESC={v:#x} accepted"
        assert await tb.apb.read(R.REG_NUM_DESC) == legal, f"NUM_DESC={v:#x} changed the register"
    # while busy: ACT and OUT answer (with wait states, test_systolic_stream.py), the other
    # memories, NUM_DESC and start are refused, registers still answer
    big = Descriptor(m=64 * K, kd=4 * K, n=K, a_stride=4)  # 256*K RUN cycles: outlasts the checks
    free = {"act": CFG.ACT_DEPTH - 1, "out": CFG.OUT_DEPTH - 1}  # words the run does not touch
    before = {name: [int(rng.integers(0, 1 << 32)) for _ in range(R.chunks(CFG, name))] for name in free}
    for name, w in free.items():
        for c, v in enumerate(before[name]):
            await tb.apb.write(R.word_addr(CFG, name, w, c), v)
    for rec_addr, rec_data in R.descriptor_records(CFG, [big]):
        await tb.apb.write(rec_addr, rec_data)
    await tb.apb.write(R.REG_CTRL, R.CTRL_START)
    assert (await tb.read_status())["busy"] == 1
    got = [await tb.apb.read(R.word_addr(CFG, "out", free["out"], c)) for c in range(R.chunks(CFG, "out"))]
    assert got == before["out"], f"OUT read while busy {got}, expected {before['out']}"
    act_new = [int(rng.integers(0, 1 << 32)) for _ in range(R.chunks(CFG, "act"))]
    for c, v in enumerate(act_new):
        assert not await tb.apb.write(R.word_addr(CFG, "act", free["act"], c), v, check=False), \
            "ACT write while busy: PSLVERR"
    for name in ("cmd", "wgt", "bias", "quant"):
        assert await tb.apb.write(R.word_addr(CFG, name, 0, 0), 0, check=False), f"{name} write while busy: no PSLVERR"
        _, err = await tb.apb.read_err(R.word_addr(CFG, name, 0, 0))
        assert err, f"{name} read while busy: no PSLVERR"
    assert await tb.apb.write(R.REG_NUM_DESC, 1, check=False), "NUM_DESC while busy: no PSLVERR"
    assert await tb.apb.write(R.REG_CTRL, R.CTRL_START, check=False), "start while busy: no PSLVERR"
    assert (await tb.read_status())["busy"] == 1, "the run ended before the busy checks did"
    for _ in range(100_000):
        st = await tb.read_status()
        if st["done"]:
            break
    else:
        raise AssertionError(f"no done after the busy checks (status {st})")
    assert st["error"] == 0 and st["busy"] == 0, f"status {st}"
    mask = (1 << (8 * K)) - 1 if K < 4 else 0xFFFFFFFF  # K=2: 16-bit ACT words in one chunk
    got = [await tb.apb.read(R.word_addr(CFG, "act", free["act"], c)) for c in range(R.chunks(CFG, "act"))]
    assert got == [v & mask for v in act_new], f"ACT written while busy reads {got}, wrote {act_new}"


# --------------------------------------------------------------------------
# pytest runner: one build per K (scratchpads sized for the CLI's 300^3 GEMMs)
# --------------------------------------------------------------------------


# Icarus runs K=16's jobs many times slower than Verilator: make test runs K=16 on Verilator only
# (ACCELSCOPE_FULL_MATRIX=1: both)
@pytest.mark.parametrize("k,sim", config_sims([2, 4, 8, 16], icarus={2, 4, 8}))
def test_systolic(k: int, sim: str) -> None:
    cfg = SystolicConfig.for_array(k)
    env = regression_env("SYSTOLIC_CFG", param_text(cfg.params()), "SYSTOLIC_SEED")
    run_regression(BLOCK, cfg.params(), cfg.tag(), sim, env, min_tests=6)
