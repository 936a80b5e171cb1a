"""LeBug APB register map (docs/lebug.md) and the write records that program it."""

from __future__ import annotations

import numpy as np

from pymodel.bitfields import pack, signed32, unpack
from pymodel.lebug import regs
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.isa import Firmware, encode_firmware

A, F = regs.ADDR, regs.FIELDS  # rtl/lebug/lebug.rdl
ID_VALUE = regs.RESET["ID"]
REG_ID = A["ID"]
REG_PARAMS = A["PARAMS"]
REG_CTRL = A["CTRL"]
REG_NUM_CHAINS = A["NUM_CHAINS"]
REG_STATUS = A["STATUS"]
REG_ROWS = A["ROWS"]
REG_DROPS = A["DROPS"]
REG_CYCLES = A["CYCLES"]
REG_VECTORS = A["VECTORS"]
REG_PARAMS2 = A["PARAMS2"]
REGS_END = regs.REGS_END  # the register window is [0, REGS_END)
CHAIN_BASE, _, CHAIN_BYTES = regs.MEMS["CHAIN"]
THRESH_BASE = regs.MEMS["THRESH"][0]
TRACE_BASE = regs.MEMS["TRACE"][0]
CTRL_ENABLE = pack(F["CTRL"], {"ENABLE": 1})
CTRL_CLEAR = pack(F["CTRL"], {"CLEAR": 1})
STATUS_IDLE = pack(F["STATUS"], {"IDLE": 1})


def params_word(cfg: LebugConfig) -> int:
    return pack(F["PARAMS"], {"N": cfg.N, "M": cfg.M, "DATA_W": cfg.DATA_W, "FRAC_W": cfg.FRAC_W,
                              "VSRU_FIRST": cfg.VSRU_FIRST})


def params2_word(cfg: LebugConfig) -> int:
    return pack(F["PARAMS2"], {"TB_DEPTH": cfg.TB_DEPTH, "CACHE_DEPTH_M1": cfg.CACHE_DEPTH - 1,
                               "MAX_CHAINS_M1": cfg.MAX_CHAINS - 1})


def program_records(cfg: LebugConfig, fw: Firmware, thresholds: np.ndarray,
                    base: int = 0, enable: bool = True) -> list[tuple[int, int]]:
    """(address, 32-bit data) writes that load firmware and thresholds, then enable.

    Order: disable, chain words (low word first), NUM_CHAINS, thresholds, clear, enable.
    """
    recs: list[tuple[int, int]] = [(base + REG_CTRL, 0)]
    for c, word in enumerate(encode_firmware(fw, cfg)):
        for k in range(CHAIN_BYTES // 4):  # 32-bit words of a chain word, low first
            recs.append((base + CHAIN_BASE + CHAIN_BYTES * c + 4 * k, (word >> 32 * k) & 0xFFFFFFFF))
    recs.append((base + REG_NUM_CHAINS, fw.num_chains))
    for i, t in enumerate(np.asarray(thresholds, dtype=np.int64).tolist()):
        recs.append((base + THRESH_BASE + 4 * i, t & 0xFFFFFFFF))
    recs.append((base + REG_CTRL, CTRL_CLEAR))
    if enable:
        recs.append((base + REG_CTRL, CTRL_ENABLE))
    return recs


def junk_records(cfg: LebugConfig, rng: np.random.Generator, base: int = 0) -> list[tuple[int, int]]:
    """Random 32-bit words into every chain slot and threshold and a random NUM_CHAINS: written
    before program_records, they check that programming overwrites everything it uses and that
    chain slots beyond NUM_CHAINS are ignored (and toggle every configuration bit both ways)."""
    recs: list[tuple[int, int]] = []
    for c in range(cfg.MAX_CHAINS):
        for k in range(CHAIN_BYTES // 4):
            recs.append((base + CHAIN_BASE + CHAIN_BYTES * c + 4 * k, int(rng.integers(0, 1 << 32))))
    recs.append((base + REG_NUM_CHAINS, int(rng.integers(1, cfg.MAX_CHAINS + 1))))
    for i in range(cfg.n_thresholds):
        recs.append((base + THRESH_BASE + 4 * i, int(rng.integers(0, 1 << 32))))
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
    f = unpack(F["STATUS"], st)
    return {"rows": rows, "drops": drops, "cycles": cycles, "vectors": vectors,
            "wrap": f["WRAP"], "pack_fill": f["PACK_FILL"]}


def decode_readback(cfg: LebugConfig, words: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Words read at readback_addrs -> (trace-buffer memory (TB_DEPTH, N) signed, status)."""
    n = cfg.TB_DEPTH * cfg.N
    v = np.asarray(words, dtype=np.int64)
    mem = signed32(v[:n]).reshape(cfg.TB_DEPTH, cfg.N)
    return mem, decode_status(v[n:n + len(STATUS_REGS)])


def trace_from_mem(tb_mem: np.ndarray, rows_written: int) -> np.ndarray:
    """Surviving trace rows in write order from the circular trace-buffer memory."""
    depth = tb_mem.shape[0]
    if rows_written <= depth:
        return tb_mem[:rows_written]
    start = rows_written % depth
    return np.concatenate([tb_mem[start:], tb_mem[:start]])
