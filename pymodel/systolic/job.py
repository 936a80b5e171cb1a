"""A systolic run's inputs and what the hardware gave back, without simulators: the
HardwareResult a harness run decodes to (tb/systolic/jobs.py), its comparison with the
model (`mismatches`), the parser of the harness's output-row capture (`stream_from_text`),
and SystolicJob, a job saved on disk (job.json, configuration and descriptor words, +
img_<mem>.npy in; hw_<mem>.npy, hw_stream.npy, hw_eof.npy and hw_status.json out; npy
files are loaded with allow_pickle=False).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pymodel.compare import first_mismatch
from pymodel.errors import AccelscopeError
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import Descriptor
from pymodel.systolic.layout import from_hex
from pymodel.systolic.model import MEMORIES, RunResult

SCHEMA = 1


@dataclass
class HardwareResult:
    mems: dict[str, np.ndarray]  # dumped scratchpads, words 0..extent-1
    stream: np.ndarray
    eof: np.ndarray
    counters: dict[str, int]
    status: dict[str, int]
    wall_s: float = 0.0  # wall time of the simulation run (builds excluded)
    job: Any = field(default=None, repr=False, compare=False)  # the harness run (tb.job.JobResult: cycles)


def mismatches(exp: RunResult, hw: HardwareResult) -> list[str]:
    """Every disagreement between the model and the hardware (empty when bit-exact)."""
    problems = []
    for name, mem in hw.mems.items():
        msg = first_mismatch(exp.mems[name][: len(mem)], mem)
        if msg:
            problems.append(f"scratchpad {name}: {msg}")
    for what, e, a in (("stream rows", exp.stream, hw.stream), ("stream eof", exp.eof, hw.eof)):
        msg = first_mismatch(e, a)
        if msg:
            problems.append(f"{what}: {msg}")
    for k, v in exp.counters.as_dict().items():
        if hw.counters.get(k) != v:
            problems.append(f"counter {k}: expected {v}, actual {hw.counters.get(k)}")
    for k, v in exp.status.items():
        if hw.status.get(k) != v:
            problems.append(f"status {k}: expected {v}, actual {hw.status.get(k)}")
    return problems


def stream_from_text(text: str, K: int) -> tuple[np.ndarray, np.ndarray]:
    """Parse the harness capture file (stream.txt): '<eof hex> <data hex>' per output row."""
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return np.zeros((0, K), np.int64), np.zeros((0, 2), np.int64)
    bad = next((i for i, ln in enumerate(lines) if len(ln) != 2), None)
    if bad is not None:
        raise AccelscopeError(f"stream capture: line {bad + 1}: expected '<eof> <data>', got {' '.join(lines[bad])!r}")
    try:
        eof_v = np.array([int(e, 16) for e, _ in lines], dtype=np.int64)
    except ValueError:
        raise AccelscopeError("stream capture: an eof field is not hex (undefined X/Z bits?)") from None
    data = from_hex("\n".join(d for _, d in lines), K, 32, where="stream capture")
    return data, np.stack([eof_v & 1, eof_v >> 1], axis=1)


@dataclass
class SystolicJob:
    cfg: SystolicConfig
    descriptors: list[Descriptor]
    images: dict[str, np.ndarray]
    path: Path | None = None
    meta: dict = field(default_factory=dict)

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        doc = {"schema": SCHEMA, "config": self.cfg.params(),
               "descriptors": [[f"{w:08x}" for w in d.encode()] for d in self.descriptors],
               "reserved_flags": [d.reserved_flags for d in self.descriptors], "meta": self.meta}
        (path / "job.json").write_text(json.dumps(doc, indent=1))
        for name in MEMORIES:
            np.save(path / f"img_{name}.npy", np.asarray(self.images.get(name, np.zeros((0, self.cfg.K))),
                                                         dtype=np.int64), allow_pickle=False)
        for stale in path.glob("hw_*"):
            stale.unlink()
        self.path = path

    @classmethod
    def load(cls, path: Path) -> SystolicJob:
        try:
            doc = json.loads((path / "job.json").read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise AccelscopeError(f"{path / 'job.json'}: {e}") from None
        if doc.get("schema") != SCHEMA:
            raise AccelscopeError(f"{path / 'job.json'}: unknown schema {doc.get('schema')!r}")
        cfg = SystolicConfig(**doc["config"])
        descs = []
        for i, (words, rf) in enumerate(zip(doc["descriptors"], doc["reserved_flags"])):
            w = [int(x, 16) for x in words]
            if rf:
                w[1] &= ~(rf << 16)
            d = Descriptor.decode(w, f"{path / 'job.json'}: descriptor {i}")
            if rf:
                d = Descriptor(**{**d.as_dict(), "reserved_flags": rf})
            descs.append(d)
        images = {name: np.load(path / f"img_{name}.npy", allow_pickle=False) for name in MEMORIES}
        return cls(cfg, descs, images, path, doc.get("meta", {}))

    def save_hardware(self, hw: HardwareResult) -> None:
        assert self.path is not None
        for name, mem in hw.mems.items():
            np.save(self.path / f"hw_{name}.npy", mem, allow_pickle=False)
        np.save(self.path / "hw_stream.npy", hw.stream, allow_pickle=False)
        np.save(self.path / "hw_eof.npy", hw.eof, allow_pickle=False)
        (self.path / "hw_status.json").write_text(json.dumps({"counters": hw.counters, "status": hw.status}))

    def load_hardware(self) -> HardwareResult:
        assert self.path is not None
        try:
            st = json.loads((self.path / "hw_status.json").read_text())
            mems = {name: np.load(self.path / f"hw_{name}.npy", allow_pickle=False) for name in MEMORIES
                    if (self.path / f"hw_{name}.npy").exists()}
            stream = np.load(self.path / "hw_stream.npy", allow_pickle=False)
            eof = np.load(self.path / "hw_eof.npy", allow_pickle=False)
        except (OSError, ValueError) as e:
            raise AccelscopeError(f"simulation wrote no results in {self.path}: {e}") from None
        return HardwareResult(mems, stream, eof, st["counters"], st["status"])


def same_hardware(a: HardwareResult, b: HardwareResult) -> list[str]:
    """Differences between two hardware results (e.g. two simulators); empty when equal."""
    out = [f for f in ("stream", "eof") if not np.array_equal(getattr(a, f), getattr(b, f))]
    if sorted(a.mems) != sorted(b.mems) or any(not np.array_equal(a.mems[k], b.mems[k]) for k in a.mems):
        out.append("mems")
    out += [f for f in ("counters", "status") if getattr(a, f) != getattr(b, f)]
    return out
