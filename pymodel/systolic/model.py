"""Bit-exact numpy model of rtl/systolic: results, output row stream and cycle counters.

Memories are (words, K) int64 arrays of lane values: ACT and WGT hold int8
lanes, BIAS and OUT int32 lanes, QUANT raw 32-bit lane words
(mult | shift << 24). `run` executes a descriptor list exactly as the
sequencer does and predicts every performance counter in closed form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from pymodel.systolic import regs
from pymodel.errors import AccelscopeError
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import ERR_NONE, Descriptor

MEMORIES = ("act", "wgt", "bias", "quant", "out")
LANE_BITS = {"act": 8, "wgt": 8, "bias": 32, "quant": 32, "out": 32}
_MULT_LSB, MULT_BITS = regs.ENTRIES["QUANT_LANE"]["mult"]  # rtl/systolic/systolic.rdl
_SHIFT_LSB, SHIFT_BITS = regs.ENTRIES["QUANT_LANE"]["shift"]
OVERHEAD_FIXED = 3  # FETCH, DECODE, CHECK


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


def descriptor_counters(cfg: SystolicConfig, d: Descriptor) -> Counters:
    """Closed-form counters of one descriptor that passes CHECK (docs/systolic.md, "Timing")."""
    K = cfg.K
    kt, nt = d.kt(K), d.nt(K)
    p = max(d.m, K)
    drain = cfg.latency + 5 - (p - d.m)
    return Counters(cycles=OVERHEAD_FIXED + nt * kt * p + drain, busy=nt * kt * p, macs=d.m * d.kd * d.n,
                    stalls=nt * kt * (p - d.m), rows=d.m * nt)


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
    """Word addresses a descriptor touches, as index arrays in stream order."""
    kt, nt = d.kt(K), d.nt(K)
    m = np.arange(d.m, dtype=np.int64)
    out = {
        "a": (d.a_base + m[:, None] * d.a_stride + np.arange(kt)[None, :]),  # (M, KT)
        "b": d.b_base + np.arange(nt * kt * K, dtype=np.int64),
        "bq": d.bq_base + np.arange(nt, dtype=np.int64),
        "c": d.c_base + m[:, None] * d.c_stride + np.arange(nt)[None, :],  # (M, NT)
        "d": d.d_base + m[:, None] * d.d_stride + np.arange(nt)[None, :],
    }
    return out


def check_hazards(d: Descriptor, K: int, where: str = "descriptor") -> None:
    """Reject what the hardware leaves undefined: overlapping destinations, destination over A."""
    reg = _regions(d, K)
    dst = reg["d"] if d.int8 else reg["c"]
    if len(np.unique(dst)) != dst.size:
        raise AccelscopeError(f"{where}: destination rows overlap ({'d' if d.int8 else 'c'}_stride "
                              f"{d.d_stride if d.int8 else d.c_stride} < {d.nt(K)} n-tiles)")
    if d.int8 and np.intersect1d(reg["d"], reg["a"]).size:
        raise AccelscopeError(f"{where}: int8 destination D overlaps its own input A in the activation scratchpad")


def run(cfg: SystolicConfig, descriptors: Sequence[Descriptor], images: Mapping[str, np.ndarray]) -> RunResult:
    """Run descriptors 0..len-1 as the RTL does after `start`."""
    K = cfg.K
    if not 1 <= len(descriptors) <= cfg.CMD_DEPTH:
        raise AccelscopeError(f"{len(descriptors)} descriptors: NUM_DESC must be in 1..{cfg.CMD_DEPTH}")
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
            return RunResult(mems, _cat(streams, K), _cat(eofs, 2), total, code, i, per)
        check_hazards(d, K, f"descriptor {i}")
        res = _gemm(cfg, d, mems)  # (M, NT*K) final lane values
        nt = d.nt(K)
        reg = _regions(d, K)
        words = res.reshape(d.m, nt, K)
        if d.int8:
            mems["act"][reg["d"]] = words
        else:
            mems["out"][reg["c"]] = words
        rows = words.transpose(1, 0, 2).reshape(nt * d.m, K)
        eof = np.zeros((len(rows), 2), dtype=np.int64)
        eof[-1, 0] = 1
        eof[-1, 1] = int(i == len(descriptors) - 1)
        streams.append(rows)
        eofs.append(eof)
        c = descriptor_counters(cfg, d)
        per.append(c)
        total = _add(total, c)
    return RunResult(mems, _cat(streams, K), _cat(eofs, 2), total, ERR_NONE, len(descriptors) - 1, per)


def _gemm(cfg: SystolicConfig, d: Descriptor, mems: Mapping[str, np.ndarray]) -> np.ndarray:
    K = cfg.K
    kt, nt = d.kt(K), d.nt(K)
    reg = _regions(d, K)
    a = mems["act"][reg["a"]].reshape(d.m, kt * K)[:, : d.kd]
    w = mems["wgt"][reg["b"]].reshape(nt, kt, K, K).transpose(1, 2, 0, 3).reshape(kt * K, nt * K)
    w = w[: d.kd]  # columns >= N are zero-masked below
    acc = a @ w  # exact in int64
    if d.acc:
        acc = acc + mems["out"][reg["c"]].reshape(d.m, nt * K)
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
        raise AccelscopeError(f"requant scale must be finite and in [0, 2^{MULT_BITS}), got {scale.min()}..{scale.max()}")
    s = np.arange(32)
    fits = np.floor(scale[:, None] * np.exp2(s)[None, :] + 0.5) < (1 << MULT_BITS)  # (n, 32), monotone in s
    shift = np.maximum(fits.sum(axis=1) - 1, 0).astype(np.int64)
    mult = np.minimum(np.floor(scale * np.exp2(shift) + 0.5), (1 << MULT_BITS) - 1).astype(np.int64)
    return mult, shift
