"""`accelscope lebug` and `accelscope sim`: results, bad input, and the RTL path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tb.lebug.jobs as jobs
from pymodel.lebug import LebugConfig, build, emulate, encode_firmware
from pymodel.lebug.fwtext import load_firmware_file
from pymodel.lebug.seed_vectors import SEED_BY_NAME
from tb.cli import main
from tb.job import JobResult
from tb.runner import sims_under_test
from tb.sims import run_lebug_test
from tests.fuzz_targets import object_npy


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_lebug_model_integer(tmp_path, capsys):
    rng = np.random.default_rng(5)
    x = rng.integers(-4, 9, size=(30, 8))
    eof = np.zeros((30, 2), dtype=np.int64)
    eof[4::5, 0] = 1
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "eof.npy", eof)
    code, out, err = run(capsys, "lebug", "lane_stats", "--input", str(tmp_path / "x.npy"),
                         "--eof", str(tmp_path / "eof.npy"), "--out", str(tmp_path / "t.npy"))
    assert code == 0, err
    cfg = LebugConfig()
    want = emulate(cfg, build("lane_stats", cfg), x, eof).trace
    np.testing.assert_array_equal(np.load(tmp_path / "t.npy"), want)
    assert "18 rows written" in out


def test_lebug_model_fixed_point_seed_distribution(tmp_path, capsys):
    ex = SEED_BY_NAME["distribution"]
    np.save(tmp_path / "x.npy", ex.inputs)
    np.save(tmp_path / "eof.npy", ex.eof())
    code, _, err = run(capsys, "lebug", "distribution", "--input", str(tmp_path / "x.npy"), "--eof",
                       str(tmp_path / "eof.npy"), "--config", "FRAC_W=16", "--arg", "bins=16",
                       "--out", str(tmp_path / "t.npy"))
    assert code == 0, err
    np.testing.assert_array_equal(np.load(tmp_path / "t.npy").reshape(-1, 16), ex.expected)


def test_lebug_custom_thresholds(tmp_path, capsys):
    x = np.array([[0, 1, 2, 3, 4, 5, 6, 7]])
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "t.npy", np.arange(17) * 2)  # bins of width 2
    np.save(tmp_path / "e.npy", np.array([[1, 0]]))
    code, _, err = run(capsys, "lebug", "distribution", "--input", str(tmp_path / "x.npy"), "--eof",
                       str(tmp_path / "e.npy"), "--thresholds", str(tmp_path / "t.npy"), "--out",
                       str(tmp_path / "o.npy"))
    assert code == 0, err
    # (0,2]: 1,2  (2,4]: 3,4  (4,6]: 5,6  (6,8]: 7
    assert np.load(tmp_path / "o.npy").ravel()[:5].tolist() == [2, 2, 2, 1, 0]


@pytest.mark.parametrize("setup,args,msg", [
    (None, ["--input", "{d}/missing.npy"], "--input: .*missing.npy: no such file"),
    ("obj", ["--input", "{d}/x.npy"], "not a plain .npy array"),
    ("x35", ["--input", "{d}/x.npy"], r"expected shape \(n, N=8\), got \(3, 5\)"),
    ("xf", ["--input", "{d}/x.npy"], "integer mode .* needs integer values"),
    ("x", ["--input", "{d}/x.npy", "--config", "N=7"], "N=7 must be a power of 2"),
    ("x", ["--input", "{d}/x.npy", "--arg", "bins"], "--arg 'bins': expected NAME=INT"),
    ("x", ["--input", "{d}/x.npy", "--arg", "bins=6"], "multiple of M=4"),
    ("x", ["--input", "{d}/x.npy", "--eof", "{d}/x.npy"], r"--eof .*expected shape \(3, 2\)"),
    ("x", ["--input", "{d}/x.npy", "--thresholds", "{d}/x.npy"], "expected 17 values"),
])
def test_lebug_bad_input(tmp_path, capsys, setup, args, msg):
    if setup == "obj":
        (tmp_path / "x.npy").write_bytes(object_npy((1,)))
    elif setup == "x35":
        np.save(tmp_path / "x.npy", np.zeros((3, 5), np.int64))
    elif setup == "xf":
        np.save(tmp_path / "x.npy", np.full((3, 8), 0.5))
    elif setup == "x":
        np.save(tmp_path / "x.npy", np.zeros((3, 8), np.int64))
    argv = ["lebug", "distribution"] + [a.format(d=tmp_path) for a in args] + ["--out", str(tmp_path / "o.npy")]
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("accelscope: error:")
    import re
    assert re.search(msg, err), err
    assert not (tmp_path / "o.npy").exists()


def test_sim_list_and_unknown(capsys):
    code, out, _ = run(capsys, "sim", "list")
    assert code == 0 and "distribution" in out and "activation_predictiveness" in out
    code, out, err = run(capsys, "sim", "nope")
    assert code == 2 and err.startswith("accelscope: error: unknown test 'nope'") and err.count("\n") == 1


def test_sim_reports_fail_on_hardware_mismatch(monkeypatch, capsys):
    """The PASS/FAIL comparison is real: a corrupted hardware result fails."""
    def fake(cfg, fw, thr, x, eof, sim, waves=False, work=None):
        res = emulate(cfg, fw, x, eof, thr)
        mem = res.tb_mem.copy()
        mem[1, 3] += 1
        return jobs.LebugRun(mem, res.status.as_dict(), JobResult(Path("."), np.zeros(0, np.uint32), 0, 0, 0, 0,
                                                                  (0, 0)))

    monkeypatch.setattr(jobs, "run_lebug", fake)
    assert run_lebug_test("distribution") == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "first at index (1, 3)" in out


@pytest.mark.parametrize("sim", sims_under_test(native=True))
def test_lebug_cli_on_rtl(tmp_path, capsys, sim):
    """The CLI's RTL path on every simulator must agree with the model (and does the run)."""
    rng = np.random.default_rng(11)
    x = rng.integers(-2, 6, size=(20, 8))
    eof = np.zeros((20, 2), dtype=np.int64)
    eof[3::4, 0] = 1
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "e.npy", eof)
    code, out, err = run(capsys, "lebug", "frame_correlation", "--input", str(tmp_path / "x.npy"), "--eof",
                         str(tmp_path / "e.npy"), "--sim", sim, "--out", str(tmp_path / "o.npy"))
    assert code == 0, err
    assert "matches the model bit for bit" in out
    cfg = LebugConfig()
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"),
                                  emulate(cfg, build("frame_correlation", cfg), x, eof).trace)


