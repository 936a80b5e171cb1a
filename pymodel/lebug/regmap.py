"""LeBug APB register map (docs/lebug.md) and the write records that program it."""

from __future__ import annotations

import numpy as np

from pymodel.lebug.config import LebugConfig
from pymodel.lebug.isa import Firmware, encode_firmware

ID_VALUE = 0x4C420001
REG_ID = 0x00000
REG_PARAMS = 0x00004
REG_CTRL = 0x00008
REG_NUM_CHAINS = 0x0000C
REG_STATUS = 0x00010
REG_ROWS = 0x00014
REG_DROPS = 0x00018
REG_CYCLES = 0x0001C
REG_VECTORS = 0x00020
REG_PARAMS2 = 0x00024
CHAIN_BASE = 0x01000
THRESH_BASE = 0x02000
TRACE_BASE = 0x10000
CTRL_ENABLE = 1 << 0
CTRL_CLEAR = 1 << 1
STATUS_CLEARING = 1 << 0
STATUS_WRAP = 1 << 1
STATUS_IDLE = 1 << 2


def params_word(cfg: LebugConfig) -> int:
    return cfg.N | (cfg.M << 8) | (cfg.DATA_W << 16) | (cfg.FRAC_W << 22) | (cfg.VSRU_FIRST << 28)


def params2_word(cfg: LebugConfig) -> int:
    return cfg.TB_DEPTH | ((cfg.CACHE_DEPTH - 1) << 16) | ((cfg.MAX_CHAINS - 1) << 24)


def program_records(cfg: LebugConfig, fw: Firmware, thresholds: np.ndarray,
                    base: int = 0, enable: bool = True) -> list[tuple[int, int]]:
    """(address, 32-bit data) writes that load firmware and thresholds, then enable.

    Order: disable, chain words (low word first), NUM_CHAINS, thresholds, clear, enable.
    """
    recs: list[tuple[int, int]] = [(base + REG_CTRL, 0)]
    for c, word in enumerate(encode_firmware(fw, cfg)):
        recs.append((base + CHAIN_BASE + 8 * c, word & 0xFFFFFFFF))
        recs.append((base + CHAIN_BASE + 8 * c + 4, word >> 32))
    recs.append((base + REG_NUM_CHAINS, fw.num_chains))
    for i, t in enumerate(np.asarray(thresholds, dtype=np.int64).tolist()):
        recs.append((base + THRESH_BASE + 4 * i, t & 0xFFFFFFFF))
    recs.append((base + REG_CTRL, CTRL_CLEAR))
    if enable:
        recs.append((base + REG_CTRL, CTRL_ENABLE))
    return recs


def trace_addr(cfg: LebugConfig, row: int, lane: int, base: int = 0) -> int:
    return base + TRACE_BASE + 4 * (row * cfg.N + lane)


# read-back: the trace buffer, then these registers (the one LeBug status decoder)
STATUS_REGS = (REG_STATUS, REG_ROWS, REG_DROPS, REG_CYCLES, REG_VECTORS)


def readback_addrs(cfg: LebugConfig, base: int = 0) -> list[int]:
    """APB addresses a run reads back: every trace-buffer word (row-major), then STATUS_REGS."""
    return [trace_addr(cfg, 0, 0, base) + 4 * i for i in range(cfg.TB_DEPTH * cfg.N)] + \
        [base + a for a in STATUS_REGS]


def decode_status(words: list[int] | np.ndarray) -> dict[str, int]:
    """STATUS, ROWS, DROPS, CYCLES, VECTORS words -> the status dict the emulator predicts."""
    st, rows, drops, cycles, vectors = (int(w) for w in words)
    return {"rows": rows, "drops": drops, "cycles": cycles, "vectors": vectors,
            "wrap": int(bool(st & STATUS_WRAP)), "pack_fill": (st >> 8) & 0xFF}


def decode_readback(cfg: LebugConfig, words: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Words read at readback_addrs -> (trace-buffer memory (TB_DEPTH, N) signed, status)."""
    n = cfg.TB_DEPTH * cfg.N
    v = np.asarray(words, dtype=np.int64)
    mem = np.where(v[:n] >= 1 << 31, v[:n] - (1 << 32), v[:n]).reshape(cfg.TB_DEPTH, cfg.N)
    return mem, decode_status(v[n:n + len(STATUS_REGS)])


def trace_from_mem(tb_mem: np.ndarray, rows_written: int) -> np.ndarray:
    """Surviving trace rows in write order from the circular trace-buffer memory."""
    depth = tb_mem.shape[0]
    if rows_written <= depth:
        return tb_mem[:rows_written]
    start = rows_written % depth
    return np.concatenate([tb_mem[start:], tb_mem[:start]])
