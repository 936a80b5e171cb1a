"""The LeBug firmware library (docs/lebug.md, "Firmware library")."""

from __future__ import annotations

from typing import Callable

from pymodel.errors import AccelscopeError
from pymodel.lebug.compiler import Compiler
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.isa import Firmware


def loopback(cp: Compiler, N: int | None = None) -> Firmware:
    """Record every vector."""
    cp.begin_chain()
    cp.v_commit(cp.cfg.N if N is None else N)
    cp.end_chain()
    return cp.compile()


def minicache(cp: Compiler) -> Firmware:
    """The seed example: data passes between chains through cache 0 and the minicache."""
    cp.begin_chain()
    cp.vv_add(0)
    cp.v_cache(0)
    cp.v_mc_save()
    cp.end_chain()
    cp.begin_chain()
    cp.v_mc_load()
    cp.vv_add(0)
    cp.v_cache(0)
    cp.v_mc_save()
    cp.end_chain()
    cp.begin_chain()
    cp.v_mc_load()
    cp.v_commit()
    cp.end_chain()
    return cp.compile()


def distribution(cp: Compiler, bins: int = 16, M: int | None = None) -> Firmware:
    """Histogram of every lane over a frame, `bins` bins, M per chain, committed at 'last'."""
    M = cp.cfg.M if M is None else M
    if M != cp.cfg.M:
        raise AccelscopeError(f"distribution: M={M} differs from the hardware's M={cp.cfg.M}")
    if bins <= 0 or bins % M:
        raise AccelscopeError(f"distribution: number of bins ({bins}) must be a positive multiple of M={M}")
    for i in range(bins // M):
        cp.begin_chain()
        cp.vv_filter(i)
        cp.m_reduce("M")
        cp.vv_add(i, "notfirst")
        cp.v_cache(i)
        cp.v_commit(M, "last")
        cp.end_chain()
    return cp.compile()


def _zero_row(cp: Compiler, row: int) -> None:
    # bin 0 is (-1, 0] in raw units: exactly raw 0; the other bins (0, 0] are empty
    cp.set_threshold_row(row, [-1] + [0] * cp.cfg.M)


def summary_stats(cp: Compiler) -> Firmware:
    """Per frame: per-lane sum, per-lane max and per-lane count of zeros (sparsity)."""
    _zero_row(cp, 0)
    cp.begin_chain()
    cp.vv_add(0, "notfirst")
    cp.v_cache(0)
    cp.v_commit(cp.cfg.N, "last")
    cp.end_chain()
    cp.begin_chain()
    cp.vv_max(1, "notfirst")
    cp.v_cache(1)
    cp.v_commit(cp.cfg.N, "last")
    cp.end_chain()
    cp.begin_chain()
    cp.vv_filter(0)
    cp.m_reduce("N")
    cp.vv_add(2, "notfirst")
    cp.v_cache(2)
    cp.v_commit(cp.cfg.N, "last")
    cp.end_chain()
    return cp.compile()


def spatial_sparsity(cp: Compiler) -> Firmware:
    """Per vector: the number of zero lanes, packed one value per commit."""
    _zero_row(cp, 0)
    cp.begin_chain()
    cp.vv_filter(0)
    cp.m_reduce("M")
    cp.v_commit(1)
    cp.end_chain()
    return cp.compile()


def vector_change(cp: Compiler) -> Firmware:
    """Per vector after the first of a frame: x_t - x_{t-1}. Chain 1 keeps x_t in cache 0."""
    cp.begin_chain()
    cp.vv_sub(0, "notfirst")
    cp.v_commit(cp.cfg.N, "notfirst")
    cp.end_chain()
    cp.begin_chain()
    cp.v_cache(0)
    cp.end_chain()
    return cp.compile()


def correlation(cp: Compiler) -> Firmware:
    """Per frame, per lane: sum of x_t * x_{t-1} over consecutive vectors of the frame.

    Cache 0 holds the previous vector (zeroed at 'last' by multiplying with the last
    cache address, which is never written and so reads 0); cache 1 accumulates.
    """
    zero = cp.cfg.CACHE_DEPTH - 1
    if zero < 2:
        raise AccelscopeError("correlation: needs CACHE_DEPTH >= 3")
    cp.begin_chain()
    cp.vv_mul(0)
    cp.v_mc_save()
    cp.end_chain()
    cp.begin_chain()
    cp.vv_mul(zero, "last")
    cp.v_cache(0)
    cp.end_chain()
    cp.begin_chain()
    cp.v_mc_load()
    cp.vv_add(1, "notfirst")
    cp.v_cache(1)
    cp.v_commit(cp.cfg.N, "last")
    cp.end_chain()
    return cp.compile()


def activation_predictiveness(cp: Compiler) -> Firmware:
    """(VSRU_FIRST) Per frame: total and peak number of active (x > 0) lanes per vector."""
    if not cp.cfg.VSRU_FIRST:
        raise AccelscopeError("activation_predictiveness: needs VSRU_FIRST=1 (v_reduce before the VVALU)")
    top = (1 << (cp.cfg.DATA_W - 1)) - 1
    cp.set_threshold_row(0, [0] + [top] * cp.cfg.M)  # bin 0 = (0, max]: active
    for addr, op in ((0, cp.vv_add), (1, cp.vv_max)):
        cp.begin_chain()
        cp.vv_filter(0)
        cp.m_reduce("N")
        cp.v_reduce()
        op(addr, "notfirst")
        cp.v_cache(addr)
        cp.v_commit(1, "last")
        cp.end_chain()
    return cp.compile()


LIBRARY: dict[str, Callable[..., Firmware]] = {
    "loopback": loopback,
    "minicache": minicache,
    "distribution": distribution,
    "summary_stats": summary_stats,
    "spatial_sparsity": spatial_sparsity,
    "vector_change": vector_change,
    "correlation": correlation,
    "activation_predictiveness": activation_predictiveness,
}


def build(name: str, cfg: LebugConfig, **kwargs: int) -> Firmware:
    """Compile library firmware `name` for `cfg` with its own arguments (e.g. bins=16)."""
    if name not in LIBRARY:
        raise AccelscopeError(f"unknown firmware {name!r}; library: {', '.join(LIBRARY)}")
    try:
        return LIBRARY[name](Compiler(cfg, name), **kwargs)
    except TypeError as e:
        raise AccelscopeError(f"{name}: bad firmware arguments {kwargs}: {e}") from None
