"""The systolic block on its harness (tb/systolic/systolic_harness.v): the job that loads the
scratchpads by backdoor, programs the descriptors, starts, reads the counters back and
dumps the scratchpads, and a runner for any simulator in tb.runner.SIMULATORS. The cocotb
regressions (test_systolic.py), the CLI, `make sim TEST=gemm` (tb/sims.py) and bench/ use these.

Header words of a systolic job (tb/common/scratchpad_backdoor.vh): words 8..13 are the
load counts and words 14..19 the dump counts of the scratchpads in SPAD_ORDER."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.systolic import regmap as R
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import Descriptor
from pymodel.systolic.job import HardwareResult, mismatches, stream_from_text
from pymodel.systolic.layout import extents, gemm_layout, mem_from_hex, mem_to_hex
from pymodel.systolic.model import MEMORIES, RunResult, depth_of, descriptor_counters, normalize
from pymodel.systolic.scenarios import GemmRun, gemm
from tb.job import Job, JobResult, read_output
from tb.runner import Block, rtl_root, run_job
from tb.waves import Trace, job_state, lanes

BLOCK = Block("systolic", ("systolic",), "systolic_harness", "tb.systolic.test_systolic")
SPAD_ORDER = ("cmd", "act", "wgt", "bias", "quant", "out")  # header words 8.. (loads), 14.. (dumps)


# --------------------------------------------------------------------------
# the job
# --------------------------------------------------------------------------

def spad_block(loads: Mapping[str, int], dumps: Mapping[str, int]) -> list[int]:
    """Header words 8..19: words to $readmemh and to $writememh per scratchpad (SPAD_ORDER)."""
    unknown = (set(loads) | set(dumps)) - set(SPAD_ORDER)
    if unknown:
        raise AccelscopeError(f"unknown scratchpad(s) {', '.join(sorted(unknown))}; one of {', '.join(SPAD_ORDER)}")
    return [int(loads.get(m, 0)) for m in SPAD_ORDER] + [int(dumps.get(m, 0)) for m in SPAD_ORDER]


def image_files(cfg: SystolicConfig, images: Mapping[str, np.ndarray], ext: Mapping[str, int]) -> dict[str, str]:
    """<mem>.hex for the backdoor: words 0..ext-1 of each scratchpad, the image zero padded."""
    files = {}
    for name in MEMORIES:
        n = ext.get(name, 0)
        if not n:
            continue
        words = np.zeros((n, cfg.K), dtype=np.int64)
        img = np.asarray(images.get(name, np.zeros((0, cfg.K))), dtype=np.int64)
        words[: len(img)] = img
        files[f"{name}.hex"] = mem_to_hex(name, words)
    return files


def run_timeout(cfg: SystolicConfig, descs: Sequence[Descriptor], n_transfers: int) -> int:
    """A generous job cycle limit: 4x the model's run cycles plus the APB traffic."""
    cycles = 0
    for d in descs:
        if d.check(cfg):
            break
        cycles += descriptor_counters(cfg, d).cycles
    return 4 * cycles + 8 * n_transfers + 100_000


def systolic_job(cfg: SystolicConfig, descs: Sequence[Descriptor], images: Mapping[str, np.ndarray],
                 first: int = 0) -> Job:
    """Backdoor-load every scratchpad word the run may touch (images zero padded), write the
    descriptors (to CMD[first..]) and NUM_DESC over APB, start, run to `done`, read the
    counters and STATUS, dump the same words."""
    ext = extents(cfg, descs, dict(images))
    writes = R.descriptor_records(cfg, descs, first)
    reads = R.readback_addrs(cfg)
    return Job(writes=writes, reads=reads, start=(R.REG_CTRL, R.CTRL_START), block=spad_block(ext, ext),
               files=image_files(cfg, images, ext), timeout=run_timeout(cfg, descs, len(writes) + len(reads)))


def overlap_job(cfg: SystolicConfig, descs: Sequence[Descriptor], images: Mapping[str, np.ndarray],
                writes_during: Sequence[tuple[int, int]], reads_during: Sequence[int],
                reads_after: Sequence[int] = (), first: int = 0,
                cmd_before: Sequence[tuple[int, int]] = ()) -> Job:
    """A streaming job (Job.overlap, two rounds). Round 0: cmd_before (e.g. other descriptors),
    the descriptors at CMD[first..] and NUM_DESC, CTRL.start as a record, then writes_during;
    then reads_during: those APB transfers run while the block is busy; then RUN until done.
    Round 1: the counters and STATUS, then reads_after. Backdoor loads and dumps as in
    systolic_job (extents of the images and the run). decode(..., readback_at=len(reads_during))."""
    ext = extents(cfg, descs, dict(images))
    w0 = [*cmd_before, *R.descriptor_records(cfg, descs, first), (R.REG_CTRL, R.CTRL_START), *writes_during]
    r1 = [*R.readback_addrs(cfg), *reads_after]
    return Job(writes=w0, reads=[*reads_during, *r1], block=spad_block(ext, ext),
               files=image_files(cfg, images, ext), rounds=[(len(w0), len(reads_during)), (0, len(r1))],
               overlap=True, timeout=run_timeout(cfg, descs, len(w0) + len(reads_during) + len(r1)))


