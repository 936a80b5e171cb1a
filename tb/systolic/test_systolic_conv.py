"""cocotb regressions for the CONV and POOL descriptors of rtl/systolic against
pymodel.systolic.model (docs/systolic.md, "Convolution and pooling"), plus the pytest runner.

Every run is a harness job (tb/systolic/jobs.py) compared with the model bit for bit: every
scratchpad word the run may touch, every output stream row with its eof bits, every counter
(CYCLES exactly) and STATUS (first mismatch printed with index, expected and actual).
Tests: directed convolutions (the digits' 8x8x1 packed 3x3 pad-1 conv, stride 2, channel-tiled
C=8 and C=13, 7x7, 1x1, blk_rows not dividing out_h, ACC and int32 outputs, implicit bottom /
right padding), seeded random CONV and POOL descriptors, a CONV -> CONV -> POOL -> GEMM chain
through ACT in one descriptor list, CONV with fused pooling (pool 2, 3, 4; the same pooled words
and stream rows as CONV + POOL descriptors; a CONV(pool) -> CONV -> GEMM chain), CONV with OUT8
(the int8 rows to OUT at c), every GEOM rule and the CHECK order. The seed is logged;
rerun with SYSTOLIC_SEED=<seed>.

They run on the regression's builds (one per K, tb/systolic/test_systolic.py) and on one
build with a small window (K=4, WIN_ROWS=4, WIN_BYTES=4: one word a window row).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
import pytest

from pymodel.compare import MismatchError
from pymodel.errors import AccelscopeError
from pymodel.systolic import regmap as R
from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig, ceil_div
from pymodel.systolic.convjob import conv, out_shape, pool, put_tensor, random_conv, random_pool
from pymodel.systolic.descriptor import (
    ERR_A_RANGE,
    ERR_ACC_DEPTH,
    ERR_B_RANGE,
    ERR_BQ_RANGE,
    ERR_C_RANGE,
    ERR_D_RANGE,
    ERR_FLAGS,
    ERR_GEOM,
    ERR_NONE,
    ERR_SHAPE,
    OP_CONV,
    RSVD_SHIFT,
    Descriptor,
)
from pymodel.systolic.job import mismatches
from pymodel.systolic.layout import conv_blk_rows
from pymodel.systolic.model import run, stream_order
from pymodel.systolic.randjob import rand_int8, rand_quant
from tb.runner import config_sims, param_text, regression_env, rtl_files, rtl_root, run_regression, verilator_env
from tb.systolic.jobs import BLOCK, decode, systolic_job
from tb.systolic.test_systolic import TB, _seed

CFG = SystolicConfig.parse(os.environ.get("SYSTOLIC_CFG", ""))


# --------------------------------------------------------------------------
# cocotb tests (names do not start with test_: pytest collects only the runner)
# --------------------------------------------------------------------------


def with_field(d: Descriptor, field: str, value: int) -> Descriptor:
    """d with one field (named at run time) set to value."""
    change: dict[str, Any] = {field: value}
    return replace(d, **change)


async def _start(dut: Any, salt: int) -> tuple[TB, np.random.Generator]:
    """Log the seed, reset, and return the TB and this test's random generator."""
    seed = _seed()
    dut._log.info("seed %d (rerun with SYSTOLIC_SEED=%d)", seed, seed)
    tb = TB(dut, CFG)
    await tb.reset()
    return tb, np.random.default_rng([seed, salt, CFG.K, CFG.WIN_ROWS, CFG.WIN_BYTES])

async def check(tb: TB, name: str, jb: JobBuilder) -> Any:
    descs = jb.descriptors
    exp, hw = await tb.run_and_check(name, descs, jb.images())
    tb.log.info("%s: %s", name, " | ".join(d.describe() for d in descs))
    assert hw.eof[:, 0].sum() == sum(1 for d in descs if d.check(CFG) == ERR_NONE) or exp.error
    return exp, hw

