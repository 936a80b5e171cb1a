"""The top level's APB map (docs/top.md): windows for the blocks and the top registers."""

from __future__ import annotations

from pymodel.bundle import Region
from pymodel.lebug import regmap as lb
from pymodel.systolic import regmap as sy
from pymodel.systolic.descriptor import WORDS
from pymodel.top.config import TopConfig

SYS_BASE = 0x000000
LEBUG_BASE = 0x800000
TOP_BASE = 0x900000
TOP_ID_VALUE = 0x544F0001
REG_ID = TOP_BASE + 0x00
REG_PARAMS = TOP_BASE + 0x04
REG_CTRL = TOP_BASE + 0x08
REG_TAP_ROWS = TOP_BASE + 0x0C
REG_TAP_DROPS = TOP_BASE + 0x10
REG_TAP_VECTORS = TOP_BASE + 0x14
REG_TAP_MAXFILL = TOP_BASE + 0x18
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
    out = [Region("sys_regs", SYS_BASE, 0x100, "registers")]
    for name, mem in SYS_MEMS.items():
        out.append(Region(name, SYS_BASE + sy.BASE[mem], 4 * sy.chunks(cfg.sys, mem) * sys_mem_capacity(cfg, mem),
                          "memory"))
    out += [Region("lebug_regs", LEBUG_BASE, 0x100, "registers"),
            Region("lebug_chains", LEBUG_BASE + lb.CHAIN_BASE, 8 * cfg.lebug.MAX_CHAINS, "memory"),
            Region("lebug_thresh", LEBUG_BASE + lb.THRESH_BASE, 4 * cfg.lebug.n_thresholds, "memory"),
            Region("top_regs", TOP_BASE, 0x100, "registers")]
    return out
