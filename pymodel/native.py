"""The native fast path: self-contained SystemVerilog testbenches (tb/native/) built with
`verilator --binary --timing` and run as plain executables, no cocotb, no Python in the loop.

Each testbench mirrors a cocotb `run_job` test: it loads $readmemh images named by
plusargs, programs the block over its real APB port, runs to done/idle, and writes the
outputs, output-row stream, counters, status and LeBug trace buffer to files
($writememh/$fwrite). This module builds the binary (once per HDL parameter set, in
sim_build/native/<block>/<cfg.tag()>/, under a file lock; rebuilt only when a source is
newer than the binary or the verilator command line changed), writes the inputs, runs
it, parses the files into the same result objects the cocotb paths return and compares
them with the model using the same helpers (pymodel.compare; first mismatch with index,
expected and actual).

API (every function raises AccelscopeError when the build or the run fails, with the log
tail, or when the hardware disagrees with the model):

    run_lebug_native(job, *, check=True, timeout=None, stats=None) -> (tb_mem, status)
        a pymodel.lebug.job.LebugJob: program, play job.x/job.eof, read back; returns the
        trace-buffer memory (TB_DEPTH, N) and the status dict, as
        pymodel.lebug.rtl.run_job_on_rtl does; compared with pymodel.lebug.emulate.
    run_systolic_native(job, *, check=True, timeout=None, stats=None) -> HardwareResult
        a pymodel.systolic.job.SystolicJob: backdoor-load, program, run, dump; returns a
        pymodel.systolic.job.HardwareResult (wall_s = the binary's wall time), as
        pymodel.systolic.rtl.run_job_on_rtl does; compared with pymodel.systolic.model.run.
    replay_native(bundle_dir, cfg, mode="apb", *, check=True, timeout=None, stats=None) -> HwResult
        a compiled bundle on accel_top, mode "apb" (the bundle's prog/0PROG_A + 0PROG_D
        replayed by the testbench's APB master) or "backdoor" (scratchpad images
        $readmemh'd into dut.u_sys.u_*.mem, LeBug memories and registers over APB);
        returns a pymodel.top.rtl.HwResult, as pymodel.top.rtl.replay_on_rtl does;
        compared with pymodel.top.model.expected.
    gemm_native(a, b, bias=None, relu=False, K=8) -> pymodel.systolic.scenarios.GemmRun
        `accelscope gemm --sim verilator-native`.

Keyword arguments: check=False skips the comparison with the model (the result is still
parsed); timeout is the +TIMEOUT cycle limit for each wait on the DUT (default: generous,
from the model's cycle count); stats, a dict, receives the NativeStats fields below.

NativeStats (also `last_stats()`, the latest run in this process):
    sim_cycles  clock cycles the binary simulated (reset, programming, run, read-back)
    run_cycles  cycles from the start write (LeBug: the first vector) to done/idle
    wall_s      wall time of the binary run (not the build)
    build_s     wall time spent building in this call (0.0 when the binary was current)
    binary, log paths of the executable and of the run's log (sim_build/native/.../sim.log)
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from pymodel.compare import MismatchError, assert_equal, assert_same_counters
from pymodel.errors import AccelscopeError
from pymodel.simrun import REPO, SIM_BUILD, check_simulator, rtl_sources

TB_DIR = REPO / "tb" / "native"
BUILD_ROOT = SIM_BUILD / "native"
LEBUG_CHUNK = 65536  # vectors per stimulus file = lebug_tb's STIM_DEPTH
PROG_DEPTH_SMALL = 4096  # lebug_tb / systolic_tb record arrays
PROG_DEPTH_TOP = 1 << 20  # top_tb record array (a whole bundle)
LOG_TAIL = 25


@dataclass
class NativeStats:
    sim_cycles: int = 0
    run_cycles: int = 0
    wall_s: float = 0.0
    build_s: float = 0.0
    binary: str = ""
    log: str = ""


_LAST = NativeStats()


def last_stats() -> NativeStats:
    """Statistics of the latest native run in this process."""
    return _LAST


# --------------------------------------------------------------------------
# build and run
# --------------------------------------------------------------------------

@dataclass
class _Bench:
    top: str  # testbench module (tb/native/<top>.sv)
    blocks: tuple[str, ...]  # rtl/ directories
    build_dir: Path
    params: Mapping[str, int]

    @property
    def binary(self) -> Path:
        return self.build_dir / "obj" / self.top

    def sources(self) -> list[Path]:
        return rtl_sources(*self.blocks) + [TB_DIR / f"{self.top}.sv"]


def _tail(path: Path, n: int = LOG_TAIL) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def build(bench: _Bench) -> float:
    """Build the testbench binary unless it is newer than every source and was built with the
    same command line; returns the seconds spent building."""
    check_simulator("verilator-native")
    bench.build_dir.mkdir(parents=True, exist_ok=True)
    sources = bench.sources()
    inputs = sources + [TB_DIR / "native_common.svh"]
    cmd = ["verilator", "--binary", "--timing", "--timescale", "1ns/1ps", "-j", str(os.cpu_count() or 1),
           "--top-module", bench.top, f"-I{TB_DIR}", "-Mdir", str(bench.build_dir / "obj"), "-o", bench.top,
           *(f"-G{k}={v}" for k, v in bench.params.items()), *map(str, sources)]
    stamp = bench.build_dir / "command.txt"  # the command line of the current binary
    with open(bench.build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build per directory (xdist workers, CLI runs)
        exe = bench.binary
        if (exe.exists() and stamp.exists() and stamp.read_text() == " ".join(cmd)
                and exe.stat().st_mtime > max(p.stat().st_mtime for p in inputs)):
            return 0.0
        log = bench.build_dir / "build.log"
        stamp.unlink(missing_ok=True)
        t0 = time.perf_counter()
        with open(log, "w") as f:
            f.write(" ".join(cmd) + "\n")
            f.flush()
            rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=REPO).returncode
        if rc != 0 or not exe.exists():
            raise AccelscopeError(f"verilator build of {bench.top} failed (exit {rc}; log: {log}):\n{_tail(log)}")
        os.utime(exe)  # make may keep an unchanged binary: mark it current for the next check
        stamp.write_text(" ".join(cmd))
        return time.perf_counter() - t0


def _run(bench: _Bench, plusargs: Sequence[str], work: Path, stats: dict[str, Any] | None) -> NativeStats:
    """Build if needed, run the binary with plusargs in `work`, and read summary.txt."""
    global _LAST
    build_s = build(bench)
    log = work / "sim.log"
    t0 = time.perf_counter()
    with open(log, "w") as f:
        rc = subprocess.run([str(bench.binary), *plusargs], stdout=f, stderr=subprocess.STDOUT, cwd=work,
                            stdin=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - t0
    keep = bench.build_dir / "sim.log"  # the latest run's log outlives the work directory
    shutil.copyfile(log, keep)
    summary = work / "summary.txt"
    if rc != 0 or not summary.exists():
        how = f"exit {rc}" if rc >= 0 else f"aborted by signal {-rc}"  # $fatal aborts under Verilator
        raise AccelscopeError(f"native simulation ({bench.top}) failed ({how}; log: {keep}):\n{_tail(log)}")
    m = re.match(r"cycles (\d+) run_cycles (\d+)", summary.read_text())
    if not m:
        raise AccelscopeError(f"{summary}: unreadable summary {summary.read_text()[:80]!r}")
    st = NativeStats(int(m.group(1)), int(m.group(2)), wall, build_s, str(bench.binary), str(keep))
    _LAST = st
    if stats is not None:
        stats.update(asdict(st))
    return st


def _timeout(expected_cycles: int, timeout: int | None) -> str:
    return f"+TIMEOUT={timeout if timeout is not None else 4 * int(expected_cycles) + 1_000_000}"


# --------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------

def read_words(path: Path, count: int | None = None) -> list[int]:
    """A $writememh file as unsigned integers (comment and @address lines skipped)."""
    try:
        text = path.read_text()
    except OSError as e:
        raise AccelscopeError(f"native simulation wrote no {path.name}: {e.strerror}") from None
    out = []
    for i, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("//") or s.startswith("@"):
            continue
        try:
            out.append(int(s, 16))
        except ValueError:
            raise AccelscopeError(f"{path}:{i}: not hex (undefined X/Z bits?): {s[:40]!r}") from None
    if count is not None and len(out) != count:
        raise AccelscopeError(f"{path}: {len(out)} words, expected {count}")
    return out


def _signed32(words: Sequence[int]) -> np.ndarray:
    v = np.asarray(words, dtype=np.int64)
    return np.where(v >= 1 << 31, v - (1 << 32), v)


def write_records(work: Path, records: Sequence[tuple[int, int]], depth: int) -> list[str]:
    """PROG-style files for the testbench's APB replay; returns the plusargs."""
    if len(records) > depth:
        raise AccelscopeError(f"{len(records)} APB records exceed the testbench's PROG_DEPTH {depth}")
    (work / "prog_a.hex").write_text("".join(f"{a & 0xFFFFFFFF:08x}\n" for a, _ in records))
    (work / "prog_d.hex").write_text("".join(f"{d & 0xFFFFFFFF:08x}\n" for _, d in records))
    return [f"+PROG_A={work / 'prog_a.hex'}", f"+PROG_D={work / 'prog_d.hex'}", f"+N_RECORDS={len(records)}"]


