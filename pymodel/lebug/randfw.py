"""Random legal firmware, for property tests and randomized regressions.

`random_case` is the constrained-random LeBug case of `accelscope regress` (tb/regress,
docs/verification.md "Testplan"): firmware, thresholds, a stream and, for some seeds,
back-to-back pushes that overflow the input buffer."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pymodel.lebug.compiler import Compiler
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.isa import Firmware
from pymodel.lebug.regmap import junk_records

_CONDS = [None, None, None, "first", "last", "notfirst", "notlast"]


def random_firmware(cfg: LebugConfig, rng: np.random.Generator, max_chains: int | None = None,
                    cond2: float = 0.3, min_chains: int = 1) -> Firmware:
    """A random firmware obeying every compiler rule (hardware order, one per slot); `cond2`
    is the chance that an instruction also has a level-1 EOF condition."""
    cp = Compiler(cfg, "random")
    nmax = min(cfg.MAX_CHAINS, max_chains or cfg.MAX_CHAINS)
    addr_hi = min(cfg.CACHE_DEPTH, 4)

    def cond() -> tuple[str | None, str | None]:
        return (_CONDS[rng.integers(len(_CONDS))], _CONDS[rng.integers(len(_CONDS))] if rng.random() < cond2 else None)

    for _ in range(int(rng.integers(min(min_chains, nmax), nmax + 1))):
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


@dataclass
class LebugCase:
    """One random LeBug run: what lebug_job and emulate take."""

    fw: Firmware
    thresholds: np.ndarray
    x: np.ndarray
    eof: np.ndarray
    gaps: np.ndarray | None  # cycles between pushes (with fire)
    fire: bool  # push regardless of in_ready: the input buffer may drop
    junk: list[tuple[int, int]] = field(default_factory=list)  # APB writes before the program (regmap.junk_records)

    def push_cycles(self) -> np.ndarray | None:
        """The arrival cycles emulate() needs to predict drops (None: every vector accepted)."""
        if not self.fire:
            return None
        g = self.gaps if self.gaps is not None else np.zeros(len(self.x), np.int64)
        return np.cumsum(g + 1)


def random_case(cfg: LebugConfig, rng: np.random.Generator) -> LebugCase:
    """Constrained random: chains 1..MAX_CHAINS (MAX_CHAINS itself 1 time in 8), both EOF
    levels' conditions on half the instructions, random thresholds, short streams and long
    ones (beyond TB_DEPTH rows: the trace buffer wraps), and 1 stream in 4 pushed back to
    back regardless of in_ready (the input buffer fills and drops); 1 case in 4 programs over
    random junk in every chain slot, threshold and NUM_CHAINS (drawn last, so the other draws
    of a seed do not depend on it); 1 case in 8 then takes lanes and thresholds over the whole
    DATA_W range (wide_values)."""
    fw = random_firmware(cfg, rng, cond2=0.5, min_chains=cfg.MAX_CHAINS if rng.random() < 0.125 else 1)
    n = int(rng.integers(1, 50)) if rng.random() < 0.6 else int(rng.integers(50, 4 * cfg.TB_DEPTH + 50))
    x, eof = random_stream(cfg, rng, n)
    thr = rng.integers(-8 << cfg.FRAC_W, 8 << cfg.FRAC_W, cfg.n_thresholds)
    fire = bool(rng.random() < 0.25)
    gaps = np.where(rng.random(n) < 0.8, 0, rng.integers(1, 4, size=n)).astype(np.int64) if fire else None
    junk = junk_records(cfg, rng) if rng.random() < 0.25 else []
    if rng.random() < 1 / 8:  # drawn last: the seed's other draws stay those without it
        x, thr = wide_values(cfg, rng, x.shape, len(thr))
    return LebugCase(fw, thr, x, eof, gaps, fire, junk)


def wide_values(cfg: LebugConfig, rng: np.random.Generator, shape: tuple[int, ...],
                n_thr: int) -> tuple[np.ndarray, np.ndarray]:
    """Lanes and thresholds uniform over the whole DATA_W range (thresholds ascending, so each
    filter bin is a real interval): every bit of a threshold, an ALU operand or result, the cache
    and the trace then decides some bin or value (the small default span leaves the upper bits
    sign copies)."""
    lo, hi = -(1 << (cfg.DATA_W - 1)), (1 << (cfg.DATA_W - 1)) - 1
    x = rng.integers(lo, hi + 1, size=shape, dtype=np.int64)
    thr = np.sort(rng.integers(lo, hi + 1, size=n_thr, dtype=np.int64))
    return x, thr
