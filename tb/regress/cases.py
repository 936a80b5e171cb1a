"""One seeded random case per block: seed -> stimulus -> the harness job on a build made once
per configuration -> bit-exact comparison with the model -> a functional-coverage sample.

A case is a plain function of (block, seed, simulator): its configuration is
`configs(block)[seed % len]`, its random generator `default_rng([seed, SALT[block]])`,
so `accelscope regress --block B --first-seed S --seeds 1` reruns exactly case S.
The jobs are the regressions' own (tb/<block>/jobs.py) on the job engine with no Python
in the loop, on the simulators of tb.runner.NATIVE_SIMS: `verilator-native` (the Verilator
binary) or `icarus-plain` (plain Icarus, vvp), the same tb/common/job_main.v around the same
harness; every path gives identical results (tests/test_cross_sim.py).

`run_chunk` is what a Dask worker (or the serial loop) runs: a few seeds, each a
`CaseResult` (picklable, no arrays), and with code coverage one merged coverage.dat.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from pymodel.bitfields import pack
from pymodel.compare import MismatchError, assert_equal, assert_same_counters
from pymodel.deploy.gemm_calls import eval_config
from pymodel.errors import AccelscopeError
from pymodel.lebug import emulate
from pymodel.lebug import regmap as lb
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.edges import edge_case
from pymodel.lebug.randfw import random_case
from pymodel.systolic import regmap as R
from pymodel.systolic import regmap as sy
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.convjob import many_images
from pymodel.systolic.edges import edge_list, refused
from pymodel.systolic.job import mismatches
from pymodel.systolic.layout import extents
from pymodel.systolic.model import run
from pymodel.systolic.randjob import long_gemm, random_job
from pymodel.top import regmap as tr
from pymodel.top.config import TopConfig
from pymodel.top.randbundle import random_bundle, random_stream, tap_edge_bundle, tap_edge_possible
from pymodel.top.result import check
from pymodel.top.tapmodel import batch_backlog
from tb.job import OUT_WORDS, Job, JobResult, _words
from tb.lebug import coverage as lebug_coverage
from tb.lebug import jobs as lebug_jobs
from tb.lebug.jobs import lebug_job
from tb.regress import codecov
from tb.runner import Block, ensure_built, run_job
from tb.systolic import coverage as systolic_coverage
from tb.systolic import jobs as systolic_jobs
from tb.systolic.jobs import apb_waits, image_files, run_timeout, spad_block, streaming_job, systolic_job
from tb.top import jobs as top_jobs
from tb.top.coverage import ACCESS, MODES, REGIONS
from tb.top.jobs import bundle_job, prepare
from tb.top.stream import run_stream

BLOCKS = ("lebug", "systolic", "top")
SALT = {"lebug": 0x1EB, "systolic": 0x5A5, "top": 0x70F}


def configs(block: str) -> dict[str, Any]:
    """The HDL configurations a block's seeds rotate through (each built once). LeBug: the
    integer build (ALU first) and the fixed-point build with VSRU first (small buffers, so
    drops and wrap happen); systolic: K=8; top: K=N=8 with 32-bit lanes and the evaluation
    build (K=8, 4 lanes of 16 bits: two vectors a row, saturating tap). Their builds are the
    ones tests/test_cross_sim.py and the regressions also use."""
    if block == "lebug":
        # two of tb/lebug/test_lebug.py's CONFIGS, under the same names
        return {"int_n8m4": LebugConfig(N=8, M=4, DATA_W=32, FRAC_W=0),
                "fix_n4m2_vsru": LebugConfig(N=4, M=2, DATA_W=16, FRAC_W=8, VSRU_FIRST=1, IB_DEPTH=4,
                                             CACHE_DEPTH=4, TB_DEPTH=16)}
    if block == "systolic":
        return {"k8": SystolicConfig.for_array(8)}
    if block == "top":
        from dataclasses import replace as with_

        # K from 2 to 16; one, two and four LeBug vectors a row; the K=4 evaluation build (2 lanes, 8
        # chains: slower than its array); shallow tap FIFOs at K=2 and K=16, so streams drop rows
        return {"k8_n8": TopConfig.for_array(8), "k8_eval": eval_config(8), "k4_eval": eval_config(4),
                "k2_n2": with_(TopConfig.for_array(2, IB_DEPTH=2, TB_DEPTH=32, MAX_CHAINS=4), TAP_DEPTH=32),
                "k16_n4": with_(TopConfig.for_array(16, N=4, DATA_W=16, MAX_CHAINS=8), TAP_DEPTH=96)}
    raise AccelscopeError(f"unknown block {block!r}; choose one of {', '.join(BLOCKS)}")


def block_of(name: str) -> Block:
    return {"lebug": lebug_jobs.BLOCK, "systolic": systolic_jobs.BLOCK}.get(name, top_jobs.BLOCK)


def config_of(block: str, seed: int) -> tuple[str, Any]:
    table = configs(block)
    name = sorted(table)[seed % len(table)]
    return name, table[name]


def build(block: str, sim: str, coverage: bool = False) -> list[Path]:
    """Every configuration's build for `sim` (a --sim name), made before any case runs."""
    b = block_of(block)
    return [ensure_built(b, cfg.params(), sim, cfg.tag(), coverage=coverage)
            for cfg in configs(block).values()]


