"""A systolic simulation job on disk: what the cocotb `run_job` test reads and writes.

job.json (configuration, descriptor words) + img_<mem>.npy in; hw_<mem>.npy,
hw_stream.npy, hw_eof.npy and hw_status.json out. npy files are loaded with
allow_pickle=False.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import Descriptor
from pymodel.systolic.model import MEMORIES

SCHEMA = 1


@dataclass
class HardwareResult:
    mems: dict[str, np.ndarray]  # dumped scratchpads, words 0..extent-1
    stream: np.ndarray
    eof: np.ndarray
    counters: dict[str, int]
    status: dict[str, int]
    wall_s: float = 0.0


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
    def load(cls, path: Path) -> "SystolicJob":
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
