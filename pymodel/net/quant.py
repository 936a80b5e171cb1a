"""Post-training quantization to the steps model, and the fake-quantized float pass (docs/net.md).

Modes:
  "full_int8": per-channel int8 weights, per-tensor int8 activations calibrated on a set
      (max |x|, or a percentile of |x|), bias and ReLU fused in the GEMM, on-chip
      requantization to int8 between layers; the last GEMM outputs int32 that the host
      dequantizes to float logits (per output channel), or, with `int8_logits`, int8 logits
      requantized with a scale calibrated on the logits themselves (per tensor, as a full-int8
      TFLite model's output), which the host multiplies by that scale.
  "hybrid" (HEEPstor): per-channel int8 weights; before every GEMM the host quantizes the
      activation per sample (max |x| / 127); the accelerator returns the raw int32 GEMM;
      the host rescales, adds the float bias and applies ReLU in float.

Rounding everywhere is round-half-up: floor(v + 0.5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.net.float_model import check_input, forward, maxpool2d, softmax
from pymodel.net.intops import MAX_SHIFT, MULT_BITS, GemmFn
from pymodel.net.layers import Conv2d, Flatten, Linear, MaxPool2d, Network, ReLU, Softmax, fold, where
from pymodel.net.steps import (
    Dequantize,
    GemmStep,
    HostFlatten,
    HostMaxPool,
    HostRelu,
    HostSoftmax,
    Im2col,
    Quantize,
    Step,
    channel_shape,
    dynamic_scale,
    execute,
    quantize_tensor,
)

Mode = Literal["full_int8", "hybrid"]
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


@dataclass(frozen=True, eq=False)
class QuantizedNetwork:
    """A network lowered to steps; `run` is the integer pass, `fake` the fake-quantized float pass."""

    mode: Mode
    steps: tuple[Step, ...]
    input_shape: tuple[int, ...]
    mult_bits: int = MULT_BITS

    @property
    def gemms(self) -> list[GemmStep]:
        return [s for s in self.steps if isinstance(s, GemmStep)]

    def run(self, x: np.ndarray, gemm: GemmFn | None = None,
            trace: Callable[[int, Step, np.ndarray], None] | None = None) -> np.ndarray:
        """Integer pass: GEMMs via `gemm` (default gemm_int), host steps in numpy; float32 output."""
        return execute(self.steps, self._check(x), gemm, self.mult_bits, trace)

    def fake(self, x: np.ndarray, trace: Callable[[int, Step, np.ndarray], None] | None = None) -> np.ndarray:
        """Fake-quantized float32 pass over a whole batch (see `fake_forward`)."""
        return fake_forward(self, x, trace)

    def describe(self) -> str:
        """One line per step."""
        lines = []
        for i, s in enumerate(self.steps):
            if isinstance(s, GemmStep):
                lay = "A=act" if s.layout is None else f"A=im2col({s.layout.kh}x{s.layout.kw}, s={s.layout.stride}, " \
                                                       f"p={s.layout.padding})"
                lines.append(f"{i:3d} accel {s.name}: K={s.k} N={s.n} {lay} relu={s.relu} "
                             f"out={'int8' if s.out_int8 else 'int32'}")
            else:
                lines.append(f"{i:3d} host  {s.kind}")
        return "\n".join(lines)

    def _check(self, x: np.ndarray) -> np.ndarray:
        arr = np.asarray(x, np.float32)
        if arr.shape[1:] != self.input_shape:
            dims = ", ".join(map(str, self.input_shape))
            raise AccelscopeError(f"input batch shape {arr.shape}: expected (N, {dims})")
        return arr


# --------------------------------------------------------------------------- parameter helpers


def round_half_up(v: np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(v, np.float64) + 0.5)


def quantize_weights(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel symmetric int8: (B int8 (K, N), s_w float32 (N,)), s_w = max|w[n]| / 127 (1 if 0).

    `w` is (out, ...) and is flattened per output channel in (c, kh, kw) order, matching im2col.
    """
    w2 = np.asarray(w, np.float32).reshape(w.shape[0], -1)
    amax = np.abs(w2).max(axis=1)
    s_w = np.where(amax > 0, amax / np.float32(127), np.float32(1)).astype(np.float32)
    q = np.clip(round_half_up(w2.astype(np.float64) / s_w[:, None]), -127, 127).astype(np.int8)
    return np.ascontiguousarray(q.T), s_w


def quantize_bias(b: np.ndarray, s_x: float | np.floating[Any], s_w: np.ndarray) -> np.ndarray:
    """bias_q[n] = round(b[n] / (s_x * s_w[n])), saturated to int32."""
    q = round_half_up(np.asarray(b, np.float64) / (np.float64(s_x) * s_w.astype(np.float64)))
    return np.clip(q, INT32_MIN, INT32_MAX).astype(np.int32)