def rerun_command(block: str, seed: int, sim: str) -> str:
    return f"accelscope regress --block {block} --sim {sim} --first-seed {seed} --seeds 1 --workers 0"


@dataclass
class CaseResult:
    block: str
    seed: int
    config: str
    kind: str = ""
    ok: bool = False
    error: str = ""
    wall_s: float = 0.0
    cycles: int = 0  # simulated clock cycles of the job(s)
    code_cov: bool = False  # ran on the coverage build: its code coverage is in the merge
    sample: dict = field(default_factory=dict)  # the functional-coverage sample (tb/<block>/coverage.py)

    def as_json(self, sim: str) -> dict:
        d = asdict(self)
        d.pop("sample")
        if not self.ok:
            d["rerun"] = rerun_command(self.block, self.seed, sim)
        return d


# --------------------------------------------------------------------------
# the blocks' cases: (kind, sample, cycles); a disagreement raises
# --------------------------------------------------------------------------

def _lebug(cfg: Any, rng: np.random.Generator, engine: str, cov: Path | None) -> tuple[str, dict, int]:
    side = rng.spawn(1)[0]  # its own stream: the other cases draw what they drew before edge cases existed
    case = edge_case(cfg, side) if side.random() < 1 / 8 else random_case(cfg, rng)
    exp = emulate(cfg, case.fw, case.x, case.eof, case.thresholds, push_cycles=case.push_cycles())
    job = lebug_job(cfg, case.fw, case.thresholds, case.x, case.eof, case.gaps, case.fire, case.junk)
    hw = run_job(lebug_jobs.BLOCK, cfg.params(), cfg.tag(), job, engine, decode=lambda r: lebug_jobs.decode(cfg, r),
                 coverage=cov)
    assert_equal("trace buffer", exp.tb_mem, hw.tb_mem)
    assert_same_counters("status", exp.status.as_dict(), hw.status)
    return ("fire" if case.fire else "stream"), lebug_coverage.observe(cfg, case, exp), hw.result.job_cycles


