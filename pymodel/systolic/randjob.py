"""Random and directed descriptor lists for regressions (shared by tb/systolic and tests/).

`random_job` is the constrained-random systolic case of `accelscope regress` (tb/regress,
docs/verification.md "Testplan"): shapes around K, every flag combination, chained layers,
requantization edges and, for some seeds, a malformed descriptor with each CHECK error code."""

from __future__ import annotations

import numpy as np

from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.convjob import malformed_geometry, random_conv_job
from pymodel.systolic.descriptor import (
    ERR_A_RANGE,
    ERR_ACC_DEPTH,
    ERR_B_RANGE,
    ERR_BQ_RANGE,
    ERR_C_RANGE,
    ERR_D_RANGE,
    ERR_FLAGS,
    ERR_GEOM,
    ERR_SHAPE,
    FLAGS_BITS,
    RSVD_SHIFT,
    Descriptor,
)
from pymodel.systolic.randvals import rand_int8, rand_quant

I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


def random_layers(cfg: SystolicConfig, rng: np.random.Generator, count: int, max_dim: int,
                  shapes: list[tuple[int, int, int]] | None = None, edges: bool = False
                  ) -> tuple[list[Descriptor], dict[str, np.ndarray]]:
    """Independent layers with random shape, flags, strides (some padded) and output type: int32, or
    int8 to ACT, or (a third of the int8 ones) int8 to OUT with OUT8 (`edges`: requantization
    edges, rand_quant)."""
    jb = JobBuilder(cfg)
    shapes = list(shapes or [])
    while len(shapes) < count:
        m, kd, n = (int(v) for v in rng.integers(1, max_dim + 1, size=3))
        shapes.append((m, kd, n))
    for m, kd, n in shapes:
        a = rand_int8(rng, (m, kd))
        a_base, a_stride = jb.put_matrix(a, pad=int(rng.integers(0, 2)))
        b = rand_int8(rng, (kd, n))
        bias = rng.integers(-(1 << 20), 1 << 20, size=n) if rng.random() < 0.5 else None
        quant = rand_quant(rng, n, edges) if rng.random() < 0.4 else None
        acc = rng.integers(-(1 << 24), 1 << 24, size=(m, n)) if rng.random() < 0.3 else None
        # OUT8 on a third of the int8 layers, decided from a value already drawn (mult of column 0), so
        # that the seeded stream, and with it the regress's jobs per seed, are those without OUT8
        out8 = quant is not None and int(quant[0][0]) % 3 == 0
        jb.layer(a_base, a_stride, m, b, bias=bias, relu=bool(rng.random() < 0.5), quant=quant, acc_init=acc,
                 out_pad=int(rng.integers(0, 2)), out8=out8)
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


def malformed(cfg: SystolicConfig, code: int, rng: np.random.Generator) -> Descriptor:
    """A descriptor whose first failing CHECK is `code` (1..8, docs/systolic.md), the other
    fields random but legal."""
    K = cfg.K
    m, kd, n = (int(v) for v in rng.integers(1, 2 * K + 2, size=3))
    d: dict = dict(m=m, kd=kd, n=n, a_stride=1)
    if code == ERR_SHAPE:
        d[["m", "kd", "n"][int(rng.integers(3))]] = 0
    elif code == ERR_FLAGS:  # a reserved flag bit, or (1 in 7) OUT8 without INT8 (OUT8 on a POOL or
        bit = int(rng.integers(RSVD_SHIFT - 1, FLAGS_BITS))  # a fused-pool CONV: test_systolic_faults.py)
        if bit < RSVD_SHIFT:
            d["out8"] = True
        else:
            d["reserved_flags"] = 1 << bit
    elif code == ERR_ACC_DEPTH:
        d.update(m=cfg.ACC_DEPTH + 1 + int(rng.integers(8)), a_stride=0)
    elif code == ERR_A_RANGE:
        d.update(m=max(m, 2), a_base=cfg.ACT_DEPTH - 1)
    elif code == ERR_B_RANGE:
        d.update(b_base=cfg.WGT_DEPTH - int(rng.integers(1, K + 1)), n=max(n, K + 1))
    elif code == ERR_C_RANGE:
        d.update(m=max(m, 2), c_base=cfg.OUT_DEPTH - 1, c_stride=1 + int(rng.integers(2)))
    elif code == ERR_D_RANGE:
        d.update(m=max(m, 2), int8=True, d_base=cfg.ACT_DEPTH - 1, d_stride=1)
    elif code == ERR_BQ_RANGE:
        d.update(bias=True, bq_base=cfg.BQ_DEPTH - 1, n=max(n, K + 1))
    else:
        raise ValueError(f"no CHECK error code {code}")
    desc = Descriptor(**d)
    assert desc.check(cfg) == code, (code, desc, desc.check(cfg))
    return desc


