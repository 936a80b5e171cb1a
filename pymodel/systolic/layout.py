"""Matrix <-> scratchpad word layouts, hex images, and a one-GEMM job builder."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.systolic import regs
from pymodel.systolic.config import SystolicConfig, ceil_div
from pymodel.systolic.descriptor import OP_CONV, OP_POOL, Descriptor
from pymodel.systolic.model import LANE_BITS, MEMORIES, _regions, depth_of, pack_quant


def pack_rows(x: np.ndarray, K: int) -> np.ndarray:
    """(M, C) matrix -> (M * ceil(C/K), K) words: row m, tile t at word m*T + t (zero padded)."""
    x = np.asarray(x, dtype=np.int64)
    m, c = x.shape
    t = ceil_div(c, K)
    pad = np.zeros((m, t * K), dtype=np.int64)
    pad[:, :c] = x
    return pad.reshape(m * t, K)


def unpack_rows(words: np.ndarray, base: int, stride: int, m: int, cols: int, K: int) -> np.ndarray:
    """Inverse of pack_rows for rows at base + i*stride (tiles contiguous inside a row)."""
    t = ceil_div(cols, K)
    idx = base + np.arange(m)[:, None] * stride + np.arange(t)[None, :]
    return np.asarray(words)[idx].reshape(m, t * K)[:, :cols]


def pack_weights(b: np.ndarray, K: int) -> np.ndarray:
    """(KD, N) matrix -> (NT*KT*K, K) words: tile (nt, kt) row r at word (nt*KT + kt)*K + r."""
    b = np.asarray(b, dtype=np.int64)
    kd, n = b.shape
    kt, nt = ceil_div(kd, K), ceil_div(n, K)
    pad = np.zeros((kt * K, nt * K), dtype=np.int64)
    pad[:kd, :n] = b
    return pad.reshape(kt, K, nt, K).transpose(2, 0, 1, 3).reshape(nt * kt * K, K)


def pack_columns(v: np.ndarray, K: int) -> np.ndarray:
    """(N,) per-column values -> (NT, K) words (zero padded)."""
    v = np.asarray(v, dtype=np.int64).ravel()
    nt = ceil_div(len(v), K)
    pad = np.zeros(nt * K, dtype=np.int64)
    pad[: len(v)] = v
    return pad.reshape(nt, K)


# ---------------------------------------------------------------------------
# NHWC tensors in ACT (docs/systolic.md, "Tensor layout in ACT")


def tensor_pitch(c: int, K: int, tiled: bool) -> int:
    """P: bytes per pixel, ceil(C/K)*K channel-tiled, C packed."""
    return ceil_div(c, K) * K if tiled else c


def tensor_row_words(w: int, c: int, K: int, tiled: bool) -> int:
    """RW = ceil(W*P/K): words of one input row."""
    return ceil_div(w * tensor_pitch(c, K, tiled), K)


def pack_tensor(x: np.ndarray, K: int, tiled: bool, a_stride: int | None = None) -> tuple[np.ndarray, int]:
    """(B, H, W, C) int8 tensor -> (words, a_stride): byte w*P + c of row (b, h) is lane (w*P + c) mod K of
    word (b*H + h)*a_stride + (w*P + c) div K; unused bytes 0. a_stride defaults to RW."""
    x = np.asarray(x, dtype=np.int64)
    if x.ndim != 4:
        raise AccelscopeError(f"tensor: expected (B, H, W, C), got shape {x.shape}")
    b, h, w, c = x.shape
    p = tensor_pitch(c, K, tiled)
    rw = ceil_div(w * p, K)
    stride = rw if a_stride is None else a_stride
    if stride < rw:
        raise AccelscopeError(f"tensor: a_stride={stride} < {rw} words of a {w}x{c} row")
    rows = np.zeros((b, h, stride * K), dtype=np.int64)
    pix = np.zeros((b, h, w, p), dtype=np.int64)
    pix[..., :c] = x
    rows[:, :, : w * p] = pix.reshape(b, h, w * p)
    return rows.reshape(b * h * stride, K), stride


def unpack_tensor(words: np.ndarray, base: int, stride: int, shape: tuple[int, int, int, int], K: int,
                  tiled: bool = True) -> np.ndarray:
    """Inverse of pack_tensor for a tensor at word `base` with row pitch `stride` words."""
    b, h, w, c = shape
    p = tensor_pitch(c, K, tiled)
    rw = ceil_div(w * p, K)
    idx = base + np.arange(b * h)[:, None] * stride + np.arange(rw)[None, :]
    data = np.asarray(words)[idx].reshape(b, h, rw * K)[:, :, : w * p]
    return data.reshape(b, h, w, p)[..., :c]


def conv_weight_matrix(w: np.ndarray) -> np.ndarray:
    """(kh, kw, C, N) kernel -> the CONV B matrix (kh*kw*C, N), row (ky*kw + kx)*C + c
    (PyTorch's (N, C, kh, kw) weight is w.transpose(2, 3, 1, 0))."""
    w = np.asarray(w, dtype=np.int64)
    if w.ndim != 4:
        raise AccelscopeError(f"conv weights: expected (kh, kw, C, N), got shape {w.shape}")
    kh, kw, c, n = w.shape
    return w.reshape(kh * kw * c, n)


def conv_out_size(size: int, k: int, stride: int, pad_before: int, pad_after: int | None = None) -> int:
    """Output size of a convolution or pooling along one axis (floor mode); pad_after defaults to
    pad_before (PyTorch's symmetric padding). The hardware pads below / right implicitly: whatever
    out_h / out_w reach beyond the input reads zeros."""
    pad_after = pad_before if pad_after is None else pad_after
    return (size + pad_before + pad_after - k) // stride + 1


# ---------------------------------------------------------------------------
# hex images ($readmemh / $writememh): one word per line, lane 0 in the low bits


def to_hex(words: np.ndarray, lane_bits: int) -> str:
    """(n, K) lane values -> $readmemh text, lane K-1 first (most significant)."""
    words = np.asarray(words, dtype=np.int64)
    if words.size == 0:
        return ""
    n, k = words.shape
    dt = {8: ">u1", 32: ">u4"}[lane_bits]
    raw = (words & ((1 << lane_bits) - 1))[:, ::-1].astype(dt).tobytes().hex()
    w = k * lane_bits // 4
    return "".join(raw[i * w:(i + 1) * w] + "\n" for i in range(n))


def from_hex(text: str, k: int, lane_bits: int, signed: bool = True, where: str = "hex image") -> np.ndarray:
    """$writememh text (comment lines allowed) -> (n, K) lane values."""
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("//")]
    w = k * lane_bits // 4
    for i, ln in enumerate(lines):
        if len(ln) != w:
            raise AccelscopeError(f"{where}: line {i + 1}: expected {w} hex digits, got {ln[:80]!r}")
    try:
        raw = bytes.fromhex("".join(lines))
    except ValueError:
        bad = next(i for i, ln in enumerate(lines) if any(ch not in "0123456789abcdefABCDEF" for ch in ln))
        raise AccelscopeError(f"{where}: line {bad + 1}: not hex (undefined X/Z bits?): {lines[bad][:80]!r}") from None
    dt = {8: ">u1", 32: ">u4"}[lane_bits]
    vals = np.frombuffer(raw, dtype=dt).astype(np.int64).reshape(len(lines), k)[:, ::-1]
    if signed:
        vals = np.where(vals >= 1 << (lane_bits - 1), vals - (1 << lane_bits), vals)
    return np.ascontiguousarray(vals)


