"""CONV and POOL descriptor lists on a JobBuilder (docs/systolic.md, "Convolution and pooling"):
layer builders (`put_tensor`, `conv`, `pool`), one random legal CONV or POOL descriptor
(`random_conv`, `random_pool`) and the constrained-random convolution job of `accelscope
regress` (`random_conv_job`). Shared by tb/systolic/test_systolic_conv.py, the regress case
(pymodel.systolic.randjob) and tests/."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig, ceil_div
from pymodel.systolic.descriptor import ERR_GEOM, ERR_NONE, OP_CONV, OP_POOL, Descriptor
from pymodel.systolic.layout import (
    conv_blk_rows,
    conv_out_size,
    conv_weight_matrix,
    pack_columns,
    pack_tensor,
    pack_weights,
)
from pymodel.systolic.model import descriptor_counters, pack_quant
from pymodel.systolic.randvals import rand_int8, rand_quant

PE_CYCLE_BUDGET = 300_000  # random descriptors: at most this many cycles * K^2 each (test time)


def cycle_budget(cfg: SystolicConfig) -> int:
    return max(1_000, PE_CYCLE_BUDGET // (cfg.K * cfg.K))


def put_tensor(jb: JobBuilder, x: np.ndarray, tiled: bool, pad: int = 0, lead: int = 0) -> tuple[int, int]:
    """An int8 (B, H, W, C) tensor into ACT after `lead` zero words, rows `RW + pad` words apart."""
    K = jb.cfg.K
    if lead:
        jb.put("act", np.zeros((lead, K), np.int64))
    rw = ceil_div(x.shape[2] * (ceil_div(x.shape[3], K) * K if tiled else x.shape[3]), K)
    words, stride = pack_tensor(x, K, tiled, rw + pad)
    return jb.put("act", words), stride


def _bq(jb: JobBuilder, n: int, bias: np.ndarray | None, quant: tuple[np.ndarray, np.ndarray] | None) -> int:
    """Bias and quant words of one layer at the same address (as JobBuilder.layer does)."""
    K = jb.cfg.K
    top = max(jb._size["bias"], jb._size["quant"])
    for name in ("bias", "quant"):
        if jb._size[name] < top:
            jb.put(name, np.zeros((top - jb._size[name], K), np.int64))
    base = jb.put("bias", pack_columns(bias if bias is not None else np.zeros(n, np.int64), K))
    jb.put("quant", pack_columns(pack_quant(*quant) if quant is not None else np.zeros(n, np.int64), K))
    return base


def conv(jb: JobBuilder, a_base: int, a_stride: int, shape: tuple[int, int, int, int], tiled: bool, w: np.ndarray,
         *, stride: tuple[int, int] = (1, 1), pad: tuple[int, int] = (0, 0), out_hw: tuple[int, int] | None = None,
         blk_rows: int | None = None, bias: np.ndarray | None = None, relu: bool = False,
         quant: tuple[np.ndarray, np.ndarray] | None = None, acc_init: np.ndarray | None = None,
         out_pad: int = 0, pool: int = 0, out8: bool = False) -> tuple[int, int]:
    """One CONV descriptor over the tensor at ACT[a_base] (B, H, W, C); w (kh, kw, C, N). int8 output
    (channel-tiled) iff quant; ACC from acc_init (rows, N); pool (2..4, needs quant): fused max-pooling,
    the destination holds the B*(oh//pool)*(ow//pool) pooled rows (out_shape gives their shape).
    out8 (needs quant, pool 0): the int8 rows go to OUT at c (flag OUT8), not to ACT.
    Returns (destination base, stride)."""
    cfg, K = jb.cfg, jb.cfg.K
    b, h, wd, c = shape
    kh, kw, _, n = w.shape
    oh, ow = out_hw or (conv_out_size(h, kh, stride[0], pad[0]), conv_out_size(wd, kw, stride[1], pad[1]))
    if blk_rows is None:
        blk_rows = conv_blk_rows(cfg, kh, stride[0], oh, ow)
        if pool:  # a multiple of pool (GEOM)
            blk_rows -= blk_rows % pool
    nt, rows = ceil_div(n, K), b * oh * ow
    b_base = jb.put("wgt", pack_weights(conv_weight_matrix(w), K))
    bq_base = _bq(jb, n, bias, quant) if (bias is not None or quant is not None) else 0
    int8 = quant is not None
    to_act = int8 and not out8  # the int8 rows go to ACT at d (else to OUT at c)
    c_base = c_stride = d_base = d_stride = 0
    if acc_init is not None or not to_act:
        init = np.asarray(acc_init, np.int64) if acc_init is not None else np.zeros((rows, n), np.int64)
        c_stride = nt + out_pad
        words = np.zeros((rows, c_stride, K), np.int64)
        padded = np.zeros((rows, nt * K), np.int64)
        padded[:, :n] = init
        words[:, :nt] = padded.reshape(rows, nt, K)
        c_base = jb.put("out", words.reshape(-1, K))
    if to_act:
        d_stride = nt + out_pad
        d_rows = b * (oh // pool) * (ow // pool) if pool else rows
        d_base = jb.put("act", np.zeros((d_rows * d_stride, K), np.int64))
    jb.descriptors.append(Descriptor(
        m=b, kd=kh * kw * c, n=n, a_base=a_base, a_stride=a_stride, b_base=b_base, bq_base=bq_base, c_base=c_base,
        c_stride=c_stride, d_base=d_base, d_stride=d_stride, acc=acc_init is not None, bias=bias is not None,
        relu=relu, int8=int8, op=OP_CONV, in_h=h, in_w=wd, cin=c, tiled=tiled, kh=kh, kw=kw, stride_h=stride[0],
        stride_w=stride[1], pad_t=pad[0], pad_l=pad[1], out_h=oh, out_w=ow, blk_rows=blk_rows, pool=pool,
        out8=out8))
    return (d_base, d_stride) if to_act else (c_base, c_stride)


def pool(jb: JobBuilder, a_base: int, a_stride: int, shape: tuple[int, int, int, int], k: tuple[int, int],
         stride: tuple[int, int] | None = None, out_hw: tuple[int, int] | None = None,
         out_pad: int = 0) -> tuple[int, int]:
    """One POOL descriptor over the channel-tiled tensor at ACT[a_base]; the int8 result after it."""
    K = jb.cfg.K
    b, h, wd, c = shape
    stride = stride or k
    oh, ow = out_hw or (conv_out_size(h, k[0], stride[0], 0), conv_out_size(wd, k[1], stride[1], 0))
    ct = ceil_div(c, K)
    d_stride = ct + out_pad
    d_base = jb.put("act", np.zeros((b * oh * ow * d_stride, K), np.int64))
    jb.descriptors.append(Descriptor(
        m=b, kd=k[0] * k[1], n=c, a_base=a_base, a_stride=a_stride, d_base=d_base, d_stride=d_stride, int8=True,
        op=OP_POOL, in_h=h, in_w=wd, cin=c, tiled=True, kh=k[0], kw=k[1], stride_h=stride[0], stride_w=stride[1],
        out_h=oh, out_w=ow))
    return d_base, d_stride


def out_shape(d: Descriptor) -> tuple[int, int, int, int]:
    """(B, H, W, C) of a descriptor's output tensor (a fused-pool CONV: the pooled tensor)."""
    return (d.m, *d.pooled_hw(), d.n)


# --------------------------------------------------------------------------
# random descriptors
# --------------------------------------------------------------------------

def _fits(cfg: SystolicConfig, d: Descriptor) -> bool:
    return d.check(cfg) == ERR_NONE and descriptor_counters(cfg, d).cycles <= cycle_budget(cfg)


def random_conv(cfg: SystolicConfig, rng: np.random.Generator, jb: JobBuilder) -> None:
    """One random legal CONV descriptor (packed or channel-tiled input, strides, paddings, out_h/out_w
    beyond the input, any blk_rows, every flag, padded row pitches, offset bases; some with fused
    pooling, pool 2..4, INT8, wide ones up to out_w 255; two in three of the other INT8 ones with OUT8)
    within CYCLE_BUDGET."""
    K = cfg.K
    for _ in range(1000):
        big = _big_geometry(cfg, rng) if rng.random() < 0.2 else None
        tiled = bool(rng.integers(2)) if big is None else False
        c = int(rng.integers(1, 2 * K + 4)) if rng.random() < 0.7 else int(rng.integers(1, 4))
        if big is not None:
            c = big[0]
        p = ceil_div(c, K) * K if tiled else c
        wmax = cfg.WIN_BYTES // p
        if wmax < 1:
            continue
        wd = int(rng.integers(1, min(wmax, 12) + 1))
        h = int(rng.integers(1, 12))
        kh, kw = (int(v) for v in rng.choice([1, 2, 3, 3, 3, 4, 5, 7], size=2))
        if big is not None:
            _, wd, h, kh, kw = big
        if kh > cfg.WIN_ROWS:
            continue
        sh, sw = (int(v) for v in rng.choice([1, 1, 1, 2, 2, 3, 7], size=2))
        pt, pl = int(rng.integers(kh)), int(rng.integers(kw))
        oh0 = conv_out_size(h, kh, sh, pt)
        ow0 = conv_out_size(wd, kw, sw, pl)
        oh = min(255, max(1, oh0 + int(rng.integers(-1, 3))))  # beyond the input: implicit bottom padding
        ow = min(255, max(1, ow0 + int(rng.integers(-1, 3))))
        fp = int(rng.choice([2, 3, 4])) if rng.random() < 0.4 else 0
        if fp:  # fused pooling: out_h, out_w >= pool (beyond the input if need be)
            oh, ow = max(oh, fp), max(ow, fp)
            if big is not None and rng.random() < 0.5:  # the widest output row: pooled columns up to the
                ow = 255                                # line buffer's last word (PW = 255 // pool)
        top = conv_blk_rows(cfg, kh, sh, oh, ow)
        if top < max(1, fp):
            continue
        blk = int(rng.integers(1, top + 1))
        if fp:
            blk = fp * int(rng.integers(1, top // fp + 1))  # a multiple of pool (GEOM)
        n = int(rng.integers(1, 2 * K + 4))
        b = int(rng.integers(1, 4))
        rows = b * oh * ow
        apad = int(rng.integers(0, 3))
        probe = Descriptor(m=b, kd=kh * kw * c, n=n, a_stride=ceil_div(wd * p, K) + apad, c_stride=n, d_stride=n,
                           op=OP_CONV, in_h=h, in_w=wd, cin=c, tiled=tiled, kh=kh, kw=kw, stride_h=sh, stride_w=sw,
                           pad_t=pt, pad_l=pl, out_h=oh, out_w=ow, blk_rows=blk, int8=bool(fp), pool=fp)
        if not _fits(cfg, probe):
            continue
        x = rand_int8(rng, (b, h, wd, c))
        w = rand_int8(rng, (kh, kw, c, n))
        int8 = bool(fp) or bool(rng.integers(2))
        # OUT8 on about two in three of the INT8 CONVs without fused pooling, decided from a value already
        # drawn (a weight), so that the seeded stream is the one without OUT8 (random_layers does the same)
        out8 = int8 and not fp and int(w.flat[0]) % 3 != 0
        acc = bool(rng.integers(2))
        base, stride = put_tensor(jb, x, tiled, pad=apad, lead=int(rng.integers(0, 3)))
        conv(jb, base, stride, x.shape, tiled, w, stride=(sh, sw), pad=(pt, pl), out_hw=(oh, ow), blk_rows=blk,
             bias=rng.integers(-5000, 5000, size=n) if rng.integers(2) else None, relu=bool(rng.integers(2)),
             quant=rand_quant(rng, n) if int8 else None,
             acc_init=rng.integers(-(1 << 20), 1 << 20, size=(rows, n)) if acc else None,
             out_pad=int(rng.integers(0, 2)), pool=fp, out8=out8)
        assert _fits(cfg, jb.descriptors[-1]), jb.descriptors[-1].describe()
        return
    raise AssertionError("random_conv: no descriptor found")


def _big_geometry(cfg: SystolicConfig, rng: np.random.Generator) -> tuple[int, int, int, int, int] | None:
    """(cin, in_w, in_h, kh, kw) of a packed input with the wide fields' high bits set, within the
    window and the cycle budget: tall (in_h 128..255, one or two columns), wide (in_w up to
    min(128, WIN_BYTES), one or two rows) or deep (cin 96..128, one pixel a row)."""
    kind = int(rng.integers(3))
    k = int(rng.choice([1, 2, 3]))
    if kind == 0:
        return 1, int(rng.integers(1, min(2, cfg.WIN_BYTES) + 1)), int(rng.integers(128, 256)), k, 1
    top = min(128, cfg.WIN_BYTES)
    if kind == 1:  # the widest row the window holds, 3 times in 10
        wd = top if rng.random() < 0.3 else int(rng.integers(max(1, top // 2), top + 1))
        return 1, wd, int(rng.integers(1, 3)), 1, k
    if cfg.WIN_BYTES < 96:
        return None
    return (top if rng.random() < 0.3 else int(rng.integers(96, top + 1))), 1, int(rng.integers(1, 5)), k, 1


def random_pool(cfg: SystolicConfig, rng: np.random.Generator, jb: JobBuilder) -> None:
    """One random legal POOL descriptor (kernels and strides 1..4, windows inside the input, any channel
    count, padded pitches; 1 in 8 tall, 65 output rows or more) within CYCLE_BUDGET."""
    K = cfg.K
    for _ in range(1000):
        kh, kw, sh, sw = (int(v) for v in rng.integers(1, 5, size=4))
        oh, ow = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        if rng.random() < 1 / 8:  # tall: output rows up to the 8-bit field's (the row counter's high bits)
            kh, sh, ow = min(kh, 2), 1, int(rng.integers(1, 3))
            oh = int(rng.integers(65, 256 - kh))
        h = (oh - 1) * sh + kh + int(rng.integers(0, 2))
        wd = (ow - 1) * sw + kw + int(rng.integers(0, 2))
        c = int(rng.integers(1, 3 * K + 2))
        b = int(rng.integers(1, 3))
        if b * oh * ow * ceil_div(c, K) * kh * kw > cycle_budget(cfg):
            continue
        x = rand_int8(rng, (b, h, wd, c))
        base, stride = put_tensor(jb, x, True, pad=int(rng.integers(0, 3)), lead=int(rng.integers(0, 3)))
        pool(jb, base, stride, x.shape, (kh, kw), (sh, sw), out_hw=(oh, ow), out_pad=int(rng.integers(0, 2)))
        assert _fits(cfg, jb.descriptors[-1]), jb.descriptors[-1].describe()
        return
    raise AssertionError("random_pool: no descriptor found")


def random_chain(cfg: SystolicConfig, rng: np.random.Generator, jb: JobBuilder) -> None:
    """A small CNN in one descriptor list: a packed image -> CONV (int8, channel-tiled) -> POOL ->
    GEMM over the flattened pooled tensor (the GEMM reads each image's words as one A row); with a
    2x2 pool, half the time the POOL is fused into the CONV instead (pool 2, 3 or 4)."""
    K = cfg.K
    for _ in range(1000):
        b, h, wd = int(rng.integers(1, 4)), int(rng.integers(2, 9)), int(rng.integers(2, 9))
        c1 = int(rng.integers(1, K + 4))
        k = int(rng.choice([1, 2, 3]))
        pad = int(rng.integers(0, k))
        oh, ow = conv_out_size(h, k, 1, pad), conv_out_size(wd, k, 1, pad)
        pk = int(rng.integers(1, 3))
        if min(oh, ow) < pk or ceil_div(c1, K) * K * ow > cfg.WIN_BYTES or wd > cfg.WIN_BYTES:
            continue
        blk = conv_blk_rows(cfg, k, 1, oh, ow)
        fused = pk == 2 and bool(rng.integers(2))
        if fused:  # a 2x2, 3x3 or 4x4 pool fused into the CONV
            pk = int(rng.integers(2, min(4, oh, ow) + 1))
            blk -= blk % pk
        if blk < 1:
            continue
        x = rand_int8(rng, (b, h, wd, 1))
        base, stride = put_tensor(jb, x, False)
        dst, dstride = conv(jb, base, stride, x.shape, False, rand_int8(rng, (k, k, 1, c1)), pad=(pad, pad),
                            blk_rows=blk, bias=rng.integers(-200, 200, c1), relu=bool(rng.integers(2)),
                            quant=rand_quant(rng, c1), pool=pk if fused else 0)
        s1 = out_shape(jb.descriptors[-1])
        if not fused:
            dst, dstride = pool(jb, dst, s1[2] * dstride, s1, (pk, pk))
            s1 = out_shape(jb.descriptors[-1])
        flat = s1[1] * s1[2] * dstride  # ACT words of one pooled image: the GEMM's A row
        n = int(rng.integers(1, 2 * K + 2))
        jb.layer(dst, flat, b, rand_int8(rng, (flat * K, n)), bias=rng.integers(-999, 999, n),
                 relu=bool(rng.integers(2)))
        layers = jb.descriptors[-(2 if fused else 3):]
        if all(_fits(cfg, d) for d in layers):
            return
        raise AssertionError(f"random_chain: a descriptor over budget: {layers[0].describe()}")
    raise AssertionError("random_chain: no chain found")


def malformed_geometry(cfg: SystolicConfig, rng: np.random.Generator) -> Descriptor:
    """A descriptor whose first failing CHECK is GEOM: a legal CONV or POOL probe with one rule broken
    (a zero field, padding >= kernel, kd inconsistent, a POOL kernel above 4, an untiled POOL input, or
    the fused-pool field: an illegal value, on a POOL or GEMM, without INT8, blk_rows not a multiple
    of pool, out_w below pool)."""
    K = cfg.K
    conv_d = Descriptor(m=1, kd=9, n=int(rng.integers(1, K + 2)), a_stride=ceil_div(4, K), c_stride=2,
                        op=OP_CONV, in_h=4, in_w=4, cin=1, kh=3, kw=3, stride_h=1, stride_w=1, out_h=2, out_w=2,
                        blk_rows=1)
    pool_d = Descriptor(m=1, kd=4, n=1, a_stride=4, d_stride=1, int8=True, op=OP_POOL, in_h=4, in_w=4, cin=1,
                        tiled=True, kh=2, kw=2, stride_h=2, stride_w=2, out_h=2, out_w=2)
    breaks: list[tuple[Descriptor, dict[str, Any]]] = [
        (conv_d, dict(kh=0)), (conv_d, dict(pad_t=3)), (conv_d, dict(kd=8)), (conv_d, dict(blk_rows=3)),
        (pool_d, dict(kh=5, kd=10)), (pool_d, dict(tiled=False)), (pool_d, dict(out_h=3))]
    fused = replace(conv_d, int8=True, d_stride=2, blk_rows=2, pool=2)
    gemm_d = Descriptor(m=1, kd=1, n=1, a_stride=1, c_stride=1)
    assert fused.check(cfg) == ERR_NONE, fused.describe()
    if rng.random() < 0.5:  # a fused-pool rule
        breaks = [(fused, dict(pool=int(rng.choice([1, 5, 6, 7])))), (pool_d, dict(pool=2)), (gemm_d, dict(pool=3)),
                  (fused, dict(int8=False)), (fused, dict(blk_rows=1)), (fused, dict(pool=3, out_h=3, blk_rows=3)),
                  (fused, dict(out_w=1))]
    base, change = breaks[int(rng.integers(len(breaks)))]
    assert base.check(cfg) == ERR_NONE, base.describe()
    bad = replace(base, **change)
    assert bad.check(cfg) == ERR_GEOM, (bad.describe(), bad.check(cfg))
    return bad


def random_conv_job(cfg: SystolicConfig, rng: np.random.Generator) -> tuple[list[Descriptor], dict[str, np.ndarray]]:
    """The convolution case of `accelscope regress`: 1..3 random CONV or POOL descriptors
    (random_conv, random_pool), or (1 in 3) a CONV -> POOL -> GEMM chain (random_chain)."""
    jb = JobBuilder(cfg)
    if rng.random() < 1 / 3:
        random_chain(cfg, rng, jb)
    else:
        for _ in range(int(rng.integers(1, 4))):
            (random_conv if rng.random() < 0.6 else random_pool)(cfg, rng, jb)
    return jb.descriptors, jb.images()


MANY_IMAGES = 4100  # many_images: a few images past 2^12 (a counter losing bit 12 in the last one would not show)


def many_images(cfg: SystolicConfig, rng: np.random.Generator) -> tuple[list[Descriptor], dict[str, np.ndarray]]:
    """A CONV over MANY_IMAGES one-pixel images (1x1 kernel, one channel, INT8 to ACT; fewer if ACT cannot
    hold input and output): one block an image, so the image counter passes 2^12 (the random jobs use
    3 images at most)."""
    b = min(MANY_IMAGES, cfg.ACT_DEPTH // 2 - 1)
    n = int(rng.integers(1, cfg.K + 1))
    jb = JobBuilder(cfg)
    x = rand_int8(rng, (b, 1, 1, 1))
    base, stride = put_tensor(jb, x, False)
    conv(jb, base, stride, x.shape, False, rand_int8(rng, (1, 1, 1, n)), quant=rand_quant(rng, n, edges=True),
         bias=rng.integers(-500, 500, size=n), relu=bool(rng.integers(2)))
    return jb.descriptors, jb.images()