@dataclass
class Streaming:
    """A streaming job (overlap_job) with APB traffic to ACT and OUT words the run does not
    touch: `words` words of each read while it runs, `words` more written while it runs (read
    back after it). images: the run's images plus those words (loaded by backdoor)."""

    job: Job
    images: dict[str, np.ndarray]
    read: dict[str, tuple[np.ndarray, np.ndarray]]     # memory -> (word indices, lanes) read during the run
    written: dict[str, tuple[np.ndarray, np.ndarray]]  # memory -> (word indices, lanes) written during the run
    n_during: int                                      # reads during the run (the read-back follows)

    def expect(self, exp: RunResult) -> RunResult:
        """The model's result with the words written during the run (exp.mems updated in place)."""
        for name, (idx, lanes_) in self.written.items():
            exp.mems[name][idx] = lanes_
        return exp

    def decode(self, cfg: SystolicConfig, res: JobResult) -> HardwareResult:
        return decode(cfg, self.job, res, readback_at=self.n_during)

    def problems(self, cfg: SystolicConfig, res: JobResult) -> list[str]:
        """Reads during the run == the loaded words; reads after it == the words written."""
        out = []
        during, after = res.reads[:self.n_during], res.reads[self.n_during + len(R.READBACK_REGS):]
        for what, table, data in (("read while busy", self.read, during), ("written while busy", self.written, after)):
            pos = 0
            for name, (idx, want) in table.items():
                ch = R.chunks(cfg, name)
                got = R.chunks_to_words(cfg, name, np.asarray(data[pos:pos + ch * len(idx)]).reshape(-1, ch))
                pos += ch * len(idx)
                bad = np.flatnonzero((got != want).any(axis=1))
                if bad.size:
                    i = int(bad[0])
                    out.append(f"{what}: {name}[{int(idx[i])}] over APB {got[i].tolist()}, expected {want[i].tolist()}")
        return out


def streaming_job(cfg: SystolicConfig, descs: Sequence[Descriptor], images: Mapping[str, np.ndarray],
                  rng: np.random.Generator, words: int = 4, first: int = 0,
                  cmd_before: Sequence[tuple[int, int]] = ()) -> Streaming:
    """overlap_job with traffic while the run is busy: after CTRL.start, `words` OUT and ACT
    words beyond the run's extents are written (random lanes), and `words` others, loaded with
    random lanes, are read (the OUT words, then the ACT words); the written ones are read after the run."""
    ext = extents(cfg, descs, dict(images))
    imgs = {k: np.asarray(v, dtype=np.int64) for k, v in images.items()}
    read: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    written: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    # OUT first: its K chunks a word delay the ACT writes into a run's first output rows
    for name, lo, hi in (("out", -(1 << 31), 1 << 31), ("act", -128, 128)):
        base = ext.get(name, 0)
        if base + 2 * words > depth_of(cfg, name):
            raise AccelscopeError(f"streaming job: no {2 * words} free {name} words after the run's {base}")
        img = np.zeros((base + 2 * words, cfg.K), dtype=np.int64)
        old = imgs.get(name, np.zeros((0, cfg.K), dtype=np.int64))
        img[:len(old)] = old
        img[base:] = normalize(name, rng.integers(lo, hi, size=(2 * words, cfg.K), dtype=np.int64))
        imgs[name] = img
        read[name] = (base + np.arange(words), img[base:base + words].copy())
        new = normalize(name, rng.integers(lo, hi, size=(words, cfg.K), dtype=np.int64))
        written[name] = (base + words + np.arange(words), new)

    def addrs(table: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[int]:
        return [R.word_addr(cfg, name, int(w), c) for name, (idx, _) in table.items() for w in idx
                for c in range(R.chunks(cfg, name))]

    writes = [rec for name, (idx, lanes_) in written.items() for rec in R.mem_records(cfg, name, lanes_, int(idx[0]))]
    during = addrs(read)
    job = overlap_job(cfg, descs, imgs, writes, during, addrs(written), first=first, cmd_before=cmd_before)
    return Streaming(job, imgs, read, written, len(during))


def apb_waits(path: Path) -> int:
    """APB access cycles with PREADY = 0 during the job (the harness's apb_waits.txt)."""
    text = read_output(path / "apb_waits.txt").strip()
    try:
        return int(text)
    except ValueError:
        raise AccelscopeError(f"{path / 'apb_waits.txt'}: not a count: {text[:40]!r}") from None


def read_dump(path: Path, name: str, K: int, words: np.ndarray | None = None) -> np.ndarray:
    """dump_<name>.hex as lane values; only the given word addresses when `words` is given
    (words never written may hold X in a 4-state simulator)."""
    f = path / f"dump_{name}.hex"
    text = read_output(f)
    if words is not None:
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith(("//", "@"))]
        text = "\n".join(lines[int(i)] for i in np.asarray(words).ravel())
    return mem_from_hex(name, text, K, str(f))


