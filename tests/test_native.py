"""The native Verilator path (pymodel/native.py, tb/native/): a cross-simulator check against
Icarus under cocotb, LeBug and systolic jobs against the models, the CLI, and failures.

Three Verilator builds (LeBug, systolic, accel_top), all at the default parameters the CLI
and the cocotb regressions already use; each is built once and reused.
"""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

from pymodel.cli import main
from pymodel.compare import assert_equal, assert_same_counters
from pymodel.errors import AccelscopeError
from pymodel.lebug import LebugConfig, build, default_thresholds, emulate
from pymodel.lebug.job import LebugJob
from pymodel.lebug.randfw import random_stream
from pymodel.native import last_stats, replay_native, run_lebug_native, run_systolic_native
from pymodel.simrun import check_simulator
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.job import SystolicJob
from pymodel.systolic.layout import gemm_layout, unpack_rows
from pymodel.systolic.model import run
from pymodel.systolic.rtl import mismatches
from pymodel.systolic.scenarios import reference_gemm
from pymodel.top.config import TopConfig
from pymodel.top.randbundle import random_two_layer
from pymodel.top.rtl import HwResult, replay_on_rtl

TOP = TopConfig.for_array(8)


def same_hw(name: str, a: HwResult, b: HwResult) -> None:
    """Two hardware results are identical in everything the testbenches read back."""
    assert sorted(a.mems) == sorted(b.mems), f"{name}: scratchpads {sorted(a.mems)} vs {sorted(b.mems)}"
    for mem in a.mems:
        assert_equal(f"{name}: {mem} outputs", a.mems[mem], b.mems[mem])
    for field in ("stream", "eof", "trace"):
        assert_equal(f"{name}: {field}", getattr(a, field), getattr(b, field))
    for field in ("counters", "tap", "lebug_status"):
        assert_same_counters(f"{name}: {field}", getattr(a, field), getattr(b, field))
        assert set(getattr(a, field)) == set(getattr(b, field)), f"{name}: {field} keys differ"
    assert a.maxfill == b.maxfill, f"{name}: tap max fill {a.maxfill} vs {b.maxfill}"


def test_cross_simulator_bundle(tmp_path):
    """One random two-layer bundle on Icarus under cocotb and on verilator-native: identical."""
    bundle = random_two_layer(TOP, 20240611, tmp_path / "b")
    assert bundle.path is not None
    icarus = replay_on_rtl(bundle.path, TOP, mode="apb", sim="icarus")
    stats: dict = {}
    native = replay_native(bundle.path, TOP, mode="apb", stats=stats)
    same_hw("icarus vs verilator-native", icarus, native)
    assert native.lebug_status["rows"] > 0 and len(native.stream) > 0
    assert stats["sim_cycles"] > stats["run_cycles"] >= native.counters["cycles"] > 0
    # the backdoor load gives the same results as the APB replay
    same_hw("native apb vs backdoor", native, replay_native(bundle.path, TOP, mode="backdoor"))


def test_lebug_distribution_equals_emulator():
    cfg = LebugConfig()
    rng = np.random.default_rng(7)
    x, eof = random_stream(cfg, rng, 300)
    fw = build("distribution", cfg, bins=16)
    thr = default_thresholds(cfg)
    mem, status = run_lebug_native(LebugJob(cfg, fw, thr, x, eof), check=False)
    exp = emulate(cfg, fw, x, eof, thr)
    assert_equal("trace buffer", exp.tb_mem, mem)
    assert_same_counters("status", exp.status.as_dict(), status)
    assert status["vectors"] == 300 and status["cycles"] == 300 * fw.num_chains and status["wrap"] == 1
    assert last_stats().run_cycles >= status["cycles"]


def test_lebug_mismatch_is_reported(monkeypatch):
    """The built-in comparison names the first differing trace value."""
    import pymodel.lebug as lebug_pkg

    real = lebug_pkg.emulate

    def off_by_one(*a, **k):
        res = real(*a, **k)
        res.tb_mem[1, 2] += 1
        return res

    monkeypatch.setattr(lebug_pkg, "emulate", off_by_one)
    cfg = LebugConfig()
    x, eof = random_stream(cfg, np.random.default_rng(3), 40)
    with pytest.raises(AccelscopeError, match=r"trace buffer: 1 of 512 values differ; first at index \(1, 2\)"):
        run_lebug_native(LebugJob(cfg, build("lane_stats", cfg), default_thresholds(cfg), x, eof))


