"""Random and directed descriptor lists for regressions (shared by tb/systolic and tests/)."""

from __future__ import annotations

import numpy as np

from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import Descriptor

I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


def rand_int8(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(-128, 128, size=shape, dtype=np.int64)


def rand_quant(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Multipliers and shifts that map typical accumulators into int8 range (some saturate)."""
    shift = rng.integers(10, 24, size=n)
    mult = rng.integers(1 << 10, 1 << 24, size=n)
    return mult, shift


def random_layers(cfg: SystolicConfig, rng: np.random.Generator, count: int, max_dim: int,
                  shapes: list[tuple[int, int, int]] | None = None) -> tuple[list[Descriptor], dict[str, np.ndarray]]:
    """Independent layers with random shape, flags, strides (some padded) and output type."""
    jb = JobBuilder(cfg)
    shapes = list(shapes or [])
    while len(shapes) < count:
        shapes.append(tuple(int(v) for v in rng.integers(1, max_dim + 1, size=3)))
    for m, kd, n in shapes:
        a = rand_int8(rng, (m, kd))
        a_base, a_stride = jb.put_matrix(a, pad=int(rng.integers(0, 2)))
        b = rand_int8(rng, (kd, n))
        bias = rng.integers(-(1 << 20), 1 << 20, size=n) if rng.random() < 0.5 else None
        quant = rand_quant(rng, n) if rng.random() < 0.4 else None
        acc = rng.integers(-(1 << 24), 1 << 24, size=(m, n)) if rng.random() < 0.3 else None
        jb.layer(a_base, a_stride, m, b, bias=bias, relu=bool(rng.random() < 0.5), quant=quant, acc_init=acc,
                 out_pad=int(rng.integers(0, 2)))
    return jb.descriptors, jb.images()


def chained_layers(cfg: SystolicConfig, rng: np.random.Generator, m: int, dims: list[int]
                   ) -> tuple[list[Descriptor], dict[str, np.ndarray]]:
    """An MLP: dims[0] -> dims[1] -> ... ; int8 layers chained through ACT, the last int32 with ACC."""
    jb = JobBuilder(cfg)
    base, stride = jb.put_matrix(rand_int8(rng, (m, dims[0])))
    for i in range(1, len(dims)):
        b = rand_int8(rng, (dims[i - 1], dims[i]))
        bias = rng.integers(-(1 << 14), 1 << 14, size=dims[i])
        last = i == len(dims) - 1
        if last:
            acc = rng.integers(-(1 << 20), 1 << 20, size=(m, dims[i]))
            jb.layer(base, stride, m, b, bias=bias, relu=False, acc_init=acc)
        else:
            base, stride = jb.layer(base, stride, m, b, bias=bias, relu=True, quant=rand_quant(rng, dims[i]))
    return jb.descriptors, jb.images()


def extreme_layers(cfg: SystolicConfig, rng: np.random.Generator) -> tuple[list[Descriptor], dict[str, np.ndarray]]:
    """-128/127 operands, accumulators that wrap through bias and ACC, saturating requantization."""
    K = cfg.K
    jb = JobBuilder(cfg)
    kd = 3 * K + 1
    m, n = K + 2, K + 1
    for a_val, b_val in ((-128, -128), (127, 127), (-128, 127)):
        a = np.full((m, kd), a_val)
        b = np.full((kd, n), b_val)
        a_base, a_stride = jb.put_matrix(a)
        # bias and old C push the sum across +-2^31: the result wraps
        bias = np.where(np.arange(n) % 2, I32_MAX, I32_MIN)
        acc = np.full((m, n), I32_MAX if a_val * b_val > 0 else I32_MIN)
        jb.layer(a_base, a_stride, m, b, bias=bias, acc_init=acc)
        jb.layer(a_base, a_stride, m, b, bias=bias, relu=True)
        # requantization extremes: max multiplier, shifts 0 and 31, saturation both ways
        mult = np.where(np.arange(n) % 3 == 0, (1 << 24) - 1, rng.integers(0, 1 << 24, size=n))
        shift = np.array([[0, 31, 1, 30, 16][i % 5] for i in range(n)])
        jb.layer(a_base, a_stride, m, b, bias=bias, quant=(mult, shift))
    # mixed random extremes
    a = rng.choice([-128, 127, 0, -1, 1], size=(m, kd))
    b = rng.choice([-128, 127, 0, -1, 1], size=(kd, n))
    a_base, a_stride = jb.put_matrix(a)
    jb.layer(a_base, a_stride, m, b, acc_init=rng.choice([I32_MIN, I32_MAX, 0], size=(m, n)))
    return jb.descriptors, jb.images()
