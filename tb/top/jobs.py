"""accel_top on its harness (tb/top/top_harness.v): a compiled bundle as one harness job
and a replay on any simulator in tb.runner.SIMULATORS, checked against
pymodel.top.model.expected. The cocotb regressions (test_top.py), the CLI's `replay`,
pymodel.deploy's RTL GEMM and bench/ all use these.

Modes:
  apb       the bundle's prog/0PROG_A and 0PROG_D are the job's write records, as they are
  backdoor  the systolic scratchpad images are $readmemh'd (header load counts), LeBug's
            chains and thresholds and every register go over APB
Both then start the accelerator (the job's START write, systolic CTRL.start), run until it
is done and the tap and LeBug have drained, read back the systolic counters and status,
the tap registers, LeBug's trace buffer and status, and dump the written scratchpad words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from pymodel.bundle import Bundle, load_bundle
from pymodel.errors import AccelscopeError
from pymodel.systolic import regmap as sy
from pymodel.systolic.descriptor import Descriptor
from pymodel.systolic.model import descriptor_counters
from pymodel.top import regmap as tr
from pymodel.top.config import TopConfig
from pymodel.top.model import TopExpected, descriptors_of, expected, written_words
from pymodel.top.result import HwResult, check_or_raise
from pymodel.top.tapmodel import TapLog, parse_tap_log
from tb.job import Job, JobResult, read_output
from tb.runner import Block, run_job
from tb.systolic.jobs import read_dump, read_stream, spad_block
from tb.waves import SDEC, Trace, job_state, lanes

BLOCK = Block("top", ("systolic", "lebug", "top"), "top_harness", "tb.top.test_top")
MODES = ("apb", "backdoor")
START = (tr.SYS_BASE + sy.REG_CTRL, sy.CTRL_START)


def check_mode(mode: str, what: str = "replay") -> None:
    if mode not in MODES:
        raise AccelscopeError(f"{what} mode {mode!r}: use {' or '.join(MODES)}")


def job_timeout(cfg: TopConfig, descs: Sequence[Descriptor], transfers: int, runs: int = 1) -> int:
    """A job's cycle limit: `runs` runs of the descriptors (4x their cycles, and LeBug at 64 x its
    slowest pace on every stream row) and `transfers` APB transfers at 8 cycles, plus a margin."""
    sys_cycles = sum(descriptor_counters(cfg.sys, d).cycles for d in descs if not d.check(cfg.sys))
    rows = sum(d.out_rows * d.nt(cfg.sys.K) for d in descs)  # stream rows (CONV, POOL: images x output pixels)
    lebug_cycles = 64 * rows * cfg.vectors_per_row * cfg.lebug.MAX_CHAINS
    return runs * (4 * sys_cycles + lebug_cycles) + 8 * transfers + 200_000


def memory_records(bundle: Bundle, memory: str) -> list[tuple[int, int]]:
    """APB writes of one memory image (chunks low first), as the bundle's records have them."""
    m = next(x for x in bundle.memories if x.name == memory)
    img = bundle.images[memory]
    return [(m.base + i * m.stride + 4 * c, int(img[i, c])) for i in range(m.depth) for c in range(m.chunks)]


def backdoor_parts(bundle: Bundle) -> tuple[dict[str, Path], dict[str, int], list[tuple[int, int]]]:
    """Backdoor mode: (systolic images to copy as <mem>.hex, their word counts, the APB
    records: LeBug memories in manifest order, then every register)."""
    assert bundle.path is not None
    copies: dict[str, Path] = {}
    loads: dict[str, int] = {}
    records: list[tuple[int, int]] = []
    for m in bundle.memories:
        mem = tr.SYS_MEMS.get(m.name)
        if mem is None:
            records += memory_records(bundle, m.name)
        elif m.depth:
            copies[f"{mem}.hex"] = bundle.path / m.file
            loads[mem] = m.depth
    records += [(r.addr, r.value & 0xFFFFFFFF) for r in bundle.registers]
    return copies, loads, records


def dump_counts(written: Mapping[str, np.ndarray]) -> dict[str, int]:
    """Words to dump per scratchpad: up to the highest written word."""
    return {mem: int(addrs.max()) + 1 for mem, addrs in written.items() if addrs.size}


