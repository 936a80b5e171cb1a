"""Bit-exact numpy model of rtl/systolic: results, output row stream and cycle counters.

Memories are (words, K) int64 arrays of lane values: ACT and WGT hold int8
lanes, BIAS and OUT int32 lanes, QUANT raw 32-bit lane words
(mult | shift << 24). An int8 row written to OUT (flag OUT8) is an OUT word whose
bits [8c +: 8] hold column c of the tile and whose higher bits are 0; as K int32
lanes (`pack_out8`), lane l holds bytes 4l .. 4l+3 little-endian (column 4l at
bits 7:0, as a signed int32), lanes l >= ceil(K/4) are 0: lane l is exactly the
32-bit chunk l an APB read of that OUT word returns. `run` executes a descriptor list (GEMM, CONV and POOL
descriptors, docs/systolic.md) exactly as the sequencer does and predicts every
performance counter in closed form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.systolic import regs
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import ERR_NONE, OP_CONV, OP_GEMM, OP_POOL, OPS, Descriptor

MEMORIES = ("act", "wgt", "bias", "quant", "out")
LANE_BITS = {"act": 8, "wgt": 8, "bias": 32, "quant": 32, "out": 32}
_MULT_LSB, MULT_BITS = regs.ENTRIES["QUANT_LANE"]["mult"]  # rtl/systolic/systolic.rdl
_SHIFT_LSB, SHIFT_BITS = regs.ENTRIES["QUANT_LANE"]["shift"]
OVERHEAD_FIXED = 3  # FETCH, DECODE, CHECK
POOL_DRAIN = 3  # POOL: cycles after the last RUN cycle until the last row has left the pipeline
FUSED_POOL_DRAIN = 1  # CONV with fused pooling: one more epilogue stage (the pool stage), so DRAIN + 1
_CHUNK = 1 << 22  # CONV: im2col elements built at a time (bounds the model's memory)


def depth_of(cfg: SystolicConfig, name: str) -> int:
    return {"act": cfg.ACT_DEPTH, "wgt": cfg.WGT_DEPTH, "bias": cfg.BQ_DEPTH, "quant": cfg.BQ_DEPTH,
            "out": cfg.OUT_DEPTH}[name]


def wrap32(x: np.ndarray) -> np.ndarray:
    """Two's-complement wrap of int64 values to int32 range (as int64)."""
    x = np.asarray(x, dtype=np.int64)
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def wrap8(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    return ((x + 128) & 0xFF) - 128


def pack_out8(words: np.ndarray, K: int) -> np.ndarray:
    """int8 rows (..., K) -> the OUT words an OUT8 descriptor writes, (..., K) int32 lanes.

    The OUT word has column c at bits [8c +: 8] and 0 above bit 8K-1; lane l (= APB chunk l)
    holds columns 4l .. 4l+3, column 4l at bits 7:0 (little-endian), as a signed int32 value;
    lanes l >= ceil(K/4) are 0 (K=2: lane 0 holds columns 0 and 1 in bits 15:0)."""
    b = np.asarray(words, dtype=np.int64) & 0xFF
    lanes = -(-K // 4)
    pad = np.zeros((*b.shape[:-1], lanes * 4), dtype=np.int64)
    pad[..., :K] = b
    packed = (pad.reshape(*b.shape[:-1], lanes, 4) << np.array([0, 8, 16, 24], dtype=np.int64)).sum(axis=-1)
    out = np.zeros(b.shape, dtype=np.int64)
    out[..., :lanes] = wrap32(packed)
    return out


def unpack_out8(words: np.ndarray, K: int) -> np.ndarray:
    """Inverse of pack_out8: OUT words (..., K) int32 lanes -> the int8 rows (..., K) (bytes above
    column K-1 ignored)."""
    w = np.asarray(words, dtype=np.int64) & 0xFFFFFFFF
    lanes = -(-K // 4)
    b = (w[..., :lanes, None] >> np.array([0, 8, 16, 24], dtype=np.int64)) & 0xFF
    return wrap8(b.reshape(*w.shape[:-1], lanes * 4)[..., :K])


def pack_quant(mult: np.ndarray | int, shift: np.ndarray | int) -> np.ndarray:
    """QUANT lane word (systolic.rdl QUANT_LANE): mult (unsigned) and shift fields."""
    mult = np.asarray(mult, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    if np.any((mult < 0) | (mult >= 1 << MULT_BITS)):
        raise AccelscopeError(f"requant multiplier out of range 0..{(1 << MULT_BITS) - 1}")
    if np.any((shift < 0) | (shift >= 1 << SHIFT_BITS)):
        raise AccelscopeError("requant shift out of range 0..31")
    return (mult << _MULT_LSB) | (shift << _SHIFT_LSB)


def unpack_quant(word: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    word = np.asarray(word, dtype=np.int64)
    return (word >> _MULT_LSB) & ((1 << MULT_BITS) - 1), (word >> _SHIFT_LSB) & ((1 << SHIFT_BITS) - 1)


def requantize(y: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """q = clamp((y * mult + (shift > 0 ? 2^(shift-1) : 0)) >> shift, -128, 127), on int64.

    y int32 values, mult unsigned < 2^24, shift 0..31; >> is arithmetic (floor),
    so ties round toward +infinity.
    """
    y = np.asarray(y, dtype=np.int64)
    mult = np.asarray(mult, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    rnd = np.where(shift > 0, np.left_shift(np.int64(1), np.maximum(shift - 1, 0)), 0)
    return np.clip((y * mult + rnd) >> shift, -128, 127)


@dataclass(frozen=True)
class Counters:
    cycles: int = 0
    busy: int = 0
    macs: int = 0
    stalls: int = 0
    rows: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"cycles": self.cycles, "busy": self.busy, "macs": self.macs, "stalls": self.stalls,
                "rows": self.rows}


class ConvBlock(NamedTuple):
    """One CONV block: image b, output rows oh0 .. oh0+R-1 (R*out_w pixels), V window rows loaded."""

    b: int
    oh0: int
    R: int
    V: int


def _image_blocks(d: Descriptor) -> list[tuple[int, int, int]]:
    """(oh0, R, V) of the blocks of one image (every image has the same blocks)."""
    out = []
    for oh0 in range(0, d.out_h, d.blk_rows):
        R = min(d.blk_rows, d.out_h - oh0)
        base = oh0 * d.stride_h - d.pad_t  # input row of window row 0
        S = d.window_rows(R)
        V = max(0, min(S, d.in_h - base) - max(0, -base))  # window rows s < S with 0 <= base + s < in_h
        out.append((oh0, R, V))
    return out


def _require_geometry(cfg: SystolicConfig, d: Descriptor) -> None:
    if d.op not in OPS:
        raise AccelscopeError(f"descriptor op={d.op} is reserved (CHECK error FLAGS)")
    why = d.geometry_error(cfg)
    if why is not None:
        raise AccelscopeError(f"{d.describe()}: illegal geometry ({why})")


def conv_blocks(cfg: SystolicConfig, d: Descriptor) -> list[ConvBlock]:
    """The blocks of a CONV descriptor in execution order (b, then oh0): docs/systolic.md, "Blocks".

    Block cycles: LOAD = V*RW + 1 (RW = d.row_words(K)), RUN = NT*KT*max(R*out_w, K).
    """
    if d.op != OP_CONV:
        raise AccelscopeError(f"conv_blocks: not a CONV descriptor ({d.describe()})")
    _require_geometry(cfg, d)
    per = _image_blocks(d)
    return [ConvBlock(b, oh0, R, V) for b in range(d.m) for oh0, R, V in per]


def descriptor_counters(cfg: SystolicConfig, d: Descriptor) -> Counters:
    """Closed-form counters of one descriptor that passes CHECK (docs/systolic.md, "Timing" and
    "Convolution and pooling"); not wrapped to 32 bits (run() wraps the sums)."""
    K = cfg.K
    _require_geometry(cfg, d)
    if d.op == OP_POOL:
        ct = d.nt(K)
        busy = d.rows * ct * d.kh * d.kw
        return Counters(cycles=OVERHEAD_FIXED + busy + POOL_DRAIN, busy=busy, macs=0, stalls=0, rows=d.rows * ct)
    kt, nt = d.kt(K), d.nt(K)
    drain_base = cfg.latency + 5  # 2K + 6, less the last tile's idle cycles (P - M)
    if d.op == OP_GEMM:
        p = max(d.m, K)
        return Counters(cycles=OVERHEAD_FIXED + nt * kt * p + drain_base - (p - d.m), busy=nt * kt * p,
                        macs=d.m * d.kd * d.n, stalls=nt * kt * (p - d.m), rows=d.m * nt)
    rw = d.row_words(K)
    blocks = _image_blocks(d)
    load = sum(v * rw + 1 for _, _, v in blocks)
    busy = sum(nt * kt * max(r * d.out_w, K) for _, r, _ in blocks)
    stalls = sum(nt * kt * (max(r * d.out_w, K) - r * d.out_w) for _, r, _ in blocks)
    m_last = blocks[-1][1] * d.out_w
    p_last = max(m_last, K)
    prep = K  # the lane map of k-tile 0
    cycles = OVERHEAD_FIXED + prep + d.m * (load + busy) + drain_base - (p_last - m_last)
    if d.fused_pool:
        cycles += FUSED_POOL_DRAIN
    return Counters(cycles=cycles, busy=d.m * busy, macs=d.rows * d.kd * d.n, stalls=d.m * stalls,
                    rows=d.out_rows * nt)


@dataclass
class RunResult:
    """Everything the RTL exposes after `start` .. `done`."""

    mems: dict[str, np.ndarray]  # final scratchpads, full depth
    stream: np.ndarray  # (rows, K) int64 output rows in stream order
    eof: np.ndarray  # (rows, 2) 0/1
    counters: Counters
    error: int = ERR_NONE
    err_desc: int = 0
    per_desc: list[Counters] = field(default_factory=list)

    @property
    def status(self) -> dict[str, int]:
        return {"done": 1, "busy": 0, "error": int(self.error != ERR_NONE), "err_code": self.error,
                "cur_desc": self.err_desc}


def full_memories(cfg: SystolicConfig, images: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Full-depth copies of the given images (missing words are zero)."""
    mems = {}
    for name in MEMORIES:
        mem = np.zeros((depth_of(cfg, name), cfg.K), dtype=np.int64)
        img = images.get(name)
        if img is not None:
            img = np.asarray(img, dtype=np.int64)
            if img.ndim != 2 or img.shape[1] != cfg.K or len(img) > len(mem):
                raise AccelscopeError(f"{name} image: expected (words <= {len(mem)}, {cfg.K}), got {img.shape}")
            mem[: len(img)] = img
        mems[name] = normalize(name, mem)
    return mems


def normalize(name: str, words: np.ndarray) -> np.ndarray:
    """Lane values as the hardware stores them: int8 / int32 two's complement, QUANT unsigned."""
    if name in ("act", "wgt"):
        return wrap8(words)
    if name == "quant":
        return np.asarray(words, dtype=np.int64) & 0xFFFFFFFF
    return wrap32(words)


def _regions(d: Descriptor, K: int) -> dict[str, np.ndarray]:
    """Word addresses a descriptor touches, as index arrays (a region it does not use is empty).

    "a": GEMM (M, KT) A words; CONV (m*in_h, RW) and POOL (m*in_h, in_w*CT) words of the input
    tensor rows; "b" weight words, "bq" bias/quant words, "c" (rows, NT) and "d" (out_rows, NT)
    destination words (row q, n-tile or channel tile t; "d" of a fused-pool CONV: pooled row q')."""
    kt, nt = d.kt(K), d.nt(K)
    q = np.arange(d.rows, dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    if d.op == OP_GEMM:
        a = d.a_base + q[:, None] * d.a_stride + np.arange(kt)[None, :]  # (M, KT)
    else:
        width = d.row_words(K) if d.op == OP_CONV else d.in_w * d.ct(K)
        r = np.arange(d.m * d.in_h, dtype=np.int64)
        a = d.a_base + r[:, None] * d.a_stride + np.arange(width)[None, :]
    pool = d.op == OP_POOL
    return {
        "a": a,
        "b": empty if pool else d.b_base + np.arange(nt * kt * K, dtype=np.int64),
        "bq": empty if pool else d.bq_base + np.arange(nt, dtype=np.int64),
        "c": np.zeros((0, nt), np.int64) if pool else d.c_base + q[:, None] * d.c_stride + np.arange(nt)[None, :],
        "d": d.d_base + np.arange(d.out_rows, dtype=np.int64)[:, None] * d.d_stride
        + np.arange(nt)[None, :],  # (out_rows, NT)
    }


def check_hazards(d: Descriptor, K: int, where: str = "descriptor") -> None:
    """Reject what the hardware leaves undefined: overlapping destinations, an int8 destination
    over the descriptor's input (GEMM: its A rows; CONV/POOL: the input tensor's rows)."""
    reg = _regions(d, K)
    act = d.writes_act  # INT8 without OUT8: D in ACT; else C in OUT (int32, or OUT8's packed int8 rows)
    dst = reg["d"] if act else reg["c"]
    if len(np.unique(dst)) != dst.size:
        raise AccelscopeError(f"{where}: destination rows overlap ({'d' if act else 'c'}_stride "
                              f"{d.d_stride if act else d.c_stride} < {d.nt(K)} n-tiles)")
    if act and np.intersect1d(reg["d"], reg["a"]).size:
        what = "A" if d.op == OP_GEMM else "tensor"
        raise AccelscopeError(f"{where}: int8 destination D overlaps its own input {what} in the activation "
                              f"scratchpad")


def stream_order(K: int, d: Descriptor) -> tuple[np.ndarray, np.ndarray]:
    """(row q, tile t) of each stream row of a descriptor, in stream order.

    GEMM: n-tile major, row minor. CONV: per block (b, oh0), per n-tile, the block's pixels (fused
    pooling: the block's pooled pixels q' = (b*PH + ph)*PW + pw whose pool x pool window lies in
    the block, raster order). POOL: per pixel q, per channel tile."""
    nt = d.nt(K)
    if d.op == OP_POOL:
        return np.repeat(np.arange(d.rows), nt), np.tile(np.arange(nt), d.rows)
    if d.op == OP_GEMM:
        return np.tile(np.arange(d.m), nt), np.repeat(np.arange(nt), d.m)
    p = d.pool if d.fused_pool else 1
    h, w = d.pooled_hw()  # the written rows' grid: (out_h, out_w) without fused pooling
    qs, ts = [], []
    for oh0, r, _ in _image_blocks(d):  # the order inside one image: the block's (pooled) rows, per n-tile
        lo, hi = oh0 // p, min(oh0 + r, h * p) // p  # lo == hi: every row of the block dropped
        mb = (hi - lo) * w
        qs.append(lo * w + np.tile(np.arange(mb), nt))
        ts.append(np.repeat(np.arange(nt), mb))
    q_img, t_img = np.concatenate(qs), np.concatenate(ts)
    q = (np.arange(d.m)[:, None] * (h * w) + q_img[None, :]).ravel()
    return q, np.tile(t_img, d.m)


def run(cfg: SystolicConfig, descriptors: Sequence[Descriptor], images: Mapping[str, np.ndarray],
        first: int = 0) -> RunResult:
    """Run `descriptors` as the RTL does after `start` with NUM_DESC = (FIRST=first,
    COUNT=len): they are CMD[first .. first+len-1]; only STATUS.cur_desc (absolute) sees `first`."""
    K = cfg.K
    if not 1 <= len(descriptors) or first < 0 or first + len(descriptors) > cfg.CMD_DEPTH:
        raise AccelscopeError(f"{len(descriptors)} descriptors from {first}: NUM_DESC needs COUNT >= 1 and "
                              f"FIRST + COUNT <= {cfg.CMD_DEPTH}")
    mems = full_memories(cfg, images)
    streams: list[np.ndarray] = []
    eofs: list[np.ndarray] = []
    total = Counters()
    per: list[Counters] = []
    for i, d in enumerate(descriptors):
        code = d.check(cfg)
        if code:
            c = Counters(cycles=OVERHEAD_FIXED)
            per.append(c)
            total = _add(total, c)
            return RunResult(mems, _cat(streams, K), _cat(eofs, 2), total, code, first + i, per)
        check_hazards(d, K, f"descriptor {i}")
        words = descriptor_words(cfg, d, mems)
        store(d, K, mems, words)
        q, t = stream_order(K, d)
        rows = words[q, t]
        eof = np.zeros((len(rows), 2), dtype=np.int64)
        eof[-1, 0] = 1
        eof[-1, 1] = int(i == len(descriptors) - 1)
        streams.append(rows)
        eofs.append(eof)
        c = descriptor_counters(cfg, d)
        per.append(c)
        total = _add(total, c)
    return RunResult(mems, _cat(streams, K), _cat(eofs, 2), total, ERR_NONE, first + len(descriptors) - 1, per)


def descriptor_words(cfg: SystolicConfig, d: Descriptor, mems: Mapping[str, np.ndarray]) -> np.ndarray:
    """What a legal descriptor writes: (out_rows, NT, K) words, row q and n-tile (POOL: channel tile) t."""
    if d.op == OP_POOL:
        return _pool(cfg, d, mems)
    res = _gemm(cfg, d, mems) if d.op == OP_GEMM else _conv(cfg, d, mems)  # (rows, NT*K)
    words = res.reshape(d.rows, d.nt(cfg.K), cfg.K)
    return fused_max_pool(d, words) if d.fused_pool else words


def fused_max_pool(d: Descriptor, words: np.ndarray) -> np.ndarray:
    """The fused pooling of a CONV: (rows, NT, K) int8 conv words -> (out_rows, NT, K), the lane-wise
    max over each pool x pool window (kernel = stride = pool, floor: rows and columns past PH*pool,
    PW*pool dropped)."""
    p = d.pool
    ph, pw = d.pooled_hw()
    x = words.reshape(d.m, d.out_h, d.out_w, *words.shape[1:])[:, : ph * p, : pw * p]
    x = x.reshape(d.m, ph, p, pw, p, *words.shape[1:]).max(axis=(2, 4))
    return x.reshape(d.m * ph * pw, *words.shape[1:])


def store(d: Descriptor, K: int, mems: Mapping[str, np.ndarray], words: np.ndarray) -> None:
    """Write a descriptor's words to its destination: D in ACT (INT8), C in OUT (int32), or with
    OUT8 the int8 rows packed into OUT words at C (pack_out8)."""
    reg = _regions(d, K)
    if d.writes_act:
        mems["act"][reg["d"]] = words
    elif d.int8:
        mems["out"][reg["c"]] = pack_out8(words, K)
    else:
        mems["out"][reg["c"]] = words


def _matmul(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Exact integer a @ w for int8 operands: every partial sum is an integer of magnitude below 2^30
    (kd < 2^16 terms of at most 2^14), so float64 (BLAS) is exact; the caller wraps to int32."""
    return (np.asarray(a, np.float64) @ np.asarray(w, np.float64)).astype(np.int64)


def _weights(cfg: SystolicConfig, d: Descriptor, mems: Mapping[str, np.ndarray]) -> np.ndarray:
    """B as a (KD, NT*K) matrix from the weight tiles (columns >= N are zero-masked in _epilogue)."""
    K = cfg.K
    kt, nt = d.kt(K), d.nt(K)
    w = mems["wgt"][d.b_base + np.arange(nt * kt * K)].reshape(nt, kt, K, K).transpose(1, 2, 0, 3)
    return w.reshape(kt * K, nt * K)[: d.kd]


def _epilogue(cfg: SystolicConfig, d: Descriptor, acc: np.ndarray, mems: Mapping[str, np.ndarray]) -> np.ndarray:
    """ACC, BIAS, int32 wrap, RELU, requantization (INT8), lanes >= N zeroed: (rows, NT*K)."""
    K = cfg.K
    nt = d.nt(K)
    reg = _regions(d, K)
    if d.acc:
        acc = acc + mems["out"][reg["c"]].reshape(d.rows, nt * K)
    if d.bias:
        acc = acc + mems["bias"][reg["bq"]].reshape(nt * K)[None, :]
    y = wrap32(acc)
    if d.relu:
        y = np.maximum(y, 0)
    if d.int8:
        mult, shift = unpack_quant(mems["quant"][reg["bq"]].reshape(nt * K))
        y = requantize(y, mult[None, :], shift[None, :])
    y[:, d.n:] = 0
    return y


def _gemm(cfg: SystolicConfig, d: Descriptor, mems: Mapping[str, np.ndarray]) -> np.ndarray:
    K = cfg.K
    kt = d.kt(K)
    a = mems["act"][_regions(d, K)["a"]].reshape(d.m, kt * K)[:, : d.kd]
    return _epilogue(cfg, d, _matmul(a, _weights(cfg, d, mems)), mems)


def conv_input(cfg: SystolicConfig, d: Descriptor, act: np.ndarray) -> np.ndarray:
    """The input tensor X[b, h, w, c] (m, in_h, in_w, cin) of a CONV or POOL descriptor, read from ACT
    words (docs/systolic.md, "Tensor layout in ACT")."""
    K = cfg.K
    P, rw = d.pitch(K), d.row_words(K)
    rows = d.a_base + np.arange(d.m * d.in_h, dtype=np.int64) * d.a_stride
    data = np.asarray(act)[rows[:, None] + np.arange(rw)[None, :]].reshape(d.m, d.in_h, rw * K)
    byte = np.arange(d.in_w)[:, None] * P + np.arange(d.cin)[None, :]  # (in_w, cin)
    return data[:, :, byte]


def _conv(cfg: SystolicConfig, d: Descriptor, mems: Mapping[str, np.ndarray]) -> np.ndarray:
    """CONV values: the implicit im2col A (rows, kd), column k = (ky*kw + kx)*cin + c, then the GEMM."""
    x = conv_input(cfg, d, mems["act"])
    # zero padding: rows above / columns left (pad_t, pad_l), and whatever the windows reach below / right
    bot = max(0, (d.out_h - 1) * d.stride_h + d.kh - d.pad_t - d.in_h)
    right = max(0, (d.out_w - 1) * d.stride_w + d.kw - d.pad_l - d.in_w)
    xp = np.zeros((d.m, d.pad_t + d.in_h + bot, d.pad_l + d.in_w + right, d.cin), dtype=np.int64)
    xp[:, d.pad_t:d.pad_t + d.in_h, d.pad_l:d.pad_l + d.in_w] = x
    w = _weights(cfg, d, mems)
    ky = np.arange(d.kh)[:, None]
    kx = np.arange(d.kw)[None, :]
    acc = np.empty((d.rows, w.shape[1]), dtype=np.int64)
    step = max(1, _CHUNK // d.kd)
    for q0 in range(0, d.rows, step):
        q = np.arange(q0, min(q0 + step, d.rows))
        b, rem = np.divmod(q, d.out_h * d.out_w)
        oh, ow = np.divmod(rem, d.out_w)
        ih = oh[:, None, None] * d.stride_h + ky[None]  # (n, kh, 1), in padded coordinates
        iw = ow[:, None, None] * d.stride_w + kx[None]  # (n, 1, kw)
        a = xp[b[:, None, None], ih, iw]  # (n, kh, kw, cin)
        acc[q0:q0 + len(q)] = _matmul(a.reshape(len(q), d.kd), w)
    return _epilogue(cfg, d, acc, mems)


def _pool(cfg: SystolicConfig, d: Descriptor, mems: Mapping[str, np.ndarray]) -> np.ndarray:
    """POOL values: (rows, CT, K) int8 words, the lane-wise max over the window, lanes >= cin zeroed."""
    K = cfg.K
    ct = d.ct(K)
    q = np.arange(d.rows)
    b, rem = np.divmod(q, d.out_h * d.out_w)
    oh, ow = np.divmod(rem, d.out_w)
    act = mems["act"]
    out = None
    for ky in range(d.kh):
        row = d.a_base + (b * d.in_h + oh * d.stride_h + ky) * d.a_stride
        for kx in range(d.kw):
            addr = row + (ow * d.stride_w + kx) * ct
            v = act[addr[:, None] + np.arange(ct)[None, :]]  # (rows, CT, K)
            out = v if out is None else np.maximum(out, v)
    assert out is not None
    out = out.copy()
    lane = np.arange(ct)[:, None] * K + np.arange(K)[None, :]
    out[:, lane >= d.cin] = 0
    return out


def _add(a: Counters, b: Counters) -> Counters:
    m = 0xFFFFFFFF
    return Counters(*(((x + y) & m) for x, y in zip(a.as_dict().values(), b.as_dict().values())))


def _cat(parts: list[np.ndarray], width: int) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros((0, width), dtype=np.int64)


def quant_params(scale: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Per-column (mult, shift) with mult / 2^shift ~= scale (full-int8 mode).

    The largest shift in 0..31 that keeps mult = round(scale * 2^shift) below 2^24;
    scales below 2^-31 give mult 0 (output 0), scales >= 2^24 are rejected.
    """
    scale = np.atleast_1d(np.asarray(scale, dtype=np.float64))
    if np.any(~np.isfinite(scale)) or np.any(scale < 0) or np.any(scale >= 1 << MULT_BITS):
        raise AccelscopeError(f"requant scale must be finite and in [0, 2^{MULT_BITS}), got "
                              f"{scale.min()}..{scale.max()}")
    s = np.arange(32)
    fits = np.floor(scale[:, None] * np.exp2(s)[None, :] + 0.5) < (1 << MULT_BITS)  # (n, 32), monotone in s
    shift = np.maximum(fits.sum(axis=1) - 1, 0).astype(np.int64)
    mult = np.minimum(np.floor(scale * np.exp2(shift) + 0.5), (1 << MULT_BITS) - 1).astype(np.int64)
    return mult, shift
