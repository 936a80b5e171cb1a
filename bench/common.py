"""Shared helpers for bench/ scripts: repeated timing and the JSON result files."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tb.machine import machine

RESULTS = Path(__file__).resolve().parent / "results"


def repeat(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    """Wall seconds of `runs` calls: median and spread."""
    from tqdm import tqdm

    times = []
    for _ in tqdm(range(runs), desc="runs", unit="run", leave=False):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs": runs}


def spread(values: list[float]) -> dict[str, float]:
    """Median and spread (min, max) of repeated measurements."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def write(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps({"name": name, "machine": machine(), **payload}, indent=2) + "\n")
    return out