def _systolic(cfg: Any, rng: np.random.Generator, engine: str, cov: Path | None) -> tuple[str, dict, int]:
    side = rng.spawn(1)[0]  # its own stream: the other cases draw what they drew before edge cases existed
    if side.random() < 1 / 8:
        return _systolic_edge(cfg, side, engine, cov)
    descs, images = random_job(cfg, rng)
    if side.random() < 1 / 16:  # a long GEMM instead: the counters carry past bit 15 (below)
        descs, images = long_gemm(cfg, side)
    elif side.random() < 1 / 16:  # a CONV of many one-pixel images: the image counter past 2^12
        descs, images = many_images(cfg, side)
    if rng.random() < 1 / 4:  # streaming: APB traffic to untouched ACT/OUT words while the run is busy
        st = streaming_job(cfg, descs, images, rng, words=int(rng.integers(1, 5)))
        exp = st.expect(run(cfg, descs, st.images))

        def dec_st(res: JobResult) -> tuple[Any, list[str], int]:
            return st.decode(cfg, res), st.problems(cfg, res), apb_waits(res.dir)

        hw, problems, waits = run_job(systolic_jobs.BLOCK, cfg.params(), cfg.tag(), st.job, engine, decode=dec_st,
                                      coverage=cov)
        problems = mismatches(exp, hw) + problems
        if problems:
            raise MismatchError("; ".join(problems))
        kind = f"{len(descs)} descriptors, APB while busy ({waits} wait cycles)" + \
            (f", error {exp.error}" if exp.error else "")
        sample = systolic_coverage.observe(cfg, descs, images, exp)
        sample["apb_while_busy"] = ["waited"] if waits else []
        return kind, sample, hw.job.job_cycles
    exp = run(cfg, descs, images)
    job = systolic_job(cfg, descs, images)
    extra = _apb_memory_reads(cfg, descs, images, exp, rng) if rng.random() < 1 / 3 else []
    n_std = len(job.reads)
    job = replace(job, reads=[*job.reads, *(a for _, a, _ in extra)])

    def dec(res: JobResult) -> tuple[Any, np.ndarray]:
        tail = res.reads[n_std:]
        return systolic_jobs.decode(cfg, job, replace(res, reads=res.reads[:n_std])), tail

    hw, tail = run_job(systolic_jobs.BLOCK, cfg.params(), cfg.tag(), job, engine, decode=dec, coverage=cov)
    problems = mismatches(exp, hw)
    for (name, addr, want), got in zip(extra, tail.tolist()):
        if got != want:
            problems.append(f"APB read of {name} at {addr:#x}: expected {want:#010x}, got {got:#010x}")
            break
    if problems:
        raise MismatchError("; ".join(problems))
    kind = f"{len(descs)} descriptors" + (f", error {exp.error}" if exp.error else "")
    sample = systolic_coverage.observe(cfg, descs, images, exp)
    sample["apb_reads"] = sorted({name for name, _, _ in extra})
    return kind, sample, hw.job.job_cycles


def _systolic_edge(cfg: Any, rng: np.random.Generator, engine: str, cov: Path | None) -> tuple[str, dict, int]:
    """The CHECK limits, in one simulation of rounds (pymodel.systolic.edges): round 0 runs a list of
    descriptors each exactly on a different limit (every depth check, the window and pooling limits;
    1 list in 3 ending on CMD's last slot), every later round one descriptor one past a limit or with a
    pair of modes CHECK refuses (all of them, random order), each stopping in CHECK with its error.
    Every round's counters and STATUS, and round 0's outputs and stream, against the model; for a
    list on CMD's last slot, a NUM_DESC ending one past it is tried too: PSLVERR."""
    ej = edge_list(cfg, rng)
    tails = refused(cfg, rng)
    exp = run(cfg, ej.descriptors, ej.images, first=ej.first)
    rounds = [(ej.first, ej.descriptors), *((0, [t]) for t in tails)]
    writes: list[tuple[int, int]] = []
    reads: list[int] = []
    shape = []
    for first, ds in rounds:
        w = R.descriptor_records(cfg, ds, first)
        writes += w
        reads += R.readback_addrs(cfg)
        shape.append((len(w), len(R.READBACK_REGS)))
    ext = extents(cfg, ej.descriptors, dict(ej.images))
    job = Job(writes=writes, reads=reads, start=(R.REG_CTRL, R.CTRL_START), rounds=shape,
              block=spad_block(ext, ext), files=image_files(cfg, ej.images, ext),
              timeout=run_timeout(cfg, ej.descriptors, len(writes) + len(reads)) + 1000 * len(tails))
    n_rb = len(R.READBACK_REGS)
    hw, res = run_job(systolic_jobs.BLOCK, cfg.params(), cfg.tag(), job, engine,
                      decode=lambda r: (systolic_jobs.decode(cfg, job, replace(r, reads=r.reads[:n_rb])), r),
                      coverage=cov)
    problems = mismatches(exp, hw)
    for i, t in enumerate(tails, start=1):
        want = run(cfg, [t], ej.images)
        counters, status = R.decode_readback(res.reads[i * n_rb:(i + 1) * n_rb])
        if (counters, status) != (want.counters.as_dict(), want.status):
            problems.append(f"round {i} ({t.describe()}, CHECK {t.check(cfg)}): counters {counters} status "
                            f"{status}, model {want.counters.as_dict()} {want.status}")
            break
    if problems:
        raise MismatchError("; ".join(problems))
    sample = systolic_coverage.observe(cfg, ej.descriptors, ej.images, exp, ej.first)
    for t in tails:
        one = systolic_coverage.observe(cfg, [t], ej.images, run(cfg, [t], ej.images))
        sample["edges"] = sorted({*sample["edges"], *one["edges"]})
        sample["pairs"] = sorted({*sample["pairs"], *one["pairs"]})
        sample.setdefault("errors", []).append(one["error"])
    if ej.first:
        sample["edges"].append("CMD_LIST:last_legal")
    if ej.num_desc_past is not None:  # NUM_DESC ending one past CMD: PSLVERR
        with tempfile.TemporaryDirectory(prefix="num_desc_") as tmp:
            try:
                run_job(systolic_jobs.BLOCK, cfg.params(), cfg.tag(), Job(writes=[(R.REG_NUM_DESC, ej.num_desc_past)],
                                                                          run=False),
                        engine, work=Path(tmp))
                got = (0, 0)
            except AccelscopeError:
                got = _job_errors(Path(tmp))
        if got != (2, 1):
            raise MismatchError(f"NUM_DESC {ej.num_desc_past:#010x} (FIRST + COUNT = CMD_DEPTH + 1): expected "
                                f"PSLVERR on the write (error bits 0x2 at record 1), got {got[0]:#x} at {got[1]}")
        sample["edges"].append("CMD_LIST:one_past")
    kind = (f"edges: {len(ej.descriptors)} on a limit" + (" ending on CMD's last slot" if ej.first else "")
            + f", {len(tails)} refused")
    return kind, sample, res.job_cycles


