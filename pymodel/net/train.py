"""Deterministic numpy training (hand-written backprop, Adam, softmax cross-entropy).

Supports Linear, ReLU, Conv2d, MaxPool2d and Flatten. Everything is float32 and every
random draw comes from one `np.random.default_rng(seed)`, so a run is reproducible bit for
bit on the same machine (same numpy/BLAS build and thread count; BLAS may sum in a
different order elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.net.float_model import im2col, sliding_windows
from pymodel.net.layers import Conv2d, Flatten, Layer, Linear, MaxPool2d, Network, ReLU, where


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 30
    batch: int = 32
    lr: float = 3e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    seed: int = 0


def he_init(shape: tuple[int, ...], fan_in: int, rng: np.random.Generator) -> np.ndarray:
    """He-normal weights, float32."""
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def col2im(cols: np.ndarray, x_shape: tuple[int, ...], kh: int, kw: int, stride: tuple[int, int],
           padding: tuple[int, int]) -> np.ndarray:
    """Adjoint of `im2col`: (N, C*kh*kw, OH*OW) -> (N, C, H, W), overlapping windows summed."""
    n, c, h, w = x_shape
    ph, pw = padding
    oh = (h + 2 * ph - kh) // stride[0] + 1
    ow = (w + 2 * pw - kw) // stride[1] + 1
    cols6 = cols.reshape(n, c, kh, kw, oh, ow)
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), cols.dtype)
    for i in range(kh):  # one vectorized add per kernel offset
        for j in range(kw):
            xp[:, :, i:i + stride[0] * oh:stride[0], j:j + stride[1] * ow:stride[1]] += cols6[:, :, i, j]
    return xp[:, :, ph:ph + h, pw:pw + w]


class _Trainer:
    """Forward with caches, backward, Adam; parameters are mutable float32 copies."""

    def __init__(self, network: Network, cfg: TrainConfig) -> None:
        self.cfg = cfg
        self.layers = network.layers
        self.params: list[list[np.ndarray]] = []
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, (Linear, Conv2d, ReLU, MaxPool2d, Flatten)):
                raise AccelscopeError(f"{where(i, layer.kind)}: not trainable here "
                                      "(train supports Linear, ReLU, Conv2d, MaxPool2d, Flatten)")
            self.params.append([layer.weight.copy(), layer.bias.copy()] if isinstance(layer, (Linear, Conv2d)) else [])
        self.m = [[np.zeros_like(p) for p in ps] for ps in self.params]
        self.v = [[np.zeros_like(p) for p in ps] for ps in self.params]
        self.t = 0

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[object]]:
        caches: list[Any] = []  # per layer: an array, a shape, or (shape, array)
        for layer, ps in zip(self.layers, self.params):
            if isinstance(layer, Linear):
                caches.append(x)
                x = x @ ps[0].T + ps[1]
            elif isinstance(layer, Conv2d):
                oc, _, kh, kw = ps[0].shape
                cols = im2col(x, kh, kw, layer.stride, layer.padding)
                caches.append((x.shape, cols))
                y = np.matmul(ps[0].reshape(oc, -1), cols) + ps[1][:, None]
                oh = (x.shape[2] + 2 * layer.padding[0] - kh) // layer.stride[0] + 1
                x = y.reshape(x.shape[0], oc, oh, -1)
            elif isinstance(layer, ReLU):
                caches.append(x > 0)
                x = np.maximum(x, np.float32(0))
            elif isinstance(layer, MaxPool2d):
                win = sliding_windows(x, layer.kernel[0], layer.kernel[1], layer.stride)
                flat = win.reshape(*win.shape[:4], -1)
                arg = flat.argmax(axis=-1)
                caches.append((x.shape, arg))
                x = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
            else:  # Flatten
                caches.append(x.shape)
                x = x.reshape(x.shape[0], -1)
        return x, caches

    def backward(self, g: np.ndarray, caches: list[Any]) -> list[list[np.ndarray]]:
        grads: list[list[np.ndarray]] = [[] for _ in self.layers]
        for idx in range(len(self.layers) - 1, -1, -1):
            layer, ps, cache = self.layers[idx], self.params[idx], caches[idx]
            need_dx = idx > 0
            if isinstance(layer, Linear):
                grads[idx] = [g.T @ cache, g.sum(axis=0)]
                g = g @ ps[0] if need_dx else g
            elif isinstance(layer, Conv2d):
                x_shape, cols = cache
                oc, _, kh, kw = ps[0].shape
                g2 = g.reshape(g.shape[0], oc, -1)  # (N, oc, L)
                gw = np.matmul(g2, cols.transpose(0, 2, 1)).sum(axis=0)
                grads[idx] = [gw.reshape(ps[0].shape), g2.sum(axis=(0, 2))]
                if need_dx:
                    g = col2im(np.matmul(ps[0].reshape(oc, -1).T, g2), x_shape, kh, kw, layer.stride, layer.padding)
            elif isinstance(layer, ReLU):
                g = g * cache
            elif isinstance(layer, MaxPool2d):
                x_shape, arg = cache
                n, c, oh, ow = arg.shape
                kw = layer.kernel[1]
                rows = np.arange(oh)[:, None] * layer.stride[0] + arg // kw
                cols_ = np.arange(ow)[None, :] * layer.stride[1] + arg % kw
                dx = np.zeros(x_shape, g.dtype)
                ni, ci = np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None]
                np.add.at(dx, (ni, ci, rows, cols_), g)
                g = dx
            else:
                g = g.reshape(cache)
        return grads

    def adam(self, grads: list[list[np.ndarray]]) -> None:
        c = self.cfg
        self.t += 1
        lr_t = np.float32(c.lr * np.sqrt(1 - c.beta2 ** self.t) / (1 - c.beta1 ** self.t))
        b1, b2 = np.float32(c.beta1), np.float32(c.beta2)
        for ps, gs, ms, vs in zip(self.params, grads, self.m, self.v):
            for p, g, m, v in zip(ps, gs, ms, vs):
                m *= b1
                m += (1 - b1) * g
                v *= b2
                v += (1 - b2) * g * g
                p -= lr_t * m / (np.sqrt(v) + np.float32(c.eps))

    def network(self, input_shape: tuple[int, ...]) -> Network:
        layers: list[Layer] = []
        for layer, ps in zip(self.layers, self.params):
            if isinstance(layer, Linear):
                layers.append(Linear(ps[0], ps[1]))
            elif isinstance(layer, Conv2d):
                layers.append(Conv2d(ps[0], ps[1], layer.stride, layer.padding))
            else:
                layers.append(layer)
        return Network(tuple(layers), input_shape)


def cross_entropy_grad(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and its gradient w.r.t. the logits."""
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    n = logits.shape[0]
    loss = float(-np.log(p[np.arange(n), labels] + 1e-12).mean())
    p[np.arange(n), labels] -= 1
    return loss, (p / n).astype(np.float32)


def train(network: Network, x: np.ndarray, labels: np.ndarray, cfg: TrainConfig = TrainConfig()) -> Network:
    """Train the network's parameters (used as the initial values) on (x, labels); returns a new Network."""
    tr = _Trainer(network, cfg)
    rng = np.random.default_rng(cfg.seed)
    x = np.asarray(x, np.float32)
    labels = np.asarray(labels)
    for _ in range(cfg.epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), cfg.batch):
            idx = order[start:start + cfg.batch]
            logits, caches = tr.forward(x[idx])
            _, g = cross_entropy_grad(logits, labels[idx])
            tr.adam(tr.backward(g, caches))
    return tr.network(network.input_shape)
