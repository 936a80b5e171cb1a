"""A LeBug simulation job on disk: what the cocotb `run_job` test reads and writes.

job.json (configuration, firmware words, thresholds) + x.npy + eof.npy in, and
hw_tb_mem.npy + hw_status.json out. npy files are loaded with allow_pickle=False.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.isa import Firmware, decode_firmware, encode_firmware

SCHEMA = 1


@dataclass
class LebugJob:
    cfg: LebugConfig
    firmware: Firmware
    thresholds: np.ndarray
    x: np.ndarray
    eof: np.ndarray
    path: Path | None = None

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "schema": SCHEMA,
            "config": self.cfg.params(),
            "firmware": [f"{w:016x}" for w in encode_firmware(self.firmware, self.cfg)],
            "thresholds": [int(t) for t in self.thresholds],
        }
        (path / "job.json").write_text(json.dumps(meta, indent=1))
        np.save(path / "x.npy", np.asarray(self.x, dtype=np.int64), allow_pickle=False)
        np.save(path / "eof.npy", np.asarray(self.eof, dtype=np.int64), allow_pickle=False)
        for stale in ("hw_tb_mem.npy", "hw_status.json"):
            (path / stale).unlink(missing_ok=True)
        self.path = path

    @classmethod
    def load(cls, path: Path) -> "LebugJob":
        try:
            meta = json.loads((path / "job.json").read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise AccelscopeError(f"{path / 'job.json'}: {e}") from None
        if meta.get("schema") != SCHEMA:
            raise AccelscopeError(f"{path / 'job.json'}: unknown schema {meta.get('schema')!r}")
        cfg = LebugConfig(**meta["config"])
        fw = decode_firmware([int(w, 16) for w in meta["firmware"]], cfg)
        x = np.load(path / "x.npy", allow_pickle=False)
        eof = np.load(path / "eof.npy", allow_pickle=False)
        return cls(cfg, fw, np.asarray(meta["thresholds"], dtype=np.int64), x, eof, path)

    def save_hardware(self, tb_mem: np.ndarray, status: dict[str, int]) -> None:
        assert self.path is not None
        np.save(self.path / "hw_tb_mem.npy", tb_mem, allow_pickle=False)
        (self.path / "hw_status.json").write_text(json.dumps(status))

    def load_hardware(self) -> tuple[np.ndarray, dict[str, int]]:
        assert self.path is not None
        try:
            mem = np.load(self.path / "hw_tb_mem.npy", allow_pickle=False)
            status = json.loads((self.path / "hw_status.json").read_text())
        except OSError as e:
            raise AccelscopeError(f"simulation wrote no results in {self.path}: {e}") from None
        return mem, status


def trace_from_mem(tb_mem: np.ndarray, rows_written: int) -> np.ndarray:
    """Surviving trace rows in write order from the trace-buffer memory."""
    depth = tb_mem.shape[0]
    if rows_written <= depth:
        return tb_mem[:rows_written]
    start = rows_written % depth
    return np.concatenate([tb_mem[start:], tb_mem[:start]])