def _apb_memory_reads(cfg: Any, descs: list, images: dict, exp: Any,
                      rng: np.random.Generator) -> list[tuple[str, int, int]]:
    """(memory, address, expected data): every chunk of one random defined word of each
    scratchpad and of one descriptor, read over APB after the run (the read path of every
    memory window; the rest of the job reads them by backdoor)."""
    ext = extents(cfg, descs, dict(images))
    out = []
    i = int(rng.integers(0, len(descs)))
    for c, word in enumerate(descs[i].encode()):
        out.append(("cmd", R.word_addr(cfg, "cmd", i, c), word))
    for name in ("act", "wgt", "bias", "quant", "out"):
        if not ext.get(name):
            continue
        w = int(rng.integers(0, ext[name]))
        data = R.words_to_chunks(cfg, name, exp.mems[name][w:w + 1])[0]
        out += [(name, R.word_addr(cfg, name, w, c), int(data[c]) & 0xFFFFFFFF) for c in range(len(data))]
    return out


# unmapped regions of the top-level APB map: name -> (first byte, end byte) (docs/top.md)
def unmapped_regions(cfg: Any) -> dict[str, tuple[int, int]]:
    S, L, T = tr.SYS_BASE, tr.LEBUG_BASE, tr.TOP_BASE
    sw, lw, tw = (tr.regs.WINDOWS[w][1] for w in ("SYS", "LEBUG", "TOP"))
    mem_end = {m: sy.BASE[m] + 4 * sy.chunks(cfg.sys, m) * d for m, d in
               (("cmd", cfg.sys.CMD_DEPTH), ("act", cfg.sys.ACT_DEPTH))}
    cmd_win = sy.regs.MEMS["CMD"]
    out_win = sy.regs.MEMS["OUT"]
    return {
        "sys_regs_gap": (S + sy.REGS_END, S + sy.BASE["cmd"]),
        "sys_cmd_beyond_depth": (S + mem_end["cmd"], S + cmd_win[0] + cmd_win[1]),
        "sys_gap_cmd_act": (S + cmd_win[0] + cmd_win[1], S + sy.BASE["act"]),
        "sys_act_beyond_depth": (S + mem_end["act"], S + sy.BASE["wgt"]),
        "sys_past_out": (S + out_win[0] + out_win[1], S + sw),
        "lebug_regs_gap": (L + lb.REGS_END, L + lb.CHAIN_BASE),
        "lebug_chains_beyond_max": (L + lb.CHAIN_BASE + lb.CHAIN_BYTES * cfg.lebug.MAX_CHAINS,
                                    L + lb.CHAIN_BASE + lb.regs.MEMS["CHAIN"][1]),
        "lebug_thresh_beyond": (L + lb.THRESH_BASE + 4 * cfg.lebug.n_thresholds, L + lb.TRACE_BASE),
        "lebug_trace_beyond_depth": (L + lb.trace_addr(cfg.lebug, cfg.lebug.TB_DEPTH, 0),
                                     L + lb.TRACE_BASE + lb.regs.MEMS["TRACE"][1]),
        "lebug_past_trace": (L + lb.TRACE_BASE + lb.regs.MEMS["TRACE"][1], L + lw),
        "top_regs_gap": (tr.regs.REGS_END, T + tw),
        "past_last_window": (T + tw, 1 << 24),
    }


