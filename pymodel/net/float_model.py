"""Float32 batched forward pass (NCHW) and the host layout helpers shared with the lowering.

`im2col` is the one place the convolution layout is defined (docs/net.md): for a
sample, `cols[c*kh*kw + i*kw + j, oh*OW + ow] = xpad[c, oh*sh + i, ow*sw + j]`, so
`weight.reshape(oc, -1) @ cols` is the convolution. The accelerator computes the
transpose: A = cols.T (rows = output pixels, K = C*kh*kw), B = weight.reshape(oc, -1).T.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pymodel.errors import AccelscopeError
from pymodel.net.layers import (
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Layer,
    Linear,
    MaxPool2d,
    Network,
    ReLU,
    Softmax,
    where,
)


def sliding_windows(x: np.ndarray, kh: int, kw: int, stride: tuple[int, int]) -> np.ndarray:
    """(N, C, H, W) -> read-only view (N, C, OH, OW, kh, kw) of the strided windows."""
    return sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride[0], ::stride[1]]


def im2col(x: np.ndarray, kh: int, kw: int, stride: tuple[int, int] = (1, 1),
           padding: tuple[int, int] = (0, 0)) -> np.ndarray:
    """(N, C, H, W) -> (N, C*kh*kw, OH*OW), rows ordered (c, i, j); any dtype, zero padding."""
    if x.ndim != 4:
        raise AccelscopeError(f"im2col: expected (N, C, H, W), got shape {x.shape}")
    ph, pw = padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    if xp.shape[2] < kh or xp.shape[3] < kw:
        raise AccelscopeError(f"im2col: kernel {kh}x{kw} larger than padded input {xp.shape[2:]}")
    win = sliding_windows(xp, kh, kw, stride)  # (N, C, OH, OW, kh, kw)
    n, c, oh, ow = win.shape[:4]
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)


def maxpool2d(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Max pooling, no padding, floor mode; any dtype (exact on integers)."""
    return sliding_windows(x, kernel[0], kernel[1], stride).max(axis=(4, 5))


def softmax(x: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis, float32."""
    z = x.astype(np.float32) - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: tuple[int, int],
           padding: tuple[int, int]) -> np.ndarray:
    """Float convolution via im2col: (N, C, H, W) -> (N, OC, OH, OW)."""
    oc, _, kh, kw = weight.shape
    cols = im2col(x, kh, kw, stride, padding)
    oh = (x.shape[2] + 2 * padding[0] - kh) // stride[0] + 1
    ow = (x.shape[3] + 2 * padding[1] - kw) // stride[1] + 1
    y = np.matmul(weight.reshape(oc, -1), cols) + bias[:, None]
    return y.reshape(x.shape[0], oc, oh, ow)


def layer_forward(layer: Layer, x: np.ndarray) -> np.ndarray:
    """One layer on a float32 batch."""
    if isinstance(layer, Linear):
        return x @ layer.weight.T + layer.bias
    if isinstance(layer, Conv2d):
        return conv2d(x, layer.weight, layer.bias, layer.stride, layer.padding)
    if isinstance(layer, ReLU):
        return np.maximum(x, np.float32(0))
    if isinstance(layer, Flatten):
        return x.reshape(x.shape[0], -1)
    if isinstance(layer, MaxPool2d):
        return maxpool2d(x, layer.kernel, layer.stride)
    if isinstance(layer, BatchNorm2d):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        inv = (layer.gamma / np.sqrt(layer.var + np.float32(layer.eps))).reshape(shape)
        return (x - layer.mean.reshape(shape)) * inv + layer.beta.reshape(shape)
    if isinstance(layer, Dropout):
        return x
    if isinstance(layer, Softmax):
        return softmax(x)
    raise AccelscopeError(f"{type(layer).__name__}: no float implementation")


def check_input(network: Network, x: np.ndarray) -> np.ndarray:
    """The batch as float32 (N, *input_shape), or a clear error."""
    arr = np.asarray(x, dtype=np.float32)
    if arr.shape[1:] != network.input_shape:
        dims = ", ".join(map(str, network.input_shape))
        raise AccelscopeError(f"input batch shape {arr.shape}: expected (N, {dims})")
    return arr


def forward(network: Network, x: np.ndarray, trace: bool = False) -> np.ndarray | list[np.ndarray]:
    """Float32 forward pass of a batch (N, *input_shape).

    Returns the output, or with `trace=True` the list of every layer's output.
    """
    act = check_input(network, x)
    outs = []
    for i, layer in enumerate(network.layers):
        try:
            act = layer_forward(layer, act).astype(np.float32, copy=False)
        except AccelscopeError as err:
            raise AccelscopeError(f"{where(i, layer.kind)}: {err}") from None
        outs.append(act)
    return outs if trace else act


def predict(network: Network, x: np.ndarray) -> np.ndarray:
    """Class indices (argmax of the output)."""
    return np.asarray(forward(network, x)).argmax(axis=-1)