def pack_vectors(x: np.ndarray, lane_bits: int) -> str:
    """(n, L) signed lanes -> $readmemh text, one L*lane_bits-bit word a line, lane 0 lowest."""
    x = np.asarray(x, dtype=np.int64)
    n, lanes = x.shape
    mask = (1 << lane_bits) - 1
    if lane_bits % 4 == 0:
        digits = lane_bits // 4
        u = (x & mask).astype(np.uint64)[:, ::-1]  # most significant lane first
        shifts = np.arange(digits - 1, -1, -1, dtype=np.uint64) * np.uint64(4)
        nib = ((u[:, :, None] >> shifts) & np.uint64(0xF)).astype(np.uint8).reshape(n, lanes * digits)
        chars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[nib]
        text = np.concatenate([chars, np.full((n, 1), ord("\n"), np.uint8)], axis=1)
        return text.tobytes().decode()
    width = (lanes * lane_bits + 3) // 4
    return "".join(f"{sum((int(v) & mask) << (i * lane_bits) for i, v in enumerate(row)):0{width}x}\n"
                   for row in x.tolist())


def _mismatch(problem: MismatchError | str) -> AccelscopeError:
    return AccelscopeError(f"verilator-native disagrees with the model: {problem}")


# --------------------------------------------------------------------------
# LeBug
# --------------------------------------------------------------------------

