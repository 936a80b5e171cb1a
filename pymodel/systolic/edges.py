"""Descriptors exactly on a CHECK limit and one past it (docs/verification.md, "Testplan"): every
depth check and every geometry limit has a job that ends exactly on the last legal word (it runs,
bit-exact against the model, touching that word) and one that ends one word past it (CHECK stops
there with that error), and the descriptor list can end on the command memory's last slot.

`edges(cfg, d)` says which limits a descriptor sits on (what the coverage model samples, whatever
generated it); `edge_job` makes a job on a chosen limit and side.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.systolic import regmap as R
from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.convjob import conv, pool, put_tensor, random_conv, random_pool
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
    OP_CONV,
    OP_POOL,
    POOL_MAX,
    Descriptor,
)
from pymodel.systolic.layout import conv_out_size
from pymodel.systolic.model import depth_of
from pymodel.systolic.randjob import random_layers
from pymodel.systolic.randvals import rand_int8, rand_quant

SIDES = ("last_legal", "one_past")
DEPTH_LIMITS = {ERR_ACC_DEPTH: "ACC_DEPTH", ERR_A_RANGE: "A_RANGE", ERR_B_RANGE: "B_RANGE",
                ERR_C_RANGE: "C_RANGE", ERR_D_RANGE: "D_RANGE", ERR_BQ_RANGE: "BQ_RANGE"}
# the depth checks whose sum differs by op (docs/systolic.md, "CHECK"): a CONV's accumulator rows are
# blk_rows * out_w; a CONV's or a POOL's A range counts whole images (m * in_h rows), its D range output
# pixels, a fused-pool CONV's D range the pooled ones (PH, PW from DECODE's divisions). Each has its own
# limit, met by a job of that op; the GEMM's keep the plain names. The limit name -> (check, op kind)
OP_LIMITS = {"ACC_DEPTH_CONV": (ERR_ACC_DEPTH, "conv"), "A_RANGE_CONV": (ERR_A_RANGE, "conv"),
             "A_RANGE_POOL": (ERR_A_RANGE, "pool"),
             "D_RANGE_CONV": (ERR_D_RANGE, "conv"), "D_RANGE_FUSED": (ERR_D_RANGE, "fused"),
             "D_RANGE_POOL": (ERR_D_RANGE, "pool")}
GEOM_LIMITS = ("WIN_BYTES", "WIN_ROWS", "POOL_KERNEL", "POOL_WINDOW", "FUSED_POOL")
LIMITS = (*DEPTH_LIMITS.values(), *OP_LIMITS, *GEOM_LIMITS, "CMD_LIST")


def _op_kind(d: Descriptor, err: int) -> str:
    """The op kind `err`'s sum depends on: gemm, conv, pool, or (D range only) fused."""
    if d.op == OP_POOL:
        return "pool"
    if d.op != OP_CONV:
        return "gemm"
    return "fused" if err == ERR_D_RANGE and d.pool else "conv"


def limit_name(d: Descriptor, err: int) -> str:
    """The limit a depth check of this descriptor is counted under (DEPTH_LIMITS or OP_LIMITS)."""
    kind = _op_kind(d, err)
    return next((name for name, (e, k) in OP_LIMITS.items() if e == err and k == kind), DEPTH_LIMITS[err])


def geometry_limits(cfg: SystolicConfig, d: Descriptor) -> dict[str, tuple[int, int]]:
    """The GEOM limits that apply: name -> (what the descriptor needs, the most allowed)."""
    K = cfg.K
    out: dict[str, tuple[int, int]] = {}
    if d.op == OP_CONV:
        out["WIN_BYTES"] = (d.in_w * d.pitch(K), cfg.WIN_BYTES)
        out["WIN_ROWS"] = (d.window_rows(d.blk_rows), cfg.WIN_ROWS)
    if d.op == OP_POOL:
        out["POOL_KERNEL"] = (max(d.kh, d.kw, d.stride_h, d.stride_w), POOL_MAX)
        out["POOL_WINDOW"] = (max((d.out_h - 1) * d.stride_h + d.kh - d.in_h,
                                  (d.out_w - 1) * d.stride_w + d.kw - d.in_w), 0)
    if d.pool:
        out["FUSED_POOL"] = (d.pool, 4)
    return out


