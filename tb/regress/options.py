"""The options of one `accelscope regress` sweep (tb/cli.py builds them from the flags;
tb/regress/engine.py runs them, tb/regress/report.py writes their outputs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Options:
    blocks: list[str]
    seeds: int
    sim: str = "verilator-native"  # one of tb.runner.NATIVE_SIMS
    first_seed: int = 1
    out: Path = Path("regress_out")
    workers: int | None = None  # None: one per core (LocalCluster); 0: in this process, no Dask
    scheduler: str | None = None  # an existing Dask scheduler's address
    chunk: int | None = None  # seeds per task (default: about 4 tasks per worker and block, at most 50)
    coverage: bool = False  # code coverage (the verilator-native --coverage builds)
    # code coverage of one seed in N (cases.measured: runs of 4); the others run on the plain builds
    coverage_every: int = 1
    progress: bool = True
    on_progress: Callable[[int, int, object], None] | None = field(default=None, repr=False)  # (done, total, client)
