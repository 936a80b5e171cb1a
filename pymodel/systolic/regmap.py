"""Systolic APB register map (docs/systolic.md) and the write records that program it.

Scratchpad words wider than 32 bits are split into 32-bit chunks at
consecutive addresses, low chunk first; the hardware commits a word when its
top chunk is written (lower chunks wait in a staging register).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pymodel.bitfields import pack, unpack
from pymodel.errors import AccelscopeError
from pymodel.systolic import regs
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import WORDS, Descriptor
from pymodel.systolic.model import LANE_BITS, depth_of

A, F = regs.ADDR, regs.FIELDS  # rtl/systolic/systolic.rdl
ID_VALUE = regs.RESET["ID"]
REG_ID = A["ID"]
REG_PARAMS0 = A["PARAMS0"]
REG_PARAMS1 = A["PARAMS1"]
REG_PARAMS2 = A["PARAMS2"]
REG_CTRL = A["CTRL"]
REG_NUM_DESC = A["NUM_DESC"]
REG_STATUS = A["STATUS"]
REG_CYCLES = A["CYCLES"]
REG_BUSY = A["BUSY"]
REG_MACS = A["MACS"]
REG_STALLS = A["STALLS"]
REG_ROWS = A["ROWS"]
CTRL_START = pack(F["CTRL"], {"START": 1})
COUNTER_REGS = {"cycles": REG_CYCLES, "busy": REG_BUSY, "macs": REG_MACS, "stalls": REG_STALLS, "rows": REG_ROWS}
REGS_END = regs.REGS_END  # the register window is [0, REGS_END)

BASE = {name: regs.MEMS[name.upper()][0] for name in ("cmd", "act", "wgt", "bias", "quant", "out")}


def chunks(cfg: SystolicConfig, name: str) -> int:
    """32-bit APB chunks per word of a memory region."""
    if name == "cmd":
        return WORDS
    if name in ("act", "wgt"):
        return cfg.act_chunks
    if name in ("bias", "quant", "out"):
        return cfg.K
    raise AccelscopeError(f"unknown memory {name!r}")


def word_addr(cfg: SystolicConfig, name: str, word: int, chunk: int = 0) -> int:
    return BASE[name] + 4 * (word * chunks(cfg, name) + chunk)


def params0(cfg: SystolicConfig) -> int:
    return pack(F["PARAMS0"], {"K": cfg.K, "LOG2_CMD_DEPTH": cfg.CMD_DEPTH.bit_length() - 1,
                               "LOG2_ACC_DEPTH": cfg.ACC_DEPTH.bit_length() - 1})


def params1(cfg: SystolicConfig) -> int:
    return pack(F["PARAMS1"], {f"LOG2_{m}_DEPTH": getattr(cfg, f"{m}_DEPTH").bit_length() - 1
                               for m in ("ACT", "WGT", "BQ", "OUT")})


def params2(cfg: SystolicConfig) -> int:
    """PARAMS2: the CONV window parameters (WIN_ROWS, log2 WIN_BYTES)."""
    return pack(F["PARAMS2"], {"WIN_ROWS": cfg.WIN_ROWS, "LOG2_WIN_BYTES": cfg.WIN_BYTES.bit_length() - 1})


def words_to_chunks(cfg: SystolicConfig, name: str, words: np.ndarray) -> np.ndarray:
    """(n, K) lane values -> (n, chunks) uint32 APB data, low chunk first."""
    bits = LANE_BITS[name]
    ch = chunks(cfg, name)
    raw = (np.asarray(words, dtype=np.int64) & ((1 << bits) - 1)).astype("<u1" if bits == 8 else "<u4")
    b = raw.view(np.uint8).reshape(len(raw), -1)
    pad = np.zeros((len(raw), ch * 4), dtype=np.uint8)
    pad[:, : b.shape[1]] = b
    return pad.view("<u4").astype(np.int64)


def chunks_to_words(cfg: SystolicConfig, name: str, data: np.ndarray) -> np.ndarray:
    """Inverse of words_to_chunks (signed lanes except QUANT)."""
    bits = LANE_BITS[name]
    data = np.asarray(data, dtype=np.int64)
    b = data.astype("<u4").view(np.uint8).reshape(len(data), -1)[:, : cfg.K * bits // 8]
    vals = np.ascontiguousarray(b).view("<u1" if bits == 8 else "<u4").astype(np.int64)
    if name != "quant":
        vals = np.where(vals >= 1 << (bits - 1), vals - (1 << bits), vals)
    return vals


def mem_records(cfg: SystolicConfig, name: str, words: np.ndarray, base_word: int = 0) -> list[tuple[int, int]]:
    """APB writes that store words at base_word.. of a scratchpad (low chunk first)."""
    words = np.asarray(words, dtype=np.int64)
    if base_word < 0 or base_word + len(words) > depth_of(cfg, name):
        raise AccelscopeError(f"{name}: words {base_word}..{base_word + len(words) - 1} outside depth "
                              f"{depth_of(cfg, name)}")
    data = words_to_chunks(cfg, name, words)
    ch = chunks(cfg, name)
    addrs = BASE[name] + 4 * ((base_word + np.arange(len(words)))[:, None] * ch + np.arange(ch)[None, :])
    return list(zip(addrs.ravel().tolist(), data.ravel().tolist()))


def num_desc_value(first: int, count: int, cfg: SystolicConfig | None = None) -> int:
    """NUM_DESC: run CMD[first .. first+count-1] (the FIRST and COUNT fields of systolic.rdl).
    With cfg, also the hardware's rule (count >= 1, first + count <= CMD_DEPTH)."""
    if cfg is not None and not (count >= 1 and first >= 0 and first + count <= cfg.CMD_DEPTH):
        raise AccelscopeError(f"NUM_DESC FIRST={first} COUNT={count}: need COUNT >= 1 and FIRST + COUNT <= "
                              f"{cfg.CMD_DEPTH}")
    return pack(F["NUM_DESC"], {"FIRST": first, "COUNT": count})


