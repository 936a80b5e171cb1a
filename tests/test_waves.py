"""The wave view's state names (tb/waves.py): GTKWave shows the sequencer's and the job engine's
state registers by name through translate filter files made from the RTL's `S_*` localparams."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from pymodel.errors import AccelscopeError
from pymodel.systolic.config import SystolicConfig
from tb.runner import rtl_root
from tb.systolic.jobs import wave_groups
from tb.waves import JOB_ENGINE, NAMED, state_names, write_view

SEQ = rtl_root() / "systolic" / "systolic_seq.v"


def test_state_names_from_rtl() -> None:
    assert state_names(SEQ) == {0: "IDLE", 1: "FETCH", 2: "DECODE", 3: "CHECK", 4: "RUN", 5: "DRAIN", 6: "PREP",
                                7: "LOAD"}
    job = state_names(JOB_ENGINE)
    assert job[0] == "IDLE" and job[5] == "RUN" and job[10] == "GO" and len(job) == 11


def test_view_names_states(tmp_path: Path) -> None:
    """waves.gtkw puts each state register behind its filter file (flag TR_FTRANSLATED with hex),
    one file per RTL source, numbered in order; every other trace is as before."""
    fst = tmp_path / "in.fst"
    fst.write_bytes(b"fst")
    out = tmp_path / "view"
    write_view(out, fst, "icarus", "systolic_harness", wave_groups(SystolicConfig.for_array(4)),
               SimpleNamespace(run_window=(100, 200)))  # type: ignore[arg-type]  # only run_window is read
    lines = (out / "waves.gtkw").read_text().splitlines()
    seq_file, job_file = out / "states_systolic_seq.txt", out / "states_job_engine.txt"
    i = lines.index("systolic_harness.dut.u_seq.state[2:0]")
    assert lines[i - 2:i] == [f"@{NAMED}", f"^1 {seq_file}"]
    j = lines.index("systolic_harness.u_job.state[3:0]")
    assert lines[j - 2:j] == [f"@{NAMED}", f"^2 {job_file}"]
    assert seq_file.read_text().splitlines() == ["0 IDLE", "1 FETCH", "2 DECODE", "3 CHECK", "4 RUN", "5 DRAIN",
                                                 "6 PREP", "7 LOAD"]
    assert "a GO" in job_file.read_text().splitlines()
    assert sum(ln.startswith("^") for ln in lines) == 2


def test_no_states_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "x.v"
    f.write_text("module x; localparam A = 1; endmodule\n")
    with pytest.raises(AccelscopeError, match="no S_"):
        state_names(f)
