"""Evaluation scenarios, in the shape of Kenning's: dataset, model, quantization, hardware,
simulator, number of samples (docs/deploy.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from pymodel.errors import AccelscopeError

MODES = ("full_int8", "hybrid")


@dataclass(frozen=True)
class Scenario:
    path: Path
    dataset: str
    model: Path
    mode: str
    array: int
    simulator: str
    samples: int
    batch: int

    @property
    def name(self) -> str:
        return self.path.stem


def _get(doc: dict[str, Any], key: str, typ: type, where: str, default: Any = None) -> Any:
    if key not in doc:
        if default is not None:
            return default
        raise AccelscopeError(f"{where}: missing {key!r}")
    val = doc[key]
    if not isinstance(val, typ) or isinstance(val, bool):
        raise AccelscopeError(f"{where}: {key!r} must be {typ.__name__}, got {val!r}")
    return val


def load_scenario(path: str | Path, simulators: Sequence[str] = ("model",)) -> Scenario:
    """Parse and check a scenario; `simulators` are the accepted values of "simulator" (the CLI
    passes tb.runner's registry and "model")."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise AccelscopeError(f"{path}: no such file") from None
    except json.JSONDecodeError as e:
        raise AccelscopeError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    w = str(path)
    if not isinstance(doc, dict):
        raise AccelscopeError(f"{w}: expected a JSON object")
    unknown = set(doc) - {"dataset", "model", "quantization", "hardware", "simulator", "samples", "batch"}
    if unknown:
        raise AccelscopeError(f"{w}: unknown keys {sorted(unknown)}")
    ds = _get(_get(doc, "dataset", dict, w), "type", str, f"{w} dataset")
    if ds != "digits":
        raise AccelscopeError(f"{w} dataset: type {ds!r} not supported (digits: scikit-learn's bundled set)")
    model = path.parent / _get(_get(doc, "model", dict, w), "path", str, f"{w} model")
    if model.suffix not in (".onnx", ".json"):
        raise AccelscopeError(f"{w} model: {model.name}: expected an .onnx or .json (+npz) file")
    mode = _get(doc.get("quantization", {}), "mode", str, f"{w} quantization", "full_int8")
    if mode not in MODES:
        raise AccelscopeError(f"{w} quantization: mode {mode!r} not in {MODES}")
    array = _get(doc.get("hardware", {}), "array", int, f"{w} hardware", 8)
    if array not in (2, 4, 8, 16):
        raise AccelscopeError(f"{w} hardware: array {array} not in (2, 4, 8, 16)")
    sim = _get(doc, "simulator", str, w, "icarus")
    if sim not in simulators:
        raise AccelscopeError(f"{w}: simulator {sim!r}: choose one of {', '.join(simulators)}")
    samples = _get(doc, "samples", int, w, 100)
    batch = _get(doc, "batch", int, w, 50)
    if samples < 1 or batch < 1:
        raise AccelscopeError(f"{w}: samples and batch must be >= 1")
    return Scenario(path, ds, model, mode, array, sim, samples, batch)