def edges(cfg: SystolicConfig, d: Descriptor) -> list[str]:
    """`<limit>:last_legal` for every limit the descriptor meets exactly (it passes CHECK), and
    `<limit>:one_past` when it exceeds one by exactly one and that limit is what CHECK reports."""
    code = d.check(cfg)
    out = []
    for err, (need, last) in d.ranges(cfg).items():
        if need == last and code == ERR_NONE:
            out.append(f"{limit_name(d, err)}:last_legal")
        elif need == last + 1 and code == err:
            out.append(f"{limit_name(d, err)}:one_past")
    for name, (need, most) in geometry_limits(cfg, d).items():
        if need == most and code == ERR_NONE:
            out.append(f"{name}:last_legal")
        elif need == most + 1 and code == ERR_GEOM:
            out.append(f"{name}:one_past")
    return out


@dataclass
class EdgeJob:
    descriptors: list[Descriptor]
    images: dict[str, np.ndarray]
    first: int = 0  # CMD slot of the first descriptor (NUM_DESC.FIRST)
    num_desc_past: int | None = None  # a NUM_DESC value one past CMD_DEPTH (must answer PSLVERR)


# the scratchpad and span (words) of each relocatable region
def _span(cfg: SystolicConfig, d: Descriptor, err: int) -> tuple[str, str, int]:
    """(memory, base field, words from the base to the last word) of a depth-checked region."""
    need, _ = d.ranges(cfg)[err]
    field = {ERR_A_RANGE: "a_base", ERR_B_RANGE: "b_base", ERR_C_RANGE: "c_base", ERR_D_RANGE: "d_base",
             ERR_BQ_RANGE: "bq_base"}[err]
    mem = {ERR_A_RANGE: "act", ERR_B_RANGE: "wgt", ERR_C_RANGE: "out", ERR_D_RANGE: "act", ERR_BQ_RANGE: "bias"}[err]
    return mem, field, need - getattr(d, field) + 1


def relocate(cfg: SystolicConfig, d: Descriptor, images: dict[str, np.ndarray], err: int,
             past: bool) -> tuple[Descriptor, dict[str, np.ndarray]]:
    """Move one region of a single-descriptor job so that it ends on its scratchpad's last word (or
    one past it); its words move with it (BQ: the bias and the quant words)."""
    mem, field, span = _span(cfg, d, err)
    depth = depth_of(cfg, mem)
    new = depth - span + int(past)
    old = getattr(d, field)
    out = dict(images)
    for m in (("bias", "quant") if mem == "bias" else (mem,)):
        img = np.asarray(images.get(m, np.zeros((0, cfg.K), np.int64)), np.int64)
        words = np.zeros((span, cfg.K), np.int64)
        have = img[old:old + span]
        words[:len(have)] = have
        grown = np.zeros((max(len(img), depth), cfg.K), np.int64)
        grown[:len(img)] = img
        grown[old:old + min(span, max(0, len(img) - old))] = 0  # the region leaves its old place
        keep = min(span, depth - new)
        grown[new:new + keep] = words[:keep]
        out[m] = grown
    change: dict[str, Any] = {field: new}
    return replace(d, **change), out


def _one_gemm(cfg: SystolicConfig, rng: np.random.Generator, err: int,
              m: int | None = None) -> tuple[Descriptor, dict[str, np.ndarray]]:
    """A random legal GEMM to which check `err` applies (the flags drawn until it does)."""
    K = cfg.K
    for _ in range(200):
        shape = (m or int(rng.integers(1, 2 * K + 3)), int(rng.integers(1, 2 * K + 3)), int(rng.integers(1, 2 * K + 3)))
        descs, images = random_layers(cfg, rng, 1, 2 * K + 2, shapes=[shape])
        if err in descs[0].ranges(cfg):
            return descs[0], images
    raise AccelscopeError(f"edges: no GEMM with check {err} found")


def _op_job(cfg: SystolicConfig, rng: np.random.Generator, limit: str) -> tuple[Descriptor, dict[str, np.ndarray]]:
    """A random legal CONV or POOL (random_conv, random_pool: any geometry) of two images or more, to
    which the OP_LIMITS check `limit` applies, drawn until it does: the image steps run at the
    region's high addresses."""
    err, kind = OP_LIMITS[limit]
    for _ in range(500):
        jb = JobBuilder(cfg)
        (random_pool if kind == "pool" else random_conv)(cfg, rng, jb)
        d = jb.descriptors[0]
        if d.m >= 2 and err in d.ranges(cfg) and _op_kind(d, err) == kind:
            return d, jb.images()
    raise AccelscopeError(f"edges: no {kind} job with check {err} found")


