"""cocotb regressions for rtl/systolic against pymodel.systolic.model, plus the pytest runner.

Every test compares every scratchpad word the run may touch, every output
stream row (data and eof) and every counter with the model, bit for bit.
Bulk data goes in and out by backdoor $readmemh/$writememh in the harness;
descriptors, control and status go over APB (and one test moves all data over
APB). Random tests log their seed; rerun one with SYSTOLIC_SEED=<seed>.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pytest

from pymodel.compare import MismatchError
from pymodel.systolic import regmap as R
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import ERR_A_RANGE, ERR_FLAGS, ERR_SHAPE, Descriptor
from pymodel.systolic.job import HardwareResult
from pymodel.systolic.layout import extents, mem_from_hex, mem_to_hex
from pymodel.systolic.model import MEMORIES, RunResult, run
from pymodel.systolic.randjob import chained_layers, extreme_layers, rand_int8, random_layers
from pymodel.systolic.rtl import mismatches, run_systolic_tb, stream_from_text
from tb.common.harness import HarnessTB

CFG = SystolicConfig.parse(os.environ.get("SYSTOLIC_CFG", ""))
SEL = {"cmd": 0, "act": 1, "wgt": 2, "bias": 3, "quant": 4, "out": 5}

# --------------------------------------------------------------------------
# testbench class
# --------------------------------------------------------------------------


class TB(HarnessTB):
    """Clock, APB master, backdoor load/dump and stream capture for systolic_harness."""

    def __init__(self, dut: Any, cfg: SystolicConfig) -> None:
        super().__init__(dut, ("ld_go", "ld_sel", "ld_count", "dump_go", "dump_sel", "dump_count", "cap_open",
                               "cap_close"))
        self.cfg = cfg
        self.dir = Path(os.environ.get("SYSTOLIC_DIR", "."))

    async def load(self, images: dict[str, np.ndarray], ext: dict[str, int]) -> None:
        """Backdoor: words 0..ext-1 of each scratchpad from its image (zero padded)."""
        for name in MEMORIES:
            n = ext.get(name, 0)
            if not n:
                continue
            words = np.zeros((n, self.cfg.K), dtype=np.int64)
            img = images.get(name, np.zeros((0, self.cfg.K)))
            words[: len(img)] = img
            (self.dir / f"{name}.hex").write_text(mem_to_hex(name, words))
            self.dut.ld_sel.value = SEL[name]
            self.dut.ld_count.value = n
            await self.pulse("ld_go")

    async def dump(self, ext: dict[str, int]) -> dict[str, np.ndarray]:
        out = {}
        for name in MEMORIES:
            n = ext.get(name, 0)
            if not n:
                continue
            self.dut.dump_sel.value = SEL[name]
            self.dut.dump_count.value = n
            await self.pulse("dump_go")
            f = self.dir / f"dump_{name}.hex"
            out[name] = mem_from_hex(name, f.read_text(), self.cfg.K, str(f))
        return out

    async def write_records(self, records: Sequence[tuple[int, int]]) -> None:
        for addr, data in records:
            await self.apb.write(addr, data)

    async def program(self, descs: Sequence[Descriptor]) -> None:
        await self.write_records(R.descriptor_records(self.cfg, descs))

    async def start_and_wait(self) -> None:
        from cocotb.triggers import RisingEdge

        await self.apb.write(R.REG_CTRL, R.CTRL_START)
        await self.tick()
        if not int(self.dut.done.value):
            await RisingEdge(self.dut.done)
        await self.tick()

    async def read_counters(self) -> dict[str, int]:
        return {k: await self.apb.read(a) for k, a in R.COUNTER_REGS.items()}

    async def read_status(self) -> dict[str, int]:
        return R.decode_status(await self.apb.read(R.REG_STATUS))

    async def execute(self, ext: dict[str, int]) -> HardwareResult:
        """Capture the stream, start, wait for done, dump scratchpads, read counters and status."""
        await self.pulse("cap_open")
        await self.start_and_wait()
        await self.pulse("cap_close")
        stream, eof = stream_from_text((self.dir / "stream.txt").read_text(), self.cfg.K)
        mems = await self.dump(ext)
        return HardwareResult(mems, stream, eof, await self.read_counters(), await self.read_status())

    async def run_and_check(self, name: str, descs: Sequence[Descriptor],
                            images: dict[str, np.ndarray]) -> tuple[RunResult, HardwareResult]:
        exp = run(self.cfg, descs, images)
        ext = extents(self.cfg, descs, images)
        await self.load(images, ext)
        await self.program(descs)
        hw = await self.execute(ext)
        problems = mismatches(exp, hw)
        if problems:
            raise MismatchError(f"{name}: " + "; ".join(problems))
        shapes = ", ".join(f"{d.m}x{d.kd}x{d.n}" for d in descs)
        self.log.info("%s: %d descriptors (%s), %d stream rows, counters %s: match", name, len(descs), shapes,
                      len(hw.stream), hw.counters)
        return exp, hw


def _seed() -> int:
    import cocotb

    env = os.environ.get("SYSTOLIC_SEED")
    return int(env) if env else int(cocotb.RANDOM_SEED) % (1 << 32)


def _rng(dut: Any, salt: int) -> np.random.Generator:
    seed = _seed()
    dut._log.info("seed %d (rerun with SYSTOLIC_SEED=%d)", seed, seed)
    return np.random.default_rng([seed, salt, CFG.K])


# --------------------------------------------------------------------------
# cocotb tests (names do not start with test_: pytest collects only the runner)
# --------------------------------------------------------------------------
try:
    import cocotb

    @cocotb.test()
    async def random_shapes(dut: Any) -> None:
        """Random shapes (1x1x1, non-multiples of K, several K-tiles), flags, strides; no reset between runs."""
        rng = _rng(dut, 1)
        tb = TB(dut, CFG)
        await tb.reset()
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
        rng = _rng(dut, 2)
        tb = TB(dut, CFG)
        await tb.reset()
        K = CFG.K
        for layers in (4, 6):
            dims = [int(v) for v in rng.integers(1, 3 * K + 2, size=layers)]
            descs, images = chained_layers(CFG, rng, int(rng.integers(1, 2 * K + 3)), dims)
            exp, hw = await tb.run_and_check(f"chain {dims}", descs, images)
            assert hw.eof[:, 0].sum() == len(descs) and hw.eof[-1, 1] == 1 and hw.eof[:, 1].sum() == 1

    @cocotb.test()
    async def extremes(dut: Any) -> None:
        """-128/127 operands, int32 wrap-around through bias and ACC, saturating requantization."""
        rng = _rng(dut, 3)
        tb = TB(dut, CFG)
        await tb.reset()
        descs, images = extreme_layers(CFG, rng)
        await tb.run_and_check("extremes", descs, images)

    @cocotb.test()
    async def descriptor_errors(dut: Any) -> None:
        """A malformed descriptor stops the run with the predicted code; earlier ones complete."""
        rng = _rng(dut, 4)
        tb = TB(dut, CFG)
        await tb.reset()
        ok, images = random_layers(CFG, rng, 1, 2 * CFG.K)
        for bad, code in ((Descriptor(m=0, kd=1, n=1), ERR_SHAPE),
                          (Descriptor(m=1, kd=1, n=1, reserved_flags=0x10), ERR_FLAGS),
                          (Descriptor(m=2, kd=1, n=1, a_base=CFG.ACT_DEPTH - 1, a_stride=1), ERR_A_RANGE)):
            exp, hw = await tb.run_and_check(f"error {code}", ok + [bad], images)
            assert hw.status["error"] == 1 and hw.status["err_code"] == code and hw.status["cur_desc"] == 1

    @cocotb.test()
    async def apb_data_path(dut: Any) -> None:
        """Scratchpads written over APB (low chunk first), results read back over APB; PSLVERR cases."""
        rng = _rng(dut, 5)
        tb = TB(dut, CFG)
        await tb.reset()
        K = CFG.K
        assert await tb.apb.read(R.REG_ID) == R.ID_VALUE
        assert await tb.apb.read(R.REG_PARAMS0) == R.params0(CFG)
        assert await tb.apb.read(R.REG_PARAMS1) == R.params1(CFG)
        for quant in (False, True):
            from pymodel.systolic.builder import JobBuilder
            from pymodel.systolic.randjob import rand_quant

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
            await tb.start_and_wait()
            name = "act" if quant else "out"
            nt = descs[0].nt(K)
            words = []
            for r in range(m):
                for t in range(nt):
                    w = dst + r * dstride + t
                    words.append([await tb.apb.read(R.word_addr(CFG, name, w, c)) for c in range(R.chunks(CFG, name))])
            got = R.chunks_to_words(CFG, name, np.array(words))
            idx = dst + np.arange(m)[:, None] * dstride + np.arange(nt)[None, :]
            from pymodel.compare import assert_equal

            assert_equal(f"APB read of {name}", exp.mems[name][idx.ravel()], got)
            assert_equal("counters", np.array(list(exp.counters.as_dict().values())),
                         np.array(list((await tb.read_counters()).values())))
        # error responses: unmapped, misaligned, read-only, bad NUM_DESC, scratchpad beyond depth
        for addr in (0x0FC, 0x2, R.BASE["act"] + 4 * R.chunks(CFG, "act") * CFG.ACT_DEPTH, 0x600000,
                     R.BASE["cmd"] + 32 * CFG.CMD_DEPTH):
            assert await tb.apb.write(addr, 0, check=False), f"write {addr:#x}: no PSLVERR"
        for addr in (R.REG_ID, R.REG_STATUS, R.REG_CYCLES):
            assert await tb.apb.write(addr, 0, check=False), f"write to RO {addr:#x}: no PSLVERR"
        for v in (0, CFG.CMD_DEPTH + 1):
            assert await tb.apb.write(R.REG_NUM_DESC, v, check=False), f"NUM_DESC={v} accepted"
        # while busy: scratchpad access and start are refused, registers still answer
        big = Descriptor(m=4 * K, kd=K, n=K, a_stride=1)
        await tb.write_records(R.descriptor_records(CFG, [big]))
        await tb.apb.write(R.REG_CTRL, R.CTRL_START)
        assert R.decode_status(await tb.apb.read(R.REG_STATUS))["busy"] == 1
        assert await tb.apb.write(R.BASE["act"], 0, check=False), "ACT write while busy: no PSLVERR"
        _, err = await tb.apb.read_err(R.BASE["out"])
        assert err, "OUT read while busy: no PSLVERR"
        assert await tb.apb.write(R.REG_CTRL, R.CTRL_START, check=False), "start while busy: no PSLVERR"
        from cocotb.triggers import RisingEdge

        if not int(dut.done.value):
            await RisingEdge(dut.done)
        assert (await tb.read_status())["error"] == 0

    @cocotb.test()
    async def run_job(dut: Any) -> None:
        """File-driven run for the CLI, `make sim` and bench: job.json + npy in $SYSTOLIC_JOB."""
        from pymodel.systolic.job import SystolicJob

        job = SystolicJob.load(Path(os.environ["SYSTOLIC_JOB"]))
        tb = TB(dut, job.cfg)
        tb.dir = job.path
        await tb.reset()
        ext = extents(job.cfg, job.descriptors, job.images)
        await tb.load(job.images, ext)
        await tb.program(job.descriptors)
        job.save_hardware(await tb.execute(ext))

except ImportError:  # pragma: no cover - cocotb is a hard dependency; keeps pydoc working
    pass

# --------------------------------------------------------------------------
# pytest runner: one build per K (scratchpads sized for the CLI's 300^3 GEMMs)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 4, 8, 16])
def test_systolic(k: int) -> None:
    env = {"SYSTOLIC_SEED": os.environ["SYSTOLIC_SEED"]} if "SYSTOLIC_SEED" in os.environ else {}
    results = run_systolic_tb(SystolicConfig.for_array(k), extra_env=env)
    from pymodel.simrun import results_ok

    tests, failed = results_ok(results)
    assert tests >= 5 and not failed, f"K={k}: {failed} of {tests} cocotb tests failed"