def test_systolic_gemm_not_multiple_of_k():
    cfg = SystolicConfig.for_array(8)
    rng = np.random.default_rng(11)
    m, kd, n = 29, 37, 19
    a = rng.integers(-128, 128, (m, kd))
    b = rng.integers(-128, 128, (kd, n))
    bias = rng.integers(-5000, 5000, n)
    descs, images = gemm_layout(cfg, a, b, bias, relu=True)
    hw = run_systolic_native(SystolicJob(cfg, descs, images), check=False)
    exp = run(cfg, descs, images)
    assert mismatches(exp, hw) == []
    c = unpack_rows(hw.mems["out"], 0, descs[0].nt(8), m, n, 8)
    np.testing.assert_array_equal(c, reference_gemm(a, b, bias, True))
    assert hw.counters["macs"] == m * kd * n and hw.status["done"] == 1 and hw.wall_s > 0


def test_timeout_is_a_clear_failure(tmp_path):
    bundle = random_two_layer(TOP, 5, tmp_path / "b")
    with pytest.raises(AccelscopeError, match=r"timeout: done not reached within 5 cycles"):
        replay_native(bundle.path, TOP, timeout=5)


def test_cli_lebug_and_gemm(tmp_path, capsys):
    rng = np.random.default_rng(2)
    x = rng.integers(-3, 20, (100, 8))
    eof = np.zeros((100, 2), np.int64)
    eof[9::10, 0] = 1
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "eof.npy", eof)
    code = main(["lebug", "distribution", "--input", str(tmp_path / "x.npy"), "--eof", str(tmp_path / "eof.npy"),
                 "--arg", "bins=16", "--sim", "verilator-native", "--out", str(tmp_path / "t.npy")])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "RTL (verilator-native) matches the model bit for bit" in out.out
    cfg = LebugConfig()
    np.testing.assert_array_equal(np.load(tmp_path / "t.npy"), emulate(cfg, build("distribution", cfg, bins=16),
                                                                       x, eof).trace)

    a = rng.integers(-128, 128, (21, 30))
    b = rng.integers(-128, 128, (30, 13))
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    code = main(["gemm", "--a", str(tmp_path / "a.npy"), "--b", str(tmp_path / "b.npy"), "--sim", "verilator-native",
                 "--out", str(tmp_path / "c.npy"), "--stats", str(tmp_path / "s.json")])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "RTL (verilator-native) matches the model bit for bit" in out.out
    np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), a @ b)
    assert json.loads((tmp_path / "s.json").read_text())["sim"] == "verilator-native"


def test_cli_replay(tmp_path, capsys):
    bundle = random_two_layer(TOP, 9, tmp_path / "b")
    assert main(["replay", str(bundle.path), "--sim", "verilator-native", "--mode", "backdoor"]) == 0
    out = capsys.readouterr().out
    assert "on verilator-native" in out and "equal the model" in out
    res = json.loads((tmp_path / "b" / "results.json").read_text())
    assert res["sim"] == "verilator-native" and res["match"] is True and res["tap"]["drops"] == 0


def test_rtl_gemm_dispatches_to_native():
    """RtlGemm (the eval path) with sim="verilator-native" runs the native accel_top testbench."""
    from pymodel.deploy.rtl_gemm import RtlGemm
    from pymodel.net.intops import gemm_int
    from pymodel.top.compile import MULT_BITS

    rng = np.random.default_rng(4)
    a = rng.integers(-128, 128, (6, 20)).astype(np.int8)
    b = rng.integers(-128, 128, (20, 10)).astype(np.int8)
    bias = rng.integers(-999, 999, 10).astype(np.int32)
    mult = rng.integers(1 << 20, 1 << 22, 10)
    shift = np.full(10, 28)
    g = RtlGemm(TOP, sim="verilator-native")
    got = g(a, b, bias, True, True, mult, shift)
    np.testing.assert_array_equal(got, gemm_int(a, b, bias, True, True, mult, shift, mult_bits=MULT_BITS))
    assert g.calls[0].cycles > 0 and int(g.calls[0].hw_hist.sum()) == 6 * 16  # 6 rows of 2 tiles of 8 lanes
    assert "top_tb" in last_stats().binary


def test_scenario_accepts_native(tmp_path):
    from pymodel.deploy.scenario import load_scenario

    doc = json.loads(open("examples/digits_mlp_scenario.json").read())
    doc["simulator"] = "verilator-native"
    doc["model"]["path"] = os.path.abspath(os.path.join("examples", doc["model"]["path"]))
    (tmp_path / "s.json").write_text(json.dumps(doc))
    assert load_scenario(tmp_path / "s.json").simulator == "verilator-native"


def test_check_simulator_native(tmp_path, monkeypatch):
    check_simulator("verilator-native")  # Verilator 5.006 is enough
    exe = tmp_path / "verilator"
    exe.write_text("#!/bin/sh\necho 'Verilator 4.228 2022-01-17'\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(AccelscopeError, match=r"needs Verilator 5.x \(--binary --timing\), found Verilator 4.228"):
        check_simulator("verilator-native")
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(AccelscopeError, match="verilator not found"):
        check_simulator("verilator-native")