def _acc_conv(cfg: SystolicConfig, rng: np.random.Generator, past: bool) -> tuple[Descriptor, dict[str, np.ndarray]]:
    """A CONV of one packed channel whose blocks need exactly ACC_DEPTH accumulator rows, blk_rows *
    out_w = ACC_DEPTH (one past: ACC_DEPTH + 1), out_w beyond the input where the row is wider than the
    window (implicit right padding), kh = stride = 1; out_w the widest that fits."""
    need = cfg.ACC_DEPTH + int(past)
    top_blk = min(31, cfg.WIN_ROWS)
    shapes = [(need // b, b) for b in range(1, top_blk + 1) if need % b == 0 and need // b <= 255]
    if not shapes:
        raise AccelscopeError(f"edges: no CONV block of {need} accumulator rows at this configuration")
    ow, blk = shapes[0]
    wd = min(ow, cfg.WIN_BYTES)
    b = int(rng.integers(1, 3))
    jb = JobBuilder(cfg)
    x = rand_int8(rng, (b, blk, wd, 1))
    base, stride = put_tensor(jb, x, False)
    n = int(rng.integers(1, cfg.K + 2))
    conv(jb, base, stride, x.shape, False, rand_int8(rng, (1, 1, 1, n)), out_hw=(blk, ow), blk_rows=blk,
         quant=rand_quant(rng, n) if rng.integers(2) else None)
    return jb.descriptors[0], jb.images()


def _conv_on(cfg: SystolicConfig, rng: np.random.Generator, limit: str, past: bool) -> JobBuilder:
    """One CONV on a window limit: a row of exactly WIN_BYTES bytes (packed, one channel), a block
    needing exactly WIN_ROWS window rows, or a fused pool of 4 (one past: WIN_BYTES + 1, WIN_ROWS + 1,
    pool 5; GEOM)."""
    jb = JobBuilder(cfg)
    K = cfg.K
    n = int(rng.integers(1, K + 2))
    if limit == "WIN_BYTES":
        wd, h, kh = cfg.WIN_BYTES + int(past), 2, 1
        blk = None
    elif limit == "WIN_ROWS":
        kh = int(rng.integers(1, min(4, cfg.WIN_ROWS) + 1))
        blk = cfg.WIN_ROWS - kh + 1 + int(past)
        wd, h = int(rng.integers(1, 4)), blk + kh - 1
    else:  # FUSED_POOL
        wd, h, kh, blk = 4 + int(past), 4 + int(past), 1, 4 + int(past)
    x = rand_int8(rng, (1, h, min(wd, cfg.WIN_BYTES), 1))
    oh, ow = conv_out_size(h, kh, 1, 0), conv_out_size(wd, 1, 1, 0)
    pool = (4 + int(past)) if limit == "FUSED_POOL" else 0
    int8 = bool(pool) or bool(rng.integers(2))
    base, stride = put_tensor(jb, x, False)
    w = rand_int8(rng, (kh, 1, 1, n))
    conv(jb, base, max(stride, -(-wd // K)), (1, h, wd, 1), False, w, out_hw=(oh, ow), blk_rows=blk,
         quant=rand_quant(rng, n) if int8 else None, bias=rng.integers(-500, 500, n) if rng.integers(2) else None,
         pool=pool)
    return jb


def _pool_on(cfg: SystolicConfig, rng: np.random.Generator, limit: str, past: bool) -> JobBuilder:
    """One POOL with a kernel or stride of exactly POOL_MAX (one past: 5), or windows ending exactly on
    the input's last row or column (one past: one row or column beyond it)."""
    jb = JobBuilder(cfg)
    k = [int(v) for v in rng.integers(1, POOL_MAX + 1, size=4)]  # kh, kw, sh, sw
    oh, ow = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    if limit == "POOL_KERNEL":
        k[int(rng.integers(4))] = POOL_MAX + int(past)
    h, wd = (oh - 1) * k[2] + k[0], (ow - 1) * k[3] + k[1]
    if limit == "POOL_WINDOW":
        if rng.integers(2):
            h -= int(past)
        else:
            wd -= int(past)
    else:
        h, wd = h + int(rng.integers(0, 2)), wd + int(rng.integers(0, 2))
    c = int(rng.integers(1, 2 * cfg.K + 2))
    x = rand_int8(rng, (1, h, wd, c))
    base, stride = put_tensor(jb, x, True)
    pool(jb, base, stride, x.shape, (k[0], k[1]), (k[2], k[3]), out_hw=(oh, ow))
    return jb


def edge_job(cfg: SystolicConfig, rng: np.random.Generator, limit: str, past: bool) -> EdgeJob:
    """A job whose one descriptor sits exactly on `limit` (LIMITS) or one past it; CMD_LIST: a random
    GEMM list ending on CMD's last slot (one past: a NUM_DESC value ending beyond it besides)."""
    K = cfg.K
    err = next((e for e, name in DEPTH_LIMITS.items() if name == limit), None)
    if limit == "ACC_DEPTH_CONV":
        d, images = _acc_conv(cfg, rng, past)
    elif limit in OP_LIMITS:
        d, images = _op_job(cfg, rng, limit)
        d, images = relocate(cfg, d, images, OP_LIMITS[limit][0], past)
    elif limit == "CMD_LIST":
        count = int(rng.integers(1, 4))
        descs, images = random_layers(cfg, rng, count, 2 * K + 2)
        first = cfg.CMD_DEPTH - count
        past_value = None
        if past:
            past_value = R.num_desc_value(first + 1, count, None)
        return EdgeJob(descs, images, first, past_value)
    elif err == ERR_ACC_DEPTH:
        d, images = _one_gemm(cfg, rng, err, m=cfg.ACC_DEPTH + int(past))
    elif err is not None:
        d, images = _one_gemm(cfg, rng, err)
        d, images = relocate(cfg, d, images, err, past)
    elif limit in ("WIN_BYTES", "WIN_ROWS", "FUSED_POOL"):
        jb = _conv_on(cfg, rng, limit, past)
        d, images = jb.descriptors[0], jb.images()
    elif limit in ("POOL_KERNEL", "POOL_WINDOW"):
        jb = _pool_on(cfg, rng, limit, past)
        d, images = jb.descriptors[0], jb.images()
    else:
        raise AccelscopeError(f"edges: unknown limit {limit!r}; one of {', '.join(LIMITS)}")
    want = f"{limit}:{SIDES[int(past)]}"
    if want not in edges(cfg, d):
        raise AssertionError(f"edge_job({limit}, past={past}): {d.describe()} sits on {edges(cfg, d)} "
                             f"(CHECK {d.check(cfg)})")
    return EdgeJob([d], images)


def edge_list(cfg: SystolicConfig, rng: np.random.Generator) -> EdgeJob:
    """A list of descriptors each exactly on a different limit: 2 or more of the GEMM, window and
    pooling limits in random order, then every OP_LIMITS one (a CONV or POOL region on its limit); one
    list in three ends on CMD's last slot, and then a NUM_DESC value one past it is
    tried too. The jobs' images are laid over each other: what one descriptor leaves in a word is
    what the next reads, as in any run (the model runs them in order too)."""
    names = [n for n in LIMITS if n != "CMD_LIST" and n not in OP_LIMITS]
    chosen = [names[i] for i in rng.permutation(len(names))[:int(rng.integers(2, len(names) + 1))]]
    chosen += list(OP_LIMITS)  # every list: their jobs after the others (whose draws stay as they were)
    descs: list[Descriptor] = []
    images: dict[str, np.ndarray] = {}
    for name in chosen:
        ej = edge_job(cfg, rng, name, False)
        descs += ej.descriptors
        for mem, img in ej.images.items():
            base = images.get(mem, np.zeros((0, cfg.K), np.int64))
            grown = np.zeros((max(len(base), len(img)), cfg.K), np.int64)
            grown[:len(base)] = base
            # a job's zero words (a relocated job's image spans the whole memory) leave what is there
            grown[:len(img)] = np.where(np.any(img != 0, axis=1, keepdims=True), img, grown[:len(img)])
            images[mem] = grown
    first, num_desc_past = 0, None
    if rng.random() < 1 / 3:
        first = cfg.CMD_DEPTH - len(descs)
        rng.random()  # once chose whether to try the value below (now always): drawn so later draws stay
        num_desc_past = R.num_desc_value(first + 1, len(descs), None)
    return EdgeJob(descs, images, first, num_desc_past)


FIELD_MAX = 0xFFFF  # the 16-bit descriptor fields (m, kd, n, bases, strides)
ALIASED = (ERR_A_RANGE, ERR_B_RANGE, ERR_C_RANGE, ERR_D_RANGE, ERR_BQ_RANGE)


def aliased(cfg: SystolicConfig, rng: np.random.Generator, err: int, bit: int) -> Descriptor:
    """A GEMM whose region `err` ends exactly 2^bit words past a legal last word (its last word is
    L + 2^bit with L legal and every other bit of the sum 0): CHECK must refuse it with `err`, so a
    range sum that loses its bit `bit` (a carry dropped, a truncated adder) would accept it. The
    earlier checks pass. Bits from log2(depth) up to what the 16-bit fields reach (aliasing_bits)."""
    K = cfg.K
    depth = {ERR_A_RANGE: cfg.ACT_DEPTH, ERR_B_RANGE: cfg.WGT_DEPTH, ERR_C_RANGE: cfg.OUT_DEPTH,
             ERR_D_RANGE: cfg.ACT_DEPTH, ERR_BQ_RANGE: cfg.BQ_DEPTH}[err]
    low = int(rng.integers(0, depth))  # L
    if err in (ERR_A_RANGE, ERR_C_RANGE, ERR_D_RANGE):  # base + (m - 1) * stride (one tile each way)
        stride = min(1 << bit, 1 << 15)
        m = (1 << bit) // stride + 1
        base = low
        if m > cfg.ACC_DEPTH:  # past 2^15 x (ACC_DEPTH - 1): m = ACC_DEPTH, a stride overshooting by less than
            m = cfg.ACC_DEPTH  # m, the base taking the overshoot back
            stride = -(-(1 << bit) // (m - 1))
            over = (m - 1) * stride - (1 << bit)
            low = int(rng.integers(over, depth))
            base = low - over
        a = (base, stride) if err == ERR_A_RANGE else (0, 1)
        c = (base, stride) if err == ERR_C_RANGE else (0, 1)
        dd = (base, stride) if err == ERR_D_RANGE else (0, 1)
        d = Descriptor(m=m, kd=K, n=K, a_base=a[0], a_stride=a[1], c_base=c[0], c_stride=c[1], d_base=dd[0],
                       d_stride=dd[1], int8=err == ERR_D_RANGE)
    elif err == ERR_B_RANGE:  # base + nt * kt * K - 1, nt * kt * K = 2^bit
        tiles = (1 << bit) // K
        nt = min(tiles, (FIELD_MAX + 1) // K // 2)
        kt = tiles // nt
        d = Descriptor(m=1, kd=kt * K, n=nt * K, a_stride=kt, b_base=low + 1, c_stride=nt)
    else:  # BQ: base + nt - 1, nt = 2^bit
        nt = 1 << bit
        d = Descriptor(m=1, kd=K, n=nt * K, a_stride=1, int8=True, bq_base=low + 1, d_stride=nt)
    need, last = d.ranges(cfg)[err]
    if need != low + (1 << bit) or need <= last or d.check(cfg) != err:
        raise AssertionError(f"aliased({err}, bit {bit}): {d.describe()} needs {need}, CHECK {d.check(cfg)}")
    return d


def aliasing_bits(cfg: SystolicConfig, err: int) -> range:
    """The bits `aliased` reaches for check `err`: from the depth's bit up to what m <= ACC_DEPTH
    rows with a 16-bit stride reach (A, C, D), nt * kt * K within the fields and A's depth (B), or nt
    within the n field and the other checks (BQ) allow."""
    if err in (ERR_A_RANGE, ERR_C_RANGE, ERR_D_RANGE):
        depth = cfg.OUT_DEPTH if err == ERR_C_RANGE else cfg.ACT_DEPTH
        return range(depth.bit_length() - 1, ((cfg.ACC_DEPTH - 1) * FIELD_MAX).bit_length())
    if err == ERR_B_RANGE:
        nt = (FIELD_MAX + 1) // cfg.K // 2
        kt = min(nt, cfg.ACT_DEPTH // 2)
        return range(cfg.WGT_DEPTH.bit_length() - 1, (cfg.K * nt * kt).bit_length())
    top = min((FIELD_MAX + 1) // cfg.K // 2, cfg.ACT_DEPTH // 2, cfg.WGT_DEPTH // cfg.K // 2)
    return range(cfg.BQ_DEPTH.bit_length() - 1, top.bit_length())


def refused(cfg: SystolicConfig, rng: np.random.Generator) -> list[Descriptor]:
    """One descriptor one past each limit, one with each refused pair of modes, and for each range
    check one aliasing its last word at each reachable bit (`aliased`), in random order: each must
    stop CHECK with its error."""
    names = [n for n in LIMITS if n != "CMD_LIST"]
    out = [edge_job(cfg, rng, n, True).descriptors[0] for n in names] + [illegal_pair(cfg, rng, p) for p in ILLEGAL]
    out += [aliased(cfg, rng, err, bit) for err in ALIASED for bit in aliasing_bits(cfg, err)]
    return [out[i] for i in rng.permutation(len(out))]


# --------------------------------------------------------------------------- modes that meet

MODES = ("GEMM", "CONV", "POOL", "ACC", "BIAS", "RELU", "INT8", "OUT8", "FUSED_POOL")
OPS = MODES[:3]
PAIRS = [f"{a}+{b}" for i, a in enumerate(MODES) for b in MODES[i + 1:] if not (a in OPS and b in OPS)]
# the pairs CHECK refuses (docs/systolic.md, "CHECK"): a POOL with ACC, BIAS, RELU or OUT8 (FLAGS) or a
# fused pool (GEOM); a fused pool on a GEMM (GEOM); OUT8 with a fused pool (FLAGS)
ILLEGAL = {"POOL+ACC": "FLAGS", "POOL+BIAS": "FLAGS", "POOL+RELU": "FLAGS", "POOL+OUT8": "FLAGS",
           "POOL+FUSED_POOL": "GEOM", "GEMM+FUSED_POOL": "GEOM", "OUT8+FUSED_POOL": "FLAGS"}


def modes(d: Descriptor) -> list[str]:
    """The descriptor's op and the mode flags it sets."""
    on = [d.op_name] + [name for name, flag in (("ACC", d.acc), ("BIAS", d.bias), ("RELU", d.relu),
                                               ("INT8", d.int8), ("OUT8", d.out8)) if flag]
    return on + (["FUSED_POOL"] if d.pool else [])


def pairs(d: Descriptor) -> list[str]:
    """Every pair of its modes (PAIRS order), whether CHECK accepts the combination or not."""
    on = set(modes(d))
    return [p for p in PAIRS if set(p.split("+")) <= on]


def illegal_pair(cfg: SystolicConfig, rng: np.random.Generator, pair: str | None = None) -> Descriptor:
    """A descriptor legal but for one refused pair of modes (ILLEGAL), its other fields random:
    CHECK answers FLAGS or GEOM."""
    pair = pair or list(ILLEGAL)[int(rng.integers(len(ILLEGAL)))]
    K = cfg.K
    c = int(rng.integers(1, K + 2))
    pool_d = Descriptor(m=1, kd=4, n=c, a_stride=4 * -(-c // K), d_stride=-(-c // K), int8=True, op=OP_POOL,
                        in_h=4, in_w=4, cin=c, tiled=True, kh=2, kw=2, stride_h=2, stride_w=2, out_h=2, out_w=2)
    conv_d = Descriptor(m=1, kd=9, n=c, a_stride=1, d_stride=-(-c // K), int8=True, op=OP_CONV, in_h=4, in_w=4,
                        cin=1, kh=3, kw=3, stride_h=1, stride_w=1, pad_t=1, pad_l=1, out_h=4, out_w=4, blk_rows=2)
    gemm_d = Descriptor(m=int(rng.integers(1, 2 * K)), kd=c, n=c, a_stride=1, c_stride=1)
    modes: dict[str, tuple[Descriptor, dict[str, Any]]] = {
        "POOL+ACC": (pool_d, dict(acc=True)), "POOL+BIAS": (pool_d, dict(bias=True)),
        "POOL+RELU": (pool_d, dict(relu=True)), "POOL+OUT8": (pool_d, dict(out8=True)),
        "POOL+FUSED_POOL": (pool_d, dict(pool=2)), "GEMM+FUSED_POOL": (gemm_d, dict(pool=int(rng.integers(2, 5)))),
        "OUT8+FUSED_POOL": (conv_d, dict(pool=2, out8=True)),
    }
    base, change = modes[pair]
    assert base.check(cfg) == ERR_NONE, base.describe()
    bad = replace(base, **change)
    want = ERR_FLAGS if ILLEGAL[pair] == "FLAGS" else ERR_GEOM
    assert bad.check(cfg) == want and pair in pairs(bad), (pair, bad.describe(), bad.check(cfg))
    return bad