def random_shape(K: int, rng: np.random.Generator, max_dim: int) -> tuple[int, int, int]:
    """(M, KD, N) drawn by class: M below, equal to or above K (one third each); KD and N
    each a multiple of K or not (one half each); values up to max_dim (>= 2K+1)."""
    def dim(multiple: bool) -> int:
        if multiple:
            return K * int(rng.integers(1, max_dim // K + 1))
        v = int(rng.integers(1, max_dim + 1))
        return v if v % K else v + 1

    c = int(rng.integers(3))
    m = int(rng.integers(1, K)) if c == 0 and K > 1 else (K if c < 2 else int(rng.integers(K + 1, max_dim + 1)))
    return m, dim(bool(rng.random() < 0.5)), dim(bool(rng.random() < 0.5))


DEEP_KTILES = 257  # long_gemm's deep layer: one k-tile past 2^8


def long_gemm(cfg: SystolicConfig, rng: np.random.Generator) -> tuple[list[Descriptor], dict[str, np.ndarray]]:
    """One GEMM of 15/16 of ACC_DEPTH rows up to ACC_DEPTH (at most) over 6 x 6 tiles: at K=8 over
    34,000 RUN cycles, so the cycle, busy and MAC counters carry past bit 15 (the random jobs stay
    below 2^12 cycles), and the row counter's last values have their top bits set with the low ones
    anywhere; then a deep one, K x 257K x K: 257 k-tiles, so the k-tile counter passes 2^8."""
    top = min(cfg.ACC_DEPTH, cfg.ACT_DEPTH // 6, cfg.OUT_DEPTH // 6)
    m = int(rng.integers(top - top // 16, top + 1))
    deep = (cfg.K, DEEP_KTILES * cfg.K, cfg.K)
    return random_layers(cfg, rng, 2, 6 * cfg.K, shapes=[(m, 6 * cfg.K, 6 * cfg.K), deep], edges=True)


def random_job(cfg: SystolicConfig, rng: np.random.Generator) -> tuple[list[Descriptor], dict[str, np.ndarray]]:
    """Constrained random (accelscope regress): 1 job in 4 is a convolution job
    (pymodel.systolic.convjob.random_conv_job: CONV, POOL, or a CONV -> POOL -> GEMM chain);
    the others are 1..3 independent GEMM layers with shapes by class (random_shape) up to
    3K+3 (1 in 8 up to 6K+5), every flag combination and requantization edges, or (1 in 5)
    a chain of 2..4 int8 layers through ACT. 1 job in 4 ends in a malformed descriptor with
    a random CHECK error code (the layers before it complete)."""
    K = cfg.K
    if rng.random() < 0.25:
        descs, images = random_conv_job(cfg, rng)
    elif rng.random() < 0.2:
        dims = [int(v) for v in rng.integers(1, 3 * K + 2, size=int(rng.integers(3, 6)))]
        descs, images = chained_layers(cfg, rng, int(rng.integers(1, 2 * K + 3)), dims)
    else:
        max_dim = 6 * K + 5 if rng.random() < 0.125 else 3 * K + 3
        count = int(rng.integers(1, 4))
        shapes = [random_shape(K, rng, max_dim) for _ in range(count)]
        descs, images = random_layers(cfg, rng, count, max_dim, shapes=shapes, edges=True)
    if rng.random() < 1 / 4:
        code = int(rng.integers(1, ERR_GEOM + 1))
        descs = descs + [malformed_geometry(cfg, rng) if code == ERR_GEOM else malformed(cfg, code, rng)]
    return descs, images
