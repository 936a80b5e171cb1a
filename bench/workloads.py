"""The three benchmark workloads and their runs on each simulation path.

Workloads (fixed seeds, so every path sees the same stimulus):
  lebug_distribution  LeBug (N=8, M=4, DATA_W=32) distribution firmware, 16 bins, on
                      10,000 random vectors (frames of 64)
  gemm_128            a 128x128x128 int8 GEMM on the K=8 systolic array
  mlp_digits_100      the two GEMMs of examples/digits_mlp.onnx on 100 digits test images
                      (full-int8, LeBug distribution on the tap), one bundle per GEMM layer
                      (batch 100), backdoor-loaded into accel_top as `accelscope eval` does

Paths:
  cocotb    cocotb + Icarus through the project's own entry points (pymodel.lebug.rtl /
            pymodel.systolic.rtl run_job_on_rtl, pymodel.deploy.RtlGemm -> replay_on_rtl);
            wall = the call (the vvp process with cocotb inside, plus the runner's few ms)
  plain     tb/plain/ testbenches, iverilog + vvp, no Python (bench/plain.py);
            wall = the vvp process
  native    pymodel.native (verilator --binary --timing); wall = the binary's process

Every run is checked: against the model (emulator / systolic model / top model) and the
whole result arrays of every path against the cocotb path's. Builds happen in warm-up
runs and are never timed. Simulated cycles are each path's own count of clock cycles
from time 0 to the end of the run (reset, programming, run and read-back).
"""

from __future__ import annotations

import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from pymodel.compare import assert_equal
from pymodel.errors import AccelscopeError
from pymodel.simrun import REPO, SIM_BUILD

WORK = SIM_BUILD / "bench"
CLK_NS = 10
PATHS = ("cocotb", "plain", "native")


@dataclass
class Sample:
    wall_s: float
    cycles: int


@dataclass
class Workload:
    name: str
    description: str
    runners: dict[str, Callable[[], Sample]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)  # path -> reason


def native_module() -> tuple[Any, str]:
    """(pymodel.native, "") or (None, why it is not available)."""
    try:
        from pymodel import native
        from pymodel.simrun import check_simulator

        check_simulator("verilator-native")
        for fn in ("run_lebug_native", "run_systolic_native", "replay_native"):
            if not hasattr(native, fn):
                return None, f"pymodel.native has no {fn}"
        return native, ""
    except ImportError as e:
        return None, f"pymodel.native not importable ({e})"
    except AccelscopeError as e:
        return None, str(e)


def cocotb_sim_cycles(results_xml: Path) -> int:
    """Simulated cycles of a cocotb run: the sum of its tests' sim_time_duration (ns) / 10 ns."""
    text = results_xml.read_text()
    ns = sum(float(v) for v in re.findall(r'name="sim_time_duration" value="([0-9.eE+-]+)"', text))
    if ns <= 0:
        raise AccelscopeError(f"{results_xml}: no simulated time recorded")
    return round(ns / CLK_NS)


def _same_status(what: str, a: dict[str, int], b: dict[str, int]) -> None:
    if a != b:
        raise AccelscopeError(f"{what}: {a} != {b}")


# --------------------------------------------------------------------------
# LeBug distribution on 10,000 vectors
# --------------------------------------------------------------------------


def lebug_distribution(vectors: int = 10_000) -> Workload:
    from bench import plain
    from pymodel.lebug import LebugConfig, build, default_thresholds, emulate
    from pymodel.lebug.job import LebugJob
    from pymodel.lebug.rtl import build_dir_for, run_job_on_rtl

    cfg = LebugConfig(N=8, M=4, DATA_W=32)
    fw = build("distribution", cfg, bins=16)
    thr = fw.thresholds if fw.thresholds is not None else default_thresholds(cfg)
    rng = np.random.default_rng(6)
    x = rng.integers(-2, 18, size=(vectors, cfg.N))
    eof = np.zeros((vectors, 2), dtype=np.int64)
    eof[63::64, 0] = 1
    eof[-1, 1] = 1
    job = LebugJob(cfg, fw, thr, x, eof)
    exp = emulate(cfg, fw, x, eof, thr)

    def check(path: str, mem: np.ndarray, status: dict[str, int]) -> None:
        assert_equal(f"lebug {path}: trace buffer vs emulator", exp.tb_mem, mem)
        _same_status(f"lebug {path}: status vs emulator", exp.status.as_dict(), status)

    def cocotb() -> Sample:
        t0 = time.perf_counter()
        mem, status = run_job_on_rtl(job)
        wall = time.perf_counter() - t0
        check("cocotb", mem, status)
        return Sample(wall, cocotb_sim_cycles(build_dir_for(cfg) / "results.xml"))

    pr = plain.prepare_lebug(job, WORK / "plain_lebug")

    def plain_run() -> Sample:
        wall, cycles = plain.run(pr)
        check("plain", *pr.parse())
        return Sample(wall, cycles)

    w = Workload("lebug_distribution", f"LeBug distribution (16 bins, N=8, M=4, DATA_W=32) on {vectors:,} vectors",
                 {"cocotb": cocotb, "plain": plain_run})
    native, why = native_module()
    if native is None:
        w.unavailable["native"] = why
    else:
        def native_run() -> Sample:
            st: dict[str, Any] = {}
            mem, status = native.run_lebug_native(job, stats=st)
            check("native", mem, status)
            return Sample(st["wall_s"], st["sim_cycles"])
        w.runners["native"] = native_run
    return w


