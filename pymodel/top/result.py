"""What a bundle run on accel_top gives back (tb/top/jobs.py decodes it from the harness)
and its one comparison with pymodel.top.model.expected; no simulators here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pymodel.compare import MismatchError, assert_equal, assert_same_counters
from pymodel.errors import AccelscopeError
from pymodel.top.model import TopExpected
from pymodel.top.tapmodel import TapLog


@dataclass
class HwResult:
    """What the testbench reads back after a run."""

    mems: dict[str, np.ndarray]  # written words per scratchpad, in TopExpected.written() order
    stream: np.ndarray
    eof: np.ndarray
    counters: dict[str, int]  # systolic counters
    tap: dict[str, int]
    maxfill: int
    lebug_status: dict[str, int]
    trace: np.ndarray  # LeBug trace-buffer memory (TB_DEPTH, N)
    status: dict[str, int] = field(default_factory=dict)  # systolic STATUS (busy, done, error, ...)
    job: Any = field(default=None, repr=False, compare=False)  # the harness run (tb.job.JobResult: cycles)
    tap_log: TapLog | None = field(default=None, repr=False, compare=False)  # when rows reached the tap

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        arrays = {"stream": self.stream, "eof": self.eof, "trace": self.trace,
                  **{f"mem_{k}": v for k, v in self.mems.items()}}
        for k, v in arrays.items():
            np.save(path / f"{k}.npy", np.asarray(v, dtype=np.int64), allow_pickle=False)
        (path / "hw.json").write_text(json.dumps({"counters": self.counters, "tap": self.tap, "maxfill": self.maxfill,
                                                  "lebug_status": self.lebug_status, "status": self.status,
                                                  "mems": sorted(self.mems)}))

    @classmethod
    def load(cls, path: Path) -> HwResult:
        try:
            meta = json.loads((path / "hw.json").read_text())
            arr = {k: np.load(path / f"{k}.npy", allow_pickle=False) for k in ("stream", "eof", "trace")}
            mems = {k: np.load(path / f"mem_{k}.npy", allow_pickle=False) for k in meta["mems"]}
        except (OSError, KeyError, json.JSONDecodeError) as e:
            raise AccelscopeError(f"simulation wrote no complete results in {path}: {e}") from None
        return cls(mems, arr["stream"], arr["eof"], meta["counters"], meta["tap"], meta["maxfill"],
                   meta["lebug_status"], arr["trace"], meta.get("status", {}))


def check(exp: TopExpected, hw: HwResult, name: str) -> None:
    """Every output word, stream row, counter and trace-buffer row against the model;
    raises pymodel.compare.MismatchError (an AssertionError) naming the first difference. With the
    run's tap log, the tap model says which rows the FIFO stored (they must be the RTL's) and the
    FIFO's high-water mark, and LeBug's expectation is on the stored rows."""
    if hw.tap_log is not None:
        exp = exp.with_tap(hw.tap_log, f"{name}: tap")
        if hw.maxfill != exp.maxfill:
            raise MismatchError(f"{name}: TAP_MAXFILL: expected {exp.maxfill}, actual {hw.maxfill}")
    for mem, addrs in exp.written().items():
        if addrs.size:
            assert_equal(f"{name}: {mem} outputs", exp.systolic.mems[mem][addrs], hw.mems.get(mem))
    assert_equal(f"{name}: stream rows", exp.systolic.stream, hw.stream)
    assert_equal(f"{name}: stream eof", exp.systolic.eof, hw.eof)
    assert_same_counters(f"{name}: systolic counters", exp.systolic.counters.as_dict(), hw.counters)
    if hw.status:
        assert_same_counters(f"{name}: systolic status", exp.systolic.status, hw.status)
    assert_same_counters(f"{name}: tap", exp.tap, hw.tap)
    assert_same_counters(f"{name}: LeBug status", exp.lebug.status.as_dict(), hw.lebug_status)
    assert_equal(f"{name}: LeBug trace buffer", exp.lebug.tb_mem, hw.trace)


def check_or_raise(exp: TopExpected, hw: HwResult, name: str, who: str = "the RTL") -> None:
    """check(), with a disagreement reported as AccelscopeError ("<who> disagrees with the model: ...")."""
    try:
        check(exp, hw, name)
    except MismatchError as e:
        raise AccelscopeError(f"{who} disagrees with the model: {e}") from None


def same(a: HwResult, b: HwResult) -> list[str]:
    """Differences between two hardware results (e.g. two simulators or two load modes); empty when equal."""
    out = []
    for f in ("stream", "eof", "trace"):
        if not np.array_equal(getattr(a, f), getattr(b, f)):
            out.append(f)
    if sorted(a.mems) != sorted(b.mems) or any(not np.array_equal(a.mems[k], b.mems[k]) for k in a.mems):
        out.append("mems")
    for f in ("counters", "tap", "maxfill", "lebug_status", "status"):
        if getattr(a, f) != getattr(b, f):
            out.append(f)
    return out
