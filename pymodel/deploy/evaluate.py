"""Evaluate a scenario: float, fake-quantized and integer numpy models on the whole test split,
and, given an RTL GEMM (tb/top/deploy.py's RtlGemm), the RTL on the first `samples` test
images; results.json."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from pymodel.deploy.gemm_calls import BINS, CallStats, eval_config, hist_edges, histogram, layer_outputs
from pymodel.deploy.onchip import onchip_rtl
from pymodel.deploy.scenario import Scenario
from pymodel.errors import AccelscopeError
from pymodel.net import digits
from pymodel.net.float_model import forward
from pymodel.net.importers import load_json, load_onnx
from pymodel.net.layers import Network
from pymodel.net.quant import quantize
from pymodel.net.steps import GemmStep
from pymodel.systolic.model import MULT_BITS
from pymodel.top.network import integer_logits


class RtlGemmLike(Protocol):
    """A GEMM with gemm_int's signature that keeps per-call statistics (tb.top.deploy.RtlGemm)."""

    calls: list[CallStats]

    def __call__(self, a: np.ndarray, b: np.ndarray, bias: np.ndarray, relu: bool, out_int8: bool,
                 mult: np.ndarray, shift: np.ndarray) -> np.ndarray: ...


RtlFactory = Callable[[Any, str, list[np.ndarray]], RtlGemmLike]  # (TopConfig, simulator, edges)


def load_model(sc: Scenario) -> Network:
    return load_onnx(sc.model) if sc.model.suffix == ".onnx" else load_json(sc.model)


def check_model(sc: Scenario) -> Network:
    """Load the scenario's model and check it fits the dataset (features in, classes out)."""
    net = load_model(sc)
    data = digits.load()
    features = int(np.prod(data.x_test.shape[1:]))
    if int(np.prod(net.input_shape)) != features:
        raise AccelscopeError(f"{sc.model}: input shape {tuple(net.input_shape)} does not fit the {sc.dataset} "
                              f"dataset's {features} features")
    out = net.shapes[-1] if net.shapes else None
    classes = int(data.y_test.max()) + 1
    if out is None or tuple(out) != (classes,):
        raise AccelscopeError(f"{sc.model}: output shape {out} does not match the {sc.dataset} dataset's "
                              f"{classes} classes")
    return net


def shaped(x: np.ndarray, net: Network) -> np.ndarray:
    return x.reshape((len(x),) + tuple(net.input_shape))


def confusion(y: np.ndarray, pred: np.ndarray, classes: int = 10) -> list[list[int]]:
    cm = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    return cm.tolist()


def evaluate(sc: Scenario, progress: bool = True, rtl_gemm: RtlFactory | None = None,
             rtl_stream: Any = None) -> dict[str, Any]:
    """The models on the whole test split; with sc.simulator != "model", also the RTL: a full_int8
    network compiled whole and streamed through one programmed chip by `rtl_stream`
    (pymodel.deploy.onchip), any other mode one GEMM at a time through rtl_gemm(TopConfig,
    simulator, histogram edges per layer) with the host between layers."""
    from tqdm import tqdm

    t0 = time.perf_counter()
    net = check_model(sc)
    data = digits.load()
    x_test = shaped(data.x_test, net)
    x_cal = shaped(data.x_train, net)
    y = data.y_test
    try:
        qnet = quantize(net, x_cal, sc.mode, mult_bits=MULT_BITS)
    except AccelscopeError as err:  # e.g. a scale the hardware's multiplier cannot express
        raise AccelscopeError(f"{sc.model}: {err}") from None
    acc = {
        "float": float(np.mean(np.asarray(forward(net, x_test)).argmax(1) == y)),
        "fake_quant": float(np.mean(qnet.fake(x_test).argmax(1) == y)),
        "integer": float(np.mean(qnet.run(x_test).argmax(1) == y)),
    }
    n = min(sc.samples, len(x_test))
    xs, ys = x_test[:n], y[:n]
    int_logits = qnet.run(xs)
    layers = [s for s in qnet.steps if isinstance(s, GemmStep)]
    result: dict[str, Any] = {"scenario": str(sc.path), "model": sc.model.name, "mode": sc.mode, "array": sc.array,
                              "lebug": sc.lebug,
                              "simulator": sc.simulator, "test_images": int(len(y)), "rtl_images": 0,
                              "host_layers": [s.kind for s in qnet.steps if not isinstance(s, GemmStep)]}
    if sc.simulator == "model":
        result.update(accuracy=acc, confusion=confusion(ys, int_logits.argmax(1)), layers=[],
                      bit_exact=None, wall_s=time.perf_counter() - t0)
        return result
    if sc.mode == "full_int8" and rtl_stream is not None:
        return _onchip(sc, net, qnet, xs, ys, int_logits, acc, result, rtl_stream, t0)
    if rtl_gemm is None:
        raise AccelscopeError(f"simulator {sc.simulator!r}: evaluate() was given no RTL GEMM")
    outputs = layer_outputs(qnet, layers, xs, sc.batch)
    cfg = eval_config(sc.array, sc.lebug)
    edges = [hist_edges(outputs[i], s.out_int8, cfg.lebug.DATA_W) for i, s in enumerate(layers)]
    rtl = rtl_gemm(cfg, sc.simulator, edges)
    outs = []
    with tqdm(total=n, unit="img", desc=f"RTL ({sc.simulator})", disable=not progress) as bar:
        for b0 in range(0, n, sc.batch):
            outs.append(qnet.run(xs[b0:b0 + sc.batch], gemm=rtl))
            bar.update(len(xs[b0:b0 + sc.batch]))
    rtl_logits = np.concatenate(outs)
    exact = bool(np.array_equal(rtl_logits, int_logits))
    if not exact:
        raise AccelscopeError("RTL logits differ from the integer model's")
    acc["rtl"] = float(np.mean(rtl_logits.argmax(1) == ys))
    acc["integer_on_rtl_images"] = float(np.mean(int_logits.argmax(1) == ys))
    result.update(accuracy=acc, confusion=confusion(ys, rtl_logits.argmax(1)), bit_exact=exact, rtl_images=n,
                  flow="host_in_the_loop", layers=layer_table(sc, layers, rtl, outputs),
                  wall_s=time.perf_counter() - t0)
    return result


