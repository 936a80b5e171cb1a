"""The steps model: a quantized network as accelerator GEMM steps and host steps (docs/net.md).

The executor keeps one activation tensor (batch first; NCHW for images) and, in hybrid
mode, the per-sample scale of the last host quantization. A `GemmStep` builds A from
the activation (as is, or im2col), calls `gemm(a, b, bias, relu, out_int8, mult, shift)`
(`intops.gemm_int` or an RTL simulator with the same signature), and lays the (M, N)
result out again (for a convolution (N*OH*OW, OC) -> (N, OC, OH, OW)). Everything
between GEMMs is a host step. Integer results therefore depend only on the GEMM callable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.net.float_model import im2col, maxpool2d, softmax
from pymodel.net.intops import MULT_BITS, GemmFn, gemm_int

QMIN, QMAX = -128, 127


def quantize_tensor(x: np.ndarray, scale: np.ndarray | np.float32 | float) -> np.ndarray:
    """Host quantization: clamp(floor(x / scale + 0.5), -128, 127) in float32 -> int8.

    `scale` is a scalar or, for per-sample scales, shaped to broadcast against x.
    """
    q = np.floor(np.asarray(x, np.float32) / np.float32(scale) + np.float32(0.5))
    return np.clip(q, QMIN, QMAX).astype(np.int8)


def dynamic_scale(x: np.ndarray) -> np.ndarray:
    """Per-sample scale max|x| / 127 (1 for an all-zero sample), float32, shaped (N, 1, ...)."""
    amax = np.abs(np.asarray(x, np.float32)).reshape(len(x), -1).max(axis=1)
    s = np.where(amax > 0, amax / np.float32(127), np.float32(1)).astype(np.float32)
    return s.reshape((len(x),) + (1,) * (np.ndim(x) - 1))


@dataclass(frozen=True)
class Im2col:
    """Host layout for a convolution: A = im2col(x).transpose -> (N*OH*OW, C*kh*kw)."""

    kh: int
    kw: int
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True, eq=False)
class GemmStep:
    """One accelerator GEMM. Operands: b int8 (K, N), bias int32 (N,), mult uint32 (N,), shift uint8 (N,).

    `layout` None means A is the (batch, K) activation itself. The scales are host/fake-quant
    metadata: w_scale (N,) float32, in_scale (None: dynamic per sample), out_scale (int8 output).
    """

    name: str
    b: np.ndarray
    bias: np.ndarray
    relu: bool
    out_int8: bool
    mult: np.ndarray
    shift: np.ndarray
    layout: Im2col | None
    out_hw: tuple[int, int] | None
    w_scale: np.ndarray
    in_scale: np.float32 | None
    out_scale: np.float32 | None
    kind: ClassVar[str] = "gemm"
    on_accelerator: ClassVar[bool] = True

    @property
    def k(self) -> int:
        return int(self.b.shape[0])

    @property
    def n(self) -> int:
        return int(self.b.shape[1])

    def build_a(self, act: np.ndarray) -> np.ndarray:
        """The A operand (M, K) from the activation."""
        if self.layout is None:
            if act.ndim != 2 or act.shape[1] != self.k:
                raise AccelscopeError(f"{self.name}: activation {act.shape} is not (batch, {self.k})")
            return act
        lay = self.layout
        cols = im2col(act, lay.kh, lay.kw, lay.stride, lay.padding)  # (N, K, L)
        if cols.shape[1] != self.k:
            raise AccelscopeError(f"{self.name}: im2col gives K={cols.shape[1]}, weights K={self.k}")
        return cols.transpose(0, 2, 1).reshape(-1, self.k)

    def restore(self, y: np.ndarray, batch: int) -> np.ndarray:
        """The (M, N) result as the next activation: (batch, N) or (batch, N, OH, OW)."""
        if self.out_hw is None:
            return y
        oh, ow = self.out_hw
        return np.ascontiguousarray(y.reshape(batch, oh, ow, self.n).transpose(0, 3, 1, 2))

    def macs(self, batch: int) -> int:
        """Multiply-accumulates for a batch."""
        rows = batch * (self.out_hw[0] * self.out_hw[1] if self.out_hw else 1)
        return rows * self.k * self.n


@dataclass(frozen=True)
class Quantize:
    """Host: float -> int8 with a calibrated scale, or per sample (scale None: max|x|/127)."""

    scale: np.float32 | None
    kind: ClassVar[str] = "quantize"
    on_accelerator: ClassVar[bool] = False


@dataclass(frozen=True, eq=False)
class Dequantize:
    """Host: int32 accumulators -> float: acc * scale[c] (* per-sample input scale) + bias[c], channel axis 1."""

    scale: np.ndarray
    bias: np.ndarray
    dynamic: bool
    kind: ClassVar[str] = "dequantize"
    on_accelerator: ClassVar[bool] = False


@dataclass(frozen=True)
class HostRelu:
    kind: ClassVar[str] = "relu"
    on_accelerator: ClassVar[bool] = False


@dataclass(frozen=True)
class HostMaxPool:
    """Max pooling on the host (exact on int8: max commutes with monotonic quantization)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    kind: ClassVar[str] = "maxpool"
    on_accelerator: ClassVar[bool] = False


