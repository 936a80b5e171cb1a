"""The three benchmark workloads, each runnable on every simulator of tb.runner.

Workloads (fixed seeds, so every simulator sees the same stimulus):
  lebug_distribution  LeBug (N=8, M=4, DATA_W=32) distribution firmware, 16 bins, on
                      10,000 random vectors (frames of 64)
  gemm_128            a 128x128x128 int8 GEMM on the K=8 systolic array (gemm_layout)
  mlp_digits_100      the two GEMM layers of examples/digits_mlp.onnx (full-int8) on the
                      first 100 digits test images: tb.top.deploy.RtlGemm on accel_top,
                      one backdoor-loaded bundle per layer (batch 100), LeBug's
                      distribution firmware histogramming each layer's output on the tap

Simulators (SIMS): icarus and verilator (cocotb), verilator-native (tb/common/job_main.v,
no Python) from tb.runner.SIMULATORS, and icarus-plain (the same job_main under
iverilog/vvp) from tb.runner.BASELINES, the cocotb-overhead baseline. Every one runs the
same harness job through tb.runner.run_job.

Workload.run(sim) runs once and checks the run against the model (LeBug emulator,
systolic model and numpy's A @ B, the top model and gemm_int and the integer logits);
a Sample carries the run's wall seconds (the simulation processes, builds excluded:
tb.job.JobResult.wall_s), its simulated cycles (JobResult.job_cycles, summed over the
MLP's calls; identical on every simulator) and what `same()` compares across simulators:
every result array, register value and the per-phase cycle counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pymodel.compare import first_mismatch
from pymodel.deploy.evaluate import load_model, shaped
from pymodel.deploy.gemm_calls import eval_config, hist_edges, layer_outputs
from pymodel.deploy.scenario import load_scenario
from pymodel.errors import AccelscopeError
from pymodel.lebug import LebugConfig, build, default_thresholds, emulate
from pymodel.net import digits
from pymodel.net.quant import quantize
from pymodel.net.steps import GemmStep
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.job import mismatches
from pymodel.systolic.layout import gemm_layout, unpack_rows
from pymodel.systolic.model import MULT_BITS
from pymodel.systolic.model import run as model_run
from pymodel.systolic.scenarios import reference_gemm
from tb.lebug.jobs import run_lebug
from tb.runner import SIMULATORS, check_simulator
from tb.systolic.jobs import run_systolic
from tb.top import deploy
from tb.top.deploy import RtlGemm

ROOT = Path(__file__).resolve().parents[1]
SIMS = ("icarus", "verilator", "verilator-native", "icarus-plain")


@dataclass
class Sample:
    wall_s: float
    cycles: int
    outputs: dict[str, Any]  # name -> array, dict of ints or int: compared across simulators


@dataclass
class Workload:
    name: str
    description: str
    run: Callable[[str], Sample]


def availability(sim: str) -> str:
    """"" when `sim` can run here, else the reason (one line)."""
    try:
        check_simulator(sim, baselines=True)
    except AccelscopeError as e:
        return str(e)
    return ""


def differences(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """The first difference between two Sample.outputs (None when identical)."""
    if sorted(a) != sorted(b):
        return f"different outputs: {sorted(a)} vs {sorted(b)}"
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, dict):
            bad = [f"{f}: {x.get(f)} vs {y.get(f)}" for f in sorted(set(x) | set(y)) if x.get(f) != y.get(f)]
            if bad:
                return f"{k}: {bad[0]}"
        elif isinstance(x, np.ndarray):
            msg = first_mismatch(x, y)
            if msg:
                return f"{k}: {msg}"
        elif x != y:
            return f"{k}: {x} vs {y}"
    return None


def job_outputs(prefix: str, job: Any) -> dict[str, Any]:
    """A harness run's raw read-back words, its per-phase cycle counts and its RUN window
    (clock cycles since time 0) (tb.job.JobResult)."""
    return {f"{prefix}reads": np.asarray(job.reads),
            f"{prefix}cycles": {**job.cycles(), "run_start": job.run_window[0], "run_end": job.run_window[1]}}


# --------------------------------------------------------------------------
# LeBug distribution on 10,000 vectors
# --------------------------------------------------------------------------

def lebug_distribution(vectors: int = 10_000) -> Workload:
    cfg = LebugConfig(N=8, M=4, DATA_W=32)
    fw = build("distribution", cfg, bins=16)
    thr = fw.thresholds if fw.thresholds is not None else default_thresholds(cfg)
    rng = np.random.default_rng(6)
    x = rng.integers(-2, 18, size=(vectors, cfg.N))
    eof = np.zeros((vectors, 2), dtype=np.int64)
    eof[63::64, 0] = 1
    eof[-1, 1] = 1
    exp = emulate(cfg, fw, x, eof, thr)
    want_status = exp.status.as_dict()

    def run(sim: str) -> Sample:
        r = run_lebug(cfg, fw, thr, x, eof, sim)
        msg = first_mismatch(exp.tb_mem, r.tb_mem)
        if msg:
            raise AccelscopeError(f"lebug on {sim}: trace buffer differs from the emulator: {msg}")
        bad = [f"{k}: expected {v}, actual {r.status.get(k)}" for k, v in want_status.items() if r.status.get(k) != v]
        if bad:
            raise AccelscopeError(f"lebug on {sim}: status differs from the emulator: {bad[0]}")
        return Sample(r.result.wall_s, r.result.job_cycles,
                      {"tb_mem": r.tb_mem, "status": dict(r.status), **job_outputs("", r.result)})

    return Workload("lebug_distribution" if vectors == 10_000 else f"lebug_distribution_{vectors}",
                    f"LeBug distribution (16 bins, N=8, M=4, DATA_W=32) on {vectors:,} vectors, frames of 64", run)


# --------------------------------------------------------------------------
# 128^3 GEMM at K=8
# --------------------------------------------------------------------------

def gemm(size: int = 128, K: int = 8) -> Workload:
    cfg = SystolicConfig.for_array(K)
    rng = np.random.default_rng(128)
    a = rng.integers(-128, 128, size=(size, size))
    b = rng.integers(-128, 128, size=(size, size))
    descs, images = gemm_layout(cfg, a, b)
    exp = model_run(cfg, descs, images)
    ref = reference_gemm(a, b, None, False)
    nt = descs[0].nt(K)

    def run(sim: str) -> Sample:
        hw = run_systolic(cfg, descs, images, sim)
        problems = mismatches(exp, hw)
        if problems:
            raise AccelscopeError(f"gemm on {sim}: differs from the systolic model: {problems[0]}")
        msg = first_mismatch(ref, unpack_rows(hw.mems["out"], 0, nt, size, size, K))
        if msg:
            raise AccelscopeError(f"gemm on {sim}: C differs from A @ B: {msg}")
        return Sample(hw.job.wall_s, hw.job.job_cycles,
                      {**{f"mem_{k}": v for k, v in hw.mems.items()}, "stream": hw.stream, "eof": hw.eof,
                       "counters": dict(hw.counters), "status": dict(hw.status), **job_outputs("", hw.job)})

    return Workload(f"gemm_{size}", f"{size}x{size}x{size} int8 GEMM on the K={K} systolic array", run)


# --------------------------------------------------------------------------
# 100 digits-MLP inferences (two GEMMs on accel_top, bundles loaded by backdoor)
# --------------------------------------------------------------------------

@contextmanager
def recording_replays(calls: list[Any]) -> Iterator[None]:
    """Keep the HwResult (and its tb.job.JobResult) of every replay RtlGemm makes."""
    real = deploy.replay

    def replay(*args: Any, **kwargs: Any) -> Any:
        hw = real(*args, **kwargs)
        calls.append(hw)
        return hw

    deploy.replay = replay
    try:
        yield
    finally:
        deploy.replay = real


def mlp_digits(images: int = 100) -> Workload:
    sc = load_scenario(ROOT / "examples" / "digits_mlp_scenario.json", [*SIMULATORS, "model"])
    net = load_model(sc)
    data = digits.load()
    qnet = quantize(net, shaped(data.x_train, net), sc.mode, mult_bits=MULT_BITS)
    xs = shaped(data.x_test, net)[:images]
    want = qnet.run(xs)
    layers = [s for s in qnet.steps if isinstance(s, GemmStep)]

    outputs = layer_outputs(qnet, layers, xs)
    cfg = eval_config(sc.array, sc.lebug)
    edges = [hist_edges(outputs[i], s.out_int8, cfg.lebug.DATA_W) for i, s in enumerate(layers)]

    def run(sim: str) -> Sample:
        calls: list[Any] = []
        rtl = RtlGemm(cfg, sim=sim, edges=edges)  # each call: checked against gemm_int and the top model
        with recording_replays(calls):
            got = qnet.run(xs, gemm=rtl)  # one RTL run per GEMM layer (batch = all images)
        if len(calls) != len(layers):
            raise AccelscopeError(f"mlp on {sim}: {len(calls)} RTL runs for {len(layers)} GEMM layers")
        msg = first_mismatch(want, got)
        if msg:
            raise AccelscopeError(f"mlp on {sim}: RTL logits differ from the integer model's: {msg}")
        out: dict[str, Any] = {"logits": np.asarray(got)}
        for i, hw in enumerate(calls):
            p = f"layer{i}_"
            out.update({f"{p}mem_{k}": v for k, v in hw.mems.items()})
            out.update({f"{p}stream": hw.stream, f"{p}eof": hw.eof, f"{p}trace": hw.trace,
                        f"{p}regs": {**hw.counters, **{f"tap_{k}": v for k, v in hw.tap.items()},
                                     "maxfill": hw.maxfill, **{f"lebug_{k}": v for k, v in hw.lebug_status.items()},
                                     **{f"status_{k}": v for k, v in hw.status.items()}},
                        **job_outputs(p, hw.job)})
        return Sample(sum(hw.job.wall_s for hw in calls), sum(hw.job.job_cycles for hw in calls), out)

    return Workload(f"mlp_digits_{images}",
                    f"digits MLP, {images} inferences: {len(layers)} GEMM layers on accel_top (K={cfg.sys.K}), "
                    f"one backdoor-loaded bundle per layer", run)


WORKLOADS: dict[str, Callable[..., Workload]] = {
    "lebug_distribution": lebug_distribution, "gemm_128": gemm, "mlp_digits_100": mlp_digits}
QUICK = {"lebug_distribution": {"vectors": 2_000}, "gemm_128": {"size": 32}, "mlp_digits_100": {"images": 20}}

