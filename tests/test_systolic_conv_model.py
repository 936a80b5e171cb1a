"""pymodel.systolic CONV and POOL descriptors (docs/systolic.md, "Convolution and pooling") against
references written here from the contract: the tensors are laid out in ACT, the weights in WGT and the
results read back by this file's own address arithmetic, the values come from np.pad / nested loops
(never from pymodel's im2col), the stream order from loops over blocks, and the counters from the
contract's formulas (hand-evaluated for small cases).

Random cases print their seed; rerun with SYSTOLIC_SEED=<seed>."""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

import pymodel.systolic.model as model
from pymodel.errors import AccelscopeError
from pymodel.systolic import regmap as R
from pymodel.systolic import regs
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import (
    CHECK_ORDER,
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
    GEOMETRY,
    OP_CONV,
    OP_GEMM,
    OP_POOL,
    Descriptor,
)
from pymodel.systolic.layout import conv_layout, extents, pack_tensor, pool_layout, unpack_rows, unpack_tensor
from pymodel.systolic.model import POOL_DRAIN, Counters, conv_blocks, descriptor_counters, run
from pymodel.top.config import TopConfig
from pymodel.top.model import written_words

SEED = int(os.environ.get("SYSTOLIC_SEED", "20261130"))


def _rng(*salt: int) -> np.random.Generator:
    print(f"seed {SEED} (rerun with SYSTOLIC_SEED={SEED}), salt {salt}")
    return np.random.default_rng([SEED, *salt])