def mem_to_hex(name: str, words: np.ndarray) -> str:
    return to_hex(words, LANE_BITS[name])


def mem_from_hex(name: str, text: str, k: int, where: str) -> np.ndarray:
    return from_hex(text, k, LANE_BITS[name], signed=name != "quant", where=where)


# ---------------------------------------------------------------------------
# a single GEMM laid out from address 0


def gemm_layout(cfg: SystolicConfig, a: np.ndarray, b: np.ndarray, bias: np.ndarray | None = None,
                relu: bool = False, mult: np.ndarray | None = None,
                shift: np.ndarray | None = None) -> tuple[list[Descriptor], dict[str, np.ndarray]]:
    """Descriptors and scratchpad images for C = A @ B (+ bias) (ReLU) (requantized when mult is given).

    A at ACT[0..], B at WGT[0..], bias/quant at word 0, int32 C at OUT[0..] with stride NT
    (int8 results at ACT after A). M is split into descriptors of at most ACC_DEPTH rows.
    """
    K = cfg.K
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    m, kd = a.shape
    n = b.shape[1]
    kt, nt = ceil_div(kd, K), ceil_div(n, K)
    int8 = mult is not None
    images: dict[str, np.ndarray] = {
        "act": pack_rows(a, K),
        "wgt": pack_weights(b, K),
        "bias": pack_columns(bias if bias is not None else np.zeros(n, np.int64), K),
        "quant": pack_columns(pack_quant(mult, shift)  # type: ignore[arg-type]  # int8: both given
                              if int8 else np.zeros(n, np.int64), K),
    }
    d_base = m * kt
    if int8:
        images["act"] = np.concatenate([images["act"], np.zeros((m * nt, K), np.int64)])
    images["out"] = np.zeros((0 if int8 else m * nt, K), np.int64)

    for name, what in (("act", "A" + (" and int8 C" if int8 else "")), ("wgt", "B tiles"), ("bias", "bias"),
                       ("out", "C")):
        if len(images[name]) > depth_of(cfg, name):
            raise AccelscopeError(f"GEMM {m}x{kd}x{n} needs {len(images[name])} {name.upper()} words for {what}; "
                                  f"the K={K} build has {depth_of(cfg, name)}")
    descs = []
    for r0 in range(0, m, cfg.ACC_DEPTH):
        rows = min(cfg.ACC_DEPTH, m - r0)
        descs.append(Descriptor(m=rows, kd=kd, n=n, a_base=r0 * kt, a_stride=kt, b_base=0, bq_base=0,
                                c_base=0 if int8 else r0 * nt, c_stride=nt, d_base=d_base + r0 * nt if int8 else 0,
                                d_stride=nt if int8 else 0, bias=bias is not None, relu=relu, int8=int8))
    for i, d in enumerate(descs):
        d.validate(cfg, f"GEMM {m}x{kd}x{n} descriptor {i}")
    return descs, images


