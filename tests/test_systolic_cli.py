"""`accelscope gemm` and `accelscope sim gemm`: results, stats, bad input, and the RTL path."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import tb.systolic.jobs as jobs
from pymodel.systolic.job import HardwareResult
from pymodel.systolic.model import run as model_run
from pymodel.systolic.scenarios import reference_gemm
from tb.cli import main
from tb.runner import sims_under_test
from tb.sims import run_gemm_test
from tests.fuzz_targets import object_npy


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _save(tmp_path, **arrays):
    for name, arr in arrays.items():
        if name == "obj":
            (tmp_path / "obj.npy").write_bytes(object_npy(np.shape(arr)))
        else:
            np.save(tmp_path / f"{name}.npy", arr)
    return {name: str(tmp_path / f"{name}.npy") for name in arrays}


@pytest.mark.parametrize("shape,K", [((1, 1, 1), 8), ((300, 300, 300), 8), ((37, 129, 5), 8), ((17, 3, 40), 4)])
def test_gemm_model(tmp_path, capsys, shape, K):
    rng = np.random.default_rng(sum(shape))
    m, kd, n = shape
    a = rng.integers(-128, 128, (m, kd)).astype(np.int8)
    b = rng.integers(-128, 128, (kd, n)).astype(np.int8)
    bias = rng.integers(-(1 << 31), 1 << 31, n).astype(np.int32)
    f = _save(tmp_path, a=a, b=b, bias=bias)
    code, out, err = run(capsys, "gemm", "--a", f["a"], "--b", f["b"], "--bias", f["bias"], "--relu", "--array",
                         str(K), "--out", str(tmp_path / "c.npy"), "--stats", str(tmp_path / "s.json"))
    assert code == 0, err
    c = np.load(tmp_path / "c.npy")
    assert c.dtype == np.int32 and c.shape == (m, n)
    np.testing.assert_array_equal(c, reference_gemm(a, b, bias, relu=True))
    st = json.loads((tmp_path / "s.json").read_text())
    assert st["macs"] == m * kd * n and st["cycles"] > 0
    assert st["utilization"] == pytest.approx(m * kd * n / (K * K * st["cycles"]))
    assert "utilization" in out


def test_gemm_splits_m_beyond_acc_depth(tmp_path, capsys):
    rng = np.random.default_rng(3)
    a = rng.integers(-128, 128, (2500, 9)).astype(np.int8)
    b = rng.integers(-128, 128, (9, 3)).astype(np.int8)
    f = _save(tmp_path, a=a, b=b)
    code, _, err = run(capsys, "gemm", "--a", f["a"], "--b", f["b"], "--out", str(tmp_path / "c.npy"), "--stats",
                       str(tmp_path / "s.json"))
    assert code == 0, err
    np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), reference_gemm(a, b, None, False))
    assert json.loads((tmp_path / "s.json").read_text())["descriptors"] == 3


def test_gemm_accepts_integer_dtypes_in_int8_range(tmp_path, capsys):
    f = _save(tmp_path, a=np.array([[1.0, -128.0]]), b=np.array([[3], [127]], dtype=np.int64))
    code, _, err = run(capsys, "gemm", "--a", f["a"], "--b", f["b"], "--out", str(tmp_path / "c.npy"))
    assert code == 0, err
    assert np.load(tmp_path / "c.npy").tolist() == [[3 - 128 * 127]]


@pytest.mark.parametrize("setup,args,msg", [
    ({"a": np.zeros((5000, 300), np.int8), "b": np.zeros((300, 2), np.int8)}, ["--a", "{d}/a.npy", "--b", "{d}/b.npy"],
     "GEMM 5000x300x2 needs 190000 ACT words for A; the K=8 build has 16384"),
    ({}, ["--a", "{d}/missing.npy", "--b", "{d}/b.npy"], "--a: .*missing.npy: no such file"),
    ({"obj": np.zeros(1)}, ["--a", "{d}/obj.npy", "--b", "{d}/b.npy"],
     "--a: .*not a plain .npy array"),
    ({"a": np.zeros((2, 3, 4))}, ["--a", "{d}/a.npy", "--b", "{d}/b.npy"], r"--a .*expected a 2-D array"),
    ({"a": np.full((2, 3), 0.5)}, ["--a", "{d}/a.npy", "--b", "{d}/b.npy"], "--a .*non-integer"),
    ({"a": np.full((2, 3), 200)}, ["--a", "{d}/a.npy", "--b", "{d}/b.npy"], r"--a .*int8 \(-128..127\), got 200"),
    ({"a": np.zeros((2, 4), np.int8)}, ["--a", "{d}/a.npy", "--b", "{d}/b.npy"], "inner dimensions differ"),
    ({"a": np.zeros((2, 3), np.int8)}, ["--a", "{d}/a.npy", "--b", "{d}/b.npy", "--bias", "{d}/a.npy"],
     r"--bias .*expected a 1-D array"),
    ({"a": np.zeros((2, 3), np.int8), "bias": np.zeros(4)},
     ["--a", "{d}/a.npy", "--b", "{d}/b.npy", "--bias", "{d}/bias.npy"], r"--bias .*expected shape \(5,\)"),
    ({"a": np.zeros((2, 3), np.int8)}, ["--a", "{d}/a.npy", "--b", "{d}/b.npy", "--array", "6"],
     "--array 6: K must be a power of 2"),
    ({"a": np.zeros((2, 3), dtype="<U1")}, ["--a", "{d}/a.npy", "--b", "{d}/b.npy"], "--a .*got dtype <U1"),
])
def test_gemm_bad_input(tmp_path, capsys, setup, args, msg):
    _save(tmp_path, **{"b": np.zeros((3, 5), np.int8), **setup})
    argv = ["gemm"] + [x.format(d=tmp_path) for x in args] + ["--out", str(tmp_path / "c.npy")]
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("accelscope: error:") and err.count("\n") == 1, err
    assert re.search(msg, err), err
    assert not (tmp_path / "c.npy").exists()


@pytest.mark.parametrize("sim", sims_under_test(native=True))
def test_gemm_cli_on_rtl(tmp_path, capsys, sim):
    """The CLI's RTL path on every simulator agrees with the model, and C equals numpy."""
    rng = np.random.default_rng(12)
    a = rng.integers(-128, 128, (21, 19)).astype(np.int8)
    b = rng.integers(-128, 128, (19, 10)).astype(np.int8)
    f = _save(tmp_path, a=a, b=b)
    code, out, err = run(capsys, "gemm", "--a", f["a"], "--b", f["b"], "--sim", sim, "--out",
                         str(tmp_path / "c.npy"), "--stats", str(tmp_path / "s.json"))
    assert code == 0, err
    assert "matches the model bit for bit" in out
    np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), reference_gemm(a, b, None, False))
    assert json.loads((tmp_path / "s.json").read_text())["rtl"] is True


def test_make_sim_gemm(capsys, monkeypatch):
    monkeypatch.setenv("SYSTOLIC_SEED", "7")
    code, out, _ = run(capsys, "sim", "gemm")
    assert code == 0, out
    assert "seed 7" in out and "GEMM: C[" in out and "MAC utilization" in out and out.rstrip().endswith(
        "C equals A @ B")
    assert "PASS" in out


def test_sim_gemm_reports_fail_on_hardware_mismatch(monkeypatch, capsys):
    """The PASS/FAIL comparison is real: a corrupted hardware result fails."""
    def fake(cfg, descs, images, sim, waves=False, work=None):
        exp = model_run(cfg, descs, images)
        stream = exp.stream.copy()
        stream[1, 2] += 1
        return HardwareResult({"out": exp.mems["out"][:4]}, stream, exp.eof, exp.counters.as_dict(), exp.status)

    monkeypatch.setattr(jobs, "run_systolic", fake)
    assert run_gemm_test(seed=3) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "stream rows" in out and "first at index (1, 2)" in out


def test_sim_list_has_gemm(capsys):
    code, out, _ = run(capsys, "sim", "list")
    assert code == 0 and "gemm" in out
