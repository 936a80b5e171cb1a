"""Base of every cocotb testbench class (tb/<block>/test_<block>.py): the GPI clock,
the reset, the host port (single APB transfers through the harness's apb_host, so cocotb
uses the same APB timing as every other path), harness jobs (tb/job.py), and the raw
drivers of the fault tests: RawApb (the DUT's APB pins cycle by cycle, harness raw_*) and
RawStream (LeBug's stream inputs, lebug_harness raw_in_*)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotb.types import Logic, LogicArray
from cocotb_bus.drivers import BusDriver

from tb.job import CLK_NS, Job, JobResult, read_result, write_job


class ApbError(Exception):
    """The slave answered PSLVERR."""


class HostPort(BusDriver):
    """Single APB transfers through the harness's host port (<prefix>_valid, _ready, ...)."""

    _signals: ClassVar[list[str]] = ["valid", "ready", "write", "addr", "wdata", "rsp", "rdata", "err"]

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


def four_state() -> bool:
    """True on a 4-state simulator (Icarus: X can be driven and seen); False on Verilator."""
    return not cocotb.SIM_NAME.lower().startswith("verilator")


class Junk:
    """What a raw driver puts on data and address pins that nobody may look at (valid or
    select low): X on a 4-state simulator, random bits (from `rng`) on a 2-state one, or
    zeros when `rng` is None and X is off."""

    def __init__(self, rng: random.Random | None, use_x: bool | None = None) -> None:
        self.rng = rng
        self.use_x = four_state() if use_x is None else use_x

    def drive(self, handle: Any) -> None:
        n = len(handle)
        if self.use_x:
            handle.value = LogicArray("X" * n) if n > 1 else Logic("X")
        else:
            handle.value = self.rng.getrandbits(n) if self.rng is not None else 0


@dataclass
class ApbCycle:
    """The DUT's answer in one raw cycle (sampled mid-cycle, before the edge that ends it)."""
    prdata: LogicArray
    pready: Logic
    pslverr: Logic

    def rdata(self) -> int:
        if not self.prdata.is_resolvable:
            raise AssertionError(f"PRDATA is {self.prdata} in an access phase")
        return int(self.prdata)

    def err(self) -> bool:
        if not self.pslverr.is_resolvable:
            raise AssertionError(f"PSLVERR is {self.pslverr}")
        return bool(int(self.pslverr))


class RawApb(BusDriver):
    """The DUT's APB inputs cycle by cycle (harness ports <prefix>_en, _psel, _penable, _pwrite,
    _paddr, _pwdata; tb/common/harness_ports.vh), for protocol errors that apb_host never
    makes. While enabled, every cycle drives exactly what the caller asks; pins that do not
    matter (pwrite, paddr, pwdata while PSEL is low) carry `junk` (X on Icarus, garbage on
    Verilator). The DUT's answer is the harness's prdata, pready, pslverr.

    Cycle discipline: `start` returns just after a rising edge; every `cycle` drives its
    values there, samples the answer at the falling edge and returns after the next rising
    edge (the one at which the DUT took the values)."""

    _signals: ClassVar[list[str]] = ["en", "psel", "penable", "pwrite", "paddr", "pwdata"]

    def __init__(self, entity: Any, name: str, clock: Any, **kwargs: Any) -> None:
        super().__init__(entity, name, clock, **kwargs)
        self.entity = entity
        self.junk = Junk(None, use_x=False)
        self.cycles = 0
        for sig in self._signals:
            getattr(self.bus, sig).value = 0

    async def start(self, junk: Junk) -> None:
        """Take the DUT's bus from apb_host (which must be idle) at the next rising edge."""
        self.junk = junk
        await RisingEdge(self.clock)
        if int(self.entity.m_psel.value):
            raise RuntimeError("RawApb.start: apb_host is in a transfer")
        self.bus.en.value = 1
        self._idle_pins()

    async def stop(self) -> None:
        """Give the bus back to apb_host (after the current cycle)."""
        self._idle_pins()
        self.bus.psel.value = 0
        self.bus.en.value = 0
        self.junk = Junk(None, use_x=False)
        for sig in ("pwrite", "paddr", "pwdata"):
            getattr(self.bus, sig).value = 0

    def _idle_pins(self) -> None:
        self.bus.psel.value = 0
        self.bus.penable.value = 0
        for sig in ("pwrite", "paddr", "pwdata"):
            self.junk.drive(getattr(self.bus, sig))

    async def cycle(self, psel: int, penable: int, pwrite: int = 0, addr: int = 0, wdata: int = 0,
                    pins: bool = False) -> ApbCycle:
        """Drive one clock cycle; with psel low pwrite/paddr/pwdata carry junk unless `pins`
        (then the given values, e.g. a transfer's, held while PSEL drops)."""
        b = self.bus
        if psel or pins:
            b.psel.value = int(bool(psel))
            b.pwrite.value = int(pwrite)
            b.paddr.value = addr
            b.pwdata.value = wdata & 0xFFFFFFFF
        else:
            self._idle_pins()
        b.penable.value = int(penable)
        await FallingEdge(self.clock)
        e = self.entity
        got = ApbCycle(e.prdata.value, e.pready.value, e.pslverr.value)
        await RisingEdge(self.clock)
        self.cycles += 1
        return got

    async def idle(self, n: int = 1) -> list[ApbCycle]:
        return [await self.cycle(0, 0) for _ in range(n)]

    async def idle_while(self, cond: Any, limit: int = 20_000) -> int:
        """An idle bus (junk on the pins) while cond() holds, checked mid-cycle; at the first
        falling edge where it does not, the bus goes back to apb_host before the next rising
        edge (so the job engine's next transfer is untouched). Returns the idle cycles."""
        for n in range(limit):
            self._idle_pins()
            await FallingEdge(self.clock)
            if not cond():
                await self.stop()
                return n
            await RisingEdge(self.clock)
            self.cycles += 1
        raise RuntimeError(f"RawApb.idle_while: still holding after {limit} cycles")

    async def setup(self, write: bool, addr: int, wdata: int = 0) -> ApbCycle:
        return await self.cycle(1, 0, int(write), addr, wdata)

    async def access(self, write: bool, addr: int, wdata: int = 0) -> ApbCycle:
        """One access cycle (held while PREADY is low)."""
        while True:
            got = await self.cycle(1, 1, int(write), addr, wdata)
            if not got.pready.is_resolvable:
                raise AssertionError(f"PREADY is {got.pready}")
            if int(got.pready):
                return got

    async def transfer(self, write: bool, addr: int, wdata: int = 0) -> tuple[int, bool]:
        """A well-formed transfer: setup, access; PSEL stays high when the caller follows it with
        another transfer at once (back to back). Returns (read data, PSLVERR)."""
        await self.setup(write, addr, wdata)
        got = await self.access(write, addr, wdata)
        return (0 if write else got.rdata()), got.err()