def bundle_job(bundle: Bundle, mode: str = "apb") -> Job:
    """The bundle (validated: pymodel.bundle.load_bundle) as one harness job."""
    check_mode(mode)
    if bundle.path is None:
        raise AccelscopeError("bundle_job: the bundle has no directory (write it first)")
    cfg = TopConfig.from_hardware(bundle.hardware)
    descs = descriptors_of(bundle)
    dumps = dump_counts(written_words(cfg.sys.K, descs))
    reads = tr.readback_addrs(cfg)
    if mode == "apb":
        n_writes = len(bundle.records())  # load_bundle checked that prog/ holds exactly these
        return Job(prog_dir=bundle.path / "prog", start=START, reads=reads, block=spad_block({}, dumps),
                   timeout=job_timeout(cfg, descs, n_writes + len(reads)))
    copies, loads, records = backdoor_parts(bundle)
    return Job(writes=records, start=START, reads=reads, block=spad_block(loads, dumps), copies=copies,
               timeout=job_timeout(cfg, descs, len(records) + len(reads)))


def decode(cfg: TopConfig, written: Mapping[str, np.ndarray], res: JobResult) -> HwResult:
    """The run's outputs: stream capture, written scratchpad words, every register read back."""
    rb = tr.decode_readback(cfg, res.reads)
    stream, eof = read_stream(res.dir, cfg.sys.K)
    mems = {mem: read_dump(res.dir, mem, cfg.sys.K, addrs) for mem, addrs in written.items() if addrs.size}
    return HwResult(mems, stream, eof, rb.counters, rb.tap, rb.maxfill, rb.lebug_status, rb.trace, rb.status,
                    job=res, tap_log=read_tap_log(res.dir))


def read_tap_log(path: Path) -> TapLog:
    """The harness's tap log of a job (tap.txt: pymodel.top.tapmodel.parse_tap_log)."""
    return parse_tap_log(read_output(path / "tap.txt"), str(path / "tap.txt"))


def prepare(bundle_dir: Path, cfg: TopConfig | None = None) -> tuple[Bundle, TopExpected]:
    """Load and validate the whole bundle (manifest, images, PROG records) and compute what
    the hardware must produce, before anything is simulated."""
    path = Path(bundle_dir).resolve()
    bundle = load_bundle(path)
    exp = expected(bundle)
    if cfg is not None and exp.cfg != cfg:
        raise AccelscopeError(f"{path}: the bundle was compiled for other hardware ({exp.cfg.tag()}) "
                              f"than requested ({cfg.tag()})")
    return bundle, exp


def replay(bundle_dir: Path, cfg: TopConfig | None = None, mode: str = "apb", sim: str = "icarus",
           waves: bool = False, work: Path | None = None, check: bool = True) -> HwResult:
    """Replay (mode "apb") or backdoor-load (mode "backdoor") a bundle on `sim` (any simulator of
    tb.runner). The bundle is validated first; with check, every result is compared with
    pymodel.top.model.expected (AccelscopeError on a difference). hw.job is the harness
    JobResult (cycles, wall time)."""
    check_mode(mode)
    bundle, exp = prepare(bundle_dir, cfg)
    cfg = exp.cfg
    job = bundle_job(bundle, mode)
    hw = run_job(BLOCK, cfg.params(), cfg.tag(), job, sim, waves=waves, work=work,
                 decode=lambda res: decode(cfg, exp.written(), res))
    if check:
        check_or_raise(exp, hw, f"{mode} load", f"{sim} ({bundle.path})")
    return hw


def wave_groups(cfg: TopConfig) -> dict[str, list[Trace]]:
    """GTKWave groups under top_harness: APB, the accelerator's output rows, the tap, LeBug."""
    return {
        "APB": [Trace("psel"), Trace("penable"), Trace("pwrite"), Trace("paddr", 24), Trace("pwdata", 32),
                Trace("prdata", 32), Trace("pslverr")],
        "Accelerator rows": [Trace("dut.st_valid"), Trace("dut.st_eof", 2), *lanes("out_x", cfg.sys.K, 32, "C lane")],
        "LeBug input": [Trace("dut.lb_valid"), Trace("dut.lb_ready"),
                        *[Trace(f"vec[{i}].in_x", cfg.lebug.DATA_W, SDEC, f"LeBug in {i}")
                          for i in range(cfg.lebug.N)]],
        "Status": [Trace("busy"), Trace("done"), Trace("idle"), job_state()],
    }
