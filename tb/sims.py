"""The registered simulations of `make sim TEST=<name>` / `accelscope sim NAME`: every LeBug
library firmware (the seed's three blocks: input vectors, emulation results, hardware
results), `gemm` (a random GEMM on the systolic array) and `mlp_digits` (20 digits images
through the whole accelerator). Each prints PASS or FAIL; WAVES=1 keeps a waveform view."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

from pymodel.compare import first_mismatch
from pymodel.deploy.evaluate import evaluate
from pymodel.deploy.scenario import load_scenario
from pymodel.errors import AccelscopeError
from pymodel.lebug import LIBRARY
from pymodel.lebug import scenarios as lebug_scenarios
from pymodel.lebug.emulator import emulate
from pymodel.lebug.regmap import trace_from_mem
from pymodel.lebug.seed_vectors import SEED_BY_NAME
from tb.lebug import jobs as lebug_jobs
from tb.runner import TB_DIR, build_dir, check_simulator, sim_build_root
from tb.systolic import jobs as systolic_jobs
from tb.top.evaluation import rtl_gemm_factory, rtl_stream, scenario_sims, summary
from tb.waves import dump_file, write_view

BANNER = lebug_scenarios.BANNER


def waves_dir(test: str) -> Path:
    return sim_build_root() / "waves" / test


def run_lebug_test(name: str, sim: str = "icarus", waves: bool = False, firmware_file: str | None = None) -> int:
    """Print the seed's three blocks for one library firmware (or a firmware file); 0 on PASS."""
    check_simulator(sim)
    sc = lebug_scenarios.scenario(name, firmware_file=firmware_file)
    if sc.seed is not None:
        print(f"seed {sc.seed} (rerun with LEBUG_SEED={sc.seed})")
    print(f"config: {', '.join(f'{k}={v}' for k, v in sc.cfg.params().items())}; simulator {sim}")
    print(f"{BANNER} Input vectors {BANNER}")
    with np.printoptions(precision=3, suppress=True, linewidth=200):
        for i, v in enumerate(sc.inputs):
            eof = f"  eof={sc.eof[i].tolist()}" if sc.eof[i].any() and name not in SEED_BY_NAME else ""
            print(f"Cycle {i}: {v}{eof}")
    exp = emulate(sc.cfg, sc.firmware, sc.raw, sc.eof, sc.thresholds)
    print(f"{BANNER} Emulation results {BANNER}")
    print(lebug_scenarios.fmt(lebug_scenarios.shown(sc, exp.trace)))
    work = waves_dir(name) if waves else None
    hw = lebug_jobs.run_lebug(sc.cfg, sc.firmware, sc.thresholds, sc.raw, sc.eof, sim, waves=waves, work=work)
    hw_trace = trace_from_mem(hw.tb_mem, hw.status["rows"])
    print(f"{BANNER} Hardware results {BANNER}")
    print(lebug_scenarios.fmt(lebug_scenarios.shown(sc, hw_trace)))
    problems = [m for m in (first_mismatch(exp.tb_mem, hw.tb_mem),) if m]
    problems += [f"status {k}: expected {v}, actual {hw.status.get(k)}" for k, v in exp.status.as_dict().items()
                 if hw.status.get(k) != v]
    if name in SEED_BY_NAME:
        try:
            SEED_BY_NAME[name].check(sc.cfg, hw_trace)
        except AssertionError as e:
            problems.append(str(e))
    print(f"status: {hw.status}; cycles {hw.result.cycles()}")
    if work is not None:
        block = lebug_jobs.BLOCK
        fst = dump_file(sim, build_dir(block, sc.cfg.tag(), sim, True), work, block.toplevel)
        write_view(work, fst, sim, block.toplevel, lebug_jobs.wave_groups(sc.cfg), hw.result)
        print(f"waves: {work / 'waves.fst'} (open with: make waves TEST={name})")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("PASS")
    return 0


def run_gemm_test(sim: str = "icarus", waves: bool = False, seed: int | None = None) -> int:
    """A random GEMM on the K=8 array; prints shape, cycles, utilization, PASS/FAIL. 0 on PASS."""
    check_simulator(sim)
    seed = seed if seed is not None else int(os.environ.get("SYSTOLIC_SEED", random.randrange(1 << 31)))
    rng = np.random.default_rng(seed)
    m, kd, n = (int(v) for v in rng.integers(1, 97, size=3))
    a = rng.integers(-128, 128, size=(m, kd))
    b = rng.integers(-128, 128, size=(kd, n))
    bias = rng.integers(-(1 << 16), 1 << 16, size=n) if rng.random() < 0.5 else None
    relu = bool(rng.random() < 0.5)
    K = 8
    print(f"seed {seed} (rerun with SYSTOLIC_SEED={seed})")
    print(f"GEMM: C[{m} x {n}] = A[{m} x {kd}] @ B[{kd} x {n}]{' + bias' if bias is not None else ''}"
          f"{', ReLU' if relu else ''}; int8 operands, int32 output; {K}x{K} array; simulator {sim}")
    work = waves_dir("gemm") if waves else None
    try:
        res = systolic_jobs.gemm_on_rtl(a, b, bias, relu, K=K, sim=sim, waves=waves, work=work)
    except AccelscopeError as e:
        print(f"FAIL: {e}")
        return 1
    hw = res.hardware
    assert hw is not None
    print(f"cycles: {hw.counters['cycles']} (model {res.cycles}); busy {hw.counters['busy']}, "
          f"stalls {hw.counters['stalls']}, stream rows {len(hw.stream)}")
    print(f"MACs: {res.macs}; MAC utilization = MACs / (K*K*cycles) = {res.macs / (K * K * hw.counters['cycles']):.4f}")
    print(f"RTL wall time: {hw.wall_s:.2f} s")
    if work is not None and hw.job is not None:
        block = systolic_jobs.BLOCK
        fst = dump_file(sim, build_dir(block, res.cfg.tag(), sim, True), work, block.toplevel)
        write_view(work, fst, sim, block.toplevel, systolic_jobs.wave_groups(res.cfg), hw.job)
        print(f"waves: {work / 'waves.fst'} (open with: make waves TEST=gemm)")
    if res.problems:
        print("FAIL: " + "; ".join(res.problems))
        return 1
    print("PASS: RTL output rows, scratchpads and counters equal the model; C equals A @ B")
    return 0


def run_mlp_digits(sim: str = "icarus", waves: bool = False) -> int:
    """20 test images of the digits MLP on the RTL: accuracies, PASS when logits are bit-exact."""
    if waves:
        raise AccelscopeError("mlp_digits: --waves is not available (evaluation runs); use TEST=gemm")
    check_simulator(sim)
    examples = TB_DIR.parent / "examples"
    sc = replace(load_scenario(examples / "digits_mlp_scenario.json", scenario_sims()), samples=20, batch=20,
                 simulator=sim)
    res = evaluate(sc, rtl_gemm=rtl_gemm_factory, rtl_stream=rtl_stream)
    print(summary(res))
    ok = bool(res["bit_exact"]) and all(lay["hist_match"] and lay["tap_drops"] == 0 for lay in res["layers"])
    print("PASS: RTL logits equal the integer model bit for bit" if ok else "FAIL")
    return 0 if ok else 1


def registry() -> dict[str, Callable[[str, bool], int]]:
    reg: dict[str, Callable[[str, bool], int]] = {name: partial(run_lebug_test, name) for name in LIBRARY}
    reg["gemm"] = lambda sim, waves: run_gemm_test(sim, waves)
    reg["mlp_digits"] = run_mlp_digits
    return reg