def _onchip(sc: Scenario, net: Network, qnet: Any, xs: np.ndarray, ys: np.ndarray, int_logits: np.ndarray,
            acc: dict[str, float], result: dict[str, Any], rtl_stream: Any, t0: float) -> dict[str, Any]:
    """The RTL part with the whole network on chip (pymodel.deploy.onchip)."""
    run = onchip_rtl(net, qnet, eval_config(sc.array, sc.lebug), sc.simulator, xs, integer_logits(qnet, xs),
                     rtl_stream)
    # the RTL's int32 logits equal the integer model's bit for bit (onchip_rtl raises otherwise), so the
    # host's dequantization gives the integer model's outputs and predictions
    pred = int_logits.argmax(1)
    acc["rtl"] = float(np.mean(pred == ys))
    acc["integer_on_rtl_images"] = acc["rtl"]
    on_chip = {id(step) for step in run["steps"]}
    st = run["stream"]
    result.update(accuracy=acc, confusion=confusion(ys, pred), bit_exact=True, rtl_images=len(xs), flow="on_chip",
                  host_layers=[s.kind for s in qnet.steps if id(s) not in on_chip],
                  layers=run["layers"], cycles=st.get("cycles"), memory_plan=st["memory_plan"],
                  wall_s=time.perf_counter() - t0)
    return result


def layer_table(sc: Scenario, layers: list[GemmStep], rtl: RtlGemmLike,
                outputs: list[np.ndarray]) -> list[dict[str, Any]]:
    """Per accelerator layer: cycles, MACs, utilization, scratchpad bytes, LeBug histogram vs model."""
    nl = len(layers)
    table = []
    K = sc.array
    for i, step in enumerate(layers):
        calls = rtl.calls[i::nl]
        y = outputs[i]
        edges = np.asarray(calls[0].edges)
        hw = np.sum([c.hw_hist for c in calls], axis=0)
        pads = sum(c.pad_zeros for c in calls)
        zero_bin = int(np.searchsorted(edges, 0, side="left")) - 1
        hw_act = hw.copy()
        if 0 <= zero_bin < BINS:
            hw_act[zero_bin] -= pads
        model_hist = histogram(y, edges)
        cycles = sum(c.cycles for c in calls)
        macs = sum(c.macs for c in calls)
        table.append({
            "layer": step.name, "m": sum(c.m for c in calls), "k": step.k, "n": step.n,
            "out": "int8" if step.out_int8 else "int32", "relu": step.relu,
            "im2col": step.layout is not None, "calls": sum(c.chunks for c in calls),
            "cycles": cycles, "busy": sum(c.busy for c in calls), "macs": macs,
            "utilization": macs / (K * K * cycles) if cycles else 0.0,
            "scratchpad_bytes": {k: max(c.scratchpad_bytes.get(k, 0) for c in calls)
                                 for k in calls[0].scratchpad_bytes},
            "stream_rows": sum(c.stream_rows for c in calls), "tap_drops": sum(c.tap_drops for c in calls),
            "tap_max_fill": max(c.tap_max_fill for c in calls),
            "hist_edges": edges.tolist(), "hist_hw": hw_act.tolist(), "hist_model": model_hist.tolist(),
            "hist_pad_zeros": pads, "hist_match": bool(np.array_equal(hw_act, model_hist)),
        })
    return table
