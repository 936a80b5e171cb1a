"""The cocotb test that runs one harness job (tb/job.py) on any block: reset, job_go,
wait for job_done. tb/runner.run_job starts it with +JOB_DIR=<dir>."""

from __future__ import annotations

from typing import Any

import cocotb

from tb.common.harness import HarnessTB


@cocotb.test()
async def run_job(dut: Any) -> None:
    tb = HarnessTB(dut)
    await tb.reset()
    await tb.job()