def read_stream(path: Path, K: int) -> tuple[np.ndarray, np.ndarray]:
    return stream_from_text(read_output(path / "stream.txt"), K)


def decode(cfg: SystolicConfig, job: Job, res: JobResult, readback_at: int = 0) -> HardwareResult:
    """The run's outputs: the stream capture, the dumps, the counters and STATUS read back
    (reads readback_at.. of the job; the whole read list when 0)."""
    rb = res.reads if readback_at == 0 else res.reads[readback_at:readback_at + len(R.READBACK_REGS)]
    counters, status = R.decode_readback(rb)
    stream, eof = read_stream(res.dir, cfg.K)
    dumps = dict(zip(SPAD_ORDER, list(job.block)[len(SPAD_ORDER):2 * len(SPAD_ORDER)]))
    mems = {name: read_dump(res.dir, name, cfg.K) for name in MEMORIES if dumps.get(name)}
    return HardwareResult(mems, stream, eof, counters, status, wall_s=res.wall_s, job=res)


def run_systolic(cfg: SystolicConfig, descs: Sequence[Descriptor], images: Mapping[str, np.ndarray], sim: str,
                 waves: bool = False, work: Path | None = None) -> HardwareResult:
    """One run on `sim` (any simulator of tb.runner); the caller compares with the model
    (pymodel.systolic.job.mismatches). hw.job is the harness JobResult (cycles, wall time)."""
    job = systolic_job(cfg, descs, images)
    return run_job(BLOCK, cfg.params(), cfg.tag(), job, sim, waves=waves, work=work,
                   decode=lambda res: decode(cfg, job, res))


# --------------------------------------------------------------------------
# GEMM on the RTL (`accelscope gemm --sim ...`, `make sim TEST=gemm`) and its waveform view
# --------------------------------------------------------------------------

def gemm_on_rtl(a: np.ndarray, b: np.ndarray, bias: np.ndarray | None = None, relu: bool = False, K: int = 8,
                sim: str = "icarus", waves: bool = False, work: Path | None = None) -> GemmRun:
    """pymodel.systolic.scenarios.gemm plus the run on `sim`: hardware filled, and every
    disagreement with the model appended to problems."""
    res = gemm(a, b, bias, relu, K=K)
    _, images = gemm_layout(res.cfg, a, b, bias, relu)
    res.hardware = run_systolic(res.cfg, res.descriptors, images, sim, waves=waves, work=work)
    res.problems += mismatches(res.expected, res.hardware)
    return res


def wave_groups(cfg: SystolicConfig) -> dict[str, list[Trace]]:
    """GTKWave groups under systolic_harness: APB, sequencer, array feed, output lanes, status."""
    K = cfg.K
    return {
        "APB": [Trace("psel"), Trace("penable"), Trace("pwrite"), Trace("paddr", cfg.APB_ADDR_W),
                Trace("pwdata", 32), Trace("prdata", 32), Trace("pslverr")],
        "Sequencer": [Trace("dut.u_seq.state", 3, states=rtl_root() / "systolic" / "systolic_seq.v"),
                      Trace("dut.u_seq.cur_desc", max(1, cfg.CMD_DEPTH.bit_length() - 1)),
                      Trace("dut.u_seq.nt_cnt", 16), Trace("dut.u_seq.kt_cnt", 16), Trace("dut.u_seq.p", 16),
                      Trace("dut.u_seq.t_sel")],
        "Array feed": [Trace("dut.wm_v"), *lanes("act_x", K, 8, "A row")],
        "Output": [Trace("out_valid"), Trace("out_eof", 2), *lanes("out_x", K, 32, "C lane")],
        "Status": [Trace("busy"), Trace("done"), job_state()],
    }

