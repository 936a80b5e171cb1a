"""The top level's APB map (docs/top.md): windows for the blocks and the top registers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pymodel.bitfields import pack
from pymodel.bundle import Region
from pymodel.errors import AccelscopeError
from pymodel.lebug import regmap as lb
from pymodel.systolic import regmap as sy
from pymodel.systolic.descriptor import WORDS
from pymodel.top import regs
from pymodel.top.config import TopConfig

SYS_BASE = regs.WINDOWS["SYS"][0]  # rtl/top/accel_top.rdl
LEBUG_BASE = regs.WINDOWS["LEBUG"][0]
TOP_BASE = regs.WINDOWS["TOP"][0]
TOP_ID_VALUE = regs.RESET["ID"]
REG_ID = regs.ADDR["ID"]
REG_PARAMS = regs.ADDR["PARAMS"]
REG_CTRL = regs.ADDR["CTRL"]
REG_TAP_ROWS = regs.ADDR["TAP_ROWS"]
REG_TAP_DROPS = regs.ADDR["TAP_DROPS"]
REG_TAP_VECTORS = regs.ADDR["TAP_VECTORS"]
REG_TAP_MAXFILL = regs.ADDR["TAP_MAXFILL"]
CTRL_CLEAR = pack(regs.FIELDS["CTRL"], {"CLEAR": 1})
TAP_REGS = {"rows": REG_TAP_ROWS, "drops": REG_TAP_DROPS, "vectors": REG_TAP_VECTORS, "maxfill": REG_TAP_MAXFILL}

# memory name in a bundle -> systolic scratchpad name
SYS_MEMS = {"sys_cmd": "cmd", "sys_act": "act", "sys_wgt": "wgt", "sys_bias": "bias", "sys_quant": "quant",
            "sys_out": "out"}


def sys_mem_width(cfg: TopConfig, mem: str) -> int:
    return 32 * WORDS if mem == "cmd" else (8 if mem in ("act", "wgt") else 32) * cfg.sys.K


def sys_mem_capacity(cfg: TopConfig, mem: str) -> int:
    s = cfg.sys
    return {"cmd": s.CMD_DEPTH, "act": s.ACT_DEPTH, "wgt": s.WGT_DEPTH, "bias": s.BQ_DEPTH, "quant": s.BQ_DEPTH,
            "out": s.OUT_DEPTH}[mem]


def regions(cfg: TopConfig) -> list[Region]:
    """Every window a bundle may write, with its size in bytes."""
    out = [Region("sys_regs", SYS_BASE, sy.REGS_END, "registers")]
    for name, mem in SYS_MEMS.items():
        out.append(Region(name, SYS_BASE + sy.BASE[mem], 4 * sy.chunks(cfg.sys, mem) * sys_mem_capacity(cfg, mem),
                          "memory"))
    out += [Region("lebug_regs", LEBUG_BASE, lb.REGS_END, "registers"),
            Region("lebug_chains", LEBUG_BASE + lb.CHAIN_BASE, lb.CHAIN_BYTES * cfg.lebug.MAX_CHAINS, "memory"),
            Region("lebug_thresh", LEBUG_BASE + lb.THRESH_BASE, 4 * cfg.lebug.n_thresholds, "memory"),
            Region("top_regs", TOP_BASE, regs.REGS_END - TOP_BASE, "registers")]
    return out


# read-back after a run (tb/top/jobs.py): the systolic counters and status, the tap
# registers, LeBug's trace buffer and status (each block's own decoder)
TAP_READBACK = ("rows", "drops", "vectors", "maxfill")


def readback_addrs(cfg: TopConfig) -> list[int]:
    """APB addresses a bundle run reads back, in decode_readback's order."""
    return (sy.readback_addrs(cfg.sys, SYS_BASE) + [TAP_REGS[k] for k in TAP_READBACK]
            + lb.readback_addrs(cfg.lebug, LEBUG_BASE))


def decode_tap(words: Sequence[int] | np.ndarray) -> tuple[dict[str, int], int]:
    """TAP_READBACK words -> (tap counters as pymodel.top.model.expected predicts them, max FIFO fill)."""
    w = [int(x) for x in words]
    return dict(zip(TAP_READBACK[:3], w[:3])), w[3]


@dataclass
class TopReadback:
    counters: dict[str, int]  # systolic counters
    status: dict[str, int]  # systolic STATUS
    tap: dict[str, int]
    maxfill: int
    trace: np.ndarray  # LeBug trace-buffer memory (TB_DEPTH, N)
    lebug_status: dict[str, int]


def decode_readback(cfg: TopConfig, words: Sequence[int] | np.ndarray) -> TopReadback:
    """Words read at readback_addrs -> every block's registers, decoded."""
    w = np.asarray(words, dtype=np.int64)
    n_sys = len(sy.READBACK_REGS)
    n_tap = len(TAP_READBACK)
    n_lb = len(lb.readback_addrs(cfg.lebug))
    if len(w) != n_sys + n_tap + n_lb:
        raise AccelscopeError(f"top read-back: {len(w)} words, expected {n_sys + n_tap + n_lb}")
    counters, status = sy.decode_readback(w[:n_sys])
    tap, maxfill = decode_tap(w[n_sys:n_sys + n_tap])
    trace, lstatus = lb.decode_readback(cfg.lebug, w[n_sys + n_tap:])
    return TopReadback(counters, status, tap, maxfill, trace, lstatus)