def widest(c: int, tiled: bool, want: int) -> int:
    """The input width up to `want` whose row fits the window (0: not even one pixel)."""
    p = ceil_div(c, CFG.K) * CFG.K if tiled else c
    return min(want, CFG.WIN_BYTES // p)

@cocotb.test()
async def conv_directed(dut: Any) -> None:
    """The digits conv (8x8x1 packed, 3x3, pad 1, INT8+RELU, several images), stride 2 pad 1,
    channel-tiled C=8 and C=13, 7x7, 1x1, blk_rows not dividing out_h, ACC and int32 outputs,
    implicit padding below and right of the input."""
    tb, rng = await _start(dut, 11)
    K = CFG.K

    # the digits' first layer: 8x8x1 images packed (8 words at K=8), 8 output channels
    jb = JobBuilder(CFG)
    x = rand_int8(rng, (3, 8, widest(1, False, 8), 1))
    base, stride = put_tensor(jb, x, False)
    conv(jb, base, stride, x.shape, False, rand_int8(rng, (3, 3, 1, 8)), pad=(1, 1),
         bias=rng.integers(-300, 300, size=8), relu=True, quant=rand_quant(rng, 8))
    await check(tb, "digits conv (INT8, RELU)", jb)

    # stride 2, pad 1, channel-tiled C=8 and C=13
    for c in (8, 13):
        if not widest(c, True, 9):
            continue
        jb = JobBuilder(CFG)
        x = rand_int8(rng, (2, 9, widest(c, True, 9), c))
        base, stride = put_tensor(jb, x, True)
        conv(jb, base, stride, x.shape, True, rand_int8(rng, (3, 3, c, 10)), stride=(2, 2), pad=(1, 1),
             bias=rng.integers(-999, 999, size=10), quant=rand_quant(rng, 10))
        await check(tb, f"stride 2 pad 1, tiled C={c} (INT8)", jb)

    # 7x7 kernel, pad 3 (packed, 3 channels); 1x1 kernel (tiled), int32 with bias
    jb = JobBuilder(CFG)
    if CFG.WIN_ROWS >= 8:
        x = rand_int8(rng, (1, 9, widest(3, False, 10), 3))
        base, stride = put_tensor(jb, x, False)
        conv(jb, base, stride, x.shape, False, rand_int8(rng, (7, 7, 3, 5)), pad=(3, 3), blk_rows=2)
    c = next(c for c in (13, 5, K) if widest(c, True, 6))
    x = rand_int8(rng, (2, 5, widest(c, True, 6), c))
    base, stride = put_tensor(jb, x, True, pad=1)
    conv(jb, base, stride, x.shape, True, rand_int8(rng, (1, 1, c, 2 * K + 1)),
         bias=rng.integers(-99, 99, 2 * K + 1))
    await check(tb, "7x7 pad 3 and 1x1 (int32)", jb)

    # blk_rows not dividing out_h (a shorter last block), ACC onto int32, padding below / right
    jb = JobBuilder(CFG)
    x = rand_int8(rng, (2, 7, widest(1, False, 5), 1))
    base, stride = put_tensor(jb, x, False)
    oh, ow = 8, x.shape[2] + 1
    conv(jb, base, stride, x.shape, False, rand_int8(rng, (2, 2, 1, 3)), out_hw=(oh, ow),
         blk_rows=min(3, conv_blk_rows(CFG, 2, 1, oh, ow)), relu=True,
         acc_init=rng.integers(-(1 << 30), 1 << 30, size=(2 * oh * ow, 3)))
    conv(jb, base, stride, x.shape, False, rand_int8(rng, (3, 1, 1, K + 3)), stride=(2, 1), pad=(2, 0),
         blk_rows=1, quant=rand_quant(rng, K + 3, edges=True), out_pad=1)
    await check(tb, "blk_rows not dividing out_h, ACC, padding below and right", jb)

@cocotb.test()
async def conv_out8(dut: Any) -> None:
    """OUT8 on CONV: the int8 rows of the digits conv (packed, several images, blocks) and of a
    channel-tiled conv with ACC (the old C read from, then overwritten at, the same OUT words)
    written to OUT at c; their d fields point at junk ACT words that must stay; and a CONV
    (INT8 to ACT) -> CONV (OUT8) chain."""
    tb, rng = await _start(dut, 16)
    K = CFG.K
    jb = JobBuilder(CFG)
    junk = jb.put("act", rand_int8(rng, (2 * K, K)))
    x = rand_int8(rng, (3, 8, widest(1, False, 8), 1))
    base, stride = put_tensor(jb, x, False)
    conv(jb, base, stride, x.shape, False, rand_int8(rng, (3, 3, 1, 8)), pad=(1, 1),
         bias=rng.integers(-300, 300, size=8), relu=True, quant=rand_quant(rng, 8), out8=True)
    c = next(c for c in (13, 5, K, 1) if widest(c, True, 5))
    x = rand_int8(rng, (2, 5, widest(c, True, 5), c))
    base, stride = put_tensor(jb, x, True, pad=1)
    rows = 2 * 5 * x.shape[2]
    conv(jb, base, stride, x.shape, True, rand_int8(rng, (3, 3, c, K + 2)), pad=(1, 1),
         acc_init=rng.integers(-(1 << 20), 1 << 20, size=(rows, K + 2)), quant=rand_quant(rng, K + 2, edges=True),
         out_pad=1, out8=True)
    jb.descriptors[:] = [replace(d, d_base=junk, d_stride=1) for d in jb.descriptors]
    await check(tb, "CONV OUT8 (digits; channel-tiled with ACC)", jb)

    jb = JobBuilder(CFG)
    c1 = 3 if widest(3, True, 6) else 1
    x = rand_int8(rng, (2, 6, widest(1, False, 6), 1))
    base, stride = put_tensor(jb, x, False)
    dst, dstride = conv(jb, base, stride, x.shape, False, rand_int8(rng, (3, 3, 1, c1)), pad=(1, 1),
                        relu=True, quant=rand_quant(rng, c1))
    s1 = out_shape(jb.descriptors[-1])
    if widest(c1, True, s1[2]) >= s1[2]:
        conv(jb, dst, s1[2] * dstride, s1, True, rand_int8(rng, (3, 3, c1, 5)), pad=(1, 1),
             bias=rng.integers(-99, 99, 5), quant=rand_quant(rng, 5), out8=True)
    await check(tb, "CONV (ACT) -> CONV (OUT8)", jb)

@cocotb.test()
async def conv_random(dut: Any) -> None:
    """Random CONV descriptors (several per list, no reset between runs)."""
    tb, rng = await _start(dut, 12)
    for i in range(5 if CFG.K <= 8 else 3):
        jb = JobBuilder(CFG)
        for _ in range(int(rng.integers(1, 4))):
            random_conv(CFG, rng, jb)
        await check(tb, f"random conv {i}", jb)

@cocotb.test()
async def pool_random(dut: Any) -> None:
    """Random POOL descriptors, mixed with GEMM and CONV descriptors in one list."""
    tb, rng = await _start(dut, 13)
    for i in range(4):
        jb = JobBuilder(CFG)
        for _ in range(int(rng.integers(1, 4))):
            random_pool(CFG, rng, jb)
        if i == 3:
            random_conv(CFG, rng, jb)
            base, stride = jb.put_matrix(rand_int8(rng, (5, 2 * CFG.K + 1)))
            jb.layer(base, stride, 5, rand_int8(rng, (2 * CFG.K + 1, 3)), quant=rand_quant(rng, 3))
            random_pool(CFG, rng, jb)
        await check(tb, f"random pool {i}", jb)

@cocotb.test()
async def conv_pool_gemm_chain(dut: Any) -> None:
    """CONV -> CONV -> POOL -> GEMM (flatten) in one descriptor list: each layer reads the int8
    channel-tiled output the previous one wrote to ACT, without the host."""
    tb, rng = await _start(dut, 14)
    K = CFG.K
    jb = JobBuilder(CFG)
    b, c1, c2 = 3, 5, K + 3
    w0 = widest(c1, True, 8)  # conv 2 reads a channel-tiled row of w0 pixels of c1 channels
    if not w0:
        c1, w0 = 1, widest(1, True, 8)
    x = rand_int8(rng, (b, 8, w0, 1))
    base, stride = put_tensor(jb, x, False)
    dst, dstride = conv(jb, base, stride, x.shape, False, rand_int8(rng, (3, 3, 1, c1)), pad=(1, 1),
                        bias=rng.integers(-200, 200, c1), relu=True, quant=rand_quant(rng, c1))
    s1 = out_shape(jb.descriptors[-1])
    dst, dstride = conv(jb, dst, s1[2] * dstride, s1, True, rand_int8(rng, (3, 3, c1, c2)), pad=(1, 1),
                        relu=True, quant=rand_quant(rng, c2), blk_rows=min(3, conv_blk_rows(CFG, 3, 1, 8, w0)))
    s2 = out_shape(jb.descriptors[-1])
    dst, dstride = pool(jb, dst, s2[2] * dstride, s2, (2, min(2, s2[2])))
    p = jb.descriptors[-1]
    flat = p.out_h * p.out_w * dstride  # words of one image
    jb.layer(dst, flat, b, rand_int8(rng, (flat * K, 10)), bias=rng.integers(-999, 999, 10))
    _exp, hw = await check(tb, "conv -> conv -> pool -> gemm", jb)
    assert hw.eof[:, 0].sum() == 4 and hw.eof[-1, 1] == 1 and hw.eof[:, 1].sum() == 1

def pooled_rows(d: Descriptor, exp: Any, hw: Any, first: int) -> dict[tuple[int, int], tuple]:
    """The stream rows of descriptor d (its rows start at index `first` of the run's stream), keyed by
    (pooled pixel q, tile t), with their eof[0]; checked against the model's rows first."""
    q, t = stream_order(CFG.K, d)
    rows = hw.stream[first:first + len(q)]
    assert len(rows) == len(q) and (rows == exp.stream[first:first + len(q)]).all()
    return {(int(a), int(b)): (tuple(int(v) for v in r), int(e))
            for a, b, r, e in zip(q, t, rows, hw.eof[first:first + len(q), 0])}

@cocotb.test()
async def conv_fused_pool(dut: Any) -> None:
    """CONV with fused max-pooling, pool 2, 3 and 4, packed and channel-tiled inputs, out_h and out_w
    not multiples of pool (rows and columns dropped; a last block of dropped rows only), several blocks,
    two n-tiles. Each also runs as CONV + POOL (kernel = stride = pool) descriptors: the fused run writes
    the same ACT words as the POOL and streams the same rows (keyed by pooled pixel and n-tile) with the
    same eof[0] count. Then out_w = 255 (PW up to 127: every line-buffer word) and a CONV(pool) -> CONV
    -> GEMM chain through ACT."""
    tb, rng = await _start(dut, 16)
    K = CFG.K
    for p in (2, 3, 4):
        for tiled in (False, True):
            c = K + 1 if tiled and widest(K + 1, True, 2) else 3
            if not widest(c, tiled, 1):
                c = 1
            wd = widest(c, tiled, 7)
            oh, ow = 2 * p + 1, max(p + 1, wd + (1 if wd % p == 0 else 0))
            k = next((k for k in (3, 2, 1) if conv_blk_rows(CFG, k, 1, oh, ow) >= p), 0)
            if not k:
                continue
            top = conv_blk_rows(CFG, k, 1, oh, ow)
            for blk in sorted({p, top - top % p}):
                x = rand_int8(rng, (2, 2 * p + 1, wd, c))
                w = rand_int8(rng, (k, k, c, K + 3))
                bias, q = rng.integers(-400, 400, K + 3), rand_quant(rng, K + 3)
                relu = bool(blk == p)
                name = f"pool {p}, {'tiled' if tiled else 'packed'} C={c}, {k}x{k}, out {oh}x{ow}, blk {blk}"
                jb = JobBuilder(CFG)
                base, stride = put_tensor(jb, x, tiled, pad=int(rng.integers(0, 2)))
                conv(jb, base, stride, x.shape, tiled, w, pad=(k // 2, k // 2), out_hw=(oh, ow), blk_rows=blk,
                     bias=bias, relu=relu, quant=q, pool=p, out_pad=int(rng.integers(0, 2)))
                fused = jb.descriptors[-1]
                assert fused.pool == p and fused.check(CFG) == ERR_NONE, fused.describe()
                exp_f, hw_f = await check(tb, f"fused {name}", jb)
                # the same layer as CONV then POOL descriptors
                jb = JobBuilder(CFG)
                base, stride = put_tensor(jb, x, tiled)
                dst, dstride = conv(jb, base, stride, x.shape, tiled, w, pad=(k // 2, k // 2), out_hw=(oh, ow),
                                    blk_rows=blk, bias=bias, relu=relu, quant=q)
                s1 = out_shape(jb.descriptors[-1])
                pool(jb, dst, s1[2] * dstride, s1, (p, p))
                cv, pl = jb.descriptors
                exp_s, hw_s = await check(tb, f"CONV + POOL {name}", jb)
                nt = fused.nt(K)
                got = hw_f.mems["act"][fused.d_base + np.arange(fused.out_rows)[:, None] * fused.d_stride
                                       + np.arange(nt)[None, :]]
                want = hw_s.mems["act"][pl.d_base + np.arange(pl.rows)[:, None] * pl.d_stride
                                        + np.arange(nt)[None, :]]
                assert fused.out_rows == pl.rows and (got == want).all(), f"{name}: pooled words differ"
                rows_f = pooled_rows(fused, exp_f, hw_f, 0)
                rows_s = pooled_rows(pl, exp_s, hw_s, len(hw_s.stream) - pl.rows * nt)
                assert {k_: r for k_, (r, _) in rows_f.items()} == {k_: r for k_, (r, _) in rows_s.items()}, \
                    f"{name}: pooled stream rows differ"
                assert sum(e for _, e in rows_f.values()) == sum(e for _, e in rows_s.values()) == 1
                assert hw_f.eof[-1, 0] == 1 and len(hw_f.stream) == fused.out_rows * nt
                assert hw_f.counters["rows"] == hw_s.counters["rows"] - cv.rows * nt
                assert hw_f.counters["macs"] == hw_s.counters["macs"]

    # the widest output: out_w = 255 (implicit right padding), PW = 127 / 85 / 63: every line-buffer word
    for p in (2, 3, 4):
        oh, ow = p + 1, 255
        if conv_blk_rows(CFG, 1, 1, oh, ow) < p:
            continue
        jb = JobBuilder(CFG)
        x = rand_int8(rng, (1, oh, widest(1, False, 128), 1))
        base, stride = put_tensor(jb, x, False)
        conv(jb, base, stride, x.shape, False, rand_int8(rng, (1, 1, 1, 3)), out_hw=(oh, ow), blk_rows=p,
             bias=rng.integers(-50, 50, 3), quant=rand_quant(rng, 3), pool=p)
        assert jb.descriptors[-1].pooled_hw() == (1, 255 // p)
        await check(tb, f"fused pool {p}, out_w 255", jb)

    # CONV(pool 2) -> CONV -> GEMM (flatten), through ACT in one list
    jb = JobBuilder(CFG)
    b, c1, c2 = 2, 5, K + 2
    w0 = widest(1, False, 8)
    x = rand_int8(rng, (b, 8, w0, 1))
    base, stride = put_tensor(jb, x, False)
    oh0, ow0 = 8, max(4, w0)
    k1 = next(k for k in (3, 2, 1) if conv_blk_rows(CFG, k, 1, oh0, ow0) >= 2)
    dst, dstride = conv(jb, base, stride, x.shape, False, rand_int8(rng, (k1, k1, 1, c1)), pad=(k1 // 2, k1 // 2),
                        out_hw=(oh0, ow0), bias=rng.integers(-200, 200, c1), relu=True,
                        quant=rand_quant(rng, c1), pool=2)
    s1 = out_shape(jb.descriptors[-1])
    if widest(c1, True, s1[2]) < s1[2]:
        c1 = 0  # this window cannot hold a channel-tiled row of the pooled tensor: chain into the GEMM
    if c1:
        k2 = next(k for k in (3, 2, 1) if conv_blk_rows(CFG, k, 1, s1[1], s1[2]) >= 1)
        dst, dstride = conv(jb, dst, s1[2] * dstride, s1, True, rand_int8(rng, (k2, k2, s1[3], c2)),
                            pad=(k2 // 2, k2 // 2), relu=True, quant=rand_quant(rng, c2))
        s1 = out_shape(jb.descriptors[-1])
    flat = s1[1] * s1[2] * dstride
    jb.layer(dst, flat, b, rand_int8(rng, (flat * K, 7)), bias=rng.integers(-999, 999, 7))
    _exp, hw = await check(tb, "conv(pool 2) -> conv -> gemm", jb)
    assert hw.eof[:, 0].sum() == len(jb.descriptors) and hw.eof[-1, 1] == 1

@cocotb.test()
async def geometry_errors(dut: Any) -> None:
    """Every GEOM rule of CONV and POOL, the FLAGS rules of the op field and POOL, the range checks
    with M = images*out_h*out_w, and the CHECK order (SHAPE, FLAGS, GEOM, ACC_DEPTH, ...): the run
    stops at the bad descriptor with the model's code and counters, after the good one before it."""
    tb, rng = await _start(dut, 15)
    K = CFG.K
    jb = JobBuilder(CFG)
    first = Descriptor(m=1, kd=1, n=1, a_stride=1, c_stride=1)  # completes before the bad one
    wd = widest(3, True, 2)
    x = rand_int8(rng, (1, 4, wd, 3))
    base, stride = put_tensor(jb, x, True)
    conv(jb, base, stride, x.shape, True, rand_int8(rng, (2, 2, 3, 4)), pad=(1, 1), blk_rows=1,
         quant=rand_quant(rng, 4))
    pool(jb, base, stride, x.shape, (2, wd), (1, 1))
    cv, pl = jb.descriptors
    cvp = replace(cv, pool=2, blk_rows=2)  # fused pooling, legal (the conv's D region holds the pooled rows)
    assert cvp.check(CFG) == ERR_NONE, cvp.describe()
    images = jb.images()
    act, p3 = CFG.ACT_DEPTH, ceil_div(3, K) * K
    cases: list[tuple[str, Descriptor, int]] = []
    for f in ("in_h", "in_w", "cin", "kh", "kw", "stride_h", "stride_w", "out_h", "out_w", "blk_rows"):
        cases.append((f"conv {f}=0", with_field(cv, f, 0), ERR_GEOM))
    # the widest block the window allows with kh=1, stride 1 (ACC_DEPTH needs blk_rows*out_w > ACC_DEPTH)
    blk = min(31, CFG.WIN_ROWS)
    tall = (CFG.WIN_ROWS - 2) // 7 + 2  # blk_rows with (blk_rows-1)*7 + kh(2) > WIN_ROWS
    cases += [
        ("conv pad_t >= kh", replace(cv, pad_t=2), ERR_GEOM),
        ("conv pad_l >= kw", replace(cv, pad_l=2), ERR_GEOM),
        ("conv kd != kh*kw*cin", replace(cv, kd=cv.kd + 1), ERR_GEOM),
        ("conv blk_rows > out_h", replace(cv, blk_rows=cv.out_h + 1), ERR_GEOM),
        ("conv in_w*P > WIN_BYTES", replace(cv, in_w=CFG.WIN_BYTES // p3 + 1, a_stride=act - 1), ERR_GEOM),
        ("conv packed in_w*C > WIN_BYTES", replace(cv, tiled=False, in_w=CFG.WIN_BYTES // 3 + 1,
                                                   a_stride=act - 1), ERR_GEOM),
        ("conv window rows > WIN_ROWS", replace(cv, blk_rows=tall, stride_h=7, out_h=tall), ERR_GEOM),
        ("conv a_stride < RW", replace(cv, a_stride=cv.row_words(K) - 1), ERR_GEOM),
        ("conv ACC_DEPTH", replace(cv, kh=1, pad_t=0, kd=2 * 3, blk_rows=blk, out_h=blk, out_w=255),
         ERR_ACC_DEPTH if blk * 255 > CFG.ACC_DEPTH else ERR_NONE),
        ("conv A_RANGE", replace(cv, a_base=act - cv.in_h * cv.a_stride + 1), ERR_A_RANGE),
        ("conv B_RANGE", replace(cv, b_base=CFG.WGT_DEPTH - 1), ERR_B_RANGE),
        ("conv C_RANGE (rows = m*out_h*out_w)", replace(cv, int8=False, c_base=CFG.OUT_DEPTH - cv.rows,
                                                       c_stride=1, n=K + 1), ERR_C_RANGE),
        ("conv D_RANGE (rows = m*out_h*out_w)", replace(cv, d_base=act - cv.rows, d_stride=1, n=K + 1),
         ERR_D_RANGE),
        ("conv BQ_RANGE", replace(cv, bq_base=CFG.BQ_DEPTH - 1, n=K + 1), ERR_BQ_RANGE),
        ("op 3", replace(cv, op=3), ERR_FLAGS),
        ("conv reserved flag", replace(cv, reserved_flags=1 << RSVD_SHIFT), ERR_FLAGS),
        ("SHAPE before FLAGS", replace(cv, op=3, n=0), ERR_SHAPE),
        ("FLAGS before GEOM", replace(cv, op=3, kh=0), ERR_FLAGS),
        ("GEOM before ACC_DEPTH", replace(cv, kw=0, blk_rows=blk, out_h=blk, out_w=255), ERR_GEOM),
        ("GEOM before A_RANGE", replace(cv, pad_t=3, a_base=act - 1), ERR_GEOM),
        ("ACC_DEPTH before A_RANGE", replace(cv, kh=1, pad_t=0, kd=2 * 3, blk_rows=blk, out_h=blk, out_w=255,
                                             a_base=act - 1),
         ERR_ACC_DEPTH if blk * 255 > CFG.ACC_DEPTH else ERR_A_RANGE),
    ]
    for f in ("in_h", "in_w", "cin", "kh", "kw", "stride_h", "stride_w", "out_h", "out_w"):
        cases.append((f"pool {f}=0", with_field(pl, f, 0), ERR_GEOM))
    for f in ("kh", "kw", "stride_h", "stride_w"):
        cases.append((f"pool {f}=5", with_field(pl, f, 5), ERR_GEOM))
    cases += [
        ("pool pad_t", replace(pl, pad_t=1), ERR_GEOM),
        ("pool pad_l", replace(pl, pad_l=1), ERR_GEOM),
        ("pool blk_rows", replace(pl, blk_rows=1), ERR_GEOM),
        ("pool packed", replace(pl, tiled=False), ERR_GEOM),
        ("pool kd != kh*kw", replace(pl, kd=pl.kd + 1), ERR_GEOM),
        ("pool n != cin", replace(pl, n=pl.n + 1), ERR_GEOM),
        ("pool window below the input", replace(pl, out_h=pl.out_h + 1), ERR_GEOM),
        ("pool window right of the input", replace(pl, out_w=pl.out_w + 1), ERR_GEOM),
        ("pool a_stride < in_w*CT", replace(pl, a_stride=pl.in_w * pl.ct(K) - 1), ERR_GEOM),
        ("pool ACC", replace(pl, acc=True), ERR_FLAGS),
        ("pool BIAS", replace(pl, bias=True), ERR_FLAGS),
        ("pool RELU", replace(pl, relu=True), ERR_FLAGS),
        ("pool not INT8", replace(pl, int8=False), ERR_FLAGS),
        ("pool A_RANGE", replace(pl, a_base=act - pl.in_h * pl.a_stride + 1), ERR_A_RANGE),
        ("pool D_RANGE (rows = m*out_h*out_w)", replace(pl, d_base=act - pl.rows * pl.d_stride + 1),
         ERR_D_RANGE),
        ("pool: no B, C or BQ check", replace(pl, b_base=CFG.WGT_DEPTH - 1, bq_base=CFG.BQ_DEPTH - 1,
                                              c_base=CFG.OUT_DEPTH - 1, c_stride=7), ERR_NONE),
    ]
    # the fused-pool field: 0, 2, 3, 4 on an INT8 CONV only, blk_rows a multiple of pool, out_h and out_w
    # >= pool (GEOM, third in the CHECK order); D_RANGE counts the pooled rows
    for v in (1, 5, 6, 7):
        cases.append((f"fused pool={v}", replace(cvp, pool=v), ERR_GEOM))
    cases += [
        ("fused pool on POOL", replace(pl, pool=2), ERR_GEOM),
        ("fused pool on GEMM", Descriptor(m=1, kd=1, n=1, a_stride=1, c_stride=1, pool=2), ERR_GEOM),
        ("fused pool without INT8", replace(cvp, int8=False), ERR_GEOM),
        ("fused pool blk_rows not a multiple", replace(cvp, blk_rows=1), ERR_GEOM),
        ("fused pool 3, blk_rows 2", replace(cvp, pool=3), ERR_GEOM),
        ("fused pool out_w < pool", replace(cvp, out_w=1), ERR_GEOM),
        ("fused pool out_h < pool", replace(cvp, out_h=1, blk_rows=1), ERR_GEOM),
        ("fused pool: SHAPE before GEOM", replace(cvp, pool=5, n=0), ERR_SHAPE),
        ("fused pool: FLAGS before GEOM", replace(cvp, pool=5, op=3), ERR_FLAGS),
        ("fused pool: GEOM before A_RANGE", replace(cvp, pool=5, a_base=act - 1), ERR_GEOM),
        ("fused pool D_RANGE (pooled rows)", replace(cvp, d_base=act - (cvp.out_rows - 1) * cvp.d_stride
                                                     - cvp.nt(K) + 1), ERR_D_RANGE),
        ("fused pool D_RANGE boundary (pooled rows, not conv rows)",
         replace(cvp, d_base=act - (cvp.out_rows - 1) * cvp.d_stride - cvp.nt(K)), ERR_NONE),
        ("fused pool legal", cvp, ERR_NONE),
    ]
    after = Descriptor(m=2, kd=1, n=1, a_stride=1, c_stride=1)  # runs when the case passes CHECK
    for name, bad, code in cases:
        assert bad.check(CFG) == code, f"{name}: the model says {bad.check(CFG)}, the case {code}"
        if code == ERR_NONE and bad.op == OP_CONV and not bad.pool:
            continue  # legal here (this window cannot hold an ACC_DEPTH error); nothing to provoke
        _exp, hw = await tb.run_and_check(f"CHECK {name}", [first, bad, after], images)
        want = {"error": 1, "err_code": code, "cur_desc": 1} if code else {"error": 0, "cur_desc": 2}
        got = {k: hw.status[k] for k in want}
        assert got == want, f"{name}: status {hw.status}"
    # a GEMM descriptor with non-zero geometry words (Descriptor.decode rejects them): ignored
    words = after.encode()
    words[6], words[7] = (int(v) for v in rng.integers(1, 1 << 32, size=2))
    await raw_second_descriptor(tb, cv, words, images)
    # the good CONV and POOL themselves, then a failing one
    _exp, hw = await tb.run_and_check("CONV, POOL, then GEOM", [cv, pl, replace(cv, kh=0)], images)
    assert hw.status["err_code"] == ERR_GEOM and hw.status["cur_desc"] == 2

async def raw_second_descriptor(tb: TB, first: Descriptor, words: list[int], images: dict[str, np.ndarray]) -> None:
    """Run [first, <raw descriptor words>]; the model runs [first, the same words with words 6 and 7
    cleared]; everything compared as run_and_check does."""
    plain = list(words)
    plain[6] = plain[7] = 0
    descs = [first, Descriptor.decode(plain)]
    exp = run(CFG, descs, images)
    job = systolic_job(CFG, descs, images)
    cmd1 = R.word_addr(CFG, "cmd", 1, 0)
    writes = [(a, words[(a - cmd1) // 4] if cmd1 <= a < cmd1 + 4 * len(words) else d) for a, d in job.writes]
    assert writes != list(job.writes)
    job = replace(job, writes=writes)
    hw = decode(CFG, job, await tb.run_raw(job))
    problems = mismatches(exp, hw)
    if problems:
        raise MismatchError("GEMM with geometry words: " + "; ".join(problems))
    tb.log.info("GEMM with geometry words 6, 7 = %#x, %#x: ignored, match", words[6], words[7])



# --------------------------------------------------------------------------
# pytest runner: the regression's builds (one per K) and one small-window build
# --------------------------------------------------------------------------

CONFIGS = {f"K{k}": SystolicConfig.for_array(k) for k in (2, 4, 8, 16)}
CONFIGS["K4_smallwin"] = replace(SystolicConfig.for_array(4), WIN_ROWS=4, WIN_BYTES=4)


# make test: every K on Verilator (the builds test_systolic makes), the small-window build on Icarus,
# whose CONV jobs run many times slower there (ACCELSCOPE_FULL_MATRIX=1: every pair)
@pytest.mark.parametrize("config,sim", config_sims(list(CONFIGS), icarus={"K4_smallwin"},
                                                   verilator={"K2", "K4", "K8", "K16"}))
def test_systolic_conv(config: str, sim: str) -> None:
    cfg = CONFIGS[config]
    env = regression_env("SYSTOLIC_CFG", param_text(cfg.params()), "SYSTOLIC_SEED")
    run_regression(BLOCK, cfg.params(), cfg.tag(), sim, env, min_tests=7,
                   test_module="tb.systolic.test_systolic_conv", work_name="conv")


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
@pytest.mark.parametrize("param,value,rule", [
    ("WIN_ROWS", 12, "systolic_WIN_ROWS_must_be_a_power_of_2_in_2_to_64"),
    ("WIN_ROWS", 128, "systolic_WIN_ROWS_must_be_a_power_of_2_in_2_to_64"),
    ("WIN_BYTES", 4, "systolic_WIN_BYTES_must_be_a_power_of_2_in_K_to_1024"),  # < K = 8
    ("WIN_BYTES", 96, "systolic_WIN_BYTES_must_be_a_power_of_2_in_K_to_1024"),
    ("WIN_BYTES", 2048, "systolic_WIN_BYTES_must_be_a_power_of_2_in_K_to_1024"),
])
def test_window_parameters_stop_elaboration(tmp_path: Path, sim: str, param: str, value: int, rule: str) -> None:
    """Illegal WIN_ROWS / WIN_BYTES stop elaboration with the rule's name (as tests/test_rtl_params.py
    does for the other parameters); SystolicConfig rejects the same values."""
    with pytest.raises(AccelscopeError):
        replace(SystolicConfig(), **{param: value})
    files = [str(p) for p in rtl_files(("common", "systolic"))]
    inc = [f"-I{rtl_root() / d}" for d in ("common", "systolic")]
    if sim == "icarus":
        cmd = ["iverilog", "-g2012", "-o", str(tmp_path / "x.vvp"), "-s", "systolic", f"-Psystolic.{param}={value}",
               *inc, *files]
    else:
        cmd = ["verilator", "--lint-only", "-Wall", "--top-module", "systolic", f"-G{param}={value}", *inc, *files]
    r = subprocess.run(cmd, capture_output=True, text=True, env=verilator_env() if sim == "verilator" else None,
                       cwd=tmp_path)
    assert r.returncode != 0 and rule in r.stdout + r.stderr, (r.stdout + r.stderr)[-2000:]
