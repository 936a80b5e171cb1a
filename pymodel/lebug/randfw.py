"""Random legal firmware, for property tests and randomized regressions."""

from __future__ import annotations

import numpy as np

from pymodel.lebug.compiler import Compiler
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.isa import Firmware

_CONDS = [None, None, None, "first", "last", "notfirst", "notlast"]


def random_firmware(cfg: LebugConfig, rng: np.random.Generator, max_chains: int | None = None) -> Firmware:
    """A random firmware obeying every compiler rule (hardware order, one per slot)."""
    cp = Compiler(cfg, "random")
    nmax = min(cfg.MAX_CHAINS, max_chains or cfg.MAX_CHAINS)
    addr_hi = min(cfg.CACHE_DEPTH, 4)

    def cond() -> tuple[str | None, str | None]:
        return (_CONDS[rng.integers(len(_CONDS))], _CONDS[rng.integers(len(_CONDS))] if rng.random() < 0.3 else None)

    for _ in range(int(rng.integers(1, nmax + 1))):
        cp.begin_chain()
        if rng.random() < 0.3:
            cp.vv_filter(int(rng.integers(cfg.FU_ROWS)))
            cp.m_reduce("N" if rng.random() < 0.5 else "M")
        red = rng.random() < 0.2
        if red and cfg.VSRU_FIRST:
            cp.v_reduce()
        if rng.random() < 0.3:
            cp.v_mc_load()
        if rng.random() < 0.7:
            op = ["add", "sub", "mul", "max"][rng.integers(4)]
            getattr(cp, f"vv_{op}")(int(rng.integers(addr_hi)), *cond())
        if rng.random() < 0.6:
            cp.v_cache(int(rng.integers(addr_hi)), *cond())
        if rng.random() < 0.4:
            cp.v_mc_save()
        if red and not cfg.VSRU_FIRST:
            cp.v_reduce()
        if rng.random() < 0.7:
            cp.v_commit([1, cfg.M, cfg.N][rng.integers(3)], *cond())
        cp.end_chain()
    return cp.compile()


def random_stream(cfg: LebugConfig, rng: np.random.Generator, n: int,
                  span: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Raw input vectors (small magnitudes exercise the filters, some extremes the wrap)
    and EOF bits with both levels exercised."""
    lo, hi = -(1 << (cfg.DATA_W - 1)), (1 << (cfg.DATA_W - 1)) - 1
    span = span if span is not None else (6 << cfg.FRAC_W)
    x = rng.integers(-span, span + 1, size=(n, cfg.N), dtype=np.int64)
    extreme = rng.random((n, cfg.N)) < 0.03
    x[extreme] = rng.choice([lo, hi, 0, -1], size=int(extreme.sum()))
    eof = np.zeros((n, 2), dtype=np.int64)
    eof[:, 0] = rng.random(n) < 0.25
    eof[:, 1] = eof[:, 0] & (rng.random(n) < 0.4)
    return x, eof