# --------------------------------------------------------------------------
# 128^3 GEMM at K=8
# --------------------------------------------------------------------------


def _same_systolic(what: str, a: Any, b: Any) -> None:
    for name in a.mems:
        assert_equal(f"{what}: scratchpad {name}", a.mems[name], b.mems[name])
    assert_equal(f"{what}: stream rows", a.stream, b.stream)
    assert_equal(f"{what}: stream eof", a.eof, b.eof)
    _same_status(f"{what}: counters", a.counters, b.counters)
    _same_status(f"{what}: status", a.status, b.status)


def gemm(size: int = 128, K: int = 8) -> Workload:
    from bench import plain
    from pymodel.systolic.config import SystolicConfig
    from pymodel.systolic.job import SystolicJob
    from pymodel.systolic.layout import gemm_layout
    from pymodel.systolic.model import run
    from pymodel.systolic.rtl import build_dir_for, mismatches, run_job_on_rtl

    cfg = SystolicConfig.for_array(K)
    rng = np.random.default_rng(128)
    a = rng.integers(-128, 128, size=(size, size))
    b = rng.integers(-128, 128, size=(size, size))
    descs, images = gemm_layout(cfg, a, b)
    exp = run(cfg, descs, images)
    job = SystolicJob(cfg, descs, images)
    ref: dict[str, Any] = {}

    def check(path: str, hw: Any) -> None:
        problems = mismatches(exp, hw)
        if problems:
            raise AccelscopeError(f"gemm {path}: " + "; ".join(problems))
        if "hw" in ref:
            _same_systolic(f"gemm {path} vs cocotb", ref["hw"], hw)

    def cocotb() -> Sample:
        t0 = time.perf_counter()
        hw = run_job_on_rtl(job)
        wall = time.perf_counter() - t0
        check("cocotb", hw)
        ref.setdefault("hw", hw)
        return Sample(wall, cocotb_sim_cycles(build_dir_for(cfg) / "results.xml"))

    pr = plain.prepare_systolic(job, WORK / "plain_gemm")

    def plain_run() -> Sample:
        wall, cycles = plain.run(pr)
        check("plain", pr.parse())
        return Sample(wall, cycles)

    w = Workload(f"gemm_{size}", f"{size}x{size}x{size} int8 GEMM on the K={K} systolic array",
                 {"cocotb": cocotb, "plain": plain_run})
    native, why = native_module()
    if native is None:
        w.unavailable["native"] = why
    else:
        def native_run() -> Sample:
            st: dict[str, Any] = {}
            hw = native.run_systolic_native(job, stats=st)
            check("native", hw)
            return Sample(st["wall_s"], st["sim_cycles"])
        w.runners["native"] = native_run
    return w


# --------------------------------------------------------------------------
# 100 digits-MLP inferences (two GEMMs on accel_top, bundles loaded by backdoor)
# --------------------------------------------------------------------------


def _same_top(what: str, a: Any, b: Any) -> None:
    for name in a.mems:
        assert_equal(f"{what}: {name} outputs", a.mems[name], b.mems[name])
    for f in ("stream", "eof", "trace"):
        assert_equal(f"{what}: {f}", getattr(a, f), getattr(b, f))
    for f in ("counters", "tap", "lebug_status"):
        _same_status(f"{what}: {f}", getattr(a, f), getattr(b, f))
    if a.maxfill != b.maxfill:
        raise AccelscopeError(f"{what}: tap maxfill {a.maxfill} != {b.maxfill}")