@dataclass(frozen=True)
class HostFlatten:
    kind: ClassVar[str] = "flatten"
    on_accelerator: ClassVar[bool] = False


@dataclass(frozen=True)
class HostSoftmax:
    kind: ClassVar[str] = "softmax"
    on_accelerator: ClassVar[bool] = False


Step = GemmStep | Quantize | Dequantize | HostRelu | HostMaxPool | HostFlatten | HostSoftmax


def channel_shape(ndim: int) -> tuple[int, ...]:
    """Broadcast shape of a per-channel vector against a batch (channel axis 1)."""
    return (1, -1) + (1,) * (ndim - 2)


def execute(steps: tuple[Step, ...], x: np.ndarray, gemm: GemmFn | None = None, mult_bits: int = MULT_BITS,
            trace: Callable[[int, Step, np.ndarray], None] | None = None) -> np.ndarray:
    """Run the steps on a float batch; GEMMs go to `gemm` (default `gemm_int`). Returns float32.

    `trace(index, step, output)` is called after every step (e.g. to record histograms).
    """
    gemm_fn: GemmFn = gemm or partial(gemm_int, mult_bits=mult_bits)
    act = np.asarray(x, np.float32)
    in_scale: np.ndarray | np.float32 | None = None
    for i, step in enumerate(steps):
        if isinstance(step, Quantize):
            s = dynamic_scale(act) if step.scale is None else step.scale
            in_scale = s if step.scale is None else None
            act = quantize_tensor(act, s)
        elif isinstance(step, GemmStep):
            a = step.build_a(act)
            y = np.asarray(gemm_fn(a, step.b, step.bias, step.relu, step.out_int8, step.mult, step.shift))
            want = np.int8 if step.out_int8 else np.int32
            if y.shape != (a.shape[0], step.n) or y.dtype != want:
                raise AccelscopeError(f"{step.name}: GEMM returned {y.dtype} {y.shape}, expected {np.dtype(want)}")
            act = step.restore(y, act.shape[0])
        elif isinstance(step, Dequantize):
            cs = channel_shape(act.ndim)
            out = act.astype(np.float32)
            if step.dynamic:
                if in_scale is None:
                    raise AccelscopeError(f"step {i} (dequantize): no per-sample input scale (missing quantize)")
                out = out * in_scale.reshape((-1,) + (1,) * (act.ndim - 1))
            act = out * step.scale.reshape(cs) + step.bias.reshape(cs)
        elif isinstance(step, HostRelu):
            act = np.maximum(act, act.dtype.type(0))
        elif isinstance(step, HostMaxPool):
            act = maxpool2d(act, step.kernel, step.stride)
        elif isinstance(step, HostFlatten):
            act = act.reshape(act.shape[0], -1)
        elif isinstance(step, HostSoftmax):
            act = softmax(act)
        else:
            raise AccelscopeError(f"step {i}: unknown step {step!r}")
        if trace is not None:
            trace(i, step, act)
    return act.astype(np.float32)
