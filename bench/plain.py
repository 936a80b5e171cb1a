"""Plain Icarus runs (iverilog + vvp, no Python in the simulator process) of the same
stimulus the cocotb `run_job` tests apply: tb/plain/*.v around the same harnesses.

Each prepare_* writes the stimulus files from the same job/bundle objects and the same
pymodel functions the cocotb testbenches use (regmap records, hex images), and returns a
PlainRun: `cmd` (the vvp command; run it with run()) and `parse()` (the results as the
cocotb path returns them, for whole-array comparison). Builds go to sim_build/plain/ and
are reused while no source is newer (compile time is never part of a timed run).
"""

from __future__ import annotations

import fcntl
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.simrun import REPO, SIM_BUILD, TB_INCLUDE, rtl_sources

PLAIN = REPO / "tb" / "plain"
INCLUDES = sorted(PLAIN.glob("*.vh")) + sorted(TB_INCLUDE.glob("*.vh"))
SEL = {"cmd": 0, "act": 1, "wgt": 2, "bias": 3, "quant": 4, "out": 5}


@dataclass
class PlainRun:
    cmd: list[str]
    parse: Callable[[], Any]
    workdir: Path


def build(top: str, sources: Sequence[Path], params: Mapping[str, int]) -> Path:
    """iverilog with the cocotb runner's options (-g2012, -P, 1ns/1ps), rebuilt only when stale."""
    tag = "_".join(f"{k}{v}" for k, v in params.items())
    bdir = SIM_BUILD / "plain" / top / tag
    bdir.mkdir(parents=True, exist_ok=True)
    vvp = bdir / "sim.vvp"
    deps = list(sources) + INCLUDES
    with open(bdir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build per directory (xdist workers)
        if not vvp.exists() or any(p.stat().st_mtime > vvp.stat().st_mtime for p in deps):
            (bdir / "cmds.f").write_text("+timescale+1ns/1ps\n")
            cmd = ["iverilog", "-o", str(bdir / "sim.vvp.tmp"), "-s", top, "-g2012", "-I", str(PLAIN),
                   "-I", str(TB_INCLUDE),
                   *[f"-P{top}.{k}={v}" for k, v in params.items()], "-f", str(bdir / "cmds.f"),
                   *map(str, sources)]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode:
                raise AccelscopeError(f"iverilog {top} failed:\n{r.stdout}{r.stderr}")
            (bdir / "sim.vvp.tmp").replace(vvp)
    return vvp


def run(pr: PlainRun) -> tuple[float, int]:
    """Run vvp once: (wall seconds of the whole process, simulated clock cycles)."""
    t0 = time.perf_counter()
    r = subprocess.run(pr.cmd, capture_output=True, text=True, cwd=pr.workdir)
    wall = time.perf_counter() - t0
    m = re.search(r"PLAIN-TB DONE cycles=(\d+)", r.stdout)
    if r.returncode or m is None or "ERROR" in r.stdout:
        raise AccelscopeError(f"plain run failed ({' '.join(pr.cmd[:2])}):\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return wall, int(m.group(1))


def _words(path: Path) -> list[int]:
    return [int(w, 16) for w in path.read_text().split()]


def _signed32(v: np.ndarray) -> np.ndarray:
    return np.where(v & (1 << 31), v - (1 << 32), v)


# --------------------------------------------------------------------------
# LeBug: tb/plain/lebug_plain_tb.v (same stimulus player, APB programming, trace read-back)
# --------------------------------------------------------------------------


def prepare_lebug(job: Any, work: Path) -> PlainRun:
    """The stimulus of test_lebug.run_job for a pymodel.lebug.job.LebugJob."""
    from pymodel.lebug import regmap as R

    cfg = job.cfg
    work.mkdir(parents=True, exist_ok=True)
    vvp = build("lebug_plain_tb", rtl_sources("lebug") + [REPO / "tb" / "lebug" / "lebug_harness.v",
                                                          PLAIN / "lebug_plain_tb.v"], cfg.params())
    # the files TB.play writes (same packing and format)
    x, eof = np.asarray(job.x, dtype=np.int64), np.asarray(job.eof, dtype=np.int64)
    lane_mask = (1 << cfg.DATA_W) - 1
    digits = (cfg.N * cfg.DATA_W + 3) // 4
    packed = [sum((int(v) & lane_mask) << (i * cfg.DATA_W) for i, v in enumerate(row)) for row in x.tolist()]
    ctl = (eof[:, 0] | (eof[:, 1] << 1)).tolist()
    (work / "stim_data.hex").write_text("".join(f"{p:0{digits}x}\n" for p in packed))
    (work / "stim_ctl.hex").write_text("".join(f"{c:08x}\n" for c in ctl))
    (work / "prog.txt").write_text("".join(f"{a:x} {d:x}\n" for a, d in
                                           R.program_records(cfg, job.firmware, job.thresholds)))
    out = work / "plain_reads.txt"

    def parse() -> tuple[np.ndarray, dict[str, int]]:
        w = np.array(_words(out), dtype=np.int64)
        n = cfg.TB_DEPTH * cfg.N
        if len(w) != n + 5:
            raise AccelscopeError(f"{out}: {len(w)} words, expected {n + 5}")
        mem = _signed32(w[:n]).reshape(cfg.TB_DEPTH, cfg.N)
        st, rows, drops, cycles, vectors = (int(v) for v in w[n:])
        return mem, {"rows": rows, "drops": drops, "cycles": cycles, "vectors": vectors,
                     "wrap": int(bool(st & R.STATUS_WRAP)), "pack_fill": (st >> 8) & 0xFF}

    cmd = ["vvp", str(vvp), f"+PROG={work / 'prog.txt'}", f"+STIM_DATA={work / 'stim_data.hex'}",
           f"+STIM_CTL={work / 'stim_ctl.hex'}", f"+STIM_COUNT={len(x)}", f"+OUT={out}", "-none"]
    return PlainRun(cmd, parse, work)


# --------------------------------------------------------------------------
# systolic: tb/plain/systolic_plain_tb.v (same backdoor loads, APB descriptors, dumps, capture)
# --------------------------------------------------------------------------


def prepare_systolic(job: Any, work: Path) -> PlainRun:
    """The stimulus of test_systolic.run_job for a pymodel.systolic.job.SystolicJob."""
    from pymodel.systolic import regmap as R
    from pymodel.systolic.job import HardwareResult
    from pymodel.systolic.layout import extents, mem_from_hex, mem_to_hex
    from pymodel.systolic.model import MEMORIES
    from pymodel.systolic.rtl import stream_from_text

    cfg = job.cfg
    work.mkdir(parents=True, exist_ok=True)
    vvp = build("systolic_plain_tb", rtl_sources("systolic") + [REPO / "tb" / "systolic" / "systolic_harness.v",
                                                                PLAIN / "systolic_plain_tb.v"], cfg.params())
    ext = extents(cfg, job.descriptors, job.images)
    script = ["0 1 0"]  # TB.reset
    for name in MEMORIES:  # TB.load
        n = ext.get(name, 0)
        if not n:
            continue
        words = np.zeros((n, cfg.K), dtype=np.int64)
        img = job.images.get(name, np.zeros((0, cfg.K)))
        words[: len(img)] = img
        (work / f"{name}.hex").write_text(mem_to_hex(name, words))
        script.append(f"1 {SEL[name]:x} {n:x}")
    script += [f"2 {a:x} {d:x}" for a, d in R.descriptor_records(cfg, job.descriptors)]  # TB.program
    script.append(f"4 {R.REG_CTRL:x} {R.CTRL_START:x}")  # TB.execute: capture, start, wait for done
    dumped = [name for name in MEMORIES if ext.get(name, 0)]
    script += [f"5 {SEL[name]:x} {ext[name]:x}" for name in dumped]
    script += [f"3 {a:x} 0" for a in R.COUNTER_REGS.values()] + [f"3 {R.REG_STATUS:x} 0"]
    (work / "script.txt").write_text("\n".join(script) + "\n")
    out = work / "plain_reads.txt"

    def parse() -> HardwareResult:
        stream, eof = stream_from_text((work / "stream.txt").read_text(), cfg.K)
        mems = {name: mem_from_hex(name, (work / f"dump_{name}.hex").read_text(), cfg.K,
                                   str(work / f"dump_{name}.hex")) for name in dumped}
        w = _words(out)
        counters = dict(zip(R.COUNTER_REGS, w[: len(R.COUNTER_REGS)]))
        return HardwareResult(mems, stream, eof, counters, R.decode_status(w[len(R.COUNTER_REGS)]))

    cmd = ["vvp", str(vvp), f"+SCRIPT={work / 'script.txt'}", f"+OUT={out}", f"+SYS_DIR={work}", "-none"]
    return PlainRun(cmd, parse, work)


# --------------------------------------------------------------------------
# accel_top: tb/plain/top_plain_tb.v (a bundle replayed over APB or loaded by backdoor)
# --------------------------------------------------------------------------


def prepare_top(bundle_dir: Path, cfg: Any, work: Path, mode: str = "backdoor") -> tuple[PlainRun, Any]:
    """The stimulus of test_top.run_job for a bundle; returns (run, the model's TopExpected)."""
    from pymodel.bundle import load_bundle, read_prog
    from pymodel.lebug import regmap as lb
    from pymodel.systolic import regmap as sy
    from pymodel.systolic.layout import mem_from_hex
    from pymodel.systolic.rtl import stream_from_text
    from pymodel.top import regmap as tr
    from pymodel.top.model import expected
    from pymodel.top.rtl import HwResult

    work.mkdir(parents=True, exist_ok=True)
    vvp = build("top_plain_tb", rtl_sources("systolic", "lebug", "top") + [REPO / "tb" / "top" / "top_harness.v",
                                                                           PLAIN / "top_plain_tb.v"], cfg.params())
    bundle = load_bundle(Path(bundle_dir))
    exp = expected(bundle)
    script = [f"0 {cfg.lebug.CACHE_DEPTH + 4:x} 0"]  # TB.reset
    if mode == "apb":  # TB.replay
        script += [f"2 {a:x} {d:x}" for a, d in read_prog(Path(bundle_dir))]
    else:  # TB.backdoor
        records: list[tuple[int, int]] = []
        for m in bundle.memories:
            mem = tr.SYS_MEMS.get(m.name)
            if mem is None:
                img = bundle.images[m.name]
                records += [(m.base + i * m.stride + 4 * c, int(img[i, c])) for i in range(m.depth)
                            for c in range(m.chunks)]
                continue
            shutil.copyfile(Path(bundle_dir) / m.file, work / f"{mem}.hex")
            script.append(f"1 {SEL[mem]:x} {m.depth:x}")
        script += [f"2 {a:x} {d:x}" for a, d in records + [(r.addr, r.value) for r in bundle.registers]]
    script.append(f"4 {tr.SYS_BASE + sy.REG_CTRL:x} {sy.CTRL_START:x}")  # TB.run
    written = {mem: addrs for mem, addrs in exp.written().items() if addrs.size}  # TB.read_back
    script += [f"5 {SEL[mem]:x} {int(addrs.max()) + 1:x}" for mem, addrs in written.items()]
    regs = ([tr.SYS_BASE + a for a in sy.COUNTER_REGS.values()]
            + [a for k, a in tr.TAP_REGS.items() if k != "maxfill"] + [tr.REG_TAP_MAXFILL]
            + [tr.LEBUG_BASE + a for a in (lb.REG_STATUS, lb.REG_ROWS, lb.REG_DROPS, lb.REG_CYCLES,
                                           lb.REG_VECTORS)])
    lcfg = cfg.lebug
    regs += [lb.trace_addr(lcfg, r, lane, tr.LEBUG_BASE) for r in range(lcfg.TB_DEPTH) for lane in range(lcfg.N)]
    script += [f"3 {a:x} 0" for a in regs]
    (work / "script.txt").write_text("\n".join(script) + "\n")
    out = work / "plain_reads.txt"

    def parse() -> Any:
        stream, eof = stream_from_text((work / "stream.txt").read_text(), cfg.sys.K)
        mems = {mem: mem_from_hex(mem, (work / f"dump_{mem}.hex").read_text(), cfg.sys.K,
                                  str(work / f"dump_{mem}.hex"))[addrs] for mem, addrs in written.items()}
        w = _words(out)
        nc = len(sy.COUNTER_REGS)
        counters = dict(zip(sy.COUNTER_REGS, w[:nc]))
        tap_keys = [k for k in tr.TAP_REGS if k != "maxfill"]
        tap = dict(zip(tap_keys, w[nc:nc + len(tap_keys)]))
        i = nc + len(tap_keys)
        maxfill, st, rows, drops, cycles, vectors = w[i:i + 6]
        lstatus = {"rows": rows, "drops": drops, "cycles": cycles, "vectors": vectors,
                   "wrap": int(bool(st & lb.STATUS_WRAP)), "pack_fill": (st >> 8) & 0xFF}
        trace = _signed32(np.array(w[i + 6:], dtype=np.int64)).reshape(lcfg.TB_DEPTH, lcfg.N)
        return HwResult(mems, stream, eof, counters, tap, maxfill, lstatus, trace)

    cmd = ["vvp", str(vvp), f"+SCRIPT={work / 'script.txt'}", f"+OUT={out}", f"+TOP_DIR={work}", "-none"]
    return PlainRun(cmd, parse, work), exp
