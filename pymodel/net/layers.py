"""Layers of a sequential network (docs/net.md), the `Network` container and BatchNorm folding.

Shapes exclude the batch dimension: a feature vector is `(F,)`, an image `(C, H, W)`
(NCHW when batched). Arrays are stored as read-only float32 copies, so a layer can be
shared between networks without being changed behind anyone's back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from pymodel.errors import AccelscopeError

Shape = tuple[int, ...]


def _array(value: object, name: str, ndim: int) -> np.ndarray:
    if np.asarray(value).dtype.kind not in "biuf":  # complex, strings, dates: no silent cast to float32
        raise AccelscopeError(f"{name}: expected real numbers, got dtype {np.asarray(value).dtype}")
    arr = np.array(value, dtype=np.float32)  # a copy, never a view of the caller's data
    if arr.ndim != ndim:
        raise AccelscopeError(f"{name}: expected {ndim} dimensions, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise AccelscopeError(f"{name}: contains NaN or infinity")
    arr.setflags(write=False)
    return arr


def _pair(value: int | tuple[int, int] | list[int], name: str, minimum: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= minimum for v in pair):
        raise AccelscopeError(f"{name}: expected an integer >= {minimum} or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)  # frozen dataclasses normalize their fields once


@dataclass(frozen=True, eq=False)
class Linear:
    """y = x @ weight.T + bias; weight (out, in)."""

    weight: np.ndarray
    bias: np.ndarray
    kind: ClassVar[str] = "Linear"

    def __post_init__(self) -> None:
        _set(self, "weight", _array(self.weight, "Linear weight", 2))
        _set(self, "bias", _array(self.bias, "Linear bias", 1))
        if self.bias.shape != (self.weight.shape[0],):
            raise AccelscopeError(f"Linear: bias shape {self.bias.shape} does not match weight {self.weight.shape}")

    def out_shape(self, shape: Shape) -> Shape:
        if shape != (self.weight.shape[1],):
            raise AccelscopeError(f"expects ({self.weight.shape[1]},) features, gets {shape} (Flatten first?)")
        return (self.weight.shape[0],)


@dataclass(frozen=True, eq=False)
class Conv2d:
    """2-D convolution (cross-correlation), weight (oc, ic, kh, kw), zero padding; groups must be 1."""

    weight: np.ndarray
    bias: np.ndarray
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    groups: int = 1
    kind: ClassVar[str] = "Conv2d"

    def __post_init__(self) -> None:
        _set(self, "weight", _array(self.weight, "Conv2d weight", 4))
        _set(self, "bias", _array(self.bias, "Conv2d bias", 1))
        _set(self, "stride", _pair(self.stride, "Conv2d stride", 1))
        _set(self, "padding", _pair(self.padding, "Conv2d padding", 0))
        if self.groups != 1:
            raise AccelscopeError(f"Conv2d: groups={self.groups} unsupported (only groups=1)")
        if self.bias.shape != (self.weight.shape[0],):
            raise AccelscopeError(f"Conv2d: bias shape {self.bias.shape} does not match weight {self.weight.shape}")

    def out_shape(self, shape: Shape) -> Shape:
        oc, ic, kh, kw = self.weight.shape
        if len(shape) != 3 or shape[0] != ic:
            raise AccelscopeError(f"expects ({ic}, H, W) input, gets {shape}")
        oh = (shape[1] + 2 * self.padding[0] - kh) // self.stride[0] + 1
        ow = (shape[2] + 2 * self.padding[1] - kw) // self.stride[1] + 1
        if oh < 1 or ow < 1:
            raise AccelscopeError(f"kernel {kh}x{kw} larger than the padded input {shape}")
        return (oc, oh, ow)


@dataclass(frozen=True, eq=False)
class BatchNorm2d:
    """Inference batch norm over the channel axis: (x - mean) / sqrt(var + eps) * gamma + beta."""

    gamma: np.ndarray
    beta: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    eps: float = 1e-5
    kind: ClassVar[str] = "BatchNorm2d"

    def __post_init__(self) -> None:
        for name in ("gamma", "beta", "mean", "var"):
            _set(self, name, _array(getattr(self, name), f"BatchNorm2d {name}", 1))
        shapes = {getattr(self, n).shape for n in ("gamma", "beta", "mean", "var")}
        if len(shapes) != 1:
            raise AccelscopeError(f"BatchNorm2d: gamma/beta/mean/var shapes differ: {sorted(shapes)}")
        if np.any(self.var < 0) or not self.eps > 0:
            raise AccelscopeError("BatchNorm2d: var must be >= 0 and eps > 0")
        _set(self, "eps", float(self.eps))

    def out_shape(self, shape: Shape) -> Shape:
        if len(shape) not in (1, 3) or shape[0] != self.gamma.shape[0]:
            raise AccelscopeError(f"expects {self.gamma.shape[0]} channels (C,) or (C, H, W), gets {shape}")
        return shape


@dataclass(frozen=True)
class ReLU:
    kind: ClassVar[str] = "ReLU"

    def out_shape(self, shape: Shape) -> Shape:
        return shape


@dataclass(frozen=True)
class Flatten:
    """(C, H, W) -> (C*H*W,) in C, H, W order (torch.flatten order)."""

    kind: ClassVar[str] = "Flatten"

    def out_shape(self, shape: Shape) -> Shape:
        return (int(np.prod(shape)),)


@dataclass(frozen=True)
class MaxPool2d:
    """Max pooling without padding, floor mode."""

    kernel: tuple[int, int]
    # None: same as kernel; __post_init__ always stores a tuple, which is what readers see
    stride: tuple[int, int] = None  # type: ignore[assignment]  # the None default means "the kernel"
    kind: ClassVar[str] = "MaxPool2d"

    def __post_init__(self) -> None:
        _set(self, "kernel", _pair(self.kernel, "MaxPool2d kernel", 1))
        _set(self, "stride", _pair(self.kernel if self.stride is None else self.stride, "MaxPool2d stride", 1))

    def out_shape(self, shape: Shape) -> Shape:
        if len(shape) != 3:
            raise AccelscopeError(f"expects (C, H, W) input, gets {shape}")
        oh = (shape[1] - self.kernel[0]) // self.stride[0] + 1
        ow = (shape[2] - self.kernel[1]) // self.stride[1] + 1
        if oh < 1 or ow < 1:
            raise AccelscopeError(f"kernel {self.kernel} larger than the input {shape}")
        return (shape[0], oh, ow)


@dataclass(frozen=True)
class Dropout:
    """Identity at inference; removed by `fold`."""

    p: float = 0.5
    kind: ClassVar[str] = "Dropout"

    def out_shape(self, shape: Shape) -> Shape:
        return shape


@dataclass(frozen=True)
class Softmax:
    """Softmax over the features; only as the final layer (runs on the host)."""

    kind: ClassVar[str] = "Softmax"

    def out_shape(self, shape: Shape) -> Shape:
        if len(shape) != 1:
            raise AccelscopeError(f"expects (F,) features, gets {shape}")
        return shape


Layer = Linear | Conv2d | BatchNorm2d | ReLU | Flatten | MaxPool2d | Dropout | Softmax
LAYER_TYPES: dict[str, type] = {t.kind: t for t in (Linear, ReLU, Conv2d, Flatten, BatchNorm2d, MaxPool2d,
                                                    Dropout, Softmax)}
SUPPORTED = ", ".join(LAYER_TYPES)


def where(index: int, kind: str) -> str:
    """The position prefix every layer error starts with: `layer 3 (Sigmoid)` (0-based)."""
    return f"layer {index} ({kind})"


@dataclass(frozen=True, eq=False)
class Network:
    """A validated sequential network; `shapes[i]` is the output shape of layer i (no batch axis)."""

    layers: tuple[Layer, ...]
    input_shape: Shape
    shapes: tuple[Shape, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _set(self, "layers", tuple(self.layers))
        dims = tuple(self.input_shape)
        if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in dims):
            raise AccelscopeError(f"network input shape {self.input_shape}: expected (F,) or (C, H, W), "
                                  f"positive integers")
        shape = tuple(int(d) for d in dims)
        if len(shape) not in (1, 3) or min(shape, default=0) < 1:
            raise AccelscopeError(f"network input shape {self.input_shape}: expected (F,) or (C, H, W), positive")
        _set(self, "input_shape", shape)
        if not self.layers:
            raise AccelscopeError("network has no layers")
        shapes = []
        for i, layer in enumerate(self.layers):
            kind = getattr(layer, "kind", type(layer).__name__)
            if type(layer) not in LAYER_TYPES.values():
                raise AccelscopeError(f"{where(i, kind)}: unsupported; supported: {SUPPORTED}")
            if isinstance(layer, Softmax) and i != len(self.layers) - 1:
                raise AccelscopeError(f"{where(i, kind)}: Softmax is only supported as the final layer")
            try:
                shape = layer.out_shape(shape)
            except AccelscopeError as err:
                raise AccelscopeError(f"{where(i, kind)}: {err}") from None
            shapes.append(shape)
        _set(self, "shapes", tuple(shapes))

    @property
    def output_shape(self) -> Shape:
        return self.shapes[-1]

    def input_shape_of(self, index: int) -> Shape:
        """Input shape of layer `index`."""
        return self.input_shape if index == 0 else self.shapes[index - 1]

    def describe(self) -> str:
        """One line per layer: index, kind, output shape."""
        return "\n".join(f"{i:3d} {layer.kind:12s} -> {s}" for i, (layer, s) in enumerate(zip(self.layers,
                                                                                              self.shapes)))


def _fold_bn(prev: Linear | Conv2d, bn: BatchNorm2d) -> Linear | Conv2d:
    scale = bn.gamma.astype(np.float64) / np.sqrt(bn.var.astype(np.float64) + bn.eps)
    bias = (prev.bias.astype(np.float64) - bn.mean) * scale + bn.beta
    wshape = (-1,) + (1,) * (prev.weight.ndim - 1)
    weight = prev.weight.astype(np.float64) * scale.reshape(wshape)
    if isinstance(prev, Linear):
        return Linear(weight, bias)
    return Conv2d(weight, bias, prev.stride, prev.padding)


def fold(network: Network) -> Network:
    """A new network with Dropout removed and each BatchNorm2d folded into the Conv2d/Linear before it.

    Folding is computed in float64 and stored in float32:
    w' = w * g / sqrt(v + eps) per output channel, b' = (b - mean) * g / sqrt(v + eps) + beta.
    """
    out: list[Layer] = []
    for i, layer in enumerate(network.layers):
        if isinstance(layer, Dropout):
            continue
        if isinstance(layer, BatchNorm2d):
            if not out or not isinstance(out[-1], (Linear, Conv2d)):
                before = out[-1].kind if out else "the network input"
                raise AccelscopeError(f"{where(i, layer.kind)}: cannot fold: follows {before}, "
                                      "not a Conv2d or Linear")
            if out[-1].weight.shape[0] != layer.gamma.shape[0]:
                raise AccelscopeError(f"{where(i, layer.kind)}: {layer.gamma.shape[0]} channels, "
                                      f"previous layer has {out[-1].weight.shape[0]}")
            out[-1] = _fold_bn(out[-1], layer)
            continue
        out.append(layer)
    return Network(tuple(out), network.input_shape)