def lebug_bench(cfg) -> _Bench:
    return _Bench("lebug_tb", ("lebug",), BUILD_ROOT / "lebug" / cfg.tag(), cfg.params())


def run_lebug_native(job, *, check: bool = True, timeout: int | None = None,
                     stats: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, int]]:
    """Program, play and read back a LebugJob on the native LeBug testbench."""
    from pymodel.lebug import emulate
    from pymodel.lebug import regmap as R

    cfg = job.cfg
    x = np.asarray(job.x, dtype=np.int64)
    eof = np.asarray(job.eof, dtype=np.int64).reshape(len(x), 2)
    bench = lebug_bench(cfg)
    BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BUILD_ROOT, prefix="lebug_") as tmp:
        work = Path(tmp)
        for k, r0 in enumerate(range(0, len(x), LEBUG_CHUNK)):
            (work / f"stim_{k}.hex").write_text(pack_vectors(x[r0:r0 + LEBUG_CHUNK], cfg.DATA_W))
            e = eof[r0:r0 + LEBUG_CHUNK]
            (work / f"eof_{k}.hex").write_text("".join(f"{v:x}\n" for v in (e[:, 0] | (e[:, 1] << 1)).tolist()))
        plus = [f"+DIR={work}", f"+N_VECTORS={len(x)}", f"+CHUNK={LEBUG_CHUNK}",
                _timeout(len(x) * max(1, job.firmware.num_chains), timeout)]
        plus += write_records(work, R.program_records(cfg, job.firmware, job.thresholds), PROG_DEPTH_SMALL)
        _run(bench, plus, work, stats)
        mem = _signed32(read_words(work / "trace.hex", cfg.TB_DEPTH * cfg.N)).reshape(cfg.TB_DEPTH, cfg.N)
        st, rows, drops, cycles, vectors = read_words(work / "regs.hex", 5)
    # 32-bit APB words of DATA_W-bit lanes, sign-extended by the hardware
    status = {"rows": rows, "drops": drops, "cycles": cycles, "vectors": vectors,
              "wrap": int(bool(st & R.STATUS_WRAP)), "pack_fill": (st >> 8) & 0xFF}
    if check:
        exp = emulate(cfg, job.firmware, x, eof, job.thresholds)
        try:
            assert_equal("trace buffer", exp.tb_mem, mem)
            assert_same_counters("status", exp.status.as_dict(), status)
        except MismatchError as e:
            raise _mismatch(e) from None
    return mem, status