def last_legal_words(cfg: Any) -> dict[str, tuple[int, bool]]:
    """Region -> (the mapped word just below it, writable): the last register of a register block, the
    last word of the CMD, ACT and OUT scratchpads, of LeBug's last chain slot, last threshold and last
    trace row (the regions with a mapped word below them; docs/top.md)."""
    S, L = tr.SYS_BASE, tr.LEBUG_BASE
    last = {m: S + sy.word_addr(cfg.sys, m, d - 1, sy.chunks(cfg.sys, m) - 1)
            for m, d in (("cmd", cfg.sys.CMD_DEPTH), ("act", cfg.sys.ACT_DEPTH), ("out", cfg.sys.OUT_DEPTH))}
    return {"sys_regs_gap": (S + sy.REGS_END - 4, False), "sys_cmd_beyond_depth": (last["cmd"], True),
            "sys_act_beyond_depth": (last["act"], True), "sys_past_out": (last["out"], True),
            "lebug_regs_gap": (L + lb.REGS_END - 4, False),
            "lebug_chains_beyond_max": (L + lb.CHAIN_BASE + lb.CHAIN_BYTES * cfg.lebug.MAX_CHAINS - 4, True),
            "lebug_thresh_beyond": (L + lb.THRESH_BASE + 4 * cfg.lebug.n_thresholds - 4, True),
            "lebug_trace_beyond_depth": (L + lb.trace_addr(cfg.lebug, cfg.lebug.TB_DEPTH - 1, cfg.lebug.N - 1), False),
            "top_regs_gap": (tr.regs.REGS_END - 4, False)}


def unmapped_address(cfg: Any, region: str, rng: np.random.Generator, first: bool = False) -> int:
    """A random address of `region` (word aligned), or a mapped register + 1..3 ("misaligned");
    `first`: the region's first word (one past the mapped word below it)."""
    if region == "misaligned":
        regs = [tr.SYS_BASE + sy.REG_ID, tr.SYS_BASE + sy.REG_NUM_DESC, tr.LEBUG_BASE + lb.REG_ID,
                tr.LEBUG_BASE + lb.REG_NUM_CHAINS, tr.REG_ID, tr.REG_TAP_ROWS]
        return int(rng.choice(regs)) + int(rng.integers(1, 4))
    lo, hi = unmapped_regions(cfg)[region]
    # the region's first or last word, or a random word in it
    pick = 0.0 if first else rng.random()
    word = lo // 4 if pick < 0.25 else ((hi - 4) // 4 if pick < 0.5 else int(rng.integers(lo // 4, hi // 4)))
    return 4 * word


def _job_errors(work: Path) -> tuple[int, int]:
    """(error bits, failing record or read) of job_out.hex (tb/job.py: ERRORS)."""
    out = _words(work / "job_out.hex", OUT_WORDS)
    return out[0], out[1]