def descriptor_records(cfg: SystolicConfig, descriptors: Sequence[Descriptor], first: int = 0,
                       num_desc: bool = True) -> list[tuple[int, int]]:
    """The descriptors written to CMD[first..] and (num_desc) NUM_DESC = (first, len)."""
    value = num_desc_value(first, len(descriptors), cfg)
    recs = []
    for i, d in enumerate(descriptors):
        for j, w in enumerate(d.encode()):
            recs.append((word_addr(cfg, "cmd", first + i, j), w))
    if num_desc:
        recs.append((REG_NUM_DESC, value))
    return recs


def program_records(cfg: SystolicConfig, descriptors: Sequence[Descriptor],
                    images: dict[str, np.ndarray] | None = None, start: bool = True,
                    first: int = 0) -> list[tuple[int, int]]:
    """(address, data) writes: scratchpad images, descriptors (at CMD[first..]), NUM_DESC, then CTRL.start."""
    recs: list[tuple[int, int]] = []
    for name, words in (images or {}).items():
        if len(words):
            recs += mem_records(cfg, name, words)
    recs += descriptor_records(cfg, descriptors, first)
    if start:
        recs.append((REG_CTRL, CTRL_START))
    return recs


def decode_status(word: int) -> dict[str, int]:
    return {k.lower(): v for k, v in unpack(F["STATUS"], word).items()}


# read-back after a run: the counters (COUNTER_REGS order), then STATUS (the one systolic decoder)
READBACK_REGS = (*COUNTER_REGS.values(), REG_STATUS)


def readback_addrs(cfg: SystolicConfig, base: int = 0) -> list[int]:
    """APB addresses a run reads back: the counters, then STATUS (base: the block's window)."""
    return [base + a for a in READBACK_REGS]


def decode_readback(words: Sequence[int] | np.ndarray) -> tuple[dict[str, int], dict[str, int]]:
    """Words read at readback_addrs -> (counters, status) as the model predicts them."""
    w = [int(x) for x in words]
    if len(w) != len(READBACK_REGS):
        raise AccelscopeError(f"systolic read-back: {len(w)} words, expected {len(READBACK_REGS)}")
    return dict(zip(COUNTER_REGS, w[:-1])), decode_status(w[-1])
