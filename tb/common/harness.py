"""Base of the testbench classes: the GPI clock, an APB master on the `apb_*` signals,
and the one-cycle strobes the harnesses use for backdoor loads, dumps and capture."""

from __future__ import annotations

from typing import Any, Iterable

CLK_NS = 10


class HarnessTB:
    def __init__(self, dut: Any, strobes: Iterable[str] = ()) -> None:
        import cocotb
        from cocotb.clock import Clock

        from tb.common.apb import ApbMaster

        self.dut = dut
        self.log = dut._log
        cocotb.start_soon(Clock(dut.clk, CLK_NS, unit="ns", impl="gpi").start())
        self.apb = ApbMaster(dut, "apb", dut.clk)
        dut.rst_n.value = 0
        for sig in strobes:
            getattr(dut, sig).value = 0

    async def tick(self, n: int = 1) -> None:
        from cocotb.triggers import ClockCycles

        await ClockCycles(self.dut.clk, n)

    async def pulse(self, name: str) -> None:
        """Raise a harness strobe for one cycle (its rising edge triggers the action)."""
        getattr(self.dut, name).value = 1
        await self.tick()
        getattr(self.dut, name).value = 0
        await self.tick()

    async def reset(self, settle: int = 1) -> None:
        self.dut.rst_n.value = 0
        await self.tick(3)
        self.dut.rst_n.value = 1
        await self.tick(settle)
