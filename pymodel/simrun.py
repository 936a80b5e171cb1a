"""Build and run cocotb testbenches through cocotb_tools.runner (one build per HDL configuration)."""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Sequence

from pymodel.errors import AccelscopeError

REPO = Path(__file__).resolve().parents[1]
SIM_BUILD = REPO / "sim_build"
TB_INCLUDE = REPO / "tb" / "common"  # shared testbench include files
MIN_VERILATOR = (5, 36)


def rtl_sources(*blocks: str) -> list[Path]:
    """Every Verilog file of the named rtl/ blocks, in a stable order."""
    files: list[Path] = []
    for b in blocks:
        found = sorted((REPO / "rtl" / b).glob("*.v"))
        if not found:
            raise AccelscopeError(f"no RTL found in rtl/{b}/")
        files += found
    return files


def check_simulator(sim: str) -> None:
    """One clear line when the simulator cannot run cocotb here."""
    if sim == "icarus":
        if shutil.which("iverilog") is None or shutil.which("vvp") is None:
            raise AccelscopeError("SIM=icarus: iverilog/vvp not found; install with: sudo apt-get install iverilog")
        return
    if sim == "verilator":
        exe = shutil.which("verilator")
        if exe is None:
            raise AccelscopeError("SIM=verilator: verilator not found; cocotb 2.x needs Verilator >= 5.036")
        out = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
        m = re.search(r"Verilator (\d+)\.(\d+)", out)
        ver = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        if ver < MIN_VERILATOR:
            raise AccelscopeError(
                f"SIM=verilator: cocotb 2.x needs Verilator >= 5.036, found {ver[0]}.{ver[1]:03d}; use SIM=icarus")
        return
    if sim == "verilator-native":  # pymodel/native.py: verilator --binary --timing, any 5.x
        exe = shutil.which("verilator")
        if exe is None:
            raise AccelscopeError("SIM=verilator-native: verilator not found; "
                                  "install with: sudo apt-get install verilator")
        out = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
        m = re.search(r"Verilator (\d+)\.(\d+)", out)
        if m is None or int(m.group(1)) < 5:
            raise AccelscopeError(f"SIM=verilator-native: needs Verilator 5.x (--binary --timing), found "
                                  f"{m.group(0) if m else 'an unknown version'}")
        if shutil.which("make") is None or shutil.which(os.environ.get("CXX", "g++")) is None:
            raise AccelscopeError("SIM=verilator-native: verilator --binary needs make and a C++ compiler; "
                                  "install with: sudo apt-get install make g++")
        return
    raise AccelscopeError(f"unknown simulator {sim!r}; use icarus, verilator or verilator-native")


def run_cocotb(*, toplevel: str, sources: Sequence[Path], parameters: Mapping[str, object],
               test_module: str, build_dir: Path, test_filter: str | None = None,
               sim: str = "icarus", waves: bool = False, extra_env: Mapping[str, str] | None = None,
               plusargs: Sequence[str] = (), log_file: Path | None = None, seed: int | None = None) -> Path:
    """Build (if stale) and run; returns the results XML. Under pytest a failure raises."""
    from cocotb_tools.runner import get_runner  # imported late: the CLI works without a simulator

    check_simulator(sim)
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    # one run at a time per build directory (xdist workers, a CLI run beside a regression)
    with open(build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_and_test(get_runner(sim), toplevel=toplevel, sources=sources, parameters=parameters,
                               test_module=test_module, build_dir=build_dir, test_filter=test_filter,
                               waves=waves, extra_env=extra_env, plusargs=plusargs, log_file=log_file,
                               seed=seed)


def _build_and_test(runner, *, toplevel: str, sources: Sequence[Path], parameters: Mapping[str, object],
                    test_module: str, build_dir: Path, test_filter: str | None, waves: bool,
                    extra_env: Mapping[str, str] | None, plusargs: Sequence[str], log_file: Path | None,
                    seed: int | None) -> Path:
    if log_file is not None:  # quiet mode (CLI): the simulator's log goes to the file
        logging.getLogger(type(runner).__name__).setLevel(logging.ERROR)
    vvp = build_dir / "sim.vvp"  # the runner rebuilds only for newer sources: includes count too
    if vvp.exists() and any(f.stat().st_mtime > vvp.stat().st_mtime for f in TB_INCLUDE.glob("*.vh")):
        vvp.unlink()
    runner.build(sources=list(sources), hdl_toplevel=toplevel, parameters=dict(parameters),
                 build_dir=build_dir, waves=waves, timescale=("1ns", "1ps"), includes=[TB_INCLUDE])
    if str(REPO) not in sys.path:  # the runner passes sys.path as the simulator's PYTHONPATH
        sys.path.insert(0, str(REPO))
    env = dict(extra_env or {})
    return runner.test(test_module=test_module, hdl_toplevel=toplevel, test_filter=test_filter,
                       build_dir=build_dir, test_dir=build_dir, waves=waves, extra_env=env,
                       plusargs=list(plusargs), log_file=log_file, seed=seed)


def results_ok(results_xml: Path) -> tuple[int, int]:
    """(tests, failures) from a cocotb results file."""
    from cocotb_tools.check_results import get_results

    return get_results(results_xml)