def cdiv(a: int, b: int) -> int:
    return -(-a // b)


# --------------------------------------------------------------------------
# independent references (from the contract's text, no pymodel code)
# --------------------------------------------------------------------------

def ref_wrap32(v: np.ndarray) -> np.ndarray:
    return ((np.asarray(v, np.int64) + 2 ** 31) % 2 ** 32) - 2 ** 31


def ref_requant(y: int, mult: int, shift: int) -> int:
    v = math.floor(Fraction(y * mult, 1 << shift) + Fraction(1, 2)) if shift else y * mult
    return max(-128, min(127, v))


def ref_conv_pad(x, w, sh, sw, pt, pl, oh_n, ow_n):
    """C[b, oh, ow, n] = sum X[b, oh*sh - pt + ky, ow*sw - pl + kx, c] * W[ky, kx, c, n], X = 0 outside:
    np.pad with enough zeros below / right for every window, then one strided slice per tap."""
    B, H, W, _C = x.shape
    kh, kw, _, n = w.shape
    bot = max(0, (oh_n - 1) * sh + kh - pt - H)
    right = max(0, (ow_n - 1) * sw + kw - pl - W)
    xp = np.pad(np.asarray(x, np.int64), ((0, 0), (pt, bot), (pl, right), (0, 0)))
    out = np.zeros((B, oh_n, ow_n, n), np.int64)
    for ky in range(kh):
        for kx in range(kw):
            win = xp[:, ky:ky + (oh_n - 1) * sh + 1:sh, kx:kx + (ow_n - 1) * sw + 1:sw, :]
            out += win @ np.asarray(w[ky, kx], np.int64)
    return out


def ref_conv_loops(x, w, sh, sw, pt, pl, oh_n, ow_n):
    """The same sum with plain nested loops and explicit bounds."""
    B, H, W, C = x.shape
    kh, kw, _, n = w.shape
    out = np.zeros((B, oh_n, ow_n, n), np.int64)
    for b in range(B):
        for oh in range(oh_n):
            for ow in range(ow_n):
                for ky in range(kh):
                    for kx in range(kw):
                        ih, iw = oh * sh - pt + ky, ow * sw - pl + kx
                        if 0 <= ih < H and 0 <= iw < W:
                            for c in range(C):
                                out[b, oh, ow] += int(x[b, ih, iw, c]) * np.asarray(w[ky, kx, c], np.int64)
    return out


def ref_pool(x, kh, kw, sh, sw, oh_n, ow_n):
    B, _H, _W, C = x.shape
    out = np.zeros((B, oh_n, ow_n, C), np.int64)
    for b in range(B):
        for oh in range(oh_n):
            for ow in range(ow_n):
                for c in range(C):
                    out[b, oh, ow, c] = max(int(x[b, oh * sh + ky, ow * sw + kx, c])
                                            for ky in range(kh) for kx in range(kw))
    return out


def ref_epilogue(y, *, old=None, bias=None, relu=False, quant=None):
    """(M, n) sums -> outputs: + old C (ACC) + bias, wrap32, ReLU, requantize per column."""
    y = np.asarray(y, np.int64)
    if old is not None:
        y = y + old
    if bias is not None:
        y = y + bias[None, :]
    y = ref_wrap32(y)
    if relu:
        y = np.maximum(y, 0)
    if quant is not None:
        mult, shift = quant
        y = np.array([[ref_requant(int(v), int(mult[j]), int(shift[j])) for j, v in enumerate(row)] for row in y],
                     dtype=np.int64).reshape(y.shape)
    return y


def put_tensor(act, base, stride, x, K, tiled):
    """Byte w*P + c of row (b, h) -> lane (w*P + c) mod K of ACT[base + (b*H + h)*stride + (w*P + c) div K]."""
    B, H, W, C = x.shape
    P = cdiv(C, K) * K if tiled else C
    for b in range(B):
        for h in range(H):
            for w in range(W):
                for c in range(C):
                    byte = w * P + c
                    act[base + (b * H + h) * stride + byte // K, byte % K] = x[b, h, w, c]


def put_weights(wgt, base, bmat, K):
    """B[k, j] -> lane j mod K of WGT[base + (nt*KT + kt)*K + r], k = kt*K + r, nt = j div K."""
    kd, n = bmat.shape
    KT = cdiv(kd, K)
    for k in range(kd):
        for j in range(n):
            kt, r = divmod(k, K)
            nt, c = divmod(j, K)
            wgt[base + (nt * KT + kt) * K + r, c] = bmat[k, j]


def put_columns(mem, base, v, K):
    for j, x in enumerate(v):
        mem[base + j // K, j % K] = x


def rows_words(values, K, n_tiles):
    """(M, n) -> (M, NT, K) words with lanes >= n zero."""
    M, n = values.shape
    out = np.zeros((M, n_tiles * K), np.int64)
    out[:, :n] = values
    return out.reshape(M, n_tiles, K)


def conv_stream_ref(words, B, out_h, out_w, blk_rows):
    """Per block (b, oh0), per n-tile, the block's rows (ow fastest)."""
    NT = words.shape[1]
    rows = []
    for b in range(B):
        for oh0 in range(0, out_h, blk_rows):
            for t in range(NT):
                for oh in range(oh0, min(oh0 + blk_rows, out_h)):
                    for ow in range(out_w):
                        rows.append(words[(b * out_h + oh) * out_w + ow, t])
    return np.array(rows, dtype=np.int64).reshape(-1, words.shape[2])


def conv_counters_ref(K, B, H, W, P, kh, sh, pt, out_h, out_w, blk_rows, kd, n):
    """The contract's CONV counters, block by block with loops (V counted window row by window row)."""
    KT, NT, RW = cdiv(kd, K), cdiv(n, K), cdiv(W * P, K)
    cycles, busy, stalls = 3 + K, 0, 0
    last = None
    for _b in range(B):
        for oh0 in range(0, out_h, blk_rows):
            R_ = min(blk_rows, out_h - oh0)
            S = (R_ - 1) * sh + kh
            V = sum(1 for s in range(S) if 0 <= oh0 * sh - pt + s < H)
            Mb = R_ * out_w
            Pb = max(Mb, K)
            cycles += V * RW + 1 + NT * KT * Pb
            busy += NT * KT * Pb
            stalls += NT * KT * (Pb - Mb)
            last = (Pb, Mb)
    cycles += 2 * K + 6 - (last[0] - last[1])
    M = B * out_h * out_w
    return dict(cycles=cycles, busy=busy, stalls=stalls, macs=M * kd * n, rows=M * NT)


# --------------------------------------------------------------------------
# random CONV cases against the references
# --------------------------------------------------------------------------

def _pow2ceil(v: int) -> int:
    return 1 << max(0, (v - 1).bit_length())


def ref_fused_pool(vals, B, out_h, out_w, p):
    """(B*out_h*out_w, n) int8 conv rows -> (B*PH*PW, n): max over each p x p window (kernel = stride = p,
    no padding, floor), plain loops."""
    PH, PW = out_h // p, out_w // p
    v = np.asarray(vals, np.int64).reshape(B, out_h, out_w, -1)
    out = np.zeros((B, PH, PW, v.shape[3]), np.int64)
    for b in range(B):
        for ph in range(PH):
            for pw in range(PW):
                for j in range(v.shape[3]):
                    out[b, ph, pw, j] = max(int(v[b, ph * p + dy, pw * p + dx, j])
                                            for dy in range(p) for dx in range(p))
    return out.reshape(B * PH * PW, -1)


def fused_stream_ref(pwords, B, out_h, out_w, blk_rows, p):
    """Per block (b, oh0), per n-tile, the pooled rows whose p x p window lies in the block (ph*p >= oh0,
    ph*p + p <= oh0 + R), pw fastest; rows and columns past PH*p, PW*p give nothing."""
    PH, PW = out_h // p, out_w // p
    NT = pwords.shape[1]
    rows = []
    for b in range(B):
        for oh0 in range(0, out_h, blk_rows):
            end = min(oh0 + blk_rows, out_h)
            for t in range(NT):
                for ph in range(PH):
                    if ph * p >= oh0 and ph * p + p <= end:
                        for pw in range(PW):
                            rows.append(pwords[(b * PH + ph) * PW + pw, t])
    return np.array(rows, dtype=np.int64).reshape(-1, pwords.shape[2])


def ref_out8_word(row, K):
    """The OUT word an OUT8 descriptor writes for an int8 row, as K int32 lanes (= APB chunks): column c
    at bits [8c +: 8] of the K*32-bit word, the rest 0; chunk l is bits [32l +: 32], signed."""
    word = sum((int(v) & 0xFF) << (8 * c) for c, v in enumerate(row))
    chunks = [(word >> 32 * lane) & 0xFFFFFFFF for lane in range(K)]
    return [v - (1 << 32) if v >= 1 << 31 else v for v in chunks]


def random_conv_case(K: int, rng: np.random.Generator, C: int | None = None, pool: int = 0, out8: bool = False):
    """A random legal CONV with its images (junk in every byte the hardware must not use) and the
    expected memories and stream, computed by the references. pool (2..4): a CONV with fused pooling
    (INT8, blk_rows a multiple of pool, out_h and out_w at least pool). out8: INT8 with OUT8 (the int8
    rows packed into OUT words at c, ACT untouched; d_base stays set, to show it is ignored)."""
    C = C if C is not None else int(rng.choice([1, 2, 3, 8, 13]))
    tiled = bool(rng.random() < 0.5)
    P = cdiv(C, K) * K if tiled else C
    kh, kw = (int(v) for v in rng.integers(1, 8, size=2))
    sh, sw = (int(v) for v in rng.integers(1, 5, size=2))
    pt, pl = int(rng.integers(0, kh)), int(rng.integers(0, kw))
    H, W = (int(v) for v in rng.integers(1, 11, size=2))
    B = int(rng.integers(1, 4))

    def out_size(size, k, s, p):
        nat = (size + 2 * p - k) // s + 1
        if nat < 1 or rng.random() < 0.25:  # any out size is legal: beyond the input reads zeros
            return max(1, nat + int(rng.integers(-1, 3))) if nat >= 1 else int(rng.integers(1, 4))
        return nat

    out_h, out_w = out_size(H, kh, sh, pt), out_size(W, kw, sw, pl)
    if pool:
        out_h, out_w = max(out_h, pool + int(rng.integers(0, pool + 1))), max(out_w, pool)
    win_bytes = min(1024, _pow2ceil(max(K, W * P)) * int(rng.choice([1, 1, 2])))
    win_rows = int(rng.choice([r for r in (8, 16, 32, 64) if r >= kh + (max(pool, 1) - 1) * sh]))
    cfg = replace(SystolicConfig.for_array(K), WIN_ROWS=win_rows, WIN_BYTES=win_bytes)
    blk_max = min(out_h, 31, (win_rows - kh) // sh + 1, cfg.ACC_DEPTH // out_w)
    blk = int(rng.integers(1, blk_max + 1))
    if pool:
        blk = pool * int(rng.integers(1, blk_max // pool + 1))
    elif rng.random() < 0.3 and blk_max > 2:  # a blk_rows that does not divide out_h when possible
        cands = [b for b in range(2, blk_max + 1) if out_h % b]
        blk = int(rng.choice(cands)) if cands else blk
    n = int(rng.integers(1, 2 * K + 4))
    kd = kh * kw * C
    KT, NT = cdiv(kd, K), cdiv(n, K)
    RW = cdiv(W * P, K)
    M = B * out_h * out_w
    acc, bias_f, relu, int8 = (bool(rng.random() < 0.5) for _ in range(4))
    int8 = int8 or bool(pool) or out8

    x = rng.integers(-128, 128, size=(B, H, W, C))
    wts = rng.integers(-128, 128, size=(kh, kw, C, n))
    bias = rng.integers(-(1 << 20), 1 << 20, size=n)
    mult = rng.integers(1 << 8, 1 << 22, size=n)
    shift = rng.integers(8, 24, size=n)
    old = rng.integers(-(1 << 31), 1 << 31, size=(M, n))

    a_base, a_stride = int(rng.integers(0, 8)), RW + int(rng.integers(0, 3))
    d_base = a_base + B * H * a_stride + int(rng.integers(0, 4))
    d_stride = NT + int(rng.integers(0, 2))
    c_base, c_stride = int(rng.integers(0, 6)), NT + int(rng.integers(0, 2))
    b_base, bq_base = int(rng.integers(0, 9)), int(rng.integers(0, 4))

    # images full of junk: gaps, pad lanes, the partial last word of a packed row, weight rows >= kd
    # and columns >= n, bias/quant lanes >= n: the hardware must not let any of it through
    act = rng.integers(-128, 128, size=(d_base + M * d_stride + 4, K))
    put_tensor(act, a_base, a_stride, x, K, tiled)
    wgt = rng.integers(-128, 128, size=(b_base + NT * KT * K + 3, K))
    bmat = wts.reshape(kd, n)  # row (ky*kw + kx)*C + c: the contract's k order
    put_weights(wgt, b_base, bmat, K)
    bias_m = rng.integers(-(1 << 31), 1 << 31, size=(bq_base + NT + 2, K))
    put_columns(bias_m, bq_base, bias, K)
    quant_m = rng.integers(0, 1 << 32, size=(bq_base + NT + 2, K))
    put_columns(quant_m, bq_base, mult | (shift << 24), K)
    out_m = rng.integers(-(1 << 31), 1 << 31, size=(c_base + M * c_stride + 3, K))
    if acc:
        for q in range(M):
            for j in range(n):
                out_m[c_base + q * c_stride + j // K, j % K] = old[q, j]

    d = Descriptor(m=B, kd=kd, n=n, a_base=a_base, a_stride=a_stride, b_base=b_base, bq_base=bq_base,
                   c_base=c_base, c_stride=c_stride, d_base=d_base if int8 else 0, d_stride=d_stride if int8 else 0,
                   acc=acc, bias=bias_f, relu=relu, int8=int8, op=OP_CONV, in_h=H, in_w=W, cin=C, tiled=tiled,
                   kh=kh, kw=kw, stride_h=sh, stride_w=sw, pad_t=pt, pad_l=pl, out_h=out_h, out_w=out_w,
                   blk_rows=blk, pool=pool, out8=out8)
    images = {"act": act, "wgt": wgt, "bias": bias_m, "quant": quant_m, "out": out_m}

    y = ref_conv_pad(x, wts, sh, sw, pt, pl, out_h, out_w).reshape(M, n)
    vals = ref_epilogue(y, old=old if acc else None, bias=bias if bias_f else None, relu=relu,
                        quant=(mult, shift) if int8 else None)
    counters = conv_counters_ref(K, B, H, W, P, kh, sh, pt, out_h, out_w, blk, kd, n)
    if pool:
        vals = ref_fused_pool(vals, B, out_h, out_w, pool)
        counters.update(cycles=counters["cycles"] + 1, rows=len(vals) * NT)  # the pool stage: DRAIN + 1
    words = rows_words(vals, K, NT)
    exp = {k: np.asarray(v, np.int64).copy() for k, v in images.items()}
    dst, base, stride = ("act", d_base, d_stride) if int8 and not out8 else ("out", c_base, c_stride)
    for q in range(len(vals)):
        for t in range(NT):
            exp[dst][base + q * stride + t] = ref_out8_word(words[q, t], K) if out8 else words[q, t]
    stream = (fused_stream_ref(words, B, out_h, out_w, blk, pool) if pool
              else conv_stream_ref(words, B, out_h, out_w, blk))
    return cfg, d, images, exp, stream, counters


def _check_run(cfg, descs, images, exp, stream, counters, what):
    res = run(cfg, descs, images)
    assert res.error == ERR_NONE, what
    for name, mem in exp.items():
        np.testing.assert_array_equal(res.mems[name][: len(mem)], mem, err_msg=f"{what}: scratchpad {name}")
        assert not res.mems[name][len(mem):].any(), f"{what}: {name} written beyond the image"
    np.testing.assert_array_equal(res.stream, stream, err_msg=f"{what}: stream")
    assert res.eof[:, 0].tolist() == [0] * (len(stream) - 1) + [1], what
    assert res.eof[:, 1].tolist() == [0] * (len(stream) - 1) + [1], what
    assert res.counters.as_dict() == counters, (what, res.counters, counters)
    return res


@pytest.mark.parametrize("K", [2, 4, 8, 16])
def test_conv_random_against_reference(K):
    rng = _rng(1, K)
    for i in range(15):
        cfg, d, images, exp, stream, counters = random_conv_case(K, rng, C=[1, 2, 3, 8, 13][i % 5])
        assert d.check(cfg) == ERR_NONE, (i, d.describe(), d.geometry_error(cfg))
        _check_run(cfg, [d], images, exp, stream, counters, f"seed {SEED} K={K} case {i}: {d.describe()} "
                   f"flags acc={d.acc} bias={d.bias} relu={d.relu} int8={d.int8}")


@pytest.mark.parametrize("K", [2, 4, 8, 16])
def test_conv_out8_random_against_reference(K):
    """OUT8: the int8 rows, packed, in OUT at c; ACT (the d region included) untouched; the stream and the
    counters those of INT8; and the same descriptor with OUT8 clear writes exactly those bytes to ACT."""
    rng = _rng(7, K)
    for i in range(8):
        cfg, d, images, exp, stream, counters = random_conv_case(K, rng, C=[1, 3, 8, 13][i % 4], out8=True)
        what = f"seed {SEED} K={K} OUT8 case {i}: {d.describe()} acc={d.acc} bias={d.bias} relu={d.relu}"
        assert d.out8 and d.check(cfg) == ERR_NONE, what
        res = _check_run(cfg, [d], images, exp, stream, counters, what)
        plain = run(cfg, [replace(d, out8=False)], images)
        nt = d.nt(K)
        q, t = np.arange(d.rows)[:, None], np.arange(nt)[None, :]
        int8_bytes = plain.mems["act"][d.d_base + q * d.d_stride + t]
        packed = res.mems["out"][d.c_base + q * d.c_stride + t]
        want = np.array([[ref_out8_word(w, K) for w in row] for row in int8_bytes], np.int64)
        np.testing.assert_array_equal(packed, want, err_msg=f"{what}: OUT8 words vs the INT8 bytes")
        assert np.array_equal(res.stream, plain.stream) and res.counters == plain.counters, what


def test_conv_out8_checks():
    assert _conv(out8=True).check(CFG) == ERR_NONE
    assert _pool(out8=True).check(CFG) == ERR_FLAGS  # POOL: no OUT8
    assert _conv(out8=True, int8=False).check(CFG) == ERR_FLAGS  # without INT8
    fused = _conv(pool=2, d_stride=2)
    assert fused.check(CFG) == ERR_NONE and replace(fused, out8=True).check(CFG) == ERR_FLAGS
    assert _conv(out8=True, pool=2, blk_rows=1).check(CFG) == ERR_FLAGS  # FLAGS before GEOM
    assert _conv(out8=True, pool=5).check(CFG) == ERR_FLAGS
    assert _conv(out8=True, m=0).check(CFG) == ERR_SHAPE
    # with OUT8, C_RANGE counts the conv rows (96 rows, c_stride 2) even without ACC; D_RANGE does not apply
    assert _conv(acc=False, out8=True, c_base=4096 - 192).check(CFG) == ERR_NONE
    assert _conv(acc=False, out8=True, c_base=4096 - 191).check(CFG) == ERR_C_RANGE
    assert _conv(acc=False, c_base=4096 - 191).check(CFG) == ERR_NONE  # INT8 alone: C unused
    assert _conv(d_base=4095).check(CFG) == ERR_D_RANGE and _conv(out8=True, d_base=4095).check(CFG) == ERR_NONE
    with pytest.raises(AccelscopeError, match="OUT8 on a POOL"):
        _pool(out8=True).validate(CFG)
    with pytest.raises(AccelscopeError, match="OUT8 with fused pooling"):
        replace(fused, out8=True).validate(CFG)


@pytest.mark.parametrize("K", [2, 4, 8, 16])
def test_fused_pool_random_against_reference(K):
    """CONV with fused pooling, pool 2, 3, 4: pooled words (only they are written), the pooled stream
    with eof on the last pooled row, counters (CYCLES + 1, ROWS = B*PH*PW*NT)."""
    rng = _rng(4, K)
    for i in range(12):
        p = (2, 3, 4)[i % 3]
        cfg, d, images, exp, stream, counters = random_conv_case(K, rng, C=[1, 3, 8, 13][i % 4], pool=p)
        assert d.check(cfg) == ERR_NONE and d.pool == p, (i, d.describe(), d.geometry_error(cfg))
        _check_run(cfg, [d], images, exp, stream, counters, f"seed {SEED} K={K} fused case {i}: {d.describe()} "
                   f"flags acc={d.acc} bias={d.bias} relu={d.relu}")


@pytest.mark.parametrize("K", [4, 8])
def test_fused_pool_equals_conv_then_pool(K):
    """A fused-pool CONV == the same CONV (int8, channel-tiled output, d_stride NT) followed by a POOL
    descriptor (kernel = stride = pool): the same final pooled ACT words, the same pooled stream rows
    (keyed by pooled pixel and n-tile, from loops), the same conv counters but ROWS, CYCLES + 1."""
    rng = _rng(5, K)
    for i in range(9):
        p = (2, 3, 4)[i % 3]
        cfg, d, images, _, _, _ = random_conv_case(K, rng, C=[1, 3, 13][i % 3], pool=p)
        NT, M = cdiv(d.n, K), d.m * d.out_h * d.out_w
        PH, PW = d.out_h // p, d.out_w // p
        conv_d = replace(d, pool=0, d_stride=NT)
        pool_base = conv_d.d_base + M * NT + int(rng.integers(0, 3))
        pool_d = Descriptor(m=d.m, kd=p * p, n=d.n, a_base=conv_d.d_base, a_stride=d.out_w * NT, d_base=pool_base,
                            d_stride=NT, int8=True, op=OP_POOL, in_h=d.out_h, in_w=d.out_w, cin=d.n, tiled=True,
                            kh=p, kw=p, stride_h=p, stride_w=p, out_h=PH, out_w=PW)
        fused = replace(d, d_base=pool_base, d_stride=NT)
        act = np.zeros((max(len(images["act"]), pool_base + d.m * PH * PW * NT + 2), K), np.int64)
        act[: len(images["act"])] = images["act"]
        imgs = {**images, "act": act}
        two = run(cfg, [conv_d, pool_d], imgs)
        one = run(cfg, [fused], imgs)
        assert two.error == one.error == ERR_NONE
        region = pool_base + np.arange(d.m * PH * PW * NT)
        np.testing.assert_array_equal(one.mems["act"][region], two.mems["act"][region])
        # stream rows keyed by (pooled pixel, n-tile): POOL streams per pixel per channel tile
        n_conv = M * NT
        keyed_two = {(q, t): tuple(two.stream[n_conv + q * NT + t]) for q in range(d.m * PH * PW) for t in range(NT)}
        keyed_one, pos = {}, 0
        for b in range(d.m):
            for oh0 in range(0, d.out_h, d.blk_rows):
                for t in range(NT):
                    for ph in range(oh0 // p, min(oh0 + d.blk_rows, PH * p) // p):
                        for pw in range(PW):
                            keyed_one[((b * PH + ph) * PW + pw, t)] = tuple(one.stream[pos])
                            pos += 1
        assert pos == len(one.stream) and keyed_one == keyed_two
        assert one.eof[:, 0].sum() == 1 and one.eof[-1].tolist() == [1, 1]
        c1, cc, cp = one.per_desc[0], two.per_desc[0], two.per_desc[1]
        assert (c1.busy, c1.macs, c1.stalls, c1.cycles) == (cc.busy, cc.macs, cc.stalls, cc.cycles + 1)
        assert c1.rows == cp.rows == d.m * PH * PW * NT


def test_fused_pool_check_can_fail(monkeypatch):
    """The comparison with the reference sees a wrong pooling: the model patched to take the window's
    minimum, or its top-left pixel, fails it."""
    rng = _rng(6)
    for _ in range(50):  # a case whose pooled values vary (not all saturated or 0)
        cfg, d, images, exp, stream, counters = random_conv_case(8, rng, C=3, pool=2)
        if len(np.unique(stream)) > 4:
            break
    _check_run(cfg, [d], images, exp, stream, counters, "fused, unpatched")
    good = model.fused_max_pool

    def top_left(dd, w):
        ph, pw = dd.pooled_hw()
        x = w.reshape(dd.m, dd.out_h, dd.out_w, *w.shape[1:])[:, : ph * dd.pool: dd.pool, : pw * dd.pool: dd.pool]
        return x.reshape(dd.m * ph * pw, *w.shape[1:])

    for wrong in (lambda dd, w: -good(dd, -w), top_left):
        monkeypatch.setattr(model, "fused_max_pool", wrong)
        with pytest.raises(AssertionError):
            _check_run(cfg, [d], images, exp, stream, counters, "fused, patched")


def test_fused_pool_counters_by_hand():
    """The digits' conv (8 images 8x8x1 packed, 3x3 pad 1, n=8, blk_rows 8, K=8, KT=2): CONV alone
    3 + 8 + 8*(8*1 + 1 + 2*64) + 2*8 + 6 = 1129 cycles; fused 2x2 pooling: 1130 cycles, ROWS 8*4*4 = 128
    (CONV + POOL descriptors: 1129 + 3 + 128*4 + 3 = 1647)."""
    cfg = SystolicConfig(K=8)
    d = Descriptor(m=8, kd=9, n=8, a_stride=1, d_base=512, d_stride=1, int8=True, op=OP_CONV, in_h=8, in_w=8,
                   cin=1, kh=3, kw=3, stride_h=1, stride_w=1, pad_t=1, pad_l=1, out_h=8, out_w=8, blk_rows=8)
    assert descriptor_counters(cfg, d) == Counters(cycles=1129, busy=1024, macs=512 * 9 * 8, stalls=0, rows=512)
    f = replace(d, pool=2)
    assert f.out_rows == 128 and f.pooled_hw() == (4, 4)
    assert descriptor_counters(cfg, f) == Counters(cycles=1130, busy=1024, macs=512 * 9 * 8, stalls=0, rows=128)
    f4 = replace(d, pool=4)
    assert descriptor_counters(cfg, f4).rows == 8 * 2 * 2 and descriptor_counters(cfg, f4).cycles == 1130
    p = Descriptor(m=8, kd=4, n=8, a_base=512, a_stride=8, d_base=1100, d_stride=1, int8=True, op=OP_POOL, in_h=8,
                   in_w=8, cin=8, tiled=True, kh=2, kw=2, stride_h=2, stride_w=2, out_h=4, out_w=4)
    assert descriptor_counters(cfg, p).cycles == 3 + 128 * 4 + POOL_DRAIN == 518


def test_conv_references_agree():
    """np.pad reference == nested-loop reference (both written from the contract's sum)."""
    rng = _rng(2)
    for _ in range(20):
        C, kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
        sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        pt, pl = int(rng.integers(0, kh)), int(rng.integers(0, kw))
        x = rng.integers(-128, 128, size=(2, int(rng.integers(1, 8)), int(rng.integers(1, 8)), C))
        w = rng.integers(-128, 128, size=(kh, kw, C, 3))
        oh, ow = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        np.testing.assert_array_equal(ref_conv_pad(x, w, sh, sw, pt, pl, oh, ow),
                                      ref_conv_loops(x, w, sh, sw, pt, pl, oh, ow))


def test_conv_check_can_fail():
    """The comparison sees a wrong lane map: B rows in (c, ky, kx) order instead of (ky, kx, c)."""
    K = 8
    rng = _rng(3)
    x = rng.integers(-128, 128, size=(1, 5, 6, 3))
    w = rng.integers(-128, 128, size=(2, 3, 3, 4))
    cfg = SystolicConfig(K=K)
    descs, images = conv_layout(cfg, x, w, pad=(1, 1), tiled=False)
    d = descs[0]
    good = unpack_rows(run(cfg, descs, images).mems["out"], 0, d.c_stride, d.rows, 4, K)
    want = ref_conv_pad(x, w, 1, 1, 1, 1, d.out_h, d.out_w).reshape(-1, 4)
    np.testing.assert_array_equal(good, want)
    wrong = w.transpose(2, 0, 1, 3).reshape(-1, 4)  # (c, ky, kx) rows
    images["wgt"] = np.zeros_like(images["wgt"])
    put_weights(images["wgt"], 0, wrong, K)
    bad = unpack_rows(run(cfg, descs, images).mems["out"], 0, d.c_stride, d.rows, 4, K)
    assert not np.array_equal(bad, want)


# --------------------------------------------------------------------------
# POOL
# --------------------------------------------------------------------------

def random_pool_case(K: int, rng: np.random.Generator):
    C = int(rng.integers(1, 21))
    CT = cdiv(C, K)
    kh, kw, sh, sw = (int(v) for v in rng.integers(1, 5, size=4))
    out_h, out_w = (int(v) for v in rng.integers(1, 5, size=2))
    H = (out_h - 1) * sh + kh + int(rng.integers(0, 3))
    W = (out_w - 1) * sw + kw + int(rng.integers(0, 3))
    B = int(rng.integers(1, 4))
    M = B * out_h * out_w
    a_base, a_stride = int(rng.integers(0, 5)), W * CT + int(rng.integers(0, 3))
    d_base = a_base + B * H * a_stride + int(rng.integers(0, 3))
    d_stride = CT + int(rng.integers(0, 2))
    x = rng.integers(-128, 128, size=(B, H, W, C))
    if rng.random() < 0.3:
        x = np.where(rng.random(x.shape) < 0.5, -128, x)  # many minima: the max of -128s is -128
    act = rng.integers(-128, 128, size=(d_base + M * d_stride + 3, K))  # junk in pad lanes and gaps
    put_tensor(act, a_base, a_stride, x, K, True)
    d = Descriptor(m=B, kd=kh * kw, n=C, a_base=a_base, a_stride=a_stride, d_base=d_base, d_stride=d_stride,
                   int8=True, op=OP_POOL, in_h=H, in_w=W, cin=C, tiled=True, kh=kh, kw=kw, stride_h=sh,
                   stride_w=sw, out_h=out_h, out_w=out_w)
    vals = ref_pool(x, kh, kw, sh, sw, out_h, out_w).reshape(M, C)
    words = rows_words(vals, K, CT)
    exp = {"act": act.copy()}
    rows = []
    for q in range(M):  # per pixel, per channel tile
        for t in range(CT):
            exp["act"][d_base + q * d_stride + t] = words[q, t]
            rows.append(words[q, t])
    busy = M * CT * kh * kw
    counters = dict(cycles=3 + busy + 3, busy=busy, stalls=0, macs=0, rows=M * CT)
    return d, {"act": act}, exp, np.array(rows), counters


@pytest.mark.parametrize("K", [2, 4, 8, 16])
def test_pool_random_against_reference(K):
    rng = _rng(4, K)
    cfg = SystolicConfig.for_array(K)
    for i in range(12):
        d, images, exp, stream, counters = random_pool_case(K, rng)
        assert d.check(cfg) == ERR_NONE, (i, d.describe(), d.geometry_error(cfg))
        _check_run(cfg, [d], images, exp, stream, counters, f"seed {SEED} K={K} pool case {i}: {d.describe()}")


# --------------------------------------------------------------------------
# counters by hand (the contract's formulas with concrete numbers)
# --------------------------------------------------------------------------

def test_counters_digits_conv_by_hand():
    """K=8, one 8x8x1 packed image, 3x3, pad 1, stride 1, n=8, blk_rows=8: P=1, RW=ceil(8*1/8)=1,
    kd=9 -> KT=2, NT=1; one block R=8, Mb=64, P_b=64; S=7*1+3=10 window rows, ih=-1..8, V=8.
    CYCLES = 3 + K + (V*RW + 1 + NT*KT*P_b) + 2K + 6 - (P_b - Mb) = 3 + 8 + (8 + 1 + 128) + 22 - 0 = 170."""
    cfg = SystolicConfig(K=8)
    d = Descriptor(m=1, kd=9, n=8, a_stride=1, c_stride=1, op=OP_CONV, in_h=8, in_w=8, cin=1, tiled=False, kh=3,
                   kw=3, stride_h=1, stride_w=1, pad_t=1, pad_l=1, out_h=8, out_w=8, blk_rows=8)
    assert d.check(cfg) == ERR_NONE
    assert conv_blocks(cfg, d) == [(0, 0, 8, 8)]
    assert descriptor_counters(cfg, d) == Counters(cycles=170, busy=128, macs=64 * 9 * 8, stalls=0, rows=64)


def test_counters_two_images_two_blocks_by_hand():
    """K=4, 2 images 5x6x3 channel-tiled (P=4, RW=ceil(6*4/4)=6), 3x3, stride 2, pad 1/1,
    out 3x3, n=5 (NT=2), kd=27 (KT=7), blk_rows=2.
    Block oh0=0: R=2, Mb=6, P_b=6, S=(2-1)*2+3=5, ih=-1..3 -> V=4: LOAD 4*6+1=25, RUN 2*7*6=84.
    Block oh0=2: R=1, Mb=3, P_b=4, S=3, ih=3..5 -> V=2: LOAD 2*6+1=13, RUN 2*7*4=56, stalls 2*7*1=14.
    Per image 25+84+13+56 = 178.  CYCLES = 3 + 4 + 2*178 + (2*4+6) - (4-3) = 376.
    BUSY = 2*(84+56) = 280, STALLS = 2*14 = 28, M = 2*9 = 18, MACS = 18*27*5 = 2430, ROWS = 18*2 = 36."""
    cfg = SystolicConfig(K=4)
    d = Descriptor(m=2, kd=27, n=5, a_stride=6, c_stride=2, op=OP_CONV, in_h=5, in_w=6, cin=3, tiled=True, kh=3,
                   kw=3, stride_h=2, stride_w=2, pad_t=1, pad_l=1, out_h=3, out_w=3, blk_rows=2)
    assert d.check(cfg) == ERR_NONE
    assert (d.rows, d.pitch(4), d.row_words(4), d.kt(4), d.nt(4)) == (18, 4, 6, 7, 2)
    assert conv_blocks(cfg, d) == [(0, 0, 2, 4), (0, 2, 1, 2), (1, 0, 2, 4), (1, 2, 1, 2)]
    assert descriptor_counters(cfg, d) == Counters(cycles=376, busy=280, macs=2430, stalls=28, rows=36)
    assert conv_counters_ref(4, 2, 5, 6, 4, 3, 2, 1, 3, 3, 2, 27, 5) == dict(cycles=376, busy=280, stalls=28,
                                                                               macs=2430, rows=36)


def test_counters_pool_by_hand_and_in_a_run():
    """POOL K=8, one 4x4x12 image (CT=2), 2x2 stride 2 -> out 2x2, M=4:
    CYCLES = 3 + M*CT*kh*kw + POOL_DRAIN = 3 + 4*2*4 + 3 = 38, BUSY 32, ROWS 8.
    A run of [the digits CONV, this POOL] counts 170 + 38 = 208 cycles."""
    assert POOL_DRAIN == 3
    cfg = SystolicConfig(K=8)
    p = Descriptor(m=1, kd=4, n=12, a_base=100, a_stride=8, d_base=200, d_stride=2, int8=True, op=OP_POOL, in_h=4,
                   in_w=4, cin=12, tiled=True, kh=2, kw=2, stride_h=2, stride_w=2, out_h=2, out_w=2)
    assert p.check(cfg) == ERR_NONE and p.nt(8) == 2
    assert descriptor_counters(cfg, p) == Counters(cycles=38, busy=32, macs=0, stalls=0, rows=8)
    c = Descriptor(m=1, kd=9, n=8, a_stride=1, c_stride=1, op=OP_CONV, in_h=8, in_w=8, cin=1, kh=3, kw=3,
                   stride_h=1, stride_w=1, pad_t=1, pad_l=1, out_h=8, out_w=8, blk_rows=8)
    res = run(cfg, [c, p], {})
    assert res.counters == Counters(cycles=208, busy=160, macs=4608, stalls=0, rows=72)
    assert [x.cycles for x in res.per_desc] == [170, 38]
    assert np.flatnonzero(res.eof[:, 0]).tolist() == [63, 71] and np.flatnonzero(res.eof[:, 1]).tolist() == [71]


def test_counters_small_blocks_stall_and_gemm_unchanged():
    """K=8, one 3x3x1 image, 1x1 kernel, out 3x3, blk_rows=1, n=1: three blocks of Mb=3 pixels, P_b=8,
    V=1, RW=1 (packed, 3 bytes): per block LOAD 2 + RUN 8 (5 stall cycles).
    CYCLES = 3 + 8 + 3*(2 + 8) + 22 - (8-3) = 58, BUSY 24, STALLS 15, MACS 9, ROWS 9."""
    cfg = SystolicConfig(K=8)
    d = Descriptor(m=1, kd=1, n=1, a_stride=1, c_stride=1, op=OP_CONV, in_h=3, in_w=3, cin=1, kh=1, kw=1,
                   stride_h=1, stride_w=1, out_h=3, out_w=3, blk_rows=1)
    assert descriptor_counters(cfg, d) == Counters(cycles=58, busy=24, macs=9, stalls=15, rows=9)
    # the same numbers as a GEMM of M=3 rows per block, plus LOAD and PREP
    g = descriptor_counters(cfg, Descriptor(m=3, kd=1, n=1))
    assert g == Counters(cycles=3 + 8 + 22 - 5, busy=8, macs=3, stalls=5, rows=3)


# --------------------------------------------------------------------------
# a small network chained on chip: CONV (packed input) -> POOL -> CONV (tiled) -> flatten GEMM
# --------------------------------------------------------------------------

def test_chained_conv_pool_conv_linear():
    K = 8
    rng = _rng(5)
    cfg = SystolicConfig(K=K)
    B = 2
    x = rng.integers(-128, 128, size=(B, 8, 8, 1))
    w1 = rng.integers(-128, 128, size=(3, 3, 1, 4))
    b1 = rng.integers(-3000, 3000, size=4)
    m1, s1 = rng.integers(1 << 14, 1 << 16, size=4), np.full(4, 22)
    w2 = rng.integers(-128, 128, size=(3, 3, 4, 10))
    b2 = rng.integers(-3000, 3000, size=10)
    m2, s2 = rng.integers(1 << 14, 1 << 16, size=10), np.full(10, 22)
    wl = rng.integers(-128, 128, size=(4 * 4 * 10, 5))  # PyTorch's flatten order (c, h, w)
    bl = rng.integers(-3000, 3000, size=5)

    act = np.zeros((2048, K), np.int64)
    put_tensor(act, 0, 1, x, K, tiled=False)  # 8x8x1 packed: one word a row
    wgt = np.zeros((2048, K), np.int64)
    bias = np.zeros((16, K), np.int64)
    quant = np.zeros((16, K), np.int64)
    put_weights(wgt, 0, w1.reshape(9, 4), K)  # KT=2, NT=1: 16 words
    put_weights(wgt, 16, w2.reshape(36, 10), K)  # KT=5, NT=2: 80 words
    # the Linear layer reads image b as one row of H*W*CT = 4*4*2 words: k = (h*4 + w)*16 + c, c < 10
    lin = np.zeros((4 * 4 * 16, 5), np.int64)
    for c in range(10):
        for h in range(4):
            for w in range(4):
                lin[(h * 4 + w) * 16 + c] = wl[(c * 4 + h) * 4 + w]
    put_weights(wgt, 96, lin, K)
    put_columns(bias, 0, b1, K)
    put_columns(quant, 0, m1 | (s1 << 24), K)
    put_columns(bias, 1, b2, K)
    put_columns(quant, 1, m2 | (s2 << 24), K)
    put_columns(bias, 3, bl, K)
    conv1 = Descriptor(m=B, kd=9, n=4, a_base=0, a_stride=1, b_base=0, bq_base=0, d_base=100, d_stride=1, bias=True,
                       relu=True, int8=True, op=OP_CONV, in_h=8, in_w=8, cin=1, kh=3, kw=3, stride_h=1, stride_w=1,
                       pad_t=1, pad_l=1, out_h=8, out_w=8, blk_rows=5)
    pool = Descriptor(m=B, kd=4, n=4, a_base=100, a_stride=8, d_base=300, d_stride=1, int8=True, op=OP_POOL,
                      in_h=8, in_w=8, cin=4, tiled=True, kh=2, kw=2, stride_h=2, stride_w=2, out_h=4, out_w=4)
    conv2 = Descriptor(m=B, kd=36, n=10, a_base=300, a_stride=4, b_base=16, bq_base=1, d_base=400, d_stride=2,
                       bias=True, relu=True, int8=True, op=OP_CONV, in_h=4, in_w=4, cin=4, tiled=True, kh=3, kw=3,
                       stride_h=1, stride_w=1, pad_t=1, pad_l=1, out_h=4, out_w=4, blk_rows=3)
    linear = Descriptor(m=B, kd=256, n=5, a_base=400, a_stride=32, b_base=96, bq_base=3, c_base=0, c_stride=1,
                        bias=True)
    descs = [conv1, pool, conv2, linear]
    for d in descs:
        d.validate(cfg)
    res = run(cfg, descs, {"act": act, "wgt": wgt, "bias": bias, "quant": quant})

    y1 = ref_epilogue(ref_conv_pad(x, w1, 1, 1, 1, 1, 8, 8).reshape(-1, 4), bias=b1, relu=True,
                      quant=(m1, s1)).reshape(B, 8, 8, 4)
    y2 = ref_pool(y1, 2, 2, 2, 2, 4, 4)
    y3 = ref_epilogue(ref_conv_pad(y2, w2, 1, 1, 1, 1, 4, 4).reshape(-1, 10), bias=b2, relu=True,
                      quant=(m2, s2)).reshape(B, 4, 4, 10)
    y4 = ref_wrap32(y3.transpose(0, 3, 1, 2).reshape(B, -1) @ wl + bl)  # PyTorch: flatten (c, h, w)
    np.testing.assert_array_equal(unpack_tensor(res.mems["act"], 100, 8, (B, 8, 8, 4), K), y1)
    np.testing.assert_array_equal(unpack_tensor(res.mems["act"], 300, 4, (B, 4, 4, 4), K), y2)
    np.testing.assert_array_equal(unpack_tensor(res.mems["act"], 400, 8, (B, 4, 4, 10), K), y3)
    np.testing.assert_array_equal(unpack_rows(res.mems["out"], 0, 1, B, 5, K), y4)
    assert res.error == ERR_NONE and np.flatnonzero(res.eof[:, 1]).tolist() == [len(res.stream) - 1]
    assert len(res.stream) == B * 64 + B * 16 + B * 16 * 2 + B == res.counters.rows


# --------------------------------------------------------------------------
# layouts and builders
# --------------------------------------------------------------------------

@pytest.mark.parametrize("K", [2, 4, 8, 16])
def test_pack_tensor_matches_the_contract_layout(K):
    rng = _rng(6, K)
    for tiled in (False, True):
        x = rng.integers(-128, 128, size=(2, 3, 5, int(rng.integers(1, 20))))
        P = cdiv(x.shape[3], K) * K if tiled else x.shape[3]
        words, stride = pack_tensor(x, K, tiled, a_stride=cdiv(5 * P, K) + 1)
        want = np.zeros_like(words)
        put_tensor(want, 0, stride, x, K, tiled)
        np.testing.assert_array_equal(words, want)
        np.testing.assert_array_equal(unpack_tensor(words, 0, stride, x.shape, K, tiled), x)


def test_conv_and_pool_layout_builders():
    rng = _rng(7)
    cfg = SystolicConfig(K=4)
    x = rng.integers(-128, 128, size=(2, 7, 9, 5))
    w = rng.integers(-128, 128, size=(3, 2, 5, 6))
    bias = rng.integers(-1000, 1000, size=6)
    descs, images = conv_layout(cfg, x, w, stride=(2, 1), pad=(1, 0), bias=bias, relu=True, tiled=True)
    d = descs[0]
    assert (d.out_h, d.out_w) == ((7 + 2 - 3) // 2 + 1, (9 - 2) // 1 + 1) and d.blk_rows == d.out_h
    res = run(cfg, descs, images)
    want = np.maximum(ref_wrap32(ref_conv_pad(x, w, 2, 1, 1, 0, d.out_h, d.out_w).reshape(-1, 6) + bias), 0)
    np.testing.assert_array_equal(unpack_rows(res.mems["out"], 0, d.c_stride, d.rows, 6, 4), want)
    pdescs, pimages = pool_layout(cfg, x, (3, 2), (2, 2))
    p = pdescs[0]
    res = run(cfg, pdescs, pimages)
    np.testing.assert_array_equal(unpack_tensor(res.mems["act"], p.d_base, p.out_w * p.d_stride,
                                                (2, p.out_h, p.out_w, 5), 4), ref_pool(x, 3, 2, 2, 2, 3, 4))
    ext = extents(cfg, pdescs, pimages)
    assert ext["act"] == len(pimages["act"]) and ext["wgt"] == ext["bias"] == ext["out"] == 0


def test_written_words_cover_conv_and_pool_outputs():
    cfg = SystolicConfig(K=4)
    rng = _rng(8)
    x = rng.integers(-128, 128, size=(2, 5, 5, 3))
    descs, images = conv_layout(cfg, x, rng.integers(-128, 128, size=(3, 3, 3, 6)), pad=(1, 1),
                                mult=np.full(6, 1 << 10), shift=np.full(6, 16))
    pdescs, pimages = pool_layout(cfg, x, (2, 2))
    for ds, im in ((descs, images), (pdescs, pimages)):
        d = ds[0]
        ww = written_words(4, ds)
        want = sorted(d.d_base + q * d.d_stride + t for q in range(d.rows) for t in range(cdiv(d.n, 4)))
        assert sorted(ww["act"].tolist()) == want and ww["out"].size == 0
        res = run(cfg, ds, dict(im.items()))
        before = np.zeros_like(res.mems["act"])
        before[: len(im["act"])] = im["act"]
        changed = np.flatnonzero((res.mems["act"] != before).any(axis=1))
        assert set(changed.tolist()) <= set(want)


# --------------------------------------------------------------------------
# descriptor fields, encoding, CHECK
# --------------------------------------------------------------------------

def _conv(**kw) -> Descriptor:
    """A legal CONV on CFG below: 2 images 6x8x3 packed, 3x3, pad 1, out 6x8, blk_rows 2, n=9 (NT=2 at K=8),
    int8 with ACC and BIAS so every range check applies."""
    f = dict(m=2, kd=27, n=9, a_base=0, a_stride=3, b_base=0, bq_base=0, c_base=0, c_stride=2, d_base=1000,
             d_stride=2, acc=True, bias=True, int8=True, op=OP_CONV, in_h=6, in_w=8, cin=3, tiled=False, kh=3, kw=3,
             stride_h=1, stride_w=1, pad_t=1, pad_l=1, out_h=6, out_w=8, blk_rows=2)
    f.update(kw)
    return Descriptor(**f)


def _pool(**kw) -> Descriptor:
    """A legal POOL on CFG: 2 images 6x6x12 (CT=2), 2x2 stride 2 -> 3x3."""
    f = dict(m=2, kd=4, n=12, a_base=0, a_stride=12, d_base=1000, d_stride=2, int8=True, op=OP_POOL, in_h=6,
             in_w=6, cin=12, tiled=True, kh=2, kw=2, stride_h=2, stride_w=2, out_h=3, out_w=3)
    f.update(kw)
    return Descriptor(**f)


CFG = SystolicConfig(K=8, ACT_DEPTH=4096, WGT_DEPTH=4096, OUT_DEPTH=4096, ACC_DEPTH=16, WIN_ROWS=8, WIN_BYTES=64)


def test_legal_bases():
    assert _conv().check(CFG) == ERR_NONE and _pool().check(CFG) == ERR_NONE
    assert _conv().rows == 96 and _pool().rows == 18 and _pool().nt(8) == 2


GEOM_CONV_FAIL = [
    *[dict(**{f: 0}) for f in ("in_h", "in_w", "cin", "kh", "kw", "stride_h", "stride_w", "out_h", "out_w",
                                "blk_rows")],
    dict(pad_t=3), dict(pad_l=3), dict(pad_t=4, kh=3),
    dict(kd=26), dict(kd=28),
    dict(blk_rows=7, out_h=6),
    dict(in_w=22, a_stride=9),  # packed: 22*3 = 66 bytes > WIN_BYTES=64
    dict(tiled=True, in_w=9, a_stride=9),  # channel-tiled: P=8, 72 bytes > 64 (packed 27 would fit)
    dict(blk_rows=2, stride_h=4, kh=3, kd=27, pad_t=0),  # (2-1)*4 + 3 = 7 rows: legal ...
    dict(blk_rows=2, stride_h=6, kh=3, pad_t=0),  # ... (2-1)*6 + 3 = 9 > WIN_ROWS=8
    dict(a_stride=2),  # RW = ceil(8*3/8) = 3
]
GEOM_CONV_PASS = [
    dict(pad_t=2, pad_l=2),  # < kernel
    dict(blk_rows=6, out_w=2),  # blk_rows == out_h, 6*2 = 12 <= ACC_DEPTH
    dict(in_w=21, a_stride=8),  # 63 bytes
    dict(tiled=True, in_w=8, a_stride=8),  # 64 bytes == WIN_BYTES
    dict(blk_rows=2, stride_h=5, kh=3, pad_t=0),  # (2-1)*5 + 3 = 8 == WIN_ROWS
    dict(out_h=40, out_w=1, blk_rows=6),  # outputs beyond the input (implicit bottom padding) are legal
    dict(stride_h=7, stride_w=7, blk_rows=1),
]


@pytest.mark.parametrize("kw", GEOM_CONV_FAIL[:-3] + GEOM_CONV_FAIL[-2:])
def test_conv_geom_rules(kw):
    d = _conv(**kw)
    assert d.check(CFG) == ERR_GEOM, (kw, d.geometry_error(CFG))
    with pytest.raises(AccelscopeError, match=r"error 9 \(CONV/POOL geometry.*: "):
        d.validate(CFG)


@pytest.mark.parametrize("kw", GEOM_CONV_PASS + [GEOM_CONV_FAIL[-3]])
def test_conv_geom_boundaries_pass(kw):
    d = _conv(**kw)
    assert d.check(CFG) == ERR_NONE, (kw, d.geometry_error(CFG))


GEOM_POOL_FAIL = [
    *[dict(**{f: 0}) for f in ("in_h", "in_w", "cin", "kh", "kw", "stride_h", "stride_w", "out_h", "out_w")],
    dict(kh=5, kd=10, in_h=9), dict(kw=5, kd=10, in_w=9, a_stride=18), dict(stride_h=5, out_h=2),
    dict(stride_w=5, out_w=2),
    dict(pad_t=1), dict(pad_l=1), dict(blk_rows=1), dict(tiled=False),
    dict(kd=5), dict(n=11), dict(out_h=4), dict(out_w=4), dict(in_h=5), dict(a_stride=11),
]


@pytest.mark.parametrize("kw", GEOM_POOL_FAIL)
def test_pool_geom_rules(kw):
    d = _pool(**kw)
    assert d.check(CFG) == ERR_GEOM, (kw, d.geometry_error(CFG))


@pytest.mark.parametrize("kw", [dict(kh=4, kw=4, kd=16, stride_h=4, stride_w=4, in_h=12, in_w=12, a_stride=24),
                                dict(in_h=7, in_w=7, a_stride=14), dict(out_h=1, out_w=1), dict(a_stride=20)])
def test_pool_geom_boundaries_pass(kw):
    assert _pool(**kw).check(CFG) == ERR_NONE


@pytest.mark.parametrize("kw", [dict(acc=True), dict(bias=True), dict(relu=True), dict(int8=False),
                                dict(op=3), dict(reserved_flags=0x400)])
def test_pool_flags(kw):
    assert _pool(**kw).check(CFG) == ERR_FLAGS


def test_acc_depth_and_a_range_of_conv_and_pool():
    # CONV: ACC_DEPTH is blk_rows*out_w (16 here), not M = 96
    assert _conv(blk_rows=2, out_w=8).check(CFG) == ERR_NONE
    assert _conv(blk_rows=3, out_w=8).check(CFG) == ERR_ACC_DEPTH
    assert _conv(blk_rows=1, out_w=17, d_stride=2).check(CFG) == ERR_ACC_DEPTH
    # POOL has no ACC_DEPTH: M = 2*7*7 = 98 rows > 16
    assert _pool(in_h=14, in_w=14, a_stride=28, out_h=7, out_w=7).check(CFG) == ERR_NONE
    # A_RANGE: a_base + m*in_h*a_stride - 1 >= ACT_DEPTH (2*6*3 = 36 words, 2*6*12 = 144 words)
    assert _conv(a_base=4096 - 36, d_base=0).check(CFG) == ERR_NONE
    assert _conv(a_base=4096 - 35, d_base=0).check(CFG) == ERR_A_RANGE
    assert _pool(a_base=4096 - 144, d_base=0).check(CFG) == ERR_NONE
    assert _pool(a_base=4096 - 143, d_base=0).check(CFG) == ERR_A_RANGE
    # D_RANGE of POOL uses NT = CT: last word d_base + (18-1)*2 + 1
    assert _pool(d_base=4096 - 36).check(CFG) == ERR_NONE
    assert _pool(d_base=4096 - 35).check(CFG) == ERR_D_RANGE
    # POOL ignores b_base, c_base, bq_base (no B, C or BQ checks)
    assert _pool(b_base=4095, c_base=4095, c_stride=9, bq_base=65535).check(CFG) == ERR_NONE
    # CONV: B, C, D, BQ as a GEMM with M = 96 rows, NT = 2, KT = 4
    assert _conv(b_base=4096 - 64).check(CFG) == ERR_NONE and _conv(b_base=4096 - 63).check(CFG) == ERR_B_RANGE
    assert _conv(c_base=4096 - 192).check(CFG) == ERR_NONE and _conv(c_base=4096 - 191).check(CFG) == ERR_C_RANGE
    assert _conv(d_base=4096 - 192).check(CFG) == ERR_NONE and _conv(d_base=4096 - 191).check(CFG) == ERR_D_RANGE
    assert _conv(bq_base=254).check(CFG) == ERR_NONE and _conv(bq_base=255).check(CFG) == ERR_BQ_RANGE


# each check's violation, independent of the others, on the _conv base
VIOLATE_CONV = {
    ERR_SHAPE: dict(m=0),
    ERR_FLAGS: dict(reserved_flags=0x400),
    ERR_GEOM: dict(pad_t=3),
    ERR_ACC_DEPTH: dict(blk_rows=3),
    ERR_A_RANGE: dict(a_base=4095),
    ERR_B_RANGE: dict(b_base=4095),
    ERR_C_RANGE: dict(c_base=4095),
    ERR_D_RANGE: dict(d_base=4095),
    ERR_BQ_RANGE: dict(bq_base=255),
}
VIOLATE_POOL = {ERR_SHAPE: dict(n=0), ERR_FLAGS: dict(relu=True), ERR_GEOM: dict(blk_rows=1),
                ERR_A_RANGE: dict(a_base=4095), ERR_D_RANGE: dict(d_base=4095)}


FUSED_GEOM_FAIL = [dict(pool=1), dict(pool=5), dict(pool=6), dict(pool=7), dict(int8=False), dict(blk_rows=1),
                   dict(pool=3), dict(pool=4, blk_rows=2), dict(out_w=1, blk_rows=2), dict(out_h=1, blk_rows=1)]


@pytest.mark.parametrize("kw", FUSED_GEOM_FAIL)
def test_fused_pool_geom_rules(kw):
    """pool in {2, 3, 4} on an INT8 CONV, blk_rows a multiple of pool, out_h and out_w >= pool (base:
    _conv with pool 2, blk_rows 2)."""
    assert _conv(pool=2).check(CFG) == ERR_NONE
    d = _conv(**{"pool": 2, **kw})
    assert d.check(CFG) == ERR_GEOM, (kw, d.geometry_error(CFG))
    assert "pool" in d.geometry_error(CFG) or "blk_rows" in d.geometry_error(CFG)


def test_fused_pool_field_on_other_ops_and_check_order():
    assert Descriptor(m=1, kd=1, n=1, pool=2).check(CFG) == ERR_GEOM  # GEMM
    assert _pool(pool=2).check(CFG) == ERR_GEOM and _pool(pool=2, relu=True).check(CFG) == ERR_FLAGS
    assert _conv(pool=5, m=0).check(CFG) == ERR_SHAPE and _conv(pool=5, op=3).check(CFG) == ERR_FLAGS
    assert _conv(pool=5, reserved_flags=1 << 10).check(CFG) == ERR_FLAGS
    assert _conv(pool=5, blk_rows=3).check(CFG) == ERR_GEOM  # GEOM before ACC_DEPTH
    assert _conv(pool=2, blk_rows=4, out_w=8).check(CFG) == ERR_ACC_DEPTH  # 4*8 > 16
    # D_RANGE counts the pooled rows: 2 images * 3 * 4 = 24 rows, d_stride 2, NT 2: last d_base + 47
    f = _conv(pool=2)
    assert f.out_rows == 24 and f.pooled_hw() == (3, 4)
    assert replace(f, d_base=4096 - 48).check(CFG) == ERR_NONE
    assert replace(f, d_base=4096 - 47).check(CFG) == ERR_D_RANGE
    assert replace(f, pool=0, d_base=4096 - 48).check(CFG) == ERR_D_RANGE  # 96 conv rows
    # C_RANGE (ACC) still counts the conv rows
    assert replace(f, c_base=4096 - 192).check(CFG) == ERR_NONE
    assert replace(f, c_base=4096 - 191).check(CFG) == ERR_C_RANGE


def test_fused_pool_encoding():
    """pool[56:54]: bits 22..24 of word 1; out8[57] and flags_rsvd above it; round trip."""
    f = _conv(pool=3, blk_rows=3, out_h=6)
    w = f.encode()
    assert (w[1] >> 22) & 7 == 3 and w[1] >> 25 == 0
    assert Descriptor.decode(w) == f
    assert regs.ENTRIES["DESC"]["pool"] == (54, 3) and regs.ENTRIES["DESC"]["flags_rsvd"] == (58, 6)
    with pytest.raises(AccelscopeError, match="reserved flag bits"):
        Descriptor.decode([w[0], w[1] | 1 << 26, *w[2:]])
    g = Descriptor.decode([1 | 1 << 16, 1 | 7 << 22, 0, 0, 0, 0, 0, 0])  # a GEMM with pool=7 decodes (GEOM)
    assert g.pool == 7 and g.check(CFG) == ERR_GEOM


def test_check_order():
    assert CHECK_ORDER == (1, 2, 9, 3, 4, 5, 6, 7, 8)
    for table, make in ((VIOLATE_CONV, _conv), (VIOLATE_POOL, _pool)):
        codes = [c for c in CHECK_ORDER if c in table]
        for c in codes:
            assert make(**table[c]).check(CFG) == c, (make.__name__, c)
        for i, j in itertools.combinations(codes, 2):  # the earlier check in CHECK_ORDER wins
            assert make(**table[i], **table[j]).check(CFG) == i, (make.__name__, i, j)
    # op=3 is FLAGS (after SHAPE, before GEOM), whatever its geometry
    assert _conv(op=3).check(CFG) == ERR_FLAGS and _conv(op=3, m=0).check(CFG) == ERR_SHAPE
    assert _conv(op=3, pad_t=5).check(CFG) == ERR_FLAGS


def test_failing_conv_stops_the_run_after_three_cycles():
    cfg = SystolicConfig(K=8)
    ok = Descriptor(m=1, kd=9, n=8, a_stride=1, c_stride=1, op=OP_CONV, in_h=8, in_w=8, cin=1, kh=3, kw=3,
                    stride_h=1, stride_w=1, pad_t=1, pad_l=1, out_h=8, out_w=8, blk_rows=8)
    bad = replace(ok, blk_rows=9)
    res = run(cfg, [ok, bad, ok], {})
    assert (res.error, res.err_desc, res.counters.cycles) == (ERR_GEOM, 1, 170 + 3)
    assert len(res.stream) == 64 and res.eof[:, 1].sum() == 0


def test_descriptor_round_trip_every_field():
    rng = _rng(9)
    D = regs.ENTRIES["DESC"]
    for _ in range(300):
        op = int(rng.integers(0, 4))
        f = {k: int(rng.integers(0, 1 << D[k][1])) for k in ("m", "kd", "n", "a_base", "a_stride", "b_base",
                                                              "bq_base", "c_base", "c_stride", "d_base", "d_stride")}
        f.update({k: bool(rng.integers(0, 2)) for k in ("acc", "bias", "relu", "int8", "out8")})
        if op != OP_GEMM:
            f.update({g: int(rng.integers(0, 1 << D[g][1])) for g in GEOMETRY if g != "tiled"})
            f["tiled"] = bool(rng.integers(0, 2))
        d = Descriptor(op=op, **f)
        assert Descriptor.decode(d.encode()) == d
    # every field at its maximum lands in exactly its bits of the 256-bit word
    for name, (lsb, width) in D.items():
        if name == "flags_rsvd":
            continue
        top = (1 << width) - 1
        val = bool(top) if name in ("acc", "bias", "relu", "int8", "out8", "tiled") else top
        kw = {"m": 0, "kd": 0, "n": 0, name: val}
        if name in GEOMETRY:
            kw["op"] = OP_CONV
        d = Descriptor(**kw)
        word = sum(w << 32 * i for i, w in enumerate(d.encode()))
        want = top << lsb | (OP_CONV << D["op"][0] if name in GEOMETRY else 0)
        assert word == want, name
        assert Descriptor.decode(d.encode()) == d
    # geometry positions from systolic.rdl, written out: word 6 in_h[7:0] in_w[15:8] cin[23:16] tiled[24] ...
    d = _conv(in_h=0xAB, in_w=0xCD, cin=0x5E, tiled=True, kh=7, kw=5, stride_h=3, stride_w=6, pad_t=2, pad_l=4,
              out_h=0x9A, out_w=0x7B, blk_rows=0x15)
    w6, w7 = d.encode()[6:]
    assert w6 & 0xFFFFFF == 0x5ECDAB and (w6 >> 24) & 1 == 1 and (w6 >> 25) & 7 == 7 and (w6 >> 28) & 7 == 5
    assert (w6 >> 31) | ((w7 & 3) << 1) == 3 and (w7 >> 2) & 7 == 6 and (w7 >> 5) & 7 == 2 and (w7 >> 8) & 7 == 4
    assert (w7 >> 11) & 0xFF == 0x9A and (w7 >> 19) & 0xFF == 0x7B and w7 >> 27 == 0x15
    assert (d.encode()[1] >> 20) & 3 == OP_CONV


def test_decode_rejects_geometry_on_gemm_only():
    geom_words = [1 | 1 << 16, 1, 0, 0, 0, 0, 1 << 24, 0]  # m=n=kd=1, tiled=1 on a GEMM
    with pytest.raises(AccelscopeError, match=r"geometry fields .* GEMM.*tiled=1"):
        Descriptor.decode(geom_words, "cmd.hex line 2")
    conv = list(geom_words)
    conv[1] |= OP_CONV << 20
    assert Descriptor.decode(conv).tiled and Descriptor.decode(conv).op == OP_CONV
    op3 = [1 | 1 << 16, 1 | 3 << 20, 0, 0, 0, 0, 0, 5 << 27]
    d = Descriptor.decode(op3)  # op=3 decodes; the hardware reports FLAGS
    assert d.op == 3 and d.blk_rows == 5 and d.check(SystolicConfig()) == ERR_FLAGS
    with pytest.raises(AccelscopeError, match="reserved flag bits"):
        Descriptor.decode([1 | 1 << 16, 1 | 1 << 26, 0, 0, 0, 0, 0, 0])
    with pytest.raises(AccelscopeError, match="GEMM descriptor has no geometry"):
        Descriptor(m=1, kd=1, n=1, kh=3)
    with pytest.raises(AccelscopeError, match="field kh=8"):
        Descriptor(m=1, kd=1, n=1, op=OP_CONV, kh=8)
    with pytest.raises(AccelscopeError, match="field op=4"):
        Descriptor(m=1, kd=1, n=1, op=4)
    with pytest.raises(AccelscopeError, match="flag tiled"):
        Descriptor(m=1, kd=1, n=1, op=OP_CONV, tiled=1)


def test_model_rejects_conv_and_pool_hazards():
    cfg = SystolicConfig(K=8)
    # int8 destination over the input tensor (rows 0..1 of image 1, a_stride 3 -> words 18..35)
    with pytest.raises(AccelscopeError, match="overlaps its own input tensor"):
        run(cfg, [_conv(acc=False, bias=False, d_base=30)], {})
    with pytest.raises(AccelscopeError, match="overlaps its own input tensor"):
        run(cfg, [_pool(d_base=100)], {})
    # the packed row's unused stride words are not part of the tensor
    d = _conv(acc=False, bias=False, a_stride=4, in_h=1, out_h=1, blk_rows=1, m=1, d_base=3)
    run(cfg, [d], {})
    with pytest.raises(AccelscopeError, match="destination rows overlap"):
        run(cfg, [_conv(acc=False, d_stride=1)], {})
    with pytest.raises(AccelscopeError, match="destination rows overlap"):
        run(cfg, [_pool(d_stride=1)], {})


# --------------------------------------------------------------------------
# configuration: WIN_ROWS, WIN_BYTES
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text,msg", [
    ("WIN_ROWS=12", "WIN_ROWS=12 must be a power of 2 in 2..64"),
    ("WIN_ROWS=1", "WIN_ROWS=1 must be"), ("WIN_ROWS=128", "WIN_ROWS=128 must be"),
    ("WIN_BYTES=96", "WIN_BYTES=96 must be a power of 2"), ("WIN_BYTES=2048", "WIN_BYTES=2048 must be"),
    ("K=16,WIN_BYTES=8", "WIN_BYTES=8 must be a power of 2 in K=16"),
])
def test_window_parameters_validated(text, msg):
    with pytest.raises(AccelscopeError, match=msg):
        SystolicConfig.parse(text)


def test_window_parameters_flow_everywhere():
    cfg = SystolicConfig.parse("K=4,WIN_ROWS=32,WIN_BYTES=1024")
    assert (cfg.WIN_ROWS, cfg.WIN_BYTES, cfg.win_words) == (32, 1024, 32 * 256)
    assert cfg.params()["WIN_ROWS"] == 32 and cfg.params()["WIN_BYTES"] == 1024
    assert "WIN_ROWS32_WIN_BYTES1024" in cfg.tag()
    assert SystolicConfig(**cfg.params()) == cfg
    d = SystolicConfig()
    assert (d.WIN_ROWS, d.WIN_BYTES) == (16, 128)
    assert (SystolicConfig.for_array(2).WIN_ROWS, SystolicConfig.for_array(32).WIN_BYTES) == (16, 128)
    top = TopConfig(sys=cfg)
    assert top.params()["WIN_ROWS"] == 32 and top.params()["WIN_BYTES"] == 1024
    assert TopConfig.from_hardware(top.hardware()) == top
    # PARAMS2: WIN_ROWS[7:0], LOG2_WIN_BYTES[15:8]
    assert R.REG_PARAMS2 == 0x2C and R.params2(cfg) == 32 | 10 << 8 and R.params2(d) == 16 | 7 << 8
