"""A firing RTL assertion fails the run that hit it, on every simulation path, with the
assertion's name, instance and clock cycle first in the error (docs/verification.md,
"Assertions"; rtl/common/assert.vh, tb/runner.py `fired_assertion`).

The planted bug: a copy of rtl/ in which one line of rtl/common/apb_frontend.v lets a write
commit in the setup phase too. A LeBug job of one APB write (CTRL) then breaks
`CommitOnlyOnLegalAccess_A` in the setup cycle of that write. The same copy is built once per
path (cocotb on Icarus and on Verilator, verilator-native, icarus-plain; the smallest LeBug
build) and the four errors must name the same assertion, instance and cycle: the cycle is the
harness clock's rising edge (tb/common/harness.py and job_main.v both count from 0), so a path
that dated it differently would disagree. The unchanged RTL runs the same job cleanly on the
regular builds of every other test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tb.runner as runner
from pymodel.errors import AccelscopeError
from pymodel.lebug import regs as lebug_regs
from pymodel.lebug.config import LebugConfig
from tb.job import Job
from tb.lebug.jobs import BLOCK
from tb.mutate.source import SourceMutant, planted

PLANTED = SourceMutant("apb_commit_in_setup", "lebug", "common/apb_frontend.v",
                      "    assign wr      = access & pwrite & ~err & ~hold;\n",
                      "    assign wr      = psel & pwrite & ~err & ~hold;\n",
                      "a write commits in the setup phase as well")
CFG = LebugConfig(N=2, M=2, DATA_W=8, IB_DEPTH=2, FU_ROWS=1, CACHE_DEPTH=2, TB_DEPTH=2, MAX_CHAINS=1)
PATHS = ["icarus", "verilator", "verilator-native", "icarus-plain"]
ERROR = re.compile(r"(\w+_A) in (\S+) at cycle (\d+): ")


@pytest.mark.ci  # four builds of a planted copy: CI runs it after make test (make ci-checks)
def test_planted_bug_fires_on_every_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rtl = planted(PLANTED, tmp_path)  # its line must be in rtl/ exactly once
    monkeypatch.setattr(runner, "rtl_root", lambda: rtl)
    monkeypatch.setenv("ACCELSCOPE_SIM_BUILD", str(tmp_path / "sim_build"))
    job = Job(writes=[(lebug_regs.ADDR["CTRL"], 1)], run=False, timeout=10_000)
    seen = {}
    for sim in PATHS:
        with pytest.raises(AccelscopeError) as err:
            runner.run_job(BLOCK, CFG.params(), "planted", job, sim)
        msg = str(err.value)
        print(f"{sim}: {msg.splitlines()[0]}")
        m = ERROR.match(msg)
        assert m is not None, f"{sim}: the error does not start with NAME in INSTANCE at cycle N: {msg[:400]}"
        name, inst, cycle = m.groups()
        # the harness is the top under cocotb and `h` inside job_main.v on the native paths
        seen[sim] = (name, inst[inst.index("dut."):] if "dut." in inst else inst, int(cycle))
    name, inst, cycle = seen["icarus"]
    assert (name, inst) == ("CommitOnlyOnLegalAccess_A", "dut.u_apb"), seen
    assert cycle > 3, f"cycle {cycle} lies in the reset (cycles 0-2)"
    assert all(v == seen["icarus"] for v in seen.values()), f"the paths disagree: {seen}"