def requant_params(m: np.ndarray, mult_bits: int = MULT_BITS) -> tuple[np.ndarray, np.ndarray]:
    """Per channel the largest shift in 0..31 with mult = round(m * 2^shift) < 2^mult_bits.

    mult / 2^shift then approximates m with the most precision the hardware has.
    """
    m = np.asarray(m, np.float64)
    cand = round_half_up(m[:, None] * np.exp2(np.arange(MAX_SHIFT + 1))[None, :])
    ok = cand < float(1 << mult_bits)
    if not ok[:, 0].all():
        bad = np.flatnonzero(~ok[:, 0])
        raise AccelscopeError(f"requantization multiplier {m[bad[0]]:.8g} (channel {bad[0]}) does not fit "
                              f"{mult_bits} bits even with shift 0: "
                              "output scale too small for the hardware")
    shift = ok.sum(axis=1) - 1  # valid shifts form a prefix: cand grows with the shift
    mult = cand[np.arange(len(m)), shift]
    return mult.astype(np.uint32), shift.astype(np.uint8)


def _amax(t: np.ndarray, percentile: float | None) -> np.float32:
    a = np.abs(t)
    v = float(a.max()) if percentile is None else float(np.percentile(a, percentile))
    return np.float32(v / 127 if v > 0 else 1.0)


def _gemm_layout(layer: Linear | Conv2d, out_shape: tuple[int, ...]) -> tuple[Im2col | None, tuple[int, int] | None]:
    if isinstance(layer, Linear):
        return None, None
    kh, kw = layer.weight.shape[2:]
    return Im2col(int(kh), int(kw), layer.stride, layer.padding), (out_shape[1], out_shape[2])


# --------------------------------------------------------------------------- lowering


def quantize(network: Network, calib: np.ndarray, mode: Mode = "full_int8", mult_bits: int = MULT_BITS,
             percentile: float | None = None, int8_logits: bool = False) -> QuantizedNetwork:
    """Fold, calibrate on `calib` (a float batch) and lower to steps in `mode`.

    Calibration (full_int8 only): scale = max|x| / 127 over the whole calibration batch
    (or the `percentile` of |x|), for the network input and for every GEMM output after
    its fused ReLU; with `int8_logits` (full_int8 only) for the last GEMM's output too.
    """
    if mode not in ("full_int8", "hybrid"):
        raise AccelscopeError(f"quantization mode {mode!r}: expected 'full_int8' or 'hybrid'")
    if not 1 <= mult_bits <= 32:
        raise AccelscopeError(f"mult_bits={mult_bits} must be in 1..32")
    net = fold(network)
    if not any(isinstance(layer, (Linear, Conv2d)) for layer in net.layers):
        raise AccelscopeError("network has no Linear or Conv2d layer: nothing for the accelerator")
    if int8_logits and mode != "full_int8":
        raise AccelscopeError("int8 logits need the full_int8 mode")
    steps = _lower_hybrid(net) if mode == "hybrid" else _lower_full(net, check_input(net, calib), mult_bits,
                                                                        percentile, int8_logits)
    return QuantizedNetwork(mode, tuple(steps), net.input_shape, mult_bits)


def _host_step(layer: object) -> Step:
    if isinstance(layer, MaxPool2d):
        return HostMaxPool(layer.kernel, layer.stride)
    if isinstance(layer, Flatten):
        return HostFlatten()
    if isinstance(layer, ReLU):
        return HostRelu()
    if isinstance(layer, Softmax):
        return HostSoftmax()
    raise AccelscopeError(f"{type(layer).__name__}: no host step")  # fold() removed the rest


def _lower_hybrid(net: Network) -> list[Step]:
    steps: list[Step] = []
    for i, layer in enumerate(net.layers):
        if not isinstance(layer, (Linear, Conv2d)):
            steps.append(_host_step(layer))
            continue
        b, s_w = quantize_weights(layer.weight)
        n = b.shape[1]
        layout, out_hw = _gemm_layout(layer, net.shapes[i])
        steps += [Quantize(None),
                  GemmStep(where(i, layer.kind), b, np.zeros(n, np.int32), False, False, np.zeros(n, np.uint32),
                           np.zeros(n, np.uint8), layout, out_hw, s_w, None, None),
                  Dequantize(s_w, layer.bias.copy(), True)]
    return steps