# --------------------------------------------------------------------------
# systolic
# --------------------------------------------------------------------------

def systolic_bench(cfg) -> _Bench:
    return _Bench("systolic_tb", ("systolic",), BUILD_ROOT / "systolic" / cfg.tag(), cfg.params())


def run_systolic_native(job, *, check: bool = True, timeout: int | None = None,
                        stats: dict[str, Any] | None = None):
    """Load, program, run and dump a SystolicJob on the native systolic testbench."""
    from pymodel.systolic import regmap as R
    from pymodel.systolic.job import HardwareResult
    from pymodel.systolic.layout import extents, mem_from_hex, mem_to_hex
    from pymodel.systolic.model import MEMORIES, run
    from pymodel.systolic.rtl import mismatches, stream_from_text

    cfg = job.cfg
    exp = run(cfg, job.descriptors, job.images)
    ext = extents(cfg, job.descriptors, job.images)
    bench = systolic_bench(cfg)
    BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BUILD_ROOT, prefix="systolic_") as tmp:
        work = Path(tmp)
        plus = [f"+DIR={work}", _timeout(exp.counters.cycles, timeout)]
        for name in MEMORIES:  # words 0..ext-1 of each scratchpad, zero padded (as tb/systolic does)
            n = ext.get(name, 0)
            if not n:
                continue
            words = np.zeros((n, cfg.K), dtype=np.int64)
            img = job.images.get(name, np.zeros((0, cfg.K)))
            words[: len(img)] = img
            (work / f"{name}.hex").write_text(mem_to_hex(name, words))
            plus += [f"+N_{name.upper()}={n}", f"+DUMP_{name.upper()}={n}"]
        plus += write_records(work, R.descriptor_records(cfg, job.descriptors), PROG_DEPTH_SMALL)
        st = _run(bench, plus, work, stats)
        stream, eof = stream_from_text((work / "stream.txt").read_text(), cfg.K)
        mems = {}
        for name in MEMORIES:
            if ext.get(name, 0):
                f = work / f"dump_{name}.hex"
                mems[name] = mem_from_hex(name, f.read_text() if f.exists() else "", cfg.K, str(f))
        regs = read_words(work / "regs.hex", 6)
    counters = dict(zip(R.COUNTER_REGS, regs[:5]))
    hw = HardwareResult(mems, stream, eof, counters, R.decode_status(regs[5]), wall_s=st.wall_s)
    if check:
        problems = mismatches(exp, hw)
        if problems:
            raise _mismatch("; ".join(problems))
    return hw


def gemm_native(a: np.ndarray, b: np.ndarray, bias: np.ndarray | None = None, relu: bool = False, K: int = 8):
    """`accelscope gemm --sim verilator-native`: the model's GemmRun plus the native hardware result."""
    from pymodel.systolic.job import SystolicJob
    from pymodel.systolic.layout import gemm_layout
    from pymodel.systolic.rtl import mismatches
    from pymodel.systolic.scenarios import gemm

    res = gemm(a, b, bias, relu, K=K, sim="model")
    _, images = gemm_layout(res.cfg, a, b, bias, relu)
    res.hardware = run_systolic_native(SystolicJob(res.cfg, res.descriptors, images), check=False)
    res.problems += mismatches(res.expected, res.hardware)
    return res


# --------------------------------------------------------------------------
# accel_top: bundles
# --------------------------------------------------------------------------

TOP_REGS = 15  # regs.hex of top_tb


def top_bench(cfg) -> _Bench:
    return _Bench("top_tb", ("systolic", "lebug", "top"), BUILD_ROOT / "top" / cfg.tag(), cfg.params())


def check_top(exp, hw, name: str) -> None:
    """Every output word, stream row, counter and trace-buffer row against the model
    (the same checks as tb/top/test_top.py's check)."""
    for mem, addrs in exp.written().items():
        if addrs.size:
            assert_equal(f"{name}: {mem} outputs", exp.systolic.mems[mem][addrs], hw.mems[mem])
    assert_equal(f"{name}: stream rows", exp.systolic.stream, hw.stream)
    assert_equal(f"{name}: stream eof", exp.systolic.eof, hw.eof)
    assert_same_counters(f"{name}: systolic counters", exp.systolic.counters.as_dict(), hw.counters)
    assert_same_counters(f"{name}: tap", exp.tap, hw.tap)
    assert_same_counters(f"{name}: LeBug status", exp.lebug.status.as_dict(), hw.lebug_status)
    assert_equal(f"{name}: LeBug trace buffer", exp.lebug.tb_mem, hw.trace)


