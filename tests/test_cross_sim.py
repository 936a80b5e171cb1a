"""One testbench, every simulator: the same stimulus through the same harness on Icarus
(cocotb), Verilator (cocotb), the verilator-native binary and plain Icarus gives identical
trace buffers, scratchpads, stream rows, counters and cycle counts."""

from __future__ import annotations

import numpy as np
import pytest

from pymodel.compare import assert_equal, assert_same_counters
from pymodel.lebug import LebugConfig, build, default_thresholds, emulate
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.job import mismatches, same_hardware
from pymodel.systolic.model import run
from pymodel.systolic.randjob import random_layers
from pymodel.top.config import TopConfig
from pymodel.top.randbundle import random_two_layer
from pymodel.top.result import same
from tb.lebug.jobs import run_lebug
from tb.runner import sims_under_test
from tb.systolic.jobs import run_systolic
from tb.top.jobs import replay

SEED = 20261130


def sims() -> list[str]:
    return sims_under_test(native=True) + ["icarus-plain"]


def test_lebug_same_on_every_simulator():
    print(f"seed {SEED}")
    cfg = LebugConfig()
    rng = np.random.default_rng(SEED)
    fw = build("distribution", cfg)
    x = rng.integers(-3, 8, size=(300, cfg.N))
    eof = np.zeros((300, 2), np.int64)
    eof[15::16, 0] = 1
    eof[-1, 1] = 1
    thr = default_thresholds(cfg)
    exp = emulate(cfg, fw, x, eof, thr)
    runs = {sim: run_lebug(cfg, fw, thr, x, eof, sim) for sim in sims()}
    ref = runs["icarus-plain"]
    assert_equal("icarus-plain trace buffer vs the emulator", exp.tb_mem, ref.tb_mem)
    assert_same_counters("icarus-plain status vs the emulator", exp.status.as_dict(), ref.status)
    for sim, r in runs.items():
        assert_equal(f"{sim} trace buffer", ref.tb_mem, r.tb_mem)
        assert_same_counters(f"{sim} status", ref.status, r.status)
        assert_same_counters(f"{sim} cycles (prog, run, read, job)", ref.result.cycles(), r.result.cycles())


@pytest.mark.ci  # CI runs it after make test (make ci-checks)
def test_systolic_same_on_every_simulator():
    print(f"seed {SEED}")
    cfg = SystolicConfig.for_array(8)
    descs, images = random_layers(cfg, np.random.default_rng(SEED), 3, 30)
    exp = run(cfg, descs, images)
    runs = {sim: run_systolic(cfg, descs, images, sim) for sim in sims()}
    ref = runs["icarus-plain"]
    assert not mismatches(exp, ref), mismatches(exp, ref)
    for sim, hw in runs.items():
        assert not same_hardware(ref, hw), f"{sim} differs from icarus-plain in {same_hardware(ref, hw)}"
        assert_same_counters(f"{sim} cycles (prog, run, read, job)", ref.job.cycles(), hw.job.cycles())


def test_top_bundle_same_on_every_simulator_and_load_mode(tmp_path):
    print(f"seed {SEED}")
    cfg = TopConfig.for_array(8)
    random_two_layer(cfg, SEED, tmp_path / "b")
    runs = {(sim, mode): replay(tmp_path / "b", cfg, mode, sim) for sim in sims() for mode in ("apb", "backdoor")}
    for mode in ("apb", "backdoor"):
        ref = runs[("icarus-plain", mode)]
        for sim in sims():
            hw = runs[(sim, mode)]
            assert not same(ref, hw), f"{sim} {mode} differs from icarus-plain in {same(ref, hw)}"
            assert_same_counters(f"{sim} {mode} cycles", ref.job.cycles(), hw.job.cycles())
    assert not same(runs[("icarus-plain", "apb")], runs[("icarus-plain", "backdoor")])