def _lower_full(net: Network, calib: np.ndarray, mult_bits: int, percentile: float | None,
                int8_logits: bool = False) -> list[Step]:
    # 1. structure: GEMMs with fused ReLUs (a ReLU fuses into the last GEMM when only MaxPool /
    #    Flatten lie between: relu, max and requantization all commute exactly)
    plan: list[list] = []  # [kind, layer index, relu]
    for i, layer in enumerate(net.layers):
        if isinstance(layer, ReLU):
            j = len(plan) - 1
            while j >= 0 and plan[j][0] == "host" and isinstance(net.layers[plan[j][1]], (MaxPool2d, Flatten)):
                j -= 1
            if j >= 0 and plan[j][0] == "gemm":
                plan[j][2] = True
                continue
        plan.append(["gemm" if isinstance(layer, (Linear, Conv2d)) else "host", i, False])
    last_gemm = max(j for j, p in enumerate(plan) if p[0] == "gemm")
    # 2. calibration on the float network
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is the error below, not a warning
        acts = forward(net, calib, trace=True)
    for i, act in enumerate(acts):
        if not np.all(np.isfinite(act)):
            raise AccelscopeError(f"calibration: {where(i, net.layers[i].kind)} overflows float32 on the "
                                  f"calibration batch (input values up to {float(np.abs(calib).max()):.3g})")
    s_x = _amax(calib, percentile)
    steps: list[Step] = [Quantize(s_x)]
    for j, (kind, i, relu) in enumerate(plan):
        layer = net.layers[i]
        if kind == "host":
            steps.append(_host_step(layer))
            continue
        b, s_w = quantize_weights(layer.weight)
        bias = quantize_bias(layer.bias, s_x, s_w)
        layout, out_hw = _gemm_layout(layer, net.shapes[i])
        n = b.shape[1]
        name = where(i, layer.kind)
        if j == last_gemm and not int8_logits:
            steps += [GemmStep(name, b, bias, relu, False, np.zeros(n, np.uint32), np.zeros(n, np.uint8), layout,
                               out_hw, s_w, s_x, None),
                      Dequantize((np.float64(s_x) * s_w).astype(np.float32), np.zeros(n, np.float32), False)]
            continue
        t = np.maximum(acts[i], 0) if relu else acts[i]
        s_y = _amax(t, percentile)
        mult, shift = requant_params(np.float64(s_x) * s_w.astype(np.float64) / np.float64(s_y), mult_bits)
        steps.append(GemmStep(name, b, bias, relu, True, mult, shift, layout, out_hw, s_w, s_x, s_y))
        if j == last_gemm:  # int8 logits: the host multiplies them by their one scale
            steps.append(Dequantize(np.full(n, s_y, np.float32), np.zeros(n, np.float32), False))
        s_x = s_y
    return steps


# --------------------------------------------------------------------------- fake quantization


def fake_forward(qnet: QuantizedNetwork, x: np.ndarray,
                 trace: Callable[[int, Step, np.ndarray], None] | None = None) -> np.ndarray:
    """The quantized network simulated in float32 on real values, whole batch at once.

    Tensors hold dequantized values (q * scale). A GEMM multiplies the fake-quantized
    activation by the dequantized weights (b * s_w) and adds the dequantized bias; ReLU;
    an int8 output is re-rounded as s_y * clamp(floor(y * k + 0.5)) with the hardware's
    effective factor k = mult / 2^shift / (s_x * s_w), so it tracks the integer pass up to
    float32 rounding. Host steps are the same as in the integer pass, in float.
    `trace(index, step, output)` is called after every step, as in `QuantizedNetwork.run`.
    """
    act = qnet._check(x)
    for i, step in enumerate(qnet.steps):
        if isinstance(step, Quantize):
            s = dynamic_scale(act) if step.scale is None else step.scale
            act = quantize_tensor(act, s).astype(np.float32) * s
        elif isinstance(step, GemmStep):
            w_hat = step.b.astype(np.float32) * step.w_scale[None, :]
            y = step.build_a(act) @ w_hat
            if step.in_scale is not None:
                y = y + step.bias.astype(np.float32) * (step.in_scale * step.w_scale)
            if step.relu:
                y = np.maximum(y, np.float32(0))
            if step.out_int8:
                k = (step.mult.astype(np.float64) / np.exp2(step.shift.astype(np.float64))
                     / (np.float64(step.in_scale) * step.w_scale)).astype(np.float32)
                y = np.clip(np.floor(y * k + np.float32(0.5)), -128, 127) * step.out_scale
            act = step.restore(y.astype(np.float32), act.shape[0])
        elif isinstance(step, Dequantize):
            act = act + step.bias.reshape(channel_shape(act.ndim))  # the scale is already in the values
        elif isinstance(step, HostRelu):
            act = np.maximum(act, np.float32(0))
        elif isinstance(step, HostMaxPool):
            act = maxpool2d(act, step.kernel, step.stride)
        elif isinstance(step, HostFlatten):
            act = act.reshape(act.shape[0], -1)
        elif isinstance(step, HostSoftmax):
            act = softmax(act)
        if trace is not None:
            trace(i, step, act)
    return act.astype(np.float32)