class RawStream(BusDriver):
    """LeBug's stream inputs from cocotb (lebug_harness ports <prefix>_en, _valid, _eof, _data):
    vectors presented only while in_ready is high (nothing is dropped), `junk` on eof and
    data in every cycle without a vector. Falling-edge discipline: the DUT's registered
    in_ready is sampled mid-cycle and the vector is driven for the rising edge that ends it."""

    _signals: ClassVar[list[str]] = ["en", "valid", "eof", "data"]

    def __init__(self, entity: Any, name: str, clock: Any, width: int, **kwargs: Any) -> None:
        super().__init__(entity, name, clock, **kwargs)
        self.entity = entity
        self.width = width  # bits per lane (lane i at [i*width +: width])
        for sig in self._signals:
            getattr(self.bus, sig).value = 0

    def _word(self, vec: Any) -> int:
        mask = (1 << self.width) - 1
        return sum((int(v) & mask) << (self.width * i) for i, v in enumerate(vec))

    def _idle_pins(self, junk: Junk) -> None:
        self.bus.valid.value = 0
        junk.drive(self.bus.eof)
        junk.drive(self.bus.data)

    async def play(self, x: Any, eof: Any, gaps: Any, junk: Junk) -> int:
        """Take LeBug's stream inputs, present x[i] (eof[i]) after gaps[i] idle cycles and once
        in_ready is high, then give them back to the player; returns the cycles spent."""
        b = self.bus
        await FallingEdge(self.clock)
        b.en.value = 1
        self._idle_pins(junk)
        cycles = 0
        for vec, e, gap in zip(x, eof, gaps):
            for _ in range(int(gap)):
                self._idle_pins(junk)
                await FallingEdge(self.clock)
                cycles += 1
            while not int(self.entity.in_ready.value):  # registered: stable mid-cycle
                self._idle_pins(junk)
                await FallingEdge(self.clock)
                cycles += 1
            b.valid.value = 1
            b.eof.value = int(e[0]) | (int(e[1]) << 1)
            b.data.value = self._word(vec)
            await FallingEdge(self.clock)
            cycles += 1
        self._idle_pins(junk)
        await FallingEdge(self.clock)
        b.en.value = 0
        b.eof.value = 0
        b.data.value = 0
        return cycles + 1


class HarnessTB:
    """Clock, reset, host port and job control of a tb/<block>/<block>_harness.v."""

    # inputs beyond harness_ports.vh that some harnesses have, tied low until a test drives them
    EXTRA_TIES = ("raw_in_en", "raw_in_valid", "raw_in_eof", "raw_in_data")

    def __init__(self, dut: Any) -> None:
        self.dut = dut
        self.dir = Path(str(cocotb.plusargs.get("JOB_DIR", ".")))  # the job directory (+JOB_DIR)
        self.log = dut._log
        Clock(dut.clk, CLK_NS, unit="ns", impl="gpi").start()
        self.apb = HostPort(dut, "host", dut.clk)
        self.raw = RawApb(dut, "raw", dut.clk)  # the raw override is off until raw.start()
        for name in self.EXTRA_TIES:  # a harness's own raw inputs (lebug_harness: the stream override)
            if hasattr(dut, name):
                getattr(dut, name).value = 0
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
