"""The LeBug firmware compiler: `cp.begin_chain()` ... `cp.end_chain()`, `cp.compile()`.

Instructions are checked as they are issued; errors name the chain and the
instruction (`chain 2, instruction 3 (vv_add): ...`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.fixed import default_thresholds, wrap
from pymodel.lebug.isa import COND_CODES, Chain, Cond, Firmware, check_chain


def _order(cfg: LebugConfig) -> list[str]:
    """Instruction kinds in hardware order (docs/lebug.md)."""
    alu = ["v_mc_load", "vv_op", "v_cache", "v_mc_save"]
    front = ["vv_filter", "m_reduce"]
    return front + (["v_reduce"] + alu if cfg.VSRU_FIRST else alu + ["v_reduce"]) + ["v_commit"]


class Compiler:
    """Builds a `Firmware` for one hardware configuration."""

    def __init__(self, cfg: LebugConfig | None = None, name: str = "firmware") -> None:
        self.cfg = cfg or LebugConfig()
        self.name = name
        self._order = _order(self.cfg)
        self._chains: list[Chain] = []
        self._cur: Chain | None = None
        self._kinds: list[str] = []
        self._thresholds: np.ndarray | None = None

    # -- structure ---------------------------------------------------------
    def _where(self, instr: str) -> str:
        return f"chain {len(self._chains)}, instruction {len(self._kinds)} ({instr})"

    def _fail(self, instr: str, msg: str) -> None:
        raise AccelscopeError(f"{self.name}: {self._where(instr)}: {msg}")

    def begin_chain(self) -> None:
        if self._cur is not None:
            self._fail("begin_chain", "begin_chain inside an open chain (missing end_chain)")
        self._kinds = []
        if len(self._chains) >= self.cfg.MAX_CHAINS:
            self._fail("begin_chain", f"too many chains: MAX_CHAINS={self.cfg.MAX_CHAINS}")
        self._cur = Chain()
        self._kinds = []

    def end_chain(self) -> None:
        if self._cur is None:
            raise AccelscopeError(f"{self.name}: end_chain without begin_chain (after chain {len(self._chains) - 1})")
        if "vv_filter" in self._kinds and "m_reduce" not in self._kinds:
            self._fail("end_chain", "vv_filter needs an m_reduce in the same chain")
        self._chains.append(self._cur)
        self._cur = None

    def compile(self) -> Firmware:
        if self._cur is not None:
            raise AccelscopeError(f"{self.name}: compile with chain {len(self._chains)} still open (missing end_chain)")
        if not self._chains:
            raise AccelscopeError(f"{self.name}: firmware has no chains")
        return Firmware(tuple(self._chains), self._thresholds, self.name)

    def _add(self, kind: str, instr: str, **changes: Any) -> None:
        if self._cur is None:
            raise AccelscopeError(f"{self.name}: {instr} outside a chain (call begin_chain first)")
        if kind in self._kinds:
            self._fail(instr, f"second {kind.replace('vv_op', 'vv_<op>')} in one chain (one per unit slot)")
        rank = self._order.index(kind)
        for prev in self._kinds:
            if self._order.index(prev) > rank:
                self._fail(instr, f"out of hardware order: {instr} must come before {prev} "
                                  f"(order: {', '.join(self._order)})")
        new = replace(self._cur, **changes)
        try:
            check_chain(new, self.cfg, self._where(instr))
        except AccelscopeError as e:
            raise AccelscopeError(f"{self.name}: {e}") from None
        self._cur = new
        self._kinds.append(kind)

    def _cond(self, instr: str, cond1: str | None, cond2: str | None) -> Cond:
        out = []
        for c in (cond1, cond2):
            if c not in COND_CODES:
                self._fail(instr, f"unknown condition {c!r}; use first, last, notfirst or notlast")
            out.append(COND_CODES[c])
        return (out[0], out[1])

    @staticmethod
    def _int(val: Any) -> bool:
        return isinstance(val, (int, np.integer)) and not isinstance(val, bool)

    # -- FRU ---------------------------------------------------------------
    def vv_filter(self, row: int) -> None:
        if not self._int(row):
            self._fail("vv_filter", f"row must be an integer, got {row!r}")
        self._add("vv_filter", "vv_filter", filt_row=int(row))

    def m_reduce(self, axis: str = "N") -> None:
        if axis not in ("N", "M"):
            self._fail("m_reduce", f"axis must be 'N' or 'M', got {axis!r}")
        if "vv_filter" not in self._kinds:
            self._fail("m_reduce", "m_reduce needs a vv_filter before it in the same chain")
        self._add("m_reduce", "m_reduce", mred=axis)

    # -- VVALU -------------------------------------------------------------
    def v_mc_load(self) -> None:
        self._add("v_mc_load", "v_mc_load", mc_load=True)

    def _vv(self, op: str, addr: int, cond1: str | None, cond2: str | None) -> None:
        instr = f"vv_{op}"
        if not self._int(addr):
            self._fail(instr, f"cache address must be an integer, got {addr!r}")
        self._add("vv_op", instr, alu_op=op, alu_addr=int(addr), alu_cond=self._cond(instr, cond1, cond2))

    def vv_add(self, addr: int, cond1: str | None = None, cond2: str | None = None) -> None:
        self._vv("add", addr, cond1, cond2)

    def vv_sub(self, addr: int, cond1: str | None = None, cond2: str | None = None) -> None:
        self._vv("sub", addr, cond1, cond2)

    def vv_mul(self, addr: int, cond1: str | None = None, cond2: str | None = None) -> None:
        self._vv("mul", addr, cond1, cond2)

    def vv_max(self, addr: int, cond1: str | None = None, cond2: str | None = None) -> None:
        self._vv("max", addr, cond1, cond2)

    def v_cache(self, addr: int, cond1: str | None = None, cond2: str | None = None) -> None:
        if not self._int(addr):
            self._fail("v_cache", f"cache address must be an integer, got {addr!r}")
        self._add("v_cache", "v_cache", cache_addr=int(addr), cache_cond=self._cond("v_cache", cond1, cond2))

    def v_mc_save(self) -> None:
        self._add("v_mc_save", "v_mc_save", mc_save=True)

    # -- VSRU / DP ---------------------------------------------------------
    def v_reduce(self) -> None:
        self._add("v_reduce", "v_reduce", vsru=True)

    def v_commit(self, size: int | None = None, cond1: str | None = None, cond2: str | None = None) -> None:
        size = self.cfg.N if size is None else size
        if not self._int(size) or int(size) not in (1, self.cfg.M, self.cfg.N):
            self._fail("v_commit", f"size {size!r} not in {{1, M={self.cfg.M}, N={self.cfg.N}}}")
        self._add("v_commit", "v_commit", commit_size=int(size), commit_cond=self._cond("v_commit", cond1, cond2))

    # -- thresholds ----------------------------------------------------------
    def set_threshold_row(self, row: int, raw_values: list[int] | np.ndarray) -> None:
        """Give filter row `row` its M+1 thresholds (raw words); the rest stay 0, 1, 2, ..."""
        vals = np.asarray(raw_values, dtype=np.int64)
        if not 0 <= row < self.cfg.FU_ROWS or vals.shape != (self.cfg.M + 1,):
            raise AccelscopeError(
                f"{self.name}: set_threshold_row({row}): need row in 0..{self.cfg.FU_ROWS - 1} "
                f"and {self.cfg.M + 1} values, got {vals.shape}")
        if self._thresholds is None:
            self._thresholds = default_thresholds(self.cfg)
        self._thresholds[row * self.cfg.M: row * self.cfg.M + self.cfg.M + 1] = wrap(vals, self.cfg.DATA_W)