def _top_unmapped(cfg: Any, rng: np.random.Generator, engine: str, cov: Path | None) -> tuple[str, dict, int]:
    """Every unmapped region, read and write, each at a random address of the region (its
    first or last word or any word in between; one of the two at its first word, one past the
    mapped word below it), in random order: one job each (the job engine stops at the first
    PSLVERR), each must answer PSLVERR on its one transfer. One job writes the mapped word just
    below each region (where writable) and reads it back: no PSLVERR, the systolic scratchpads'
    words as written. Then one job reads every ID and PARAMS register (bundle runs never read them)."""
    pairs = [(region, access) for region in REGIONS for access in ACCESS]
    # one access of each: the first word
    firsts = {region: ACCESS[int(rng.integers(len(ACCESS)))] for region in REGIONS}
    hit = []
    work = Path(tempfile.mkdtemp(prefix="unmapped_"))
    try:
        for i in rng.permutation(len(pairs)).tolist():
            region, access = pairs[i]
            addr = unmapped_address(cfg, region, rng, first=firsts[region] == access)
            job = (Job(writes=[(addr, int(rng.integers(0, 1 << 32)))], run=False) if access == "write"
                   else Job(reads=[addr], run=False))
            want = 1 << (1 if access == "write" else 2)  # PSLVERR on a write record / on a read
            try:
                run_job(top_jobs.BLOCK, cfg.params(), cfg.tag(), job, engine, work=work, coverage=cov and
                        cov.with_name(f"{cov.stem}_{i}.dat"))
                got = (0, 0)
            except AccelscopeError:
                if not (work / "job_out.hex").exists():
                    raise
                got = _job_errors(work)
            if got != (want, 1):
                raise MismatchError(f"{access} of {addr:#08x} ({region}): expected PSLVERR on the first transfer "
                                    f"(error bits {want:#x}, index 1), got error bits {got[0]:#x} at {got[1]}")
            hit.append([region, access])
        # the mapped word just below each region: written (where writable) and read back, no PSLVERR
        below = last_legal_words(cfg)
        writes = {a: int(rng.integers(0, 1 << 32)) for a, rw in below.values() if rw}
        res: JobResult = run_job(top_jobs.BLOCK, cfg.params(), cfg.tag(),
                      Job(writes=list(writes.items()), reads=[a for a, _ in below.values()], run=False), engine,
                      work=work,
                      coverage=cov and cov.with_name(f"{cov.stem}_last.dat"))
        back = dict(zip([a for a, _ in below.values()], res.reads.tolist()))
        exact = {a: v for a, v in writes.items() if a < tr.LEBUG_BASE}  # systolic memories keep all 32 bits
        bad = [f"{a:#08x}: wrote {v:#010x}, read {back[a]:#010x}" for a, v in exact.items() if back[a] != v]
        if bad:
            raise MismatchError("the last word below an unmapped region: " + "; ".join(bad))
        # and the identification registers of the three maps, read back in random order
        ids = id_registers(cfg)
        addrs = [list(ids)[i] for i in rng.permutation(len(ids)).tolist()]
        res = run_job(top_jobs.BLOCK, cfg.params(), cfg.tag(), Job(reads=addrs, run=False), engine, work=work,
                      coverage=cov and cov.with_name(f"{cov.stem}_ids.dat"))
        reads: list[int] = res.reads.tolist()
        bad = [f"{a:#08x}: expected {ids[a]:#010x}, read {int(v):#010x}" for a, v in zip(addrs, reads) if ids[a] != v]
        if bad:
            raise MismatchError("identification registers: " + "; ".join(bad))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return "unmapped", {"kind": "unmapped", "accesses": hit, "ids": True, "first_words": sorted(REGIONS),
                        "last_legal": sorted(below)}, 0


def id_registers(cfg: Any) -> dict[int, int]:
    """Address -> value of the ID and PARAMS registers of the top, systolic and LeBug maps."""
    top_params = pack(tr.regs.FIELDS["PARAMS"], {"K": cfg.sys.K, "N": cfg.lebug.N, "TAP_DEPTH": cfg.TAP_DEPTH})
    return {tr.REG_ID: tr.TOP_ID_VALUE, tr.REG_PARAMS: top_params,
            tr.SYS_BASE + sy.REG_ID: sy.ID_VALUE, tr.SYS_BASE + sy.REG_PARAMS0: sy.params0(cfg.sys),
            tr.SYS_BASE + sy.REG_PARAMS1: sy.params1(cfg.sys), tr.SYS_BASE + sy.REG_PARAMS2: sy.params2(cfg.sys),
            tr.LEBUG_BASE + lb.REG_ID: lb.ID_VALUE, tr.LEBUG_BASE + lb.REG_PARAMS: lb.params_word(cfg.lebug),
            tr.LEBUG_BASE + lb.REG_PARAMS2: lb.params2_word(cfg.lebug)}


