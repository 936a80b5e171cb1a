"""The RTL side of `accelscope eval` and `make sim TEST=mlp_digits` (pymodel/deploy/evaluate.py
runs no simulator; it is handed these): a GEMM that runs on accel_top (tb/top/deploy.py), a
whole network streamed through one programmed chip (tb/top/stream.py), the simulators a
scenario may name, and the evaluation's summary lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pymodel.bundle import Bundle
from pymodel.bundle.inputs import InputBatch
from pymodel.top.config import TopConfig
from tb.runner import SIMULATORS
from tb.top.deploy import RtlGemm
from tb.top.stream import stream_results


def scenario_sims() -> list[str]:
    """The simulators a scenario's `simulator` may name: tb.runner's registry, and "model"."""
    return [*SIMULATORS, "model"]


def rtl_gemm_factory(cfg: TopConfig, sim: str, edges: list[np.ndarray]) -> RtlGemm:
    """pymodel.deploy.evaluate's host-in-the-loop RTL: each GEMM call a bundle on accel_top."""
    return RtlGemm(cfg, sim=sim, edges=edges)


def rtl_stream(bundle: Bundle, batches: Sequence[InputBatch], sim: str) -> dict[str, Any]:
    """pymodel.deploy.evaluate's on-chip RTL: the batches through one programmed chip on `sim`."""
    return stream_results(bundle, batches, sim, progress=True)


def summary(res: dict[str, Any]) -> str:
    """An evaluation's results.json as a few lines: accuracies, and per layer on the RTL."""
    acc = res["accuracy"]
    lines = [f"{res['model']} ({res['mode']}): float {acc['float']:.2%}, fake-quant {acc['fake_quant']:.2%}, "
             f"integer {acc['integer']:.2%} on {res['test_images']} test images"]
    if "rtl" in acc:
        lines.append(f"RTL ({res['simulator']}): {acc['rtl']:.2%} on {res['rtl_images']} images "
                     f"(integer model on the same images {acc['integer_on_rtl_images']:.2%}); "
                     f"logits bit-exact: {res['bit_exact']}")
        for lay in res["layers"]:
            lines.append(f"  {lay['layer']}: {lay['m']}x{lay['k']}x{lay['n']} {lay['cycles']} cycles, "
                         f"{lay['macs']} MACs, utilization {lay['utilization']:.3f}, "
                         f"LeBug histogram {'equals' if lay['hist_match'] else 'DIFFERS FROM'} the model")
    return "\n".join(lines)