def replay_native(bundle_dir: Path, cfg, mode: str = "apb", *, check: bool = True, timeout: int | None = None,
                  stats: dict[str, Any] | None = None):
    """Replay (mode "apb") or backdoor-load (mode "backdoor") a bundle on the native accel_top testbench."""
    from pymodel.bundle import load_bundle
    from pymodel.lebug import regmap as lb
    from pymodel.systolic import regmap as sy
    from pymodel.systolic.layout import mem_from_hex
    from pymodel.systolic.rtl import stream_from_text
    from pymodel.top import regmap as tr
    from pymodel.top.model import expected
    from pymodel.top.rtl import HwResult

    if mode not in ("apb", "backdoor"):
        raise AccelscopeError(f"replay mode {mode!r}: use apb or backdoor")
    path = Path(bundle_dir).resolve()
    bundle = load_bundle(path)  # validated whole before anything runs
    exp = expected(bundle)
    if exp.cfg != cfg:
        raise AccelscopeError(f"{path}: the bundle was compiled for other hardware ({exp.cfg.tag()}) "
                              f"than requested ({cfg.tag()})")
    bench = top_bench(cfg)
    written = exp.written()
    BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BUILD_ROOT, prefix="top_") as tmp:
        work = Path(tmp)
        plus = [f"+OUT={work}", _timeout(exp.systolic.counters.cycles + exp.lebug.status.cycles, timeout)]
        if mode == "apb":
            n = len(bundle.records())  # load_bundle checked that prog/ holds exactly these
            if n > PROG_DEPTH_TOP:
                raise AccelscopeError(f"{path}: {n} PROG records exceed the testbench's PROG_DEPTH {PROG_DEPTH_TOP}")
            plus += [f"+PROG_A={path / 'prog' / '0PROG_A'}", f"+PROG_D={path / 'prog' / '0PROG_D'}", f"+N_RECORDS={n}"]
        else:
            records: list[tuple[int, int]] = []
            for m in bundle.memories:
                mem = tr.SYS_MEMS.get(m.name)
                if mem is None:  # LeBug chains and thresholds go over APB, as in tb/top
                    img = bundle.images[m.name]
                    records += [(m.base + i * m.stride + 4 * c, int(img[i, c])) for i in range(m.depth)
                                for c in range(m.chunks)]
                elif m.depth:
                    plus += [f"+LOAD_{mem.upper()}={path / m.file}", f"+N_{mem.upper()}={m.depth}"]
            records += [(r.addr, r.value) for r in bundle.registers]
            plus += write_records(work, records, PROG_DEPTH_TOP)
        for mem, addrs in written.items():
            if addrs.size:
                plus.append(f"+DUMP_{mem.upper()}={int(addrs.max()) + 1}")
        _run(bench, plus, work, stats)
        stream, eof = stream_from_text((work / "stream.txt").read_text(), cfg.sys.K)
        mems = {}
        for mem, addrs in written.items():
            if addrs.size:
                f = work / f"dump_{mem}.hex"
                mems[mem] = mem_from_hex(mem, f.read_text() if f.exists() else "", cfg.sys.K, str(f))[addrs]
        regs = read_words(work / "regs.hex", TOP_REGS)
        lcfg = cfg.lebug
        trace = _signed32(read_words(work / "trace.hex", lcfg.TB_DEPTH * lcfg.N)).reshape(lcfg.TB_DEPTH, lcfg.N)
    counters = dict(zip(sy.COUNTER_REGS, regs[:5]))
    tap = {"rows": regs[6], "drops": regs[7], "vectors": regs[8]}
    lst = regs[10]
    lstatus = {"rows": regs[11], "drops": regs[12], "cycles": regs[13], "vectors": regs[14],
               "wrap": int(bool(lst & lb.STATUS_WRAP)), "pack_fill": (lst >> 8) & 0xFF}
    hw = HwResult(mems, stream, eof, counters, tap, regs[9], lstatus, trace)
    if check:
        try:
            check_top(exp, hw, f"{mode} load")
        except MismatchError as e:
            raise _mismatch(e) from None
    return hw