@pytest.mark.parametrize("sim", sims_under_test())
def test_make_sim_distribution_prints_seed_blocks(capsys, sim):
    assert run_lebug_test("distribution", sim) == 0
    out = capsys.readouterr().out
    blocks = out.split("**********")
    assert "Cycle 0: [6.268 2.575 2.042 4.962 6.475 3.808 8.827 6.163]" in out
    emu = out.split("Emulation results")[1].split("**********")[1]
    hw = out.split("Hardware results")[1].split("status:")[0].strip(" *\n")
    assert emu.strip(" *\n") == hw
    assert "[[0. 0. 2. 1. 1. 0. 3. 0. 1. 0. 0. 0. 0. 0. 0. 0.]" in hw
    assert out.rstrip().endswith("PASS") and len(blocks) >= 6


def test_firmware_file_round_trip_through_the_cli(tmp_path, capsys):
    """--disassemble prints a library program in the text format; --firmware-file compiles that
    file back to the same words, and the run gives the library program's trace."""
    code, text, err = run(capsys, "lebug", "distribution", "--arg", "bins=8", "--disassemble")
    assert code == 0, err
    fw_file = tmp_path / "dist.fw"
    fw_file.write_text(text)
    cfg = LebugConfig()
    assert encode_firmware(load_firmware_file(fw_file, cfg), cfg) == encode_firmware(build("distribution", cfg, bins=8),
                                                                                      cfg)
    code, again, _ = run(capsys, "lebug", "--firmware-file", str(fw_file), "--disassemble")
    body = [ln for ln in text.splitlines() if not ln.startswith("#")]
    assert code == 0 and [ln for ln in again.splitlines() if not ln.startswith("#")] == body
    rng = np.random.default_rng(5)
    x = rng.integers(-2, 9, size=(12, 8))
    np.save(tmp_path / "x.npy", x)
    code, _out, err = run(capsys, "lebug", "--firmware-file", str(fw_file), "--input", str(tmp_path / "x.npy"),
                         "--out", str(tmp_path / "o.npy"))
    assert code == 0, err
    want = emulate(cfg, build("distribution", cfg, bins=8), x).trace
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), want)


def test_firmware_file_error_names_file_and_line(tmp_path, capsys):
    fw_file = tmp_path / "bad.fw"
    fw_file.write_text("# two VVALU ops in one chain\nbegin_chain\nvv_add 0\nvv_sub 1\nend_chain\n")
    np.save(tmp_path / "x.npy", np.zeros((2, 8), np.int64))
    code, _out, err = run(capsys, "lebug", "--firmware-file", str(fw_file), "--input", str(tmp_path / "x.npy"),
                         "--out", str(tmp_path / "o.npy"))
    assert code == 2 and err.startswith(f"accelscope: error: {fw_file}:4:") and err.count("\n") == 1, err
    assert not (tmp_path / "o.npy").exists()


def test_make_sim_runs_a_firmware_file(tmp_path, capsys):
    fw_file = tmp_path / "sum.fw"
    fw_file.write_text("begin_chain\nv_reduce\nv_commit 1\nend_chain\n")
    code, out, err = run(capsys, "sim", str(fw_file))
    assert code == 0, out + err
    assert "Emulation results" in out and "Hardware results" in out and out.rstrip().endswith("PASS")
