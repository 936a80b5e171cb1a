"""A scenario's RTL evaluation with the whole network on chip (docs/deploy.md, "How the RTL
runs a network"): the scenario's quantized network compiled into one bundle
(pymodel/top/network.py), the RTL images streamed through one programmed chip by the
`rtl_stream` the caller gives (tb/top/stream.stream_results; pymodel runs no simulator),
then the per-layer table and LeBug histograms of that single run against the integer model."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pymodel.deploy.gemm_calls import histogram, layer_outputs
from pymodel.errors import AccelscopeError
from pymodel.net.layers import Network
from pymodel.net.quant import QuantizedNetwork
from pymodel.systolic.descriptor import OP_CONV, OP_NAMES, OP_POOL
from pymodel.systolic.model import descriptor_counters
from pymodel.top.config import TopConfig
from pymodel.top.network import compile_quantized, input_batches, pool_layer_names

# images a run: a batch's rows fit the tap FIFO (pymodel.top.taprate decides overlap from LeBug's pace)
ONCHIP_BATCH = 8
RtlStream = Callable[[Any, list, str], dict]  # (bundle, input batches, simulator) -> tb.top.stream.stream_results


def onchip_rtl(net: Network, qnet: QuantizedNetwork, cfg: TopConfig, sim: str, xs: np.ndarray, want: np.ndarray,
               rtl_stream: RtlStream) -> dict[str, Any]:
    """Compile, stream `xs` on `sim`, compare the logits with the integer model's `want`:
    the RTL logits, the stream's results and the per-layer table (the scenario report's shape)."""
    c = compile_quantized(qnet, cfg, ONCHIP_BATCH, pool_names=pool_layer_names(net))
    with tempfile.TemporaryDirectory(prefix="accelscope_eval_") as tmp:
        c.bundle.write(Path(tmp) / "bundle")
        batches = input_batches(c.bundle, xs)
        res = rtl_stream(c.bundle, batches, sim)
    logits = np.asarray(res["logits"], np.int64)
    if logits.shape != want.shape or not np.array_equal(logits, want):
        raise AccelscopeError("RTL logits differ from the integer model's")
    # the integer model on the images the chip ran: the real ones and the last batch's zero padding
    padded = np.concatenate([xs, np.zeros((len(batches) * ONCHIP_BATCH - len(xs),) + xs.shape[1:], xs.dtype)])
    values = layer_outputs(qnet, [lay.out_step for lay in c.layers], padded)
    return {"logits": logits, "stream": res, "layers": layer_table(c, res, values, len(batches)),
            "steps": [lay.step for lay in c.layers]}


def layer_table(c: Any, res: dict[str, Any], values: list[np.ndarray], runs: int) -> list[dict[str, Any]]:
    """Per on-chip layer (one descriptor, run once a batch): shape, cycles, MACs, utilization and the
    LeBug histogram of the run (zero lanes of partial tiles removed) beside numpy's on the integer
    model's values."""
    K = c.cfg.sys.K
    edges = np.asarray(res["histograms"]["edges"], np.int64)
    zero_bin = int(np.searchsorted(edges, 0, side="left")) - 1
    plan = {k: v["bytes"] for k, v in res["memory_plan"]["scratchpads"].items()}
    table = []
    for lay, d, y in zip(c.layers, c.descriptors, values):
        cnt = descriptor_counters(c.cfg.sys, d)
        pads = runs * d.out_rows * (d.nt(K) * K - (d.cin if d.op == OP_POOL else d.n))
        hw = np.asarray(res["histograms"]["rtl"][lay.label], np.int64)
        if 0 <= zero_bin < len(hw):
            hw[zero_bin] -= pads
        model = histogram(y, edges)
        table.append({
            "layer": lay.label, "op": OP_NAMES[d.op], "m": runs * d.rows, "k": d.kd, "n": d.n,
            "out": "int8" if d.int8 else "int32", "relu": d.relu, "im2col": d.op == OP_CONV, "calls": runs,
            "cycles": runs * cnt.cycles, "busy": runs * cnt.busy, "macs": runs * cnt.macs,
            "utilization": cnt.macs / (K * K * cnt.cycles) if cnt.cycles else 0.0,
            "scratchpad_bytes": plan, "stream_rows": runs * cnt.rows, "tap_drops": 0,
            "tap_max_fill": res.get("tap_max_fill", 0),
            "hist_edges": edges.tolist(), "hist_hw": hw.tolist(), "hist_model": model.tolist(),
            "hist_pad_zeros": pads, "hist_match": bool(np.array_equal(hw, model))})
    return table
