"""Evaluation scenarios, in the shape of Kenning's: dataset, model, quantization, hardware,
simulator, number of samples (docs/deploy.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymodel.errors import AccelscopeError
from pymodel.fileio import read_json
from pymodel.net.quant import Mode
from pymodel.schemas import SCENARIO_SCHEMA, validate

MODES = ("full_int8", "hybrid")


@dataclass(frozen=True)
class Scenario:
    path: Path
    dataset: str
    model: Path
    mode: Mode
    array: int
    simulator: str
    samples: int
    batch: int
    lebug: str = "int16"  # the evaluation build's LeBug (docs/top.md, "LeBug builds")

    @property
    def name(self) -> str:
        return self.path.stem


def load_scenario(path: str | Path, simulators: Sequence[str] = ("model",)) -> Scenario:
    """Parse and check a scenario; `simulators` are the accepted values of "simulator" (the CLI
    passes tb.runner's registry and "model")."""
    path = Path(path)
    doc: Any = read_json(path, "scenario file")  # a JSON object once validate() below passes
    w = str(path)
    validate(doc, SCENARIO_SCHEMA, w)  # types, ranges, allowed keys at every level (pymodel/schemas.py)
    ds = doc["dataset"]["type"]
    model = path.parent / doc["model"]["path"]
    mode = doc.get("quantization", {}).get("mode", "full_int8")
    array = doc.get("hardware", {}).get("array", 8)
    lebug = doc.get("hardware", {}).get("lebug", "int16")
    sim = doc.get("simulator", "icarus")
    if sim not in simulators:
        raise AccelscopeError(f"{w}: simulator {sim!r}: choose one of {', '.join(simulators)}")
    samples = doc.get("samples", 100)
    batch = doc.get("batch", 50)
    return Scenario(path, ds, model, mode, array, sim, samples, batch, lebug)
