"""Simulator checks: one clear line when cocotb cannot run on the installed simulator."""

from __future__ import annotations

import os
import stat

import pytest

from pymodel.errors import AccelscopeError
from pymodel.simrun import check_simulator


def fake_verilator(tmp_path, version: str) -> None:
    exe = tmp_path / "verilator"
    exe.write_text(f"#!/bin/sh\necho 'Verilator {version} 2023-01-22 rev (Debian)'\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)


def test_old_verilator_is_refused(tmp_path, monkeypatch):
    fake_verilator(tmp_path, "5.006")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(AccelscopeError, match=r"needs Verilator >= 5.036, found 5.006; use SIM=icarus"):
        check_simulator("verilator")


def test_new_verilator_is_accepted(tmp_path, monkeypatch):
    fake_verilator(tmp_path, "5.036")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    check_simulator("verilator")


def test_missing_icarus(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AccelscopeError, match="apt-get install iverilog"):
        check_simulator("icarus")


def test_unknown_simulator():
    with pytest.raises(AccelscopeError, match="unknown simulator 'vcs'"):
        check_simulator("vcs")
