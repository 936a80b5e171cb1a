"""Matrix <-> scratchpad word layouts, hex images, and a one-GEMM job builder."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.systolic.config import SystolicConfig, ceil_div
from pymodel.systolic.descriptor import Descriptor
from pymodel.systolic.model import LANE_BITS, MEMORIES, pack_quant


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
        "quant": pack_columns(pack_quant(mult, shift) if int8 else np.zeros(n, np.int64), K),
    }
    d_base = m * kt
    if int8:
        images["act"] = np.concatenate([images["act"], np.zeros((m * nt, K), np.int64)])
    images["out"] = np.zeros((0 if int8 else m * nt, K), np.int64)
    from pymodel.systolic.model import depth_of

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
    from pymodel.systolic.model import _regions

    K = cfg.K
    ext = {name: len(images.get(name, ())) for name in MEMORIES}
    for d in descriptors:
        if d.check(cfg):
            break
        reg = _regions(d, K)
        ext["act"] = max(ext["act"], int(reg["a"].max()) + 1)
        ext["wgt"] = max(ext["wgt"], int(reg["b"].max()) + 1)
        if d.bias or d.int8:
            ext["bias"] = max(ext["bias"], int(reg["bq"].max()) + 1)
            ext["quant"] = max(ext["quant"], int(reg["bq"].max()) + 1)
        if d.acc or not d.int8:
            ext["out"] = max(ext["out"], int(reg["c"].max()) + 1)
        if d.int8:
            ext["act"] = max(ext["act"], int(reg["d"].max()) + 1)
    return ext
