"""Base of every cocotb testbench class (tb/<block>/test_<block>.py): the GPI clock,
the reset, the host port (single APB transfers through the harness's apb_host, so cocotb
uses the same APB timing as every other path) and harness jobs (tb/job.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotb_bus.drivers import BusDriver

from tb.job import CLK_NS, Job, JobResult, read_result, write_job


class ApbError(Exception):
    """The slave answered PSLVERR."""


class HostPort(BusDriver):
    """Single APB transfers through the harness's host port (<prefix>_valid, _ready, ...)."""

    _signals = ["valid", "ready", "write", "addr", "wdata", "rsp", "rdata", "err"]

    def __init__(self, entity: Any, name: str, clock: Any, **kwargs: Any) -> None:
        super().__init__(entity, name, clock, **kwargs)
        self.bus.valid.value = 0
        self.bus.write.value = 0
        self.bus.addr.value = 0
        self.bus.wdata.value = 0
        self.transfers = 0

    async def _transfer(self, addr: int, data: int, write: bool) -> tuple[int, bool]:
        b = self.bus
        if not int(b.ready.value):
            raise RuntimeError("host port busy: a harness job owns the APB master")
        b.addr.value = addr
        b.write.value = int(write)
        b.wdata.value = data & 0xFFFFFFFF if write else 0
        b.valid.value = 1
        await RisingEdge(self.clock)  # accepted: apb_host is idle between host transfers
        b.valid.value = 0
        while True:
            await FallingEdge(self.clock)
            if int(b.rsp.value):
                break
        self.transfers += 1
        return (0 if write else int(b.rdata.value)), bool(int(b.err.value))

    async def write(self, addr: int, data: int, check: bool = True) -> bool:
        """Write one word; returns PSLVERR (raises on it when check)."""
        _, err = await self._transfer(addr, data, True)
        if err and check:
            raise ApbError(f"APB write {addr:#x} <- {data:#x}: PSLVERR")
        return err

    async def read(self, addr: int, check: bool = True) -> int:
        data, err = await self._transfer(addr, 0, False)
        if err and check:
            raise ApbError(f"APB read {addr:#x}: PSLVERR")
        return data

    async def read_err(self, addr: int) -> tuple[int, bool]:
        return await self._transfer(addr, 0, False)


class HarnessTB:
    """Clock, reset, host port and job control of a tb/<block>/<block>_harness.v."""

    def __init__(self, dut: Any) -> None:
        import cocotb

        self.dut = dut
        self.dir = Path(cocotb.plusargs.get("JOB_DIR", "."))  # the job directory (+JOB_DIR)
        self.log = dut._log
        Clock(dut.clk, CLK_NS, unit="ns", impl="gpi").start()
        self.apb = HostPort(dut, "host", dut.clk)
        dut.rst_n.value = 0
        dut.job_go.value = 0

    async def tick(self, n: int = 1) -> None:
        await ClockCycles(self.dut.clk, n)

    async def reset(self) -> None:
        """Low for 3 rising edges, then one more edge (tb/common/job_main.v does the same)."""
        self.dut.rst_n.value = 0
        await self.tick(3)
        self.dut.rst_n.value = 1
        await self.tick(1)

    async def run_job(self, job: Job) -> JobResult:
        """Lay `job` out in the job directory, run it, and read what the engine wrote back."""
        write_job(self.dir, job)
        await self.job()
        return read_result(self.dir, job)

    async def job(self) -> None:
        """Run the job laid out in +JOB_DIR (tb/job.write_job) and wait until it is done."""
        self.dut.job_go.value = 1
        await RisingEdge(self.dut.job_done)
        self.dut.job_go.value = 0
        await self.tick(1)