def _top_bundle(cfg: Any, rng: np.random.Generator, engine: str, cov: Path | None,
                stress: bool, edge: bool | None = None) -> tuple[str, dict, int]:
    """A random bundle (`stress`: one that overflows the tap FIFO; `edge` False/True: one that fills it to
    exactly TAP_DEPTH rows / drops exactly one, randbundle.tap_edge_bundle) against the model."""
    mode = str(rng.choice(MODES))
    with tempfile.TemporaryDirectory(prefix="bundle_") as tmp:
        if edge is None:
            random_bundle(cfg, rng, Path(tmp) / "bundle", stress=stress)
        else:
            tap_edge_bundle(cfg, rng, Path(tmp) / "bundle", past=edge)
        bundle, exp = prepare(Path(tmp) / "bundle", cfg)
        job = bundle_job(bundle, mode)
        hw = run_job(top_jobs.BLOCK, cfg.params(), cfg.tag(), job, engine,
                     decode=lambda res: top_jobs.decode(cfg, exp.written(), res),
                     coverage=cov)
    tap = hw.tap
    # the tap model predicts which rows a full FIFO drops from the rows' arrival cycles (the harness's
    # tap log), so LeBug's trace is compared exactly with drops too
    check(exp, hw, f"{mode} load")
    layers = len(exp.descriptors)
    sample = {"kind": "stress" if stress else "bundle", "mode": mode,
              "build": "int32_lanes" if cfg.lebug.DATA_W == 32 else "int16_lanes",
              "layers": f"{layers}_layer" + ("s" if layers > 1 else ""),
              "network_eof": bool(exp.systolic.eof[-1, 1] == 1 and exp.systolic.eof[:, 1].sum() == 1
                                  and exp.systolic.eof[:, 0].sum() == layers),
              "drops": bool(tap["drops"] > 0), "lebug_rows": bool(hw.lebug_status["rows"] > 0),
              "tap_edge": ["last_legal"] if (hw.maxfill == cfg.TAP_DEPTH and not tap["drops"]) else
              (["one_past"] if tap["drops"] == 1 else [])}
    kind = "stress " if stress else (f"tap FIFO {'one past' if edge else 'exactly full'} " if edge is not None else "")
    return kind + mode, sample, hw.job.job_cycles


def _top_stream(cfg: Any, rng: np.random.Generator, engine: str, cov: Path | None) -> tuple[str, dict, int]:
    """A compiled network streamed in 2..6 overlapped batches through one programmed chip (tb/top/stream.py):
    every batch's logits, the output stream, the tap's stored and dropped rows (the tap model on the
    harness's tap log), LeBug's trace (per batch after a ROWS poll when no row can drop, else the whole
    buffer at the end), the counters. Half the streams run MAX_CHAINS-chain firmware, slower than the array."""
    mode = str(rng.choice(MODES))
    slow = rng.random() < 1 / 2
    with tempfile.TemporaryDirectory(prefix="stream_") as tmp:
        bundle, batches = random_stream(cfg, rng, Path(tmp) / "bundle", slow=slow)
        r = run_stream(bundle, batches, engine, debug=None, mode=mode, overlap=True, coverage=cov)
    assert r.intake is not None and r.tap_log is not None
    backlog = batch_backlog(r.intake, r.tap_log, [len(x.stream) for x in r.expected.runs], cfg.vectors_per_row)
    sample = {"kind": "stream", "K": cfg.sys.K, "vectors_per_row": cfg.vectors_per_row, "mode": mode,
              "batches": len(batches), "backlog": sorted(set(backlog)), "drops": bool(r.intake.drops),
              "readback": "per_batch" if r.per_batch else "final", "slow": slow}
    kind = (f"stream of {len(batches)} batches, {'slow tap, ' if slow else ''}backlog {'/'.join(backlog)}"
            + (f", {r.intake.drops} rows dropped" if r.intake.drops else ""))
    return kind, sample, r.result.job_cycles


