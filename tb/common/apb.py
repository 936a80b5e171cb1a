"""APB3 master driver (cocotb-bus BusDriver, signals found by prefix: <prefix>_psel, ...)."""

from __future__ import annotations

from typing import Any

from cocotb.triggers import ReadOnly, RisingEdge
from cocotb_bus.drivers import BusDriver


class ApbError(Exception):
    """The slave answered PSLVERR."""


class ApbMaster(BusDriver):
    _signals = ["psel", "penable", "pwrite", "paddr", "pwdata", "prdata", "pready", "pslverr"]

    def __init__(self, entity: Any, name: str, clock: Any, **kwargs: Any) -> None:
        super().__init__(entity, name, clock, **kwargs)
        self.bus.psel.value = 0
        self.bus.penable.value = 0
        self.bus.pwrite.value = 0
        self.bus.paddr.value = 0
        self.bus.pwdata.value = 0
        self.transfers = 0

    async def _transfer(self, addr: int, data: int, write: bool) -> tuple[int, bool]:
        self.bus.paddr.value = addr
        self.bus.pwrite.value = int(write)
        self.bus.pwdata.value = data & 0xFFFFFFFF if write else 0
        self.bus.psel.value = 1
        self.bus.penable.value = 0
        await RisingEdge(self.clock)  # setup -> access
        self.bus.penable.value = 1
        while True:
            await ReadOnly()
            if int(self.bus.pready.value):
                rdata = int(self.bus.prdata.value) if not write else 0
                err = bool(int(self.bus.pslverr.value))
                break
            await RisingEdge(self.clock)
        await RisingEdge(self.clock)  # access phase ends
        self.bus.psel.value = 0
        self.bus.penable.value = 0
        self.transfers += 1
        return rdata, err

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
