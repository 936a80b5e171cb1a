"""The plain Icarus testbenches (no Python in the simulator; bench/plain.py runs them for
the cocotb-overhead benchmark) apply the cocotb run_job stimulus correctly: their results
equal the models bit for bit. Wall time is measured by bench/, never asserted here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench import plain
from pymodel.compare import assert_equal, assert_same_counters
from pymodel.errors import AccelscopeError


def test_plain_lebug(tmp_path: Path) -> None:
    from pymodel.lebug import LebugConfig, build, default_thresholds, emulate
    from pymodel.lebug.job import LebugJob
    from pymodel.lebug.randfw import random_stream

    cfg = LebugConfig()
    fw = build("distribution", cfg, bins=16)
    thr = default_thresholds(cfg) if fw.thresholds is None else fw.thresholds
    x, eof = random_stream(cfg, np.random.default_rng(11), 300)
    pr = plain.prepare_lebug(LebugJob(cfg, fw, thr, x, eof), tmp_path)
    _, cycles = plain.run(pr)
    mem, status = pr.parse()
    exp = emulate(cfg, fw, x, eof, thr)
    assert_equal("plain lebug: trace buffer", exp.tb_mem, mem)
    assert_same_counters("plain lebug: status", exp.status.as_dict(), status)
    assert cycles > exp.status.cycles


def test_plain_systolic(tmp_path: Path) -> None:
    from pymodel.systolic.config import SystolicConfig
    from pymodel.systolic.job import SystolicJob
    from pymodel.systolic.model import run
    from pymodel.systolic.randjob import random_layers
    from pymodel.systolic.rtl import mismatches

    cfg = SystolicConfig.for_array(4)
    descs, images = random_layers(cfg, np.random.default_rng(12), 3, 3 * cfg.K + 3)
    pr = plain.prepare_systolic(SystolicJob(cfg, descs, images), tmp_path)
    plain.run(pr)
    problems = mismatches(run(cfg, descs, images), pr.parse())
    assert not problems, problems


@pytest.mark.parametrize("mode", ["backdoor", "apb"])
def test_plain_top(tmp_path: Path, mode: str) -> None:
    from pymodel.top.config import TopConfig
    from pymodel.top.randbundle import random_two_layer
    from tb.top.test_top import check

    cfg = TopConfig.for_array(4, N=8)
    bundle = random_two_layer(cfg, 13, tmp_path / "bundle")
    assert bundle.path is not None
    pr, exp = plain.prepare_top(bundle.path, cfg, tmp_path / "work", mode)
    plain.run(pr)
    hw = pr.parse()
    check(exp, hw, f"plain top ({mode})")
    assert hw.lebug_status["rows"] > 0


def test_plain_run_reports_failure(tmp_path: Path) -> None:
    """A run that does not finish cleanly raises instead of yielding a wall time."""
    pr = plain.PlainRun(["vvp", str(tmp_path / "missing.vvp")], lambda: None, tmp_path)
    with pytest.raises(AccelscopeError):
        plain.run(pr)