def _top(cfg: Any, rng: np.random.Generator, engine: str, cov: Path | None) -> tuple[str, dict, int]:
    """1 case in 10 the unmapped accesses (PSLVERR), 1 in 25 a bundle that overflows the tap
    FIFO, 3 in 10 a stream of overlapped batches, the rest a random bundle replayed over APB or
    loaded by backdoor."""
    side = rng.spawn(1)[0]  # its own stream: the other cases draw what they drew before edge cases existed
    if side.random() < 1 / 6 and tap_edge_possible(cfg):
        return _top_bundle(cfg, side, engine, cov, stress=False, edge=bool(side.integers(2)))
    u = rng.random()
    if u < 0.1:
        return _top_unmapped(cfg, rng, engine, cov)
    if u >= 0.7:
        return _top_stream(cfg, rng, engine, cov)
    return _top_bundle(cfg, rng, engine, cov, stress=u < 0.14)


RUNNERS: dict[str, Callable[..., tuple[str, dict, int]]] = {"lebug": _lebug, "systolic": _systolic, "top": _top}


def run_case(block: str, seed: int, sim: str, cov: Path | None = None) -> CaseResult:
    """One case; never raises for a failing case (the result says why, with the rerun command)."""
    name, cfg = config_of(block, seed)
    res = CaseResult(block, seed, name, code_cov=cov is not None)
    t0 = time.perf_counter()
    try:
        res.kind, res.sample, res.cycles = RUNNERS[block](cfg, np.random.default_rng([seed, SALT[block]]), sim,
                                                          cov)
        res.ok = True
    except (MismatchError, AccelscopeError) as e:
        res.error = " ".join(str(e).split())[:400]
    except Exception as e:  # a bug in a generator or the model is a failing case too, not a lost run
        tb = traceback.extract_tb(e.__traceback__)[-1]
        res.error = f"{type(e).__name__}: {' '.join(str(e).split())[:300]} ({Path(tb.filename).name}:{tb.lineno})"
    res.wall_s = round(time.perf_counter() - t0, 4)
    return res


COV_RUN = 4  # code coverage is measured on runs of this many consecutive seeds


def measured(seed: int, first_seed: int, cov_every: int) -> bool:
    """With --coverage-every N: seeds are measured in runs of COV_RUN consecutive ones, one run
    in N (seeds FIRST..FIRST+3, FIRST+4N..FIRST+4N+3, ...), so every configuration and every
    choice a generator makes from the seed's parity is measured, not one residue of N."""
    return cov_every == 1 or (seed - first_seed) % (COV_RUN * cov_every) < COV_RUN


_BUILT: set[tuple[str, str, bool, str]] = set()  # (block, sim, coverage, build root) this process made sure of


def worker_build_root(client_root: str) -> Path:
    """The client's sim_build/ when this process sees it (a shared file system), else this
    host's own build directory."""
    root = Path(client_root)
    if root.is_dir():
        return root
    return Path(tempfile.gettempdir()) / f"accelscope_sim_build_{socket.gethostname()}"


def run_chunk(block: str, seeds: list[int], sim: str, sim_build: str, coverage: bool = False,
              cov_every: int = 1, first_seed: int = 1) -> tuple[list[CaseResult], dict[str, int] | None]:
    """What a worker runs: the cases of `seeds`; with `coverage`, those `measured` (one seed in
    `cov_every`) run on the coverage builds and their code coverage comes back summed (point ->
    count) for the client to merge. Each configuration is built once per worker process (a
    no-op when the client's shared build is current)."""
    root = worker_build_root(sim_build)
    os.environ["ACCELSCOPE_SIM_BUILD"] = str(root)
    for cov in ((True, False) if coverage and cov_every > 1 else (coverage,)):
        if (block, sim, cov, str(root)) not in _BUILT:
            build(block, sim, cov)
            _BUILT.add((block, sim, cov, str(root)))
    if not coverage:
        return [run_case(block, s, sim) for s in seeds], None

    tmp = Path(tempfile.mkdtemp(prefix="cov_"))
    try:
        out = []
        total: dict[str, int] = {}
        for s in seeds:
            out.append(run_case(block, s, sim, tmp / f"{s}.dat" if measured(s, first_seed, cov_every) else None))
            for dat in tmp.glob("*.dat"):  # the case's, and those of its extra jobs (<seed>_*.dat)
                codecov.add(total, codecov.read(dat))
                dat.unlink()
        return out, total
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
