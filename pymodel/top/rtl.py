"""Run accel_top under cocotb (tb/top): regressions and bundle replays."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.simrun import REPO, SIM_BUILD, results_ok, rtl_sources, run_cocotb
from pymodel.top.config import TopConfig

HARNESS = REPO / "tb" / "top" / "top_harness.v"
REGRESSION = r"^tb\.top\.test_top\.(?!run_job)"
JOB = r"^tb\.top\.test_top\.run_job$"


@dataclass
class HwResult:
    """What the testbench reads back after a run."""

    mems: dict[str, np.ndarray]  # written words per scratchpad, in TopExpected.written() order
    stream: np.ndarray
    eof: np.ndarray
    counters: dict[str, int]
    tap: dict[str, int]
    maxfill: int
    lebug_status: dict[str, int]
    trace: np.ndarray  # LeBug trace-buffer memory (TB_DEPTH, N)

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        arrays = {"stream": self.stream, "eof": self.eof, "trace": self.trace,
                  **{f"mem_{k}": v for k, v in self.mems.items()}}
        for k, v in arrays.items():
            np.save(path / f"{k}.npy", np.asarray(v, dtype=np.int64), allow_pickle=False)
        (path / "hw.json").write_text(json.dumps({"counters": self.counters, "tap": self.tap, "maxfill": self.maxfill,
                                                  "lebug_status": self.lebug_status, "mems": sorted(self.mems)}))

    @classmethod
    def load(cls, path: Path) -> "HwResult":
        try:
            meta = json.loads((path / "hw.json").read_text())
            arr = {k: np.load(path / f"{k}.npy", allow_pickle=False) for k in ("stream", "eof", "trace")}
            mems = {k: np.load(path / f"mem_{k}.npy", allow_pickle=False) for k in meta["mems"]}
        except (OSError, KeyError, json.JSONDecodeError) as e:
            raise AccelscopeError(f"simulation wrote no complete results in {path}: {e}") from None
        return cls(mems, arr["stream"], arr["eof"], meta["counters"], meta["tap"], meta["maxfill"],
                   meta["lebug_status"], arr["trace"])


def build_dir_for(cfg: TopConfig, waves: bool = False) -> Path:
    return SIM_BUILD / "top" / (cfg.tag() + ("_waves" if waves else ""))


def run_top_tb(cfg: TopConfig, test_filter: str = REGRESSION, extra_env: dict[str, str] | None = None,
               waves: bool = False, log_file: Path | None = None, sim: str = "icarus") -> Path:
    bdir = build_dir_for(cfg, waves)
    work = bdir / "work"
    work.mkdir(parents=True, exist_ok=True)
    env = {"TOP_HW": json.dumps(cfg.hardware()), "TOP_DIR": str(work), **(extra_env or {})}
    return run_cocotb(toplevel="top_harness", sources=rtl_sources("systolic", "lebug", "top") + [HARNESS],
                      parameters=cfg.params(), test_module="tb.top.test_top", build_dir=bdir,
                      test_filter=test_filter, waves=waves, extra_env=env, log_file=log_file, sim=sim,
                      plusargs=[f"+TOP_DIR={work}"])


def replay_on_rtl(bundle_dir: Path, cfg: TopConfig, mode: str = "apb", sim: str = "icarus",
                  waves: bool = False) -> HwResult:
    """Replay (or backdoor-load) a bundle on the RTL; the cocotb test checks it against the model."""
    bdir = build_dir_for(cfg, waves)
    bdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=bdir, prefix="out_") as out:
        log = bdir / "sim.log"
        results = run_top_tb(cfg, JOB, {"TOP_BUNDLE": str(Path(bundle_dir).resolve()), "TOP_MODE": mode,
                                        "TOP_OUT": out}, waves=waves, log_file=log, sim=sim)
        tests, failed = results_ok(results)
        if tests != 1 or failed:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:]) if log.exists() else ""
            raise AccelscopeError(f"RTL replay failed or disagreed with the model (log: {log}):\n{tail}")
        return HwResult.load(Path(out))