@contextmanager
def _recording_replays(store: Path, calls: list[dict[str, Any]]) -> Iterator[None]:
    """Time every RtlGemm replay (cocotb) and keep a copy of its bundle for the other paths."""
    from pymodel.deploy import rtl_gemm
    from pymodel.top.rtl import build_dir_for

    real = rtl_gemm.replay_on_rtl

    def replay(bundle_dir: Path, cfg: Any, mode: str = "apb", sim: str = "icarus", waves: bool = False) -> Any:
        keep = store / f"layer{len(calls)}"
        if keep.exists():
            shutil.rmtree(keep)
        shutil.copytree(bundle_dir, keep)
        t0 = time.perf_counter()
        hw = real(bundle_dir, cfg, mode=mode, sim=sim, waves=waves)
        wall = time.perf_counter() - t0
        calls.append({"bundle": keep, "cfg": cfg, "mode": mode, "hw": hw, "wall_s": wall,
                      "cycles": cocotb_sim_cycles(build_dir_for(cfg, waves) / "results.xml")})
        return hw

    rtl_gemm.replay_on_rtl = replay
    try:
        yield
    finally:
        rtl_gemm.replay_on_rtl = real


def mlp_digits(images: int = 100) -> Workload:
    from bench import plain
    from pymodel.deploy.evaluate import layer_outputs, load_model, shaped
    from pymodel.deploy.rtl_gemm import RtlGemm, eval_config, hist_edges
    from pymodel.deploy.scenario import load_scenario
    from pymodel.net import digits
    from pymodel.net.quant import quantize
    from pymodel.net.steps import GemmStep
    from pymodel.top.compile import MULT_BITS

    sc = load_scenario(REPO / "examples" / "digits_mlp_scenario.json")
    net = load_model(sc)
    data = digits.load()
    qnet = quantize(net, shaped(data.x_train, net), sc.mode, mult_bits=MULT_BITS)
    xs = shaped(data.x_test, net)[:images]
    want = qnet.run(xs)
    layers = [s for s in qnet.steps if isinstance(s, GemmStep)]

    class _Sc:  # layer_outputs needs only the batch size
        batch = images

    outputs = layer_outputs(_Sc, layers, qnet, xs)  # type: ignore[arg-type]
    edges = [hist_edges(outputs[i], s.out_int8) for i, s in enumerate(layers)]
    cfg = eval_config(sc.array)
    store = WORK / "mlp_bundles"
    store.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {}

    def cocotb() -> Sample:
        calls: list[dict[str, Any]] = []
        rtl = RtlGemm(cfg, sim="icarus", edges=edges)
        with _recording_replays(store, calls):
            got = qnet.run(xs, gemm=rtl)  # one RTL run per GEMM layer (batch = all images)
        if not np.array_equal(got, want):
            raise AccelscopeError("mlp cocotb: RTL logits differ from the integer model's")
        if "calls" in state:
            for i, (c, r) in enumerate(zip(calls, state["calls"])):
                _same_top(f"mlp layer {i}: cocotb run vs first cocotb run", r["hw"], c["hw"])
        else:
            state["calls"] = calls
        return Sample(sum(c["wall_s"] for c in calls), sum(c["cycles"] for c in calls))

    w = Workload(f"mlp_digits_{images}",
                 f"digits MLP, {images} inferences: {len(layers)} GEMM layers on accel_top (K={cfg.sys.K}), "
                 f"one backdoor-loaded bundle per layer", {"cocotb": cocotb})

    def plain_run() -> Sample:
        from tb.top.test_top import check

        if "plain" not in state:  # the bundles exist after the first cocotb run
            state["plain"] = [plain.prepare_top(c["bundle"], c["cfg"], WORK / f"plain_mlp{i}", c["mode"])
                              for i, c in enumerate(state["calls"])]
        wall, cycles = 0.0, 0
        for i, ((pr, exp), c) in enumerate(zip(state["plain"], state["calls"])):
            t, n = plain.run(pr)
            wall, cycles = wall + t, cycles + n
            hw = pr.parse()
            check(exp, hw, f"mlp layer {i} plain")
            _same_top(f"mlp layer {i}: plain vs cocotb", c["hw"], hw)
        return Sample(wall, cycles)

    w.runners["plain"] = plain_run
    native, why = native_module()
    if native is None:
        w.unavailable["native"] = why
    else:
        def native_run() -> Sample:
            wall, cycles = 0.0, 0
            for i, c in enumerate(state["calls"]):
                st: dict[str, Any] = {}
                hw = native.replay_native(c["bundle"], c["cfg"], mode=c["mode"], stats=st)
                _same_top(f"mlp layer {i}: native vs cocotb", c["hw"], hw)
                wall, cycles = wall + st["wall_s"], cycles + st["sim_cycles"]
            return Sample(wall, cycles)
        w.runners["native"] = native_run
    return w


WORKLOADS = {"lebug_distribution": lebug_distribution, "gemm_128": gemm, "mlp_digits_100": mlp_digits}