def extents(cfg: SystolicConfig, descriptors: Sequence[Descriptor], images: dict[str, np.ndarray]) -> dict[str, int]:
    """Words of each scratchpad a run may touch (loaded images and every descriptor's reach)."""
    K = cfg.K
    ext = {name: len(images.get(name, ())) for name in MEMORIES}
    def reach(name: str, words: np.ndarray) -> None:
        if words.size:
            ext[name] = max(ext[name], int(words.max()) + 1)

    for d in descriptors:
        if d.check(cfg):
            break
        reg = _regions(d, K)  # regions a descriptor does not use are empty (POOL: no b, bq, c)
        reach("act", reg["a"])
        reach("wgt", reg["b"])
        if d.bias or d.int8:
            reach("bias", reg["bq"])
            reach("quant", reg["bq"])
        if d.acc or not d.writes_act:
            reach("out", reg["c"])
        if d.writes_act:
            reach("act", reg["d"])
    return ext


# ---------------------------------------------------------------------------
# a single CONV or POOL laid out from address 0


def conv_blk_rows(cfg: SystolicConfig, kh: int, stride_h: int, out_h: int, out_w: int) -> int:
    """The largest legal blk_rows (docs/systolic.md, CHECK): window rows (blk_rows-1)*stride_h + kh <=
    WIN_ROWS, blk_rows*out_w <= ACC_DEPTH, blk_rows <= out_h and the field's 31; 0 if none fits."""
    field_max = (1 << regs.ENTRIES["DESC"]["blk_rows"][1]) - 1
    by_window = (cfg.WIN_ROWS - kh) // stride_h + 1 if kh <= cfg.WIN_ROWS else 0
    return max(0, min(field_max, out_h, by_window, cfg.ACC_DEPTH // max(1, out_w)))


def conv_layout(cfg: SystolicConfig, x: np.ndarray, w: np.ndarray, *, stride: tuple[int, int] = (1, 1),
                pad: tuple[int, int] = (0, 0), out_hw: tuple[int, int] | None = None,
                bias: np.ndarray | None = None, relu: bool = False, mult: np.ndarray | None = None,
                shift: np.ndarray | None = None, tiled: bool = True, blk_rows: int | None = None
                ) -> tuple[list[Descriptor], dict[str, np.ndarray]]:
    """One CONV descriptor and its scratchpad images: x (B, H, W, C) int8 at ACT[0..] (channel-tiled or
    packed), w (kh, kw, C, N) at WGT[0..], bias/quant at word 0, int32 output at OUT[0..] (c_stride NT)
    or, with mult/shift, int8 output in ACT after the input (d_stride NT, channel-tiled: the next layer's
    input with a_stride = out_w*NT). pad = (pad_t, pad_l); out_hw defaults to symmetric padding."""
    K = cfg.K
    x = np.asarray(x, dtype=np.int64)
    bmat = conv_weight_matrix(w)
    kh, kw, c, n = np.asarray(w).shape
    bsz, h, wd, cx = x.shape
    if cx != c:
        raise AccelscopeError(f"conv: input has {cx} channels, weights {c}")
    oh, ow = out_hw or (conv_out_size(h, kh, stride[0], pad[0]), conv_out_size(wd, kw, stride[1], pad[1]))
    if blk_rows is None:
        blk_rows = conv_blk_rows(cfg, kh, stride[0], oh, ow)
    act, a_stride = pack_tensor(x, K, tiled)
    nt = ceil_div(n, K)
    rows = bsz * oh * ow
    int8 = mult is not None
    images: dict[str, np.ndarray] = {
        "wgt": pack_weights(bmat, K),
        "bias": pack_columns(bias if bias is not None else np.zeros(n, np.int64), K),
        "quant": pack_columns(pack_quant(mult, shift)  # type: ignore[arg-type]  # int8: both given
                              if int8 else np.zeros(n, np.int64), K),
        "out": np.zeros((0 if int8 else rows * nt, K), np.int64),
    }
    d_base = len(act)
    images["act"] = np.concatenate([act, np.zeros((rows * nt if int8 else 0, K), np.int64)])
    d = Descriptor(m=bsz, kd=kh * kw * c, n=n, a_base=0, a_stride=a_stride, c_stride=0 if int8 else nt,
                   d_base=d_base if int8 else 0, d_stride=nt if int8 else 0, bias=bias is not None, relu=relu,
                   int8=int8, op=OP_CONV, in_h=h, in_w=wd, cin=c, tiled=tiled, kh=kh, kw=kw, stride_h=stride[0],
                   stride_w=stride[1], pad_t=pad[0], pad_l=pad[1], out_h=oh, out_w=ow, blk_rows=blk_rows)
    d.validate(cfg, "conv_layout")
    return [d], images


def pool_layout(cfg: SystolicConfig, x: np.ndarray, k: tuple[int, int], stride: tuple[int, int] | None = None
                ) -> tuple[list[Descriptor], dict[str, np.ndarray]]:
    """One POOL descriptor: x (B, H, W, C) int8 channel-tiled at ACT[0..], the int8 output after it
    (d_stride CT, channel-tiled)."""
    K = cfg.K
    x = np.asarray(x, dtype=np.int64)
    bsz, h, wd, c = x.shape
    stride = stride or k
    oh, ow = conv_out_size(h, k[0], stride[0], 0), conv_out_size(wd, k[1], stride[1], 0)
    act, a_stride = pack_tensor(x, K, True)
    ct = ceil_div(c, K)
    d = Descriptor(m=bsz, kd=k[0] * k[1], n=c, a_base=0, a_stride=a_stride, d_base=len(act), d_stride=ct,
                   int8=True, op=OP_POOL, in_h=h, in_w=wd, cin=c, tiled=True, kh=k[0], kw=k[1], stride_h=stride[0],
                   stride_w=stride[1], out_h=oh, out_w=ow)
    images = {"act": np.concatenate([act, np.zeros((bsz * oh * ow * ct, K), np.int64)])}
    d.validate(cfg, "pool_layout")
    return [d], images
