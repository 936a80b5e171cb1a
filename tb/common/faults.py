"""Faults in simulation, shared by the blocks' fault tests (tb/<block>/test_<block>_faults.py;
docs/verification.md, "Faults"):

- XWatch: every output of the DUT is 0 or 1 in every bit at every clock edge (PRDATA: in
  read access phases); Icarus is 4-state, on Verilator the check holds trivially and the
  bit-exact runs carry the test.
- junk_during_run: X or garbage on the idle APB while a harness job is in its RUN phase.
- reset_during: start a harness job and pull reset in the middle of it.
- protocol_faults: malformed APB on the raw bus (access without setup, PSEL dropped
  mid-transfer, back-to-back transfers, writes to read-only registers), each followed by
  a read-back of every listed register against the documented effect.
- assert_regs: whole register sets compared, the first difference named by its address.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb.simtime import get_sim_time
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge, Timer

from pymodel.compare import MismatchError
from tb.common.harness import HarnessTB, Junk
from tb.job import Job, write_job
from tb.runner import MUTANTS_ENV


def seed_from(env_value: str | None) -> int:
    return int(env_value) if env_value else int(cocotb.RANDOM_SEED) % (1 << 32)


def assert_regs(name: str, addrs: Sequence[int], expected: Sequence[int], actual: Sequence[int]) -> None:
    """Whole register sets equal (32-bit words); else the count and the first differing address."""
    want = np.asarray(expected, dtype=np.int64) & 0xFFFFFFFF
    got = np.asarray(actual, dtype=np.int64) & 0xFFFFFFFF
    if want.shape != got.shape:
        raise MismatchError(f"{name}: {got.shape[0]} words read, expected {want.shape[0]}")
    bad = np.flatnonzero(want != got)
    if bad.size:
        i = int(bad[0])
        raise MismatchError(f"{name}: {bad.size} of {len(addrs)} registers differ; first at {addrs[i]:#x}: "
                            f"expected {int(want[i]):#010x}, actual {int(got[i]):#010x}")


async def read_regs(tb: HarnessTB, addrs: Sequence[int]) -> list[int]:
    """Every address read by the job engine (apb_host, not the raw bus under test); the job
    waits until the block can take it (LeBug: its clear is over)."""
    res = await tb.run_job(Job(reads=list(addrs), run=False, timeout=20_000 + 8 * len(addrs)))
    return [int(v) for v in res.reads]


class XWatch:
    """Checks, at every rising and falling clock edge (ReadOnly phase), that each watched
    signal is fully resolvable (no X or Z bit). `names` are harness-level signals wired to
    the DUT's output ports. PRDATA is checked at every edge like the rest; with
    XWATCH_PRDATA=read only where a master samples it, the access phase of a read (PSEL,
    PENABLE, !PWRITE; APB3 leaves it undefined otherwise; an X elsewhere is then counted in
    prdata_idle_x and logged). check() raises with the first offender; `samples` counts the checks made."""

    def __init__(self, dut: Any, names: Sequence[str]) -> None:
        self.dut = dut
        self.handles = {n: getattr(dut, n) for n in names if n != "prdata"}
        self.prdata = dut.prdata if "prdata" in names else None
        self.strict_prdata = os.environ.get("XWATCH_PRDATA", "always") == "always"
        self.samples = 0
        self.bad = 0
        self.prdata_idle_x = 0
        self.first: str | None = None
        self.first_idle: str | None = None
        self._task: Any = None

    def start(self) -> XWatch:
        self._task = cocotb.start_soon(self._run())
        return self

    def _read_access(self) -> bool:
        d = self.dut
        return str(d.psel.value) == "1" and str(d.penable.value) == "1" and str(d.pwrite.value) == "0"

    async def _run(self) -> None:
        while True:
            for edge in (RisingEdge, FallingEdge):
                await edge(self.dut.clk)
                await ReadOnly()
                self.samples += 1
                for name, h in self.handles.items():
                    v = h.value
                    if not v.is_resolvable:
                        self.bad += 1
                        if self.first is None:
                            self.first = f"{name} = {v} at {get_sim_time('ns')} ns"
                if self.prdata is not None:
                    v = self.prdata.value
                    if not v.is_resolvable:
                        where = f"prdata = {v} at {get_sim_time('ns')} ns"
                        if self.strict_prdata or self._read_access():
                            self.bad += 1
                            self.first = self.first or where
                        else:
                            self.prdata_idle_x += 1
                            self.first_idle = self.first_idle or where

    def check(self, what: str) -> None:
        if self.prdata_idle_x:
            self.dut._log.warning("%s: PRDATA not 0/1 outside read access phases in %d samples (first: %s)",
                                  what, self.prdata_idle_x, self.first_idle)
        if self.first is not None:
            raise MismatchError(f"{what}: a DUT output was not 0/1 in {self.bad} samples; first: {self.first}")
        if not self.samples:
            raise AssertionError(f"{what}: the X watch never ran")

    def stop(self, what: str) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.check(what)


async def reset_during(tb: HarnessTB, job: Job, when: Callable[[], bool], limit: int = 100_000) -> int:
    """Start `job` and, at the first falling edge where when() holds, pull rst_n low for three
    rising edges (HarnessTB.reset) with job_go low; returns the cycles from job_go to the reset.
    Fails if the job finished first or when() never held within `limit` cycles."""
    dut = tb.dut
    write_job(tb.dir, job)
    dut.job_go.value = 1
    for n in range(limit):
        await FallingEdge(dut.clk)
        if int(dut.job_done.value):
            raise AssertionError(f"the job finished after {n} cycles, before the reset point")
        if when():
            dut.job_go.value = 0
            await tb.reset()
            return n
    raise AssertionError(f"the reset point was not reached in {limit} cycles")


TEST_TIMEOUT_MS = 2  # simulated time per fault test (they take 0.2 ms or less): a hang fails
S_RUN = 5  # tb/common/job_engine.v: the RUN phase (the engine leaves the APB idle)


async def junk_during_run(tb: HarnessTB, junk: Junk) -> int:
    """Wait for the job engine's RUN phase, then hold the DUT's APB idle with junk on
    pwrite/paddr/pwdata (RawApb) until RUN ends; returns the cycles held. Start it next to
    tb.run_job(job)."""
    state = tb.dut.u_job.state
    while int(state.value) != S_RUN:
        await FallingEdge(tb.dut.clk)
    await tb.raw.start(junk)
    return await tb.raw.idle_while(lambda: int(state.value) == S_RUN, limit=200_000)


@dataclass
class ApbMap:
    """What protocol_faults needs to know about one block, as seen through one APB window.

    rw        a plain read-write register: every value from `values` reads back, no side effect
    values    draws a legal value for rw
    other     another readable register of the block (read between transfers to rw)
    ro        read-only registers (a write answers PSLVERR and changes nothing)
    snapshot  every address read back after each case (must hold rw, other and ro)
    unmapped  addresses that map nothing (a read or write answers PSLVERR, reads 0, changes nothing)
    """
    name: str
    rw: int
    values: Callable[[random.Random], int]
    other: int
    ro: Sequence[int]
    snapshot: Sequence[int]
    unmapped: Sequence[int] = ()


async def protocol_faults(tb: HarnessTB, m: ApbMap, rng: random.Random, junk: Junk) -> None:
    """The four APB protocol errors on the raw bus, each followed by a read-back (job engine) of
    every snapshot register against the documented effect (docs/<block>.md, "APB protocol
    errors"); PSLVERR and the read data of each cycle are checked on the way.

    1. access phase without a setup phase (after an idle cycle, PENABLE held after a completed
       transfer, PSEL rising with PENABLE high): ignored, PSLVERR
    2. PSEL dropped after the setup phase (PENABLE low or high; the transfer's pins held or
       junk): no effect, no PSLVERR
    3. back-to-back transfers, PSEL high throughout: each one as if alone
    4. writes to read-only registers: PSLVERR, nothing changes
    5. reads and writes of unmapped addresses: PSLVERR, read data 0, nothing changes
    """
    raw = tb.raw
    addrs = list(m.snapshot)
    for a in (m.rw, m.other, *m.ro):
        if a not in addrs:
            raise ValueError(f"{m.name}: {a:#x} is not in the snapshot")
    regs = dict(zip(addrs, await read_regs(tb, addrs)))

    used = {regs[m.rw]}

    def fresh() -> int:
        """A legal rw value not used before in this sequence (so every write is visible)."""
        while True:
            v = m.values(rng) & 0xFFFFFFFF
            if v not in used:
                used.add(v)
                return v

    async def compare(case: str) -> None:
        assert_regs(f"{m.name}: after {case}", addrs, [regs[a] for a in addrs], await read_regs(tb, addrs))
        tb.log.info("%s: %s: %d registers as documented", m.name, case, len(addrs))

    def no_err(cycles: Sequence[Any], case: str) -> None:
        for i, c in enumerate(cycles):
            if c.err():
                raise MismatchError(f"{m.name}: {case}: PSLVERR in cycle {i}")

    # 1. access phase without setup: ignored, PSLVERR
    case = "access without setup"
    await raw.start(junk)
    no_err(await raw.idle(2), case)
    stray: list[tuple[str, Any]] = []
    stray.append((f"write {m.rw:#x} after an idle cycle", await raw.access(True, m.rw, fresh())))
    no_err(await raw.idle(1), case)
    stray.append((f"read {m.rw:#x} after an idle cycle", await raw.access(False, m.rw)))
    for ro in m.ro[:2]:
        no_err(await raw.idle(1), case)
        stray.append((f"write to read-only {ro:#x}", await raw.access(True, ro, rng.getrandbits(32))))
    v1, v2 = fresh(), fresh()
    no_err([await raw.setup(True, m.rw, v1), await raw.access(True, m.rw, v1)], case)  # a legal write of v1
    regs[m.rw] = v1
    stray.append((f"write {m.rw:#x} <- {v2:#x}: PENABLE held after a completed write",
                  await raw.access(True, m.rw, v2)))
    data, err = await raw.transfer(False, m.rw)  # back to a setup phase: legal again
    if err or data != v1:
        raise MismatchError(f"{m.name}: {case}: read {m.rw:#x} after the held access: {data:#x} (PSLVERR {err}), "
                            f"expected {v1:#x}")
    stray.append((f"read {m.rw:#x}: PENABLE held after a completed read", await raw.access(False, m.rw)))
    no_err([await raw.cycle(0, 1)], case)  # PENABLE without PSEL: nothing
    stray.append((f"write {m.rw:#x}: PSEL rises with PENABLE high", await raw.access(True, m.rw, v2)))
    for what, got in stray:
        if not got.err():
            raise MismatchError(f"{m.name}: {case}: {what} answered no PSLVERR; documented: ignored, PSLVERR")
    no_err(await raw.idle(2), case)
    await raw.stop()
    await compare(case)

    # 2. PSEL dropped mid-transfer
    case = "PSEL dropped after setup"
    await raw.start(junk)
    for penable in (0, 1):
        for pins in (True, False):  # the write's pwrite/paddr/pwdata held, or junk, while PSEL is low
            v = fresh()
            no_err([await raw.setup(True, m.rw, v), await raw.cycle(0, penable, 1, m.rw, v, pins=pins)], case)
            no_err(await raw.idle(1), case)
    no_err([await raw.setup(True, m.ro[0], rng.getrandbits(32)), await raw.cycle(0, 1)], case)
    no_err([await raw.setup(False, m.rw), await raw.cycle(0, 1, 0, m.rw, pins=True)], case)
    no_err(await raw.idle(2), case)
    await raw.stop()
    await compare(case)

    # 3. back-to-back transfers: PSEL high from the first setup to the last access
    case = "back-to-back transfers"
    v4, v5 = fresh(), fresh()
    ops: list[tuple[bool, int, int, int | None, bool]] = [  # write, addr, wdata, expected read, PSLVERR
        (True, m.rw, v4, None, False), (False, m.rw, 0, v4, False), (True, m.rw, v5, None, False),
        (False, m.rw, 0, v5, False), (False, m.other, 0, regs[m.other], False),
        (True, m.ro[0], rng.getrandbits(32), None, True), (False, m.rw, 0, v5, False),
        (False, m.ro[0], 0, regs[m.ro[0]], False)]
    await raw.start(junk)
    for i, (write, addr, wdata, want, want_err) in enumerate(ops):
        data, err = await raw.transfer(write, addr, wdata)
        if err != want_err or (want is not None and data != want):
            raise MismatchError(f"{m.name}: {case}: transfer {i} ({'write' if write else 'read'} {addr:#x}) "
                                f"answered {data:#x} PSLVERR {err}, expected "
                                f"{'-' if want is None else hex(want)} PSLVERR {want_err}")
    no_err(await raw.idle(2), case)
    await raw.stop()
    regs[m.rw] = v5
    await compare(case)

    # 4. writes to read-only registers
    case = "writes to read-only registers"
    await raw.start(junk)
    for ro in m.ro:
        _, err = await raw.transfer(True, ro, rng.getrandbits(32))
        if not err:
            raise MismatchError(f"{m.name}: {case}: write to {ro:#x} without PSLVERR")
        no_err(await raw.idle(1), case)
    await raw.stop()
    await compare(case)

    # 5. unmapped addresses
    if m.unmapped:
        case = "accesses to unmapped addresses"
        await raw.start(junk)
        for a in m.unmapped:
            for write in (True, False):
                data, err = await raw.transfer(write, a, rng.getrandbits(32) if write else 0)
                if not err or (not write and data != 0):
                    raise MismatchError(f"{m.name}: {case}: {'write' if write else 'read'} {a:#x} answered "
                                        f"{data:#x} PSLVERR {err}; documented: PSLVERR, read data 0")
                no_err(await raw.idle(1), case)
        await raw.stop()
        await compare(case)


@dataclass(frozen=True)
class BashWord:
    """One word of a bit bash: its address, the bits that store (the rest read 0) and, if the
    read sign-extends a narrower value, that value's width (0: no sign extension)."""
    addr: int
    mask: int = 0xFFFFFFFF
    sign_w: int = 0

    def readback(self, value: int) -> int:
        v = value & self.mask
        if self.sign_w and (v >> (self.sign_w - 1)) & 1:
            v |= 0xFFFFFFFF & ~((1 << self.sign_w) - 1)
        return v


# every bit 0 and 1, each bit alone; the words end as reset leaves them (0)
BASH_PATTERNS = (0, 0xFFFFFFFF, *(1 << b for b in range(32)), 0)


async def bit_bash(tb: HarnessTB, name: str, words: Sequence[BashWord]) -> None:
    """UVM's register bit bash, one job a pattern: each pattern of BASH_PATTERNS (all zeros, all
    ones, a walking one, zeros again) written to every word in address order (a wide memory word's chunks low
    first, as docs/systolic.md requires), then every word read back. Every stored bit is then seen
    at 0 and at 1 and alone, so a bit stuck, inverted or coupled to another bit of its word (its
    storage, write data or read mux) reads back wrong. Whole arrays compared; the first mismatch
    names the pattern, the address, expected and actual values."""
    words = sorted(words, key=lambda w: w.addr)
    addrs = [w.addr for w in words]
    got_parts = []
    for p in BASH_PATTERNS:  # a job a pattern (rounds without a RUN phase leave its per-round count X)
        res = await tb.run_job(Job(writes=[(a, p) for a in addrs], reads=addrs, run=False,
                                   timeout=20_000 + 16 * len(addrs)))
        got_parts.append(np.asarray(res.reads, dtype=np.int64))
    want = np.array([w.readback(p) for p in BASH_PATTERNS for w in words], dtype=np.int64)
    got = np.concatenate(got_parts)
    bad = np.flatnonzero(want != got)
    if bad.size:
        i = int(bad[0])
        p = BASH_PATTERNS[i // len(words)]
        raise MismatchError(f"{name}: bit bash: {bad.size} of {want.size} reads differ; first: pattern {p:#010x} at "
                            f"{addrs[i % len(words)]:#x}: expected {int(want[i]):#010x}, actual {int(got[i]):#010x}")
    tb.log.info("%s: bit bash: %d words x %d patterns read back as written", name, len(words), len(BASH_PATTERNS))


# --------------------------------------------------------------------------
# counter preload: the counters' upper bits, which no run of test length reaches
# --------------------------------------------------------------------------
PRELOAD = 0xFFFF_F000  # added to every counter during a run: each bit from 12 up set while it counts on
WORD = 0xFFFF_FFFF


@dataclass(frozen=True)
class Counter:
    """A 32-bit event counter: its key in the block's read-back, its flip-flops (a path below the
    DUT instance) and its APB address."""
    key: str
    path: str
    addr: int


@dataclass(frozen=True)
class Shadow:
    """A register the assertions keep beside counters (only with ASSERT_ON): it moves by the sum
    of coef x the change of each named counter, so that the books the assertions check still agree."""
    path: str
    coefs: tuple[tuple[str, int], ...]


def _handle(root: Any, path: str) -> Any:
    for part in path.split("."):
        root = getattr(root, part)
    return root


@cache
def _registers_behind(where: str, name: str) -> tuple[str, ...]:
    """The private registers the mutant netlists under `where` assign a wire `name` from (yosys writes
    `assign {..., name[..], ...} = _NNNN_;` or `assign name = _NNNN_;`): read once per counter name."""
    pattern = re.compile(rf"assign\s+(?:\{{[^}}]*\b{re.escape(name)}\b[^}}]*\}}|{re.escape(name)})\s*=\s*(_\d+_)\s*;")
    return tuple(reg for netlist in sorted(Path(where).rglob("*.v")) for reg in pattern.findall(netlist.read_text()))


def _behind(root: Any, path: str) -> Any | None:
    """In a mutant netlist (make mutate), the flip-flop behind a counter whose output carries a mutant
    (the netlist under MUTANTS_ENV writes it as a private register): its handle in the counter's
    scope, or None."""
    where = os.environ.get(MUTANTS_ENV)
    if not where:
        return None
    *scope_path, name = path.split(".")
    scope = _handle(root, ".".join(scope_path)) if scope_path else root
    for reg in _registers_behind(where, name):
        try:
            h = scope[reg]
        except (KeyError, AttributeError):
            continue
        if len(h) == 32:
            return h
    return None


async def _shift(root: Any, counters: Sequence[Counter], shadows: Sequence[Shadow], new: dict[str, int]) -> set[str]:
    """Set the counters to `new` by backdoor deposit (they count on from there) and move the shadows by
    the change of those that took it; the keys of those. One step after the deposit each counter is
    read back: in a mutant netlist (make mutate) a counter whose flip-flop output carries a mutant is
    a wire there, which a deposit cannot set: the flip-flop behind it is set instead (_behind)."""
    old = {c.key: int(_handle(root, c.path).value) for c in counters}
    for c in counters:
        _handle(root, c.path).value = new[c.key] & WORD
    await Timer(1, unit="step")
    took = {c.key for c in counters if int(_handle(root, c.path).value) == new[c.key] & WORD}
    behind = {c.key: ff for c in counters if c.key not in took and (ff := _behind(root, c.path)) is not None}
    for key, ff in behind.items():  # a mutant netlist: a counter yosys wrote as a wire, set on its flip-flop
        ff.value = new[key] & WORD
        took.add(key)
    if behind:
        await Timer(1, unit="step")
    if len(took) < len(counters) and not os.environ.get(MUTANTS_ENV):  # the RTL: every counter is a register
        raise AssertionError(f"counters the deposit did not set: {sorted({c.key for c in counters} - took)}")
    for s in shadows:
        try:
            h = _handle(root, s.path)
        except AttributeError:  # a build without the assertions' shadow state
            continue
        h.value = (int(h.value) + sum(k * (new[key] - old[key]) for key, k in s.coefs if key in took)) & WORD
    return took


async def preload_when(clk: Any, root: Any, counters: Sequence[Counter], shadows: Sequence[Shadow],
                       ready: Callable[[], bool], amount: int = PRELOAD) -> set[str]:
    """At the first falling clock edge where ready() holds (after the run's last clear), add `amount`
    to every counter: the run then counts through the upper bits and their carries, and the read-back
    minus `amount` must be the model's count (unpreload). The keys of the counters preloaded."""
    while True:
        await FallingEdge(clk)
        if ready():
            break
    return await _shift(root, counters, shadows,
                        {c.key: int(_handle(root, c.path).value) + amount for c in counters})


async def preload_each_after_first(clk: Any, root: Any, counters: Sequence[Counter], shadows: Sequence[Shadow],
                                   ready: Callable[[], bool], done: set[str], amount: int = PRELOAD) -> None:
    """Once ready() holds (after the run's last clear), each counter gets `amount` added alone, at
    the first falling clock edge after its first count (its value no longer 0): it counts on once
    less from there than from a preload at 0, so a fault that flips a bit at every count, which an
    even number of counts would cancel, shows in one of the two runs. The keys of the counters
    preloaded go into `done` (run it as a task; cancel it when the job ends: a counter that never
    counted is not preloaded)."""
    while True:
        await FallingEdge(clk)
        if ready():
            break
    todo = list(counters)
    while todo:
        for c in [c for c in todo if int(_handle(root, c.path).value) != 0]:
            todo.remove(c)
            done |= await _shift(root, [c], shadows, {c.key: int(_handle(root, c.path).value) + amount})
        await FallingEdge(clk)


def unpreload(values: dict[str, int], preloaded: set[str], amount: int = PRELOAD) -> dict[str, int]:
    """The read-back with the preload taken off the preloaded counters."""
    return {k: ((v - amount) & WORD) if k in preloaded else v for k, v in values.items()}


async def counter_read_paths(tb: HarnessTB, root: Any, counters: Sequence[Counter], shadows: Sequence[Shadow],
                             rng: random.Random) -> None:
    """With the block idle, each counter set by backdoor to all ones, all zeros and a random word, then
    read through APB twice, a clock apart: the value set, in every bit (the read multiplexers with
    every counter bit; a counter that holds)."""
    clk = tb.dut.clk
    for pattern in (WORD, 0, None):
        new = {c.key: (rng.getrandbits(32) if pattern is None else pattern) for c in counters}
        await FallingEdge(clk)
        took = await _shift(root, counters, shadows, new)
        sel = [c for c in counters if c.key in took]
        addrs = [c.addr for c in sel]
        what = f"counters set to {'random words' if pattern is None else hex(pattern)} by backdoor"
        assert_regs(what, addrs, [new[c.key] for c in sel], await read_regs(tb, addrs))
        # once more, a clock later: an idle counter holds (a fault flipping a bit at every clock edge
        # reads right at one parity of the edges since the deposit)
        await FallingEdge(clk)
        assert_regs(what + ", read again a clock later", addrs, [new[c.key] for c in sel], await read_regs(tb, addrs))
